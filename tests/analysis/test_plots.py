from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from naslab.analysis import (
    add_trajectories,
    plot_final_values,
    plot_trajectories,
    trajectory_figure,
)
from naslab.analysis.plots import strategy_colors
from naslab.analysis.statistics import final_rows
from naslab.observation import VALIDATION_ERROR, Metric


@pytest.fixture(scope="module")
def evals(simulate) -> pd.DataFrame:
    return simulate(strategies=("rs", "climb"), seeds=3, budget=40)


@pytest.fixture(scope="module")
def traj(cifar10, evals) -> pd.DataFrame:
    return add_trajectories(evals, {"cifar10": cifar10})


def test_query_figure_has_two_labelled_log_panels_with_the_optimum(traj, cifar10) -> None:
    fig = trajectory_figure(traj, cifar10, VALIDATION_ERROR, "query")
    best, incumbent = fig.axes
    assert best.get_xscale() == incumbent.get_xscale() == "log"
    assert best.get_xlabel() == "queries"
    assert best.get_ylabel() == "best observed validation error (%)"
    assert incumbent.get_ylabel() == "incumbent true validation error (%)"
    legend = fig.legends[0]  # one legend, right of both panels
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["rs (3 seeds)", "climb (3 seeds)", "global optimum (8.39)"]
    assert best.get_legend() is None
    fig.draw_without_rendering()
    assert legend.get_window_extent().x0 > incumbent.get_window_extent().x1
    optimum = best.get_lines()[-1]
    assert optimum.get_linestyle() == "--"
    assert optimum.get_ydata()[0] == pytest.approx(cifar10.optimum_value)
    # the rs line is the seed mean of best_observed at every query
    x, y = best.get_lines()[0].get_data()
    expected = traj[traj.strategy == "rs"].groupby("query")["best_observed"].mean()
    np.testing.assert_allclose(y, expected.loc[x].to_numpy())
    assert x[-1] == 40


def test_a_metric_to_maximise_plots_accuracies_above_the_curves(evals, accuracy) -> None:
    traj = add_trajectories(evals.assign(value=evals["value"] - 100.0), {"cifar10": accuracy})
    best, _ = trajectory_figure(traj, accuracy, accuracy.metric).axes
    assert best.get_ylabel() == "best observed validation accuracy (%)"
    assert best.get_lines()[-1].get_ydata()[0] == pytest.approx(100 - 8.3933, abs=1e-4)
    low, high = best.get_ylim()
    assert low < best.get_lines()[0].get_ydata()[-1] < 100 - 8.3933 < high


def test_one_figure_per_dataset_and_axis(traj, cifar10, tmp_path) -> None:
    figures = plot_trajectories(traj, {"cifar10": cifar10}, VALIDATION_ERROR)
    assert list(figures) == ["cifar10_query", "cifar10_cost"]
    assert figures["cifar10_cost"].axes[0].get_xlabel() == "simulated GPU-seconds"
    path = tmp_path / "cost.png"
    figures["cifar10_cost"].savefig(path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_cost_figure_where_queries_have_no_cost(traj, cifar10, accuracy,
                                                   monkeypatch) -> None:
    monkeypatch.setattr(type(accuracy), "has_cost", False)
    assert list(plot_trajectories(traj, {"cifar10": accuracy}, VALIDATION_ERROR)) == [
        "cifar10_query"]
    # no benchmark: a cost axis only where queries cost different amounts
    assert list(plot_trajectories(traj.assign(cost=1.0), {}, VALIDATION_ERROR)) == [
        "cifar10_query"]
    unknown = plot_trajectories(traj, {}, Metric("loss"))
    assert list(unknown) == ["cifar10_query", "cifar10_cost"]
    panel = unknown["cifar10_query"].axes[1]
    assert panel.get_ylabel() == "incumbent mean observed loss"
    assert all(len(line.get_ydata()) > 2 for line in panel.get_lines())  # no optimum line


def test_final_value_figure_shows_every_seed(traj, cifar10) -> None:
    (name, fig), = plot_final_values(traj, {"cifar10": cifar10}, VALIDATION_ERROR).items()
    assert name == "cifar10_final"
    ax = fig.axes[0]
    ticks = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks(), strict=True))
    assert ticks["rs"] > ticks["climb"]  # the first strategy on top
    points = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections
                             if c.get_offsets().shape[0] == 3])
    finals = final_rows(traj)
    np.testing.assert_allclose(np.sort(points), np.sort(finals["incumbent_true"]))
    assert ax.get_xlabel() == "final incumbent true validation error (%)"


def test_colours_stay_distinct_past_ten_strategies() -> None:
    for n in (3, 10, 14, 20, 33):
        colors = strategy_colors([f"s{i}" for i in range(n)])
        rgb = np.array([to_rgb(c) for c in colors.values()])
        assert len(set(colors.values())) == n
        distance = np.linalg.norm(rgb[:, None] - rgb[None], axis=-1) + np.eye(n) * 9
        assert distance.min() > 0.08, n
