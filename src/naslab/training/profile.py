"""Parameter and FLOP counts, by NAS-Bench-201's conventions (``xautodl/utils/flop_benchmark.py``).

FLOPs are the multiply-accumulates of every convolution and linear layer (plus
one add per output for a bias) in one forward pass of a single input in eval
mode; pooling, BN and activations are not counted. NB201 reports them in
millions (its ``flop``), and its parameter counts (``params``) in millions too.
"""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(module: nn.Module, *, auxiliary: bool = False) -> int:
    """How many parameters ``module`` has; an ``auxiliary_head`` (training only) is left out
    unless ``auxiliary``, as DARTS and NB201 report sizes."""
    return sum(
        p.numel()
        for name, p in module.named_parameters()
        if auxiliary or "auxiliary_head" not in name.split(".")
    )


def count_flops(module: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """Multiply-accumulates of ``module``'s convolutions and linear layers on one
    ``input_shape`` (channels, height, width) input, in eval mode."""
    total = 0

    def conv(layer: nn.Conv2d, _: object, out: torch.Tensor) -> None:
        nonlocal total
        positions = out.shape[2] * out.shape[3]
        kernel = layer.kernel_size[0] * layer.kernel_size[1]
        total += kernel * layer.in_channels * layer.out_channels // layer.groups * positions
        if layer.bias is not None:
            total += layer.out_channels * positions

    def linear(layer: nn.Linear, _: object, out: torch.Tensor) -> None:
        nonlocal total
        total += layer.in_features * layer.out_features
        if layer.bias is not None:
            total += layer.out_features

    handles = [
        m.register_forward_hook(conv) if isinstance(m, nn.Conv2d)
        else m.register_forward_hook(linear)
        for m in module.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(torch.rand(1, *input_shape))
    finally:
        module.train(was_training)
        for handle in handles:
            handle.remove()
    return total
