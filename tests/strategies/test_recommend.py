"""recommend(): what a strategy would return, and the forms tell() accepts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.spaces import CategoricalSpace
from naslab.strategies import STRATEGIES

SPACE = CategoricalSpace("few", ["a"], ["p", "q", "r", "s"])
ARCHS = SPACE.all()


def lowest_mean_first_seen(told: list[tuple[int, float]]) -> int | None:
    """The reference rule, by brute force: lowest mean value, ties to the first observed."""
    sums: dict[int, list[float]] = {}
    for arch, value in told:
        if np.isfinite(value):
            sums.setdefault(arch, []).append(value)
    if not sums:
        return None
    return min(sums, key=lambda a: (np.mean(sums[a]), list(sums).index(a)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3),
                          st.sampled_from([1.0, 2.0, 3.0, 2.5, float("nan")])), max_size=25))
def test_recommend_is_the_lowest_mean_observed_value(told):
    strategy = STRATEGIES.get("rs")(SPACE, np.random.default_rng(0))
    for step, (arch, value) in enumerate(told):
        strategy.tell(ARCHS[arch], value)
        expected = lowest_mean_first_seen(told[: step + 1])
        assert strategy.recommend() == (None if expected is None else ARCHS[expected])


def test_a_lucky_single_observation_does_not_win():
    strategy = STRATEGIES.get("rs")(SPACE, np.random.default_rng(0))
    strategy.tell([(ARCHS[0], 1.0), (ARCHS[1], 2.0), (ARCHS[0], 5.0)])
    assert strategy.best.arch == ARCHS[0] and strategy.recommend() == ARCHS[1]


def test_tell_accepts_observations_pairs_and_one_architecture():
    strategy = STRATEGIES.get("re")(SPACE, np.random.default_rng(0))
    strategy.tell(Observation(ARCHS[0], 3.0, cost=2.0))
    strategy.tell([(ARCHS[1], 2.0)])
    strategy.tell(ARCHS[2], 1.0, cost=4.0, metrics={"latency": 0.1})
    assert [o.value for o in strategy.history] == [3.0, 2.0, 1.0]
    assert strategy.history[2].cost == 4.0 and strategy.history[2].metrics == {"latency": 0.1}
    with pytest.raises(ConfigError, match="needs the value it scored"):
        strategy.tell(ARCHS[0])
    with pytest.raises(ConfigError, match="takes Observations or"):
        strategy.tell([ARCHS[0]])
