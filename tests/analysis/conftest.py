"""Tidy evaluation frames made here by two tiny samplers over the cifar10 table.

The analysis layer must not depend on ``naslab.strategies``, so the tests drive
:class:`TableObjective` directly: 'rs' samples uniformly, 'climb' mutates the best
architecture observed so far (a crude local search that clearly beats 'rs').
:class:`AccuracyView` is the same table searched for accuracy, a metric to maximise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from naslab.benchmarks import TableObjective, TabularBenchmark
from naslab.observation import Metric
from naslab.spaces.base import Architecture

Simulate = Callable[..., pd.DataFrame]


def _simulate(
    bench: TabularBenchmark, strategies: tuple[str, ...], seeds: int, budget: int
) -> pd.DataFrame:
    objective = TableObjective(bench, noise="sample")
    space = bench.space
    rows = []
    for strategy in strategies:
        for seed in range(seeds):
            rng = np.random.default_rng([seed, len(strategy)])
            best = None
            for step in range(budget):
                if strategy == "climb" and best is not None and step >= 10:
                    arch = space.mutate(best.arch, rng)
                else:
                    arch = space.sample(rng)
                obs = objective.evaluate(arch, rng)
                if best is None or obs.value < best.value:
                    best = obs
                rows.append({
                    "strategy": strategy, "dataset": bench.dataset, "seed": seed,
                    "step": step, "batch": step, "arch": str(arch), "value": obs.value,
                    "cost": obs.cost, "wall_time": 0.001 * step, **obs.metrics,
                })
    return pd.DataFrame(rows)


class AccuracyView:
    """cifar10 searched for validation accuracy (goal 'max'): values are -accuracy = error - 100.

    Only the ground-truth names analysis relies on; every number is the table's own.
    """

    metric = Metric("validation accuracy (%)", "max")
    has_test = False
    has_cost = True

    def __init__(self, bench: TabularBenchmark) -> None:
        self.bench, self.space = bench, bench.space
        self.name, self.dataset = bench.name, bench.dataset
        self.n_archs, self.space_size = bench.n_archs, bench.space_size
        self.optimum, self.optimum_value = bench.optimum, bench.optimum_value - 100.0

    def true_value(self, arch: Architecture) -> float:
        return self.bench.true_value(arch) - 100.0

    def regret(self, arch: Architecture) -> float:
        return self.bench.regret(arch)

    def percentile(self, arch: Architecture) -> float:
        return self.bench.percentile(arch)

    def test_value(self, arch: Architecture) -> None:
        return None


@pytest.fixture(scope="session")
def accuracy(cifar10: TabularBenchmark) -> AccuracyView:
    return AccuracyView(cifar10)


@pytest.fixture(scope="session")
def simulate(cifar10: TabularBenchmark) -> Simulate:
    """``simulate(strategies=("rs",), seeds=3, budget=50, bench=cifar10)`` -> tidy frame."""

    def run(
        strategies: tuple[str, ...] = ("rs",), seeds: int = 3, budget: int = 50,
        bench: TabularBenchmark | None = None,
    ) -> pd.DataFrame:
        return _simulate(bench or cifar10, strategies, seeds, budget)

    return run
