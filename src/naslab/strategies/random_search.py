"""Uniform random search: the baseline every NAS method must beat (seed 001, section 3)."""

from __future__ import annotations

from naslab.spaces.base import Architecture
from naslab.strategies.base import STRATEGIES, Strategy


@STRATEGIES.register("rs", "uniform random search over architectures (the baseline)")
class RandomSearch(Strategy):
    """Every proposal is an independent uniform sample of the space (seed 000, appendix A.1).

    Sampling is with replacement, as in the NB201 and nas_benchmarks baselines: it
    learns nothing from ``tell``, so it is batch-safe and replays trivially.
    """

    def ask(self, n: int = 1) -> list[Architecture]:
        return [self.space.sample(self.rng) for _ in range(n)]
