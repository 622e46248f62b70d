"""Run and resume studies: validate, create the run folder, run every trial, show progress.

Everything a user can get wrong (settings, names, benchmark files, the run
folder) is checked before anything is written, so a user error never leaves a
half-made folder behind. The folder is built under a temporary name and
renamed into place once its journal and ``config.json`` are complete; an
existing empty folder (``--out .`` in an empty current folder) is filled
instead, its journal first. Nothing is ever deleted but a run folder the user
named with ``overwrite``, and never the current folder or one that holds it.
While trials run the folder is locked (:mod:`naslab.study.lock`).
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from naslab.benchmarks import FUNCTION_PREFIX, TRAINING_BENCHMARK, Objective
from naslab.errors import ConfigError, RunFolderError, StudyInterrupted, os_errors_as
from naslab.execution import make_executor
from naslab.spaces import SearchSpace, resolve_space
from naslab.strategies import STRATEGIES
from naslab.study.config import StudyConfig
from naslab.study.driver import run_evaluations, run_whole_trials
from naslab.study.fingerprint import FINGERPRINT_KEY, check_fingerprint, fingerprint
from naslab.study.journal import JOURNAL_FILE, Journal, create_journal, live_journal
from naslab.study.lock import run_folder_lock
from naslab.study.trial import TrialTask, cached_objective, forget_file_objectives


def run_study(
    config: StudyConfig,
    run_dir: Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
    objective: Objective | None = None,
) -> Path:
    """Run ``config`` into the new folder ``run_dir`` and return its resolved path.

    Each trial stops after ``max_queries`` evaluations or with the evaluation that
    makes its cumulative cost reach ``max_cost`` (that evaluation counts).

    An existing run folder raises :class:`RunFolderError` unless ``overwrite``;
    it is removed only after the config and its benchmarks have been validated,
    and not while another naslab process uses it. A folder that exists but is
    not a run (and is not empty) is never removed.

    ``objective`` evaluates architectures where the config's benchmark is not a
    table naslab loads itself (a Python function, see :func:`naslab.optimize`).
    """
    run_dir = Path(run_dir).resolve()
    config = config.validated()
    with os_errors_as(f"cannot create run folder {run_dir}"):
        _check_new_folder(run_dir, overwrite)
    try:
        _load_objectives(config, objective)
        _create_folder(run_dir, config)
        with run_folder_lock(run_dir):
            _run_trials(run_dir, config, progress, objective)
    finally:
        forget_file_objectives()
    return run_dir


def resume_study(
    run_dir: Path,
    *,
    progress: bool = True,
    objective: Objective | None = None,
    benchmark: str | None = None,
) -> Path:
    """Finish the unfinished trials of ``run_dir`` by replaying their journal, then continuing.

    The final journal equals that of an uninterrupted run; a finished run is left as it is.
    ``benchmark`` re-points a run whose table file moved (its content must be the same);
    ``objective`` is the Python function of a :func:`naslab.optimize` study.
    Returns the resolved path.
    """
    run_dir = Path(run_dir).resolve()
    with run_folder_lock(run_dir):
        config = reopen(run_dir, benchmark)
        with Journal(run_dir) as journal:
            finished = all(status == "done" for status in journal.statuses().values())
        if finished:
            return run_dir
        try:
            _load_objectives(config, objective)
            _run_trials(run_dir, config, progress, objective)
        finally:
            forget_file_objectives()
    return run_dir


def reopen(run_dir: Path, benchmark: str | None = None) -> StudyConfig:
    """The config of ``run_dir``, its table checked against the journaled fingerprint.

    ``benchmark`` is the table's new place where it moved: it must hold the same
    table, and the run remembers the new place from then on.
    """
    with Journal(run_dir, read_only=True) as journal:
        config = journal.config().validated()
        recorded = journal.meta.get(FINGERPRINT_KEY)
    if benchmark is None:
        check_fingerprint(config.benchmark, recorded, run_dir)
        return config
    if recorded is None:
        raise ConfigError(
            f"run {run_dir} searched {config.benchmark!r}, which is not a table file: "
            "there is nothing to re-point"
        )
    config = dataclasses.replace(config, benchmark=benchmark).validated()
    check_fingerprint(config.benchmark, recorded, run_dir)
    with Journal(run_dir) as journal:
        journal.replace_config(config)
    return config


def _check_new_folder(run_dir: Path, overwrite: bool) -> None:
    if not run_dir.exists():
        existing = next(p for p in run_dir.parents if p.exists())
        if not existing.is_dir():
            raise RunFolderError(f"cannot create run folder {run_dir}: {existing} is a file")
        return
    if not run_dir.is_dir():
        raise RunFolderError(f"{run_dir} exists and is not a folder; choose another run folder")
    if (run_dir / JOURNAL_FILE).exists():
        if not overwrite:
            raise RunFolderError(
                f"{run_dir} exists; use `naslab resume {_quoted(run_dir)}` or --overwrite"
            )
        if _holds_cwd(run_dir):
            raise RunFolderError(
                f"--overwrite will not delete {run_dir}: it is the current folder or holds it; "
                "run naslab from outside it"
            )
    elif any(run_dir.iterdir()):
        raise RunFolderError(
            f"{run_dir} exists and is not a naslab run folder; choose a new or empty folder"
        )


def _load_objectives(config: StudyConfig, objective: Objective | None = None) -> None:
    """Load the table (or the training data) of every dataset, check it fits the study, and
    build every strategy on its space once, so a strategy that cannot search it fails before
    anything is written."""
    if objective is not None:
        spaces = [objective.space]
    elif config.benchmark == TRAINING_BENCHMARK:
        spaces = [_training_objective(config, d).space for d in config.datasets]  # type: ignore[union-attr]
    else:
        spaces = _table_spaces(config)
    for space in spaces:
        for name in config.strategies:
            STRATEGIES.get(name)(space, np.random.default_rng(0), max_queries=config.max_queries,
                                 **config.strategy_params.get(name, {}))


def _table_spaces(config: StudyConfig) -> list[SearchSpace]:
    """The space of every dataset's table, each table checked against the study's settings."""
    if config.benchmark.startswith(FUNCTION_PREFIX):
        raise ConfigError(
            "this study's objective is the Python function "
            f"{config.benchmark[len(FUNCTION_PREFIX):]}: continue it by calling "
            "naslab.optimize(...) again with the same run_dir"
        )
    space = resolve_space(config.space)
    spaces = []
    for dataset in config.datasets:
        benchmark = cached_objective(config, dataset).benchmark
        spaces.append(benchmark.space)
        if benchmark.space.name != space.name:
            raise ConfigError(
                f"benchmark {config.benchmark!r} on {dataset} is a table of space "
                f"{benchmark.space.name!r}, but the study's space is {space.name!r} (--space)"
            )
        if benchmark.cost is None:
            if config.max_cost is not None:
                raise ConfigError(
                    f"benchmark {config.benchmark!r} records no cost (train_time or cost column) "
                    f"for {dataset}, so every query costs 1 and only query budgets work: "
                    "drop the cost budget (--cost / max_cost) or add a cost column"
                )
        elif config.max_queries is None and benchmark.cost.min() <= 0:
            raise ConfigError(
                f"benchmark {config.benchmark!r} on {dataset} has queries that cost nothing, "
                "so a max_cost budget alone may never end; set max_queries too"
            )
    return spaces


def _holds_cwd(folder: Path) -> bool:
    cwd = Path.cwd().resolve()
    return cwd == folder or folder in cwd.parents


def _quoted(run_dir: Path) -> str:
    return shlex.quote(str(run_dir))


def _create_folder(run_dir: Path, config: StudyConfig) -> None:
    """Build the folder beside its final place and move it there complete."""
    with os_errors_as(f"cannot create run folder {run_dir}"):
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = run_dir.parent / f".{run_dir.name}.creating-{os.getpid()}"
        try:
            staging.mkdir()
            table = fingerprint(config.benchmark)
            create_journal(staging, config, {FINGERPRINT_KEY: table} if table else None)
            _move_into_place(staging, run_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def _move_into_place(staging: Path, run_dir: Path) -> None:
    """Make ``staging`` the run folder: replace an old run, fill an empty folder, or rename."""
    if (run_dir / JOURNAL_FILE).exists():  # an old run to overwrite (checked): not while in use
        with run_folder_lock(run_dir):
            shutil.rmtree(run_dir)
            staging.replace(run_dir)
    elif run_dir.is_dir():  # empty (checked), maybe the current folder: keep it, fill it
        os.link(staging / JOURNAL_FILE, run_dir / JOURNAL_FILE)  # fails if another run took it
        (staging / JOURNAL_FILE).unlink()
        for path in staging.iterdir():
            path.replace(run_dir / path.name)
        staging.rmdir()
    else:
        staging.replace(run_dir)


def _run_trials(
    run_dir: Path, config: StudyConfig, progress: bool, objective: Objective | None
) -> None:
    """Run the unfinished trials of ``run_dir``; Ctrl-C raises :class:`StudyInterrupted`."""
    try:
        _run_pending(run_dir, config, progress, objective)
    except KeyboardInterrupt:
        raise StudyInterrupted(
            "every finished evaluation is journaled; continue with "
            f"`naslab resume {_quoted(run_dir)}`"
        ) from None


def _run_pending(
    run_dir: Path, config: StudyConfig, progress: bool, objective: Objective | None
) -> None:
    """The unfinished trials, as whole trials (tables) or evaluation by evaluation."""
    with live_journal(run_dir) as journal:
        statuses = journal.statuses()
        per_trial = objective is None and config.benchmark != TRAINING_BENCHMARK
        objectives = {d: objective or _training_objective(config, d) for d in config.datasets}
        tasks = [
            TrialTask(str(run_dir), config, *trial, objective=objectives[trial[1]],
                      journaled=tuple(journal.evaluations(*trial)) if per_trial else ())
            for trial in config.trials
            if statuses[trial] != "done"
        ]
        total = len(config.trials) * config.max_queries if config.max_queries else None
        executor = make_executor(config.executor_name, config.workers,
                                 address=config.ray_address, resources=config.resources)
        with tqdm(
            total=total, initial=journal.count(), unit="eval", desc="naslab", file=sys.stderr,
            disable=not progress, dynamic_ncols=True,
        ) as bar, executor:
            run = run_whole_trials if per_trial else run_evaluations
            run(journal, executor, tasks, bar.update)
            if bar.total is not None and bar.n < bar.total:  # cost budgets ended trials early
                bar.total = bar.n
                bar.refresh()


def _training_objective(config: StudyConfig, dataset: str) -> Objective | None:
    """The training objective of a training study's ``dataset`` (None for other studies)."""
    if config.benchmark != TRAINING_BENCHMARK:
        return None
    from naslab.training.settings import training_objective

    return training_objective(resolve_space(config.space), dataset, config.training)
