"""The ask-tell contract every search strategy follows (cf. Optuna's samplers).

A strategy proposes architectures with ``ask(n)`` and learns from
``tell(observations)``. Its state is a function of its ``rng`` and the
observations told to it, in order, so a study resumes by replaying its journal.
``ask`` may be called several times before the matching ``tell`` (batches,
parallel workers): it always returns ``n`` architectures, falling back to
uniform samples when the strategy is waiting on results it needs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from naslab.observation import Observation
from naslab.registry import Registry
from naslab.spaces.base import Architecture, SearchSpace


class Strategy(ABC):
    """Base class: stores the space, the rng and everything told so far.

    ``max_queries`` is the study's query budget where it has one; strategies
    with a schedule over the search (e.g. annealing) read it.
    """

    def __init__(
        self, space: SearchSpace, rng: np.random.Generator, *, max_queries: int | None = None
    ) -> None:
        self.space = space
        self.rng = rng
        self.max_queries = max_queries
        self.history: list[Observation] = []
        self.best: Observation | None = None

    @abstractmethod
    def ask(self, n: int = 1) -> list[Architecture]:
        """``n`` architectures to evaluate next."""

    def tell(self, observations: Sequence[Observation]) -> None:
        """Record evaluated architectures, in the order they were evaluated."""
        for obs in observations:
            self.history.append(obs)
            if self.best is None or obs.value < self.best.value:
                self.best = obs
            self._update(obs)

    def _update(self, obs: Observation) -> None:  # noqa: B027 - optional hook
        """Learn from one new observation (after ``history`` and ``best`` include it)."""


#: Every strategy, by name; a new strategy is a new class plus one ``@STRATEGIES.register``.
STRATEGIES: Registry[type[Strategy]] = Registry("strategy")
