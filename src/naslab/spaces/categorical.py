"""Categorical spaces: positions, each with its own options, some active only conditionally.

Every concrete space builds on :class:`CategoricalSpace`: NB201 is six edges
sharing five ops; a chain ConvNet (seed 002, section 2) is a depth, then a kernel
size and a width per layer, the layers beyond the depth inactive; a graph cell
is, per node, an input among the nodes before it and an operation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from naslab.errors import ConfigError, InvalidArchitectureError, excerpt
from naslab.spaces.base import INACTIVE, Architecture
from naslab.spaces.template import INACTIVE_TEXT, Template


@dataclass(frozen=True)
class Position:
    """A place a choice is made: its ``name``, its ``choices`` and when it is active.

    ``active_when = ("depth", ("3", "4"))`` makes the position active only while
    the earlier position ``depth`` takes one of those options; otherwise it is
    inactive and does not distinguish architectures.
    """

    name: str
    choices: tuple[str, ...]
    active_when: tuple[str, tuple[str, ...]] | None = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(str(c) for c in self.choices))
        if self.active_when is not None:
            controller, options = self.active_when
            if isinstance(options, str):
                options = (options,)
            object.__setattr__(self, "active_when", (controller, tuple(str(o) for o in options)))


class CategoricalSpace:
    """Positions with their own options; the protocol every search space follows.

    ``CategoricalSpace("mine", ["a", "b"], ["x", "y", "z"])`` is the grid where
    every position shares one option list; pass :class:`Position` s for options of
    their own or conditional positions. ``groups`` maps a name to position names
    (default: one group ``"positions"`` of every position). ``template`` lays out
    the canonical string (default: option names joined by commas, ``-`` where a
    position is inactive).
    """

    def __init__(
        self,
        name: str,
        positions: Sequence[str | Position],
        choices: Sequence[str] | None = None,
        *,
        groups: Mapping[str, Sequence[str]] | None = None,
        template: str | None = None,
    ) -> None:
        specs = _positions(name, positions, choices)
        self.name = name
        self.specs = specs
        self.positions = tuple(p.name for p in specs)
        self.position_choices = tuple(p.choices for p in specs)
        self._choice_index = tuple({c: i for i, c in enumerate(cs)} for cs in self.position_choices)
        self._k = tuple(len(cs) for cs in self.position_choices)
        #: Per position: None, or (controller position, the controller's options that activate it).
        self.conditions = _conditions(name, specs, self._choice_index)
        self.groups: Mapping[str, tuple[int, ...]] = _groups(name, groups, self.positions)
        self.template = (
            Template(template, self.positions, self.position_choices) if template else None
        )
        self._shared = not any(self.conditions) and len(set(self.position_choices)) == 1
        self._movable = tuple(i for i, k in enumerate(self._k) if k >= 2)
        self._radix = tuple(math.prod(self._k[i + 1 :]) for i in range(len(self._k)))
        self._assignments, self._weights = _controller_assignments(self._k, self.conditions)
        self._size = sum(self._weights) if self._weights else math.prod(self._k)
        if self._size < 2:
            raise ConfigError(f"space {name!r} has {self._size} architecture; a search needs two")
        self._probabilities = (
            np.array(self._weights, dtype=float) / self._size if self._weights else None
        )

    # --- identity ----------------------------------------------------------------------
    @property
    def choices(self) -> tuple[str, ...]:
        """The option list every position shares (only for such spaces, e.g. NB201)."""
        if not self._shared:
            raise ConfigError(
                f"space {self.name!r} has options of its own per position or conditional "
                "positions; read space.position_choices"
            )
        return self.position_choices[0]

    @property
    def conditional(self) -> bool:
        """Whether some position is active only under a choice elsewhere."""
        return any(self.conditions)

    def __len__(self) -> int:
        return self._size

    @property
    def size(self) -> int:
        """The number of architectures, exact even where ``len()`` overflows."""
        return self._size

    def __repr__(self) -> str:
        sizes = " x ".join(map(str, self._k)) if not self._shared else (
            f"{len(self.positions)} x {self._k[0]}"
        )
        return f"{type(self).__name__}({self.name!r}, {sizes})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CategoricalSpace) and self._identity() == other._identity()

    def _identity(self) -> tuple[object, ...]:
        """Everything that makes two spaces the same (what :meth:`definition` writes out)."""
        template = None if self.template is None else self.template.text
        groups = tuple(self.groups.items())
        return (self.name, self.specs, groups, template)

    def __hash__(self) -> int:
        return hash((self.name, self.positions, self.position_choices))

    def definition(self) -> dict[str, Any] | None:
        """Plain values that rebuild this space with :func:`naslab.spaces.space_from_definition`."""
        positions = []
        for spec in self.specs:
            entry: dict[str, Any] = {"name": spec.name, "choices": list(spec.choices)}
            if spec.active_when is not None:
                entry["active_when"] = {spec.active_when[0]: list(spec.active_when[1])}
            positions.append(entry)
        out: dict[str, Any] = {"name": self.name, "positions": positions}
        out["groups"] = {g: [self.positions[i] for i in idx] for g, idx in self.groups.items()}
        if self.template is not None:
            out["template"] = self.template.text
        return out

    # --- building and checking -----------------------------------------------------------
    def make(self, ops: Sequence[int]) -> Architecture:
        """The architecture with option ``ops[i]`` at position ``i`` (validated, canonical).

        An inactive position's entry is ignored (it may be :data:`INACTIVE`).
        """
        if isinstance(ops, (str, bytes)) or not isinstance(ops, Sequence | np.ndarray):
            raise InvalidArchitectureError(
                f"{self.name}: ops must be a sequence of choice indices, got {excerpt(ops)}"
            )
        if len(ops) != len(self.positions):
            raise InvalidArchitectureError(
                f"{self.name} architectures have {len(self.positions)} positions, got {len(ops)}"
            )
        out = []
        for i, op in enumerate(ops):
            if isinstance(op, bool) or not isinstance(op, int | np.integer):
                raise InvalidArchitectureError(
                    f"position {self.positions[i]}: a choice index must be an integer, "
                    f"got {excerpt(op)}"
                )
            out.append(int(op))
        for i, op in enumerate(out):
            if not self._active(out, i):
                out[i] = INACTIVE
            elif not 0 <= op < self._k[i]:
                raise InvalidArchitectureError(
                    f"position {self.positions[i]}: choice index {op} is out of range "
                    f"0..{self._k[i] - 1}"
                )
        return Architecture(self, tuple(out))

    def contains(self, arch: Architecture) -> bool:
        """Whether ``arch`` is a valid, canonical architecture of this space."""
        if arch.space.name != self.name or len(arch.ops) != len(self.positions):
            return False
        return all(
            (op == INACTIVE) if not self._active(arch.ops, i) else 0 <= op < self._k[i]
            for i, op in enumerate(arch.ops)
        )

    def _active(self, ops: Sequence[int], i: int) -> bool:
        condition = self.conditions[i]
        return condition is None or (ops[condition[0]] in condition[1] and self._active(
            ops, condition[0]
        ))

    def _canonical(self, ops: list[int], fill: np.random.Generator | None) -> tuple[int, ...]:
        """``ops`` with inactive positions set to INACTIVE and newly active ones filled
        (uniformly from ``fill``, or with option 0 when ``fill`` is None)."""
        for i in range(len(ops)):
            if not self._active(ops, i):
                ops[i] = INACTIVE
            elif ops[i] == INACTIVE:
                ops[i] = 0 if fill is None else int(fill.integers(self._k[i]))
        return tuple(ops)

    # --- sampling and moves --------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Architecture:
        """A uniformly random architecture (uniform over distinct canonical architectures)."""
        if self._shared:
            ops = rng.integers(self._k[0], size=len(self._k))
            return Architecture(self, tuple(ops.tolist()))
        draws = rng.integers(self._k).tolist()
        if self._probabilities is None:
            return Architecture(self, tuple(draws))
        assignment = self._assignments[int(rng.choice(len(self._assignments),
                                                      p=self._probabilities))]
        for i, op in assignment:
            draws[i] = op
        return Architecture(self, tuple(
            op if self._active(draws, i) else INACTIVE for i, op in enumerate(draws)
        ))

    def mutate(self, arch: Architecture, rng: np.random.Generator) -> Architecture:
        """Change one uniformly random active position to another option.

        Positions a changed controller switches on take uniformly random options.
        """
        if self._shared:
            position = int(rng.integers(len(self.positions)))
            new = int(rng.integers(self._k[0] - 1))
        else:
            movable = [i for i in self._movable if arch.ops[i] != INACTIVE]
            position = movable[int(rng.integers(len(movable)))]
            new = int(rng.integers(self._k[position] - 1))
        if new >= arch.ops[position]:
            new += 1
        ops = list(arch.ops)
        ops[position] = new
        if not self._shared:
            return Architecture(self, self._canonical(ops, rng))
        return Architecture(self, tuple(ops))

    def neighbours(self, arch: Architecture) -> list[Architecture]:
        """Every architecture one active position away, position-major order.

        Positions a changed controller switches on take their first option.
        """
        ops = arch.ops
        if self._shared:  # the hot path of local search on NB201: no per-move checks
            choices = range(self._k[0])
            return [
                Architecture(self, ops[:position] + (choice,) + ops[position + 1 :])
                for position, current in enumerate(ops)
                for choice in choices
                if choice != current
            ]
        out = []
        for position, current in enumerate(ops):
            if current == INACTIVE:
                continue
            for choice in range(self._k[position]):
                if choice != current:
                    moved = list(ops[:position] + (choice,) + ops[position + 1 :])
                    out.append(Architecture(self, self._canonical(moved, None)))
        return out

    # --- enumeration -----------------------------------------------------------------------
    def index(self, arch: Architecture) -> int:
        """Mixed-radix number of ``arch`` (first position most significant); unconditional only."""
        self._require_unconditional("index")
        return sum(o * r for o, r in zip(arch.ops, self._radix, strict=True))

    def from_index(self, index: int) -> Architecture:
        self._require_unconditional("from_index")
        if not 0 <= index < len(self):
            raise InvalidArchitectureError(f"index {index} is out of range 0..{len(self) - 1}")
        return Architecture(
            self, tuple((index // r) % k for r, k in zip(self._radix, self._k, strict=True))
        )

    def _require_unconditional(self, what: str) -> None:
        if self.conditional:
            raise ConfigError(f"space {self.name!r} has conditional positions: no {what}()")

    def all(self) -> list[Architecture]:
        """Every architecture (only sensible for small spaces): index order where unconditional."""
        return list(self._enumerate())

    def _enumerate(self) -> Iterator[Architecture]:
        if not self.conditional:
            for i in range(len(self)):
                yield self.from_index(i)
            return
        seen: set[tuple[int, ...]] = set()
        for ops in itertools.product(*(range(k) for k in self._k)):
            canonical = self._canonical(list(ops), None)
            if canonical not in seen:
                seen.add(canonical)
                yield Architecture(self, canonical)

    # --- text ------------------------------------------------------------------------------
    def format(self, arch: Architecture) -> str:
        names = [
            INACTIVE_TEXT if o == INACTIVE else self.position_choices[i][o]
            for i, o in enumerate(arch.ops)
        ]
        return self.template.format(names) if self.template else ",".join(names)

    def parse(self, text: str) -> Architecture:
        """Read the canonical string; errors name the position and option at fault."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(
                f"{self.name}: an architecture string must be text, got {type(text).__name__}"
            )
        if self.template is not None:
            names = self.template.split(text.strip())
            if names is None:
                raise InvalidArchitectureError(
                    f"{excerpt(text)} does not match {self.name}'s layout {self.template.text!r}"
                )
        else:
            names = [t.strip() for t in text.split(",")]
            if len(names) != len(self.positions):
                raise InvalidArchitectureError(
                    f"{excerpt(text)}: expected {len(self.positions)} comma-separated choices, "
                    f"got {len(names)}"
                )
        return self.from_names(names, source=excerpt(text))

    def from_names(self, names: Sequence[object], source: str = "") -> Architecture:
        """The architecture choosing option ``names[i]`` at position ``i`` (``-`` or None where
        inactive); options given as numbers match their text (``3`` and ``3.0`` match ``"3"``)."""
        ops: list[int] = []
        for i, name in enumerate(names):
            ops.append(INACTIVE if _is_blank(name) else self._lookup(name, i))
        for i, op in enumerate(ops):
            active = self._active(ops, i)
            if active and op == INACTIVE:
                raise InvalidArchitectureError(
                    f"{source}: position {self.positions[i]} is active here and needs one of "
                    f"{', '.join(self.position_choices[i])}".lstrip(": ")
                )
            if not active and op != INACTIVE:
                raise InvalidArchitectureError(
                    f"{source}: position {self.positions[i]} is inactive here; write "
                    f"{INACTIVE_TEXT!r}".lstrip(": ")
                )
        return Architecture(self, tuple(ops))

    def _lookup(self, choice: object, position: int) -> int:
        table = self._choice_index[position]
        for key in _spellings(choice):
            if key in table:
                return table[key]
        raise InvalidArchitectureError(
            f"position {self.positions[position]}: unknown choice {excerpt(choice)}; "
            f"allowed: {', '.join(self.position_choices[position])}"
        )


def _is_blank(name: object) -> bool:
    if name is None:
        return True
    if isinstance(name, float) and np.isnan(name):
        return True
    return isinstance(name, str) and name.strip() in (INACTIVE_TEXT, "")


def _spellings(choice: object) -> list[str]:
    """The texts an option given as ``choice`` may be written as (3.0 -> "3.0", "3")."""
    if isinstance(choice, str):
        return [choice.strip()]
    out = [str(choice)]
    if isinstance(choice, float | np.floating) and float(choice).is_integer():
        out.append(str(int(choice)))
    return out


# --- construction helpers --------------------------------------------------------------------
def _positions(
    name: str, positions: Sequence[str | Position], choices: Sequence[str] | None
) -> tuple[Position, ...]:
    if isinstance(positions, str) or not positions:
        raise ConfigError(f"space {name!r} needs a list of at least one position")
    specs = []
    for p in positions:
        if isinstance(p, Position):
            specs.append(p)
        elif choices is None:
            raise ConfigError(
                f"space {name!r}: position {p!r} has no options; give shared choices or Positions"
            )
        else:
            specs.append(Position(str(p), tuple(choices)))
    names = [p.name for p in specs]
    if len(set(names)) != len(names):
        raise ConfigError(f"space {name!r}: position names must be unique")
    for p in specs:
        if not p.choices:
            raise ConfigError(f"space {name!r}: position {p.name!r} has no options")
        if len(set(p.choices)) != len(p.choices):
            raise ConfigError(f"space {name!r}: position {p.name!r} lists an option twice")
        if INACTIVE_TEXT in p.choices:
            raise ConfigError(
                f"space {name!r}: {INACTIVE_TEXT!r} is reserved for inactive positions "
                f"(position {p.name!r})"
            )
    return tuple(specs)


Condition = tuple[int, frozenset[int]] | None


def _conditions(
    name: str, specs: tuple[Position, ...], index: tuple[dict[str, int], ...]
) -> tuple[Condition, ...]:
    """Per position: None, or (controller index, the controller's options that activate it)."""
    order = {p.name: i for i, p in enumerate(specs)}
    out: list[Condition] = []
    for i, p in enumerate(specs):
        if p.active_when is None:
            out.append(None)
            continue
        controller, options = p.active_when
        if order.get(controller, i) >= i:
            raise ConfigError(
                f"space {name!r}: position {p.name!r} depends on {controller!r}, which must be "
                "an earlier position"
            )
        j = order[controller]
        unknown = [o for o in options if o not in index[j]]
        if unknown or not options:
            raise ConfigError(
                f"space {name!r}: position {p.name!r} is active when {controller} is "
                f"{unknown or 'nothing'}; {controller}'s options: {', '.join(specs[j].choices)}"
            )
        out.append((j, frozenset(index[j][o] for o in options)))
    return tuple(out)


def _groups(
    name: str, groups: Mapping[str, Sequence[str]] | None, positions: tuple[str, ...]
) -> dict[str, tuple[int, ...]]:
    if groups is None:
        return {"positions": tuple(range(len(positions)))}
    index = {p: i for i, p in enumerate(positions)}
    out = {}
    for group, members in groups.items():
        if isinstance(members, str) or not members:
            raise ConfigError(f"space {name!r}: group {group!r} must list at least one position")
        unknown = [m for m in members if m not in index]
        if unknown:
            raise ConfigError(
                f"space {name!r}: group {group!r} names {unknown[0]!r}, which is no position; "
                f"positions: {', '.join(positions)}"
            )
        out[str(group)] = tuple(index[m] for m in members)
    return out


def _controller_assignments(
    k: tuple[int, ...], conditions: tuple[Condition, ...]
) -> tuple[list[tuple[tuple[int, int], ...]], list[int]]:
    """Every setting of the positions others depend on, with how many architectures share it.

    Sampling a setting with probability weight / total, then every other active
    position uniformly, is uniform over the distinct canonical architectures.
    Empty lists for a space without conditions.
    """
    controllers = sorted({c[0] for c in conditions if c is not None})
    if not controllers:
        return [], []
    assignments, weights = [], []
    for values in itertools.product(*(range(k[c]) for c in controllers)):
        ops = [0] * len(k)
        for c, v in zip(controllers, values, strict=True):
            ops[c] = v
        active = [True] * len(k)
        for i, condition in enumerate(conditions):
            if condition is not None:
                active[i] = active[condition[0]] and ops[condition[0]] in condition[1]
        setting = tuple(
            (c, v if active[c] else INACTIVE) for c, v in zip(controllers, values, strict=True)
        )
        if setting in assignments:  # an inactive controller's value does not matter
            continue
        weight = 1
        for i in range(len(k)):
            if active[i] and i not in controllers:
                weight *= k[i]
        assignments.append(setting)
        weights.append(weight)
    return assignments, weights
