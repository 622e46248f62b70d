"""The ANASOD operation-distribution encoding (seed 000, section 3.1).

A cell of N operation blocks, each one of k operations, is encoded by the
normalised count of each operation: a point ``p~ = counts / N`` on the
k-simplex. One encoding stands for every architecture with that mix of
operations, whatever their wiring, so the encoding space has only
C(N+k-1, k-1) points (210 for NB201) against k**N architectures (15,625).

Two decoders map a simplex point back to an architecture:

* :meth:`OpDistEncoding.decode_rounding` snaps the point to the closest valid
  integer configuration by the rounding rule of eq. (1), then places those
  operations on the blocks in uniformly random order;
* :meth:`OpDistEncoding.decode_categorical` draws every block's operation from
  Cat(p~), eq. (2), which needs no grid and is the DNAS relaxation.

The blocks are a *group* of the space's positions that share one option list
and are always active (NB201: its six edges); any other position (a graph
node's input, a width) is wiring and is drawn uniformly, like the placement.
On a space restricted to a table's rows an encoding is decoded into a member
with those counts, or, for a point whose counts no member has, a member with
the nearest counts (L1).

An encoding may span several *twin* groups, cells of one size over one option
list (the DARTS / NASNet space's normal and reduction cells): the point is then
ONE distribution shared by every cell, each cell decoded from it on its own.
Seed 000, Figure 7's caption, for the open-domain DARTS-like search: "similar
to [44, 41, 35] who use the same cell, we sample the normal and reduction
cells from the same encoding"; its best encoding (1 max pool, 6 skip, 1 sep
5x5, 2 dil 3x3) counts the 10 blocks of ONE cell. So ``N`` stays a cell's
block count and ``k`` the op count: the dimension does not double, and the
grid, the rounding rule, the Dirichlet strategies and their neighbours are
those of a single cell. An architecture whose cells differ (one not drawn
from an encoding) is encoded by the mean of its cells' distributions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from math import comb

import numpy as np

from naslab.errors import ConfigError, InvalidArchitectureError, UnknownNameError
from naslab.spaces.base import Architecture, SearchSpace
from naslab.spaces.restricted import RestrictedSpace

Counts = tuple[int, ...]


class OpDistEncoding:
    """Operation-distribution encoding over ``group`` of ``space``'s positions.

    ``group`` names one group, or several twin groups (same size, same option
    list, disjoint) that share one distribution (module doc: seed 000, Figure 7).
    ``group=None`` takes the first group whose positions share an option list
    and are always active, with every twin of it (DARTS: ``normal`` and
    ``reduce``); a space without one is refused.

    ``groups`` are the encoded groups' names, ``cells`` their position indices,
    ``blocks`` all of those positions, ``n_blocks`` the block count N of one cell.
    """

    def __init__(self, space: SearchSpace, group: str | Sequence[str] | None = None) -> None:
        self.space = space
        if group is None:
            names = _twins(space, _first_block_group(space))
        else:
            names = (group,) if isinstance(group, str) else tuple(group)
        if not names:
            raise ConfigError("the operation-distribution encoding needs at least one group")
        for name in names:
            if name not in space.groups:
                raise UnknownNameError(f"group of space {space.name!r}", name, space.groups)
            problem = _block_problem(space, space.groups[name])
            if problem:
                raise ConfigError(
                    f"the operation-distribution encoding needs a group of positions that "
                    f"share one option list and are always active; group {name!r} of space "
                    f"{space.name!r} {problem}"
                )
        self.groups: tuple[str, ...] = names
        self.group = names[0]
        self.cells: tuple[tuple[int, ...], ...] = tuple(space.groups[n] for n in names)
        first = self.cells[0]
        for name, cell in zip(names[1:], self.cells[1:], strict=True):
            if len(cell) != len(first) or _block_problem(space, first + cell):
                raise ConfigError(
                    f"groups {names[0]!r} and {name!r} of space {space.name!r} cannot share one "
                    "operation distribution: they need the same number of positions and the "
                    "same option list"
                )
        self.blocks = tuple(i for cell in self.cells for i in cell)
        if len(set(self.blocks)) != len(self.blocks):
            raise ConfigError(
                f"groups {', '.join(map(repr, names))} of space {space.name!r} overlap; an "
                "operation distribution spans disjoint groups"
            )
        self.choices = space.position_choices[first[0]]
        self.n_blocks = len(first)
        self.dim = len(self.choices)
        self._whole = self.blocks == tuple(range(len(space.positions)))
        self._members = _by_counts(self) if isinstance(space, RestrictedSpace) else None

    @property
    def n_encodings(self) -> int:
        """How many distinct encodings (grid points) the space has."""
        return comb(self.n_blocks + self.dim - 1, self.dim - 1)

    def counts(self, arch: Architecture) -> np.ndarray:
        """How many blocks of ``arch`` use each operation (the unnormalised encoding p).

        Over twin groups: the counts every cell has, or, where the cells differ, the
        grid point (eq. 1) nearest the mean of their distributions.
        """
        if len(self.cells) == 1:
            ops = arch.ops if self._whole else [arch.ops[i] for i in self.blocks]
            return np.bincount(ops, minlength=self.dim)
        per_cell = self.cell_counts(arch)
        if (per_cell == per_cell[0]).all():
            return per_cell[0]
        return self.round_to_grid(per_cell.sum(axis=0) / per_cell.sum())

    def cell_counts(self, arch: Architecture) -> np.ndarray:
        """The ``(len(groups), dim)`` op counts of each encoded group (cell) of ``arch``."""
        return np.array([np.bincount([arch.ops[i] for i in cell], minlength=self.dim)
                         for cell in self.cells])

    def describe(self, arch: Architecture) -> str:
        """``arch``'s encoding in words: each used operation with its count, commonest first."""
        counts = self.counts(arch)
        order = sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], i))
        return ", ".join(f"{self.choices[i]} x{counts[i]}" for i in order)

    def has_counts(self, counts: Sequence[int] | np.ndarray) -> bool:
        """Whether some architecture of the space has exactly these op counts."""
        return self._members is None or tuple(int(c) for c in counts) in self._members

    def encode(self, arch: Architecture) -> np.ndarray:
        """The normalised encoding p~ = counts / N (twin groups: their cells' mean)."""
        if len(self.cells) == 1:
            return self.counts(arch) / self.n_blocks
        return self.cell_counts(arch).sum(axis=0) / len(self.blocks)

    def encode_many(self, archs: Sequence[Architecture]) -> np.ndarray:
        """The ``(len(archs), dim)`` matrix of normalised encodings, in one pass."""
        ops = np.array([a.ops for a in archs], dtype=np.int64).reshape(len(archs), -1)
        blocks = ops[:, list(self.blocks)]
        counts = (blocks[:, :, None] == np.arange(self.dim)).sum(axis=1)
        return counts / len(self.blocks)

    def round_to_grid(self, point: np.ndarray) -> np.ndarray:
        """Integer op counts closest to ``point`` (a simplex point), by eq. (1).

        With m = N p~, g(m) = N - sum(floor(m)) of the largest fractional parts are
        rounded up and the rest down; ties go to the lower operation index. This is
        the closest valid configuration in every l_p norm, p >= 1.
        """
        m = [self.n_blocks * x for x in self._check_point(point)]
        floors = [math.floor(x) for x in m]
        up = self.n_blocks - sum(floors)
        order = sorted(range(self.dim), key=lambda i: floors[i] - m[i])  # stable: ties by index
        for i in order[:up]:
            floors[i] += 1
        return np.array(floors, dtype=np.int64)

    def decode_counts(self, counts: np.ndarray, rng: np.random.Generator) -> Architecture:
        """A uniformly random architecture with exactly ``counts[i]`` blocks of op ``i``."""
        counts = np.asarray(counts)
        if counts.shape != (self.dim,) or (counts < 0).any() or counts.sum() != self.n_blocks:
            raise InvalidArchitectureError(
                f"op counts {counts.tolist()}: expected {self.dim} non-negative integers "
                f"summing to the cell's {self.n_blocks} blocks"
            )
        if not self.has_counts(counts):
            raise InvalidArchitectureError(
                f"no architecture of this {self.space.name} table has op counts {counts.tolist()}"
            )
        return self._place(counts.tolist(), rng)

    def _place(self, counts: list[int], rng: np.random.Generator) -> Architecture:
        """An architecture with ``counts[i]`` blocks of op ``i`` in every cell, uniformly
        placed (each cell on its own) and wired."""
        if self._members is not None:
            candidates = self._members.get(tuple(counts)) or self._nearest(counts)
            return candidates[int(rng.integers(len(candidates)))]
        ops: list[int] = []
        for _ in self.cells:
            cell = [op for op, count in enumerate(counts) for _ in range(count)]
            rng.shuffle(cell)
            ops += cell
        return self._wire(ops, rng)

    def _wire(self, ops: list[int], rng: np.random.Generator) -> Architecture:
        """The architecture with ``ops`` on :attr:`blocks` and uniformly drawn wiring elsewhere."""
        if self._whole:
            return Architecture(self.space, tuple(ops))
        wiring = list(self.space.sample(rng).ops)
        for position, op in zip(self.blocks, ops, strict=True):
            wiring[position] = op
        return Architecture(self.space, tuple(wiring))

    def _nearest(self, counts: list[int]) -> list[Architecture]:
        """The members whose op counts are closest to ``counts`` in L1 (all of them, pooled)."""
        assert self._members is not None
        present = list(self._members)
        distance = np.abs(np.array(present) - np.array(counts)).sum(axis=1)
        closest = np.flatnonzero(distance == distance.min())
        return [arch for i in closest for arch in self._members[present[i]]]

    def decode_rounding(self, point: np.ndarray, rng: np.random.Generator) -> Architecture:
        """Decoder (a): round ``point`` to the grid by eq. (1), then place the ops at random."""
        return self._place(self.round_to_grid(point).tolist(), rng)

    def decode_categorical(self, point: np.ndarray, rng: np.random.Generator) -> Architecture:
        """Decoder (b), eq. (2): every block (of every cell) draws its op from Cat(p~)."""
        ops = rng.choice(self.dim, size=len(self.blocks), p=self._check_point(point)).tolist()
        if self._whole and self._members is None:
            return Architecture(self.space, tuple(ops))
        if len(self.cells) > 1:
            if self._members is None:
                return self._wire(ops, rng)
            counts = self.round_to_grid(np.bincount(ops, minlength=self.dim) / len(ops))
            return self._place(counts.tolist(), rng)
        counts = np.bincount(ops, minlength=self.dim).tolist()
        return self._place(counts, rng)

    def grid_neighbours(self, counts: np.ndarray) -> list[np.ndarray]:
        """Adjacent grid vertices of ``counts``: one block moved from op i to op j.

        Seed 000, appendix A.1 (the ANASOD-LS setup) gives the example below.

        For N=5, k=3 the neighbours of [1, 1, 3] are [0,1,4], [1,0,4], [0,2,3],
        [2,0,3], [1,2,2] and [2,1,2].
        """
        counts = np.asarray(counts, dtype=np.int64)
        out = []
        for i in np.flatnonzero(counts):
            for j in range(self.dim):
                if j != i:
                    moved = counts.copy()
                    moved[i] -= 1
                    moved[j] += 1
                    out.append(moved)
        return out

    def _check_point(self, point: np.ndarray) -> list[float]:
        """``point`` normalised to sum 1, as a list (plain floats: this runs once per query)."""
        p = np.asarray(point, dtype=float).tolist()
        total = sum(p) if isinstance(p, list) and len(p) == self.dim else float("nan")
        if not (0 < total < math.inf) or min(p) < 0:
            raise InvalidArchitectureError(
                f"an op-distribution point has {self.dim} non-negative entries summing to 1, "
                f"got {point!r}"
            )
        return [x / total for x in p]


def _block_problem(space: SearchSpace, blocks: tuple[int, ...]) -> str:
    """Why ``blocks`` cannot carry an op distribution ('' if they can)."""
    options = {space.position_choices[i] for i in blocks}
    if len(options) > 1:
        return "mixes option lists"
    probe = getattr(space, "base", space)
    conditional = getattr(probe, "conditions", ())
    if any(conditional[i] is not None for i in blocks):
        return "has positions that are only conditionally active"
    if any(c is not None and c[0] in blocks for c in conditional):
        return "has positions that switch others on or off"
    return ""


def _first_block_group(space: SearchSpace) -> str:
    for name, blocks in space.groups.items():
        if not _block_problem(space, blocks):
            return name
    raise ConfigError(
        f"space {space.name!r} has no group of positions that share one option list and are "
        "always active, which the operation-distribution (ANASOD) encoding counts over "
        "(e.g. a cell's operation blocks); declare one in the space's groups"
    )


def _twins(space: SearchSpace, first: str) -> tuple[str, ...]:
    """``first`` and every later group of ``space`` that could share its op distribution:
    valid, of the same size and option list, disjoint from the ones taken (DARTS's cells)."""
    names, taken = [first], set(space.groups[first])
    blocks = space.groups[first]
    for name, other in space.groups.items():
        if (
            name != first
            and len(other) == len(blocks)
            and not taken & set(other)
            and not _block_problem(space, other)
            and not _block_problem(space, blocks + other)
        ):
            names.append(name)
            taken |= set(other)
    return tuple(names)


def _by_counts(encoding: OpDistEncoding) -> dict[Counts, list[Architecture]]:
    """The members of a restricted space by their op counts."""
    space = encoding.space
    assert isinstance(space, RestrictedSpace)
    out: dict[Counts, list[Architecture]] = {}
    for arch in space.members:
        out.setdefault(tuple(encoding.counts(arch).tolist()), []).append(arch)
    return out
