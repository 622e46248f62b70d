"""Run tasks one after another in the calling process: no start-up cost, easy to debug."""

from __future__ import annotations

from collections.abc import Sequence

from naslab.execution.base import Progress, R, T, TaskFn


class InlineExecutor:
    """The executor of ``workers = 1``."""

    workers = 1

    def run(self, fn: TaskFn[T, R], tasks: Sequence[T], on_progress: Progress) -> list[R]:
        return [fn(task, on_progress) for task in tasks]
