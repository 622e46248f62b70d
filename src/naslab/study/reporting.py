"""Report a run folder as its journal records it: its own settings, tables and progress."""

from __future__ import annotations

from pathlib import Path

from naslab.analysis import Report, RunInfo, build_report
from naslab.analysis.trajectories import GroundTruth
from naslab.benchmarks import is_table
from naslab.errors import os_errors_as
from naslab.observation import table_metric
from naslab.study.journal import Journal, read_evaluations
from naslab.study.lock import run_folder_lock
from naslab.study.runner import reopen
from naslab.study.trial import cached_objective


def report_run(
    run_dir: str | Path, *, table_format: str = "csv", benchmark: str | None = None
) -> Report:
    """Analyse ``run_dir`` and (re)write its tidy table, summary, plots, report.md and .html.

    Holds the folder's lock (never under a live run); ``benchmark`` re-points a
    moved table (see :func:`naslab.study.runner.reopen`). A failed write is one line.
    """
    run_dir = Path(run_dir)
    with run_folder_lock(run_dir), os_errors_as(f"cannot write the report of {run_dir}"):
        config = reopen(run_dir, benchmark)
        with Journal(run_dir, read_only=True) as journal:
            statuses = journal.statuses()
        table = is_table(config.benchmark)  # not a Python function or real training
        run = RunInfo(config.strategies, config.datasets, tuple(config.seed_list), statuses,
                      config.max_queries, config.max_cost, config.noise if table else None)
        benchmarks: dict[str, GroundTruth] = {} if not table else {
            d: cached_objective(config, d).benchmark for d in config.datasets
        }
        return build_report(
            read_evaluations(run_dir), benchmarks, run_dir, run=run, table_format=table_format,
            metric=table_metric(config.metric, config.goal),
        )
