"""The search-space contract and the architecture value it produces.

An :class:`Architecture` is an immutable, hashable value: the choice index at
every position of its space. It is never a network; builders make modules from
it. Its ``str`` is the space's canonical string, which ``space.parse`` reads
back, so journals and reports store architectures as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence


class Architecture:
    """One point of a categorical search space: ``ops[i]`` is the choice at position ``i``."""

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

    def op_names(self) -> tuple[str, ...]:
        """The chosen operation's name at every position."""
        return tuple(self.space.choices[i] for i in self.ops)


@runtime_checkable
class SearchSpace(Protocol):
    """What every search space offers: sampling, moves, and a canonical text form.

    ``positions`` name the places a choice is made (NB201: its six edges) and
    ``choices`` the options shared by every position (NB201: its five ops), so
    every space is a grid of ``len(positions) x len(choices)``; the
    operation-distribution encoding relies on that sharing.
    """

    name: str
    positions: tuple[str, ...]
    choices: tuple[str, ...]

    def __len__(self) -> int: ...

    def make(self, ops: Sequence[int]) -> Architecture: ...

    def sample(self, rng: np.random.Generator) -> Architecture: ...

    def mutate(self, arch: Architecture, rng: np.random.Generator) -> Architecture: ...

    def neighbours(self, arch: Architecture) -> list[Architecture]: ...

    def index(self, arch: Architecture) -> int: ...

    def from_index(self, index: int) -> Architecture: ...

    def format(self, arch: Architecture) -> str: ...

    def parse(self, text: str) -> Architecture: ...
