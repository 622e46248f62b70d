"""Cell operations of NAS-Bench-201 and DARTS, as their training networks build them.

NAS-Bench-201 (seed 000, appendix A.1; ``xautodl/models/cell_operations.py``):
``nor_conv_kxk`` is ReLU-Conv-BN (conv without bias, BN affine with running
statistics), ``avg_pool_3x3`` is a stride-1 average pool that does not count
the padding, ``skip_connect`` the identity and ``none`` a zero that keeps the
shape. DARTS's evaluation network (``cnn/operations.py``): ``sep_conv_kxk`` is
two ReLU-depthwise-pointwise-BN stacks, ``dil_conv_kxk`` one with dilation 2,
pools carry no BN, ``skip_connect`` in a reduction cell is a factorized
reduction, and ``none`` is a zero that strides.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class ReLUConvBN(nn.Sequential):
    """ReLU, convolution without bias, batch norm: the conv of both benchmarks."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0,
        affine: bool = True,
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """DARTS's separable conv: two ReLU, depthwise ``kernel``, pointwise, BN stacks (the first
    strides)."""

    def __init__(self, c: int, kernel: int, stride: int, affine: bool = True) -> None:
        padding = kernel // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride=stride, padding=padding, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, padding=padding, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
        )


class DilConv(nn.Sequential):
    """DARTS's dilated conv: ReLU, depthwise ``kernel`` with dilation 2, pointwise, BN."""

    def __init__(self, c: int, kernel: int, stride: int, affine: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride=stride, padding=kernel - 1, dilation=2, groups=c,
                      bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
        )


class Zero(nn.Module):
    """The ``none`` operation: zeros of the (strided) input's shape."""

    def __init__(self, stride: int = 1) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    """Halve the resolution with two stride-2 1x1 convs offset by one pixel, concatenated.

    The shifted branch pads one row and column (as NB201's version does), so
    odd sizes work too; on even sizes it equals DARTS's ``FactorizedReduce``.
    """

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


#: NB201 cell operations on ``c`` channels at stride 1 (every NB201 cell edge keeps its shape).
NB201_OPS: dict[str, Callable[[int], nn.Module]] = {
    "none": lambda c: Zero(),
    "skip_connect": lambda c: nn.Identity(),
    "nor_conv_1x1": lambda c: ReLUConvBN(c, c, 1),
    "nor_conv_3x3": lambda c: ReLUConvBN(c, c, 3, padding=1),
    "avg_pool_3x3": lambda c: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
}

#: DARTS evaluation-network operations on ``c`` channels at ``stride`` (2 on a reduction
#: cell's edges from its inputs); ``affine=False`` is DARTS's search-network BN.
DARTS_OPS: dict[str, Callable[[int, int, bool], nn.Module]] = {
    "none": lambda c, stride, affine: Zero(stride),
    "max_pool_3x3": lambda c, stride, affine: nn.MaxPool2d(3, stride=stride, padding=1),
    "avg_pool_3x3": lambda c, stride, affine: nn.AvgPool2d(
        3, stride=stride, padding=1, count_include_pad=False
    ),
    "skip_connect": lambda c, stride, affine: (
        nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine)
    ),
    "sep_conv_3x3": lambda c, stride, affine: SepConv(c, 3, stride, affine),
    "sep_conv_5x5": lambda c, stride, affine: SepConv(c, 5, stride, affine),
    "dil_conv_3x3": lambda c, stride, affine: DilConv(c, 3, stride, affine),
    "dil_conv_5x5": lambda c, stride, affine: DilConv(c, 5, stride, affine),
}
