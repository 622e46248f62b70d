"""A space restricted to a given set of its architectures (what a partial table implies).

A results table that covers only part of its space can answer only for the
architectures it holds, so the search must stay among them: sampling is
uniform over the set, neighbourhoods keep only members, and a mutation picks a
uniformly random member neighbour. Architectures keep the base space's name
and text form, so they compare equal to the base space's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from naslab.errors import ConfigError, InvalidArchitectureError
from naslab.spaces.base import Architecture, SearchSpace


class RestrictedSpace:
    """``base`` limited to ``members`` (at least two of its architectures, order kept)."""

    def __init__(self, base: SearchSpace, members: Iterable[Architecture]) -> None:
        self.base = base
        self.members: tuple[Architecture, ...] = tuple(dict.fromkeys(members))
        self._row = {arch: i for i, arch in enumerate(self.members)}
        foreign = next((a for a in self.members if not base.contains(a)), None)
        if foreign is not None:
            raise InvalidArchitectureError(f"{foreign!r} is not an architecture of {base.name!r}")
        if len(self.members) < 2:
            raise ConfigError(
                f"space {base.name!r} restricted to {len(self.members)} architecture: "
                "a search needs two"
            )

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def positions(self) -> tuple[str, ...]:
        return self.base.positions

    @property
    def position_choices(self) -> tuple[tuple[str, ...], ...]:
        return self.base.position_choices

    @property
    def groups(self) -> Mapping[str, tuple[int, ...]]:
        return self.base.groups

    def __len__(self) -> int:
        return len(self.members)

    def __repr__(self) -> str:
        return f"RestrictedSpace({self.base!r}, {len(self.members)} architectures)"

    def definition(self) -> dict[str, Any] | None:
        """The base space's: the restriction comes back with the table that implies it."""
        return self.base.definition()

    def contains(self, arch: Architecture) -> bool:
        return arch in self._row

    def _member(self, arch: Architecture) -> Architecture:
        if arch not in self._row:
            raise InvalidArchitectureError(
                f"{arch} is not one of the {len(self.members):,} architectures this "
                f"{self.name} table holds"
            )
        return arch

    def make(self, ops: Sequence[int]) -> Architecture:
        return self._member(self.base.make(ops))

    def parse(self, text: str) -> Architecture:
        return self._member(self.base.parse(text))

    def format(self, arch: Architecture) -> str:
        return self.base.format(arch)

    def index(self, arch: Architecture) -> int:
        """Position of ``arch`` in ``members``."""
        return self._row[self._member(arch)]

    def from_index(self, index: int) -> Architecture:
        if not 0 <= index < len(self.members):
            raise InvalidArchitectureError(
                f"index {index} is out of range 0..{len(self.members) - 1}"
            )
        return self.members[index]

    def sample(self, rng: np.random.Generator) -> Architecture:
        """A uniformly random member."""
        return self.members[int(rng.integers(len(self.members)))]

    def neighbours(self, arch: Architecture) -> list[Architecture]:
        """The base space's neighbours of ``arch`` that are members."""
        return [a for a in self.base.neighbours(arch) if a in self._row]

    def mutate(self, arch: Architecture, rng: np.random.Generator) -> Architecture:
        """A uniformly random member neighbour; a uniform member where ``arch`` has none."""
        near = self.neighbours(arch)
        if not near:
            return self.sample(rng)
        return near[int(rng.integers(len(near)))]
