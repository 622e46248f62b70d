"""Declared hyperparameters and needs: one set of checks for the constructor and the config."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.errors import ConfigError
from naslab.spaces.base import Architecture
from naslab.strategies import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Integer, Real, query_budget


class Walker(Strategy):
    """A test strategy declaring one parameter of each kind and a need."""

    steps = Integer(4, low=1, high=9, origin="Walker et al.")
    scale = Real(0.5, low=0)
    needs = (query_budget("it walks max_queries steps"),)

    def ask(self, n: int = 1) -> list[Architecture]:
        return [self.space.sample(self.rng) for _ in range(n)]


class FixedWalker(Walker):
    """Fixes ``scale`` to a plain value: it is no hyperparameter of this class."""

    scale = 2.0  # type: ignore[assignment]


def walker(nb201, **params) -> Walker:
    return Walker(nb201, np.random.default_rng(0), max_queries=10, **params)


@pytest.mark.parametrize(
    ("param", "value", "allowed"),
    [
        (Integer(3, low=1), 2.5, "an integer >= 1"),
        (Integer(3, low=1), "3", "an integer >= 1"),
        (Integer(3, low=1), True, "an integer >= 1"),
        (Integer(3, low=1), 0, "an integer >= 1"),
        (Integer(3, high=5), 6, "an integer <= 5"),
        (Integer(3, low=1, high=5), None, "an integer in [1, 5]"),
        (Real(2.0, low=0), "big", "a finite number >= 0"),
        (Real(2.0, low=0), -0.1, "a finite number >= 0"),
        (Real(2.0), float("nan"), "a finite number"),
        (Real(2.0), float("inf"), "a finite number"),
        (Real(2.0), [1, 2], "a finite number"),
    ],
)
def test_wrong_values_are_refused_saying_what_is_allowed(param, value, allowed) -> None:
    with pytest.raises(ValueError) as info:
        param.validate(value)
    assert str(info.value).endswith(f"must be {allowed} (the paper uses {param.default!r}), "
                                    f"got {value!r}")


def test_values_are_converted_to_the_declared_type() -> None:
    assert Real(2.0).validate(3) == 3.0 and type(Real(2.0).validate(3)) is float
    assert type(Integer(3).validate(np.int64(7))) is int
    assert Integer(3, low=1, high=5).validate(5) == 5  # bounds are inclusive


def test_a_huge_bad_value_is_quoted_in_part() -> None:
    with pytest.raises(ValueError) as info:
        Integer(3).validate(list(range(10_000)))
    assert len(str(info.value)) < 200


def test_a_bad_default_fails_when_the_class_is_made() -> None:
    with pytest.raises(ValueError, match="n must be an integer >= 1"):

        class Broken(Strategy):  # noqa: F841 - defining it is the test
            n = Integer(0, low=1)

            def ask(self, n: int = 1) -> list[Architecture]:
                return []


def test_declarations_are_collected_and_inherited() -> None:
    assert list(Walker.hyperparameters) == ["steps", "scale"]
    assert Walker.steps is Walker.hyperparameters["steps"]  # read on the class: the declaration
    assert list(FixedWalker.hyperparameters) == ["steps"]
    assert list(Strategy.hyperparameters) == []


def test_the_constructor_fills_defaults_and_converts(nb201) -> None:
    strategy = walker(nb201, scale=1)
    assert (strategy.steps, strategy.scale) == (4, 1.0) and type(strategy.scale) is float
    assert vars(strategy)["steps"] == 4  # a plain attribute: no descriptor cost per read
    fixed = FixedWalker(nb201, np.random.default_rng(0), max_queries=10)
    assert fixed.scale == 2.0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"steps": 0},
         "strategy 'Walker': steps must be an integer in [1, 9] (Walker et al. uses 4), got 0"),
        ({"scale": "big"},
         "strategy 'Walker': scale must be a finite number >= 0 (the paper uses 0.5), got 'big'"),
        ({"stpes": 3, "x": 1},
         "strategy 'Walker' takes no argument(s) 'stpes', 'x'; valid: steps, scale"),
    ],
)
def test_the_constructor_raises_one_line_config_errors(nb201, params, message) -> None:
    with pytest.raises(ConfigError) as info:
        walker(nb201, **params)
    assert str(info.value) == message


def test_needs_are_checked_by_the_constructor(nb201) -> None:
    for budget in (None, 0):
        with pytest.raises(ConfigError) as info:
            Walker(nb201, np.random.default_rng(0), max_queries=budget)
        assert str(info.value) == (
            "strategy 'Walker' needs a query budget (it walks max_queries steps); "
            "set max_queries (--queries N), or leave the strategy out"
        )
    FixedWalker.check_needs(1)


def test_errors_name_the_registered_strategy(nb201) -> None:
    with pytest.raises(ConfigError, match="^strategy 're': population_size must be an integer"):
        STRATEGIES.get("re")(nb201, np.random.default_rng(0), population_size=-5)

