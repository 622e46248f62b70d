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
"""

from __future__ import annotations

import math
from math import comb

import numpy as np

from naslab.errors import InvalidArchitectureError
from naslab.spaces.base import Architecture, SearchSpace


class OpDistEncoding:
    """Operation-distribution encoding of the architectures of ``space``."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.n_blocks = len(space.positions)
        self.dim = len(space.choices)

    @property
    def n_encodings(self) -> int:
        """How many distinct encodings (grid points) the space has."""
        return comb(self.n_blocks + self.dim - 1, self.dim - 1)

    def counts(self, arch: Architecture) -> np.ndarray:
        """How many blocks of ``arch`` use each operation (the unnormalised encoding p)."""
        return np.bincount(arch.ops, minlength=self.dim)

    def encode(self, arch: Architecture) -> np.ndarray:
        """The normalised encoding p~ = counts / N."""
        return self.counts(arch) / self.n_blocks

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
        return self._place(counts.tolist(), rng)

    def _place(self, counts: list[int], rng: np.random.Generator) -> Architecture:
        """Put ``counts[i]`` blocks of op ``i`` on the positions in uniformly random order."""
        ops = [op for op, count in enumerate(counts) for _ in range(count)]
        rng.shuffle(ops)
        return Architecture(self.space, tuple(ops))

    def decode_rounding(self, point: np.ndarray, rng: np.random.Generator) -> Architecture:
        """Decoder (a): round ``point`` to the grid by eq. (1), then place the ops at random."""
        return self._place(self.round_to_grid(point).tolist(), rng)

    def decode_categorical(self, point: np.ndarray, rng: np.random.Generator) -> Architecture:
        """Decoder (b), eq. (2): every block draws its op independently from Cat(p~)."""
        ops = rng.choice(self.dim, size=self.n_blocks, p=self._check_point(point))
        return Architecture(self.space, tuple(ops.tolist()))

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
