"""The search-space contract and the architecture value it produces.

An :class:`Architecture` is an immutable, hashable value: the choice index at
every position of its space, :data:`INACTIVE` (-1) where a conditional position
is switched off. It is never a network; builders make modules from it. Its
``str`` is the space's canonical string, which ``space.parse`` reads back, so
journals and reports store architectures as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

#: The choice index of a position that is inactive (e.g. a layer beyond the chosen depth).
INACTIVE = -1


class Architecture:
    """One point of a search space: ``ops[i]`` is the choice index at position ``i``."""

    __slots__ = ("ops", "space", "_hash")
    ops: tuple[int, ...]
    space: SearchSpace
    _hash: int

    def __init__(self, space: SearchSpace, ops: tuple[int, ...]) -> None:
        object.__setattr__(self, "space", space)
        object.__setattr__(self, "ops", ops)
        object.__setattr__(self, "_hash", hash((space.name, ops)))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Architecture is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Architecture is immutable")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Architecture)
            and self.ops == other.ops
            and self.space.name == other.space.name
        )

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        return self.space.format(self)

    def __repr__(self) -> str:
        return f"Architecture({self.space.name!r}, {self.space.format(self)!r})"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (Architecture, (self.space, self.ops))

    def op_names(self) -> tuple[str | None, ...]:
        """The chosen option's name at every position (None where it is inactive)."""
        choices = self.space.position_choices
        return tuple(None if o == INACTIVE else choices[i][o] for i, o in enumerate(self.ops))

    def as_dict(self) -> dict[str, str | None]:
        """Position name -> chosen option (None where inactive): what a builder reads."""
        return dict(zip(self.space.positions, self.op_names(), strict=True))


@runtime_checkable
class SearchSpace(Protocol):
    """What every search space offers: sampling, moves, and a canonical text form.

    ``positions`` name the places a choice is made (NB201: its six edges) and
    ``position_choices[i]`` the options at position ``i`` (each position has its
    own list). ``groups`` name sets of positions (by index), e.g. a cell's
    operation blocks, which the operation-distribution encoding counts over.
    Moves and samples only ever produce valid, canonical architectures: inactive
    positions hold :data:`INACTIVE`, and a space restricted to a table's rows
    stays inside them.
    """

    name: str
    positions: tuple[str, ...]
    position_choices: tuple[tuple[str, ...], ...]
    groups: Mapping[str, tuple[int, ...]]

    def __len__(self) -> int: ...

    def make(self, ops: Sequence[int]) -> Architecture: ...

    def sample(self, rng: np.random.Generator) -> Architecture: ...

    def mutate(self, arch: Architecture, rng: np.random.Generator) -> Architecture: ...

    def neighbours(self, arch: Architecture) -> list[Architecture]: ...

    def contains(self, arch: Architecture) -> bool: ...

    def format(self, arch: Architecture) -> str: ...

    def parse(self, text: str) -> Architecture: ...

    def definition(self) -> dict[str, Any] | None:
        """Plain values that rebuild this space (journaled with a run), or None if it is
        only rebuilt by its registered name."""
        ...


def space_size(space: SearchSpace) -> float:
    """How many architectures ``space`` has, also beyond ``sys.maxsize``, which ``len()``
    cannot return (the 5-node DARTS cells of ``darts-open``): the space's exact ``size``
    where it has one, else ``math.inf``."""
    try:
        return len(space)
    except OverflowError:
        return getattr(space, "size", math.inf)
