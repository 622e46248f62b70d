"""One trial: a strategy searching one benchmark with one seed, journaling as it goes.

The same loop runs a fresh trial and resumes an interrupted one: it recreates
the strategy from the seed, asks with the same batch sizes, and wherever the
journal already holds step ``t`` it checks the proposal matches and tells the
journaled result instead of evaluating again. Because a strategy's state is a
function of its seed and what it was told (DESIGN.md), the resumed trial ends
with exactly the journal an uninterrupted one would have written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from naslab.benchmarks import BENCHMARKS, Objective, TableObjective, load_benchmark
from naslab.errors import NaslabError
from naslab.observation import Observation, table_metric
from naslab.spaces import Architecture, resolve_space
from naslab.strategies import STRATEGIES
from naslab.study.config import StudyConfig
from naslab.study.journal import Evaluation, Journal
from naslab.study.seeding import StepNoise, strategy_rng

Report = Callable[[int], None]
_METRICS_JSON = json.JSONEncoder(default=float)  # numpy scalars -> float; reused: dumps() is slower

ObjectiveKey = tuple[str, str, str, str, str | None, str | None]
#: Objectives built by this process, by what they depend on (benchmark spec, dataset, noise,
#: space, metric, goal): loading a table and indexing it takes ~0.3 s, so each process does
#: it once. Registered benchmarks ship with naslab and stay cached; tables read from the
#: user's files are dropped when a study ends (the files may change). Worker processes fill
#: their own cache.
_OBJECTIVES: dict[ObjectiveKey, TableObjective] = {}


def cached_objective(config: StudyConfig, dataset: str) -> TableObjective:
    """The table objective of ``config`` on ``dataset``, loaded once per process."""
    space_key = json.dumps(config.space, sort_keys=True)
    key = (config.benchmark, dataset, config.noise, space_key, config.metric, config.goal)
    if key not in _OBJECTIVES:
        benchmark = load_benchmark(
            config.benchmark, dataset, space=resolve_space(config.space),
            metric=table_metric(config.metric, config.goal),
        )
        _OBJECTIVES[key] = TableObjective(benchmark, config.noise)  # type: ignore[arg-type]
    return _OBJECTIVES[key]


def forget_file_objectives() -> None:
    """Drop the cached objectives of benchmarks read from files."""
    for key in [k for k in _OBJECTIVES if k[0] not in BENCHMARKS]:
        del _OBJECTIVES[key]


@dataclass(frozen=True)
class TrialTask:
    """Everything a worker process needs to run one trial (all picklable).

    ``objective`` is given where it is not a table the worker can load itself
    (a user's Python function).
    """

    run_dir: str
    config: StudyConfig
    strategy: str
    dataset: str
    seed: int
    objective: Objective | None = None


def run_trial(task: TrialTask, report: Report) -> int:
    """Run (or finish) one trial; ``report(n)`` is called after each new evaluation.

    Returns the number of evaluations made by this call. The trial stops after
    ``max_queries`` evaluations, or right after the evaluation whose cost makes
    the cumulative cost reach ``max_cost`` or, with ``stop_at_optimum``, that
    queries a globally optimal architecture (that evaluation counts, the rest of
    its batch is not evaluated).
    """
    config = task.config
    objective = task.objective or cached_objective(config, task.dataset)
    strategy = STRATEGIES.get(task.strategy)(
        objective.space,
        strategy_rng(task.seed, task.strategy, task.dataset),
        max_queries=config.max_queries,
        **config.strategy_params.get(task.strategy, {}),
    )
    noise = StepNoise(task.seed, task.dataset)
    trial = (task.strategy, task.dataset, task.seed)
    with Journal(Path(task.run_dir)) as journal:
        journaled = {e.step: e for e in journal.evaluations(*trial)}
        elapsed = max((e.wall_time for e in journaled.values()), default=0.0)
        started = time.perf_counter()
        step = batch = new = 0
        total_cost = 0.0
        reached = False
        optimum = _optimum(config, objective)
        while not (reached or _spent(config, step, total_cost)):
            size = config.batch_size
            if config.max_queries is not None:
                size = min(size, config.max_queries - step)
            told = []
            archs = strategy.ask(size)
            before = _text(strategy.recommend())
            for k, arch in enumerate(archs):
                text = str(arch)
                past = journaled.pop(step, None)
                if past is not None:
                    _check_replay(task, past, step, batch, text)
                    obs = Observation(arch, past.value, past.cost,
                                      MappingProxyType(json.loads(past.metrics)))
                else:
                    obs = objective.evaluate(arch, noise.at(step))
                told.append(obs)
                step += 1
                total_cost += obs.cost
                reached = optimum is not None and optimum(arch)
                ends_batch = k == len(archs) - 1 or reached or _spent(config, step, total_cost)
                if ends_batch:  # the strategy learns the batch before its last row is journaled
                    strategy.tell(told)
                if past is None:
                    wall = elapsed + time.perf_counter() - started
                    metrics = _METRICS_JSON.encode(dict(obs.metrics))
                    recommended = _text(strategy.recommend()) if ends_batch else before
                    journal.append(*trial, Evaluation(
                        step - 1, batch, text, obs.value, obs.cost, metrics, wall, recommended
                    ))
                    new += 1
                    report(1)
                if ends_batch:
                    break
            batch += 1
        if journaled:
            raise NaslabError(
                f"{task.run_dir}: trial {_name(task)} has {len(journaled)} journaled evaluations "
                "beyond its budget; the journal does not match its config"
            )
        journal.mark_done(*trial)
    return new


def _text(arch: Architecture | None) -> str | None:
    return None if arch is None else str(arch)


def _optimum(config: StudyConfig, objective: Objective) -> Callable[[Architecture], bool] | None:
    """With ``stop_at_optimum``: whether an architecture is a global optimum of the table."""
    if not config.stop_at_optimum:
        return None
    benchmark = objective.benchmark  # type: ignore[attr-defined]  # checked by the config
    best = benchmark.optimum_value
    return lambda arch: benchmark.true_value(arch) <= best


def _spent(config: StudyConfig, step: int, cost: float) -> bool:
    return (config.max_queries is not None and step >= config.max_queries) or (
        config.max_cost is not None and cost >= config.max_cost
    )


def _check_replay(task: TrialTask, past: Evaluation, step: int, batch: int, arch: str) -> None:
    if past.arch != arch or past.batch != batch:
        raise NaslabError(
            f"{task.run_dir}: cannot resume trial {_name(task)}: at step {step} the strategy "
            f"proposes {arch} (batch {batch}) but the journal holds {past.arch} "
            f"(batch {past.batch}); the journal was written by another naslab version or strategy"
        )


def _name(task: TrialTask) -> str:
    return f"{task.strategy}/{task.dataset}/seed {task.seed}"
