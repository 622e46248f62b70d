"""Helpers for the strategy tests: a driver loop and a synthetic objective on a user space."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from naslab.benchmarks import TableObjective, TabularBenchmark
from naslab.observation import Observation
from naslab.spaces import CategoricalSpace
from naslab.spaces.base import Architecture
from naslab.strategies import Strategy

Drive = Callable[..., list[Architecture]]


class HammingObjective:
    """Value = how many positions differ from ``target`` (or ``value(arch)`` where given)."""

    def __init__(
        self, space: CategoricalSpace, target: Sequence[int],
        value: Callable[[Architecture], float] | None = None,
    ) -> None:
        self.space = space
        self.target = tuple(target)
        self._value = value

    def distance(self, arch: Architecture) -> float:
        return float(sum(a != b for a, b in zip(arch.ops, self.target, strict=True)))

    def value(self, arch: Architecture) -> float:
        return self._value(arch) if self._value else self.distance(arch)

    def evaluate(self, arch: Architecture, rng: np.random.Generator) -> Observation:
        return Observation(arch, self.value(arch))


@pytest.fixture(scope="session")
def c10_mean(cifar10: TabularBenchmark) -> TableObjective:
    return TableObjective(cifar10, noise="mean")


@pytest.fixture(scope="session")
def toy_space() -> CategoricalSpace:
    """A user space: 8 positions x 3 choices (6,561 architectures)."""
    return CategoricalSpace("toy", [f"p{i}" for i in range(8)], ["a", "b", "c"])


@pytest.fixture(scope="session")
def toy_objective(toy_space: CategoricalSpace) -> HammingObjective:
    return HammingObjective(toy_space, (0, 1, 2, 0, 1, 2, 0, 1))


@pytest.fixture(scope="session")
def hamming() -> type[HammingObjective]:
    return HammingObjective


@pytest.fixture(scope="session")
def drive() -> Drive:
    """``drive(strategy, objective, queries, seed=0, batch=1)``: ask-evaluate-tell loop."""

    def run(
        strategy: Strategy, objective: object, queries: int, seed: int = 0, batch: int = 1
    ) -> list[Architecture]:
        rng = np.random.default_rng(seed)
        out: list[Architecture] = []
        while len(out) < queries:
            archs = strategy.ask(min(batch, queries - len(out)))
            strategy.tell([objective.evaluate(a, rng) for a in archs])  # type: ignore[attr-defined]
            out.extend(archs)
        return out

    return run
