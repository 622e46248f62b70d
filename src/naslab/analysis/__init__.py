"""Analysis: tidy evaluations -> trajectories -> statistics over seeds -> plots and a report."""

from naslab.analysis.plots import plot_final_values, plot_trajectories, trajectory_figure
from naslab.analysis.progress import RunInfo, progress_table
from naslab.analysis.report import Report, build_report
from naslab.analysis.statistics import mean_se, pairwise_p, step_values_on_grid, summarise
from naslab.analysis.trajectories import add_trajectories, study_metric

__all__ = [
    "Report",
    "RunInfo",
    "add_trajectories",
    "build_report",
    "mean_se",
    "pairwise_p",
    "plot_final_values",
    "plot_trajectories",
    "progress_table",
    "step_values_on_grid",
    "study_metric",
    "summarise",
    "trajectory_figure",
]
