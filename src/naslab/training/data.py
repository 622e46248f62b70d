"""Image classification data sets as in-memory tensors, split and normalised once.

``load_data(name)`` reads one of the known data sets; ``from_arrays`` wraps a
user's NumPy arrays. Both give an :class:`ImageData`: train, validation and test
splits as float32 ``N x C x H x W`` tensors normalised with the training split's
per-channel mean and standard deviation, int64 labels, and the data set's
default augmentation. Whole tensors, not a DataLoader: the trainer slices
batches straight from them on the device, which is what makes it fast.

Splits are seeded: the same ``split_seed`` gives the same examples in each
split on any machine (a NumPy ``default_rng`` permutation). The validation
split is carved from the training pool; where a data set has no official test
set (digits, arrays without ``x_test``) a test split is carved first.

Known data sets:

- ``digits``: scikit-learn's 1,797 8x8 greyscale digits, always available;
  60/20/20 train/validation/test by default.
- ``fashion-mnist``: the IDX files (gzipped or not) in ``root``, by default
  ``/usr/share/datasets/fashion-mnist`` from ``apt install dataset-fashion-mnist``.
- ``cifar10`` / ``cifar100``: the "CIFAR python version" pickles in ``root``
  (``cifar-10-batches-py`` or ``cifar-100-python``, or the folder holding it),
  https://www.cs.toronto.edu/~kriz/cifar.html; random crop (pad 4) and flip.
"""

from __future__ import annotations

import functools
import gzip
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from naslab.errors import ConfigError, UnknownNameError, excerpt
from naslab.training.augment import Augmentation

FASHION_MNIST_ROOT = Path("/usr/share/datasets/fashion-mnist")
#: Share of the pool held out as test split where a data set has no official one.
TEST_FRACTION = 0.2
#: Default share of the training pool held out for validation, per data set.
VALID_FRACTION = {"digits": 0.25, "fashion-mnist": 0.1, "cifar10": 0.1, "cifar100": 0.1}
ARRAYS_VALID_FRACTION = 0.25
CIFAR_AUGMENT = Augmentation(pad=4, flip=True)


@dataclass(frozen=True)
class Split:
    """Images ``x`` (float32 N x C x H x W, normalised) and labels ``y`` (int64 N)."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def to(self, device: torch.device | str) -> Split:
        return Split(self.x.to(device), self.y.to(device))


@dataclass(frozen=True)
class ImageData:
    """A classification data set split three ways, with its default augmentation.

    Loaded data is shared by a per-process cache: treat the tensors as read-only.
    """

    name: str
    train: Split
    valid: Split
    test: Split
    num_classes: int
    input_shape: tuple[int, int, int]
    augment: Augmentation

    def to(self, device: torch.device | str) -> ImageData:
        """The same data on ``device`` (no copy where it already is)."""
        return ImageData(self.name, self.train.to(device), self.valid.to(device),
                         self.test.to(device), self.num_classes, self.input_shape, self.augment)


def load_data(name: str, *, root: str | Path | None = None, split_seed: int = 0,
              valid_fraction: float | None = None, limit: int | None = None) -> ImageData:
    """Data set ``name`` split by ``split_seed``, cached per process (CIFAR takes seconds).

    ``valid_fraction`` is the share of the training pool held out for validation
    (default per data set, :data:`VALID_FRACTION`); ``limit`` keeps only the
    first ``limit`` training examples after the seeded shuffle, for quick runs.
    """
    if name not in _READERS:
        raise UnknownNameError("data set", name, _READERS)
    fraction = VALID_FRACTION[name] if valid_fraction is None else valid_fraction
    _check_split_args(split_seed, fraction, limit)  # before the cache hashes them
    where = None if root is None else str(Path(root).expanduser().resolve())
    return _load_cached(name, where, split_seed, fraction, limit)


def from_arrays(x: Any, y: Any, *, x_test: Any = None, y_test: Any = None, name: str = "arrays",
                split_seed: int = 0, valid_fraction: float = ARRAYS_VALID_FRACTION,
                limit: int | None = None, augment: Augmentation | None = None) -> ImageData:
    """:class:`ImageData` from NumPy images and integer labels 0..K-1.

    ``x`` is ``N x H x W`` (one channel), ``N x C x H x W`` or ``N x H x W x C``
    (the channel axis is the smaller of axes 1 and 3, channels first on a tie),
    uint8 or float. Without ``x_test`` a test split (:data:`TEST_FRACTION`) is
    carved from ``x`` before the validation split. No augmentation unless given.
    """
    _check_split_args(split_seed, valid_fraction, limit)
    images = _images(x, "x")
    labels = _labels(y, "y", len(images))
    test = None
    if (x_test is None) != (y_test is None):
        raise ConfigError("give both x_test and y_test, or neither")
    if x_test is not None:
        test_images = _images(x_test, "x_test")
        test = (test_images, _labels(y_test, "y_test", len(test_images)))
        if test[0].shape[1:] != images.shape[1:]:
            raise ConfigError(f"x_test images are {_chw(test[0])} but x images are {_chw(images)}")
    classes = int(max(labels.max(), -1 if test is None else test[1].max())) + 1
    return _assemble(name, images, labels, test, classes, augment or Augmentation(),
                     split_seed, valid_fraction, limit)


# --- splitting and normalising ------------------------------------------------------------------


def _assemble(name: str, x: np.ndarray, y: np.ndarray, test: tuple[np.ndarray, np.ndarray] | None,
              num_classes: int, augment: Augmentation, split_seed: int, valid_fraction: float,
              limit: int | None) -> ImageData:
    """Split the pool by ``split_seed``, then normalise every split with the training stats."""
    order = np.random.default_rng(split_seed).permutation(len(y))
    if test is None:
        cut = round(TEST_FRACTION * len(order))
        test = (x[order[:cut]], y[order[:cut]])
        order = order[cut:]
    cut = round(valid_fraction * len(order))
    valid_idx, train_idx = order[:cut], order[cut:][:limit]
    if len(train_idx) == 0:
        raise ConfigError(f"{name}: no training examples left after the split; "
                          "lower valid_fraction or give more data")
    mean, std = _channel_stats(x[train_idx])
    return ImageData(
        name=name,
        train=_split(x[train_idx], y[train_idx], mean, std),
        valid=_split(x[valid_idx], y[valid_idx], mean, std),
        test=_split(test[0], test[1], mean, std),
        num_classes=num_classes,
        input_shape=_chw(x),
        augment=augment,
    )


def _check_split_args(split_seed: int, valid_fraction: float, limit: int | None) -> None:
    if isinstance(split_seed, bool) or not isinstance(split_seed, int) or split_seed < 0:
        raise ConfigError(f"split_seed must be an integer >= 0, got {excerpt(split_seed)}")
    if not isinstance(valid_fraction, int | float) or not 0 <= valid_fraction < 1:
        raise ConfigError(f"valid_fraction must be in [0, 1), got {excerpt(valid_fraction)}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"limit must be None or an integer >= 1, got {excerpt(limit)}")


def _channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std in float64 (one channel at a time, to spare memory)."""
    mean = np.array([x[:, c].mean(dtype=np.float64) for c in range(x.shape[1])])
    std = np.array([x[:, c].std(dtype=np.float64) for c in range(x.shape[1])])
    return mean, np.where(std > 0, std, 1.0)


def _split(x: np.ndarray, y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> Split:
    images = torch.from_numpy(np.ascontiguousarray(x)).float()
    images.sub_(torch.from_numpy(mean).float()[:, None, None])
    images.div_(torch.from_numpy(std).float()[:, None, None])
    return Split(images, torch.from_numpy(y.astype(np.int64)))


def _chw(x: np.ndarray) -> tuple[int, int, int]:
    return int(x.shape[1]), int(x.shape[2]), int(x.shape[3])


# --- validating user arrays ---------------------------------------------------------------------


def _images(x: Any, what: str) -> np.ndarray:
    """``x`` as an ``N x C x H x W`` uint8 or float array, or a one-line error."""
    array = np.asarray(x)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise ConfigError(f"{what} must hold numbers (uint8 or float), got dtype {array.dtype}")
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4 and array.shape[3] < array.shape[1]:
        array = array.transpose(0, 3, 1, 2)
    elif array.ndim != 4:
        raise ConfigError(f"{what} must be N x H x W, N x C x H x W or N x H x W x C, "
                          f"got shape {array.shape}")
    if 0 in array.shape:
        raise ConfigError(f"{what} has no images or an empty axis: shape {array.shape}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise ConfigError(f"{what} holds NaN or infinite values")
    return np.ascontiguousarray(array)


def _labels(y: Any, what: str, n: int) -> np.ndarray:
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n:
        raise ConfigError(f"{what} must be one label per image ({n}), got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool:
        raise ConfigError(f"{what} must be integer class labels, got dtype {labels.dtype}")
    if labels.min() < 0:
        raise ConfigError(f"{what} has a negative label {labels.min()}; labels are 0..K-1")
    return labels.astype(np.int64)


# --- readers ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _load_cached(name: str, root: str | None, split_seed: int, valid_fraction: float,
                 limit: int | None) -> ImageData:
    x, y, test, classes, augment = _READERS[name](root)
    return _assemble(name, x, y, test, classes, augment, split_seed, valid_fraction, limit)


Pool = tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None, int, Augmentation]


def _read_digits(root: str | None) -> Pool:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images[:, None].astype(np.float32), digits.target, None, 10, Augmentation()


def _read_fashion_mnist(root: str | None) -> Pool:
    folder = Path(root) if root is not None else FASHION_MNIST_ROOT
    parts = [_idx(folder, f"{stem}-{kind}") for stem in ("train", "t10k")
             for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]
    x, y, x_test, y_test = parts
    return x[:, None], y, (x_test[:, None], y_test), 10, Augmentation()


def _idx(folder: Path, stem: str) -> np.ndarray:
    """One IDX file (``stem`` or ``stem.gz``) as an array of its declared shape."""
    found = [p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()]
    if not found:
        raise ConfigError(f"fashion-mnist: {stem}[.gz] not found in {folder}; apt install "
                          "dataset-fashion-mnist, or pass root= a folder with the four IDX files")
    path = found[0]
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    dims = raw[3] if len(raw) >= 4 and raw[:3] == b"\x00\x00\x08" else 0
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    if not dims or len(raw) != 4 + 4 * dims + int(np.prod(shape)):
        raise ConfigError(f"fashion-mnist: {path} is not a uint8 IDX file of its declared size")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape).copy()


def _read_cifar10(root: str | None) -> Pool:
    folder = _cifar_folder("cifar10", root, "cifar-10-batches-py", "data_batch_1")
    parts = [_cifar_part(folder, f"data_batch_{i}", b"labels") for i in range(1, 6)]
    x, y = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return x, y, _cifar_part(folder, "test_batch", b"labels"), 10, CIFAR_AUGMENT


def _read_cifar100(root: str | None) -> Pool:
    folder = _cifar_folder("cifar100", root, "cifar-100-python", "train")
    x, y = _cifar_part(folder, "train", b"fine_labels")
    return x, y, _cifar_part(folder, "test", b"fine_labels"), 100, CIFAR_AUGMENT


def _cifar_folder(name: str, root: str | None, subfolder: str, marker: str) -> Path:
    """``root`` itself when it holds the batches, else ``root/subfolder``."""
    if root is None:
        raise ConfigError(f"{name} needs root=: a folder with {subfolder} (the CIFAR python "
                          "version from https://www.cs.toronto.edu/~kriz/cifar.html)")
    folder = Path(root)
    return folder if (folder / marker).is_file() else folder / subfolder


class _ArrayUnpickler(pickle.Unpickler):
    """Reads NumPy arrays and plain containers only, so a data file cannot run code."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
               *((f"numpy.{core}.multiarray", name) for core in ("core", "_core")
                 for name in ("_reconstruct", "scalar"))}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a data file")
        return super().find_class(module, name)


def _cifar_part(folder: Path, file: str, label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x 3 x 32 x 32 uint8) and labels of one CIFAR pickle."""
    path = folder / file
    if not path.is_file():
        raise ConfigError(f"CIFAR file {path} not found; root must be the folder from the "
                          "python version archive or the folder holding it")
    try:
        with path.open("rb") as f:
            content = _ArrayUnpickler(f, encoding="bytes").load()
        data = np.asarray(content[b"data"], dtype=np.uint8)
        labels = np.asarray(content[label_key], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"CIFAR file {path} is not a CIFAR python pickle: {exc!r}") from exc
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or labels.shape != (len(data),):
        raise ConfigError(f"CIFAR file {path} must hold N x 3072 bytes and N labels, "
                          f"got {data.shape} and {labels.shape}")
    return data.reshape(-1, 3, 32, 32), labels


_READERS: dict[str, Callable[[str | None], Pool]] = {
    "digits": _read_digits,
    "fashion-mnist": _read_fashion_mnist,
    "cifar10": _read_cifar10,
    "cifar100": _read_cifar100,
}
