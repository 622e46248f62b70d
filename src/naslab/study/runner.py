"""Run and resume studies: validate, create the run folder, run every trial, show progress.

Everything a user can get wrong (settings, names, benchmark files, the run
folder) is checked before anything is written, so a user error never leaves a
half-made folder behind. The folder is built under a temporary name and
renamed into place once its journal and ``config.json`` are complete.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tqdm import tqdm

from naslab.errors import ConfigError, RunFolderError
from naslab.execution import make_executor
from naslab.study.config import StudyConfig
from naslab.study.journal import JOURNAL_FILE, Journal, create_journal
from naslab.study.trial import TrialTask, cached_objective, forget_file_objectives, run_trial


def run_study(
    config: StudyConfig, run_dir: Path, *, overwrite: bool = False, progress: bool = True
) -> Path:
    """Run ``config`` into the new folder ``run_dir`` and return its path.

    Each trial stops after ``max_queries`` evaluations or with the evaluation that
    makes its cumulative cost reach ``max_cost`` (that evaluation counts).

    An existing run folder raises :class:`RunFolderError` unless ``overwrite``;
    it is removed only after the config and its benchmarks have been validated.
    A folder that exists but is not a run (and is not empty) is never removed.
    """
    run_dir = Path(run_dir)
    config = config.validated()
    _check_new_folder(run_dir, overwrite)
    try:
        _load_objectives(config)
        _create_folder(run_dir, config)
        _run_trials(run_dir, config, progress)
    finally:
        forget_file_objectives()
    return run_dir


def resume_study(run_dir: Path, *, progress: bool = True) -> Path:
    """Finish the unfinished trials of ``run_dir`` by replaying their journal, then continuing.

    The final journal equals that of an uninterrupted run; a finished run is left as it is.
    """
    run_dir = Path(run_dir)
    with Journal(run_dir) as journal:
        config = journal.config().validated()
        finished = all(status == "done" for status in journal.statuses().values())
    if finished:
        return run_dir
    try:
        _load_objectives(config)
        _run_trials(run_dir, config, progress)
    finally:
        forget_file_objectives()
    return run_dir


def _check_new_folder(run_dir: Path, overwrite: bool) -> None:
    if not run_dir.exists():
        return
    if not run_dir.is_dir():
        raise RunFolderError(f"{run_dir} exists and is not a folder; choose another run folder")
    if (run_dir / JOURNAL_FILE).exists():
        if not overwrite:
            raise RunFolderError(
                f"{run_dir} exists; use `naslab resume {run_dir}` or --overwrite"
            )
    elif any(run_dir.iterdir()):
        raise RunFolderError(
            f"{run_dir} exists and is not a naslab run folder; choose a new or empty folder"
        )


def _load_objectives(config: StudyConfig) -> None:
    """Load the benchmark of every dataset and check it fits the study."""
    for dataset in config.datasets:
        benchmark = cached_objective(config.benchmark, dataset, config.noise).benchmark
        if benchmark.space.name != config.space:
            raise ConfigError(
                f"benchmark {config.benchmark!r} on {dataset} is a table of space "
                f"{benchmark.space.name!r}, but the study's space is {config.space!r}"
            )
        if config.max_queries is None and benchmark.train_time.min() <= 0:
            raise ConfigError(
                f"benchmark {config.benchmark!r} on {dataset} has queries that cost nothing, "
                "so a max_cost budget alone may never end; set max_queries too"
            )


def _create_folder(run_dir: Path, config: StudyConfig) -> None:
    """Build the folder beside its final place and move it there complete."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = run_dir.parent / f".{run_dir.name}.creating-{os.getpid()}"
    try:
        staging.mkdir()
        create_journal(staging, config)
        if run_dir.exists():
            shutil.rmtree(run_dir)
        staging.replace(run_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _run_trials(run_dir: Path, config: StudyConfig, progress: bool) -> None:
    """Run the unfinished trials of ``run_dir``.

    The runner's own connection stays open meanwhile, so the trials' connections are
    never the last to close and do not each checkpoint the WAL (~15 ms a trial).
    """
    with Journal(run_dir) as journal:
        statuses = journal.statuses()
        tasks = [
            TrialTask(str(run_dir), config, *trial)
            for trial in config.trials
            if statuses[trial] != "done"
        ]
        total = len(config.trials) * config.max_queries if config.max_queries else None
        with tqdm(
            total=total, initial=journal.count(), unit="eval", desc="naslab", file=sys.stderr,
            disable=not progress, dynamic_ncols=True,
        ) as bar:
            make_executor(config.workers).run(run_trial, tasks, bar.update)
            if bar.total is not None and bar.n < bar.total:  # cost budgets ended trials early
                bar.total = bar.n
                bar.refresh()
