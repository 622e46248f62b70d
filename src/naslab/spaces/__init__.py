"""Search spaces behind one protocol: the NB201 cell, categorical spaces of any shape, files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from naslab.registry import Registry
from naslab.spaces.base import INACTIVE, Architecture, SearchSpace, space_size
from naslab.spaces.categorical import CategoricalSpace, Position
from naslab.spaces.chain import ChainSpace
from naslab.spaces.darts import DARTS_OPS, DARTS_PRIMITIVES, DartsOpenSpace, DartsSpace
from naslab.spaces.definition import is_space_file, load_space_file, space_from_definition
from naslab.spaces.nb201 import NB201_OPS, NB201Space
from naslab.spaces.restricted import RestrictedSpace

SPACES: Registry[type[SearchSpace]] = Registry("search space", entry_point_group="naslab.spaces")
SPACES.register("nb201", "NAS-Bench-201 cell: 6 edges x 5 ops, 15,625 architectures")(NB201Space)
SPACES.register("darts", "DARTS / NB301 normal + reduction cell: 4 nodes x 2 edges, 7 ops")(
    DartsSpace
)
SPACES.register("darts-open", "ANASOD open-domain DARTS cells: 5 nodes, 8 ops incl. none")(
    DartsOpenSpace
)
SPACES.register("lanas-chain", "LaNAS chain ConvNet: depth 1-5, K {3,5} x C {32,64}, 1,364 nets")(
    ChainSpace
)


def get_space(name: str) -> SearchSpace:
    """A fresh instance of the registered space ``name``."""
    return SPACES.get(name)()


def describe_space(space: SearchSpace) -> str:
    """One line on ``space``: name, positions, size, conditional positions and groups."""
    conditional = sum(c is not None for c in getattr(space, "conditions", ()))
    parts = [f"{space.name}: {len(space.positions)} positions, {space_size(space):,} architectures"]
    if conditional:
        parts.append(f"{conditional} conditional")
    parts.append("groups " + ", ".join(space.groups))
    return "; ".join(parts)


def resolve_space(spec: str | Mapping[str, Any]) -> SearchSpace:
    """The space ``spec`` names: a registered name, a TOML / YAML file, or a definition mapping."""
    if isinstance(spec, Mapping):
        return space_from_definition(spec)
    if is_space_file(spec):
        return load_space_file(spec)
    return get_space(spec)


__all__ = [
    "DARTS_OPS",
    "DARTS_PRIMITIVES",
    "INACTIVE",
    "NB201_OPS",
    "SPACES",
    "Architecture",
    "CategoricalSpace",
    "ChainSpace",
    "DartsOpenSpace",
    "DartsSpace",
    "NB201Space",
    "Position",
    "RestrictedSpace",
    "SearchSpace",
    "describe_space",
    "get_space",
    "is_space_file",
    "load_space_file",
    "resolve_space",
    "space_from_definition",
]
