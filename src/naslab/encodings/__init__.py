"""Architecture encodings: operation distribution (ANASOD), adjacency one-hot, path."""

from collections.abc import Callable

from naslab.encodings.adjacency import AdjacencyEncoding, op_matrix
from naslab.encodings.base import Encoding
from naslab.encodings.opdist import OpDistEncoding
from naslab.encodings.path import PathEncoding, dag_paths
from naslab.registry import Registry
from naslab.spaces.base import SearchSpace

ENCODINGS: Registry[Callable[[SearchSpace], Encoding]] = Registry("encoding")
ENCODINGS.register("opdist", "ANASOD operation distribution: op counts / N on the simplex",
                   aliases=("anasod",))(OpDistEncoding)
ENCODINGS.register("adjacency", "one-hot of the op at every position (NB201: 30 features)",
                   aliases=("adj",))(AdjacencyEncoding)
ENCODINGS.register("path", "BANANAS path encoding of the NB201 cell (155 features)")(PathEncoding)


def get_encoding(name: str, space: SearchSpace) -> Encoding:
    """The registered encoding ``name`` of the architectures of ``space``."""
    return ENCODINGS.get(name)(space)


__all__ = [
    "ENCODINGS",
    "AdjacencyEncoding",
    "Encoding",
    "OpDistEncoding",
    "PathEncoding",
    "dag_paths",
    "get_encoding",
    "op_matrix",
]
