"""Analysis: tidy evaluations -> trajectories -> statistics over seeds -> plots and a report."""

from naslab.analysis.plots import plot_trajectories, trajectory_figure
from naslab.analysis.report import Report, build_report
from naslab.analysis.statistics import mean_se, step_values_on_grid, summarise
from naslab.analysis.trajectories import add_trajectories

__all__ = [
    "Report",
    "add_trajectories",
    "build_report",
    "mean_se",
    "plot_trajectories",
    "step_values_on_grid",
    "summarise",
    "trajectory_figure",
]
