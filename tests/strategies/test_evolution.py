"""Regularised evolution: aging population, tournament, mutation of the winner."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.errors import ConfigError
from naslab.strategies import STRATEGIES


def make(space, seed=0, **params):
    return STRATEGIES.get("re")(space, np.random.default_rng(seed), **params)


def edit_distance(a, b) -> int:
    return sum(x != y for x, y in zip(a.ops, b.ops, strict=True))


def test_nb201_defaults_and_validation(nb201) -> None:
    strategy = make(nb201)
    assert (strategy.population_size, strategy.sample_size) == (10, 3)
    with pytest.raises(ConfigError, match="population_size"):
        make(nb201, population_size=0)


def test_population_keeps_the_last_p_results_oldest_first(nb201, c10_mean) -> None:
    strategy = make(nb201, seed=1)
    rng = np.random.default_rng(1)
    told = []
    for step in range(25):
        (arch,) = strategy.ask(1)
        obs = c10_mean.evaluate(arch, rng)
        strategy.tell([obs])
        told.append(obs)
        assert len(strategy.population) == min(step + 1, 10)
        assert all(a is b for a, b in zip(strategy.population, told[-10:], strict=True))
        if step >= 10:  # the oldest left when the child joined
            assert all(o is not told[step - 10] for o in strategy.population)


def test_children_mutate_a_population_member_once_it_is_full(nb201, c10_mean) -> None:
    strategy = make(nb201, seed=2)
    rng = np.random.default_rng(2)
    for step in range(60):
        members = [o.arch for o in strategy.population]
        (arch,) = strategy.ask(1)
        if step >= 10:
            assert any(edit_distance(arch, m) == 1 for m in members)
        strategy.tell([c10_mean.evaluate(arch, rng)])


def test_the_tournament_winner_is_the_lowest_value_sampled(nb201, c10_mean) -> None:
    # With 300 draws from 10 members the tournament all but surely holds the best one.
    strategy = make(nb201, seed=3, sample_size=300)
    rng = np.random.default_rng(3)
    for step in range(40):
        population = strategy.population
        (arch,) = strategy.ask(1)
        if step >= 10:
            winner = min(population, key=lambda o: o.value).arch
            assert edit_distance(arch, winner) == 1
        strategy.tell([c10_mean.evaluate(arch, rng)])


def test_asks_beyond_the_random_start_are_uniform_until_it_is_told(nb201, c10_mean) -> None:
    strategy = make(nb201, seed=4)
    start = strategy.ask(10)
    extra = strategy.ask(5)  # the population is still being evaluated
    rng = np.random.default_rng(4)
    strategy.tell([c10_mean.evaluate(a, rng) for a in start + extra])
    assert [o.arch for o in strategy.population] == (start + extra)[-10:]
