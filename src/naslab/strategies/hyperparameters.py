"""What a strategy takes and needs, declared once on its class.

A hyperparameter is a class attribute (``population_size = Integer(10, low=1,
origin="NB201")``) that names its type, range, default and where the default
comes from. :class:`~naslab.strategies.base.Strategy` checks the keyword
arguments of every constructor against these declarations, and the study config
checks ``strategy_params`` with the same code before anything is written, so a
bad value gives the same one-line error from the CLI and from Python.

A :class:`Need` is something a strategy cannot run without (e.g. a query budget
for an annealing schedule); the study config refuses a study that lacks it.

Values live in the instance's ``__dict__``: the declarations are non-data
descriptors, so reading ``self.population_size`` costs a plain attribute lookup.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import numpy as np

from naslab.errors import excerpt

T = TypeVar("T")


class Hyperparameter(ABC, Generic[T]):
    """One keyword argument of a strategy's constructor: type, range and the paper's default.

    ``origin`` says who uses the default ("the paper", "NB201"); error messages quote it.
    """

    name = "?"  # set by __set_name__ when the class declaring it is made

    def __init__(self, default: T, *, origin: str = "the paper") -> None:
        self.default = default
        self.origin = origin

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Hyperparameter[T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:  # read on the class: the declaration itself
            return self
        raise AttributeError(f"{self.name} is set by Strategy.__init__, which has not run yet")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}: {self.allowed()}, default {self.default!r})"

    @abstractmethod
    def allowed(self) -> str:
        """What values are allowed, as a phrase: ``"an integer >= 1"``."""

    @abstractmethod
    def convert(self, value: object) -> T:
        """``value`` as this parameter's type; TypeError or ValueError when it is not allowed."""

    def validate(self, value: object) -> T:
        """``value`` converted, or a ValueError saying what is allowed and what was given."""
        try:
            return self.convert(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{self.name} must be {self.allowed()} ({self.origin} uses {self.default!r}), "
                f"got {excerpt(value)}"
            ) from None


N = TypeVar("N", bound=float)  # int or float (mypy promotes int to float)


class _Number(Hyperparameter[N]):
    """A number within inclusive bounds ``low`` and ``high`` (None: unbounded)."""

    kind: str  # "an integer", "a number": how allowed() names the type

    def __init__(
        self,
        default: N,
        *,
        low: N | None = None,
        high: N | None = None,
        origin: str = "the paper",
    ) -> None:
        self.low: N | None = low
        self.high: N | None = high
        super().__init__(default, origin=origin)

    def allowed(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.kind} in [{self.low}, {self.high}]"
        if self.low is not None:
            return f"{self.kind} >= {self.low}"
        if self.high is not None:
            return f"{self.kind} <= {self.high}"
        return self.kind

    def convert(self, value: object) -> N:
        number = self._typed(value)
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise ValueError("out of range")
        return number

    @abstractmethod
    def _typed(self, value: object) -> N:
        """``value`` as this kind of number; TypeError when it is not one (bools never are)."""


class Integer(_Number[int]):
    """A whole number (numpy's too): ``2.5`` or ``"3"`` is refused, not truncated or parsed."""

    kind = "an integer"

    def _typed(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError("not an integer")
        return int(value)


class Real(_Number[float]):
    """A finite real number; integers are accepted and stored as floats."""

    kind = "a finite number"

    def _typed(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError("not a number")
        if not math.isfinite(value):
            raise ValueError("not finite")
        return float(value)


class Choice(Hyperparameter[str]):
    """One of a fixed set of names (an acquisition function, an optimiser), case-insensitive."""

    def __init__(
        self, default: str, options: tuple[str, ...], *, origin: str = "the paper"
    ) -> None:
        self.options = options
        super().__init__(default, origin=origin)

    def allowed(self) -> str:
        return "one of " + ", ".join(map(repr, self.options))

    def convert(self, value: object) -> str:
        if not isinstance(value, str):
            raise TypeError("not a name")
        name = value.strip().lower()
        if name not in self.options:
            raise ValueError("not an option")
        return name


class Flag(Hyperparameter[bool]):
    """On or off: a real bool only (``"false"`` or ``0`` are refused rather than guessed)."""

    def allowed(self) -> str:
        return "true or false"

    def convert(self, value: object) -> bool:
        if not isinstance(value, bool | np.bool_):
            raise TypeError("not a bool")
        return bool(value)


@dataclass(frozen=True)
class Need:
    """Something a strategy needs from its study, checked before the study starts.

    ``met(max_queries)`` reads what the runner passes every strategy besides the
    space and the rng; ``what`` and ``fix`` complete "strategy 'x' needs <what>; <fix>".
    """

    what: str
    fix: str
    met: Callable[[int | None], bool]


def query_budget(why: str) -> Need:
    """The study must stop after a number of queries the strategy knows in advance."""
    return Need(
        f"a query budget ({why})",
        "set max_queries (--queries N), or leave the strategy out",
        lambda max_queries: max_queries is not None and max_queries >= 1,
    )
