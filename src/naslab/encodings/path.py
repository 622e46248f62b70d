"""The path encoding of BANANAS (White, Neiswanger & Savani, AAAI 2021) for the NB201 cell.

An architecture is encoded by which input->output paths it contains, a path
being the sequence of operations met along it: one binary feature per possible
sequence. For NB201, whose ops sit on the edges of a fixed 4-node DAG, naszilla
(``nas_bench_201/cell_201.py``: ``get_paths``, ``get_path_indices``,
``encode_paths``; NASLib's ``encodings_nb201`` is the same) defines it so:

* the paths are the cell's four routes from node 0 to node 3, 0->3, 0->1->3,
  0->2->3 and 0->1->2->3, whatever ops they carry: ``none`` does not cut a path
  and ``skip_connect`` is one op like any other, so every architecture has
  exactly four paths and sets at most four features (fewer when both length-2
  paths carry the same ops);
* there is one feature per op sequence of every length 1..3, so
  dim = 5 + 5**2 + 5**3 = 155; features are grouped by path length, and within a
  group the first op along the path is the least significant base-5 digit;
* BANANAS' truncated path encoding keeps the first ``cutoff`` features, i.e. the
  shortest paths (naszilla runs BANANAS on NB201 with ``trunc_path`` and cutoff 30,
  which drops the length-3 path and with it all knowledge of edge 2<-1).

Op digits follow ``space.choices`` (none=0 ... avg_pool_3x3=4), where naszilla
sorts op names alphabetically: a fixed relabelling that changes no distance.
On all 15,625 NB201 cells the full encoding is injective; the truncated one is not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from naslab.encodings.adjacency import op_matrix
from naslab.errors import ConfigError
from naslab.spaces.base import Architecture, SearchSpace
from naslab.spaces.nb201 import NB201_EDGES, NB201Space


def dag_paths(edges: Sequence[tuple[int, int]]) -> tuple[tuple[int, ...], ...]:
    """Every path from the first node to the last of a DAG, as the edge positions along it.

    ``edges[i] = (to, from)`` is the edge at position ``i``; paths come shortest
    first, then in position order (for NB201: (3,), (0, 4), (1, 5), (0, 2, 5)).
    """
    nodes = {node for edge in edges for node in edge}
    source, sink = min(nodes), max(nodes)
    leaving: dict[int, list[tuple[int, int]]] = {}
    for position, (to, frm) in enumerate(edges):
        leaving.setdefault(frm, []).append((position, to))
    paths: list[tuple[int, ...]] = []
    stack: list[tuple[int, tuple[int, ...]]] = [(source, ())]
    while stack:
        node, route = stack.pop()
        if node == sink:
            paths.append(route)
            continue
        stack.extend((to, (*route, position)) for position, to in leaving.get(node, []))
    return tuple(sorted(paths, key=lambda p: (len(p), p)))


class PathEncoding:
    """Binary indicator of the op sequences on the NB201 cell's input->output paths.

    ``cutoff`` keeps only the first ``cutoff`` features (BANANAS' truncation);
    ``None`` keeps all 155.
    """

    def __init__(self, space: SearchSpace, cutoff: int | None = None) -> None:
        if not isinstance(getattr(space, "base", space), NB201Space):
            raise ConfigError(
                f"the path encoding needs the NB201 cell (ops on the edges of a DAG), "
                f"not space {space.name!r}; use the adjacency or opdist encoding"
            )
        k = len(space.position_choices[0])
        self.space = space
        self.paths = dag_paths(NB201_EDGES)
        longest = max(len(p) for p in self.paths)
        self.n_features = sum(k**length for length in range(1, longest + 1))
        if cutoff is not None and not 1 <= cutoff <= self.n_features:
            raise ConfigError(
                f"path-encoding cutoff {cutoff} is out of range; allowed: 1..{self.n_features} "
                f"or None for all features"
            )
        self.dim = self.n_features if cutoff is None else cutoff
        self._group_start = {
            length: sum(k**shorter for shorter in range(1, length))
            for length in range(1, longest + 1)
        }
        self._digits = k ** np.arange(longest)

    def encode(self, arch: Architecture) -> np.ndarray:
        """The ``(dim,)`` binary vector of ``arch``."""
        return self.encode_many([arch])[0]

    def encode_many(self, archs: Sequence[Architecture]) -> np.ndarray:
        """The ``(len(archs), dim)`` binary matrix, one row per architecture, in one pass."""
        ops = op_matrix(self.space, archs)
        rows = np.arange(len(ops))
        out = np.zeros((len(ops), self.dim))
        for path in self.paths:
            feature = self._group_start[len(path)] + ops[:, list(path)] @ self._digits[: len(path)]
            kept = feature < self.dim
            out[rows[kept], feature[kept]] = 1.0
        return out

    def path_ops(self, arch: Architecture) -> list[tuple[str | None, ...]]:
        """The op names along each of ``self.paths`` (the sequences the features stand for)."""
        names = arch.op_names()
        return [tuple(names[p] for p in path) for path in self.paths]
