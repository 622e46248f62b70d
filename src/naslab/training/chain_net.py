"""LaNAS's plain chain ConvNet (seed 002, section 2).

"The primitive operation is a Conv-ReLU layer": per active layer a convolution
of the layer's kernel size and channels with same padding, then ReLU; then
global average pooling and a linear classifier. Convolutions start from He
initialisation (fan-in, ReLU gain; zero biases): without batch norm, PyTorch's
default initialisation shrinks the signal at every layer, and on digits the
median network of the space is still at chance after 4 epochs (He: 89 %).
"""

from __future__ import annotations

import torch
from torch import nn

from naslab.spaces.base import Architecture
from naslab.spaces.chain import chain_layers


class ChainNetwork(nn.Module):
    """The chain ConvNet of ``arch`` (a chain-space architecture) on ``in_channels`` inputs."""

    def __init__(self, arch: Architecture, num_classes: int, *, in_channels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_channels
        for kernel, channels in chain_layers(arch):
            conv = nn.Conv2d(width, channels, kernel, padding=kernel // 2)
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)  # type: ignore[arg-type]
            layers += [conv, nn.ReLU()]
            width = channels
        self.features = nn.Sequential(*layers)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.global_pooling(self.features(x)).flatten(1))
