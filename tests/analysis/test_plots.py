from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from naslab.analysis import add_trajectories, plot_trajectories, trajectory_figure


@pytest.fixture(scope="module")
def traj(cifar10, simulate) -> pd.DataFrame:
    return add_trajectories(simulate(strategies=("rs", "climb"), seeds=3, budget=40),
                            {"cifar10": cifar10})


def test_query_figure_has_two_labelled_log_panels_with_the_optimum(traj, cifar10) -> None:
    fig = trajectory_figure(traj, cifar10, "query")
    best, incumbent = fig.axes
    assert best.get_xscale() == incumbent.get_xscale() == "log"
    assert best.get_xlabel() == "queries"
    assert "best observed" in best.get_ylabel() and "incumbent true" in incumbent.get_ylabel()
    labels = [t.get_text() for t in best.get_legend().get_texts()]
    assert labels == ["rs (3 seeds)", "climb (3 seeds)", "global optimum (8.39)"]
    optimum = best.get_lines()[-1]
    assert optimum.get_linestyle() == "--"
    assert optimum.get_ydata()[0] == pytest.approx(cifar10.optimum_value)
    # the rs line is the seed mean of best_observed at every query
    x, y = best.get_lines()[0].get_data()
    expected = traj[traj.strategy == "rs"].groupby("query")["best_observed"].mean()
    np.testing.assert_allclose(y, expected.loc[x].to_numpy())
    assert x[-1] == 40


def test_one_figure_per_dataset_and_axis(traj, cifar10, tmp_path) -> None:
    figures = plot_trajectories(traj, {"cifar10": cifar10})
    assert list(figures) == ["cifar10_query", "cifar10_cost"]
    assert figures["cifar10_cost"].axes[0].get_xlabel() == "simulated GPU-seconds"
    path = tmp_path / "cost.png"
    figures["cifar10_cost"].savefig(path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    free = plot_trajectories(traj.assign(cum_cost=0.0), {"cifar10": cifar10})
    assert list(free) == ["cifar10_query"]  # no cost axis when nothing had a cost
