"""Build a :class:`TabularBenchmark` from long-form records: one row per (architecture, seed).

Every file loader (official NATS-Bench files, user tables) reduces its input to
this one shape, so the checks that make a table trustworthy (no (architecture,
seed) twice, a score for every architecture, every architecture present where
the format promises it) live in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from naslab.benchmarks.table import TabularBenchmark
from naslab.errors import BenchmarkDataError
from naslab.observation import VALIDATION_ERROR, Metric
from naslab.spaces.base import SearchSpace

#: Columns every record has; ``cost`` and ``test`` are optional, any other column is an extra.
RECORD_COLUMNS: tuple[str, ...] = ("arch", "seed", "score")
OPTIONAL_COLUMNS: tuple[str, ...] = ("cost", "test")


def benchmark_from_records(
    records: pd.DataFrame,
    *,
    space: SearchSpace,
    name: str,
    dataset: str,
    source: str,
    metric: Metric = VALIDATION_ERROR,
    complete: bool = False,
) -> TabularBenchmark:
    """The benchmark whose results ``records`` lists.

    ``records`` has one row per (architecture, training seed): ``arch`` (an
    Architecture of ``space``), ``seed``, ``score`` (the searched metric's raw
    value, NaN for a missing run), optionally ``cost`` and ``test``, and any
    further numeric columns, which become the table's extras (a column with no
    value at all is dropped). Per-architecture
    columns are averaged over its seeds. Rows follow the space's index order
    where it has one, else first appearance. ``complete`` demands every
    architecture of the space; ``source`` names the input in error messages.
    """
    absent = [c for c in RECORD_COLUMNS if c not in records.columns]
    if absent:
        raise BenchmarkDataError(f"{source}: records lack column(s) {', '.join(absent)}")
    codes, archs = pd.factorize(records["arch"])
    archs = list(archs)
    order = _row_order(space, archs)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    rows = rank[codes]
    archs = [archs[i] for i in order]
    if complete and len(archs) < len(space):
        raise BenchmarkDataError(
            f"{source}: {len(space) - len(archs)} of {len(space)} {space.name} architectures are "
            f"missing (no {metric.key} for {dataset})"
        )
    seeds, seed_col = np.unique(records["seed"].to_numpy(), return_inverse=True)
    cell = rows * len(seeds) + seed_col
    unique_cells, counts = np.unique(cell, return_counts=True)
    if (counts > 1).any():
        twice = int(unique_cells[np.argmax(counts > 1)])
        raise BenchmarkDataError(
            f"{source}: architecture {archs[twice // len(seeds)]} has seed "
            f"{seeds[twice % len(seeds)]} recorded more than once"
        )
    scores = np.full((len(archs), len(seeds)), np.nan)
    scores[rows, seed_col] = records["score"].to_numpy(dtype=float)
    columns = [
        c for c in records.columns if c not in RECORD_COLUMNS and records[c].notna().any()
    ]
    per_arch = records[columns].astype(float).groupby(rows).mean().reindex(range(len(archs)))
    arrays = {c: per_arch[c].to_numpy() for c in columns}
    return TabularBenchmark(
        name, dataset, space, archs, scores,
        cost=arrays.pop("cost", None), test_scores=arrays.pop("test", None),
        extra=arrays, metric=metric,
    )


def _row_order(space: SearchSpace, archs: list) -> np.ndarray:
    """Indices that put ``archs`` in the space's index order, where it numbers them."""
    index = getattr(space, "index", None)
    if index is None or getattr(space, "conditional", False):
        return np.arange(len(archs))
    return np.argsort([index(a) for a in archs], kind="stable")
