"""Network builders: shapes on tiny and CIFAR inputs, per-layer DARTS cells, heads, options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import naslab
from naslab.errors import ConfigError
from naslab.spaces import CategoricalSpace, ChainSpace, DartsSpace, get_space
from naslab.training.builders import BUILDERS, build_network, builder_options
from naslab.training.darts_net import DartsCell, DartsNetwork
from naslab.training.ops import DARTS_OPS, FactorizedReduce

torch.set_num_threads(1)
SHAPES = [(1, 8, 8), (3, 32, 32)]
TINY = {  # small enough to run in milliseconds
    "nb201": {"channels": 4, "cells": 1},
    "darts": {"channels": 4, "layers": 5},
    "darts-open": {"channels": 4, "layers": 3},
    "lanas-chain": {},
}


@pytest.mark.parametrize("shape", SHAPES, ids=["digits", "cifar"])
@pytest.mark.parametrize("space_name", list(TINY))
def test_every_builder_classifies_tiny_and_cifar_inputs(space_name, shape):
    space = get_space(space_name)
    arch = space.sample(np.random.default_rng(0))
    net = build_network(arch, shape, 7, **TINY[space_name]).eval()
    with torch.no_grad():
        out = net(torch.rand(2, *shape))
    assert out.shape == (2, 7) and torch.isfinite(out).all()


def test_darts_network_takes_one_cell_per_layer():
    space = get_space("darts")
    rng = np.random.default_rng(1)
    cells = [space.sample(rng) for _ in range(6)]  # reductions at layers 2 and 4
    net = DartsNetwork(cells, 10, in_channels=1, channels=4)
    built = [m for m in net.cells if isinstance(m, DartsCell)]
    for layer, (arch, cell) in enumerate(zip(cells, built, strict=True)):
        kind = "reduce" if layer in (2, 4) else "normal"
        edges = space.cell(arch, kind)
        assert cell.inputs == [node for _, node in edges]
        for (op, node), module in zip(edges, cell.ops, strict=True):
            stride = 2 if kind == "reduce" and node < 2 else 1
            assert type(module) is type(DARTS_OPS[op](4, stride, True))
    assert isinstance(built[3].preprocess0, FactorizedReduce)  # the cell after a reduction
    assert net.eval()(torch.rand(1, 1, 8, 8)).shape == (1, 10)
    with pytest.raises(ConfigError, match="layer 0: needs a DARTS-space cell"):
        DartsNetwork([get_space("nb201").sample(rng)], 10)


def test_auxiliary_head_only_in_training_mode_and_drop_path_is_settable():
    arch = get_space("darts").sample(np.random.default_rng(2))
    for shape in SHAPES:
        net = build_network(arch, shape, 5, channels=4, layers=5, auxiliary=True)
        assert net.drop_path_prob == 0.0
        logits, aux = net.train()(torch.rand(3, *shape))
        assert logits.shape == aux.shape == (3, 5)
        assert net.eval()(torch.rand(3, *shape)).shape == (3, 5)
    net.drop_path_prob = 0.5
    x = torch.rand(4, *shape)
    torch.manual_seed(0)
    first, second = net.train()(x)[0], net(x)[0]
    assert not torch.allclose(first, second)  # edges dropped at random per sample
    with torch.no_grad():
        assert torch.equal(net.eval()(x), net(x))  # eval: no drop path


def test_open_domain_cells_with_none_build():
    space = get_space("darts-open")
    arch = space.from_genotype([("none", 0), ("sep_conv_3x3", 1)] * 5,
                               [("none", 0), ("skip_connect", 1)] * 5)
    net = DartsNetwork([arch] * 3, 10, channels=4)
    assert net.cells[0].multiplier == 5
    assert net.eval()(torch.rand(2, 3, 8, 8)).shape == (2, 10)


def test_spaces_without_a_registered_name_use_the_documented_rule():
    rng = np.random.default_rng(3)
    mine = DartsSpace(steps=2, name="mine")
    assert isinstance(build_network(mine.sample(rng), (3, 8, 8), 2, layers=3), DartsNetwork)
    big = ChainSpace.convnet60k()
    net = build_network(big.sample(rng), (1, 8, 8), 2)
    assert builder_options(big) == {} and net.eval()(torch.rand(1, 1, 8, 8)).shape == (1, 2)
    foo = CategoricalSpace("foo", ["a"], ["x", "y"])
    with pytest.raises(ConfigError, match="no network builder for space 'foo'; builders exist "
                                          "for nb201, darts, darts-open, lanas-chain"):
        build_network(foo.sample(rng), (3, 8, 8), 2)
    custom = build_network(foo.sample(rng), (3, 8, 8), 2, builder=lambda a, s, n: nn.Linear(3, n))
    assert isinstance(custom, nn.Linear)


def test_options_are_checked_against_the_builders_defaults():
    assert builder_options("nb201") == {"channels": 16, "cells": 5}
    assert builder_options("darts") == builder_options("darts-open") == {
        "channels": 36, "layers": 20, "auxiliary": False}
    assert builder_options("lanas-chain") == {}
    assert set(BUILDERS.names()) == set(TINY)
    arch = get_space("nb201").sample(np.random.default_rng(4))
    with pytest.raises(ConfigError, match="unknown network option 'layers' for space 'nb201'; "
                                          "options: channels, cells"):
        build_network(arch, (3, 8, 8), 10, layers=3)
    with pytest.raises(ConfigError, match="'channels' must be a positive integer, got 0"):
        build_network(arch, (3, 8, 8), 10, channels=0)
    with pytest.raises(ConfigError, match="input_shape must be"):
        build_network(arch, (8, 8), 10)
    with pytest.raises(ConfigError, match="no network builder for space 'foo'"):
        builder_options("foo")


def test_naslab_spaces_import_without_torch():
    code = "import sys, naslab.spaces; assert 'torch' not in sys.modules"
    source = str(Path(naslab.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get(
        "PYTHONPATH")]))}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
