"""Run calls as Ray tasks: on a local cluster started for the study, or on an existing one.

Install with ``pip install 'naslab[ray]'``. ``address`` joins a running cluster
(``ray start --head`` on the head node, then e.g. ``"auto"`` or
``"ray://head:10001"``); without one, a local cluster is started for the study
and shut down after it. Each call is one task holding ``resources`` (default one
CPU; e.g. ``{"num_gpus": 1}`` for a training run per GPU). Ray itself runs a
task whose worker died once more (``max_retries``), after which the future
raises :class:`WorkerCrashed`. A call's own exception is re-raised as itself.

Checkpoints of interrupted evaluations live in the run folder, so on a
multi-node cluster put the run folder on storage every node sees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from naslab.errors import ConfigError
from naslab.execution.base import RETRIES, ExecutorBase, R, T, WorkerCrashed

#: Resource names Ray's task options take directly; any other name is a custom resource.
RAY_OPTIONS = ("num_cpus", "num_gpus", "memory")


def import_ray() -> Any:
    """The ``ray`` module, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "the Ray executor needs Ray: pip install 'naslab[ray]'"
        ) from None
    return ray


class RayExecutor(ExecutorBase):
    """Keeps up to ``workers`` calls in flight as Ray tasks."""

    def __init__(
        self, workers: int, address: str | None = None,
        resources: Mapping[str, float] | None = None,
    ) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}")
        ray = import_ray()
        self.workers = workers
        self._ray = ray
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            ray.init(
                address=address, include_dashboard=False, configure_logging=False,
                log_to_driver=False,
            )
        resources = dict(resources or {})
        options: dict[str, Any] = {k: resources.pop(k) for k in RAY_OPTIONS if k in resources}
        options.setdefault("num_cpus", 1)
        if resources:
            options["resources"] = resources
        self._remote = ray.remote(_call).options(max_retries=RETRIES, **options)

    def submit(self, fn: Callable[[T], R], task: T) -> Future[R]:
        future: Future[R] = Future()
        ray_future = self._remote.remote(fn, task).future()
        ray_future.add_done_callback(lambda done: self._deliver(done, future))
        return future

    def _deliver(self, done: Future[Any], future: Future[Any]) -> None:
        """Hand a task's outcome over, Ray's errors translated to naslab's."""
        exceptions = self._ray.exceptions
        try:
            future.set_result(done.result())
        except exceptions.RayTaskError as exc:  # the call raised: re-raise its own exception
            future.set_exception(exc.as_instanceof_cause())
        except (exceptions.WorkerCrashedError, exceptions.NodeDiedError,
                exceptions.OutOfMemoryError) as exc:
            future.set_exception(WorkerCrashed(
                f"the Ray worker died on all {RETRIES + 1} attempts: {str(exc).splitlines()[0]}"
            ))
        except Exception as exc:
            future.set_exception(exc)

    def close(self, cancel: bool = False) -> None:
        if self._owns_cluster and self._ray.is_initialized():
            self._ray.shutdown()


def _call(fn: Callable[[T], R], task: T) -> R:
    return fn(task)
