"""Executors: where trials run never changes what they journal."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from naslab.errors import ConfigError, RunFolderError
from naslab.execution import Executor, InlineExecutor, ProcessExecutor, make_executor
from naslab.execution.process import _sigint_deferred
from naslab.study import StudyConfig, read_evaluations, run_study
from naslab.study.journal import create_journal
from naslab.study.trial import TrialTask, run_trial

CONFIG = StudyConfig(strategies=("rs", "re"), seeds=3, max_queries=20, batch_size=3).validated()


def test_make_executor_picks_by_workers() -> None:
    assert isinstance(make_executor(1), InlineExecutor)
    pool = make_executor(3)
    assert isinstance(pool, ProcessExecutor) and pool.workers == 3
    assert isinstance(pool, Executor) and isinstance(InlineExecutor(), Executor)
    with pytest.raises(ConfigError, match="workers must be at least 1, got 0"):
        ProcessExecutor(0)
    assert ProcessExecutor(2).run(run_trial, [], print) == []


def test_inline_executor_runs_in_order_and_reports() -> None:
    seen: list[int] = []

    def square(task: int, report) -> int:
        report(task)
        return task * task

    assert InlineExecutor().run(square, [3, 1, 2], seen.append) == [9, 1, 4]
    assert seen == [3, 1, 2]


def test_process_pool_runs_trials_like_inline(tmp_path: Path) -> None:
    runs = {}
    for name, executor in (("inline", InlineExecutor()), ("pool", ProcessExecutor(2))):
        run_dir = tmp_path / name
        run_dir.mkdir()
        create_journal(run_dir, CONFIG)
        tasks = [TrialTask(str(run_dir), CONFIG, *trial) for trial in CONFIG.trials]
        progress: list[int] = []
        assert executor.run(run_trial, tasks, progress.append) == [20] * 6
        assert sum(progress) == 6 * 20
        runs[name] = read_evaluations(run_dir).drop(columns="wall_time")
    assert runs["pool"].equals(runs["inline"])


def test_worker_errors_reach_the_caller(tmp_path: Path) -> None:
    task = TrialTask(str(tmp_path / "gone"), CONFIG, "rs", "cifar10", 0)
    with pytest.raises(RunFolderError, match="gone is not a naslab run folder"):
        ProcessExecutor(1).run(run_trial, [task], print)


def test_study_results_do_not_depend_on_workers(tmp_path: Path, capfd) -> None:
    one = run_study(CONFIG, tmp_path / "one", progress=False)
    two = run_study(dataclasses.replace(CONFIG, workers=2), tmp_path / "two")
    assert "120/120" in capfd.readouterr().err  # the pooled run's progress bar saw every evaluation
    assert read_evaluations(two).drop(columns="wall_time").equals(
        read_evaluations(one).drop(columns="wall_time"))


def _fail_or_sleep(task: str, report) -> None:
    if task == "fail":
        raise ConfigError("this task fails")
    time.sleep(60)


def test_a_failing_task_ends_the_running_ones_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError, match="this task fails"):
        ProcessExecutor(2).run(_fail_or_sleep, ["sleep", "fail", "sleep"], print)
    assert time.monotonic() - started < 30  # not the 60 s of the running task


def test_workers_start_with_ctrl_c_held_back_and_the_caller_gets_it_after() -> None:
    """A Ctrl-C while workers spawn is raised once they are started, not halfway."""
    show_mask = "import signal; print(sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])))"
    finished_spawning = False
    bystander = threading.Thread(target=time.sleep, args=(1,))  # as tqdm's monitor: it may
    bystander.start()  # take the signal, and Python then raises in the main thread at once
    with pytest.raises(KeyboardInterrupt), _sigint_deferred():
        child = subprocess.run([sys.executable, "-c", show_mask], capture_output=True,
                               text=True, check=True)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)  # where a plain KeyboardInterrupt would strike
        finished_spawning = True
    assert finished_spawning
    assert "<Signals.SIGINT: 2>" in child.stdout  # the child starts with Ctrl-C blocked
