"""Network builders: an architecture (a value) to a PyTorch module, one builder per space.

A builder is ``builder(arch, input_shape, num_classes, **options) -> nn.Module``;
its keyword-only parameters are its options and their defaults, which
:func:`builder_options` reports so configs can be checked before training.
:func:`build_network` picks the builder by the architecture's space:

1. the builder registered under the space's name (``nb201``, ``darts``,
   ``darts-open``, ``lanas-chain``);
2. otherwise, for a :class:`~naslab.spaces.DartsSpace` of another name, the
   DARTS builder, and for a space with the chain layout (positions ``depth``,
   ``k1``, ``c1``, ``k2``, ...: any :class:`~naslab.spaces.ChainSpace`, e.g.
   ConvNet-60K's), the chain builder;
3. otherwise a ``builder=`` the caller passes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

from naslab.errors import ConfigError
from naslab.registry import Registry
from naslab.spaces.base import Architecture, SearchSpace
from naslab.spaces.chain import is_chain_space
from naslab.spaces.darts import DartsSpace
from naslab.training.chain_net import ChainNetwork
from naslab.training.darts_net import DartsNetwork
from naslab.training.nb201_net import NB201Network

InputShape = tuple[int, int, int]


BUILDERS: Registry[Callable[..., nn.Module]] = Registry("network builder")


@BUILDERS.register("nb201", "NAS-Bench-201 network: C, 2C, 4C stages of N cells (C=16, N=5)")
def build_nb201(
    arch: Architecture, input_shape: InputShape, num_classes: int, *,
    channels: int = 16, cells: int = 5,
) -> nn.Module:
    """NB201's network (seed 000, appendix A.1) with ``cells`` cells per stage."""
    return NB201Network(arch, num_classes, in_channels=input_shape[0], channels=channels,
                        cells=cells)


def build_darts(
    arch: Architecture, input_shape: InputShape, num_classes: int, *,
    channels: int = 36, layers: int = 20, auxiliary: bool = False,
) -> nn.Module:
    """DARTS's evaluation network (C=36, 20 layers) repeating ``arch``'s cells."""
    return DartsNetwork([arch] * layers, num_classes, in_channels=input_shape[0],
                        channels=channels, auxiliary=auxiliary)


BUILDERS.register("darts", "DARTS evaluation network (C=36, 20 layers, auxiliary head off)")(
    build_darts
)
BUILDERS.register("darts-open", "DARTS evaluation network for the open-domain 5-node cells")(
    build_darts
)


@BUILDERS.register("lanas-chain", "LaNAS plain chain ConvNet: Conv-ReLU layers, pooling, linear")
def build_chain(
    arch: Architecture, input_shape: InputShape, num_classes: int
) -> nn.Module:
    """LaNAS's chain ConvNet (seed 002, section 2); it has no options."""
    return ChainNetwork(arch, num_classes, in_channels=input_shape[0])


def builder_for(space: SearchSpace) -> Callable[..., nn.Module] | None:
    """The builder ``space``'s architectures get (module doc: the lookup rule), or None."""
    if space.name in BUILDERS:
        return BUILDERS.get(space.name)
    if isinstance(space, DartsSpace):
        return build_darts
    if is_chain_space(space):
        return build_chain
    return None


def builder_options(space: str | SearchSpace) -> dict[str, Any]:
    """The options, with their defaults, of the builder for ``space`` (a registered space
    name, or a space, looked up as :func:`build_network` does)."""
    builder = builder_for(space) if not isinstance(space, str) else (
        BUILDERS.get(space) if space in BUILDERS else None
    )
    if builder is None:
        raise ConfigError(_no_builder(space if isinstance(space, str) else space.name))
    return _defaults(builder)


def build_network(
    arch: Architecture, input_shape: tuple[int, ...], num_classes: int, *,
    builder: Callable[..., nn.Module] | None = None, **options: Any,
) -> nn.Module:
    """The module for ``arch`` on inputs of ``input_shape`` (channels, height, width).

    ``builder`` overrides the lookup by space; unknown spaces or options raise a
    one-line :class:`~naslab.errors.ConfigError` saying what is allowed.
    """
    if builder is None:
        builder = builder_for(arch.space)
        if builder is None:
            raise ConfigError(_no_builder(arch.space.name))
        _check(arch.space.name, _defaults(builder), options)
    if (
        not isinstance(input_shape, tuple | list)
        or len(input_shape) != 3
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in input_shape)
    ):
        raise ConfigError(
            f"input_shape must be (channels, height, width) positive integers, got {input_shape!r}"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ConfigError(f"num_classes must be a positive integer, got {num_classes!r}")
    return builder(arch, tuple(input_shape), num_classes, **options)


def _defaults(builder: Callable[..., nn.Module]) -> dict[str, Any]:
    return {
        p.name: p.default
        for p in inspect.signature(builder).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _check(space: str, defaults: dict[str, Any], options: dict[str, Any]) -> None:
    for name, value in options.items():
        if name not in defaults:
            allowed = ", ".join(defaults) or "none"
            raise ConfigError(
                f"unknown network option {name!r} for space {space!r}; options: {allowed}"
            )
        default = defaults[name]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"network option {name!r} must be true or false, got {value!r}")
        elif isinstance(default, int) and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ConfigError(f"network option {name!r} must be a positive integer, got {value!r}")


def _no_builder(space: str) -> str:
    return (
        f"no network builder for space {space!r}; builders exist for "
        f"{', '.join(BUILDERS.names())} (and any DARTS or chain space); "
        "pass your own builder=..."
    )
