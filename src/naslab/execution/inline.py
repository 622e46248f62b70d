"""Run each call at once in the calling process: no start-up cost, easy to debug."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from naslab.execution.base import ExecutorBase, R, T


class InlineExecutor(ExecutorBase):
    """The executor of ``workers = 1``: ``submit`` returns a future that is already done.

    A call's exception is held by its future; Ctrl-C is not, so it stops the study.
    """

    workers = 1

    def submit(self, fn: Callable[[T], R], task: T) -> Future[R]:
        future: Future[R] = Future()
        try:
            future.set_result(fn(task))
        except Exception as exc:
            future.set_exception(exc)
        return future
