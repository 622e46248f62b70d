"""What an evaluation tells a strategy, and what the values it minimises mean."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import numpy as np

from naslab.errors import ConfigError
from naslab.spaces.base import Architecture

Goal = Literal["min", "max"]
GOALS: tuple[Goal, ...] = ("min", "max")
V = TypeVar("V", float, np.ndarray)


@dataclass(frozen=True)
class Metric:
    """The searched metric: its name as reports show it and whether lower or higher is better.

    Every strategy minimises ``Observation.value``; for a metric to maximise the
    value is the negated metric. :meth:`display` turns values back into the
    metric's own units for tables and plots, so a user who searched for accuracy
    reads accuracies, not negated ones.

    A table records the metric as ``key`` (the raw score an objective reports
    with each query); ``complement`` turns it into the shown metric where they
    differ: NB201 tables record validation accuracy and naslab shows the papers'
    validation error, ``100 - accuracy``.
    """

    name: str = "validation error (%)"
    goal: Goal = "min"
    key: str = "val_acc"
    complement: float | None = 100.0

    def __post_init__(self) -> None:
        if self.goal not in GOALS:
            raise ConfigError(f"metric goal must be 'min' or 'max', got {self.goal!r}")

    @property
    def sign(self) -> float:
        """+1 where lower is better, -1 where higher is: ``value = sign * metric``."""
        return 1.0 if self.goal == "min" else -1.0

    def value(self, metric: V) -> V:
        """The value a strategy minimises for the shown ``metric``."""
        return self.sign * metric

    def from_raw(self, raw: V) -> V:
        """The value a strategy minimises for a recorded score ``raw`` (units of ``key``)."""
        return self.value(raw if self.complement is None else self.complement - raw)

    def to_raw(self, value: V) -> V:
        """The recorded score behind a minimised ``value`` (inverse of :meth:`from_raw`)."""
        shown = self.display(value)
        return shown if self.complement is None else self.complement - shown

    def display(self, value: V) -> V:
        """The metric in its own units for a minimised ``value`` (inverse of :meth:`value`)."""
        return self.sign * value

    @property
    def best_word(self) -> str:
        return "lowest" if self.goal == "min" else "highest"


#: The metric of every NB201-style table: validation error in percent, 100 - accuracy.
VALIDATION_ERROR = Metric()


def table_metric(column: str | None = None, goal: str | None = None) -> Metric:
    """The metric of a table column: ``valid`` (accuracy %, the default) is shown as
    validation error; any other column as itself, lower or higher better as ``goal`` says."""
    if column in (None, "valid") and goal in (None, "max"):
        return VALIDATION_ERROR
    if goal not in GOALS:
        raise ConfigError(
            f"say whether a lower or a higher {column or 'valid'} is better: goal 'min' or "
            f"'max', got {goal!r}"
        )
    name = column or "valid"
    return Metric(name=name, goal=goal, key=name, complement=None)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Observation:
    """One evaluation of ``arch``.

    ``value`` is what every strategy minimises (on NB201 tables: validation error
    in percent; see :class:`Metric`); ``cost`` is what the evaluation cost
    (simulated GPU-seconds on benchmarks, training seconds when it trained, 1 per
    query where nothing is known); ``metrics`` holds the other numbers the
    objective reported (one tidy-table column each) and ``details`` anything
    structured (a training curve), journaled as JSON.

    A failed evaluation (training diverged, a crash) has ``value`` NaN and its
    reason in ``failure``: strategies are told it like any other observation and
    treat the NaN as "no information about quality" (it never becomes an
    incumbent, and model-based strategies leave it out of their fit).
    """

    arch: Architecture
    value: float
    cost: float = 0.0
    metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    failure: str | None = None
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle the read-only mappings as dicts (workers send observations back)."""
        return (_observation, (self.arch, self.value, self.cost, dict(self.metrics),
                               self.failure, dict(self.details)))

    @classmethod
    def failed(
        cls, arch: Architecture, reason: str, cost: float = 0.0,
        metrics: Mapping[str, float] | None = None,
    ) -> Observation:
        """The observation of an evaluation that produced no value, for ``reason``."""
        return cls(arch, math.nan, cost, MappingProxyType(dict(metrics or {})), reason)


def _observation(
    arch: Architecture, value: float, cost: float, metrics: dict[str, float],
    failure: str | None, details: dict[str, Any],
) -> Observation:
    return Observation(arch, value, cost, MappingProxyType(metrics), failure,
                       MappingProxyType(details))
