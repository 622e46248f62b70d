"""LaNAS (seed 002): the learned partition tree, UCB search, exact and rejection sampling, RT."""

from __future__ import annotations

import math

import numpy as np
import pytest

from naslab.errors import ConfigError
from naslab.spaces import CategoricalSpace
from naslab.strategies import STRATEGIES
from naslab.strategies.latent_actions import LatentActionTree, fit_split
from naslab.strategies.uct import exploration_constant, ucb


def make(name: str, space, seed: int = 0, **params):
    return STRATEGIES.get(name)(space, np.random.default_rng(seed), max_queries=5000, **params)


def samples_to_optimum(strategy, objective, optimum: float, cap: int) -> int:
    rng = np.random.default_rng(0)
    for query in range(1, cap + 1):
        arch = strategy.ask(1)[0]
        obs = objective.evaluate(arch, rng)
        strategy.tell([obs])
        if obs.value <= optimum:
            return query
    return cap + 1


# --- the learned tree ----------------------------------------------------------------------
def test_a_split_is_a_least_squares_fit_cut_at_the_mean() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((200, 3))
    values = 2 * x[:, 0] - x[:, 2] + 1
    split = fit_split(x, values)
    np.testing.assert_allclose(split.weights, [2, 0, -1], atol=1e-9)
    assert split.bias == pytest.approx(1) and split.threshold == pytest.approx(values.mean())
    np.testing.assert_array_equal(split.goes_left(x), values < values.mean())


def test_learning_puts_the_better_region_left_at_every_node() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((400, 4))
    values = x @ np.array([3.0, -1.0, 0.5, 0.0]) + 0.1 * rng.standard_normal(400)
    tree = LatentActionTree.learn(4, x, values)
    assert tree.n_nodes == 15 and all(not tree.is_leaf(j) for j in range(7))
    for node in range(7):
        assert tree.mean(2 * node + 1) < tree.mean(2 * node + 2)
        assert tree.counts[node] == tree.counts[2 * node + 1] + tree.counts[2 * node + 2]
    leaves = tree.leaves()
    assert leaves == list(range(7, 15))
    means = [tree.mean(leaf) for leaf in leaves]
    assert means[0] == min(means) and means[-1] == max(means)  # the partition ranks regions
    of = tree.leaves_of(x)
    assert [tree.leaf_of(row) for row in x[:50]] == of[:50].tolist()
    np.testing.assert_array_equal(np.bincount(of, minlength=15)[7:], tree.counts[7:])


def test_nodes_without_two_samples_or_signal_stay_leaves() -> None:
    x = np.eye(3)
    tree = LatentActionTree.learn(5, x, np.array([1.0, 1.0, 1.0]))  # no signal: no split
    assert tree.leaves() == [0] and tree.counts[0] == 3
    assert LatentActionTree.learn(5, x[:1], np.array([2.0])).leaves() == [0]


def test_back_propagation_and_paths() -> None:
    assert LatentActionTree.path(0) == [0]
    assert LatentActionTree.path(9) == [0, 1, 4, 9]
    tree = LatentActionTree(4)
    tree.add(9, 2.0)
    tree.add(10, 4.0)
    assert tree.counts[[0, 1, 4, 9, 10]].tolist() == [2, 2, 2, 1, 1]
    assert tree.mean(4) == 3.0 and math.isnan(tree.mean(3))


# --- UCB --------------------------------------------------------------------------------------
def test_ucb_is_algorithm_1s_rule() -> None:
    assert ucb(0.5, 0, 10, 1.0) == math.inf
    assert ucb(-8.0, 4, 16, 0.5) == pytest.approx(-8.0 + 2 * 0.5 * math.sqrt(2 * math.log(16) / 4))
    assert ucb(-8.0, 4, 16, 0.0) == -8.0
    assert exploration_constant(0.1, 90.0) == pytest.approx(9.0)


# --- the search -------------------------------------------------------------------------------
def test_lanas_finds_the_nb201_optimum_far_faster_than_random_search(cifar10, c10_mean) -> None:
    """Random search without replacement needs (15,625 + 1) / 2 = 7,813 samples on average."""
    found = [samples_to_optimum(make("lanas", cifar10.space, seed), c10_mean,
                                cifar10.optimum_value, 800) for seed in range(8)]
    assert np.median(found) < 7813 / 20


def test_lanas_on_a_user_space_finds_the_single_best_architecture(toy_space, toy_objective):
    """The Hamming distance to a target is linear in one-hot features: few leaves suffice."""
    found = [samples_to_optimum(make("lanas", toy_space, seed), toy_objective, 0.0, 3000)
             for seed in range(4)]
    assert max(found) < 6561 / 2 / 5


def test_exact_sampling_never_repeats_until_the_space_is_exhausted() -> None:
    space = CategoricalSpace("tiny", ["a", "b", "c"], ["x", "y", "z"])
    strategy = make("lanas", space, n_init=3, select=2)
    seen = []
    for _ in range(27):
        arch = strategy.ask(1)[0]
        seen.append(arch)
        strategy.tell([(arch, float(sum(arch.ops)))])
    assert len(set(seen)) == 27
    assert strategy.ask(3)[0] in seen  # exhausted: uniform samples again


def test_rejection_sampling_on_a_large_space_measures_its_acceptance_rate() -> None:
    space = CategoricalSpace("big", [f"p{i}" for i in range(30)], ["a", "b", "c", "d"])
    target = np.arange(30) % 4
    strategy = make("lanas", space, seed=3)  # 4^30 architectures: 'auto' samples by rejection
    seen = []
    for _ in range(120):
        arch = strategy.ask(1)[0]
        seen.append(arch)
        strategy.tell([(arch, float(np.sum(np.array(arch.ops) != target)))])
    assert len(set(seen)) == 120
    stats = strategy.sampling_stats()
    assert stats["draws"] > 0 and 0 < stats["acceptance_rate"] <= 1
    assert stats["walks"] > 0  # good leaves are small: the walk inside them finds the samples
    values = [float(np.sum(np.array(a.ops) != target)) for a in seen]
    assert np.mean(values[-40:]) < np.mean(values[:20]) - 3  # the learned regions are better
    with pytest.raises(ConfigError, match="sampler 'exact' needs a space of at most"):
        make("lanas", space, sampler="exact")


def test_forced_rejection_agrees_with_exact_on_which_leaf_it_samples(toy_space, toy_objective):
    strategy = make("lanas", toy_space, seed=2, sampler="rejection")
    rng = np.random.default_rng(0)
    for _ in range(60):
        archs = strategy.ask(1)
        strategy.tell([toy_objective.evaluate(a, rng) for a in archs])
    assert strategy.tree is not None and len(strategy.tree.leaves()) > 1
    assert strategy.sampling_stats()["acceptance_rate"] > 0


def test_the_regression_tree_always_samples_the_leftmost_leaf_with_room(cifar10, c10_mean):
    strategy = make("lanas-rt", cifar10.space, seed=1)
    rng = np.random.default_rng(0)
    for _ in range(40):
        strategy.tell([c10_mean.evaluate(a, rng) for a in strategy.ask(1)])
    arch = strategy.ask(1)[0]  # relearns first: 10 results came in since the last time
    tree = strategy.tree
    leaf = tree.leaf_of(strategy.features.encode(arch))
    had_room = [j for j in tree.leaves() if strategy._room[j] or j == leaf]
    assert len(tree.leaves()) > 2 and leaf == had_room[0]
    assert "cp" not in STRATEGIES.get("lanas-rt").hyperparameters


def test_a_batch_spreads_over_the_tree_by_virtual_visits(cifar10, c10_mean) -> None:
    strategy = make("lanas", cifar10.space, seed=0, cp=1.0)
    rng = np.random.default_rng(0)
    for _ in range(30):
        strategy.tell([c10_mean.evaluate(a, rng) for a in strategy.ask(1)])
    batch = strategy.ask(16)
    leaves = {strategy.tree.leaf_of(strategy.features.encode(a)) for a in batch}
    assert len(set(batch)) == 16 and len(leaves) > 1
    strategy.tell([c10_mean.evaluate(a, rng) for a in reversed(batch)])
    assert not strategy._virtual.any()


def test_failed_evaluations_neither_train_nor_visit(toy_space) -> None:
    strategy = make("lanas", toy_space, n_init=4)
    archs = strategy.ask(6)
    strategy.tell([(a, math.nan if i % 2 else float(i)) for i, a in enumerate(archs)])
    assert len(strategy._values) == 3
    nxt = strategy.ask(1)[0]
    assert nxt not in archs and strategy.tree.counts[0] == 3
