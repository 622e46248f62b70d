"""Optuna samplers as strategies: names, conditional spaces, tells, and a CLI study that resumes."""

from __future__ import annotations

import logging
import sqlite3
import sys
from contextlib import closing

import numpy as np
import optuna
import pytest
from click.testing import CliRunner

from naslab.cli import main
from naslab.errors import ConfigError, UnknownNameError
from naslab.spaces import CategoricalSpace, Position
from naslab.strategies import STRATEGIES
from naslab.strategies.optuna_adapter import SAMPLERS, OptunaStrategy

State = optuna.trial.TrialState


def make(name: str, space, seed: int = 0) -> OptunaStrategy:
    strategy = STRATEGIES.get(name)(space, np.random.default_rng(seed), max_queries=50)
    assert isinstance(strategy, OptunaStrategy)
    return strategy


def test_prefixed_names_resolve_to_one_class_per_sampler(nb201) -> None:
    tpe = STRATEGIES.get("optuna:tpe")
    assert STRATEGIES.get(" Optuna:TPE ") is tpe and "optuna:tpe" in STRATEGIES
    assert STRATEGIES.canonical("OPTUNA:gp") == "optuna:gp"
    assert tpe.registered_name() == "optuna:tpe"
    assert type(make("optuna:tpe", nb201).study.sampler) is optuna.samplers.TPESampler
    assert "optuna:tpe" in STRATEGIES.names()  # so the contract tests run it


def test_unknown_samplers_are_refused_in_one_line_listing_the_valid_ones() -> None:
    with pytest.raises(UnknownNameError) as info:
        STRATEGIES.get("optuna:nope")
    message = str(info.value)
    assert message.startswith("unknown strategy 'optuna:nope'; valid: ") and "\n" not in message
    assert all(f"optuna:{name}" in message for name in SAMPLERS) and "optuna:cmaes" not in message
    assert "optuna:nope" not in STRATEGIES
    assert "optuna:tpe" in str(pytest.raises(UnknownNameError, STRATEGIES.get, "nope").value)


def test_naslab_list_shows_the_family_in_one_line() -> None:
    result = CliRunner().invoke(main, ["list"])
    line = next(x for x in result.output.splitlines() if "optuna:" in x)
    assert line.split()[0] == "optuna:<sampler>" and "tpe, gp, random" in line


def test_conditional_positions_are_suggested_only_when_active(drive, hamming) -> None:
    space = CategoricalSpace("cond", [
        Position("kind", ("mlp", "cnn")),
        Position("kernel", ("3", "5", "7"), active_when=("kind", "cnn")),
        Position("width", ("16", "32")),
    ])
    strategy = make("optuna:tpe", space, seed=1)
    archs = drive(strategy, hamming(space, space.parse("cnn,7,32").ops), 30)
    trials = strategy.study.trials
    assert [t.state for t in trials] == [State.COMPLETE] * 30
    for arch, trial in zip(archs, trials, strict=True):
        assert trial.params == {k: v for k, v in arch.as_dict().items() if v is not None}
    assert {"kernel" in t.params for t in trials} == {True, False}
    assert str(strategy.best.arch) == "cnn,7,32"


def test_architectures_it_never_asked_are_added_as_trials(toy_space) -> None:
    strategy = make("optuna:tpe", toy_space)
    arch = toy_space.parse("a,b,c,a,b,c,a,b")
    strategy.tell([(arch, 2.5), (toy_space.parse("c,c,c,c,c,c,c,c"), float("inf"))])
    first, failed = strategy.study.trials
    assert first.state == State.COMPLETE and first.value == 2.5
    assert first.params == arch.as_dict()
    assert failed.state == State.FAIL and not strategy._pending


def test_asked_architectures_are_told_first_asked_first_told(hamming) -> None:
    tiny = CategoricalSpace("tiny", ["x", "y"], ["a", "b"])
    strategy = make("optuna:random", tiny)
    asked = strategy.ask(8)  # 4 architectures: some asked twice
    assert len(set(asked)) < 8
    strategy.tell([(a, float(i)) for i, a in enumerate(asked)])
    trials = strategy.study.trials  # last asked, first told would swap a repeat's values
    assert [t.value for t in trials] == [float(i) for i in range(8)]
    strategy.tell([(a, float("nan")) for a in strategy.ask(2)])
    assert [t.state for t in strategy.study.trials[8:]] == [State.FAIL] * 2


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_every_sampler_searches_and_replays(name, toy_space, toy_objective, drive) -> None:
    """Short runs: ``optuna:gp`` takes about a second per query past its 10 random starts."""
    queries = 11 if name == "gp" else 40
    name = f"optuna:{name}"
    first = drive(make(name, toy_space, seed=2), toy_objective, queries, batch=2)
    assert all(toy_space.make(a.ops) == a for a in first)
    assert drive(make(name, toy_space, seed=2), toy_objective, queries, batch=2) == first
    assert drive(make(name, toy_space, seed=3), toy_objective, queries, batch=2) != first


def test_it_leaves_optuna_logging_as_it_was(toy_space, toy_objective, drive) -> None:
    logger = logging.getLogger("optuna")
    level = logger.level
    drive(make("optuna:tpe", toy_space), toy_objective, 5)
    assert logger.level == level


def test_without_optuna_it_says_what_to_install(nb201, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ConfigError, match=r"^strategy 'optuna:tpe' needs optuna: pip install "
                                          r"'naslab\[optuna\]'$"):
        STRATEGIES.get("optuna:tpe")(nb201, np.random.default_rng(0))


def _journal(run_dir) -> list[tuple]:
    with closing(sqlite3.connect(run_dir / "journal.sqlite")) as conn:
        return conn.execute("SELECT strategy, dataset, seed, step, arch, value FROM evaluations "
                            "ORDER BY strategy, dataset, seed, step").fetchall()


def test_a_cli_study_with_an_optuna_sampler_runs_and_resumes(tmp_path) -> None:
    run_dir = tmp_path / "run"
    args = ["run", "-s", "optuna:tpe,reinforce", "--seeds", "2", "--queries", "24",
            "--batch-size", "3", "--no-progress", "--out", str(run_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    finished = _journal(run_dir)
    assert {row[0] for row in finished} == {"optuna:tpe", "reinforce"} and len(finished) == 96
    with closing(sqlite3.connect(run_dir / "journal.sqlite", isolation_level=None)) as conn:
        conn.execute("DELETE FROM evaluations WHERE seed = 1 AND step >= 10")  # mid-batch
        conn.execute("UPDATE trials SET status = 'pending' WHERE seed = 1")
    result = CliRunner().invoke(main, ["resume", str(run_dir), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert _journal(run_dir) == finished
