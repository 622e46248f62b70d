"""Fixtures of the benchmark tests: every embedded table, the shared CSV table and NATS sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from naslab.benchmarks import DATASETS, TabularBenchmark, load_benchmark


@pytest.fixture(scope="session")
def embedded(cifar10: TabularBenchmark) -> dict[str, TabularBenchmark]:
    """The embedded NB201 table of every dataset."""
    others = {d: load_benchmark("nb201", d) for d in DATASETS if d != "cifar10"}
    return {"cifar10": cifar10, **others}


@pytest.fixture(scope="session")
def nb201_csv(shared_data: Path) -> Path:
    return shared_data / "nb201" / "nb201_table.csv"


@pytest.fixture(scope="session")
def csv_frame(nb201_csv: Path) -> pd.DataFrame:
    """nb201_table.csv as published, op keys as 6-digit text."""
    return pd.read_csv(nb201_csv, dtype={"op_key": str}).assign(
        op_key=lambda f: f["op_key"].str.zfill(6)
    )


@pytest.fixture(scope="session")
def user_tables(nb201_csv: Path) -> dict[str, TabularBenchmark]:
    """nb201_table.csv loaded as a user table for every dataset."""
    return {d: load_benchmark(str(nb201_csv), d) for d in DATASETS}


@pytest.fixture(scope="session")
def nats_sample(shared_data: Path) -> Path:
    return shared_data / "nats_tss_sample"
