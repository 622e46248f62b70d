"""Per-trial search trajectories: what a strategy had found after each query.

The tidy evaluations table (one row per query) becomes a trajectory by adding,
per trial (strategy, dataset, seed) in step order, the running best observed
value and the architecture the strategy would return at that point together
with its ground truth from the benchmark table.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from naslab.benchmarks.table import TabularBenchmark
from naslab.errors import BenchmarkDataError, ConfigError

#: The columns that identify one trial: one seeded run of one strategy on one dataset.
TRIAL: tuple[str, ...] = ("strategy", "dataset", "seed")
REQUIRED: tuple[str, ...] = (*TRIAL, "step", "arch", "value", "cost")
#: Ground-truth columns of the incumbent and the benchmark method that gives each.
GROUND_TRUTH: dict[str, str] = {
    "incumbent_true_error": "true_value",
    "incumbent_regret": "regret",
    "incumbent_test_error": "test_value",
    "incumbent_percentile": "percentile",
}


def add_trajectories(
    evals: pd.DataFrame, benchmarks: Mapping[str, TabularBenchmark]
) -> pd.DataFrame:
    """``evals`` sorted by trial then step, with the trajectory columns added.

    Per trial, in step order:

    - ``query``: 1-based count of queries so far; ``cum_cost``: their summed cost;
    - ``best_observed``: running minimum of ``value``, the metric the papers plot
      (seed 000, Table 2 and Figure 3);
    - ``incumbent``: the architecture the strategy would return now, the one with
      the lowest *mean* observed value over its observations so far (ties: the one
      first queried earliest);
    - ``incumbent_true_error`` / ``_regret`` / ``_test_error`` / ``_percentile``:
      its seed-mean validation error, the gap to the global optimum, its test error
      (NaN where the table has none) and the percent of the space better than it.

    Why both metrics: under 'sample' noise a re-query of a good architecture can
    draw a luckier training seed, which lowers ``best_observed`` without finding
    anything better. The incumbent's true error is the honest measure of the search.

    Architectures are compared by their canonical string, so only incumbents are
    parsed (once per dataset and string) to look up their ground truth.
    """
    missing = [c for c in REQUIRED if c not in evals.columns]
    if missing:
        raise ConfigError(
            f"the evaluations table lacks columns {', '.join(missing)}; "
            f"required: {', '.join(REQUIRED)}"
        )
    if evals.empty:
        raise ConfigError("the evaluations table is empty; run a study before analysing it")
    unknown = sorted(set(evals["dataset"]) - set(benchmarks))
    if unknown:
        raise BenchmarkDataError(
            f"no benchmark given for dataset(s) {', '.join(map(str, unknown))}; "
            f"have: {', '.join(benchmarks) or 'none'}"
        )

    trial = evals.groupby(list(TRIAL), sort=False).ngroup().to_numpy()
    order = np.lexsort((evals["step"].to_numpy(), trial))
    out = evals.iloc[order].reset_index(drop=True)
    trial = trial[order]
    groups = out.groupby(trial, sort=False)
    out["query"] = groups.cumcount().to_numpy() + 1
    out["cum_cost"] = groups["cost"].cumsum().to_numpy()
    out["best_observed"] = groups["value"].cummin().groupby(trial, sort=False).ffill().to_numpy()

    arch_code, arch_names = pd.factorize(out["arch"])
    incumbent = _incumbent_codes(trial, arch_code, out["value"].to_numpy(dtype=float))
    out["incumbent"] = np.where(incumbent >= 0, arch_names.to_numpy()[incumbent], None)
    truth = _ground_truth(out["dataset"], out["incumbent"], benchmarks)
    for column in GROUND_TRUTH:
        out[column] = truth[column]
    return out


def _incumbent_codes(trial: np.ndarray, arch: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Per row, the code of the architecture with the lowest mean value so far in its trial.

    -1 before a trial's first finite value (failed evaluations, NaN, are not
    observations). A heap of (mean, first-seen row, count, arch) whose stale
    entries are dropped lazily keeps this O(n log n) even when the incumbent is
    re-queried and its mean rises.
    """
    result = np.full(len(arch), -1, dtype=np.int64)
    sums: dict[int, float] = {}
    counts: dict[int, int] = {}
    first: dict[int, int] = {}
    heap: list[tuple[float, int, int, int]] = []
    current = -1
    rows = zip(trial.tolist(), arch.tolist(), value.tolist(), strict=True)
    for row, (t, a, v) in enumerate(rows):
        if t != current:
            current, sums, counts, first, heap = t, {}, {}, {}, []
        if math.isfinite(v):
            first.setdefault(a, row)
            sums[a] = sums.get(a, 0.0) + v
            counts[a] = counts.get(a, 0) + 1
            heapq.heappush(heap, (sums[a] / counts[a], first[a], counts[a], a))
            while heap[0][2] != counts[heap[0][3]]:  # the older mean of a re-queried arch
                heapq.heappop(heap)
        if heap:
            result[row] = heap[0][3]
    return result


def _ground_truth(
    datasets: pd.Series, incumbents: pd.Series, benchmarks: Mapping[str, TabularBenchmark]
) -> dict[str, np.ndarray]:
    """The :data:`GROUND_TRUTH` columns, looked up once per distinct (dataset, incumbent)."""
    known = incumbents.notna().to_numpy()
    pair_code, pairs = pd.MultiIndex.from_arrays([datasets[known], incumbents[known]]).factorize()
    values = np.full((len(pairs) + 1, len(GROUND_TRUTH)), np.nan)  # last row: no incumbent
    for i, (dataset, text) in enumerate(pairs):
        bench = benchmarks[dataset]
        arch = bench.space.parse(text)
        for j, method in enumerate(GROUND_TRUTH.values()):
            result = getattr(bench, method)(arch)
            values[i, j] = np.nan if result is None else result
    rows = np.full(len(incumbents), len(pairs))
    rows[known] = pair_code
    return {column: values[rows, j] for j, column in enumerate(GROUND_TRUTH)}
