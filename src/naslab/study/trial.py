"""One trial: a strategy searching one objective with one seed, as a loop the driver steps.

:class:`TrialLoop` asks the strategy for what the trial's policy allows, hands
out the evaluations it needs and tells their results back. The policy is fixed
by the config, never by timing: in batch mode it asks ``batch_size``
architectures, waits for all of them and tells them in step order; in
asynchronous mode it keeps ``batch_size`` evaluations in flight, telling each
result as it arrives and asking one new architecture per result. The order
results were told is journaled (``told``), so the asks that follow from it
are fixed too.

The same loop runs a fresh trial and resumes an interrupted one: it recreates
the strategy from the seed, and wherever the journal already holds a step it
checks the proposal matches and tells the journaled result (in its journaled
order) instead of evaluating again. Because a strategy's state is a function of
its seed and what it was told (DESIGN.md), the resumed trial ends with exactly
the journal an uninterrupted one would have written, whatever ran the
evaluations.

A trial ends when it has asked ``max_queries`` architectures, or at the
evaluation (in tell order) that makes its cumulative cost reach ``max_cost`` or,
with ``stop_at_optimum``, that queries a globally optimal architecture. In batch
mode the results of that batch after that step lie beyond the budget and are
dropped; in asynchronous mode the evaluations still in flight finish and count.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

import numpy as np

from naslab.benchmarks import BENCHMARKS, Objective, TableObjective, load_benchmark
from naslab.errors import NaslabError
from naslab.observation import Observation, table_metric
from naslab.spaces import Architecture, resolve_space
from naslab.strategies import STRATEGIES
from naslab.study.config import StudyConfig
from naslab.study.journal import Evaluation
from naslab.study.seeding import StepNoise, strategy_rng

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
    """Everything needed to run one trial (all picklable, for trials run in workers).

    ``objective`` is given where it is not a table a worker loads itself (a user's
    Python function, a training objective); ``journaled`` holds the trial's
    evaluations already in the journal, which a worker replays.
    """

    run_dir: str
    config: StudyConfig
    strategy: str
    dataset: str
    seed: int
    objective: Objective | None = None
    journaled: tuple[Evaluation, ...] = ()

    @property
    def trial(self) -> tuple[str, str, int]:
        return (self.strategy, self.dataset, self.seed)

    @property
    def name(self) -> str:
        return f"{self.strategy}/{self.dataset}/seed {self.seed}"

    def objective_here(self) -> Objective:
        """The objective, loaded in this process if it is a table."""
        return self.objective or cached_objective(self.config, self.dataset)


class Sink(Protocol):
    """Where a trial's journal rows go: the journal itself, or a list a worker returns."""

    def append(self, evaluation: Evaluation) -> None: ...

    def set_recommended(self, step: int, recommended: str | None) -> None: ...

    def drop(self, steps: list[int]) -> None: ...


class TrialLoop:
    """The state of one trial between the driver's calls (module doc: the policy)."""

    def __init__(self, task: TrialTask, sink: Sink, journaled: tuple[Evaluation, ...]) -> None:
        config = task.config
        self.task = task
        self.objective = task.objective_here()
        self.strategy = STRATEGIES.get(task.strategy)(
            self.objective.space,
            strategy_rng(task.seed, task.strategy, task.dataset),
            max_queries=config.max_queries,
            **config.strategy_params.get(task.strategy, {}),
        )
        self.noise = StepNoise(task.seed, task.dataset)
        self.sink = sink
        self._config = config
        self._asynchronous = config.asynchronous
        self._journaled = {e.step: e for e in journaled}
        self._replay = sorted(journaled, key=lambda e: e.told)
        self._optimum = _optimum(config, self.objective)
        self._elapsed = max((e.wall_time for e in journaled), default=0.0)
        self._started = time.perf_counter()
        self._asked: dict[int, tuple[Architecture, int]] = {}  # step -> (arch, batch), untold
        self._results: dict[int, Observation] = {}  # finished, waiting for their batch
        self._step = self._batch = self._told = 0
        self._cost = 0.0
        self._ended = False
        self._before: str | None = None  # recommend() when the current batch was asked

    # --- what the driver calls ------------------------------------------------------------
    @property
    def done(self) -> bool:
        """Whether the trial asks nothing more and waits for nothing."""
        return self._ended and not self._asked

    def requests(self) -> list[tuple[int, Architecture]]:
        """Ask what the policy allows now; the (step, arch) pairs that need an evaluation.

        Journaled results are told along the way; the rest is for the caller to
        evaluate (with :meth:`rng`) and hand back to :meth:`complete`.
        """
        new: list[tuple[int, Architecture]] = []
        while True:
            new += [(s, a) for s, a in self._ask() if s not in self._journaled]
            if not self._replay_next():
                return new

    def rng(self, step: int) -> np.random.Generator:
        """The evaluation noise of ``step`` (shared: valid until the next call)."""
        return self.noise.at(step)

    def complete(self, step: int, obs: Observation) -> None:
        """The result of an evaluation :meth:`requests` handed out, journaled at once."""
        if self._asynchronous:
            self._tell_one(step, obs, journal=True)
            return
        self._results[step] = obs
        self.sink.append(self._row(step, obs, self._asked[step][1], step, self._before))
        self._tell_batch_if_complete()

    def finish(self) -> None:
        """Check the journal held nothing beyond the trial's budget."""
        if self._journaled:
            raise NaslabError(
                f"{self.task.run_dir}: trial {self.task.name} has {len(self._journaled)} "
                "journaled evaluations beyond its budget; the journal does not match its config"
            )

    # --- the policy -----------------------------------------------------------------------
    def _ask(self) -> list[tuple[int, Architecture]]:
        """Ask as many architectures as the policy allows now (none once the trial ended)."""
        if self._ended:
            return []
        if self._asynchronous:
            size = self._config.batch_size - len(self._asked)
        else:
            size = 0 if self._asked else self._config.batch_size
        if self._config.max_queries is not None:
            size = min(size, self._config.max_queries - self._step)
        if size <= 0:
            if not self._asked and self._config.max_queries is not None:
                self._ended = True  # every query asked and told (never cuts a batch in flight)
            return []
        self._before = _text(self.strategy.recommend())
        archs = self.strategy.ask(size)
        out = []
        for arch in archs:
            past = self._journaled.get(self._step)
            if past is not None:
                self._check_replay(past, self._step, self._batch, str(arch))
            self._asked[self._step] = (arch, self._batch)
            out.append((self._step, arch))
            self._step += 1
            if self._asynchronous:
                self._batch += 1
        if not self._asynchronous:
            self._batch += 1
        return out

    def _replay_next(self) -> bool:
        """Tell the next journaled result if its turn has come; whether one was told."""
        if self._asynchronous:
            if not self._replay or self._replay[0].told != self._told:
                return False
            past = self._replay[0]
            if past.step not in self._asked:
                raise NaslabError(
                    f"{self.task.run_dir}: cannot resume trial {self.task.name}: its journal "
                    f"tells step {past.step} before it is asked; the journal does not match "
                    "its config"
                )
            self._replay.pop(0)
            self._tell_one(past.step, self._observation(past), journal=False)
            return True
        for step in self._asked:
            if step in self._journaled and step not in self._results:
                self._results[step] = self._observation(self._journaled[step])
        return self._tell_batch_if_complete()

    def _tell_one(self, step: int, obs: Observation, *, journal: bool) -> None:
        """Asynchronous mode: tell one result, in arrival order."""
        arch, batch = self._asked.pop(step)
        self.strategy.tell([obs])
        self._account(obs)
        if journal:
            recommended = _text(self.strategy.recommend())
            self.sink.append(self._row(step, obs, batch, self._told, recommended))
        else:
            del self._journaled[step]
        self._told += 1

    def _tell_batch_if_complete(self) -> bool:
        """Batch mode: tell the batch in step order once every result is in."""
        if not self._asked or any(s not in self._results for s in self._asked):
            return False
        steps = sorted(self._asked)
        told = []
        for step in steps:
            obs = self._results[step]
            told.append(obs)
            self._account(obs)
            if self._ended:  # the rest of the batch lies beyond the budget
                break
        beyond = steps[len(told):]
        self.strategy.tell(told)
        last = steps[len(told) - 1]
        fresh = [s for s in steps if s not in self._journaled]
        for step in steps:
            self._journaled.pop(step, None)
        self.sink.drop(beyond)
        if last in fresh:
            self.sink.set_recommended(last, _text(self.strategy.recommend()))
        self._told += len(told)
        self._asked.clear()
        self._results.clear()
        return True

    def _account(self, obs: Observation) -> None:
        """Count a told result against the cost budget and the optimum."""
        self._cost += obs.cost
        max_cost = self._config.max_cost
        if (max_cost is not None and self._cost >= max_cost) or (
            self._optimum is not None and self._optimum(obs.arch)
        ):
            self._ended = True

    # --- rows -----------------------------------------------------------------------------
    def _row(
        self, step: int, obs: Observation, batch: int, told: int, recommended: str | None
    ) -> Evaluation:
        wall = self._elapsed + time.perf_counter() - self._started
        details = _METRICS_JSON.encode(dict(obs.details)) if obs.details else None
        return Evaluation(
            step, batch, str(obs.arch), obs.value, obs.cost,
            _METRICS_JSON.encode(dict(obs.metrics)), wall, recommended, told, obs.failure,
            details,
        )

    def _observation(self, past: Evaluation) -> Observation:
        arch = self._asked[past.step][0]
        details = MappingProxyType(json.loads(past.details)) if past.details else None
        return Observation(
            arch, past.value, past.cost, MappingProxyType(json.loads(past.metrics)),
            past.failure, details or MappingProxyType({}),
        )

    def _check_replay(self, past: Evaluation, step: int, batch: int, arch: str) -> None:
        if past.arch != arch or past.batch != batch:
            raise NaslabError(
                f"{self.task.run_dir}: cannot resume trial {self.task.name}: at step {step} the "
                f"strategy proposes {arch} (batch {batch}) but the journal holds {past.arch} "
                f"(batch {past.batch}); the journal was written by another naslab version, "
                "strategy or config"
            )


class RowList:
    """The sink of a trial run in one go (a worker's): rows kept in a list, in step order."""

    def __init__(self) -> None:
        self.rows: dict[int, Evaluation] = {}

    def append(self, evaluation: Evaluation) -> None:
        self.rows[evaluation.step] = evaluation

    def set_recommended(self, step: int, recommended: str | None) -> None:
        self.rows[step] = self.rows[step]._replace(recommended=recommended)

    def drop(self, steps: list[int]) -> None:
        for step in steps:
            self.rows.pop(step, None)

    def in_order(self) -> list[Evaluation]:
        return [self.rows[s] for s in sorted(self.rows)]


def run_trial(task: TrialTask) -> list[Evaluation]:
    """Run one whole trial here, evaluating inline; its new journal rows, in step order.

    The unit of work where evaluations are cheap (table lookups): a worker runs
    the whole trial and the driver journals its rows in one transaction.
    """
    sink = RowList()
    loop = TrialLoop(task, sink, task.journaled)
    objective = loop.objective
    while not loop.done:
        for step, arch in loop.requests():
            loop.complete(step, objective.evaluate(arch, loop.rng(step)))
    loop.finish()
    return sink.in_order()


def _text(arch: Architecture | None) -> str | None:
    return None if arch is None else str(arch)


def _optimum(config: StudyConfig, objective: Objective) -> Callable[[Architecture], bool] | None:
    """With ``stop_at_optimum``: whether an architecture is a global optimum of the table."""
    if not config.stop_at_optimum:
        return None
    benchmark = objective.benchmark  # type: ignore[attr-defined]  # checked by the config
    best = benchmark.optimum_value
    return lambda arch: benchmark.true_value(arch) <= best


def scratch_folder(run_dir: Path, trial: tuple[str, str, int], step: int) -> Path:
    """Where evaluation ``step`` of ``trial`` may keep checkpoints until it is journaled."""
    strategy, dataset, seed = trial
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{strategy}-{dataset}")
    return Path(run_dir) / "scratch" / f"{safe}-{seed}-{step}"
