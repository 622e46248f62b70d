"""Uniform random search: the baseline every NAS method must beat (seed 001, section 3)."""

from __future__ import annotations

from naslab.spaces.base import Architecture, space_size
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Flag


@STRATEGIES.register("rs", "uniform random search over architectures (the baseline)")
class RandomSearch(Strategy):
    """Every proposal is a uniform sample of the space (seed 000, appendix A.1).

    By default sampling is with replacement, as in the NB201 and nas_benchmarks
    baselines: it learns nothing from ``tell``, so it is batch-safe and replays
    trivially. ``replacement=False`` never proposes an architecture twice until the
    space is exhausted: the random search of LaNAS's samples-to-optimum study,
    which finds the optimum of ``N`` architectures in ``(N + 1) / 2`` queries on
    average (seed 002, section 4.2), against ``N`` with replacement.
    """

    replacement = Flag(True, origin="NB201")

    def _setup(self) -> None:
        self._asked: set[Architecture] = set()
        self._size = space_size(self.space)

    def ask(self, n: int = 1) -> list[Architecture]:
        if self.replacement:
            return [self.space.sample(self.rng) for _ in range(n)]
        return [self._fresh() for _ in range(n)]

    def _fresh(self) -> Architecture:
        """A uniform sample among the architectures not proposed yet (any, once none are left)."""
        arch = self.space.sample(self.rng)
        if len(self._asked) >= self._size:
            return arch
        while arch in self._asked:
            arch = self.space.sample(self.rng)
        self._asked.add(arch)
        return arch
