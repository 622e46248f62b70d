"""run_study: what the journal holds, budgets, noise, and user errors that leave no trace."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from naslab.benchmarks import TabularBenchmark
from naslab.errors import BenchmarkDataError, ConfigError, RunFolderError, UnknownNameError
from naslab.study import StudyConfig, read_config, read_evaluations, run_study
from naslab.study import trial as trial_module
from naslab.study.seeding import StepNoise


def test_journal_holds_every_evaluation(tmp_path: Path, small: StudyConfig,
                                        cifar10: TabularBenchmark, statuses) -> None:
    config = dataclasses.replace(small, strategies=("ls", "rs"))
    run_dir = run_study(config, tmp_path / "run", progress=False)
    assert sorted(p.name for p in run_dir.iterdir()) == ["config.json", "journal.sqlite"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging folder left behind
    assert json.loads((run_dir / "config.json").read_text()) == config.validated().to_dict()
    assert read_config(run_dir) == config.validated()
    assert set(statuses(run_dir).values()) == {"done"}

    df = read_evaluations(run_dir)
    assert list(df.columns) == ["strategy", "dataset", "seed", "step", "batch", "arch", "value",
                                "cost", "wall_time", "recommended", "failure", "val_acc",
                                "params_mb", "latency"]
    assert len(df) == 2 * 2 * 30
    assert list(df["strategy"].unique()) == ["ls", "rs"]  # config order, not alphabetical
    space = cifar10.space
    for (strategy, _, seed), trial in df.groupby(["strategy", "dataset", "seed"], sort=False):
        assert list(trial["step"]) == list(range(30))
        assert list(trial["batch"]) == [s // 3 for s in range(30)]
        assert trial["wall_time"].is_monotonic_increasing
        noise = StepNoise(seed, "cifar10")
        for row in trial.itertuples():
            i = space.index(space.parse(row.arch))
            recorded = cifar10.scores[i][np.isfinite(cifar10.scores[i])]
            # the reported seed is the one step `row.step`'s own noise stream picks
            assert row.val_acc == recorded[noise.at(row.step).integers(len(recorded))]
            assert row.value == 100.0 - row.val_acc
            assert row.cost == cifar10.cost[i]
            assert row.params_mb == cifar10.extra["params_mb"][i]
        if strategy == "ls":  # local search improves on its first (random) proposals
            assert trial["value"].min() < trial["value"].iloc[:3].min()


def test_same_config_same_journal_and_mean_noise(tmp_path: Path, small: StudyConfig,
                                                 cifar10: TabularBenchmark, journal_of) -> None:
    config = dataclasses.replace(small, strategies=("re",), noise="mean")
    first = journal_of(run_study(config, tmp_path / "a", progress=False))
    assert first.equals(journal_of(run_study(config, tmp_path / "b", progress=False)))
    truth = [cifar10.true_value(cifar10.space.parse(a)) for a in first["arch"]]
    assert np.allclose(first["value"], truth, rtol=0, atol=1e-9)
    other_seed = dataclasses.replace(config, first_seed=2)
    assert not journal_of(run_study(other_seed, tmp_path / "c", progress=False))["arch"].equals(
        first["arch"])


def test_last_batch_is_clipped_to_the_query_budget(tmp_path: Path) -> None:
    config = StudyConfig(strategies=("ls",), seeds=1, max_queries=10, batch_size=4)
    df = read_evaluations(run_study(config, tmp_path / "run", progress=False))
    assert list(df["batch"]) == [0] * 4 + [1] * 4 + [2] * 2


def test_cost_budget_counts_the_crossing_evaluation(tmp_path: Path) -> None:
    config = StudyConfig(strategies=("rs", "re"), seeds=3, max_queries=None, max_cost=60_000.0,
                         batch_size=4)
    df = read_evaluations(run_study(config, tmp_path / "run", progress=False))
    for _, trial in df.groupby(["strategy", "seed"]):
        spent = trial["cost"].cumsum().to_numpy()
        assert spent[-1] >= 60_000.0 > spent[-2]
    assert df.groupby(["strategy", "seed"]).size().nunique() > 1  # trials stop at different steps
    both = dataclasses.replace(config, max_queries=7, max_cost=1e9)
    assert len(read_evaluations(run_study(both, tmp_path / "both", progress=False))) == 2 * 3 * 7


def test_strategy_params_reach_the_strategy(tmp_path: Path, journal_of) -> None:
    config = StudyConfig(strategies=("ls",), seeds=1, max_queries=20)
    default = journal_of(run_study(config, tmp_path / "a", progress=False))
    tuned = dataclasses.replace(config, strategy_params={"ls": {"n_init": 2}})
    changed = journal_of(run_study(tuned, tmp_path / "b", progress=False))
    assert changed["arch"].iloc[:2].equals(default["arch"].iloc[:2])  # same random start ...
    assert not changed["arch"].equals(default["arch"])  # ... then local moves 8 steps earlier
    assert read_config(tmp_path / "b").strategy_params == {"ls": {"n_init": 2}}


def test_progress_bar_counts_evaluations(tmp_path: Path, small: StudyConfig, capfd) -> None:
    run_study(dataclasses.replace(small, strategies=("rs",)), tmp_path / "run")
    err = capfd.readouterr().err
    assert "naslab: 100%" in err and "60/60" in err
    run_study(dataclasses.replace(small, strategies=("rs",)), tmp_path / "quiet", progress=False)
    assert capfd.readouterr().err == ""


# --- user errors: checked before anything is written -------------------------------------
@pytest.mark.parametrize(
    ("changes", "error"),
    [({"seeds": 0}, ConfigError), ({"strategies": ("nope",)}, UnknownNameError),
     ({"benchmark": "missing/table.csv"}, BenchmarkDataError),
     ({"benchmark": "no-such-benchmark"}, BenchmarkDataError)],
)
def test_user_errors_create_nothing(tmp_path: Path, small: StudyConfig, changes: dict,
                                    error: type[Exception]) -> None:
    with pytest.raises(error):
        run_study(dataclasses.replace(small, **changes), tmp_path / "run", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_existing_folders(tmp_path: Path, small: StudyConfig, journal_of) -> None:
    config = dataclasses.replace(small, strategies=("rs",), seeds=1, max_queries=5)
    run_dir = run_study(config, tmp_path / "run", progress=False)
    exists = r"run exists; use `naslab resume .*run` or --overwrite"
    with pytest.raises(RunFolderError, match=exists):
        run_study(config, run_dir, progress=False)
    before = journal_of(run_dir)
    with pytest.raises(ConfigError):  # invalid config: the old run stays as it was
        run_study(dataclasses.replace(config, seeds=-1), run_dir, overwrite=True, progress=False)
    assert journal_of(run_dir).equals(before)
    run_study(dataclasses.replace(config, max_queries=7), run_dir, overwrite=True, progress=False)
    assert len(journal_of(run_dir)) == 7 and read_config(run_dir).max_queries == 7

    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(journal_of(run_study(config, empty, progress=False))) == 5

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(RunFolderError, match="is not a naslab run folder"):
        run_study(config, precious, overwrite=True, progress=False)
    assert (precious / "thesis.tex").read_text() == "years of work"
    with pytest.raises(RunFolderError, match="is not a folder"):
        run_study(config, precious / "thesis.tex", progress=False)


def test_a_user_table_benchmark(tmp_path: Path, shared_data: Path, monkeypatch) -> None:
    table = shared_data / "nb201" / "nb201_table.csv"
    monkeypatch.chdir(table.parent)
    config = StudyConfig(benchmark="nb201_table.csv", strategies=("rs",), seeds=1, max_queries=8)
    run_dir = run_study(config, tmp_path / "run", progress=False)
    assert read_config(run_dir).benchmark == str(table.resolve())  # resumable from anywhere
    df = read_evaluations(run_dir)
    assert len(df) == 8 and df["cost"].gt(0).all()
    # tables from files are read again by the next study (they may have changed)
    assert all(key[0] != str(table.resolve()) for key in trial_module._OBJECTIVES)


def test_the_largest_seeds_run_and_are_journaled(tmp_path: Path) -> None:
    from naslab.study.config import MAX_SEED

    config = StudyConfig(strategies=("rs",), seeds=2, first_seed=MAX_SEED - 1, max_queries=3)
    df = read_evaluations(run_study(config, tmp_path / "run", progress=False))
    assert sorted(df["seed"].unique()) == [MAX_SEED - 1, MAX_SEED]
