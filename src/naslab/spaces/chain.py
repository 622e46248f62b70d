"""LaNAS's plain chain ConvNet (seed 002, section 2 and appendix A.1).

A network is a chain of Conv-ReLU layers: a depth ``L``, then per layer a
kernel size ``K`` and a number of channels ``C``; layer ``l`` exists only when
``L >= l``. LaNAS's illustration space has L in {1..5}, K in {3, 5} and C in
{32, 64}: 4 + 16 + 64 + 256 + 1024 = 1,364 networks. ConvNet-60K (appendix A.1)
is the same family with L in {1..8} and C in {32, 64, 96}.
"""

from __future__ import annotations

from collections.abc import Sequence

from naslab.errors import ConfigError, InvalidArchitectureError
from naslab.spaces.base import Architecture, SearchSpace
from naslab.spaces.categorical import CategoricalSpace, Position


class ChainSpace(CategoricalSpace):
    """Chain ConvNets: position ``depth``, then ``k<l>`` and ``c<l>`` per layer ``l``.

    The canonical string reads ``"3:3x32|5x64|3x32|-x-|-x-"`` (depth, then
    kernel x channels per layer, ``-`` past the depth). Groups ``kernels`` and
    ``channels``.
    """

    def __init__(
        self,
        depths: Sequence[int] = (1, 2, 3, 4, 5),
        kernels: Sequence[int] = (3, 5),
        channels: Sequence[int] = (32, 64),
        name: str = "lanas-chain",
    ) -> None:
        for what, values in (("depths", depths), ("kernels", kernels), ("channels", channels)):
            if not values or any(isinstance(v, bool) or not isinstance(v, int) or v < 1
                                 for v in values):
                raise ConfigError(
                    f"space {name!r}: {what} must be a list of positive integers, got {values!r}"
                )
        positions = [Position("depth", tuple(str(d) for d in depths))]
        for layer in range(1, max(depths) + 1):
            deeper = tuple(str(d) for d in depths if d >= layer)
            when = None if len(deeper) == len(depths) else ("depth", deeper)
            positions += [Position(f"k{layer}", tuple(map(str, kernels)), when),
                          Position(f"c{layer}", tuple(map(str, channels)), when)]
        layers = range(1, max(depths) + 1)
        super().__init__(
            name,
            positions,
            groups={"kernels": [f"k{i}" for i in layers], "channels": [f"c{i}" for i in layers]},
            template="{depth}:" + "|".join(f"{{k{i}}}x{{c{i}}}" for i in layers),
        )

    @classmethod
    def convnet60k(cls) -> ChainSpace:
        """ConvNet-60K's family (seed 002, appendix A.1): depth 1..8, C {32, 64, 96}, K {3, 5}."""
        return cls(depths=range(1, 9), kernels=(3, 5), channels=(32, 64, 96), name="convnet-60k")


def is_chain_space(space: SearchSpace) -> bool:
    """Whether ``space`` has the chain layout ``depth, k1, c1, k2, c2, ...`` (a
    :class:`ChainSpace`, or one rebuilt from its journaled definition)."""
    layers = (len(space.positions) - 1) // 2
    expected = ("depth", *(f"{p}{i}" for i in range(1, layers + 1) for p in "kc"))
    return space.positions == expected


def chain_layers(arch: Architecture) -> list[tuple[int, int]]:
    """``(kernel size, channels)`` of each layer ``arch`` uses, first layer first."""
    if not is_chain_space(arch.space):
        raise InvalidArchitectureError(
            f"space {arch.space.name!r} is no chain space (positions depth, k1, c1, ...)"
        )
    names = arch.op_names()
    return [
        (int(k), int(c))
        for k, c in zip(names[1::2], names[2::2], strict=True)
        if k is not None and c is not None
    ]
