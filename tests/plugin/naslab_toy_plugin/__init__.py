"""A plugin package for naslab's tests: what another package registers by entry point."""

from __future__ import annotations

import zlib

import numpy as np

from naslab.benchmarks import TabularBenchmark
from naslab.spaces import CategoricalSpace, Position
from naslab.strategies import Strategy
from naslab.strategies.hyperparameters import Integer


class ToyChainSpace(CategoricalSpace):
    """A chain of up to three layers: a depth, then a kernel per layer beyond it inactive."""

    def __init__(self) -> None:
        super().__init__("toy-chain", [
            Position("depth", ("1", "2", "3")),
            Position("k1", ("1", "3", "5")),
            Position("k2", ("1", "3", "5"), ("depth", ("2", "3"))),
            Position("k3", ("1", "3", "5"), ("depth", ("3",))),
        ])


def load_toy_bench(dataset: str) -> TabularBenchmark:
    """Every toy-chain architecture with a made-up error per seed; datasets easy and hard."""
    if dataset not in ("easy", "hard"):
        raise KeyError(dataset)
    space = ToyChainSpace()
    archs = space.all()
    rng = np.random.default_rng(zlib.crc32(dataset.encode()))
    error = np.array([10.0 - sum(int(k) for k in a.op_names()[1:] if k) for a in archs])
    scores = 100.0 - error[:, None] - rng.random((len(archs), 2))
    return TabularBenchmark("toy-bench", dataset, space, archs, scores,
                            cost=np.full(len(archs), 10.0))


class GreedyMutation(Strategy):
    """Mutates the recommended architecture after a few random samples."""

    n_random = Integer(5, low=1, origin="this plugin")

    def ask(self, n: int = 1):
        best = self.recommend()
        if best is None or len(self.history) < self.n_random:
            return [self.space.sample(self.rng) for _ in range(n)]
        return [self.space.mutate(best, self.rng) for _ in range(n)]
