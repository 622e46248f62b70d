"""The SQLite journal: schema, exact round trips, and refusal of what is not a journal."""

from __future__ import annotations

import math
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from naslab.errors import RunFolderError
from naslab.study import StudyConfig, read_config, read_evaluations
from naslab.study.journal import Evaluation, Journal, create_journal

CONFIG = StudyConfig(strategies=("rs", "ls"), datasets=("cifar100", "cifar10"), seeds=2,
                     max_queries=5).validated()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    create_journal(tmp_path, CONFIG)
    return tmp_path


def test_a_new_journal(run_dir: Path) -> None:
    with closing(sqlite3.connect(run_dir / "journal.sqlite")) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one plain file
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        trials = conn.execute("SELECT strategy, dataset, seed, status FROM trials").fetchall()
    assert meta["naslab_version"] == "0.1.0" and meta["schema_version"] == "3"
    assert meta["created"].endswith("+00:00")
    assert sorted(trials) == sorted((*t, "pending") for t in CONFIG.trials)
    assert read_config(run_dir) == CONFIG
    empty = read_evaluations(run_dir)
    assert len(empty) == 0 and list(empty.columns)[-2:] == ["recommended", "failure"]


def test_rows_round_trip_exactly_in_config_order(run_dir: Path) -> None:
    value, cost = 8.123456789012345, 1e-300
    with Journal(run_dir) as journal:
        for strategy, dataset, seed in reversed(CONFIG.trials):
            for step in (1, 0):
                metrics = f'{{"val_acc": {100 - value}, "only_{strategy}": {step}}}'
                journal.append(strategy, dataset, seed,
                               Evaluation(step, 0, f"arch{step}", value, cost, metrics, 0.5))
        journal.append("rs", "cifar10", 0, Evaluation(2, 1, "x", math.nan, 3.0, "{}", 0.7))
        assert journal.count() == 2 * len(CONFIG.trials) + 1
        replay = journal.evaluations("rs", "cifar10", 0)
        assert [e.step for e in replay] == [0, 1, 2]
        assert replay[0] == Evaluation(0, 0, "arch0", value, cost, replay[0].metrics, 0.5)
        assert math.isnan(replay[2].value)  # NaN survives SQLite's NULL
        with pytest.raises(RunFolderError, match="step 1 of trial rs/cifar10/seed 0 is already"):
            journal.append("rs", "cifar10", 0, Evaluation(1, 0, "y", 1.0, 1.0, "{}", 0.0))
    df = read_evaluations(run_dir)
    assert list(zip(df["strategy"], df["dataset"], df["seed"], strict=True))[:5] == [
        ("rs", "cifar100", 0), ("rs", "cifar100", 0), ("rs", "cifar100", 1), ("rs", "cifar100", 1),
        ("rs", "cifar10", 0)]
    assert list(df.columns[9:]) == ["recommended", "failure", "val_acc", "only_rs", "only_ls"]
    assert df["value"].iloc[0] == value and df["cost"].iloc[0] == cost
    assert df["val_acc"].iloc[0] == 100 - value
    assert math.isnan(df["value"].iloc[6]) and df["step"].iloc[6] == 2


def test_what_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="is not a naslab run folder"):
        read_config(tmp_path)
    with closing(sqlite3.connect(tmp_path / "journal.sqlite")) as conn:
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '99')")
        conn.commit()
    refused = "has journal schema '99'; this naslab reads schemas 3, 2"
    with pytest.raises(RunFolderError, match=refused):
        read_evaluations(tmp_path)
