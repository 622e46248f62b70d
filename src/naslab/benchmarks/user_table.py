"""A user's own NB201 results table (CSV, or Parquet with ``pip install 'naslab[parquet]'``).

Format (``../shared/data/nb201/nb201_table.csv`` follows it): one row per
architecture, every one of the 15,625 NB201 cells exactly once.

- Architecture: the first present of ``arch_str``, ``arch``, ``architecture``
  (official strings ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``) or ``op_key``
  (6 digits, edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2; ops none=0,
  skip_connect=1, nor_conv_1x1=2, nor_conv_3x3=3, avg_pool_3x3=4; leading
  zeros a spreadsheet dropped are restored).
- Metrics of dataset D are named ``{P}_<metric>``, where P is the first of
  D's prefixes that has a validation column: D itself, its short alias
  (cifar10: ``c10v``, cifar100: ``c100``, imagenet16-120: ``in16``), or none
  at all (``valid``, ``train_time``, ...) for a single-dataset table:

  - ``{P}_valid_seed{i}`` (validation accuracy % of training seed i; empty
    where an architecture lacks that seed) or ``{P}_valid`` (seed-mean
    validation accuracy %). Required; per-seed columns win when both exist,
    since they let a search see the seed noise.
  - ``{P}_train_time``: training seconds, the simulated cost of a query. Required.
  - ``{P}_test`` (test accuracy %), ``{P}_params_mb``, ``{P}_latency``,
    ``{P}_flops``: optional; ``{P}_test`` enables test-error reporting.

Metric values must be numbers with none missing. Other columns are ignored.
Error messages count rows from 1 after the header.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd

from naslab.benchmarks.assemble import benchmark_from_records
from naslab.benchmarks.datasets import canonical_dataset
from naslab.benchmarks.table import TabularBenchmark
from naslab.errors import BenchmarkDataError, InvalidArchitectureError
from naslab.spaces.nb201 import NB201Space

ARCH_COLUMNS: tuple[str, ...] = ("arch_str", "arch", "architecture", "op_key")
SHORT_PREFIXES: dict[str, str] = {"cifar10": "c10v", "cifar100": "c100", "imagenet16-120": "in16"}
#: optional column suffix -> metric name in ``TabularBenchmark.extra``
OPTIONAL_METRICS: dict[str, str] = {
    "test": "test_acc", "params_mb": "params_mb", "latency": "latency", "flops": "flops",
}
PARQUET_SUFFIXES = (".parquet", ".pq")
_SPACE = NB201Space()


def load_user_table(path: Path, dataset: str) -> TabularBenchmark:
    """The benchmark that the table at ``path`` records for ``dataset`` (format: module doc)."""
    path = Path(path)
    dataset = canonical_dataset(dataset)
    frame = read_table(path)
    source = str(path)
    column = _arch_column(frame, source)
    prefix = _prefix(frame, dataset, source)
    seed_ids, val_acc = _validation(frame, prefix, source)
    train_time = _name(prefix, "train_time")
    if train_time not in frame.columns:
        raise BenchmarkDataError(
            f"{source} has no {train_time!r} column for {dataset} (training seconds, the cost "
            f"of a query); columns found: {', '.join(map(str, frame.columns))}"
        )
    per_arch = {"train_time": _numeric(frame, train_time, source)}
    for suffix, metric in OPTIONAL_METRICS.items():
        if _name(prefix, suffix) in frame.columns:
            per_arch[metric] = _numeric(frame, _name(prefix, suffix), source)
    keys = _op_keys(frame, column, source)
    k = len(seed_ids)
    records = pd.DataFrame({
        "op_key": np.repeat(keys, k),
        "seed": np.tile(seed_ids, len(keys)),
        "val_acc": val_acc.ravel(),
        **{metric: np.repeat(values, k) for metric, values in per_arch.items()},
    })
    return benchmark_from_records(records, name=path.stem, dataset=dataset, source=source)


def read_table(path: Path) -> pd.DataFrame:
    """The raw table at ``path``; architecture columns of a CSV are kept as text."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", *PARQUET_SUFFIXES):
        raise BenchmarkDataError(f"{path}: a benchmark table must be .csv, .parquet or .pq")
    if not path.is_file():
        raise BenchmarkDataError(f"benchmark table {path} does not exist")
    if suffix in PARQUET_SUFFIXES and importlib.util.find_spec("pyarrow") is None:
        raise BenchmarkDataError(
            f"reading {path} needs pyarrow: pip install 'naslab[parquet]'"
        )
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype={c: str for c in ARCH_COLUMNS})
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pandas' parser, decoding and Arrow errors
        reason = " ".join(str(exc).split())
        raise BenchmarkDataError(f"cannot read {path}: {type(exc).__name__}: {reason}") from None


def _name(prefix: str, metric: str) -> str:
    return f"{prefix}_{metric}" if prefix else metric


def _arch_column(frame: pd.DataFrame, source: str) -> str:
    column = next((c for c in ARCH_COLUMNS if c in frame.columns), None)
    if column is None:
        raise BenchmarkDataError(
            f"{source} has no architecture column; name one {', '.join(ARCH_COLUMNS)} "
            f"(columns found: {', '.join(map(str, frame.columns))})"
        )
    return column


def _op_keys(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """The op key of every row of ``column``, checked to name each architecture once."""
    keys = []
    for row, value in enumerate(frame[column].tolist(), start=1):
        try:
            if pd.isna(value):
                raise InvalidArchitectureError("the cell is empty")
            text = str(value).strip()
            if column == "op_key":
                arch = _SPACE.from_op_key(text.zfill(len(_SPACE.positions)))
            else:
                arch = _SPACE.parse(text)
        except InvalidArchitectureError as exc:
            raise BenchmarkDataError(f"{source}, row {row}, column {column!r}: {exc}") from None
        keys.append(_SPACE.op_key(arch))
    series = pd.Series(keys)
    twice = series.duplicated(keep=False)
    if twice.any():
        key = series[twice].iloc[0]
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(series == key))
        raise BenchmarkDataError(
            f"{source}: architecture {_SPACE.from_op_key(key)} appears in rows {rows}; give each "
            "architecture one row (seeds go in <prefix>_valid_seed<i> columns)"
        )
    return series.to_numpy()


def _seed_columns(frame: pd.DataFrame, prefix: str) -> dict[int, str]:
    pattern = re.compile(re.escape(_name(prefix, "valid_seed")) + r"(\d+)")
    found = [(int(m[1]), c) for c in map(str, frame.columns) if (m := pattern.fullmatch(c))]
    return dict(sorted(found))


def _prefix(frame: pd.DataFrame, dataset: str, source: str) -> str:
    """The first of ``dataset``'s column prefixes that has a validation column."""
    prefixes = (dataset, SHORT_PREFIXES[dataset], "")
    for prefix in prefixes:
        if _name(prefix, "valid") in frame.columns or _seed_columns(frame, prefix):
            return prefix
    tried = ", ".join(_name(p, "valid") for p in prefixes)
    raise BenchmarkDataError(
        f"{source} has no validation column for {dataset}: expected one of {tried} (seed-mean "
        f"%) or per-seed {_name(prefixes[1], 'valid_seed0')}, ...; "
        f"columns found: {', '.join(map(str, frame.columns))}"
    )


def _validation(frame: pd.DataFrame, prefix: str, source: str) -> tuple[list[int], np.ndarray]:
    """The seed ids and the ``(rows, seeds)`` validation accuracies under ``prefix``."""
    seeds = _seed_columns(frame, prefix)
    if not seeds:
        return [0], _numeric(frame, _name(prefix, "valid"), source)[:, None]
    acc = np.column_stack([_numeric(frame, c, source, allow_nan=True) for c in seeds.values()])
    empty = np.flatnonzero(np.isnan(acc).all(axis=1))
    if empty.size:
        raise BenchmarkDataError(
            f"{source}: {empty.size} rows have no value in any of {', '.join(seeds.values())}, "
            f"e.g. row {empty[0] + 1}"
        )
    return list(seeds), acc


def _numeric(frame: pd.DataFrame, column: str, source: str, allow_nan: bool = False) -> np.ndarray:
    """``column`` as floats; text, infinities and (unless ``allow_nan``) gaps are errors."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text = np.flatnonzero(np.isnan(values) & raw.notna().to_numpy())
    if text.size:
        row = int(text[0])
        raise BenchmarkDataError(
            f"{source}: column {column!r} must hold numbers, got {raw.iloc[row]!r} in row {row + 1}"
        )
    bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
    if bad.any():
        raise BenchmarkDataError(
            f"{source}: column {column!r} has {int(bad.sum())} missing or infinite values, "
            f"e.g. in row {int(np.flatnonzero(bad)[0]) + 1}; every architecture needs a number"
        )
    return values
