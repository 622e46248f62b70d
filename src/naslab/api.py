"""naslab as a library: strategies by name with ask / tell, and studies of any Python function.

In the spirit of Optuna's ask-and-tell interface::

    space = naslab.CategoricalSpace("mine", ["a", "b", "c"], ["conv3", "conv5", "skip"])
    search = naslab.strategy("re", space, seed=0)
    for _ in range(50):
        (arch,) = search.ask()
        search.tell(arch, my_error(arch))
    print(search.recommend())

and a whole study (strategies x seeds, journaled, resumable, reported like a
table study) of a function: ``naslab.optimize(my_error, space, ["rs", "re"], ...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from naslab.analysis import Report
from naslab.benchmarks import FUNCTION_PREFIX
from naslab.benchmarks.function import FunctionObjective
from naslab.errors import ConfigError, RunFolderError
from naslab.observation import table_metric
from naslab.spaces import SPACES
from naslab.spaces.base import SearchSpace
from naslab.strategies import STRATEGIES, Strategy
from naslab.study.config import StudyConfig
from naslab.study.journal import JOURNAL_FILE, read_config, read_evaluations
from naslab.study.reporting import report_run
from naslab.study.runner import resume_study, run_study


def strategy(
    name: str,
    space: SearchSpace,
    *,
    seed: int = 0,
    max_queries: int | None = None,
    **hyperparameters: Any,
) -> Strategy:
    """The registered strategy ``name`` searching ``space``, seeded with ``seed``.

    ``max_queries`` is the budget strategies with a schedule need (biased RS);
    ``hyperparameters`` are checked as a study config checks them.
    """
    factory = STRATEGIES.get(name)
    return factory(space, np.random.default_rng(seed), max_queries=max_queries, **hyperparameters)


@dataclass(frozen=True)
class StudyResult:
    """What :func:`optimize` ran: the run folder, every journaled evaluation (tidy), the report."""

    run_dir: Path
    evaluations: pd.DataFrame
    report: Report

    def recommended(self) -> pd.DataFrame:
        """Per (strategy, dataset, seed): the architecture the strategy returned at the end."""
        last = self.evaluations.sort_values("step").groupby(
            ["strategy", "dataset", "seed"], sort=False
        ).tail(1)
        return last[["strategy", "dataset", "seed", "recommended"]].reset_index(drop=True)


def optimize(
    fn: Callable[..., Any],
    space: SearchSpace,
    strategies: Sequence[str] = ("rs",),
    *,
    run_dir: str | Path,
    seeds: int = 1,
    first_seed: int = 0,
    max_queries: int | None = 100,
    max_cost: float | None = None,
    goal: str = "min",
    metric: str = "value",
    dataset: str | None = None,
    batch_size: int = 1,
    workers: int = 1,
    asynchronous: bool = False,
    executor: str | None = None,
    ray_address: str | None = None,
    resources: Mapping[str, float] | None = None,
    strategy_params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = False,
) -> StudyResult:
    """Search ``space`` for the architecture that minimises (``goal="min"``) or maximises ``fn``.

    ``fn(arch)`` (or ``fn(arch, rng)``) returns the metric, or a mapping with it
    under ``"value"`` plus ``"cost"`` and other numbers (see
    :mod:`naslab.benchmarks.function`). Every strategy runs with every seed under
    the budget, journaled into ``run_dir`` as a table study is; calling
    ``optimize`` again with the same arguments and ``run_dir`` resumes an
    interrupted study (a finished one is returned as it is). Up to ``workers``
    evaluations run at once (``batch_size`` per trial, ``asynchronous`` as in
    :class:`~naslab.study.StudyConfig`) on a process pool or on Ray (``executor``,
    ``ray_address``, ``resources``), which needs a picklable ``fn`` (a module-level
    function). The run folder gets the
    same report as a table study's (``report.md``, ``report.html``, plots).
    """
    run_dir = Path(run_dir)
    name = getattr(fn, "__qualname__", type(fn).__name__)
    config = StudyConfig(
        space=_space_spec(space),
        benchmark=f"{FUNCTION_PREFIX}{getattr(fn, '__module__', '?')}.{name}",
        datasets=(dataset or name.split(".")[-1],),
        strategies=tuple(strategies),
        seeds=seeds,
        first_seed=first_seed,
        max_queries=max_queries,
        max_cost=max_cost,
        noise="mean",
        batch_size=batch_size,
        workers=workers,
        asynchronous=asynchronous,
        executor=executor,
        ray_address=ray_address,
        resources=dict(resources or {}),
        strategy_params=dict(strategy_params or {}),
        metric=metric,
        goal=goal,
    ).validated()
    objective = FunctionObjective(fn, space, table_metric(metric, goal))
    if (run_dir / JOURNAL_FILE).exists():
        stored = read_config(run_dir)
        if stored.to_dict() != config.to_dict():
            raise RunFolderError(
                f"{run_dir} holds another study (its config differs from this call's); "
                "give a new run_dir to start a new study"
            )
        resume_study(run_dir, progress=progress, objective=objective)
    else:
        run_study(config, run_dir, progress=progress, objective=objective)
    return StudyResult(run_dir.resolve(), read_evaluations(run_dir), report_run(run_dir))


def _space_spec(space: SearchSpace) -> str | dict[str, Any]:
    """What a journal stores to rebuild ``space``: its definition, or its registered name."""
    if not isinstance(space, SearchSpace):
        raise ConfigError(f"optimize() needs a naslab search space, got {type(space).__name__}")
    definition = space.definition()
    if definition is not None:
        return definition
    for entry in SPACES:
        if entry.factory is type(space):
            return entry.name
    raise ConfigError(
        f"space {space.name!r} has no definition() and is not registered, so a run could not "
        "be reopened; register its class (naslab.spaces entry point) or return a definition"
    )
