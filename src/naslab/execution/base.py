"""The executor contract: run submitted calls somewhere and hand back futures.

An executor runs ``fn(task)`` calls: whole trials of a table study, or single
evaluations of a training study. It only decides *where* they run (inline, a
process pool, a Ray cluster); it never changes results, because every call
derives its randomness from its own seed and returns its result to the study
driver, the journal's only writer. A new backend is one new class with
``submit`` and ``close``.

A worker that dies while running a call (killed, out of memory, a segfault in
native code) costs that call one retry; when it dies again the future raises
:class:`WorkerCrashed`, which the driver records as a failed evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar, runtime_checkable

from naslab.errors import NaslabError

T = TypeVar("T")
R = TypeVar("R")

#: How often a call whose worker died is run again before it counts as failed.
RETRIES = 1


class WorkerCrashed(NaslabError):
    """The worker running a call died, on every attempt."""


@runtime_checkable
class Executor(Protocol):
    """Runs submitted calls; at most ``workers`` at a time are worth submitting."""

    workers: int

    def submit(self, fn: Callable[[T], R], task: T) -> Future[R]:
        """Start ``fn(task)`` (``fn`` a picklable module-level function for remote backends)."""
        ...

    def close(self, cancel: bool = False) -> None:
        """Release the workers; ``cancel`` ends calls still running instead of waiting."""
        ...

    def __enter__(self) -> Any: ...

    def __exit__(self, exc_type: object, *exc: object) -> None: ...


class ExecutorBase:
    """Context management shared by every backend: close on exit, cancelling on an error."""

    workers: int

    def close(self, cancel: bool = False) -> None:  # noqa: B027 - nothing to release by default
        """Release the workers (nothing to do for a backend without any)."""

    def __enter__(self) -> ExecutorBase:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(cancel=exc_type is not None)
