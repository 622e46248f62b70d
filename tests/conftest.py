"""Fixtures shared by every test folder: the NB201 space, the embedded table, the shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from naslab.benchmarks import TabularBenchmark, load_benchmark
from naslab.spaces import NB201Space

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
