"""Regularised (aging) evolution, Real et al. AAAI 2019, as run on NAS-Bench-201."""

from __future__ import annotations

from collections import deque

import numpy as np

from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.spaces.base import Architecture, SearchSpace
from naslab.strategies.base import STRATEGIES, Strategy


@STRATEGIES.register(
    "re", "regularised evolution: tournament, mutate the winner, the oldest member dies"
)
class RegularizedEvolution(Strategy):
    """Aging evolution (Real et al. 2019, Algorithm 1), the RE baseline of seed 000 appendix A.1.

    The population starts as ``population_size`` uniform samples. Each later
    proposal draws ``sample_size`` members uniformly *with replacement* (the
    tournament), and mutates the one with the lowest value with ``space.mutate``
    (one position changed to another choice). Every told observation joins the
    population and the oldest member (first told) leaves it, so it holds the
    last ``population_size`` results.

    Defaults P = 10, S = 3 are those NB201 itself used for REA: D-X-Y/AutoDL-Projects
    ``scripts-search/algos/R-EA.sh`` passes ``--ea_population 10`` and sample size 3
    (also NATS-Bench ``exps/NATS-algos/regularized_ea.py``). The
    automl/nas_benchmarks script seed 000 cites has no NB201 entry; its generic
    defaults (``--pop_size 100 --sample_size 10``) would spend 100 of a 150-300
    query budget on the random start.

    Batch fallback: until ``population_size`` results have been told (the random
    start, or asks made while it is still being evaluated) proposals are uniform.
    """

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        max_queries: int | None = None,
        population_size: int = 10,
        sample_size: int = 3,
    ) -> None:
        super().__init__(space, rng, max_queries=max_queries)
        if population_size < 1 or sample_size < 1:
            raise ConfigError(
                f"population_size and sample_size must be >= 1 (NB201 uses 10 and 3), "
                f"got {population_size} and {sample_size}"
            )
        self.population_size = int(population_size)
        self.sample_size = int(sample_size)
        self._population: deque[Observation] = deque(maxlen=self.population_size)

    @property
    def population(self) -> tuple[Observation, ...]:
        """The current population, oldest first."""
        return tuple(self._population)

    def ask(self, n: int = 1) -> list[Architecture]:
        return [self._propose() for _ in range(n)]

    def _propose(self) -> Architecture:
        if len(self._population) < self.population_size:
            return self.space.sample(self.rng)
        # Tournament indices as floor(u * P): uniform, and 3x cheaper than rng.integers(size=S).
        draws = self.rng.random(self.sample_size).tolist()
        contenders = (self._population[int(u * self.population_size)] for u in draws)
        parent = min(contenders, key=lambda o: o.value)
        return self.space.mutate(parent.arch, self.rng)

    def _update(self, obs: Observation) -> None:
        self._population.append(obs)
