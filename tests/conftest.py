"""Fixtures shared by every test folder: the NB201 space, the embedded table, the shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from naslab.benchmarks import TabularBenchmark, load_benchmark
from naslab.spaces import CategoricalSpace, NB201Space, Position

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def nb201() -> NB201Space:
    return NB201Space()


@pytest.fixture(scope="session")
def cifar10() -> TabularBenchmark:
    """The embedded NB201 cifar10(-valid) table, loaded once per session."""
    return load_benchmark("nb201", "cifar10")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository (published benchmark files)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


def chain_space() -> CategoricalSpace:
    """LaNAS's chain of layers in small (seed 002, section 2): a depth, then a kernel and a
    width per layer, the layers beyond the depth inactive; 2*2*3 + 2*2*3*2*3*... archs."""
    positions = [Position("depth", ("1", "2", "3"))]
    for layer in (1, 2, 3):
        depths = tuple(str(d) for d in range(layer, 4))
        when = None if layer == 1 else ("depth", depths)
        positions += [Position(f"k{layer}", ("3", "5"), when),
                      Position(f"w{layer}", ("16", "32", "64"), when)]
    return CategoricalSpace(
        "chain", positions, groups={"kernels": ["k1", "k2", "k3"]},
        template="{depth}:{k1}x{w1}|{k2}x{w2}|{k3}x{w3}",
    )


def graph_space() -> CategoricalSpace:
    """A graph cell of 4 nodes: node i picks an input among nodes before it and an operation."""
    positions = []
    for node in (1, 2, 3, 4):
        positions.append(Position(f"in{node}", tuple(str(j) for j in range(node))))
        positions.append(Position(f"op{node}", ("conv3", "conv5", "pool", "skip")))
    return CategoricalSpace("graph", positions, groups={"ops": [f"op{n}" for n in (1, 2, 3, 4)]})


@pytest.fixture(scope="session")
def chain() -> CategoricalSpace:
    return chain_space()


@pytest.fixture(scope="session")
def graph() -> CategoricalSpace:
    return graph_space()
