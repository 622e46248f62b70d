"""Search spaces: the NB201 cell and generic categorical grids, behind one protocol."""

from naslab.registry import Registry
from naslab.spaces.base import Architecture, SearchSpace
from naslab.spaces.categorical import CategoricalSpace
from naslab.spaces.nb201 import NB201_OPS, NB201Space

SPACES: Registry[type[SearchSpace]] = Registry("search space")
SPACES.register("nb201", "NAS-Bench-201 cell: 6 edges x 5 ops, 15,625 architectures")(NB201Space)


def get_space(name: str) -> SearchSpace:
    """A fresh instance of the registered space ``name``."""
    return SPACES.get(name)()


__all__ = [
    "NB201_OPS",
    "SPACES",
    "Architecture",
    "CategoricalSpace",
    "NB201Space",
    "SearchSpace",
    "get_space",
]
