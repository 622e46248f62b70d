"""DARTS's evaluation network (``NetworkCIFAR`` of DARTS's ``cnn/model.py``; seed 004, DARTS).

A stem (conv3x3 to 3C channels + BN), then ``layers`` cells; the cells at
``layers // 3`` and ``2 * layers // 3`` are reduction cells that double the
channels and halve the resolution. Each cell preprocesses its two inputs (the
two previous cells' outputs) with a 1x1 ReLU-Conv-BN, or a factorized
reduction when the cell before was a reduction. During training, drop path
zeroes a non-identity edge's output per sample with ``model.drop_path_prob``,
and the optional auxiliary head after the second reduction adds a second
output. Every layer may have its own cell: ANASOD's open-domain search builds
a network from 24 cells sampled for one operation distribution (seed 000,
appendix A.2), so :class:`DartsNetwork` takes one architecture per layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from naslab.errors import ConfigError
from naslab.spaces.base import Architecture
from naslab.spaces.darts import DartsSpace
from naslab.training.ops import DARTS_OPS, FactorizedReduce, ReLUConvBN


def drop_path(x: torch.Tensor, prob: float) -> torch.Tensor:
    """Zero each sample's ``x`` with probability ``prob``, scaling the kept ones by 1/(1-prob)."""
    keep = 1.0 - prob
    mask = x.new_empty(x.size(0), 1, 1, 1).bernoulli_(keep)
    return x / keep * mask


class DartsCell(nn.Module):
    """One cell: ``edges`` are ``(op, input)`` pairs, two per intermediate node; the output
    concatenates every intermediate node (``multiplier`` of them)."""

    def __init__(
        self, edges: Sequence[tuple[str, int]], c_prev_prev: int, c_prev: int, c: int,
        reduction: bool, reduction_prev: bool, affine: bool = True,
    ) -> None:
        super().__init__()
        self.preprocess0: nn.Module = (
            FactorizedReduce(c_prev_prev, c) if reduction_prev
            else ReLUConvBN(c_prev_prev, c, 1)
        )
        self.preprocess1 = ReLUConvBN(c_prev, c, 1)
        self.ops = nn.ModuleList(
            DARTS_OPS[op](c, 2 if reduction and node < 2 else 1, affine) for op, node in edges
        )
        self.inputs = [node for _, node in edges]
        self.multiplier = len(edges) // 2

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(self.multiplier):
            pair = []
            for edge in (2 * node, 2 * node + 1):
                op = self.ops[edge]
                h = op(states[self.inputs[edge]])
                if self.training and drop_prob > 0.0 and not isinstance(op, nn.Identity):
                    h = drop_path(h, drop_prob)
                pair.append(h)
            states.append(pair[0] + pair[1])
        return torch.cat(states[2:], dim=1)


class AuxiliaryHead(nn.Module):
    """DARTS's auxiliary classifier on the second reduction's output.

    DARTS pools the 8x8 maps of 32x32 inputs to 2x2 with a 5x5 average pool of
    stride 3; maps of any other size are pooled to 2x2 adaptively, so small
    inputs (8x8 digits: 2x2 maps) work too.
    """

    def __init__(self, c: int, num_classes: int) -> None:
        super().__init__()
        self.darts_pool = nn.AvgPool2d(5, stride=3, count_include_pad=False)
        self.features = nn.Sequential(
            nn.Conv2d(c, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(x)
        if x.shape[-2:] == (8, 8):
            x = self.darts_pool(x)
        else:
            x = nn.functional.adaptive_avg_pool2d(x, 2)
        return self.classifier(self.features(x).flatten(1))


class DartsNetwork(nn.Module):
    """The DARTS evaluation network with ``cells[i]`` (a DARTS-space architecture) at layer ``i``.

    A reduction layer uses its architecture's reduce cell, a normal layer its
    normal cell; ``layers = len(cells)``. ``affine=False`` drops the BN scale
    and shift inside cell operations (DARTS's search network; NASLib's NB301
    graph). In training mode with ``auxiliary`` the forward returns
    ``(logits, aux_logits)``; otherwise the logits.
    """

    def __init__(
        self, cells: Sequence[Architecture], num_classes: int, *, in_channels: int = 3,
        channels: int = 36, auxiliary: bool = False, affine: bool = True,
    ) -> None:
        super().__init__()
        layers = len(cells)
        if not layers:
            raise ConfigError("DartsNetwork needs at least one cell")
        reductions = {layers // 3, 2 * layers // 3}
        self.aux_layer = 2 * layers // 3
        self.drop_path_prob = 0.0
        stem = 3 * channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem)
        )
        c_prev_prev, c_prev, c = stem, stem, channels
        self.cells = nn.ModuleList()
        reduction_prev, c_aux = False, stem
        for i, arch in enumerate(cells):
            if not isinstance(arch.space, DartsSpace):
                raise ConfigError(
                    f"DartsNetwork layer {i}: needs a DARTS-space cell, got a {arch.space.name} one"
                )
            reduction = i in reductions
            c = 2 * c if reduction else c
            edges = arch.space.cell(arch, "reduce" if reduction else "normal")
            cell = DartsCell(edges, c_prev_prev, c_prev, c, reduction, reduction_prev, affine)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c
            if i == self.aux_layer:
                c_aux = c_prev
        self.auxiliary_head = AuxiliaryHead(c_aux, num_classes) if auxiliary else None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        s0 = s1 = self.stem(x)
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_layer and self.training and self.auxiliary_head is not None:
                aux = self.auxiliary_head(s1)
        logits = self.classifier(self.global_pooling(s1).flatten(1))
        return logits if aux is None else (logits, aux)
