"""The objective contract: evaluate an architecture, report what it scored and cost."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from naslab.observation import Observation
from naslab.spaces.base import Architecture, SearchSpace


@runtime_checkable
class Objective(Protocol):
    """Anything that turns an architecture into an :class:`Observation`.

    ``rng`` is the only source of randomness an evaluation may use (e.g. which
    training seed a benchmark reports), so a study is reproducible from its seed.

    An objective whose evaluations take long can keep checkpoints: it declares
    ``resumable = True`` and takes ``evaluate(arch, rng, workdir=...)``, a folder
    of its own that survives a killed study and goes once the result is journaled
    (:class:`~naslab.training.objective.TrainingObjective` trains on from its last
    epoch there).
    """

    space: SearchSpace

    def evaluate(self, arch: Architecture, rng: np.random.Generator) -> Observation: ...
