from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from naslab.analysis import add_trajectories, study_metric
from naslab.benchmarks import TabularBenchmark
from naslab.errors import ConfigError
from naslab.observation import VALIDATION_ERROR, Metric
from naslab.spaces import CategoricalSpace
from naslab.spaces.base import Architecture

OPT = "333132"  # the cifar10(-valid) optimum, seed-mean validation error 8.3933 %


def _frame(rows: list[tuple], dataset: str = "cifar10") -> pd.DataFrame:
    return pd.DataFrame(
        [(s, dataset, seed, step, step, arch, value, cost, 0.0)
         for s, seed, step, arch, value, cost in rows],
        columns=["strategy", "dataset", "seed", "step", "batch", "arch", "value", "cost",
                 "wall_time"],
    )


@pytest.fixture(scope="module")
def archs(cifar10: TabularBenchmark) -> dict[str, str]:
    space = cifar10.space
    return {k: str(space.from_op_key(key)) for k, key in
            {"A": "333133", "B": "113102", "C": "000000", "OPT": OPT}.items()}


def test_hand_built_two_seed_trajectory(cifar10: TabularBenchmark, archs) -> None:
    a, b, opt = archs["A"], archs["B"], archs["OPT"]
    evals = _frame([
        ("rs", 0, 0, a, 10.0, 100.0),
        ("rs", 0, 1, b, 9.0, 200.0),
        ("rs", 0, 2, b, 12.0, 200.0),   # B's mean rises to 10.5: A (10.0) is back
        ("rs", 0, 3, opt, 10.0, 300.0),  # ties A's mean 10.0: the earlier A stays
        ("rs", 0, 4, opt, 8.0, 300.0),   # its mean falls to 9.0: the optimum takes over
        ("rs", 1, 1, a, 9.0, 50.0),      # seed 1 given out of step order
        ("rs", 1, 0, opt, 9.5, 70.0),
    ])
    traj = add_trajectories(evals, {"cifar10": cifar10})
    seed0, seed1 = traj[traj.seed == 0], traj[traj.seed == 1]
    assert seed0["query"].tolist() == [1, 2, 3, 4, 5]
    assert seed0["cum_cost"].tolist() == [100.0, 300.0, 500.0, 800.0, 1100.0]
    assert seed0["best_observed"].tolist() == [10.0, 9.0, 9.0, 9.0, 8.0]
    assert seed0["incumbent"].tolist() == [a, b, a, a, opt]
    assert seed0["incumbent_observed"].tolist() == [10.0, 9.0, 10.0, 10.0, 9.0]
    assert seed1["step"].tolist() == [0, 1]
    assert seed1["cum_cost"].tolist() == [70.0, 120.0]
    assert seed1["best_observed"].tolist() == [9.5, 9.0]
    assert seed1["incumbent"].tolist() == [opt, a]

    true_a = cifar10.true_value(cifar10.space.parse(a))
    true_b = cifar10.true_value(cifar10.space.parse(b))
    assert seed0["incumbent_true"].tolist() == pytest.approx(
        [true_a, true_b, true_a, true_a, 8.3933], abs=1e-4
    )
    assert traj["incumbent_regret"].iloc[4] == 0.0
    assert traj["incumbent_percentile"].iloc[4] == 0.0
    assert seed1["incumbent_regret"].tolist() == pytest.approx([0.0, true_a - 8.393333], abs=1e-5)
    assert traj["incumbent_test"].isna().all()  # the embedded table has no test accuracy
    assert traj["value"].tolist()[:5] == [10.0, 9.0, 12.0, 10.0, 8.0]  # input columns kept


class ToyTruth:
    """Ground truth of three architectures x, y, z with a test column: known numbers."""

    space = CategoricalSpace("toy", ["a"], ["x", "y", "z"])
    name, dataset, metric = "toy", "d", VALIDATION_ERROR
    true = {"x": 9.0, "y": 5.0, "z": 20.0}
    optimum_value = 5.0

    def true_value(self, arch: Architecture) -> float:
        return self.true[str(arch)]

    def regret(self, arch: Architecture) -> float:
        return self.true_value(arch) - self.optimum_value

    def percentile(self, arch: Architecture) -> float:
        return 100 * sum(v < self.true_value(arch) for v in self.true.values()) / 3

    def test_value(self, arch: Architecture) -> float:
        return self.true_value(arch) + 1.0


def test_ground_truth_columns_come_from_the_benchmark() -> None:
    traj = add_trajectories(
        _frame([("rs", 0, 0, "x", 9.5, 1.0), ("rs", 0, 1, "y", 5.0, 1.0)], dataset="d"),
        {"d": ToyTruth()},
    )
    assert traj["incumbent_true"].tolist() == pytest.approx([9.0, 5.0])
    assert traj["incumbent_test"].tolist() == pytest.approx([10.0, 6.0])
    assert traj["incumbent_percentile"].tolist() == pytest.approx([100 / 3, 0.0])
    assert traj["incumbent_regret"].tolist() == pytest.approx([4.0, 0.0])


def test_failed_evaluations_are_not_observations(cifar10, archs) -> None:
    a = archs["A"]
    evals = _frame([("rs", 0, 0, archs["B"], np.nan, 5.0), ("rs", 0, 1, a, 9.0, 5.0),
                    ("rs", 0, 2, archs["C"], np.nan, 5.0)])
    traj = add_trajectories(evals, {"cifar10": cifar10})
    assert traj["incumbent"].isna().tolist() == [True, False, False]
    assert traj["incumbent"].tolist()[1:] == [a, a]
    assert np.isnan(traj["incumbent_true"].iloc[0])
    assert traj["best_observed"].tolist()[1:] == [9.0, 9.0]
    assert traj["cum_cost"].tolist() == [5.0, 10.0, 15.0]


def test_incumbent_matches_brute_force_under_requeries(cifar10, simulate) -> None:
    """Few distinct archs, many noisy re-queries: the heap agrees with recomputing means."""
    evals = simulate(strategies=("climb",), seeds=2, budget=120)
    pool = evals["arch"].unique()[:4]
    rng = np.random.default_rng(0)
    evals["arch"] = rng.choice(pool, size=len(evals))
    evals["value"] = rng.choice([8.0, 9.0, 10.0, 11.0], size=len(evals))  # many exact ties
    traj = add_trajectories(evals, {"cifar10": cifar10})
    for _, trial in traj.groupby("seed"):
        for i in range(len(trial)):
            seen = trial.iloc[: i + 1]
            stats = seen.groupby("arch", sort=False)["value"].mean()  # sort=False: first-seen
            assert trial["incumbent"].iloc[i] == stats.idxmin()


def test_fast_on_18000_rows(cifar10) -> None:
    rng = np.random.default_rng(1)
    n_trials, budget = 60, 300
    index = rng.integers(len(cifar10.space), size=n_trials * budget)
    archs = {i: cifar10.space.from_index(int(i)) for i in np.unique(index)}
    truth = np.array([cifar10.true_value(archs[i]) for i in index])
    evals = pd.DataFrame({
        "strategy": np.repeat(["rs", "bo"], n_trials // 2 * budget),
        "dataset": "cifar10",
        "seed": np.tile(np.repeat(np.arange(n_trials // 2), budget), 2),
        "step": np.tile(np.arange(budget), n_trials),
        "arch": [str(archs[i]) for i in index],
        "value": truth + rng.normal(0, 0.3, index.size),
        "cost": rng.uniform(1000, 2000, index.size),
    })
    start = time.perf_counter()
    traj = add_trajectories(evals, {"cifar10": cifar10})
    assert time.perf_counter() - start < 1.0
    assert len(traj) == 18_000
    assert traj["strategy"].iloc[0] == "rs"  # input order of trials is kept


def test_bad_input_says_what_is_needed(cifar10, archs) -> None:
    evals = _frame([("rs", 0, 0, archs["A"], 9.0, 1.0)])
    with pytest.raises(ConfigError, match="lacks columns cost"):
        add_trajectories(evals.drop(columns="cost"), {"cifar10": cifar10})
    with pytest.raises(ConfigError, match="empty"):
        add_trajectories(evals.iloc[:0], {"cifar10": cifar10})


def test_a_dataset_without_benchmark_has_observed_values_only(cifar10, archs) -> None:
    evals = pd.concat([
        _frame([("rs", 0, 0, archs["A"], 9.0, 1.0), ("rs", 0, 1, archs["B"], 10.0, 1.0)]),
        _frame([("rs", 0, 0, "mine-1", 0.5, 1.0), ("rs", 0, 1, "mine-2", 0.25, 1.0),
                ("rs", 0, 2, "mine-2", 0.75, 1.0)], dataset="mine"),
    ])
    traj = add_trajectories(evals, {"cifar10": cifar10})
    mine = traj[traj.dataset == "mine"]
    assert mine["best_observed"].tolist() == [0.5, 0.25, 0.25]
    assert mine["incumbent"].tolist() == ["mine-1", "mine-2", "mine-1"]  # mean 0.5 ties: first
    assert mine["incumbent_observed"].tolist() == [0.5, 0.25, 0.5]
    assert mine[["incumbent_true", "incumbent_regret", "incumbent_percentile"]].isna().all().all()
    assert traj.loc[traj.dataset == "cifar10", "incumbent_true"].notna().all()


def test_a_metric_to_maximise_reads_in_its_own_units(cifar10, accuracy, simulate) -> None:
    """The same search as -accuracy values: every value column is 100 - the error one."""
    errors = simulate(strategies=("rs", "climb"), seeds=2, budget=30)
    by_error = add_trajectories(errors, {"cifar10": cifar10})
    by_accuracy = add_trajectories(errors.assign(value=errors["value"] - 100.0),
                                   {"cifar10": accuracy})
    for column in ("best_observed", "incumbent_observed", "incumbent_true"):
        np.testing.assert_allclose(by_accuracy[column], 100.0 - by_error[column])
    assert (by_accuracy["incumbent"] == by_error["incumbent"]).all()
    np.testing.assert_allclose(by_accuracy["incumbent_regret"], by_error["incumbent_regret"])
    assert (by_accuracy["incumbent_regret"] >= 0).all()
    first = by_accuracy[(by_accuracy.strategy == "rs") & (by_accuracy.seed == 0)]
    assert first["best_observed"].is_monotonic_increasing  # the highest accuracy so far


def test_study_metric_is_the_benchmarks_or_the_given_one(cifar10, accuracy) -> None:
    assert study_metric({"cifar10": cifar10}) == VALIDATION_ERROR
    assert study_metric({}, Metric("loss")).name == "loss"
    assert study_metric({}).name == "objective value"
    with pytest.raises(ConfigError, match="different metrics"):
        study_metric({"cifar10": cifar10, "acc": accuracy})
    with pytest.raises(ConfigError, match="different metrics"):
        study_metric({"cifar10": cifar10}, Metric("loss"))


def test_the_journaled_recommendation_is_the_incumbent(cifar10, archs) -> None:
    """A strategy's own answer (e.g. a model's posterior mean) is scored, not the lowest mean."""
    a, b = archs["A"], archs["B"]
    evals = _frame([("m", 0, 0, a, 10.0, 1.0), ("m", 0, 1, b, 9.0, 1.0), ("m", 0, 2, b, 9.5, 1.0)])
    evals["recommended"] = [None, a, b]  # before its first result it had none
    traj = add_trajectories(evals, {"cifar10": cifar10})
    assert traj["incumbent"].tolist() == [a, a, b]  # row 0 falls back to the lowest mean
    assert traj["incumbent_observed"].tolist() == [10.0, 10.0, 9.25]
    true_a = cifar10.true_value(cifar10.space.parse(a))
    assert traj["incumbent_true"].iloc[1] == pytest.approx(true_a)
