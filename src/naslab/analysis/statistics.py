"""Statistics over seeds: end-of-budget summaries, rank tests between strategies.

The protocol follows the source papers: every strategy is run over many seeds
and compared with random search (seed 001, section 3.1.1), results are reported as
mean ± 1 standard error over seeds (seed 000, Table 2), and sample efficiency is
the number of queries needed to reach the global optimum (seed 002, section 4.1).
Values are in the searched metric's units, so "better" is lower or higher by its goal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from naslab.analysis.trajectories import TRIAL
from naslab.observation import Goal

#: Per-trial end-of-budget metrics summarised as mean and standard error over seeds.
METRICS: tuple[str, ...] = (
    "best_observed",
    "incumbent_observed",
    "incumbent_true",
    "incumbent_regret",
    "incumbent_test",
)
#: Metrics each strategy is tested on against the baseline.
TESTED: tuple[str, ...] = ("best_observed", "incumbent_true")


def mean_se(values: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error (sample SD with ddof=1, over sqrt(n)) along ``axis``.

    NaN wherever a slice holds a NaN, and the standard error is NaN for one value:
    a mean over a subset of seeds, or an SE of one seed, would look better than it is.
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    mean = values.mean(axis=axis)
    if n < 2:
        return mean, np.full_like(mean, np.nan)
    return mean, values.std(axis=axis, ddof=1) / np.sqrt(n)


def step_values_on_grid(
    cum_costs: Sequence[np.ndarray], values: Sequence[np.ndarray], grid: np.ndarray
) -> np.ndarray:
    """Each seed's step function ``cum_cost -> value`` read off at ``grid``: (seeds, grid).

    A seed's value at ``g`` is its value at its last evaluation with cumulative cost
    <= ``g`` (NaN before its first), so seeds whose queries cost different amounts
    can be averaged at equal simulated GPU-seconds.
    """
    out = np.full((len(cum_costs), len(grid)), np.nan)
    for row, (cost, value) in enumerate(zip(cum_costs, values, strict=True)):
        last = np.searchsorted(np.asarray(cost), grid, side="right") - 1
        out[row] = np.where(last >= 0, np.asarray(value, dtype=float)[np.maximum(last, 0)], np.nan)
    return out


def final_rows(traj: pd.DataFrame) -> pd.DataFrame:
    """The last row of every trial: where it stood when its budget was spent."""
    return traj.groupby(list(TRIAL), sort=False).tail(1).reset_index(drop=True)


def queries_to_optimum(traj: pd.DataFrame) -> pd.Series:
    """Per trial, the first query whose incumbent has zero regret (NaN if never)."""
    at_optimum = traj["incumbent_regret"].to_numpy() <= 0
    first = traj[at_optimum].groupby(list(TRIAL), sort=False)["query"].min()
    trials = pd.MultiIndex.from_frame(final_rows(traj)[list(TRIAL)])
    return first.reindex(trials).astype(float)


def one_sided_p(values: np.ndarray, other: np.ndarray, goal: Goal = "min") -> float:
    """Mann-Whitney U p-value for '``values`` are stochastically better than ``other``'.

    Better is smaller for a ``goal`` of 'min', larger for 'max'. NaN values (no
    ground truth) are left out; NaN if either side is then empty.
    """
    values, other = (np.asarray(v, dtype=float) for v in (values, other))
    values, other = values[np.isfinite(values)], other[np.isfinite(other)]
    if not (values.size and other.size):
        return float("nan")
    alternative = "less" if goal == "min" else "greater"
    return float(mannwhitneyu(values, other, alternative=alternative).pvalue)


def pairwise_p(final: pd.DataFrame, metric: str, goal: Goal = "min") -> pd.DataFrame:
    """One dataset's rank-test matrix: cell (a, b) is :func:`one_sided_p` of a better than b.

    ``final`` holds one row per trial (:func:`final_rows`); rows and columns are its
    strategies in input order, the diagonal NaN.
    """
    groups = {s: g[metric].to_numpy(float) for s, g in final.groupby("strategy", sort=False)}
    names = list(groups)
    cells = [[one_sided_p(groups[a], groups[b], goal) if a != b else np.nan for b in names]
             for a in names]
    return pd.DataFrame(cells, index=pd.Index(names, name="strategy"), columns=names)


def summarise(traj: pd.DataFrame, baseline: str = "rs", goal: Goal = "min") -> pd.DataFrame:
    """One row per (dataset, strategy) at the end of each trial, in input order.

    Columns: ``n_seeds``, ``queries`` (largest budget spent), ``<metric>_mean`` and
    ``<metric>_se`` for every metric of :data:`METRICS`; ``queries_to_optimum``
    (mean over the seeds that reached it, so it reads with ``n_reached_optimum``);
    ``p_<metric>`` for every metric of :data:`TESTED`: a one-sided Mann-Whitney U
    test over seeds that the strategy's values are better than ``baseline``'s by
    ``goal`` (NaN for the baseline itself, where it was not run, which ``note`` then
    says, or where there is no ground truth).
    """
    final = final_rows(traj)
    final["queries_to_optimum"] = queries_to_optimum(traj).to_numpy()
    first_seen = {c: {v: i for i, v in enumerate(pd.unique(traj[c]))} for c in TRIAL}
    final = final.sort_values(
        ["dataset", "strategy"], key=lambda col: col.map(first_seen[col.name]), kind="stable"
    )
    rows = []
    for (dataset, strategy), group in final.groupby(["dataset", "strategy"], sort=False):
        row: dict[str, object] = {
            "dataset": dataset,
            "strategy": strategy,
            "n_seeds": len(group),
            "queries": int(group["query"].max()),
        }
        for metric in METRICS:
            values = group[metric].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            mean, se = mean_se(finite) if finite.size else (np.nan, np.nan)
            row[f"{metric}_mean"], row[f"{metric}_se"] = float(mean), float(se)
        reached = group["queries_to_optimum"].dropna()
        row["queries_to_optimum"] = reached.mean() if len(reached) else np.nan
        row["n_reached_optimum"] = len(reached)
        base = final[(final["dataset"] == dataset) & (final["strategy"] == baseline)]
        for metric in TESTED:
            row[f"p_{metric}"] = (
                one_sided_p(group[metric].to_numpy(float), base[metric].to_numpy(float), goal)
                if len(base) and strategy != baseline
                else np.nan
            )
        row["note"] = "" if len(base) else f"baseline {baseline!r} not run on {dataset}"
        rows.append(row)
    return pd.DataFrame(rows)
