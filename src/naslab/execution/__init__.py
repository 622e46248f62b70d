"""Executors: where a study's independent trials run (inline or a process pool)."""

from naslab.execution.base import Executor, Progress, TaskFn
from naslab.execution.inline import InlineExecutor
from naslab.execution.process import ProcessExecutor


def make_executor(workers: int) -> Executor:
    """The inline executor for one worker, a process pool for more."""
    return InlineExecutor() if workers == 1 else ProcessExecutor(workers)


__all__ = ["Executor", "InlineExecutor", "ProcessExecutor", "Progress", "TaskFn", "make_executor"]
