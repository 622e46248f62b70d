"""The study driver: hands work to an executor and is the only writer of the journal.

Two units of work, chosen by what an evaluation costs:

- **whole trials** where evaluations are table lookups (microseconds): a worker
  runs a trial from start to end and returns its rows, which the driver
  journals in one transaction (per-evaluation messages would cost more than
  the lookups);
- **single evaluations** otherwise (training, a user's function): the driver
  steps every active trial's :class:`~naslab.study.trial.TrialLoop` itself,
  sends each evaluation to a worker, and journals each result the moment it
  arrives, so a killed study loses only the evaluations in flight, and those
  restart from their last checkpoint (:func:`scratch_folder`).

Trials start in config order as workers free up, so few strategies live in the
driver at once and trials finish roughly in order.
"""

from __future__ import annotations

import copy
import shutil
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from naslab.benchmarks import Objective
from naslab.execution import Executor, WorkerCrashed
from naslab.observation import Observation
from naslab.spaces import Architecture
from naslab.study.journal import Evaluation, Journal
from naslab.study.trial import TrialLoop, TrialTask, run_trial, scratch_folder

#: Called with the number of evaluations journaled since the last call.
Progress = Callable[[int], None]
#: Whole trials in flight per worker: one running, one waiting while the driver journals.
TRIALS_PER_WORKER = 2


def run_whole_trials(
    journal: Journal, executor: Executor, tasks: list[TrialTask], progress: Progress
) -> None:
    """Run ``tasks`` as whole trials on ``executor``, journaling each as it returns."""
    waiting = deque(tasks)
    running: dict[Future[list[Evaluation]], TrialTask] = {}
    while waiting or running:
        while waiting and len(running) < TRIALS_PER_WORKER * executor.workers:
            task = waiting.popleft()
            running[executor.submit(run_trial, task)] = task
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            task = running.pop(future)
            rows = future.result()
            journal.append_trial(*task.trial, rows)
            progress(len(rows))


@dataclass(frozen=True)
class EvaluationTask:
    """One evaluation, as sent to a worker (picklable)."""

    objective: Objective
    arch: Architecture
    rng: np.random.Generator
    workdir: str


def evaluate(task: EvaluationTask) -> Observation:
    """Run one evaluation; objectives that keep checkpoints get their scratch folder."""
    if getattr(task.objective, "resumable", False):
        return task.objective.evaluate(  # type: ignore[call-arg]
            task.arch, task.rng, workdir=Path(task.workdir)
        )
    return task.objective.evaluate(task.arch, task.rng)


class _JournalSink:
    """A live trial's rows, straight into the journal."""

    def __init__(self, journal: Journal, trial: tuple[str, str, int]) -> None:
        self.journal = journal
        self.trial = trial

    def append(self, evaluation: Evaluation) -> None:
        self.journal.append(*self.trial, evaluation)

    def set_recommended(self, step: int, recommended: str | None) -> None:
        self.journal.set_recommended(*self.trial, step, recommended)

    def drop(self, steps: list[int]) -> None:
        self.journal.drop(*self.trial, steps)


def run_evaluations(
    journal: Journal, executor: Executor, tasks: list[TrialTask], progress: Progress
) -> None:
    """Run ``tasks`` evaluation by evaluation on ``executor`` (module doc)."""
    waiting = deque(tasks)
    queue: deque[tuple[TrialLoop, int, Architecture]] = deque()
    running: dict[Future[Observation], tuple[TrialLoop, int, Architecture]] = {}

    def start_trial() -> None:
        task = waiting.popleft()
        loop = TrialLoop(task, _JournalSink(journal, task.trial),
                         tuple(journal.evaluations(*task.trial)))
        queue.extend((loop, step, arch) for step, arch in loop.requests())
        _end_if_done(journal, loop)

    while waiting or queue or running:
        while len(running) < executor.workers and (queue or waiting):
            if not queue:
                start_trial()
                continue
            loop, step, arch = queue.popleft()
            workdir = scratch_folder(Path(loop.task.run_dir), loop.task.trial, step)
            task = EvaluationTask(loop.objective, arch, copy.deepcopy(loop.rng(step)),
                                  str(workdir))
            running[executor.submit(evaluate, task)] = (loop, step, arch)
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in _in_submission_order(running, done):
            loop, step, arch = running.pop(future)
            loop.complete(step, _outcome(future, arch))
            shutil.rmtree(scratch_folder(Path(loop.task.run_dir), loop.task.trial, step),
                          ignore_errors=True)
            progress(1)
            queue.extend((loop, s, a) for s, a in loop.requests())
            _end_if_done(journal, loop)


def _in_submission_order(running: dict[Future[Any], Any], done: set[Future[Any]]) -> list[Any]:
    """Futures that finished together, taken in the order they were submitted: with an
    inline executor this is the order they ran in, and it keeps replays exact."""
    return [future for future in running if future in done]


def _outcome(future: Future[Observation], arch: Architecture) -> Observation:
    """The evaluation's observation; a worker that died on every attempt is a failed one."""
    try:
        return future.result()
    except WorkerCrashed as exc:
        return Observation.failed(arch, str(exc))


def _end_if_done(journal: Journal, loop: TrialLoop) -> None:
    if loop.done:
        loop.finish()
        journal.mark_done(*loop.task.trial)
        scratch = Path(loop.task.run_dir) / "scratch"
        if scratch.is_dir() and not any(scratch.iterdir()):
            scratch.rmdir()
