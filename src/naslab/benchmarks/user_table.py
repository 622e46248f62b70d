"""A user's own results table of any space (CSV, or Parquet with ``pip install 'naslab[parquet]'``).

One row per architecture (per dataset), in one of two layouts:

- **wide**: the columns of dataset D are named ``{P}_<stem>``, where P is the
  first of D's prefixes that has the searched metric: D itself, its NB201 short
  alias (cifar10: ``c10v``, cifar100: ``c100``, imagenet16-120: ``in16``), or
  none at all (``valid``, ``train_time``, ...) for a single-dataset table;
- **long**: a ``dataset`` column says which dataset a row belongs to, and the
  other columns have no prefix.

Columns:

- The architecture: the first present of ``arch_str``, ``arch``, ``architecture``
  (the space's canonical string), ``op_key`` (NB201's 6 digits; leading zeros a
  spreadsheet dropped are restored), or else one column per position, named
  after it (``-`` or empty where a position is inactive). A text column that is
  none of these names no position and is refused.
- The searched metric ``<stem>`` (default ``valid``: validation accuracy in %,
  shown as validation error): ``<stem>_seed<i>`` per training seed (empty where
  an architecture lacks that seed) or ``<stem>`` (the seed mean). Per-seed
  columns win, since they let a search see the seed noise. Required.
- The cost of a query: ``train_time`` or ``cost`` (seconds, >= 0). Optional:
  without one every query costs 1 and only query budgets are allowed.
- ``test``: the test score in the searched metric's units. Optional, never
  shown to the search; it adds the incumbent's test score to the report.
- Every further numeric column of the dataset (params, latency, FLOPs, ...) is
  carried into each query's metrics and the tidy table.

Rows may cover only part of the space; the space is then restricted to them.
Errors name the row (counted from 1 after the header) and the column.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naslab.benchmarks.assemble import benchmark_from_records
from naslab.benchmarks.datasets import canonical_dataset
from naslab.benchmarks.table import TabularBenchmark
from naslab.errors import BenchmarkDataError, InvalidArchitectureError, excerpt
from naslab.observation import VALIDATION_ERROR, Metric
from naslab.spaces.base import Architecture, SearchSpace
from naslab.spaces.nb201 import NB201Space

ARCH_COLUMNS: tuple[str, ...] = ("arch_str", "arch", "architecture", "op_key")
DATASET_COLUMN = "dataset"
#: Columns that are bookkeeping, not results (NB201's official index).
IGNORED_COLUMNS: tuple[str, ...] = ("index",)
SHORT_PREFIXES: dict[str, str] = {"cifar10": "c10v", "cifar100": "c100", "imagenet16-120": "in16"}
COST_STEMS: tuple[str, ...] = ("train_time", "cost")
#: The default searched column: validation accuracy in percent, shown as validation error.
ACCURACY_COLUMN = "valid"
PARQUET_SUFFIXES = (".parquet", ".pq")


def load_user_table(
    path: Path, dataset: str, space: SearchSpace | None = None, metric: Metric = VALIDATION_ERROR
) -> TabularBenchmark:
    """The benchmark that the table at ``path`` records for ``dataset`` (format: module doc).

    ``space`` defaults to NB201; ``metric`` says which column is searched and how.
    """
    path = Path(path)
    space = space if space is not None else NB201Space()
    dataset = canonical_dataset(dataset)
    frame = read_table(path)
    source = str(path)
    if DATASET_COLUMN in frame.columns:  # row numbers then count that dataset's rows
        frame = _rows_of(frame, dataset, source)
        source = f"{path} (rows of dataset {dataset!r})"
    stem = ACCURACY_COLUMN if metric.complement is not None else metric.key
    columns = _Columns(frame, dataset, stem, source)
    archs = _architectures(frame, space, source)
    seed_ids, scores = columns.scores()
    if metric.complement is not None:
        _check_range(scores, columns.score_names, 0.0, metric.complement, source, "percentages")
    per_arch = columns.per_architecture(skip={*ARCH_COLUMNS, *space.positions})
    if metric.complement is not None and "test" in per_arch:
        _check_range(per_arch["test"][:, None], [columns.name("test")], 0.0, metric.complement,
                     source, "percentages")
    k = len(seed_ids)
    records = pd.DataFrame({
        "arch": np.repeat(np.array(archs, dtype=object), k),
        "seed": np.tile(seed_ids, len(archs)),
        "score": scores.ravel(),
        **{name: np.repeat(values, k) for name, values in per_arch.items()},
    })
    return benchmark_from_records(
        records, space=space, name=path.stem, dataset=dataset, source=source, metric=metric
    )


def read_table(path: Path) -> pd.DataFrame:
    """The raw table at ``path``; text-looking columns of a CSV are kept as text."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", *PARQUET_SUFFIXES):
        raise BenchmarkDataError(f"{path}: a benchmark table must be .csv, .parquet or .pq")
    if not path.is_file():
        raise BenchmarkDataError(f"benchmark table {path} does not exist")
    if suffix in PARQUET_SUFFIXES and importlib.util.find_spec("pyarrow") is None:
        raise BenchmarkDataError(f"reading {path} needs pyarrow: pip install 'naslab[parquet]'")
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype={c: str for c in (*ARCH_COLUMNS, DATASET_COLUMN)})
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pandas' parser, decoding and Arrow errors
        reason = " ".join(str(exc).split())
        raise BenchmarkDataError(f"cannot read {path}: {type(exc).__name__}: {reason}") from None


def _rows_of(frame: pd.DataFrame, dataset: str, source: str) -> pd.DataFrame:
    """The rows of ``dataset`` in a long table (one with a dataset column), renumbered."""
    names = frame[DATASET_COLUMN].astype(str).map(canonical_dataset)
    rows = frame[names == dataset].drop(columns=DATASET_COLUMN)
    if rows.empty:
        raise BenchmarkDataError(
            f"{source} has no rows for dataset {dataset!r}; its dataset column holds "
            f"{', '.join(map(str, pd.unique(names)))}"
        )
    return rows.reset_index(drop=True)


class _Columns:
    """The result columns of one dataset in ``frame``: which exist, read and checked."""

    def __init__(self, frame: pd.DataFrame, dataset: str, stem: str, source: str) -> None:
        self.frame, self.stem, self.source = frame, stem, source
        prefixes = [p for p in (dataset, SHORT_PREFIXES.get(dataset), "") if p is not None]
        for prefix in prefixes:
            self.prefix = prefix
            if self.name(stem) in frame.columns or self.seed_columns():
                return
        tried = ", ".join(f"{_join(p, stem)} or {_join(p, stem)}_seed<i>" for p in prefixes)
        raise BenchmarkDataError(
            f"{source} has no {stem!r} column for dataset {dataset!r}: expected {tried}; "
            f"columns found: {', '.join(map(str, frame.columns))}"
        )

    def name(self, stem: str) -> str:
        return _join(self.prefix, stem)

    def seed_columns(self) -> dict[int, str]:
        pattern = re.compile(re.escape(self.name(f"{self.stem}_seed")) + r"(\d+)")
        columns = map(str, self.frame.columns)
        found = [(int(m[1]), c) for c in columns if (m := pattern.fullmatch(c))]
        return dict(sorted(found))

    @property
    def score_names(self) -> list[str]:
        return list(self.seed_columns().values()) or [self.name(self.stem)]

    def scores(self) -> tuple[list[int], np.ndarray]:
        """The seed ids and the ``(rows, seeds)`` scores of the searched metric."""
        seeds = self.seed_columns()
        if not seeds:
            return [0], _numeric(self.frame, self.name(self.stem), self.source)[:, None]
        scores = np.column_stack(
            [_numeric(self.frame, c, self.source, allow_nan=True) for c in seeds.values()]
        )
        empty = np.flatnonzero(np.isnan(scores).all(axis=1))
        if empty.size:
            raise BenchmarkDataError(
                f"{self.source}, row {empty[0] + 1}: no value in any of "
                f"{', '.join(seeds.values())} ({empty.size} rows like it)"
            )
        return list(seeds), scores

    def per_architecture(self, skip: set[str]) -> dict[str, np.ndarray]:
        """``cost`` and ``test`` where present, then every further column of the dataset (which
        must hold numbers; gaps allowed), except the architecture columns ``skip``."""
        out: dict[str, np.ndarray] = {}
        cost = next((self.name(s) for s in COST_STEMS if self.name(s) in self.frame.columns), None)
        if cost is not None:
            out["cost"] = _numeric(self.frame, cost, self.source)
            negative = np.flatnonzero(out["cost"] < 0)
            if negative.size:
                row = int(negative[0])
                raise BenchmarkDataError(
                    f"{self.source}, row {row + 1}, column {cost!r}: a cost must be >= 0, "
                    f"got {out['cost'][row]:g}"
                )
        if self.name("test") in self.frame.columns:
            out["test"] = _numeric(self.frame, self.name("test"), self.source)
        taken = {*self.score_names, cost, self.name("test"), *skip}
        for column in map(str, self.frame.columns):
            metric = self._own(column)
            if column in taken or metric is None or metric in IGNORED_COLUMNS:
                continue
            out[metric] = _numeric(self.frame, column, self.source, allow_nan=True)
        return out

    def _own(self, column: str) -> str | None:
        """The metric name of ``column`` if it belongs to this dataset's prefix."""
        if not self.prefix:
            return column
        head = f"{self.prefix}_"
        return column[len(head):] if column.startswith(head) else None


def _join(prefix: str, stem: str) -> str:
    return f"{prefix}_{stem}" if prefix else stem


def _architectures(frame: pd.DataFrame, space: SearchSpace, source: str) -> list[Architecture]:
    """The architecture of every row, from an architecture column or one column per position."""
    column = next((c for c in ARCH_COLUMNS if c in frame.columns), None)
    if column == "op_key" and not isinstance(getattr(space, "base", space), NB201Space):
        column = None
    archs: list[Architecture] = []
    if column is not None:
        for row, value in enumerate(frame[column].tolist(), start=1):
            archs.append(_read_one(space, column, value, source, row))
    else:
        positions = _position_columns(frame, space, source)
        for row, names in enumerate(frame[positions].itertuples(index=False), start=1):
            try:
                archs.append(space.from_names(list(names)))  # type: ignore[attr-defined]
            except InvalidArchitectureError as exc:
                raise BenchmarkDataError(f"{source}, row {row}: {exc}") from None
    _refuse_duplicates(archs, source)
    return archs


def _read_one(
    space: SearchSpace, column: str, value: object, source: str, row: int
) -> Architecture:
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            raise InvalidArchitectureError("the cell is empty")
        text = str(value).strip()
        if column == "op_key":
            nb201: Any = getattr(space, "base", space)
            return nb201.from_op_key(text.zfill(len(space.positions)))
        return space.parse(text)
    except InvalidArchitectureError as exc:
        raise BenchmarkDataError(f"{source}, row {row}, column {column!r}: {exc}") from None


def _position_columns(frame: pd.DataFrame, space: SearchSpace, source: str) -> list[str]:
    """The position columns, checked: all present, and no other text column."""
    missing = [p for p in space.positions if p not in frame.columns]
    if missing:
        raise BenchmarkDataError(
            f"{source} has no architecture column: name one {', '.join(ARCH_COLUMNS[:3])} "
            f"(canonical strings of space {space.name!r}) or give one column per position; "
            f"missing position column(s): {', '.join(missing)}"
        )
    if not hasattr(space, "from_names"):
        raise BenchmarkDataError(
            f"{source}: space {space.name!r} reads architectures only from an arch column"
        )
    for column in map(str, frame.columns):
        if column in space.positions or pd.to_numeric(frame[column], errors="coerce").notna().any():
            continue  # a position, or a metric column (whose stray text is reported by row)
        text = frame[column].dropna()
        example = f" (row {int(np.flatnonzero(frame[column].notna())[0]) + 1}: " \
                  f"{excerpt(text.iloc[0], 30)})" if len(text) else ""
        raise BenchmarkDataError(
            f"{source}, column {column!r}: holds text{example} but is no position of space "
            f"{space.name!r} (positions: {', '.join(space.positions)}) and no metric"
        )
    return list(space.positions)


def _refuse_duplicates(archs: list[Architecture], source: str) -> None:
    first: dict[Architecture, int] = {}
    for row, arch in enumerate(archs, start=1):
        earlier = first.setdefault(arch, row)
        if earlier != row:
            raise BenchmarkDataError(
                f"{source}: architecture {arch} appears in rows {earlier} and {row}; give each "
                "architecture one row per dataset (seeds go in <metric>_seed<i> columns)"
            )


def _numeric(frame: pd.DataFrame, column: str, source: str, allow_nan: bool = False) -> np.ndarray:
    """``column`` as floats; text, infinities and (unless ``allow_nan``) gaps are errors."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text = np.flatnonzero(np.isnan(values) & raw.notna().to_numpy())
    if text.size:
        row = int(text[0])
        raise BenchmarkDataError(
            f"{source}, row {row + 1}, column {column!r}: must hold a number, got "
            f"{excerpt(raw.iloc[row], 30)}"
        )
    bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise BenchmarkDataError(
            f"{source}, row {row + 1}, column {column!r}: missing or infinite value "
            f"({int(bad.sum())} in the column); every architecture needs a number"
        )
    return values


def _check_range(
    values: np.ndarray, columns: list[str], low: float, high: float, source: str, what: str
) -> None:
    """Refuse values outside [low, high] (e.g. an accuracy of 250 %), naming row and column."""
    bad = np.argwhere(np.isfinite(values) & ((values < low) | (values > high)))
    if bad.size:
        row, col = (int(i) for i in bad[0])
        raise BenchmarkDataError(
            f"{source}, row {row + 1}, column {columns[col]!r}: {values[row, col]:g} is out of "
            f"range; {what} lie in {low:g}..{high:g}"
        )
