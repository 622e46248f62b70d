"""Local search: full neighbourhoods, no repeated queries, restarts at local optima."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.errors import ConfigError
from naslab.strategies import STRATEGIES

T = (0, 0, 0, 0, 0, 0)  # global optimum of the two-basin objective
L = (1, 1, 1, 1, 1, 1)  # local optimum, edit distance 6 from T


def make(space, seed=0, **params):
    return STRATEGIES.get("ls")(space, np.random.default_rng(seed), **params)


def two_basins(hamming, nb201):
    """min(d(a, T), d(a, L) + 0.5): T and L are the only local optima (L one of value 0.5)."""
    to_t, to_l = hamming(nb201, T), hamming(nb201, L)
    return hamming(nb201, T, lambda a: min(to_t.distance(a), to_l.distance(a) + 0.5))


def test_queries_the_full_neighbourhood_of_the_best_start(nb201, c10_mean, drive) -> None:
    strategy = make(nb201, seed=0)
    start = drive(strategy, c10_mean, 10)
    best = min(start, key=lambda a: c10_mean.evaluate(a, None).value)
    expected = set(nb201.neighbours(best)) - set(start)
    assert len(expected) == 24  # 6 edges x 4 other ops
    walk = drive(strategy, c10_mean, 24)
    assert set(walk) == expected
    assert walk != nb201.neighbours(best)  # random order, not the space's listing


def test_never_queries_an_architecture_twice(nb201, c10_mean, drive) -> None:
    strategy = make(nb201, seed=1)
    archs = drive(strategy, c10_mean, 300)
    assert len(set(archs)) == 300
    assert strategy.runs >= 2


def test_moves_to_the_best_neighbour_while_it_improves(nb201, hamming, drive) -> None:
    objective = two_basins(hamming, nb201)
    strategy = make(nb201, seed=2)
    drive(strategy, objective, 10)
    run = strategy.run
    path, neighbourhood = [run.current], []
    while not run.done:
        neighbourhood += drive(strategy, objective, 1)
        if run.current != path[-1]:  # a move: to the best of the neighbourhood just queried
            assert set(neighbourhood) <= set(nb201.neighbours(path[-1][1]))
            assert run.current[1] == min(neighbourhood, key=objective.value)
            path.append(run.current)
            neighbourhood = []
    values = [value for _, _, value in path]
    assert len(values) >= 3 and values == sorted(values, reverse=True)
    assert values[-1] in (0.0, 0.5)  # it stopped at T or L
    assert set(nb201.neighbours(path[-1][1])) <= strategy.queried  # after all its neighbours
    # ... skipping the 4 it shares with the previous incumbent (that one and the 3 other ops
    # on the edge the move changed), queried already
    assert 12 <= len(neighbourhood) <= 20


@pytest.mark.parametrize("seed", [3, 4])
def test_restarts_from_fresh_random_samples_at_a_local_optimum(
    nb201, hamming, drive, seed
) -> None:
    objective = two_basins(hamming, nb201)
    strategy = make(nb201, seed=seed)
    while strategy.runs < 2:
        first = strategy.run
        asked = drive(strategy, objective, 1, seed=seed)
    # The first run ended where no neighbour improves, all 24 of them queried.
    optimum = first.current[1]
    assert first.done and optimum.ops in (T, L)
    assert set(nb201.neighbours(optimum)) <= strategy.queried
    # The new run starts from 10 fresh random architectures, not from the old optimum.
    fresh = asked + drive(strategy, objective, 9, seed=seed)
    assert sum(edit_distance(a, optimum) <= 2 for a in fresh) <= 1
    assert strategy.run.current[1] == min(fresh, key=objective.value)
    drive(strategy, objective, 300 - len(strategy.history), seed=seed)
    assert strategy.best.value == 0.0  # T found, whichever basin came first


def edit_distance(a, b) -> int:
    return sum(x != y for x, y in zip(a.ops, b.ops, strict=True))


def test_batch_asks_fall_back_to_fresh_samples_that_do_not_steer_the_walk(
    nb201, hamming
) -> None:
    objective = hamming(nb201, T)
    strategy = make(nb201, seed=5)
    start = strategy.ask(10)
    extra = strategy.ask(5)  # the walk needs the start's results first
    assert len(set(start + extra)) == 15
    rng = np.random.default_rng(5)
    strategy.tell([objective.evaluate(a, rng) for a in extra + start])
    assert strategy.run.current[1] == min(start, key=objective.distance)


def test_n_init_is_validated(nb201) -> None:
    with pytest.raises(ConfigError, match="n_init"):
        make(nb201, n_init=0)
