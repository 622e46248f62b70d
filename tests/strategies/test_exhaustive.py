"""The exhaustive strategy: every architecture once, in one order, the same for every seed."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.errors import ConfigError
from naslab.spaces import ChainSpace, DartsSpace, RestrictedSpace
from naslab.strategies import STRATEGIES
from naslab.strategies.exhaustive import Exhaustive

TINY = ChainSpace(depths=(1, 2), kernels=(3,), channels=(4, 8), name="tiny-chain")


def make(space, seed: int, budget: int | None = None, **params) -> Exhaustive:
    return Exhaustive(space, np.random.default_rng(seed), max_queries=budget, **params)


def asked(strategy: Exhaustive, total: int, batch: int = 1) -> list[str]:
    out: list[str] = []
    while len(out) < total:
        archs = strategy.ask(min(batch, total - len(out)))
        strategy.tell([(a, float(i)) for i, a in enumerate(archs)])
        out += map(str, archs)
    return out


def test_registered() -> None:
    assert STRATEGIES.get("exhaustive") is Exhaustive


def test_every_architecture_once_in_the_enumeration_order_whatever_the_seed() -> None:
    everything = [str(a) for a in TINY.all()]
    assert len(everything) == len(TINY) == 6
    for seed in (0, 1, 12345):
        assert asked(make(TINY, seed, budget=6), 6) == everything
        assert asked(make(TINY, seed, budget=6), 6, batch=4) == everything  # batches alike


def test_asks_beyond_the_space_start_it_over() -> None:
    everything = [str(a) for a in TINY.all()]
    assert asked(make(TINY, 0), 15, batch=4) == everything * 2 + everything[:3]


def test_a_sample_is_the_same_for_every_seed_and_distinct() -> None:
    space = ChainSpace()  # LaNAS's 1,364 networks
    plans = [asked(make(space, seed, sample=40), 40, batch=3) for seed in (0, 1, 2)]
    assert plans[0] == plans[1] == plans[2]
    assert len(set(plans[0])) == 40 and all(space.contains(space.parse(a)) for a in plans[0])
    other = asked(make(space, 0, sample=40, sample_seed=1), 40)
    assert set(other) != set(plans[0])
    most = make(space, 0, sample=1300).plan  # most of the space: a permutation of its listing
    assert len(set(most)) == 1300


def test_a_budget_below_the_space_size_takes_a_uniform_sample_of_it() -> None:
    space = ChainSpace()
    plan = make(space, 3, budget=50).plan
    assert len(plan) == len(set(plan)) == 50
    assert plan == make(space, 4, budget=50).plan == make(space, 0, sample=50).plan
    depths = [a.op_names()[0] for a in plan]
    assert depths.count("5") > 25  # 1,024 of the 1,364 networks have depth 5: no prefix


def test_a_restricted_space_is_listed_in_its_rows_order() -> None:
    members = TINY.all()[::-1][:4]
    space = RestrictedSpace(TINY, members)
    assert list(make(space, 0).plan) == members


def test_what_cannot_be_planned_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError, match="sample 7 is more than the 6 architectures") as info:
        make(TINY, 0, sample=7)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="set sample = N"):
        make(DartsSpace(), 0)  # no budget and far too many architectures to list
    assert len(make(DartsSpace(), 0, sample=5).plan) == 5
    with pytest.raises(ConfigError, match="sample must be an integer >= 0"):
        make(TINY, 0, sample=-1)
