"""Helpers of the study tests: a small study and the journal contents that must match."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from naslab.study import StudyConfig, read_evaluations


@pytest.fixture
def small() -> StudyConfig:
    """Four real strategies (two of them learn from tell), two seeds, 30 queries, batches of 3."""
    return StudyConfig(strategies=("rs", "ls", "re", "anasod-ls"), seeds=2, max_queries=30,
                       batch_size=3)


@pytest.fixture
def journal_of() -> Callable[[Path], pd.DataFrame]:
    """Everything journaled except wall-clock times, which differ between runs."""
    return lambda run_dir: read_evaluations(run_dir).drop(columns="wall_time")


@pytest.fixture
def statuses() -> Callable[[Path], dict[tuple[str, str, int], str]]:
    def read(run_dir: Path) -> dict[tuple[str, str, int], str]:
        with closing(sqlite3.connect(run_dir / "journal.sqlite")) as conn:
            rows = conn.execute("SELECT strategy, dataset, seed, status FROM trials")
            return {(s, d, seed): status for s, d, seed, status in rows}

    return read
