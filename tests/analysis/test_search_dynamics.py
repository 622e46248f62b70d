"""Search dynamics on a reference partition of NB201 cifar10 (seed 002, section 4.1, Figure 4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from naslab.analysis.search_dynamics import (
    Reference,
    distributions_figure,
    dynamics_figure,
    edge_leaves,
    histogram,
    kl_divergence,
    leaf_dynamics,
    reference_partition,
    sample_leaves,
    summarise_dynamics,
    trial_dynamics,
)
from naslab.benchmarks import TabularBenchmark

CHECKS = (200, 1000, 3000)


@pytest.fixture(scope="module")
def reference(cifar10: TabularBenchmark) -> Reference:
    return reference_partition(cifar10, height=3)


def journal(bench: TabularBenchmark, orders: list[np.ndarray], strategy: str) -> pd.DataFrame:
    """A journal-like evaluations table: trial ``seed`` queries ``bench.archs`` in ``order``."""
    frames = [pd.DataFrame({"strategy": strategy, "dataset": "cifar10", "seed": seed,
                            "step": np.arange(order.size),
                            "arch": [str(bench.archs[i]) for i in order]})
              for seed, order in enumerate(orders)]
    return pd.concat(frames, ignore_index=True)


def uniform(bench: TabularBenchmark, seeds: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return journal(bench, [rng.permutation(bench.n_archs)[:3000] for _ in range(seeds)], "uni")


def zooming(bench: TabularBenchmark, seeds: int = 2) -> pd.DataFrame:
    """200 uniform samples, then only the best 10% of the table: a search that zoomed in."""
    rng = np.random.default_rng(1)
    best = np.argsort(bench.mean_value)[: bench.n_archs // 10]
    orders = [np.concatenate([rng.permutation(bench.n_archs)[:200], rng.permutation(best)])
              for _ in range(seeds)]
    return journal(bench, [o[:3000] for o in orders], "zoom")


def test_kl_and_smoothing_match_a_hand_computation() -> None:
    assert kl_divergence(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3))
    assert kl_divergence(np.array([0.0, 1.0]), np.array([0.5, 0.5])) == pytest.approx(
        math.log(2))
    edges = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(histogram(np.array([0.2, 0.7]), edges), [2.5 / 3, 0.5 / 3])
    np.testing.assert_allclose(histogram(np.array([0.2, 5.0]), edges, 0.0), [0.5, 0.5])


def test_leaf_dynamics_by_hand() -> None:
    edges = np.array([0.0, 1.0, 2.0])
    ref = Reference("d", None, {}, None, [1, 2], np.array([1, 1, 2, 2]),  # type: ignore[arg-type]
                    np.array([0.5, 0.5, 1.5, 1.5]), {1: edges, 2: edges})
    rows = leaf_dynamics(ref, np.array([0.5, 1.5, 0.5]), np.array([1, 1, 1]), [2, 3, 9])
    assert list(rows["n"].unique()) == [2, 3]  # 9 is past the trial
    first = rows[(rows["n"] == 2) & (rows["leaf"] == 1)].iloc[0]
    p, q = np.array([1.5, 1.5]) / 3, np.array([2.5, 0.5]) / 3
    assert first["kl"] == pytest.approx(float(np.sum(p * np.log(p / q))))
    assert first["samples"] == 2 and first["gap"] == pytest.approx(0.5 - 1.0)
    empty = rows[(rows["n"] == 3) & (rows["leaf"] == 2)].iloc[0]
    assert empty["samples"] == 0 and math.isnan(empty["kl"])


def test_the_reference_partitions_the_table_left_to_right(reference, cifar10) -> None:
    assert reference.leaves == [3, 4, 5, 6]
    assert sum(reference.leaf_values(j).size for j in reference.leaves) == cifar10.n_archs
    means = [reference.leaf_values(j).mean() for j in reference.leaves]
    assert means[0] < means[-1]  # left = better (lower error)
    assert edge_leaves(reference) == [3, 4, 5, 6] and edge_leaves(reference, 1) == [3, 6]


def test_uniform_sampling_matches_the_table_and_zooming_in_departs(reference, cifar10) -> None:
    uni = summarise_dynamics(trial_dynamics(uniform(cifar10), reference, CHECKS))
    zoom = summarise_dynamics(trial_dynamics(zooming(cifar10), reference, CHECKS))
    assert list(uni["n"]) == list(CHECKS) and set(uni["trials"]) == {2}
    assert uni["kl"].iloc[-1] < 0.05 and abs(uni["gap"].iloc[-1]) < 1.0
    assert uni["kl"].iloc[-1] < uni["kl"].iloc[0]  # more samples, closer to P*
    assert zoom["kl"].iloc[-1] > 5 * uni["kl"].iloc[-1]
    assert list(zoom["n"]) == [200, 1000]  # 1,762 samples: 3,000 is past the trial
    assert zoom["gap"].is_monotonic_increasing and zoom["gap"].iloc[-1] > 1.0


def test_figures_draw(reference, cifar10) -> None:
    evals = zooming(cifar10, seeds=1)
    summary = summarise_dynamics(trial_dynamics(evals, reference, CHECKS))
    assert len(dynamics_figure(summary).axes) == 2
    samples = sample_leaves(evals, reference)
    assert samples["leaf"].isin(reference.leaves).all()
    assert len(distributions_figure(samples, reference, (100, 500, 99_999)).axes) == 2 * 4
