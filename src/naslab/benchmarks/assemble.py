"""Build a :class:`TabularBenchmark` from long-form records: one row per (architecture, seed).

Both file loaders (official NATS-Bench files, user tables) reduce their input to
this one shape, so the checks that make a table trustworthy (every architecture
present, no (architecture, seed) twice) live in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from naslab.benchmarks.table import TabularBenchmark
from naslab.errors import BenchmarkDataError
from naslab.spaces.nb201 import NB201Space

#: Optional per-architecture metrics carried into ``TabularBenchmark.extra`` when present.
EXTRA_METRICS: tuple[str, ...] = ("test_acc", "params_mb", "latency", "flops")
RECORD_COLUMNS: tuple[str, ...] = ("op_key", "seed", "val_acc", "train_time")


def benchmark_from_records(
    records: pd.DataFrame, *, name: str, dataset: str, source: str
) -> TabularBenchmark:
    """The NB201 benchmark whose results ``records`` lists.

    ``records`` has one row per (architecture, training seed) with columns
    ``op_key`` (6-digit NB201 key), ``seed``, ``val_acc`` (percent, NaN for a
    missing run) and ``train_time`` (seconds), plus any of :data:`EXTRA_METRICS`.
    Seeds become the columns of ``val_acc`` in sorted order (NaN where an
    architecture lacks that seed); the other metrics are averaged over an
    architecture's seeds. ``source`` names the input in error messages.
    """
    absent = [c for c in RECORD_COLUMNS if c not in records.columns]
    if absent:
        raise BenchmarkDataError(f"{source}: records lack column(s) {', '.join(absent)}")
    space = NB201Space()
    n = len(space)
    keys = records["op_key"].astype(str)
    index_of = {k: space.index(space.from_op_key(k)) for k in pd.unique(keys)}
    rows = keys.map(index_of).to_numpy(dtype=np.int64)
    seeds, seed_col = np.unique(records["seed"].to_numpy(), return_inverse=True)

    cell = rows * len(seeds) + seed_col
    unique_cells, counts = np.unique(cell, return_counts=True)
    if (counts > 1).any():
        twice = int(unique_cells[np.argmax(counts > 1)])
        arch = space.from_index(twice // len(seeds))
        raise BenchmarkDataError(
            f"{source}: architecture {arch} has seed {seeds[twice % len(seeds)]} "
            "recorded more than once"
        )

    val_acc = np.full((n, len(seeds)), np.nan)
    val_acc[rows, seed_col] = records["val_acc"].to_numpy(dtype=float)
    missing = np.flatnonzero(~np.isfinite(val_acc).any(axis=1))
    if missing.size:
        raise BenchmarkDataError(
            f"{source}: {missing.size} of {n} NB201 architectures are missing (no validation "
            f"accuracy for {dataset}), e.g. {space.from_index(int(missing[0]))}"
        )

    metrics = ["train_time", *(m for m in EXTRA_METRICS if m in records.columns)]
    per_arch = records[metrics].astype(float).groupby(rows).mean().reindex(range(n))
    extra = {m: per_arch[m].to_numpy() for m in metrics[1:]}
    return TabularBenchmark(name, dataset, space, val_acc, per_arch["train_time"].to_numpy(), extra)
