"""The adjacency one-hot encoding: which operation sits at each position of the cell.

For NB201 this is the encoding BANANAS and "A Study on Encodings for NAS" (White
et al., 2020) call the one-hot adjacency encoding: the cell's wiring is fixed,
so the adjacency matrix carries no information and only the op on each edge is
encoded. naszilla (``nas_bench_201/cell_201.py``, ``encode_one_hot``) and NASLib
(``encodings_nb201.encode_adjacency_one_hot``) lay it out edge-major: one block
of k = 5 columns per edge, edges in the official string order 1<-0, 2<-0, 2<-1,
3<-0, 3<-1, 3<-2, so dim = 6 * 5 = 30. The same layout applies to any space of
positions x choices. Within a block the columns follow ``space.choices`` (NB201:
none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3), where naszilla
sorts the op names alphabetically; that is one fixed column permutation, which
changes no distance between encodings.

For spaces whose positions have options of their own each block has its
position's width, and an inactive position's block is all zeros.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from naslab.errors import InvalidArchitectureError
from naslab.spaces.base import INACTIVE, Architecture, SearchSpace


def op_matrix(space: SearchSpace, archs: Sequence[Architecture]) -> np.ndarray:
    """The ``(n, len(space.positions))`` integer matrix of op indices of ``archs``.

    This is the categorical form of the adjacency encoding (naszilla's
    ``encode_standard``); the vectorised encoders start from it.
    """
    foreign = [a for a in archs if a.space.name != space.name]
    if foreign:
        raise InvalidArchitectureError(
            f"cannot encode {foreign[0]!r} with an encoding of space {space.name!r}"
        )
    return np.array([a.ops for a in archs], dtype=np.int64).reshape(
        len(archs), len(space.positions)
    )


class AdjacencyEncoding:
    """One-hot of the op at every position, position-major: ``dim`` = total options."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        widths = [len(c) for c in space.position_choices]
        self.dim = sum(widths)
        self._offsets = np.cumsum([0, *widths[:-1]])

    def encode(self, arch: Architecture) -> np.ndarray:
        """The ``(dim,)`` binary vector of ``arch``."""
        return self.encode_many([arch])[0]

    def encode_many(self, archs: Sequence[Architecture]) -> np.ndarray:
        """The ``(len(archs), dim)`` binary matrix, one row per architecture, in one pass."""
        ops = op_matrix(self.space, archs)
        out = np.zeros((len(ops), self.dim))
        rows, positions = np.nonzero(ops != INACTIVE)
        out[rows, self._offsets[positions] + ops[rows, positions]] = 1.0
        return out
