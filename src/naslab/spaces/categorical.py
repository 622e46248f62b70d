"""A grid of positions x shared choices: the generic space every concrete one builds on."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from naslab.errors import ConfigError, InvalidArchitectureError
from naslab.spaces.base import Architecture


class CategoricalSpace:
    """``len(positions)`` independent categorical choices over the same ``choices``.

    A user's own space is one line: ``CategoricalSpace("mine", ["a", "b"], ["x", "y", "z"])``.
    Its canonical string is the chosen names joined by commas, e.g. ``"x,z"``.
    Architectures are numbered in mixed radix, first position most significant.
    """

    def __init__(self, name: str, positions: Sequence[str], choices: Sequence[str]) -> None:
        if not positions or len(choices) < 2:
            raise ConfigError(
                f"space {name!r} has {len(positions)} positions and {len(choices)} choices; "
                "a categorical space needs at least one position and two choices"
            )
        if len(set(choices)) != len(choices) or len(set(positions)) != len(positions):
            raise ConfigError(f"space {name!r}: position and choice names must be unique")
        self.name = name
        self.positions = tuple(positions)
        self.choices = tuple(choices)
        self._choice_index = {c: i for i, c in enumerate(self.choices)}
        self._radix = [len(self.choices) ** p for p in reversed(range(len(self.positions)))]

    def __len__(self) -> int:
        return len(self.choices) ** len(self.positions)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {len(self.positions)} x {len(self.choices)})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CategoricalSpace)
            and (self.name, self.positions, self.choices)
            == (other.name, other.positions, other.choices)
        )

    def __hash__(self) -> int:
        return hash((self.name, self.positions, self.choices))

    def make(self, ops: Sequence[int]) -> Architecture:
        """The architecture with choice ``ops[i]`` at position ``i`` (validated)."""
        ops = tuple(int(o) for o in ops)
        if len(ops) != len(self.positions):
            raise InvalidArchitectureError(
                f"{self.name} architectures have {len(self.positions)} positions, got {len(ops)}"
            )
        for position, op in zip(self.positions, ops, strict=True):
            if not 0 <= op < len(self.choices):
                raise InvalidArchitectureError(
                    f"position {position}: choice index {op} is out of range "
                    f"0..{len(self.choices) - 1}"
                )
        return Architecture(self, ops)

    def sample(self, rng: np.random.Generator) -> Architecture:
        """A uniformly random architecture."""
        ops = rng.integers(len(self.choices), size=len(self.positions))
        return Architecture(self, tuple(ops.tolist()))

    def mutate(self, arch: Architecture, rng: np.random.Generator) -> Architecture:
        """Change the choice at one uniformly random position to a different one."""
        position = int(rng.integers(len(self.positions)))
        new = int(rng.integers(len(self.choices) - 1))
        if new >= arch.ops[position]:
            new += 1
        ops = list(arch.ops)
        ops[position] = new
        return Architecture(self, tuple(ops))

    def neighbours(self, arch: Architecture) -> list[Architecture]:
        """All architectures at edit distance 1 (one position changed), position-major order."""
        out = []
        for position, current in enumerate(arch.ops):
            for choice in range(len(self.choices)):
                if choice != current:
                    ops = arch.ops[:position] + (choice,) + arch.ops[position + 1 :]
                    out.append(Architecture(self, ops))
        return out

    def index(self, arch: Architecture) -> int:
        return sum(o * r for o, r in zip(arch.ops, self._radix, strict=True))

    def from_index(self, index: int) -> Architecture:
        if not 0 <= index < len(self):
            raise InvalidArchitectureError(f"index {index} is out of range 0..{len(self) - 1}")
        return Architecture(self, tuple((index // r) % len(self.choices) for r in self._radix))

    def all(self) -> list[Architecture]:
        """Every architecture, in index order (only sensible for small spaces)."""
        return [self.from_index(i) for i in range(len(self))]

    def format(self, arch: Architecture) -> str:
        return ",".join(self.choices[o] for o in arch.ops)

    def parse(self, text: str) -> Architecture:
        names = [t.strip() for t in text.split(",")]
        if len(names) != len(self.positions):
            raise InvalidArchitectureError(
                f"{text!r}: expected {len(self.positions)} comma-separated choices, "
                f"got {len(names)}"
            )
        ops = tuple(self._lookup(n, p) for n, p in zip(names, self.positions, strict=True))
        return Architecture(self, ops)

    def _lookup(self, choice: str, position: str) -> int:
        try:
            return self._choice_index[choice]
        except KeyError:
            raise InvalidArchitectureError(
                f"position {position}: unknown choice {choice!r}; "
                f"allowed: {', '.join(self.choices)}"
            ) from None
