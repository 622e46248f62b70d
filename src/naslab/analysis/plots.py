"""Figures of a study: search trajectories (against queries and GPU-seconds) and final values.

Trajectory lines are means over seeds with ±1 standard-error bands, as in seed
000, Figure 3; the final-value figure shows every seed's end point per strategy.
Values are in the searched metric's units. Figures are built without pyplot
(``matplotlib.figure.Figure`` draws with Agg when saved), so nothing is ever
shown and no global backend is touched. Legends sit right of the panels so
many strategies never cover the curves.
"""

from __future__ import annotations

import colorsys
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from naslab.analysis.statistics import final_rows, mean_se, step_values_on_grid
from naslab.analysis.trajectories import GroundTruth
from naslab.observation import Metric

Axis = Literal["query", "cost"]
AXES: dict[Axis, str] = {"query": "queries", "cost": "simulated GPU-seconds"}
GRID_POINTS = 200
#: Opacity of the ±1 SE bands: lighter as more strategies overlap.
BAND_ALPHA = 0.2

Curve = tuple[np.ndarray, np.ndarray, np.ndarray]  # x, mean, standard error


def strategy_colors(strategies: Sequence[str]) -> dict[str, str]:
    """A distinct colour per strategy, the same in every figure of a report."""
    from matplotlib import colormaps

    n = len(strategies)
    if n <= 20:  # tab20's strong colours first (tab10's), then their light partners
        colors = [to_hex(colormaps["tab20"](2 * i if i < 10 else 2 * (i - 10) + 1))
                  for i in range(n)]
    else:  # evenly spaced hues, alternating lightness so neighbours differ twice over
        colors = [to_hex(colorsys.hls_to_rgb(i / n, 0.35 if i % 2 else 0.55, 0.75))
                  for i in range(n)]
    return dict(zip(strategies, colors, strict=True))


def panels(has_truth: bool, metric: Metric) -> tuple[tuple[str, str], ...]:
    """(column, label) of a trajectory figure's two panels: the papers' metric, then the honest one.

    Without ground truth the second panel is the incumbent's mean observed value.
    """
    second = ("incumbent_true", "incumbent true") if has_truth else (
        "incumbent_observed", "incumbent mean observed")
    return (("best_observed", f"best observed {metric.name}"),
            (second[0], f"{second[1]} {metric.name}"))


def query_curve(trials: pd.DataFrame, column: str) -> Curve:
    """Mean ± SE of ``column`` over seeds at every query count all seeds reached."""
    table = trials.pivot_table(index="query", columns="seed", values=column, dropna=False)
    table = table.dropna()
    mean, se = mean_se(table.to_numpy(), axis=1)
    return table.index.to_numpy(dtype=float), mean, se


def cost_curve(trials: pd.DataFrame, column: str, grid: np.ndarray) -> Curve:
    """Mean ± SE of ``column`` over seeds on a cumulative-cost ``grid``.

    Each seed is a step function of its cumulative cost; the mean is kept where
    every seed has at least one evaluation and up to the largest cost any seed
    spent (a seed that finished cheaper holds its final value, which it returned).
    """
    seeds = [group for _, group in trials.groupby("seed", sort=False)]
    values = step_values_on_grid(
        [g["cum_cost"].to_numpy() for g in seeds], [g[column].to_numpy() for g in seeds], grid
    )
    keep = np.isfinite(values).all(axis=0) & (grid <= max(g["cum_cost"].iloc[-1] for g in seeds))
    mean, se = mean_se(values[:, keep], axis=0)
    return grid[keep], mean, se


def cost_grid(traj: pd.DataFrame, points: int = GRID_POINTS) -> np.ndarray | None:
    """A log-spaced grid over the positive cumulative costs of ``traj`` (None if all are 0)."""
    costs = traj["cum_cost"].to_numpy(dtype=float)
    positive = costs[costs > 0]
    if positive.size == 0:
        return None
    return np.geomspace(positive.min(), positive.max(), points)


def trajectory_figure(
    traj: pd.DataFrame,
    benchmark: GroundTruth | None,
    metric: Metric,
    axis: Axis = "query",
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Two panels (best observed, incumbent true value) for one dataset's trials.

    ``benchmark`` None (no ground truth): the second panel is the incumbent's mean
    observed value and there is no optimum line.
    """
    colors = colors or strategy_colors(list(pd.unique(traj["strategy"])))
    grid = cost_grid(traj) if axis == "cost" else None
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    optimum = None if benchmark is None else float(metric.display(benchmark.optimum_value))
    strategies = traj.groupby("strategy", sort=False)
    alpha = BAND_ALPHA * min(1.0, 4 / strategies.ngroups)
    for ax, (column, label) in zip(axes, panels(benchmark is not None, metric), strict=True):
        for strategy, trials in strategies:
            x, mean, se = (
                query_curve(trials, column) if grid is None else cost_curve(trials, column, grid)
            )
            color = colors[strategy]
            ax.plot(x, mean, color=color, zorder=3,
                    label=f"{strategy} ({trials['seed'].nunique()} seeds)")
            ax.fill_between(x, mean - se, mean + se, color=color, alpha=alpha, linewidth=0)
        if optimum is not None:
            ax.axhline(optimum, color="black", linestyle="--", linewidth=1,
                       label=f"global optimum ({optimum:.2f})")
        ax.set_xscale("log")
        ax.set_xlabel(AXES[axis])
        ax.set_ylabel(label)
        ax.set_title(label.replace(f" {metric.name}", ""))
        ax.grid(True, which="major", alpha=0.3)
    _zoom(axes, metric, benchmark.optimum_value if benchmark else None)
    axes[1].tick_params(labelleft=True)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper",
               fontsize="small")
    title = f"{benchmark.name} / {benchmark.dataset}" if benchmark else str(
        traj["dataset"].iloc[0])
    fig.suptitle(f"{title}: mean ± 1 SE over seeds")
    return fig


def _zoom(axes: np.ndarray, metric: Metric, optimum: float | None) -> None:
    """Show where the strategies differ: from just past the best to a few times the gap.

    Computed on minimised values (``metric.value``), so it works for either goal;
    the reference is the global ``optimum`` or, without one, the best value drawn.
    """
    lows, finals = [], []
    for ax in axes:
        for line in ax.get_lines():
            y = metric.value(np.asarray(line.get_ydata(), dtype=float))
            if y.size > 1:  # an axhline has two points; curves are compared by their end
                lows.append(np.nanmin(y))
                finals.append(y[-1])
    if not finals:
        return
    best = min(lows) if optimum is None else optimum
    gap = max(finals) - best
    if not gap > 0:
        return
    limits = metric.display(np.array([min(min(lows), best) - 0.25 * gap, best + 6 * gap]))
    axes[0].set_ylim(min(limits), max(limits))


def plot_trajectories(
    traj: pd.DataFrame,
    benchmarks: Mapping[str, GroundTruth],
    metric: Metric,
    colors: Mapping[str, str] | None = None,
) -> dict[str, Figure]:
    """Per dataset, its figure against queries and against cost, named ``<dataset>_<axis>``.

    A strategy keeps its colour across datasets. The cost figure is left out where
    queries have no recorded cost (the benchmark says so, or, without a benchmark,
    every query cost the same), since it would only rescale the query axis.
    """
    colors = colors or strategy_colors(list(pd.unique(traj["strategy"])))
    figures = {}
    for dataset, trials in traj.groupby("dataset", sort=False):
        bench = benchmarks.get(str(dataset))
        has_cost = bench.has_cost if bench else trials["cost"].nunique() > 1
        for axis in AXES:
            if axis == "cost" and not (has_cost and cost_grid(trials) is not None):
                continue
            figures[f"{dataset}_{axis}"] = trajectory_figure(trials, bench, metric, axis, colors)
    return figures


def final_value_figure(
    final: pd.DataFrame,
    benchmark: GroundTruth | None,
    metric: Metric,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Every seed's final incumbent true value per strategy (box plus points), one dataset.

    ``final`` holds one row per trial. Strategies run down the y-axis, so many
    stay readable; without ground truth the incumbent's mean observed value is shown.
    """
    column, label = panels(benchmark is not None, metric)[1]
    groups = [(s, g[column].to_numpy(float)) for s, g in final.groupby("strategy", sort=False)]
    colors = colors or strategy_colors([s for s, _ in groups])
    fig = Figure(figsize=(8, 1.2 + 0.45 * len(groups)), layout="constrained")
    ax: Axes = fig.subplots()
    positions = np.arange(len(groups))[::-1]  # the first strategy on top
    jitter = np.random.default_rng(0)  # fixed: the same report draws the same picture
    for y, (strategy, values) in zip(positions, groups, strict=True):
        box(ax, y, values[np.isfinite(values)], colors[strategy])
        ax.scatter(values, y + jitter.uniform(-0.18, 0.18, values.size), s=14, alpha=0.8,
                   color=colors[strategy], zorder=3)
    if benchmark is not None:
        optimum = float(metric.display(benchmark.optimum_value))
        ax.axvline(optimum, color="black", linestyle="--", linewidth=1,
                   label=f"global optimum ({optimum:.2f})")
        fig.legend(loc="outside right upper", fontsize="small")
    ax.set_yticks(positions, [s for s, _ in groups])
    ax.set_xlabel(f"final {label}")
    ax.grid(True, axis="x", alpha=0.3)
    title = f"{benchmark.name} / {benchmark.dataset}" if benchmark else str(
        final["dataset"].iloc[0])
    ax.set_title(f"{title}: final value of every seed ({metric.best_word} is best)")
    return fig


def box(ax: Axes, y: float, values: np.ndarray, color: str) -> None:
    """A horizontal box at ``y``: whiskers min to max, box the quartiles, a black median."""
    if not values.size:
        return
    low, q1, median, q3, high = np.percentile(values, [0, 25, 50, 75, 100])
    ax.hlines(y, low, high, color=color, linewidth=1)
    ax.barh(y, q3 - q1, left=q1, height=0.5, color=color, alpha=0.15, edgecolor=color)
    ax.vlines(median, y - 0.25, y + 0.25, color="black", linewidth=1.5)


def plot_final_values(
    traj: pd.DataFrame,
    benchmarks: Mapping[str, GroundTruth],
    metric: Metric,
    colors: Mapping[str, str] | None = None,
) -> dict[str, Figure]:
    """Per dataset, :func:`final_value_figure` of its trials' ends, named ``<dataset>_final``."""
    final = final_rows(traj)
    return {
        f"{dataset}_final": final_value_figure(rows, benchmarks.get(str(dataset)), metric, colors)
        for dataset, rows in final.groupby("dataset", sort=False)
    }
