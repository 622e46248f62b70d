"""Run calls in a pool of spawned worker processes, one call per process at a time.

Each worker is its own process with its own pipe, so a worker that dies (killed,
out of memory, a crash in native code) costs only the call it was running: that
call is retried once on a fresh process, then fails with :class:`WorkerCrashed`
(``concurrent.futures``' pool would break every call in flight instead). Workers
are started with the ``spawn`` method on every platform, so calls must be
picklable, and each worker sizes its thread pools to its share of the CPU cores
(``OMP_NUM_THREADS`` and friends, read when a library such as PyTorch loads), so
``workers`` processes do not oversubscribe the machine. A worker whose driver
dies (e.g. ``kill -9``) exits at once instead of computing on for nobody.

Ctrl-C is the driver's alone: workers start with SIGINT blocked and then ignore
it (one keypress, which the terminal sends to the whole process group, prints
no traceback per worker), and the driver ends them when it stops early.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for
from typing import Any

from naslab.errors import ConfigError, NaslabError
from naslab.execution.base import RETRIES, ExecutorBase, R, T, WorkerCrashed

#: Environment variables that size a worker's thread pools (OpenMP, BLAS, PyTorch).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass
class _Job:
    fn: Callable[[Any], Any]
    task: Any
    future: Future[Any]
    attempts: int = 0


class _Worker:
    """One worker process and the driver's end of its pipe."""

    def __init__(self, context: Any, threads: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, threads), daemon=True)
        with _sigint_deferred():
            self.process.start()
        child.close()
        self.job: _Job | None = None

    def exit_reason(self) -> str:
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit code {code}"


class ProcessExecutor(ExecutorBase):
    """Runs calls in up to ``workers`` spawned processes, started as calls arrive."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self._threads = max(1, (os.cpu_count() or 1) // workers)
        self._context = mp.get_context("spawn")
        # The first spawned process starts multiprocessing's resource tracker, which
        # unblocks SIGINT in the starting thread on its way out: start it now, so that
        # _sigint_deferred's block still holds when the workers are spawned.
        resource_tracker.ensure_running()
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._idle: list[_Worker] = []
        self._busy: list[_Worker] = []
        self._wake_r, self._wake_w = self._context.Pipe(duplex=False)
        self._closing = False
        self._monitor = threading.Thread(target=self._watch, daemon=True)
        self._monitor.start()

    def submit(self, fn: Callable[[T], R], task: T) -> Future[R]:
        future: Future[R] = Future()
        with self._lock:
            if self._closing:
                raise NaslabError("the process executor is closed")
            self._queue.append(_Job(fn, task, future))
            self._dispatch()
        return future

    def close(self, cancel: bool = False) -> None:
        with self._lock:
            if self._closing:
                return
            self._closing = True
            for job in self._queue:
                job.future.cancel()
            self._queue.clear()
            workers = self._idle + self._busy
            self._wake_w.send(None)
        self._monitor.join()
        for worker in workers:
            if cancel or worker.job is not None:
                worker.process.terminate()
            else:
                with suppress(OSError, EOFError):  # it may have died meanwhile
                    worker.conn.send(None)
        for worker in workers:
            worker.process.join()
            worker.conn.close()
            if worker.job is not None and not worker.job.future.done():
                worker.job.future.set_exception(CancelledError("the executor was closed"))

    # --- the driver side ------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Hand queued calls to idle workers, starting workers up to ``workers`` (lock held)."""
        while self._queue:
            if self._idle:
                worker = self._idle.pop()
            elif len(self._busy) < self.workers:
                worker = _Worker(self._context, self._threads)
            else:
                return
            job = self._queue.popleft()
            if job.attempts == 0 and not job.future.set_running_or_notify_cancel():
                self._idle.append(worker)
                continue
            worker.job = job
            self._busy.append(worker)
            try:
                worker.conn.send((job.fn, job.task))
            except (OSError, EOFError):  # it died already: the monitor sees its sentinel
                pass
            except Exception as exc:  # the call does not pickle
                worker.job = None
                self._busy.remove(worker)
                self._idle.append(worker)
                job.future.set_exception(exc)
        self._wake_w.send(None)  # the monitor must watch the new busy workers

    def _watch(self) -> None:
        """Deliver results and notice deaths until the executor closes."""
        while True:
            with self._lock:
                if self._closing:
                    return
                busy = list(self._busy)
            handles: list[Any] = [self._wake_r]
            for worker in busy:
                handles += [worker.conn, worker.process.sentinel]
            for ready in wait_for(handles):
                if ready is self._wake_r:
                    self._wake_r.recv()
                    continue
                owner = next((w for w in busy if ready in (w.conn, w.process.sentinel)), None)
                if owner is not None and owner.job is not None:
                    self._collect(owner)

    def _collect(self, worker: _Worker) -> None:
        job = worker.job
        assert job is not None
        try:
            ok, value = worker.conn.recv()
        except (EOFError, OSError):  # the worker died mid-call
            with self._lock:
                self._busy.remove(worker)
                worker.job = None
                reason = worker.exit_reason()
                worker.conn.close()
                job.attempts += 1
                if job.attempts > RETRIES:
                    job.future.set_exception(WorkerCrashed(
                        f"the worker process died ({reason}) on all {job.attempts} attempts"
                    ))
                elif not self._closing:
                    self._queue.appendleft(job)
                    self._dispatch()
            return
        with self._lock:
            worker.job = None
            self._busy.remove(worker)
            self._idle.append(worker)
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
            if not self._closing:
                self._dispatch()


# --- the worker side ------------------------------------------------------------------------
def _serve(conn: Connection, threads: int) -> None:
    """A worker's life: run calls from the pipe until told to stop or the driver dies."""
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, str(threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    parent = mp.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        fn, task = message
        try:
            reply: tuple[bool, Any] = (True, fn(task))
        except Exception as exc:
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # a result or an exception that does not pickle
            conn.send((False, NaslabError(f"a worker's result could not be sent back: {exc}")))


def _exit_with(parent_sentinel: int) -> None:
    """Block until the driver process ends, then end this worker immediately."""
    wait_for([parent_sentinel])
    os._exit(1)


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Start a process meanwhile with Ctrl-C blocked, and raise a Ctrl-C here only afterwards.

    A spawned Python keeps SIGINT blocked while it starts, where the worker's own
    handler would come too late. Raised mid-spawn, a KeyboardInterrupt would leave
    a worker half started, so meanwhile this process only notes one (Python runs
    signal handlers in the main thread only).
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
