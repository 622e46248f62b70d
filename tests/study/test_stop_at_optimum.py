"""Trials that end at the global optimum: the samples-to-optimum protocol (seed 002, 4.2)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from naslab.errors import ConfigError
from naslab.spaces import CategoricalSpace
from naslab.study import StudyConfig, read_evaluations
from naslab.study.runner import resume_study, run_study


def test_each_trial_ends_with_its_first_query_of_the_optimum(tmp_path: Path, cifar10) -> None:
    config = StudyConfig(strategies=("ls", "re"), seeds=3, max_queries=4000, noise="mean",
                         batch_size=4, stop_at_optimum=True)
    evals = read_evaluations(run_study(config, tmp_path / "run", progress=False))
    best = cifar10.optimum_value
    for _, trial in evals.groupby(["strategy", "seed"]):
        true = [cifar10.true_value(cifar10.space.parse(a)) for a in trial["arch"]]
        assert true[-1] == best and min(true[:-1]) > best  # stops mid-batch, at the first hit
        assert len(trial) < 4000


def test_a_killed_stopping_study_resumes_to_the_same_journal(tmp_path: Path, journal_of) -> None:
    config = StudyConfig(strategies=("rs",), seeds=2, max_queries=20_000, noise="mean",
                         stop_at_optimum=True, strategy_params={"rs": {"replacement": False}})
    whole = journal_of(run_study(config, tmp_path / "whole", progress=False))
    cut = run_study(config, tmp_path / "cut", progress=False)
    with closing(sqlite3.connect(cut / "journal.sqlite")) as conn, conn:
        conn.execute("DELETE FROM evaluations WHERE step >= 100")
        conn.execute("UPDATE trials SET status = 'running'")
    resume_study(cut, progress=False)
    assert journal_of(cut).equals(whole)
    assert whole.groupby("seed")["arch"].apply(lambda s: s.is_unique).all()  # no repeats


def test_stop_at_optimum_needs_a_table_and_a_bool(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config key .stop_at_optimum. must be true or false"):
        StudyConfig.from_dict({"stop_at_optimum": "yes"})
    space = CategoricalSpace("pair", ["a", "b"], ["x", "y"])
    with pytest.raises(ConfigError, match="stop_at_optimum needs a benchmark table"):
        StudyConfig(benchmark="function:mod.fn", space=space.definition(),
                    stop_at_optimum=True).validated()
