"""Per-trial search trajectories: what a strategy had found after each query.

The tidy evaluations table (one row per query) becomes a trajectory by adding,
per trial (strategy, dataset, seed) in step order, the running best observed
value and the architecture the strategy would return at that point together
with its ground truth from the benchmark table, where the dataset has one.
Strategies minimise ``value``; every added value column is in the searched
metric's own units (:meth:`Metric.display`), so a search for accuracy reads
accuracies.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from typing import Protocol

import numpy as np
import pandas as pd

from naslab.errors import ConfigError
from naslab.observation import Metric
from naslab.spaces.base import Architecture, SearchSpace

#: The columns that identify one trial: one seeded run of one strategy on one dataset.
TRIAL: tuple[str, ...] = ("strategy", "dataset", "seed")
REQUIRED: tuple[str, ...] = (*TRIAL, "step", "arch", "value", "cost")
#: Ground-truth columns of the incumbent and the benchmark method that gives each.
GROUND_TRUTH: dict[str, str] = {
    "incumbent_true": "true_value",
    "incumbent_regret": "regret",
    "incumbent_test": "test_value",
    "incumbent_percentile": "percentile",
}
#: Columns that hold values of the searched metric (the others are gaps and percents).
METRIC_COLUMNS: tuple[str, ...] = (
    "best_observed", "incumbent_observed", "incumbent_true", "incumbent_test"
)
#: The metric of a study with neither a benchmark nor a declared metric: the raw value.
UNNAMED = Metric("objective value")


class GroundTruth(Protocol):
    """What analysis reads from a benchmark: the searched metric and each architecture's truth.

    Values are the minimised ones (``value`` of an observation); ``regret`` is a gap >= 0.
    """

    @property
    def name(self) -> str: ...
    @property
    def dataset(self) -> str: ...
    @property
    def space(self) -> SearchSpace: ...
    @property
    def metric(self) -> Metric: ...

    def true_value(self, arch: Architecture) -> float: ...
    def regret(self, arch: Architecture) -> float: ...
    def percentile(self, arch: Architecture) -> float: ...
    def test_value(self, arch: Architecture) -> float | None: ...

    @property
    def optimum(self) -> Architecture: ...
    @property
    def optimum_value(self) -> float: ...
    @property
    def has_test(self) -> bool: ...
    @property
    def n_archs(self) -> int: ...
    @property
    def space_size(self) -> float: ...
    @property
    def has_cost(self) -> bool: ...


def study_metric(benchmarks: Mapping[str, GroundTruth], metric: Metric | None = None) -> Metric:
    """The one metric the study searched: ``metric`` if given, else its benchmarks' own.

    One report compares datasets side by side, so they must share a metric.
    """
    metrics = {b.metric for b in benchmarks.values()} | ({metric} if metric else set())
    if len(metrics) > 1:
        names = ", ".join(sorted(f"{m.name} ({m.goal})" for m in metrics))
        raise ConfigError(f"the datasets were searched on different metrics ({names}); "
                          "report them separately")
    return metrics.pop() if metrics else UNNAMED


def add_trajectories(
    evals: pd.DataFrame, benchmarks: Mapping[str, GroundTruth], metric: Metric | None = None
) -> pd.DataFrame:
    """``evals`` sorted by trial then step, with the trajectory columns added.

    Per trial, in step order:

    - ``query``: 1-based count of queries so far; ``cum_cost``: their summed cost;
    - ``best_observed``: the best ``value`` so far, the metric the papers plot
      (seed 000, Table 2 and Figure 3);
    - ``incumbent``: the architecture the strategy would return now, the one with
      the lowest *mean* observed value over its observations so far (ties: the one
      first queried earliest), and ``incumbent_observed``, that mean;
    - ``incumbent_true`` / ``_regret`` / ``_test`` / ``_percentile``: its true
      (seed-mean) value, the gap to the global optimum, its test value (NaN where
      the table has none) and the percent of the space better than it; NaN for a
      dataset with no benchmark in ``benchmarks`` (an objective without ground truth).

    Why both metrics: under 'sample' noise a re-query of a good architecture can
    draw a luckier training seed, which improves ``best_observed`` without finding
    anything better. The incumbent's true value is the honest measure of the search.

    ``metric`` names what was searched where no benchmark says it (see
    :func:`study_metric`). Architectures are compared by their canonical string,
    so only incumbents are parsed (once per dataset and string) for their truth.
    """
    missing = [c for c in REQUIRED if c not in evals.columns]
    if missing:
        raise ConfigError(
            f"the evaluations table lacks columns {', '.join(missing)}; "
            f"required: {', '.join(REQUIRED)}"
        )
    if evals.empty:
        raise ConfigError("the evaluations table is empty; run a study before analysing it")
    shown = study_metric(benchmarks, metric)

    trial = evals.groupby(list(TRIAL), sort=False).ngroup().to_numpy()
    order = np.lexsort((evals["step"].to_numpy(), trial))
    out = evals.iloc[order].reset_index(drop=True)
    trial = trial[order]
    groups = out.groupby(trial, sort=False)
    out["query"] = groups.cumcount().to_numpy() + 1
    out["cum_cost"] = groups["cost"].cumsum().to_numpy()
    out["best_observed"] = groups["value"].cummin().groupby(trial, sort=False).ffill().to_numpy()

    journaled = out["recommended"] if "recommended" in out.columns else out["arch"].iloc[:0]
    codes, arch_names = pd.factorize(pd.concat([out["arch"], journaled], ignore_index=True))
    arch_code, recommended = codes[: len(out)], codes[len(out):]
    values = out["value"].to_numpy(dtype=float)
    incumbent, incumbent_mean = _incumbents(
        trial, arch_code, values, recommended if len(recommended) else None
    )
    out["incumbent"] = np.where(incumbent >= 0, arch_names.to_numpy()[incumbent], None)
    out["incumbent_observed"] = incumbent_mean
    truth = _ground_truth(out["dataset"], out["incumbent"], benchmarks)
    for column in GROUND_TRUTH:
        out[column] = truth[column]
    for column in METRIC_COLUMNS:
        out[column] = shown.display(out[column].to_numpy(dtype=float))
    return out


def _incumbents(
    trial: np.ndarray, arch: np.ndarray, value: np.ndarray, recommended: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, code and mean observed value of the architecture the strategy returns.

    That is the journaled ``recommended`` architecture (the strategy's own answer)
    where the journal has one, else the one with the lowest mean so far in its
    trial, the default rule of ``Strategy.recommend``. -1 and NaN before a trial's
    first finite value (failed evaluations, NaN, are not observations). A heap of
    (mean, first-seen row, count, arch) whose stale entries are dropped lazily
    keeps this O(n log n) even when the incumbent is re-queried and its mean rises.
    """
    codes = np.full(len(arch), -1, dtype=np.int64)
    means = np.full(len(arch), np.nan)
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
        if recommended is not None and recommended[row] >= 0:
            r = int(recommended[row])
            codes[row] = r
            means[row] = sums[r] / counts[r] if r in counts else np.nan
        elif heap:
            means[row], codes[row] = heap[0][0], heap[0][3]
    return codes, means


def _ground_truth(
    datasets: pd.Series, incumbents: pd.Series, benchmarks: Mapping[str, GroundTruth]
) -> dict[str, np.ndarray]:
    """The :data:`GROUND_TRUTH` columns, looked up once per distinct (dataset, incumbent).

    NaN where there is no incumbent yet or the dataset has no benchmark.
    """
    known = (incumbents.notna() & datasets.isin(list(benchmarks))).to_numpy()
    pair_code, pairs = pd.MultiIndex.from_arrays([datasets[known], incumbents[known]]).factorize()
    values = np.full((len(pairs) + 1, len(GROUND_TRUTH)), np.nan)  # last row: no truth
    for i, (dataset, text) in enumerate(pairs):
        bench = benchmarks[dataset]
        arch = bench.space.parse(text)
        for j, method in enumerate(GROUND_TRUTH.values()):
            result = getattr(bench, method)(arch)
            values[i, j] = np.nan if result is None else result
    rows = np.full(len(incumbents), len(pairs))
    rows[known] = pair_code
    return {column: values[rows, j] for j, column in enumerate(GROUND_TRUTH)}
