"""Executors: where a study's calls run (inline, a process pool, a Ray cluster)."""

from __future__ import annotations

from collections.abc import Mapping

from naslab.execution.base import Executor, WorkerCrashed
from naslab.execution.inline import InlineExecutor
from naslab.execution.process import ProcessExecutor


def make_executor(
    name: str, workers: int, *, address: str | None = None,
    resources: Mapping[str, float] | None = None,
) -> Executor:
    """The executor ``name`` (``inline``, ``process`` or ``ray``) with ``workers`` workers."""
    if name == "ray":
        from naslab.execution.ray import RayExecutor

        return RayExecutor(workers, address, resources)
    return ProcessExecutor(workers) if name == "process" else InlineExecutor()


__all__ = ["Executor", "InlineExecutor", "ProcessExecutor", "WorkerCrashed", "make_executor"]
