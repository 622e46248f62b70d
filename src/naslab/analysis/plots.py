"""Search trajectories as figures: error against queries and against simulated GPU-seconds.

Lines are means over seeds with ±1 standard-error bands, as in seed 000,
Figure 3. Figures are built without pyplot (``matplotlib.figure.Figure`` draws
with Agg when saved), so nothing is ever shown and no global backend is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from naslab.analysis.statistics import mean_se, step_values_on_grid
from naslab.benchmarks.table import TabularBenchmark

Axis = Literal["query", "cost"]
AXES: dict[Axis, str] = {"query": "queries", "cost": "simulated GPU-seconds"}
#: The two panels of every figure: the papers' metric, then the honest one.
PANELS: tuple[tuple[str, str], ...] = (
    ("best_observed", "best observed validation error (%)"),
    ("incumbent_true_error", "incumbent true validation error (%)"),
)
GRID_POINTS = 200

Curve = tuple[np.ndarray, np.ndarray, np.ndarray]  # x, mean, standard error


def query_curve(trials: pd.DataFrame, metric: str) -> Curve:
    """Mean ± SE of ``metric`` over seeds at every query count all seeds reached."""
    table = trials.pivot_table(index="query", columns="seed", values=metric, dropna=False)
    table = table.dropna()
    mean, se = mean_se(table.to_numpy(), axis=1)
    return table.index.to_numpy(dtype=float), mean, se


def cost_curve(trials: pd.DataFrame, metric: str, grid: np.ndarray) -> Curve:
    """Mean ± SE of ``metric`` over seeds on a cumulative-cost ``grid``.

    Each seed is a step function of its cumulative cost; the mean is kept where
    every seed has at least one evaluation and up to the largest cost any seed
    spent (a seed that finished cheaper holds its final value, which it returned).
    """
    seeds = [group for _, group in trials.groupby("seed", sort=False)]
    values = step_values_on_grid(
        [g["cum_cost"].to_numpy() for g in seeds], [g[metric].to_numpy() for g in seeds], grid
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
    benchmark: TabularBenchmark,
    axis: Axis = "query",
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Two panels (best observed, incumbent true error) for one dataset's trials."""
    grid = cost_grid(traj) if axis == "cost" else None
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    panels = fig.subplots(1, len(PANELS), sharey=True)
    for ax, (metric, label) in zip(panels, PANELS, strict=True):
        for i, (strategy, trials) in enumerate(traj.groupby("strategy", sort=False)):
            x, mean, se = (
                query_curve(trials, metric) if grid is None else cost_curve(trials, metric, grid)
            )
            color = (colors or {}).get(strategy, f"C{i}")
            ax.plot(x, mean, color=color, label=f"{strategy} ({trials['seed'].nunique()} seeds)")
            ax.fill_between(x, mean - se, mean + se, color=color, alpha=0.2, linewidth=0)
        ax.axhline(
            benchmark.optimum_value, color="black", linestyle="--", linewidth=1,
            label=f"global optimum ({benchmark.optimum_value:.2f})",
        )
        ax.set_xscale("log")
        ax.set_xlabel(AXES[axis])
        ax.set_ylabel(label)
        ax.set_title(label.split(" (")[0])
        ax.grid(True, which="major", alpha=0.3)
    _zoom(panels, benchmark.optimum_value)
    panels[1].tick_params(labelleft=True)
    panels[0].legend(loc="upper right", fontsize="small")
    fig.suptitle(f"{benchmark.name} / {benchmark.dataset}: mean ± 1 SE over seeds")
    return fig


def _zoom(panels: np.ndarray, optimum: float) -> None:
    """Show where the strategies differ: from just below the optimum to a few times the gap."""
    lows, finals = [optimum], []
    for ax in panels:
        for line in ax.get_lines()[:-1]:  # the last line is the optimum
            y = np.asarray(line.get_ydata(), dtype=float)
            if y.size:
                lows.append(np.nanmin(y))
                finals.append(y[-1])
    if not finals:
        return
    gap = max(max(finals) - optimum, 0.1)
    low = min(lows)
    panels[0].set_ylim(low - 0.25 * gap, optimum + 6 * gap)


def plot_trajectories(
    traj: pd.DataFrame, benchmarks: Mapping[str, TabularBenchmark]
) -> dict[str, Figure]:
    """Per dataset, its figure against queries and against cost, named ``<dataset>_<axis>``.

    A strategy keeps its colour across datasets. The cost figure is left out
    where no query had a cost.
    """
    colors = {s: f"C{i % 10}" for i, s in enumerate(pd.unique(traj["strategy"]))}
    figures = {}
    for dataset, trials in traj.groupby("dataset", sort=False):
        for axis in AXES:
            if axis == "cost" and cost_grid(trials) is None:
                continue
            figures[f"{dataset}_{axis}"] = trajectory_figure(
                trials, benchmarks[dataset], axis, colors
            )
    return figures
