"""Tabular benchmarks: every architecture's recorded results, and the objective that queries them.

A :class:`TabularBenchmark` holds, for one dataset, each architecture's
recorded score per training seed (NB201: validation accuracy) plus its
training time where known and any other recorded number. It also knows the
ground truth a search is judged against (global optimum, regret, percentile,
test score).
:class:`TableObjective` turns it into an :class:`~naslab.benchmarks.base.Objective`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Literal

import numpy as np

from naslab.errors import BenchmarkDataError, ConfigError, InvalidArchitectureError
from naslab.observation import VALIDATION_ERROR, Metric, Observation
from naslab.spaces.base import Architecture, SearchSpace, space_size
from naslab.spaces.restricted import RestrictedSpace

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
    """Recorded results of the architectures ``archs`` of ``space`` on one dataset.

    ``scores`` has shape ``(len(archs), n_seeds)`` in the units of
    ``metric.key`` (NB201: validation accuracy %), NaN where an architecture has
    fewer seeds; ``cost`` (seconds, the simulated cost of one query) has shape
    ``(len(archs),)``, or is None where the table records none (then every query
    costs 1); ``extra`` maps further per-architecture numbers (params, latency,
    FLOPs, ...) to such arrays, which each query reports; ``test_scores`` is the
    test score in the metric's units, kept out of the queries. A table that holds
    only part of ``space`` restricts it: ``space`` becomes a
    :class:`~naslab.spaces.RestrictedSpace` of ``archs``.
    """

    name: str
    dataset: str
    space: SearchSpace
    archs: Sequence[Architecture]
    scores: np.ndarray
    cost: np.ndarray | None = None
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)
    metric: Metric = VALIDATION_ERROR
    test_scores: np.ndarray | None = None
    #: How many architectures the whole (unrestricted) space has (set from ``space``).
    space_size: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        archs = tuple(self.archs)
        n = len(archs)
        object.__setattr__(self, "archs", archs)
        if self.scores.ndim != 2 or self.scores.shape[0] != n:
            raise BenchmarkDataError(
                f"{self.name}: scores must have one row per architecture ({n}), "
                f"got shape {self.scores.shape}"
            )
        missing = np.flatnonzero(~np.isfinite(self.scores).any(axis=1))
        if missing.size:
            raise BenchmarkDataError(
                f"{self.name}/{self.dataset}: {missing.size} architectures have no finite "
                f"{self.metric.key} (NaN or missing), e.g. {archs[int(missing[0])]}"
            )
        columns = {"cost": self.cost, "test": self.test_scores, **self.extra}
        for key, column in columns.items():
            if column is not None and column.shape != (n,):
                raise BenchmarkDataError(
                    f"{self.name}: {key} must have shape ({n},), got {column.shape}"
                )
        if self.cost is not None and not (np.isfinite(self.cost) & (self.cost >= 0)).all():
            raise BenchmarkDataError(
                f"{self.name}/{self.dataset}: every cost must be a number >= 0"
            )
        rows: dict[Architecture, int] = {}
        for i, arch in enumerate(archs):
            if rows.setdefault(arch, i) != i:
                raise BenchmarkDataError(f"{self.name}: architecture {arch} has two rows")
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        base = getattr(self.space, "base", self.space)
        size = space_size(base)
        object.__setattr__(self, "space_size", size)
        if n < size and not isinstance(self.space, RestrictedSpace):
            object.__setattr__(self, "space", RestrictedSpace(base, archs))
        elif n > size:
            raise BenchmarkDataError(f"{self.name}: {n} rows but space {base.name!r} has {size}")

    def row(self, arch: Architecture) -> int:
        """The table row of ``arch``."""
        try:
            return self._rows[arch]  # type: ignore[attr-defined]
        except KeyError:
            raise InvalidArchitectureError(
                f"{arch} is not one of the {self.n_archs:,} architectures of table {self.name}"
            ) from None

    @property
    def n_archs(self) -> int:
        """How many architectures the table holds."""
        return len(self.archs)

    @property
    def has_cost(self) -> bool:
        """Whether queries have a recorded cost (else each costs 1 and only query budgets work)."""
        return self.cost is not None

    @property
    def has_test(self) -> bool:
        return self.test_scores is not None

    # --- ground truth -------------------------------------------------------------------
    @cached_property
    def mean_value(self) -> np.ndarray:
        """Seed-mean value (what strategies minimise) of every architecture, in row order.

        Rounded to 1e-9 so that architectures with equal recorded scores tie exactly
        (summation order would otherwise split them in the last bits).
        """
        return np.round(self.metric.from_raw(np.nanmean(self.scores, axis=1)), 9)

    @cached_property
    def _sorted_values(self) -> np.ndarray:
        return np.sort(self.mean_value)

    @cached_property
    def optimum_index(self) -> int:
        return int(np.argmin(self.mean_value))

    @property
    def optimum(self) -> Architecture:
        """The architecture with the best seed-mean score."""
        return self.archs[self.optimum_index]

    @property
    def optimum_value(self) -> float:
        return float(self.mean_value[self.optimum_index])

    def true_value(self, arch: Architecture) -> float:
        """Seed-mean value of ``arch``: what it scores without query noise."""
        return float(self.mean_value[self.row(arch)])

    def regret(self, arch: Architecture) -> float:
        """How much worse than the global optimum ``arch`` is (in the metric's units, >= 0)."""
        return self.true_value(arch) - self.optimum_value

    def percentile(self, arch: Architecture) -> float:
        """Percent of the table strictly better than ``arch``: 0 for the optimum."""
        better = np.searchsorted(self._sorted_values, self.true_value(arch), side="left")
        return 100.0 * better / self.n_archs

    def test_value(self, arch: Architecture) -> float | None:
        """The minimised value of ``arch``'s test score where the table records one, else None."""
        if self.test_scores is None:
            return None
        return float(self.metric.from_raw(self.test_scores[self.row(arch)]))


class TableObjective:
    """Queries a :class:`TabularBenchmark` as a search would train an architecture.

    ``noise="sample"`` (the ANASOD protocol, seed 000 section 4.1) reports the
    score of one recorded training seed drawn from the evaluation's ``rng``;
    ``noise="mean"`` reports the seed mean. The cost is the recorded training
    time (1 per query where the table has none). Each observation's metrics hold
    the raw score under ``metric.key`` and every extra column; never the test score.
    """

    def __init__(self, benchmark: TabularBenchmark, noise: NoiseMode = "sample") -> None:
        self.benchmark = benchmark
        self.space = benchmark.space
        self.noise = canonical_noise(noise)
        self._rows = benchmark._rows  # type: ignore[attr-defined]
        self._seeds = [row[np.isfinite(row)].tolist() for row in benchmark.scores]
        self._mean = benchmark.mean_value.tolist()
        self._to_value = benchmark.metric.from_raw
        self._to_raw = benchmark.metric.to_raw
        self._key = benchmark.metric.key
        self._cost = [1.0] * benchmark.n_archs if benchmark.cost is None else (
            benchmark.cost.tolist()
        )
        self._extra = {k: v.tolist() for k, v in benchmark.extra.items()}

    def evaluate(self, arch: Architecture, rng: np.random.Generator) -> Observation:
        i = self._rows.get(arch)
        if i is None:
            i = self.benchmark.row(arch)  # raises the one-line error
        if self.noise == "sample":
            seeds = self._seeds[i]
            raw = seeds[int(rng.integers(len(seeds)))]
            value = self._to_value(raw)
        else:
            value = self._mean[i]
            raw = self._to_raw(value)
        metrics = {self._key: raw, **{k: v[i] for k, v in self._extra.items()}}
        return Observation(arch, value, self._cost[i], MappingProxyType(metrics))
