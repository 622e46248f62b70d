"""NAS-Bench-201's training network (seed 000, appendix A.1; ``xautodl`` ``TinyNetwork``).

Stem conv3x3 + BN; three stages of ``cells`` cells with C, 2C and 4C channels,
separated by residual reduction blocks (a ResNet basic block of stride 2);
then BN + ReLU, global average pooling and a linear classifier. C=16, N=5 is
the network behind every NB201 number.
"""

from __future__ import annotations

import torch
from torch import nn

from naslab.errors import ConfigError
from naslab.spaces.base import Architecture
from naslab.spaces.nb201 import NB201_EDGES
from naslab.training.ops import NB201_OPS, ReLUConvBN


class NB201Cell(nn.Module):
    """The 4-node cell: node j sums its edges' operations on nodes 0..j-1; node 3 is the output."""

    def __init__(self, ops: tuple[str, ...], channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(NB201_OPS[op](channels) for op in ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in (1, 2, 3):
            terms = [self.edges[i](nodes[source])
                     for i, (to, source) in enumerate(NB201_EDGES) if to == target]
            nodes.append(sum(terms[1:], terms[0]))
        return nodes[3]


class ResidualReduction(nn.Module):
    """NB201's ``ResNetBasicblock`` at stride 2: two ReLU-Conv-BN 3x3 (the first strides) plus
    a shortcut of 2x2 average pooling and a 1x1 conv."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2, padding=1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(2, stride=2, ceil_mode=True), nn.Conv2d(c_in, c_out, 1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """The NB201 network of ``arch`` (an NB201 cell) for ``in_channels`` x H x W inputs."""

    def __init__(
        self, arch: Architecture, num_classes: int, *, in_channels: int = 3,
        channels: int = 16, cells: int = 5,
    ) -> None:
        super().__init__()
        ops = tuple(str(op) for op in arch.op_names())
        if len(ops) != len(NB201_EDGES) or any(op not in NB201_OPS for op in ops):
            raise ConfigError(f"NB201Network needs an NB201 cell, got a {arch.space.name} one")
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        layers: list[nn.Module] = []
        width = channels
        for stage in range(3):
            if stage:
                layers.append(ResidualReduction(width, 2 * width))
                width *= 2
            layers += [NB201Cell(ops, width) for _ in range(cells)]
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.global_pooling(x).flatten(1))
