"""LaNAS's chain ConvNet space (seed 002, section 2 and appendix A.1)."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.errors import ConfigError, InvalidArchitectureError
from naslab.spaces import INACTIVE, ChainSpace, get_space, space_from_definition
from naslab.spaces.chain import chain_layers, is_chain_space

LANAS = ChainSpace()


def test_lanas_space_has_1364_networks():
    assert type(get_space("lanas-chain")) is ChainSpace and LANAS.name == "lanas-chain"
    assert len(LANAS) == 4 + 16 + 64 + 256 + 1024 == 1364
    archs = LANAS.all()
    assert len(set(archs)) == 1364
    assert dict(LANAS.groups) == {"kernels": (1, 3, 5, 7, 9), "channels": (2, 4, 6, 8, 10)}


def test_template_string_and_inactive_layers():
    arch = LANAS.parse("3:3x32|5x64|3x32|-x-|-x-")
    assert arch.ops[7:] == (INACTIVE,) * 4
    assert chain_layers(arch) == [(3, 32), (5, 64), (3, 32)]
    assert str(arch) == "3:3x32|5x64|3x32|-x-|-x-"
    with pytest.raises(InvalidArchitectureError, match="position k4 is inactive here"):
        LANAS.parse("3:3x32|5x64|3x32|3x32|-x-")


def test_strings_round_trip_for_random_architectures():
    rng = np.random.default_rng(0)
    for space in (LANAS, ChainSpace.convnet60k()):
        for _ in range(200):
            arch = space.sample(rng)
            assert space.parse(str(arch)) == arch and space.contains(arch)
            assert len(chain_layers(arch)) == int(arch.as_dict()["depth"])


def test_convnet60k_family_and_rebuilt_definitions_keep_the_chain_layout():
    big = ChainSpace.convnet60k()
    assert len(big) == sum(6**d for d in range(1, 9))  # (2 kernels x 3 widths) per layer
    assert big.position_choices[2] == ("32", "64", "96")
    rebuilt = space_from_definition(big.definition())
    assert rebuilt == big and is_chain_space(rebuilt)
    assert not is_chain_space(get_space("nb201"))


def test_bad_parameters_are_config_errors():
    with pytest.raises(ConfigError, match="kernels must be a list of positive integers"):
        ChainSpace(kernels=())
    with pytest.raises(ConfigError, match="depths must be"):
        ChainSpace(depths=(0, 1))
