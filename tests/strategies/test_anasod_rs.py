"""ANASOD-RS and biased RS: the Dirichlet they draw from, by the numbers (seed 000, eq. 3)."""

from __future__ import annotations

import numpy as np
import pytest

from naslab.encodings import OpDistEncoding
from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.strategies import STRATEGIES

ALL_CONV3 = (3, 3, 3, 3, 3, 3)  # nor_conv_3x3 on every edge: op counts [0, 0, 0, 6, 0]
MIXED = (1, 3, 2, 3, 1, 3)  # op counts [0, 2, 1, 3, 0]


def biased(nb201, budget=300, seed=0):
    rng = np.random.default_rng(seed)
    return STRATEGIES.get("anasod-biased-rs")(nb201, rng, max_queries=budget)


def op_fractions(nb201, archs) -> np.ndarray:
    enc = OpDistEncoding(nb201)
    return np.mean([enc.encode(a) for a in archs], axis=0)


def test_beta_is_linear_from_0_to_beta_max_over_the_budget(nb201) -> None:
    strategy = biased(nb201, budget=300)
    assert strategy.beta_max == 2.0 and strategy.n_init == 10
    assert [strategy.beta(t) for t in (0, 75, 150, 300, 450)] == [0.0, 0.5, 1.0, 2.0, 2.0]


def test_biased_rs_needs_the_budget(nb201) -> None:
    with pytest.raises(ConfigError, match="max_queries"):
        STRATEGIES.get("anasod-biased-rs")(nb201, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="beta_max"):
        STRATEGIES.get("anasod-biased-rs")(nb201, np.random.default_rng(0), max_queries=5,
                                           beta_max=-1.0)
    STRATEGIES.get("anasod-rs")(nb201, np.random.default_rng(0))  # hyperparameter free


def test_concentration_follows_the_best_encoding_and_the_schedule(nb201) -> None:
    strategy = biased(nb201, budget=300)
    assert strategy.concentration(200).tolist() == [1.0] * 5  # nothing told yet
    strategy.tell([Observation(nb201.make(MIXED), 9.0)])  # counts [0, 2, 1, 3, 0]
    strategy.tell([Observation(nb201.make(ALL_CONV3), 12.0)])  # worse: p* stays
    assert strategy.concentration(9).tolist() == [1.0] * 5  # the 10 random starts
    # alpha = k * beta_t * p* + 1 with k = 5, p* = [0, 2, 1, 3, 0] / 6
    np.testing.assert_allclose(strategy.concentration(300), [1, 1 + 20 / 6, 1 + 10 / 6, 6, 1])
    np.testing.assert_allclose(strategy.concentration(150), [1, 1 + 10 / 6, 1 + 5 / 6, 3.5, 1])
    strategy.tell([Observation(nb201.make(ALL_CONV3), 8.0)])  # now the best
    np.testing.assert_allclose(strategy.concentration(300), [1, 1, 1, 11, 1])


def test_late_proposals_concentrate_around_the_best_encoding(nb201) -> None:
    strategy = biased(nb201, budget=300)
    strategy.tell([Observation(nb201.make(ALL_CONV3), 8.0)])
    early = strategy.ask(60)  # t = 0..59: beta <= 0.4
    strategy.ask(240)
    late = strategy.ask(2000)  # t >= 300: alpha = [1, 1, 1, 11, 1], mean 11/15 on conv3x3
    assert op_fractions(nb201, early)[3] < 0.35
    assert 0.68 < op_fractions(nb201, late)[3] < 0.79


def test_anasod_rs_draws_op_fractions_uniform_on_the_simplex(nb201) -> None:
    strategy = STRATEGIES.get("anasod-rs")(nb201, np.random.default_rng(4), max_queries=100)
    strategy.tell([Observation(nb201.make(ALL_CONV3), 1.0)])  # ignored: ANASOD-RS learns nothing
    archs = strategy.ask(3000)
    np.testing.assert_allclose(op_fractions(nb201, archs), 0.2, atol=0.015)
    counts = np.array([OpDistEncoding(nb201).counts(a) for a in archs])
    # Uniform on the simplex, not over architectures: one op on >= 4 of the 6 edges has
    # probability 16.5% (Monte Carlo), against 5 * 265 / 15625 = 8.5% for uniform archs.
    assert 0.13 < (counts.max(axis=1) >= 4).mean() < 0.20


def test_biased_rs_without_bias_is_anasod_rs(nb201) -> None:
    plain = STRATEGIES.get("anasod-rs")(nb201, np.random.default_rng(2))
    unbiased = STRATEGIES.get("anasod-biased-rs")(nb201, np.random.default_rng(2), max_queries=50,
                                                  beta_max=0)
    for strategy in (plain, unbiased):
        strategy.tell([Observation(nb201.make(ALL_CONV3), 1.0)])
    assert plain.ask(50) == unbiased.ask(50)
