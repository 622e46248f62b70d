"""A user's Python function as the objective of a study: ``fn(arch) -> value``.

The function is the evaluation: it may train a network, query an API or look
something up. It returns the searched metric as a number, or a mapping with
the metric under ``"value"`` and optionally ``"cost"`` (what the evaluation
cost; default 1 per query) and further numbers that land in the tidy table.
A function that takes a second argument receives the evaluation's seeded
``numpy.random.Generator``, the only randomness it should use so a study
replays exactly.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from naslab.errors import NaslabError, excerpt
from naslab.observation import Metric, Observation
from naslab.spaces.base import Architecture, SearchSpace


class FunctionObjective:
    """Evaluates architectures with ``fn``; ``metric`` says what it returns, which way is better."""

    def __init__(self, fn: Callable[..., Any], space: SearchSpace, metric: Metric) -> None:
        if not callable(fn):
            raise NaslabError(f"the objective must be callable, got {excerpt(fn)}")
        self.fn = fn
        self.space = space
        self.metric = metric
        self._takes_rng = _positional_arity(fn) >= 2

    def evaluate(self, arch: Architecture, rng: np.random.Generator) -> Observation:
        result = self.fn(arch, rng) if self._takes_rng else self.fn(arch)
        if isinstance(result, Observation):
            return result
        if isinstance(result, Mapping):
            extra = {str(k): v for k, v in result.items() if k not in ("value", "cost")}
            raw, cost = result.get("value"), result.get("cost", 1.0)
        else:
            extra, raw, cost = {}, result, 1.0
        metric = _number(raw, "the searched value", arch)
        metrics = {self.metric.key: metric, **{k: _number(v, k, arch) for k, v in extra.items()}}
        cost = _number(cost, "cost", arch)
        return Observation(arch, self.metric.value(metric), cost, MappingProxyType(metrics))


def _number(value: Any, what: str, arch: Architecture) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise NaslabError(
            f"the objective returned {excerpt(value, 40)} as {what} for {arch}; return a number, "
            "or a mapping with 'value' (and optionally 'cost' and other numbers)"
        )
    return float(value) if math.isfinite(value) else math.nan


def _positional_arity(fn: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: call with the arch only
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return 2
    return sum(p.kind in kinds for p in parameters)
