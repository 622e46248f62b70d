"""The official NATS-Bench topology search space ('tss') files in their 'simple' format.

NATS-Bench (Dong et al., TPAMI 2021; github D-X-Y/NATS-Bench) publishes the
15,625 NAS-Bench-201 cells as a folder (``NATS-tss-v1_0-3ffb9-simple``) of
bz2-compressed pickles: ``meta.pickle.pbz2`` whose ``meta_archs`` lists the
architecture string of every official index, and one ``NNNNNN.pickle.pbz2``
per index with a record per training length ('12', '200' epochs). A record's
``all_results[(dataset, seed)]`` holds per-epoch ``eval_acc1es['<split>@<epoch>']``,
per-epoch ``train_times``, ``params`` (MB), ``flop`` (M) and ``latency`` (s).

naslab reads the 200-epoch record, last epoch, every seed:

- ``val_acc``: 'x-valid' on NATS dataset 'cifar10-valid' (naslab's cifar10),
  'cifar100' or 'ImageNet16-120'. These equal the embedded table's per-seed
  ``val_acc`` exactly (checked on archs 0, 11 and 284 of all three datasets).
- ``test_acc``: 'ori-test' for cifar10-valid (the CIFAR-10 test set; the net
  trained on the train split only), 'x-test' for the other two.
- ``train_time``: the sum of the per-epoch ``train_times`` over all epochs,
  which is exactly the embedded table's ``train_time``.
- ``params_mb``, ``flops`` and ``latency`` (the mean of the recorded list).

The files are pickles, so only open ones you trust (the official download).
Reading all 15,625 takes a few minutes (bz2 decompression dominates); the
result is cached per dataset, so only the first load of a folder pays it.
"""

from __future__ import annotations

import bz2
import hashlib
import os
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naslab.benchmarks.assemble import benchmark_from_records
from naslab.benchmarks.datasets import require_dataset
from naslab.benchmarks.table import TabularBenchmark
from naslab.errors import BenchmarkDataError, InvalidArchitectureError
from naslab.spaces.nb201 import NB201Space

META_FILE = "meta.pickle.pbz2"
EPOCHS = "200"
#: naslab dataset -> (NATS dataset key, test split reported as ``test_acc``).
NATS_DATASETS: dict[str, tuple[str, str]] = {
    "cifar10": ("cifar10-valid", "ori-test"),
    "cifar100": ("cifar100", "x-test"),
    "imagenet16-120": ("ImageNet16-120", "x-test"),
}
RECORD_COLUMNS: tuple[str, ...] = (
    "nats_index", "arch_str", "op_key", "seed", "val_acc", "test_acc",
    "train_time", "params_mb", "flops", "latency",
)
_SPACE = NB201Space()


def arch_file_name(index: int) -> str:
    """The name of official index ``index``'s record file in a 'simple' folder."""
    return f"{index:06d}.pickle.pbz2"


def _unpickle(file: Path) -> Any:
    try:
        with file.open("rb") as f:
            return pickle.loads(bz2.decompress(f.read()))
    except Exception as exc:  # a damaged pickle can raise nearly any exception type
        raise BenchmarkDataError(
            f"cannot read {file} ({type(exc).__name__}: {' '.join(str(exc).split())}); "
            "it is not an intact NATS-Bench .pickle.pbz2 file, re-download the archive"
        ) from None


def read_meta(path: Path) -> list[str]:
    """The architecture string of every official index, from ``path``'s meta file."""
    file = Path(path) / META_FILE
    if not file.is_file():
        raise BenchmarkDataError(
            f"{path} is not a NATS-Bench topology 'simple' folder: it has no {META_FILE} "
            "(expected meta.pickle.pbz2 plus one NNNNNN.pickle.pbz2 per architecture)"
        )
    meta = _unpickle(file)
    archs = meta.get("meta_archs") if isinstance(meta, dict) else None
    if not isinstance(archs, list):
        raise BenchmarkDataError(f"{file} has no 'meta_archs' list of architecture strings")
    return archs


def present_indices(path: Path, total: int) -> list[int]:
    """The official indices below ``total`` whose record file exists in ``path``."""
    names = set(os.listdir(path))
    return [i for i in range(total) if arch_file_name(i) in names]


def read_arch_records(file: Path, dataset: str, expected_arch: str | None = None) -> list[dict]:
    """One dict per training seed (sorted) of ``file``'s 200-epoch results on ``dataset``.

    ``expected_arch`` (the meta file's string for this index) guards against a
    record stored under the wrong name.
    """
    nats_name, test_split = NATS_DATASETS[dataset]
    data = _unpickle(file)
    try:
        record = data[EPOCHS]
        arch_str, index = record["arch_str"], int(record["arch_index"])
        metrics = {
            int(seed): _final_metrics(record["all_results"][(nats_name, seed)], test_split)
            for seed in sorted(record["dataset_seed"][nats_name])
        }
    except (KeyError, TypeError, IndexError) as exc:
        raise BenchmarkDataError(
            f"{file} is not a NATS-Bench tss 'simple' record: its {EPOCHS}-epoch {nats_name} "
            f"results lack {exc}"
        ) from None
    if expected_arch is not None and arch_str != expected_arch:
        raise BenchmarkDataError(
            f"{file} records {arch_str} but {META_FILE} lists {expected_arch} for that index"
        )
    try:
        op_key = _SPACE.op_key(_SPACE.parse(arch_str))
    except InvalidArchitectureError as exc:
        raise BenchmarkDataError(f"{file}: {exc}") from None
    return [
        {"nats_index": index, "arch_str": arch_str, "op_key": op_key, "seed": seed, **m}
        for seed, m in metrics.items()
    ]


def _final_metrics(run: dict, test_split: str) -> dict[str, float]:
    """What one training run recorded at its last epoch, plus its whole training time."""
    last = run["epochs"] - 1
    acc = run["eval_acc1es"]
    return {
        "val_acc": float(acc[f"x-valid@{last}"]),
        "test_acc": float(acc[f"{test_split}@{last}"]),
        "train_time": float(sum(run["train_times"].values())),
        "params_mb": float(run["params"]),
        "flops": float(run["flop"]),
        "latency": float(np.mean(run["latency"] or [np.nan])),
    }


def read_nats_records(
    path: Path, dataset: str, indices: Iterable[int] | None = None
) -> pd.DataFrame:
    """The per-(architecture, seed) results on ``dataset`` of a NATS-tss 'simple' folder.

    Reads the official ``indices`` (default: every record file present, so a
    partial folder works) in index order; columns are :data:`RECORD_COLUMNS`,
    one row per seed.
    """
    path = Path(path)
    dataset = require_dataset(dataset, NATS_DATASETS, "the NATS-Bench tss files")
    meta = read_meta(path)
    present = present_indices(path, len(meta))
    if indices is not None:
        indices = list(indices)
        wanted, have = set(indices), set(present)
        for i in indices:
            if not 0 <= i < len(meta):
                raise BenchmarkDataError(f"NATS index {i} is out of range 0..{len(meta) - 1}")
            if i not in have:
                raise BenchmarkDataError(f"{path} has no record file {arch_file_name(i)}")
        present = [i for i in present if i in wanted]
    rows = []
    for i in present:
        rows.extend(read_arch_records(path / arch_file_name(i), dataset, expected_arch=meta[i]))
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS))


def load_nats_tss(path: Path, dataset: str) -> TabularBenchmark:
    """The benchmark of a complete NATS-tss 'simple' folder on ``dataset`` (see module doc).

    Reading the 15,625 files takes minutes, so the records are cached (see
    :func:`cache_file`) and later loads of the unchanged folder take a second.
    """
    path = Path(path)
    dataset = require_dataset(dataset, NATS_DATASETS, "the NATS-Bench tss files")
    meta = read_meta(path)
    present = set(present_indices(path, len(meta)))
    missing = [i for i in range(len(meta)) if i not in present]
    if missing:
        raise BenchmarkDataError(
            f"{path} lacks {len(missing)} of {len(meta)} architecture files, e.g. "
            f"{path / arch_file_name(missing[0])}; a benchmark needs them all "
            "(read_nats_records reads a partial folder)"
        )
    cache = cache_file(path, dataset)
    try:
        records = pd.read_pickle(cache)
    except Exception:  # no cache yet, or a damaged one (which may raise nearly anything)
        records = read_nats_records(path, dataset)
        _write_cache(records, cache)
    return benchmark_from_records(
        as_benchmark_records(records), space=_SPACE, name="nats-tss", dataset=dataset,
        source=str(path), complete=True,
    )


def as_benchmark_records(records: pd.DataFrame) -> pd.DataFrame:
    """NATS records in :func:`benchmark_from_records`'s shape (architectures parsed once)."""
    archs = {key: _SPACE.from_op_key(key) for key in pd.unique(records["op_key"])}
    return pd.DataFrame({
        "arch": records["op_key"].map(archs), "seed": records["seed"],
        "score": records["val_acc"], "cost": records["train_time"], "test": records["test_acc"],
        **{c: records[c] for c in ("params_mb", "flops", "latency")},
    })


def cache_file(path: Path, dataset: str) -> Path:
    """Where the records of ``path`` on ``dataset`` are cached.

    The folder is ``$NASLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/naslab``, else
    ``~/.cache/naslab``; the name hashes the folder's path and every file's
    name, size and modification time, so a changed folder is read afresh.
    """
    root = os.environ.get("NASLAB_CACHE_DIR") or (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "naslab"
    )
    digest = hashlib.sha256(str(Path(path).resolve()).encode())
    with os.scandir(path) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            info = entry.stat()
            digest.update(f"{entry.name}:{info.st_size}:{info.st_mtime_ns};".encode())
    return Path(root).expanduser() / f"nats-tss-{digest.hexdigest()[:20]}-{dataset}.pkl"


def _write_cache(records: pd.DataFrame, cache: Path) -> None:
    """Store ``records`` at ``cache`` atomically; a cache that cannot be written is skipped."""
    partial = cache.with_name(f".{cache.name}.{os.getpid()}.part")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        records.to_pickle(partial)
        partial.replace(cache)
    except OSError:
        partial.unlink(missing_ok=True)
