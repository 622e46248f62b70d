"""Executors: where calls run never changes what a study journals."""

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

from naslab.errors import ConfigError
from naslab.execution import Executor, InlineExecutor, ProcessExecutor, WorkerCrashed, make_executor
from naslab.execution.process import _sigint_deferred
from naslab.study import StudyConfig, read_evaluations, run_study

CONFIG = StudyConfig(strategies=("rs", "re"), seeds=3, max_queries=20, batch_size=3).validated()


def test_make_executor_picks_by_name() -> None:
    assert isinstance(make_executor("inline", 1), InlineExecutor)
    with make_executor("process", 3) as pool:
        assert isinstance(pool, ProcessExecutor) and pool.workers == 3
        assert isinstance(pool, Executor) and isinstance(InlineExecutor(), Executor)
    assert CONFIG.executor_name == "inline"
    assert dataclasses.replace(CONFIG, workers=2).executor_name == "process"


def _square(x: int) -> int:
    return x * x


def _fail(message: str) -> None:
    raise ConfigError(message)


def test_inline_futures_are_done_at_once_and_hold_errors() -> None:
    with InlineExecutor() as executor:
        assert executor.submit(_square, 7).result() == 49
        failed = executor.submit(_fail, "no")
        assert failed.done()
        with pytest.raises(ConfigError, match="no"):
            failed.result()


def _threads_and_pid(_: object) -> tuple[str | None, int]:
    return os.environ.get("OMP_NUM_THREADS"), os.getpid()


def test_process_pool_runs_calls_on_its_workers() -> None:
    with ProcessExecutor(2) as pool:
        assert [pool.submit(_square, x).result() for x in range(5)] == [0, 1, 4, 9, 16]
        futures = [pool.submit(_threads_and_pid, None) for _ in range(6)]
        outcomes = [f.result() for f in futures]
        with pytest.raises(ConfigError, match="this call fails"):
            pool.submit(_fail, "this call fails").result()
    threads = {t for t, _ in outcomes}
    assert threads == {str(max(1, (os.cpu_count() or 1) // 2))}  # its share of the cores
    assert len({pid for _, pid in outcomes}) <= 2 and os.getpid() not in {p for _, p in outcomes}


def _die_once(marker: str) -> str:
    """Kill this worker the first time (no marker file yet), succeed on the retry."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died once")
        os.kill(os.getpid(), signal.SIGKILL)
    return "second attempt"


def _always_die(_: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_dead_worker_costs_one_retry_then_the_call_fails(tmp_path: Path) -> None:
    with ProcessExecutor(2) as pool:
        survivor = pool.submit(_square, 3)
        assert pool.submit(_die_once, str(tmp_path / "marker")).result() == "second attempt"
        with pytest.raises(WorkerCrashed, match=r"died \(killed by signal SIGKILL\) on all 2"):
            pool.submit(_always_die, None).result()
        assert survivor.result() == 9  # the other worker's call was not disturbed
        assert pool.submit(_square, 4).result() == 16  # dead workers were replaced


def test_study_results_do_not_depend_on_workers(tmp_path: Path, capfd) -> None:
    one = run_study(CONFIG, tmp_path / "one", progress=False)
    two = run_study(dataclasses.replace(CONFIG, workers=2), tmp_path / "two")
    assert "120/120" in capfd.readouterr().err  # the pooled run's progress bar saw every evaluation
    assert read_evaluations(two).drop(columns="wall_time").equals(
        read_evaluations(one).drop(columns="wall_time"))


def test_closing_on_an_error_ends_the_running_calls_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError, match="this call fails"), ProcessExecutor(2) as pool:
        sleeping = pool.submit(time.sleep, 60)
        pool.submit(_fail, "this call fails").result()
    assert time.monotonic() - started < 30  # not the 60 s of the running call
    assert sleeping.done()


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
