"""Samples to the global optimum (seed 002, section 4.2): per trial, censoring, speed-ups, RS."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from naslab.analysis.samples_to_optimum import (
    Bounded,
    RandomSearchExpectation,
    best_so_far,
    best_so_far_figure,
    censored_mean,
    censored_quantile,
    count_optima,
    random_search_expectation,
    samples_box_figure,
    samples_to_optimum,
    speedup,
    summarise_samples,
)
from naslab.benchmarks import TabularBenchmark
from naslab.spaces import CategoricalSpace
from naslab.strategies import STRATEGIES


def _rows(strategy: str, seed: int, archs: list[str], dataset: str = "cifar10") -> list[dict]:
    return [{"strategy": strategy, "dataset": dataset, "seed": seed, "step": step,
             "arch": arch} for step, arch in enumerate(archs)]


@pytest.fixture(scope="module")
def names(cifar10: TabularBenchmark) -> dict[str, str]:
    """The optimum and two other architectures of cifar10, as canonical strings."""
    order = np.argsort(cifar10.mean_value)
    return {"opt": str(cifar10.optimum), "good": str(cifar10.archs[order[1]]),
            "bad": str(cifar10.archs[order[-1]])}


@pytest.fixture(scope="module")
def evals(names: dict[str, str]) -> pd.DataFrame:
    good, bad, opt = names["good"], names["bad"], names["opt"]
    rows = (_rows("a", 0, [bad, good, opt, bad])      # optimum at the 3rd query
            + _rows("a", 1, [good, bad])               # never: censored at 2
            + _rows("b", 0, [good, good, good, opt])   # repeats count: 4
            + _rows("b", 1, [opt]))                    # first query
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # step order is restored


def test_samples_is_the_first_query_of_an_optimal_architecture(evals, cifar10) -> None:
    table = samples_to_optimum(evals, {"cifar10": cifar10}).set_index(["strategy", "seed"])
    assert table.loc[("a", 0), "samples"] == 3 and table.loc[("a", 0), "budget"] == 4
    assert math.isnan(table.loc[("a", 1), "samples"]) and not table.loc[("a", 1), "reached"]
    assert table.loc[("a", 1), "count"] == 2  # its budget: a lower bound
    assert table.loc[("b", 0), "samples"] == 4 and table.loc[("b", 1), "samples"] == 1
    assert table["reached"].sort_index().tolist() == [True, False, True, True]


def test_a_dataset_without_ground_truth_is_left_out(evals, cifar10, names) -> None:
    other = pd.DataFrame(_rows("a", 0, [names["opt"]], dataset="mystery"))
    table = samples_to_optimum(pd.concat([evals, other]), {"cifar10": cifar10})
    assert set(table["dataset"]) == {"cifar10"} and len(table) == 4


def test_censored_statistics_are_lower_bounds() -> None:
    counts = np.array([10.0, 20.0, 30.0, 100.0])
    one = np.array([False, False, False, True])
    assert censored_mean(counts, one) == Bounded(40.0, "lower")
    assert censored_mean(counts, np.zeros(4, bool)) == Bounded(40.0, "exact")
    assert censored_quantile(counts, one, 0.5) == Bounded(25.0, "exact")  # 1 of 4 censored
    assert censored_quantile(counts, one, 0.75).bound == "lower"  # 30 .. 100 interpolated
    two = np.array([False, False, True, True])
    assert censored_quantile(counts, two, 0.5) == Bounded(25.0, "lower")  # half censored
    assert censored_quantile(counts, two, 0.25) == Bounded(17.5, "exact")
    # a censored trial with a smaller budget than a reached one sorts at its budget
    assert censored_quantile(np.array([5.0, 8.0, 50.0]), np.array([False, True, False]),
                             0.5).bound == "lower"


def test_speedup_arithmetic_and_its_bounds() -> None:
    assert (Bounded(1000.0) / Bounded(50.0)) == Bounded(20.0, "exact")
    assert (Bounded(1000.0, "lower") / Bounded(50.0)).bound == "lower"
    assert (Bounded(1000.0) / Bounded(50.0, "lower")).bound == "upper"
    assert (Bounded(1000.0, "lower") / Bounded(50.0, "lower")).bound == "unknown"
    assert Bounded(26.06, "lower").format(1, "x") == ">= 26.1x"
    assert Bounded(1234.0).format() == "1,234" and Bounded(math.nan).format() == "-"


def test_summary_counts_speedups_over_the_baseline(evals, cifar10, names) -> None:
    rs = pd.DataFrame(_rows("rs", 0, [names["bad"]] * 9 + [names["opt"]])
                      + _rows("rs", 1, [names["bad"]] * 19 + [names["opt"]]))
    table = samples_to_optimum(pd.concat([evals, rs]), {"cifar10": cifar10})
    summary = summarise_samples(table, baseline="rs").set_index("strategy")
    a, b = summary.loc["a"], summary.loc["b"]
    assert (a["trials"], a["reached"], a["censored"], a["budget"]) == (2, 1, 1, 4)
    assert a["mean"] == Bounded(2.5, "lower") and a["median"] == Bounded(2.5, "lower")
    assert b["mean"] == Bounded(2.5) and b["q25"] == Bounded(1.75) and b["q75"] == Bounded(3.25)
    assert summary.loc["rs", "median"] == Bounded(15.0)
    assert b["speedup_median"] == Bounded(6.0) and b["speedup_mean"] == Bounded(6.0)
    assert a["speedup_mean"] == Bounded(6.0, "upper")  # a's mean is only a lower bound
    assert summary.loc["rs", "speedup_median"] == Bounded(1.0)
    frame = summary.reset_index()
    assert speedup(frame, "cifar10", "rs", "b", "median") == Bounded(6.0)
    assert math.isnan(speedup(frame, "cifar10", "nope", "b").value)


def test_random_search_expectation_matches_its_formulas() -> None:
    nb201 = RandomSearchExpectation(15_625)
    assert nb201.without_mean == 7_813 and nb201.without_median == 7_813
    assert nb201.with_mean == 15_625 and nb201.with_median == 10_831  # ~ N ln 2
    assert nb201.without_sd == pytest.approx(math.sqrt((15_625**2 - 1) / 12))
    # k = 2 optima among N = 6: the first one's position over all 15 placements
    positions = [min(i, j) + 1 for i in range(6) for j in range(i + 1, 6)]
    two = RandomSearchExpectation(6, 2)
    assert two.without_mean == pytest.approx(np.mean(positions))
    assert two.without_sd == pytest.approx(np.std(positions))
    assert two.without_median == 2  # P(T <= 1) = 1/3, P(T <= 2) = 3/5


@pytest.fixture(scope="module")
def toy_table() -> TabularBenchmark:
    """A user table of 4 x 3 = 81 architectures with one optimum."""
    space = CategoricalSpace("toy4", [f"p{i}" for i in range(4)], ["a", "b", "c"])
    archs = space.all()
    scores = np.random.default_rng(0).uniform(50, 90, (len(archs), 2))
    return TabularBenchmark("toy4", "toy", space, archs, scores)


def _rs_until_optimum(bench: TabularBenchmark, seed: int, replacement: bool) -> list[dict]:
    strategy = STRATEGIES.get("rs")(bench.space, np.random.default_rng(seed),
                                    replacement=replacement)
    rows, step = [], 0
    while True:
        arch = strategy.ask(1)[0]
        rows.append({"strategy": f"rs-{replacement}", "dataset": "toy", "seed": seed,
                     "step": step, "arch": str(arch)})
        step += 1
        if bench.true_value(arch) <= bench.optimum_value:
            return rows


def test_rs_without_replacement_lands_near_n_plus_1_over_2(toy_table) -> None:
    seeds = 600
    rows = [r for seed in range(seeds) for rep in (False, True)
            for r in _rs_until_optimum(toy_table, seed, rep)]
    table = samples_to_optimum(pd.DataFrame(rows), {"toy": toy_table})
    assert table["reached"].all()
    expected = random_search_expectation(toy_table)
    assert (expected.n_archs, expected.optima) == (81, 1) and count_optima(toy_table) == 1
    without = table[table["strategy"] == "rs-False"]["samples"]
    assert without.max() <= 81  # never twice the same architecture
    se = expected.without_sd / math.sqrt(seeds)
    assert abs(without.mean() - expected.without_mean) < 4 * se  # 41
    with_ = table[table["strategy"] == "rs-True"]["samples"]
    assert with_.mean() > without.mean() + 20  # ~81 with replacement
    assert abs(with_.median() - expected.with_median) < 12  # ~ 81 ln 2 = 56


def test_best_so_far_holds_the_optimum_and_figures_draw(evals, cifar10) -> None:
    traj = best_so_far(evals, {"cifar10": cifar10})
    first = traj[(traj["strategy"] == "a") & (traj["seed"] == 0)]
    assert first["query"].tolist() == [1, 2, 3, 4]
    assert first["best_true"].iloc[2:].tolist() == [cifar10.optimum_value] * 2
    benchmarks = {"cifar10": cifar10}
    curve = best_so_far_figure(evals, benchmarks)
    lines = {line.get_label() for line in curve.axes[0].get_lines()}
    assert {"a (2 seeds)", "b (2 seeds)", "global optimum"} <= lines
    assert curve.axes[0].get_xscale() == "log"
    a_line = next(x for x in curve.axes[0].get_lines() if x.get_label() == "a (2 seeds)")
    assert max(a_line.get_xdata()) == 2  # a's censored seed ends a's curve at its budget
    boxes = samples_box_figure(samples_to_optimum(evals, benchmarks), benchmarks)
    assert boxes.axes[0].get_xscale() == "log"
