"""What an evaluation tells a strategy: an architecture, the value to minimise, its cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from naslab.spaces.base import Architecture


@dataclass(frozen=True)
class Observation:
    """One evaluation of ``arch``.

    ``value`` is what every strategy minimises (on benchmarks: validation error
    in percent); ``cost`` is what the evaluation cost (simulated GPU-seconds on
    benchmarks); ``metrics`` holds anything else the objective reported.
    """

    arch: Architecture
    value: float
    cost: float = 0.0
    metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
