"""Data sets (seeded splits, normalisation, readers, user arrays) and batch augmentation."""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from naslab.errors import ConfigError, UnknownNameError
from naslab.training.augment import Augmentation
from naslab.training.data import FASHION_MNIST_ROOT, ImageData, from_arrays, load_data


def indexed(n: int, side: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Images whose pixels all equal their index, so a split's images name its examples."""
    x = np.repeat(np.arange(n, dtype=np.float32), side * side).reshape(n, side, side)
    return x, np.arange(n) % 3


def split_indices(data: ImageData) -> list[list[int]]:
    """The ``indexed`` examples in train, valid and test (normalising keeps their order)."""
    values = [split.x[:, 0, 0, 0].tolist() for split in (data.train, data.valid, data.test)]
    rank = {v: i for i, v in enumerate(sorted(v for part in values for v in part))}
    return [[rank[v] for v in part] for part in values]


# --- splits and normalisation -------------------------------------------------------------------


def test_splits_are_disjoint_complete_and_seeded() -> None:
    x, y = indexed(100)
    data = from_arrays(x, y, split_seed=4)
    train, valid, test = (set(part) for part in split_indices(data))
    assert (len(train), len(valid), len(test)) == (60, 20, 20)
    assert train | valid | test == set(range(100))
    again = from_arrays(x, y, split_seed=4)
    assert all(torch.equal(a.x, b.x) and torch.equal(a.y, b.y) for a, b in
               [(data.train, again.train), (data.valid, again.valid), (data.test, again.test)])
    assert split_indices(from_arrays(x, y, split_seed=5)) != split_indices(data)


def test_split_indices_are_pinned() -> None:
    """NumPy's PCG64 permutation, the same on every machine: test first, then validation."""
    x, y = indexed(10)
    assert split_indices(from_arrays(x, y, split_seed=0)) == [[3, 5, 9, 0, 8, 1], [2, 7], [4, 6]]


def test_normalised_with_train_statistics() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (50, 6, 6, 3), dtype=np.uint8)
    x_test = rng.integers(0, 256, (10, 6, 6, 3), dtype=np.uint8)
    data = from_arrays(x, np.arange(50) % 4, x_test=x_test, y_test=np.arange(10) % 4,
                       valid_fraction=0.2)
    flat = data.train.x.transpose(0, 1).reshape(3, -1)
    assert torch.allclose(flat.mean(1), torch.zeros(3), atol=1e-5)
    assert torch.allclose(flat.std(1, unbiased=False), torch.ones(3), atol=1e-4)
    # the test split is the given one, normalised with the training split's statistics
    train_raw = torch.from_numpy(x.transpose(0, 3, 1, 2)).double()
    index = np.random.default_rng(0).permutation(50)[10:]
    raw = train_raw[index]
    mean, std = raw.mean((0, 2, 3)), raw.std((0, 2, 3), unbiased=False)
    expected = (torch.from_numpy(x_test.transpose(0, 3, 1, 2)).double() - mean[:, None, None]) \
        / std[:, None, None]
    assert torch.allclose(data.test.x.double(), expected, atol=1e-5)
    assert data.test.y.dtype == torch.int64 and data.train.x.dtype == torch.float32
    assert (data.num_classes, data.input_shape) == (4, (3, 6, 6))


def test_layouts_give_the_same_data() -> None:
    rng = np.random.default_rng(1)
    nchw = rng.random((30, 3, 5, 5)).astype(np.float32)
    y = np.arange(30) % 2
    first = from_arrays(nchw, y)
    second = from_arrays(nchw.transpose(0, 2, 3, 1), y)
    assert torch.equal(first.train.x, second.train.x)
    grey = from_arrays(nchw[:, 0], y)
    assert grey.input_shape == (1, 5, 5)
    assert torch.allclose(grey.train.x, from_arrays(nchw[:, :1], y).train.x)


def test_limit_keeps_a_prefix_and_the_same_validation_split() -> None:
    x, y = indexed(100)
    full, small = from_arrays(x, y), from_arrays(x, y, limit=7)
    assert len(small.train) == 7
    # the same examples, normalised with the smaller training split's statistics
    assert torch.equal(full.valid.y, small.valid.y)
    assert torch.equal(full.valid.x.flatten().argsort(), small.valid.x.flatten().argsort())
    assert torch.equal(full.train.y[:7], small.train.y)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"x": np.zeros((4, 2)), "y": np.zeros(4, int)}, "N x H x W"),
    ({"x": np.zeros((4, 3, 3)), "y": np.zeros(5, int)}, "one label per image"),
    ({"x": np.zeros((4, 3, 3)), "y": np.zeros(4)}, "integer class labels"),
    ({"x": np.zeros((4, 3, 3)), "y": -np.ones(4, int)}, "negative label"),
    ({"x": np.full((4, 3, 3), np.nan), "y": np.zeros(4, int)}, "NaN"),
    ({"x": np.array([["a"]] * 4), "y": np.zeros(4, int)}, "numbers"),
    ({"x": np.zeros((4, 3, 3)), "y": np.zeros(4, int), "x_test": np.zeros((2, 3, 3))}, "both"),
    ({"x": np.zeros((4, 3, 3)), "y": np.zeros(4, int), "x_test": np.zeros((2, 4, 4)),
      "y_test": np.zeros(2, int)}, r"x_test images are \(1, 4, 4\)"),
    ({"x": np.zeros((4, 3, 3)), "y": np.zeros(4, int), "valid_fraction": 1.0}, "valid_fraction"),
    ({"x": np.zeros((4, 3, 3)), "y": np.zeros(4, int), "limit": 0}, "limit"),
])
def test_from_arrays_rejects_bad_input_in_one_line(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        from_arrays(**kwargs)
    assert "\n" not in str(info.value)


# --- known data sets ----------------------------------------------------------------------------


def test_digits() -> None:
    data = load_data("digits")
    assert (len(data.train), len(data.valid), len(data.test)) == (1078, 360, 359)
    assert (data.num_classes, data.input_shape, data.augment) == (10, (1, 8, 8), Augmentation())
    assert load_data("digits") is data  # cached per process
    other = load_data("digits", split_seed=1)
    assert not torch.equal(other.test.y, data.test.y)


def test_unknown_data_set_and_bad_split_arguments() -> None:
    with pytest.raises(UnknownNameError, match="fashion-mnist"):
        load_data("imagenet")
    with pytest.raises(ConfigError, match="split_seed must be an integer >= 0, got \\[1\\]"):
        load_data("digits", split_seed=[1])  # type: ignore[arg-type]


@pytest.mark.skipif(not FASHION_MNIST_ROOT.is_dir(), reason="apt install dataset-fashion-mnist")
def test_fashion_mnist_installed() -> None:
    data = load_data("fashion-mnist", limit=100)
    assert (len(data.train), len(data.valid), len(data.test)) == (100, 6000, 10000)
    assert (data.num_classes, data.input_shape) == (10, (1, 28, 28))
    assert data.test.y.unique().tolist() == list(range(10))


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("compress", [False, True])
def test_fashion_mnist_reads_idx_files(tmp_path: Path, compress: bool) -> None:
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    for stem, n in (("train", 20), ("t10k", 5)):
        write_idx(tmp_path / f"{stem}-images-idx3-ubyte{suffix}",
                  rng.integers(0, 256, (n, 28, 28)), compress)
        write_idx(tmp_path / f"{stem}-labels-idx1-ubyte{suffix}", np.arange(n) % 10, compress)
    data = load_data("fashion-mnist", root=tmp_path, valid_fraction=0.25)
    assert (len(data.train), len(data.valid), len(data.test)) == (15, 5, 5)
    assert data.test.y.tolist() == [0, 1, 2, 3, 4]


def test_fashion_mnist_missing_folder_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="apt install dataset-fashion-mnist") as info:
        load_data("fashion-mnist", root=tmp_path / "absent")
    assert "root=" in str(info.value) and "\n" not in str(info.value)


def write_cifar(folder: Path, files: dict[str, int], label_key: bytes) -> dict[str, np.ndarray]:
    """CIFAR python-version pickles (bytes keys, N x 3072 uint8 rows) of ``n`` images each."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    for file, n in files.items():
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        content = {b"data": data, label_key: list(range(n)), b"batch_label": file.encode()}
        with (folder / file).open("wb") as f:
            pickle.dump(content, f, protocol=2)
        written[file] = data
    return written


def test_cifar10_pickles_from_the_folder_or_its_parent(tmp_path: Path) -> None:
    files = {f"data_batch_{i}": 4 for i in range(1, 6)} | {"test_batch": 3}
    written = write_cifar(tmp_path / "cifar-10-batches-py", files, b"labels")
    for root in (tmp_path, tmp_path / "cifar-10-batches-py"):
        data = load_data("cifar10", root=root, valid_fraction=0.2)
        assert (len(data.train), len(data.valid), len(data.test)) == (16, 4, 3)
        assert (data.num_classes, data.input_shape) == (10, (3, 32, 32))
        assert data.augment == Augmentation(pad=4, flip=True)
    # rows are R, G, B planes of 32 x 32: image 0's red top row is bytes 0..31
    test = written["test_batch"].reshape(3, 3, 32, 32).astype(np.float64)
    normalised = data.test.x.double().numpy()
    assert np.corrcoef(test[:, 0].ravel(), normalised[:, 0].ravel())[0, 1] > 0.999


def test_cifar100_pickles(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar-100-python", {"train": 10, "test": 2}, b"fine_labels")
    data = load_data("cifar100", root=tmp_path)
    assert (len(data.train), len(data.valid), len(data.test), data.num_classes) == (9, 1, 2, 100)


def test_cifar_errors_name_the_missing_file(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar-10-batches-py", {"data_batch_1": 2}, b"labels")
    with pytest.raises(ConfigError, match="data_batch_2 not found"):
        load_data("cifar10", root=tmp_path)
    with pytest.raises(ConfigError, match="needs root="):
        load_data("cifar10")


def test_cifar_pickle_cannot_run_code(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    with (folder / "train").open("wb") as f:
        pickle.dump(os.getcwd, f)  # any callable a pickle could name
    (folder / "test").write_bytes(b"")
    with pytest.raises(ConfigError, match="not a CIFAR python pickle"):
        load_data("cifar100", root=folder)


# --- augmentation -------------------------------------------------------------------------------


def batch(n: int = 64, side: int = 8) -> torch.Tensor:
    return torch.arange(n * 2 * side * side, dtype=torch.float32).reshape(n, 2, side, side) + 1


def test_augmentation_is_seeded_and_keeps_shape_and_input() -> None:
    x = batch()
    before = x.clone()
    augment = Augmentation(pad=2, flip=True, cutout=3)
    first = augment.apply(x, torch.Generator().manual_seed(0))
    assert first.shape == x.shape and first.dtype == x.dtype and torch.equal(x, before)
    assert torch.equal(first, augment.apply(x, torch.Generator().manual_seed(0)))
    assert not torch.equal(first, augment.apply(x, torch.Generator().manual_seed(1)))
    assert not Augmentation().active and augment.active


def test_flip_mirrors_about_half_the_images() -> None:
    x = batch()
    out = Augmentation(flip=True).apply(x, torch.Generator().manual_seed(0))
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(3)).flatten(1).all(1)
    assert bool((same | mirrored).all()) and 16 < int(mirrored.sum()) < 48


def shifted(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """``image`` moved by (dy, dx) with zero fill: a crop of the zero-padded image."""
    out = torch.zeros_like(image)
    h, w = image.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def test_random_crop_is_a_zero_padded_shift() -> None:
    x = batch()
    out = Augmentation(pad=2).apply(x, torch.Generator().manual_seed(0))
    shifts = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)]
    found = set()
    for image, result in zip(x, out, strict=True):
        matches = [s for s in shifts if torch.equal(shifted(image, *s), result)]
        assert len(matches) == 1
        found.add(matches[0])
    assert len(found) > 10  # offsets vary over the batch


def test_cutout_zeroes_one_clipped_square() -> None:
    x = torch.ones(200, 1, 8, 8)
    out = Augmentation(cutout=4).apply(x, torch.Generator().manual_seed(0))
    for image in out[:, 0]:
        rows, cols = (image == 0).nonzero(as_tuple=True)
        assert len(rows) > 0
        height, width = int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1
        assert height <= 4 and width <= 4 and len(rows) == height * width
    assert int((out == 0).flatten(1).sum(1).max()) == 16


def test_augmentation_validates() -> None:
    with pytest.raises(ConfigError, match="pad"):
        Augmentation(pad=-1)
    with pytest.raises(ConfigError, match="flip"):
        Augmentation(flip=1)  # type: ignore[arg-type]
