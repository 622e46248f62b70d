"""The ask-tell contract every search strategy follows (cf. Optuna's samplers).

A strategy proposes architectures with ``ask(n)``, learns from
``tell(observations)`` and answers ``recommend()``: the architecture it would
return now. Its state is a function of its ``rng`` and the observations told
to it, in order, so a study resumes by replaying its journal.
``ask`` may be called several times before the matching ``tell`` (batches,
parallel workers): it always returns ``n`` architectures, falling back to
uniform samples when the strategy is waiting on results it needs.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.registry import Registry
from naslab.spaces.base import Architecture, SearchSpace
from naslab.strategies.hyperparameters import Hyperparameter, Need


class Strategy(ABC):
    """Base class: stores the space, the rng, the hyperparameters and everything told so far.

    ``max_queries`` is the study's query budget where it has one; strategies
    with a schedule over the search (e.g. annealing) read it.

    A subclass declares its hyperparameters as class attributes (see
    :mod:`naslab.strategies.hyperparameters`) and what it needs from the study in
    ``needs``; this constructor checks both, so subclasses never re-check them and
    the study config runs the same checks before anything is written.
    """

    #: Every declared hyperparameter by name, the inherited ones included (filled per subclass).
    hyperparameters: ClassVar[Mapping[str, Hyperparameter[Any]]] = MappingProxyType({})
    #: What the study must provide for this strategy to run.
    needs: ClassVar[tuple[Need, ...]] = ()
    #: The registered encoding a strategy that searches encodings returns its answer in
    #: (ANASOD-BO returns the best encoding, seed 000 section 3.2); reports show it.
    answer_encoding: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Hyperparameter[Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, Hyperparameter):
                    declared[name] = attr
                elif name in declared:  # a subclass fixed it to a plain value
                    del declared[name]
        for param in declared.values():  # a bad declaration fails at import, not in a study
            param.validate(param.default)
        cls.hyperparameters = MappingProxyType(declared)

    def __init__(
        self,
        space: SearchSpace,
        rng: np.random.Generator,
        *,
        max_queries: int | None = None,
        **hyperparameters: Any,
    ) -> None:
        values = self.checked_hyperparameters(hyperparameters)
        self.check_needs(max_queries)
        vars(self).update(values)
        self.space = space
        self.rng = rng
        self.max_queries = max_queries
        self.history: list[Observation] = []
        self.best: Observation | None = None
        self._mean_of: dict[Architecture, list[Any]] = {}  # [sum, count, first told]
        self._recommended: Architecture | None = None
        self._best_entry: list[Any] | None = None  # the recommended architecture's entry
        self._stale = False
        self._setup()

    def _setup(self) -> None:  # noqa: B027 - optional hook
        """Build the subclass's own state (space, rng and hyperparameters are set by now)."""

    @abstractmethod
    def ask(self, n: int = 1) -> list[Architecture]:
        """``n`` architectures to evaluate next."""

    def tell(
        self,
        observations: Observation | Architecture | Sequence[Observation | tuple[Any, ...]],
        value: float | None = None,
        *,
        cost: float = 0.0,
        metrics: Mapping[str, float] | None = None,
    ) -> None:
        """Record evaluated architectures, in the order they were evaluated.

        Takes :class:`Observation` s, or one architecture with its ``value`` (and
        optionally ``cost`` and ``metrics``), or ``(arch, value)`` pairs.
        """
        if type(observations) is not list or not all(
            type(o) is Observation for o in observations
        ):  # the study's own calls pass a list of Observations: nothing to convert
            observations = _observations(observations, value, cost, metrics)
        for obs in observations:
            self.history.append(obs)
            if (self.best is None or obs.value < self.best.value) and math.isfinite(obs.value):
                self.best = obs
            self._track_mean(obs)
            self._update(obs)

    def recommend(self) -> Architecture | None:
        """The architecture this strategy would return now (None before any finite result).

        Default: the lowest mean observed value over its repeated queries (ties: the one
        first observed earliest), since under evaluation noise the single lowest
        observation is often a lucky seed. Model-based strategies override this.
        """
        if self._stale:
            means = self._mean_of
            self._recommended = min(means, key=lambda a: (means[a][0] / means[a][1], means[a][2]))
            self._best_entry = means[self._recommended]
            self._stale = False
        return self._recommended

    def _track_mean(self, obs: Observation) -> None:
        """Keep ``recommend()``'s answer current in O(1), except when the incumbent's mean rises."""
        value = obs.value
        if not math.isfinite(value):  # a failed evaluation is no observation of quality
            return
        entry = self._mean_of.get(obs.arch)
        if entry is None:
            self._mean_of[obs.arch] = entry = [value, 1, len(self.history)]
        else:
            entry[0] += value
            entry[1] += 1
        best = self._best_entry
        if best is None:
            self._recommended, self._best_entry = obs.arch, entry
        elif entry is best:  # the incumbent again: if its mean rose another may be better now
            self._stale = self._stale or value > (entry[0] - value) / (entry[1] - 1)
        elif not self._stale and (entry[0] / entry[1], entry[2]) < (best[0] / best[1], best[2]):
            self._recommended, self._best_entry = obs.arch, entry

    def _update(self, obs: Observation) -> None:  # noqa: B027 - optional hook
        """Learn from one new observation (after ``history`` and ``best`` include it)."""

    @classmethod
    def checked_hyperparameters(cls, given: Mapping[str, object]) -> dict[str, Any]:
        """Every hyperparameter's value: the ``given`` ones checked and converted, else defaults.

        A wrong name, type or range raises a one-line :class:`ConfigError` naming the
        strategy, the parameter, the value and what is allowed.
        """
        unknown = sorted(set(given) - set(cls.hyperparameters))
        if unknown:
            valid = ", ".join(cls.hyperparameters) or "none"
            raise ConfigError(
                f"strategy {cls.registered_name()!r} takes no argument(s) "
                f"{', '.join(map(repr, unknown))}; valid: {valid}"
            )
        values = {}
        for name, param in cls.hyperparameters.items():
            try:
                values[name] = param.validate(given[name]) if name in given else param.default
            except ValueError as exc:
                raise ConfigError(f"strategy {cls.registered_name()!r}: {exc}") from None
        return values

    @classmethod
    def check_needs(cls, max_queries: int | None) -> None:
        """A one-line :class:`ConfigError` for the first of ``needs`` the study does not meet."""
        for need in cls.needs:
            if not need.met(max_queries):
                raise ConfigError(
                    f"strategy {cls.registered_name()!r} needs {need.what}; {need.fix}"
                )

    @classmethod
    def registered_name(cls) -> str:
        """The name this class is registered under in :data:`STRATEGIES` (else its class name)."""
        return STRATEGIES.name_of(cls) or cls.__name__


def _observations(
    given: Observation | Architecture | Sequence[Observation | tuple[Any, ...]],
    value: float | None,
    cost: float,
    metrics: Mapping[str, float] | None,
) -> list[Observation]:
    """What :meth:`Strategy.tell` was given, as observations."""
    if isinstance(given, Architecture):
        if value is None:
            raise ConfigError(f"tell({given}) needs the value it scored: tell(arch, value)")
        extra = MappingProxyType(dict(metrics or {}))
        return [Observation(given, float(value), float(cost), extra)]
    if value is not None:
        raise ConfigError("tell(observations, value): a value goes with one architecture only")
    if isinstance(given, Observation):
        return [given]
    out = []
    for item in given:
        if isinstance(item, Observation):
            out.append(item)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Architecture):
            out.append(Observation(item[0], float(item[1])))
        else:
            raise ConfigError(
                f"tell() takes Observations or (architecture, value) pairs, got {item!r}"
            )
    return out


#: Every strategy, by name; a new strategy is a new class plus one ``@STRATEGIES.register``.
STRATEGIES: Registry[type[Strategy]] = Registry(
    "strategy", entry_point_group="naslab.strategies"
)
