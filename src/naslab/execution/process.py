"""Run tasks in a pool of spawned worker processes (``concurrent.futures``).

Workers are started with the ``spawn`` method on every platform, so tasks and
task functions must be picklable and each worker opens its own resources (a
study's workers each open their own journal connection). Progress travels
through one shared counter that the caller polls, which is cheaper than a
queue message per evaluation. A worker whose caller dies (e.g. ``kill -9``)
exits at once instead of writing on while the user resumes the run.

Ctrl-C is the caller's alone: workers start with SIGINT blocked and then
ignore it (so one keypress, which the terminal sends to the whole process
group, prints no traceback per worker), and the caller ends them when it stops
early (Ctrl-C or a task's error) instead of waiting for trials that may run for
hours. A worker ended mid-trial loses at most its evaluation in flight.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing.connection import wait as wait_for_sentinels
from typing import Any

from naslab.errors import ConfigError
from naslab.execution.base import Progress, R, T, TaskFn

POLL_S = 0.2

_counter: Any = None  # per worker process: the shared progress counter, set by _initialise


def _initialise(counter: Any) -> None:
    global _counter
    _counter = counter
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # drops a Ctrl-C that came while starting
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    parent = mp.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(parent_sentinel: int) -> None:
    """Block until the parent process ends, then end this worker immediately."""
    wait_for_sentinels([parent_sentinel])
    os._exit(1)


def _report(n: int) -> None:
    with _counter.get_lock():
        _counter.value += n


def _call(fn: TaskFn[T, R], task: T) -> R:
    return fn(task, _report)


class ProcessExecutor:
    """Runs tasks in ``workers`` spawned processes, at most one task per process at a time."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}")
        self.workers = workers

    def run(self, fn: TaskFn[T, R], tasks: Sequence[T], on_progress: Progress) -> list[R]:
        if not tasks:
            return []
        context = mp.get_context("spawn")
        counter = context.Value("q", 0)
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)),
            mp_context=context,
            initializer=_initialise,
            initargs=(counter,),
        ) as pool:
            try:
                with _sigint_deferred():  # the pool starts its workers on submit
                    futures = [pool.submit(_call, fn, task) for task in tasks]
                self._wait(futures, counter, on_progress)
            except BaseException:
                _stop(pool)
                raise
        return [future.result() for future in futures]

    @staticmethod
    def _wait(futures: list[Future[R]], counter: Any, on_progress: Progress) -> None:
        """Forward the counter to ``on_progress`` until all tasks end; re-raise the first error."""
        reported = 0
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_EXCEPTION)
            value = counter.value
            if value > reported:
                on_progress(value - reported)
                reported = value
            for future in done:
                future.result()


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Start processes meanwhile with Ctrl-C blocked, and raise a Ctrl-C here only afterwards.

    A spawned Python keeps SIGINT blocked while it imports, where an initializer
    would come too late (the initializer then ignores it). Raised mid-spawn, a
    KeyboardInterrupt would leave a worker half started, so meanwhile this process
    only notes one (Python runs signal handlers in the main thread only).
    """
    received: list[int] = []
    on_main = threading.current_thread() is threading.main_thread()
    if on_main:
        handler = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if on_main:
            signal.signal(signal.SIGINT, handler)
    if received:
        raise KeyboardInterrupt


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the running workers now and cancel the tasks not started."""
    for process in list(pool._processes.values()):  # no public API before Python 3.14
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
