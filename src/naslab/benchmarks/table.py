"""Tabular benchmarks: every architecture's recorded results, and the objective that queries them.

A :class:`TabularBenchmark` holds, for one dataset, each architecture's
validation accuracy per training seed plus its training time and any other
recorded metric, in the space's index order. It also knows the ground truth a
search is judged against (global optimum, regret, percentile, test accuracy).
:class:`TableObjective` turns it into an :class:`~naslab.benchmarks.base.Objective`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Literal

import numpy as np

from naslab.errors import BenchmarkDataError, ConfigError
from naslab.observation import VALIDATION_ERROR, Metric, Observation
from naslab.spaces.base import Architecture, SearchSpace

NoiseMode = Literal["sample", "mean"]
#: How a query reads a table, with the one-line summary ``naslab list`` shows.
NOISE_MODES: dict[str, str] = {
    "sample": "each query reports one recorded training seed, drawn at random (ANASOD protocol)",
    "mean": "each query reports the seed mean: no evaluation noise",
}


def canonical_noise(mode: str) -> NoiseMode:
    """``mode`` as one of :data:`NOISE_MODES` (any case), or a one-line ConfigError."""
    key = mode.strip().lower()
    if key not in NOISE_MODES:
        raise ConfigError(f"unknown noise mode {mode!r}; valid: {', '.join(NOISE_MODES)}")
    return key  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class TabularBenchmark:
    """Recorded results of every architecture of ``space`` on one dataset.

    ``val_acc`` has shape ``(len(space), n_seeds)`` in percent, NaN where an
    architecture has fewer seeds; ``train_time`` (seconds, the simulated cost of
    one query) has shape ``(len(space),)``; ``extra`` maps further per-architecture
    metrics (``test_acc``, ``params_mb``, ``latency``, ...) to such arrays.
    """

    name: str
    dataset: str
    space: SearchSpace
    val_acc: np.ndarray
    train_time: np.ndarray
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)
    metric: Metric = VALIDATION_ERROR

    def __post_init__(self) -> None:
        n = len(self.space)
        if self.val_acc.ndim != 2 or self.val_acc.shape[0] != n:
            raise BenchmarkDataError(
                f"{self.name}: val_acc must have one row per architecture ({n}), "
                f"got shape {self.val_acc.shape}"
            )
        missing = np.flatnonzero(~np.isfinite(self.val_acc).any(axis=1))
        if missing.size:
            example = self.space.format(self.space.from_index(int(missing[0])))
            raise BenchmarkDataError(
                f"{self.name}/{self.dataset}: {missing.size} architectures have no finite "
                f"validation accuracy (NaN or missing), e.g. {example}"
            )
        for key, column in {"train_time": self.train_time, **self.extra}.items():
            if column.shape != (n,):
                raise BenchmarkDataError(
                    f"{self.name}: {key} must have shape ({n},), got {column.shape}"
                )
        if not np.isfinite(self.train_time).all():
            raise BenchmarkDataError(f"{self.name}/{self.dataset}: train_time has NaN values")
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    # --- ground truth -------------------------------------------------------------------
    @cached_property
    def mean_value(self) -> np.ndarray:
        """Seed-mean validation error (percent) of every architecture, in index order.

        Rounded to 1e-9 so that architectures with equal recorded accuracies tie exactly
        (summation order would otherwise split them in the last bits).
        """
        return np.round(100.0 - np.nanmean(self.val_acc, axis=1), 9)

    @cached_property
    def _sorted_errors(self) -> np.ndarray:
        return np.sort(self.mean_value)

    @cached_property
    def optimum_index(self) -> int:
        return int(np.argmin(self.mean_value))

    @property
    def optimum(self) -> Architecture:
        """The architecture with the lowest seed-mean validation error."""
        return self.space.from_index(self.optimum_index)

    @property
    def optimum_value(self) -> float:
        return float(self.mean_value[self.optimum_index])

    def true_value(self, arch: Architecture) -> float:
        """Seed-mean validation error of ``arch``: what it scores without query noise."""
        return float(self.mean_value[self.space.index(arch)])

    def regret(self, arch: Architecture) -> float:
        """How much worse than the global optimum ``arch`` is (percentage points)."""
        return self.true_value(arch) - self.optimum_value

    def percentile(self, arch: Architecture) -> float:
        """Percent of the space strictly better than ``arch``: 0 for the optimum."""
        better = np.searchsorted(self._sorted_errors, self.true_value(arch), side="left")
        return 100.0 * better / len(self.space)

    def test_value(self, arch: Architecture) -> float | None:
        """Test error of ``arch`` (percent) where the table records test accuracy, else None."""
        if "test_acc" not in self.extra:
            return None
        return 100.0 - float(self.extra["test_acc"][self.space.index(arch)])

    @property
    def has_test(self) -> bool:
        return "test_acc" in self.extra

    @property
    def n_archs(self) -> int:
        """How many architectures the table holds."""
        return len(self.space)

    @property
    def space_size(self) -> float:
        """How many architectures the whole (unrestricted) space has."""
        return len(self.space)

    @property
    def has_cost(self) -> bool:
        """Whether queries have a recorded cost (else each costs 1 and only query budgets work)."""
        return True


class TableObjective:
    """Queries a :class:`TabularBenchmark` as a search would train an architecture.

    ``noise="sample"`` (the ANASOD protocol, seed 000 section 4.1) reports the
    accuracy of one recorded training seed drawn from the evaluation's ``rng``;
    ``noise="mean"`` reports the seed mean. The cost is the recorded training time.
    """

    def __init__(self, benchmark: TabularBenchmark, noise: NoiseMode = "sample") -> None:
        self.benchmark = benchmark
        self.space = benchmark.space
        self.noise = canonical_noise(noise)
        self._seeds = [row[np.isfinite(row)].tolist() for row in benchmark.val_acc]
        self._mean_acc = (100.0 - benchmark.mean_value).tolist()
        self._cost = benchmark.train_time.tolist()
        self._extra = {k: v.tolist() for k, v in benchmark.extra.items() if k != "test_acc"}

    def evaluate(self, arch: Architecture, rng: np.random.Generator) -> Observation:
        i = self.space.index(arch)
        if self.noise == "sample":
            seeds = self._seeds[i]
            acc = seeds[int(rng.integers(len(seeds)))]
        else:
            acc = self._mean_acc[i]
        metrics = {"val_acc": acc, **{k: v[i] for k, v in self._extra.items()}}
        return Observation(arch, 100.0 - acc, self._cost[i], MappingProxyType(metrics))
