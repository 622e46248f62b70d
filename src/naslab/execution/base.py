"""The executor contract: run independent tasks, report progress, return results in order.

A task is one trial of a study. Executors only decide *where* tasks run
(inline, a process pool, later a Ray cluster); they never change results,
because every task derives its randomness from its own seed and writes its
own rows of the journal. A new backend is one new class with ``run``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")
R = TypeVar("R")

#: Called with the number of evaluations completed since the last call.
Progress = Callable[[int], None]
#: A task function: ``fn(task, report)``, calling ``report(n)`` as it completes evaluations.
#: It must be a picklable module-level function for executors that leave the process.
TaskFn = Callable[[T, Progress], R]


@runtime_checkable
class Executor(Protocol):
    """Runs ``fn`` on every task; ``on_progress`` is called in the caller's process."""

    workers: int

    def run(self, fn: TaskFn[T, R], tasks: Sequence[T], on_progress: Progress) -> list[R]:
        """``[fn(task, ...) for task in tasks]``; the first task error propagates."""
        ...
