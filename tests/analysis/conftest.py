"""Tidy evaluation frames made here by two tiny samplers over the cifar10 table.

The analysis layer must not depend on ``naslab.strategies``, so the tests drive
:class:`TableObjective` directly: 'rs' samples uniformly, 'climb' mutates the best
architecture observed so far (a crude local search that clearly beats 'rs').
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from naslab.benchmarks import TableObjective, TabularBenchmark

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


@pytest.fixture(scope="session")
def simulate(cifar10: TabularBenchmark) -> Simulate:
    """``simulate(strategies=("rs",), seeds=3, budget=50, bench=cifar10)`` -> tidy frame."""

    def run(
        strategies: tuple[str, ...] = ("rs",), seeds: int = 3, budget: int = 50,
        bench: TabularBenchmark | None = None,
    ) -> pd.DataFrame:
        return _simulate(bench or cifar10, strategies, seeds, budget)

    return run
