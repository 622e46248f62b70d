"""Regularised (aging) evolution, Real et al. AAAI 2019, as run on NAS-Bench-201."""

from __future__ import annotations

from collections import deque

from naslab.observation import Observation
from naslab.spaces.base import Architecture
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Integer


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

    population_size = Integer(10, low=1, origin="NB201")
    sample_size = Integer(3, low=1, origin="NB201")

    def _setup(self) -> None:
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
