from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from naslab.analysis import mean_se, pairwise_p, step_values_on_grid, summarise
from naslab.analysis.plots import cost_curve

RS = [9.0, 9.2, 9.4, 9.6, 9.8, 10.0, 10.2, 10.4]
GOOD = [8.4, 8.45, 8.5, 8.55, 8.6, 8.65, 8.7, 8.75]


def _finals(errors: dict[str, list[float]], dataset: str = "d") -> pd.DataFrame:
    """A trajectory frame of one-query trials, final error per (strategy, seed) as given."""
    rows = [
        {"strategy": s, "dataset": dataset, "seed": seed, "query": 1, "best_observed": e,
         "incumbent_observed": e, "incumbent_true": e + 0.1, "incumbent_regret": e - 8.0,
         "incumbent_test": np.nan}
        for s, values in errors.items() for seed, e in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_mean_se_is_sample_sd_over_root_n() -> None:
    mean, se = mean_se(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.5
    assert se == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2) and se == pytest.approx(0.645497)
    assert np.isnan(mean_se(np.array([5.0]))[1])
    means, ses = mean_se(np.array([[1.0, 3.0], [2.0, np.nan]]), axis=1)
    assert means[0] == 2.0 and ses[0] == pytest.approx(1.0) and np.isnan(means[1])


def test_summary_means_standard_errors_and_p_values_match_scipy() -> None:
    summary = summarise(_finals({"rs": RS, "good": GOOD, "same": list(RS)}))
    assert summary["strategy"].tolist() == ["rs", "good", "same"]
    row = summary.set_index("strategy")
    assert row.loc["good", "n_seeds"] == 8
    assert row.loc["good", "best_observed_mean"] == pytest.approx(np.mean(GOOD))
    assert row.loc["good", "best_observed_se"] == pytest.approx(np.std(GOOD, ddof=1) / np.sqrt(8))
    assert row.loc["good", "incumbent_true_mean"] == pytest.approx(np.mean(GOOD) + 0.1)
    expected = mannwhitneyu(GOOD, RS, alternative="less").pvalue
    assert row.loc["good", "p_best_observed"] == pytest.approx(expected)
    assert row.loc["good", "p_best_observed"] < 0.01
    assert row.loc["good", "p_incumbent_true"] < 0.01
    assert row.loc["same", "p_best_observed"] >= 0.5  # no evidence either way
    assert np.isnan(row.loc["rs", "p_best_observed"])  # the baseline is not tested on itself
    assert np.isnan(row.loc["rs", "incumbent_test_mean"])
    assert (summary["note"] == "").all()


def test_a_metric_to_maximise_tests_for_larger_values() -> None:
    accuracies = _finals({"rs": [100 - e for e in RS], "good": [100 - e for e in GOOD]})
    row = summarise(accuracies, goal="max").set_index("strategy")
    expected = mannwhitneyu(GOOD, RS, alternative="less").pvalue
    assert row.loc["good", "p_best_observed"] == pytest.approx(expected)
    assert summarise(accuracies, goal="min").set_index("strategy").loc[
        "good", "p_best_observed"] > 0.99  # the wrong direction finds nothing


def test_pairwise_matrix_tests_every_ordered_pair() -> None:
    finals = _finals({"rs": RS, "good": GOOD, "same": list(RS)})
    matrix = pairwise_p(finals, "best_observed")
    assert list(matrix.index) == list(matrix.columns) == ["rs", "good", "same"]
    assert np.isnan(np.diag(matrix.to_numpy())).all()
    assert matrix.loc["good", "rs"] == pytest.approx(
        mannwhitneyu(GOOD, RS, alternative="less").pvalue)
    assert matrix.loc["rs", "good"] == pytest.approx(
        mannwhitneyu(RS, GOOD, alternative="less").pvalue)
    assert matrix.loc["good", "same"] < 0.01 and matrix.loc["rs", "same"] >= 0.5
    flipped = pairwise_p(finals.assign(best_observed=-finals["best_observed"]),
                         "best_observed", goal="max")
    np.testing.assert_allclose(flipped.to_numpy(), matrix.to_numpy())
    assert pairwise_p(finals, "incumbent_test").isna().all().all()  # no values, no test


def test_without_the_baseline_p_values_are_nan_with_a_note() -> None:
    summary = summarise(_finals({"zeta": GOOD, "alpha": RS}), baseline="rs")
    assert summary["strategy"].tolist() == ["zeta", "alpha"]  # input order, not sorted
    assert summary[["p_best_observed", "p_incumbent_true"]].isna().all().all()
    assert summary["note"].tolist() == ["baseline 'rs' not run on d"] * 2


def test_rows_per_dataset_then_strategy_in_input_order() -> None:
    traj = pd.concat([_finals({"ls": GOOD}, "b"), _finals({"rs": RS}, "a"),
                      _finals({"ls": GOOD}, "a")])
    summary = summarise(traj)
    assert list(zip(summary["dataset"], summary["strategy"], strict=True)) == [
        ("b", "ls"), ("a", "ls"), ("a", "rs")
    ]
    assert np.isnan(summary["p_best_observed"].iloc[0])  # rs was not run on 'b'
    assert summary["note"].iloc[0] == "baseline 'rs' not run on b"
    assert summary["p_best_observed"].iloc[1] < 0.01


def test_queries_to_optimum_counts_the_seeds_that_reached_it() -> None:
    regrets = {0: [1.0, 0.5, 0.0, 0.0], 1: [1.0, 1.0, 1.0, 1.0], 2: [0.0, 0.0, 0.0, 0.0]}
    traj = pd.DataFrame([
        {"strategy": "rs", "dataset": "d", "seed": seed, "query": q + 1, "best_observed": r,
         "incumbent_observed": r, "incumbent_true": r, "incumbent_regret": r,
         "incumbent_test": np.nan}
        for seed, values in regrets.items() for q, r in enumerate(values)
    ])
    row = summarise(traj).iloc[0]
    assert row["queries_to_optimum"] == 2.0  # mean of 3 and 1
    assert row["n_reached_optimum"] == 2
    assert row["queries"] == 4
    assert row["incumbent_regret_mean"] == pytest.approx(1 / 3)


def test_cost_grid_averages_step_functions_where_every_seed_has_run() -> None:
    costs = [np.array([1.0, 3.0]), np.array([2.0, 4.0])]
    values = [np.array([5.0, 2.0]), np.array([4.0, 1.0])]
    grid = np.array([0.5, 1.0, 2.0, 3.0, 4.0, 5.0])
    table = step_values_on_grid(costs, values, grid)
    np.testing.assert_array_equal(table[0], [np.nan, 5, 5, 2, 2, 2])
    np.testing.assert_array_equal(table[1], [np.nan, np.nan, 4, 4, 1, 1])

    trials = pd.DataFrame({"seed": [0, 0, 1, 1], "cum_cost": np.concatenate(costs),
                           "best_observed": np.concatenate(values)})
    x, mean, se = cost_curve(trials, "best_observed", grid)
    np.testing.assert_array_equal(x, [2.0, 3.0, 4.0])  # both seeds started; up to the last cost
    np.testing.assert_allclose(mean, [4.5, 3.0, 1.5])
    np.testing.assert_allclose(se, [0.5, 1.0, 0.5])
