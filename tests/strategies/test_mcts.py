"""MCTS over fixed action spaces (seed 002, sections 2 and 4.2): paths, UCT, no repeats."""

from __future__ import annotations

import math

import numpy as np
import pytest

from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.spaces import CategoricalSpace, RestrictedSpace
from naslab.strategies import STRATEGIES
from naslab.strategies.mcts import MAX_ARCHITECTURES, FixedActionMCTS

VARIANTS = ["mcts-sequential", "mcts-global"]


def make(name: str, space, seed: int = 0, **params) -> FixedActionMCTS:
    strategy = STRATEGIES.get(name)(space, np.random.default_rng(seed), **params)
    assert isinstance(strategy, FixedActionMCTS)
    return strategy


@pytest.fixture(scope="module")
def cube() -> CategoricalSpace:
    """3 positions x 3 choices: 27 architectures, small enough to exhaust."""
    return CategoricalSpace("cube", ["x", "y", "z"], ["a", "b", "c"])


def test_sequential_path_is_the_positions_in_order(nb201) -> None:
    strategy = make("mcts-sequential", nb201)
    arch = nb201.parse("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|"
                       "nor_conv_1x1~2|")
    assert strategy.path(arch) == arch.ops == (3, 0, 1, 4, 0, 2)


def test_global_path_starts_with_the_op_counts(nb201, graph) -> None:
    arch = nb201.parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|"
                       "nor_conv_3x3~2|")
    path = make("mcts-global", nb201).path(arch)
    assert path[0] == (2, 0, 0, 3, 1)  # none x2, conv3x3 x3, avg_pool x1
    assert path[1:] == arch.ops
    # a graph cell: counts over its 'ops' group only, then the wiring position by position
    cell = graph.make([0, 2, 1, 2, 0, 3, 2, 0])
    path = make("mcts-global", graph).path(cell)
    assert path[0] == (1, 0, 2, 1) and path[1:] == cell.ops


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("batch", [1, 4, 27])
def test_every_architecture_once_before_any_repeat_then_uniform(
    name, batch, cube, hamming, drive
) -> None:
    strategy = make(name, cube, seed=batch)
    archs = drive(strategy, hamming(cube, (0, 1, 2)), 27, batch=batch)
    assert sorted(archs, key=lambda a: a.ops) == cube.all()
    assert strategy.root.remaining == 0 and strategy.root.visits == 27
    later = drive(strategy, hamming(cube, (0, 1, 2)), 60)
    assert all(cube.contains(a) for a in later)
    assert len(set(later)) > 15  # uniform samples, not a fixed answer


@pytest.mark.parametrize("name", VARIANTS)
def test_an_exhausted_subtree_is_skipped_even_when_it_is_the_best(name, cube) -> None:
    strategy = make(name, cube, seed=3)
    # every architecture with x = a was queried elsewhere (a warm start) and is excellent
    strategy.tell([(a, 0.0) for a in cube.all() if a.ops[0] == 0])
    assert strategy.root.remaining == 18
    first = strategy.ask(2)  # the two unvisited root children, expanded first
    strategy.tell([(a, 10.0) for a in first])
    if name == "mcts-sequential":  # x = a is a root child: UCB's favourite, but exhausted
        best = max(strategy.root.children, key=lambda c: c.reward_sum / max(c.results, 1))
        assert best.results == 9 and best.remaining == 0
    asked = first + strategy.ask(16)
    assert len(set(asked)) == 18 and all(a.ops[0] != 0 for a in asked)


def test_ucb_follows_the_better_child_once_every_child_is_visited(hamming) -> None:
    space = CategoricalSpace("pair", ["x", "y"], ["a", "b", "c"])
    strategy = make("mcts-sequential", space, seed=0)
    first = strategy.ask(3)
    assert sorted(a.ops[0] for a in first) == [0, 1, 2]  # each root child expanded once
    strategy.tell([(a, 1.0 if a.ops[0] == 2 else 50.0) for a in first])
    # x = c has the best mean; its two unqueried architectures come next
    assert [a.ops[0] for a in strategy.ask(2)] == [2, 2]


@pytest.mark.parametrize("name", VARIANTS)
def test_a_batch_spreads_out_and_results_may_come_back_in_any_order(name, cube) -> None:
    strategy = make(name, cube, seed=5)
    batch = strategy.ask(9)
    assert len(set(batch)) == 9
    assert strategy.root.visits == 9  # pending proposals count as (virtual) visits
    strategy.tell([(a, float(sum(a.ops))) for a in reversed(batch)])
    assert strategy.root.visits == 9 and strategy.root.results == 9  # no second visit
    assert strategy.root.reward_sum == -sum(sum(a.ops) for a in batch)


@pytest.mark.parametrize("name", VARIANTS)
def test_a_failed_evaluation_is_a_visit_without_reward(name, cube) -> None:
    strategy = make(name, cube, seed=1)
    a, b = strategy.ask(2)
    strategy.tell([Observation(a, math.inf), Observation(b, math.nan)])
    assert strategy.root.visits == 2 and strategy.root.results == 0
    assert strategy.recommend() is None
    archs = strategy.ask(25)
    assert len(set(archs) | {a, b}) == 27  # still never a repeat


@pytest.fixture(scope="module")
def top_tenth_percent(nb201, cifar10) -> set:
    return {a for a in nb201.all() if cifar10.percentile(a) < 0.1}


@pytest.mark.parametrize("name", VARIANTS)
def test_finds_a_top_architecture_much_faster_than_random_search(
    name, nb201, c10_mean, top_tenth_percent
) -> None:
    """Queries to a top-0.1% cell (16 of 15,625) over 10 seeds: random search without
    replacement needs (N + 1) / (K + 1) = 919 on average; both trees need well under 60 %.

    (At top 1 % mcts-global is no faster than random search: the root's 210 count vectors
    are each expanded once, uniformly, before UCB chooses among them.)
    """
    expected_random = (len(nb201) + 1) / (len(top_tenth_percent) + 1)
    needed = []
    for seed in range(10):
        strategy = make(name, nb201, seed=seed)
        rng = np.random.default_rng(seed)
        query = 0
        while query < 2000:
            query += 1
            (arch,) = strategy.ask()
            strategy.tell([c10_mean.evaluate(arch, rng)])
            if arch in top_tenth_percent:
                break
        needed.append(query)
    assert np.mean(needed) < 0.6 * expected_random


def test_global_refuses_a_space_without_an_op_count_group(chain) -> None:
    with pytest.raises(ConfigError) as info:
        make("mcts-global", chain)
    message = str(info.value)
    assert "'chain'" in message and "use mcts-sequential" in message and "\n" not in message
    assert make("mcts-sequential", chain).root.remaining == len(chain)


@pytest.mark.parametrize("name", VARIANTS)
def test_a_space_too_large_to_enumerate_is_refused(name) -> None:
    big = CategoricalSpace("big", [f"p{i}" for i in range(18)], ["a", "b"])  # 262,144
    assert len(big) > MAX_ARCHITECTURES
    with pytest.raises(ConfigError) as info:
        make(name, big)
    message = str(info.value)
    assert "'big'" in message and "262,144" in message and f"{MAX_ARCHITECTURES:,}" in message
    assert "\n" not in message


def test_a_space_that_cannot_list_its_architectures_is_refused(cube) -> None:
    class Unlisted(CategoricalSpace):
        all = None  # type: ignore[assignment]

    with pytest.raises(ConfigError, match="'unlisted' cannot list them"):
        make("mcts-sequential", Unlisted("unlisted", ["x", "y"], ["a", "b"]))


@pytest.mark.parametrize("name", VARIANTS)
def test_a_user_table_yields_only_its_members(name, cube, hamming, drive) -> None:
    members = [a for a in cube.all() if sum(a.ops) % 3 == 0]  # 9 rows
    table = RestrictedSpace(cube, members)
    strategy = make(name, table, seed=2)
    archs = drive(strategy, hamming(table, (2, 2, 2)), 9, batch=2)
    assert sorted(archs, key=lambda a: a.ops) == members
    assert all(table.contains(a) for a in drive(strategy, hamming(table, (2, 2, 2)), 20))


@pytest.mark.parametrize("name", VARIANTS)
def test_same_seed_and_tells_give_the_same_proposals(name, toy_space, toy_objective) -> None:
    def run(seed: int) -> list[str]:
        strategy = make(name, toy_space, seed=seed)
        out = []
        for step in range(25):
            archs = strategy.ask(1 + step % 3)
            values = [toy_objective.value(a) if step % 5 else math.inf for a in archs]
            strategy.tell(list(zip(archs[::-1], values[::-1], strict=True)))
            out += [str(a) for a in archs]
        return out

    assert run(4) == run(4) and run(4) != run(5)
