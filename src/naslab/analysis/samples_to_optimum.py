"""Sample efficiency: how many queries a search needs to query the global optimum.

The metric of LaNAS (seed 002, section 4.2 and Figure 5; section 4.5 and
Figure 7): every query counts, repeats included, and a trial's *samples* is the
1-based index of its first query whose queried architecture has the table's
optimal true value. Not the incumbent: a strategy that queried the optimum has
found it, whatever it would return (that is :func:`~naslab.analysis.statistics.
queries_to_optimum`, the incumbent's count, which the study reports).

A trial that spent its budget without querying the optimum is *right-censored*:
it needed more than its budget. Summaries count it at its budget, so a mean with
a censored trial is a lower bound, and a quantile is exact only while the
censored trials all sort above it (the median: fewer than half censored).
Every statistic is therefore a :class:`Bounded` value that knows whether it is
exact or a bound, and formats as ``>= 1,234`` when it is a lower bound.

Uniform random search is the yardstick (:func:`random_search_expectation`): on
``N`` architectures with ``k`` optima it needs ``(N + 1) / (k + 1)`` queries on
average without replacement (seed 002, section 4.2: 'n/2'), ``N / k`` with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from naslab.analysis.plots import BAND_ALPHA, box, strategy_colors
from naslab.analysis.trajectories import TRIAL, GroundTruth, study_metric
from naslab.errors import ConfigError

#: The columns :func:`samples_to_optimum` needs of an evaluations table.
REQUIRED: tuple[str, ...] = (*TRIAL, "step", "arch")
#: Points of the log-spaced sample axis of :func:`best_so_far_figure`.
GRID_POINTS = 200
#: Quantiles of the summary (the paper's interquartile range, Figure 5).
QUANTILES: dict[str, float] = {"q25": 0.25, "median": 0.5, "q75": 0.75}

Bound = Literal["exact", "lower", "upper", "unknown"]


# --- bounded statistics -----------------------------------------------------------------------
@dataclass(frozen=True)
class Bounded:
    """A statistic and what it is: exact, or only a lower or upper bound of the true value.

    Censored trials make statistics lower bounds; a ratio of bounds (a speed-up)
    is a bound the other way round, or nothing where both sides are bounds.
    """

    value: float
    bound: Bound = "exact"

    def __truediv__(self, other: Bounded) -> Bounded:
        value = self.value / other.value if other.value else math.nan
        return Bounded(value, _ratio_bound(self.bound, other.bound))

    def format(self, digits: int = 0, suffix: str = "") -> str:
        """``'1,234'``, ``'>= 1,234'`` (lower bound), ``'<= 2.5x'``; ``-`` where there is none."""
        if not math.isfinite(self.value):
            return "-"
        prefix = {"exact": "", "lower": ">= ", "upper": "<= ", "unknown": "~ "}[self.bound]
        return f"{prefix}{self.value:,.{digits}f}{suffix}"


def _ratio_bound(top: Bound, bottom: Bound) -> Bound:
    """The bound of ``top / bottom``: a lower bound above an exact one is a lower bound, etc."""
    flipped: dict[Bound, Bound] = {"exact": "exact", "lower": "upper", "upper": "lower",
                                   "unknown": "unknown"}
    bottom = flipped[bottom]
    if top == bottom or bottom == "exact":
        return top
    return bottom if top == "exact" else "unknown"


def censored_mean(counts: np.ndarray, censored: np.ndarray) -> Bounded:
    """The mean of ``counts`` (censored ones at their budget): a lower bound if any is censored."""
    if not counts.size:
        return Bounded(math.nan)
    return Bounded(float(np.mean(counts)), "lower" if censored.any() else "exact")


def censored_quantile(counts: np.ndarray, censored: np.ndarray, q: float) -> Bounded:
    """The ``q`` quantile (linear interpolation) of ``counts``, exact or a lower bound.

    It is exact when both order statistics it interpolates sort below every
    censored count (censored trials sort after uncensored ones of equal count,
    since they needed more); else raising a censored count could raise it.
    """
    if not counts.size:
        return Bounded(math.nan)
    order = np.lexsort((censored, counts))
    first_censored = int(np.argmax(censored[order])) if censored.any() else counts.size
    exact = math.ceil(q * (counts.size - 1)) < first_censored
    return Bounded(float(np.quantile(counts, q)), "exact" if exact else "lower")


# --- per trial --------------------------------------------------------------------------------
def true_values(evals: pd.DataFrame, benchmarks: Mapping[str, GroundTruth]) -> np.ndarray:
    """Per row, the true (minimised) value of the queried architecture; NaN without a benchmark.

    Each distinct (dataset, architecture) is parsed and looked up once, so a
    study of millions of queries over a 15,625-architecture table stays cheap.
    """
    codes, pairs = pd.MultiIndex.from_arrays([evals["dataset"], evals["arch"]]).factorize()
    lookup = np.full(len(pairs), np.nan)
    for i, (dataset, text) in enumerate(pairs):
        bench = benchmarks.get(dataset)
        if bench is not None:
            lookup[i] = bench.true_value(bench.space.parse(text))
    return lookup[codes] if len(codes) else np.empty(0)


def _in_trial_order(evals: pd.DataFrame) -> pd.DataFrame:
    """``evals`` sorted by trial (first-seen order) then step, checked for the needed columns."""
    missing = [c for c in REQUIRED if c not in evals.columns]
    if missing:
        raise ConfigError(f"the evaluations table lacks columns {', '.join(missing)}; "
                          f"required: {', '.join(REQUIRED)}")
    trial = evals.groupby(list(TRIAL), sort=False).ngroup().to_numpy()
    order = np.lexsort((evals["step"].to_numpy(), trial))
    return evals.iloc[order].reset_index(drop=True)


def samples_to_optimum(evals: pd.DataFrame, benchmarks: Mapping[str, GroundTruth]
                       ) -> pd.DataFrame:
    """One row per trial (strategy, dataset, seed), in first-seen order.

    Columns: ``samples``, the 1-based index of the trial's first query of a
    globally optimal architecture (true value at the table's optimum, the test
    ``stop_at_optimum`` ends a trial on), NaN if it never queried one;
    ``budget``, the queries it spent; ``reached``; and ``count``, ``samples``
    where reached, else ``budget``: what summaries use, a lower bound for a
    censored trial (seed 002, section 4.2: samples to the global optimum).
    Trials on a dataset without a benchmark in ``benchmarks`` are left out.
    """
    rows = _in_trial_order(evals)
    rows = rows[rows["dataset"].isin(list(benchmarks))].reset_index(drop=True)
    optimum = rows["dataset"].map({d: b.optimum_value for d, b in benchmarks.items()})
    at_optimum = true_values(rows, benchmarks) <= optimum.to_numpy(dtype=float)
    groups = rows.groupby(list(TRIAL), sort=False)
    query = groups.cumcount().to_numpy() + 1
    out = groups.size().rename("budget").reset_index()
    first = pd.Series(query[at_optimum], index=pd.MultiIndex.from_frame(
        rows.loc[at_optimum, list(TRIAL)])).groupby(level=list(range(len(TRIAL)))).min()
    keys = pd.MultiIndex.from_frame(out[list(TRIAL)])
    out.insert(3, "samples", first.reindex(keys).to_numpy(dtype=float) if len(first)
               else np.full(len(out), np.nan))
    out["reached"] = out["samples"].notna()
    out["count"] = out["samples"].fillna(out["budget"]).astype(int)
    return out


# --- summary ----------------------------------------------------------------------------------
def summarise_samples(per_trial: pd.DataFrame, baseline: str = "rs") -> pd.DataFrame:
    """One row per (dataset, strategy), in first-seen order, of :func:`samples_to_optimum`'s table.

    Columns: ``trials``, ``reached``, ``censored``, ``budget`` (largest spent),
    then :class:`Bounded` statistics of the counts: ``mean``, ``q25``, ``median``,
    ``q75``, and ``speedup_mean`` / ``speedup_median``, the baseline's statistic
    over the strategy's (how many times fewer samples it needed than
    ``baseline``, seed 002 section 4.2's 'Nx fewer samples'); NaN where the
    baseline did not run on the dataset.
    """
    rows = []
    for (dataset, strategy), group in per_trial.groupby(["dataset", "strategy"], sort=False):
        rows.append({"dataset": dataset, "strategy": strategy, **trial_statistics(group)})
    summary = pd.DataFrame(rows)
    for stat in ("mean", "median"):
        summary[f"speedup_{stat}"] = [
            speedup(summary, str(dataset), baseline, str(strategy), stat)
            for dataset, strategy in zip(summary["dataset"], summary["strategy"], strict=True)
        ]
    return summary


def trial_statistics(group: pd.DataFrame) -> dict[str, object]:
    """Counts and :class:`Bounded` statistics of one (dataset, strategy)'s trials."""
    counts = group["count"].to_numpy(dtype=float)
    censored = ~group["reached"].to_numpy(dtype=bool)
    stats: dict[str, object] = {
        "trials": len(group), "reached": int((~censored).sum()),
        "censored": int(censored.sum()), "budget": int(group["budget"].max()),
        "mean": censored_mean(counts, censored),
    }
    for name, q in QUANTILES.items():
        stats[name] = censored_quantile(counts, censored, q)
    return stats


def speedup(summary: pd.DataFrame, dataset: str, over: str, of: str, stat: str = "median"
            ) -> Bounded:
    """How many times fewer samples ``of`` needed than ``over`` on ``dataset``, by ``stat``.

    ``over``'s statistic divided by ``of``'s, from :func:`summarise_samples`'s rows
    (or any frame with :class:`Bounded` ``stat`` cells); NaN where either is missing.
    """
    rows = summary[summary["dataset"] == dataset].set_index("strategy")[stat]
    if over not in rows.index or of not in rows.index:
        return Bounded(math.nan)
    return rows[over] / rows[of]


# --- random search, the yardstick -------------------------------------------------------------
@dataclass(frozen=True)
class RandomSearchExpectation:
    """Samples uniform random search needs to query one of ``optima`` among ``n_archs``.

    Without replacement the first optimum's position in a random order has mean
    ``(N+1)/(k+1)`` (seed 002, section 4.2: 'n/2'); with replacement it is
    geometric with ``p = k/N``: mean ``N/k``, median about ``N ln 2 / k``.
    """

    n_archs: int
    optima: int = 1

    @property
    def without_mean(self) -> float:
        return (self.n_archs + 1) / (self.optima + 1)

    @property
    def without_sd(self) -> float:
        """Standard deviation without replacement: sqrt(k(N-k)(N+1) / ((k+1)^2 (k+2)))."""
        n, k = self.n_archs, self.optima
        return math.sqrt(k * (n - k) * (n + 1) / ((k + 1) ** 2 * (k + 2)))

    @property
    def without_median(self) -> int:
        """The smallest m with P(first optimum within m queries) >= 1/2."""
        n, k = self.n_archs, self.optima
        miss = 1.0  # P(no optimum among the first m queries) = prod_{i<m} (n-k-i)/(n-i)
        for m in range(1, n - k + 2):
            miss *= (n - k - m + 1) / (n - m + 1)
            if miss <= 0.5:
                return m
        return n - k + 1

    @property
    def with_mean(self) -> float:
        return self.n_archs / self.optima

    @property
    def with_median(self) -> int:
        """The smallest m with 1 - (1 - k/N)^m >= 1/2, about N ln 2 / k."""
        p = self.optima / self.n_archs
        return 1 if p >= 0.5 else math.ceil(math.log(0.5) / math.log1p(-p))


def count_optima(bench: GroundTruth) -> int:
    """How many architectures of the table share the optimal true value (ties count).

    Reads the table's ``mean_value`` array where the benchmark has one
    (:class:`~naslab.benchmarks.TabularBenchmark`); 1 otherwise.
    """
    values = getattr(bench, "mean_value", None)
    if values is None:
        return 1
    return max(1, int(np.sum(np.asarray(values) <= bench.optimum_value)))


def random_search_expectation(bench: GroundTruth) -> RandomSearchExpectation:
    """The :class:`RandomSearchExpectation` of ``bench``'s table."""
    return RandomSearchExpectation(int(bench.n_archs), count_optima(bench))


# --- figures ----------------------------------------------------------------------------------
def best_so_far(evals: pd.DataFrame, benchmarks: Mapping[str, GroundTruth]) -> pd.DataFrame:
    """``evals`` of the datasets with a benchmark in trial order, with ``query`` and ``best_true``.

    ``best_true`` is the best true (minimised) value among the architectures
    queried so far: the current best of seed 002, Figure 5's top row.
    """
    rows = _in_trial_order(evals)
    rows = rows[rows["dataset"].isin(list(benchmarks))].reset_index(drop=True)
    rows["true_value"] = true_values(rows, benchmarks)
    groups = rows.groupby(list(TRIAL), sort=False)
    rows["query"] = groups.cumcount().to_numpy() + 1
    rows["best_true"] = groups["true_value"].cummin().to_numpy()
    return rows


def sample_grid(longest: int, points: int = GRID_POINTS) -> np.ndarray:
    """Distinct integer sample counts from 1 to ``longest``, evenly spaced on a log axis."""
    return np.unique(np.geomspace(1, max(1, longest), points).round().astype(int))


def quartile_curve(trials: pd.DataFrame, grid: np.ndarray, optimum: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """25th, 50th and 75th percentiles (rows) of one strategy's current best over ``grid``.

    A trial that reached the optimum holds it past its end; one that ran out of
    budget first has no value past its end, so the curve stops where it stopped
    (the returned grid is cut there).
    """
    columns = []
    for _, trial in trials.groupby("seed", sort=False):
        best = trial["best_true"].to_numpy(dtype=float)
        values = best[np.minimum(grid, best.size) - 1]
        if not best[-1] <= optimum:
            values = np.where(grid > best.size, np.nan, values)
        columns.append(values)
    table = np.column_stack(columns)
    keep = np.isfinite(table).all(axis=1)
    return grid[keep], np.percentile(table[keep], [25, 50, 75], axis=1)


def best_so_far_figure(evals: pd.DataFrame, benchmarks: Mapping[str, GroundTruth],
                       colors: Mapping[str, str] | None = None) -> Figure:
    """Current best true value against samples, one panel per dataset (seed 002, Figure 5 top).

    Median line and interquartile band per strategy over seeds, log x axis up to
    the longest trial of the dataset, the global optimum dashed.
    """
    traj = best_so_far(evals, benchmarks)
    metric = study_metric(benchmarks)
    colors = colors or strategy_colors(list(pd.unique(traj["strategy"])))
    datasets = list(pd.unique(traj["dataset"]))
    fig = Figure(figsize=(5 * len(datasets) + 2, 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(datasets), squeeze=False)[0])
    for ax, dataset in zip(axes, datasets, strict=True):
        rows = traj[traj["dataset"] == dataset]
        bench = benchmarks[str(dataset)]
        grid = sample_grid(int(rows["query"].max()))
        tops = []
        for strategy, trials in rows.groupby("strategy", sort=False):
            x, (q25, median, q75) = quartile_curve(trials, grid, bench.optimum_value)
            color = colors[str(strategy)]
            ax.plot(x, metric.display(median), color=color, zorder=3, drawstyle="steps-post",
                    label=f"{strategy} ({trials['seed'].nunique()} seeds)")
            ax.fill_between(x, metric.display(q25), metric.display(q75), color=color,
                            alpha=BAND_ALPHA, linewidth=0, step="post")
            tops.append(q75[min(9, q75.size - 1)] if q75.size else math.nan)
        ax.axhline(float(metric.display(bench.optimum_value)), color="black", linestyle="--",
                   linewidth=1, label="global optimum")
        _zoom(ax, bench.optimum_value, tops, metric.display)
        ax.set_xscale("log")
        ax.set_xlabel("samples (queries, repeats included)")
        ax.set_ylabel(f"current best true {metric.name}")
        ax.set_title(f"{bench.name} / {dataset}")
        ax.grid(True, which="major", alpha=0.3)
    handles: dict[str, Artist] = {}  # one entry per strategy across the panels
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="outside right upper",
               fontsize="small")
    fig.suptitle("Current best against samples: median and interquartile range over seeds")
    return fig


def _zoom(ax: Axes, optimum: float, tops: Sequence[float],
          display: Callable[[np.ndarray], np.ndarray]) -> None:
    """From just past the optimum to the worst upper quartile after 10 samples."""
    finite = [t for t in tops if math.isfinite(t)]
    if not finite or not max(finite) > optimum:
        return
    gap = max(finite) - optimum
    limits = np.array([optimum - 0.05 * gap, optimum + gap])
    shown = display(limits)
    ax.set_ylim(float(min(shown)), float(max(shown)))


def samples_box_figure(per_trial: pd.DataFrame, benchmarks: Mapping[str, GroundTruth],
                       colors: Mapping[str, str] | None = None) -> Figure:
    """Samples to the optimum per strategy, one panel per dataset (seed 002, Figure 5 bottom).

    A box (quartiles, black median, whiskers min to max) and every trial as a
    point, log x axis; a censored trial is a hollow triangle at its budget (it
    needed more). The dotted line is random search's expectation without
    replacement, (N+1)/(k+1).
    """
    colors = colors or strategy_colors(list(pd.unique(per_trial["strategy"])))
    datasets = list(pd.unique(per_trial["dataset"]))
    strategies = list(pd.unique(per_trial["strategy"]))
    fig = Figure(figsize=(4.5 * len(datasets) + 1.5, 1.4 + 0.45 * len(strategies)),
                 layout="constrained")
    axes = fig.subplots(1, len(datasets), squeeze=False, sharey=True)[0]
    positions = dict(zip(strategies, np.arange(len(strategies))[::-1], strict=True))
    jitter = np.random.default_rng(0)  # fixed: the same report draws the same picture
    for ax, dataset in zip(axes, datasets, strict=True):
        rows = per_trial[per_trial["dataset"] == dataset]
        for strategy, group in rows.groupby("strategy", sort=False):
            y, color = positions[str(strategy)], colors[str(strategy)]
            counts = group["count"].to_numpy(dtype=float)
            reached = group["reached"].to_numpy(dtype=bool)
            box(ax, y, counts, color)
            offsets = y + jitter.uniform(-0.18, 0.18, counts.size)
            ax.scatter(counts[reached], offsets[reached], s=10, alpha=0.7, color=color,
                       zorder=3)
            ax.scatter(counts[~reached], offsets[~reached], s=22, marker=">",
                       facecolors="none", edgecolors=color, zorder=3)
        expected = random_search_expectation(benchmarks[str(dataset)]).without_mean
        ax.axvline(expected, color="black", linestyle=":", linewidth=1,
                   label=f"RS without replacement, (N+1)/(k+1) = {expected:,.0f}")
        ax.set_xscale("log")
        ax.set_xlabel("samples to the global optimum")
        ax.set_title(f"{benchmarks[str(dataset)].name} / {dataset}")
        ax.grid(True, axis="x", which="major", alpha=0.3)
        ax.legend(loc="lower right", fontsize="x-small")
    axes[0].set_yticks(list(positions.values()), list(positions))
    fig.suptitle("Samples to the global optimum over seeds (hollow triangle: not reached "
                 "within its budget, drawn at the budget)")
    return fig


__all__ = [
    "Bounded", "RandomSearchExpectation", "best_so_far", "best_so_far_figure",
    "censored_mean", "censored_quantile", "count_optima", "quartile_curve",
    "random_search_expectation", "sample_grid", "samples_box_figure", "samples_to_optimum",
    "speedup", "summarise_samples", "trial_statistics", "true_values",
]
