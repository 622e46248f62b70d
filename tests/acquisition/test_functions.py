"""Acquisition functions: closed forms checked against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from naslab.acquisition import (
    ACQUISITIONS,
    AcquisitionContext,
    ConfidenceBound,
    ExpectedImprovement,
    ProbabilityOfImprovement,
    ThompsonSampling,
    gp_ucb_tau,
    select_batch,
)
from naslab.surrogates import Prediction

MEAN = np.array([0.0, 1.0, -1.0, 0.5])
VAR = np.array([1.0, 0.0, 0.25, 4.0])


def context(incumbent=0.0, iteration=5, dim=3, seed=0) -> AcquisitionContext:
    return AcquisitionContext(incumbent, iteration, dim, np.random.default_rng(seed))


def test_expected_improvement_matches_the_closed_form() -> None:
    ei = ExpectedImprovement(xi=0.1)(Prediction(MEAN, VAR), context())
    std = np.sqrt(VAR)
    gain = 0.0 - MEAN - 0.1
    with np.errstate(divide="ignore", invalid="ignore"):
        z = gain / std
        expected = np.where(std > 0, gain * norm.cdf(z) + std * norm.pdf(z), np.maximum(gain, 0))
    np.testing.assert_allclose(ei, expected, rtol=1e-12)
    assert ei[1] == 0.0 and ei[2] > ei[0]  # no variance and worse: no improvement expected


def test_probability_of_improvement_and_its_trade_off() -> None:
    pi = ProbabilityOfImprovement(xi=0.0)(Prediction(MEAN, VAR), context())
    np.testing.assert_allclose(pi, [0.5, 0.0, norm.cdf(2.0), norm.cdf(-0.25)])
    greedier = ProbabilityOfImprovement(xi=0.5)(Prediction(MEAN, VAR), context())
    assert (greedier <= pi).all() and greedier[2] == pytest.approx(norm.cdf(1.0))


def test_gp_ucb_schedule_and_fixed_kappa() -> None:
    tau = gp_ucb_tau(10, 4, delta=0.1)
    assert tau == pytest.approx(2 * math.log(10 ** (4 / 2 + 2) * math.pi**2 / (3 * 0.1)))
    assert gp_ucb_tau(20, 4) > tau  # exploration grows with t
    scores = ConfidenceBound()(Prediction(MEAN, VAR), context(iteration=10, dim=4))
    np.testing.assert_allclose(scores, math.sqrt(tau) * np.sqrt(VAR) - MEAN)
    fixed = ConfidenceBound(kappa=2.0)(Prediction(MEAN, VAR), context())
    np.testing.assert_allclose(fixed, 2 * np.sqrt(VAR) - MEAN)
    with pytest.raises(ValueError, match="t >= 1"):
        gp_ucb_tau(0, 4)


def test_integrated_acquisition_averages_over_hyperparameter_samples() -> None:
    rows = Prediction(np.stack([MEAN, MEAN + 1]), np.stack([VAR, VAR]))
    ei = ExpectedImprovement()
    each = [ei(Prediction(MEAN, VAR), context(0.0)), ei(Prediction(MEAN + 1, VAR), context(1.0))]
    np.testing.assert_allclose(ei(rows, context(np.array([0.0, 1.0]))), np.mean(each, axis=0))


def test_thompson_sampling_draws_from_each_marginal() -> None:
    draws = np.array([ThompsonSampling()(Prediction(MEAN, VAR), context(seed=s))
                      for s in range(4000)])
    np.testing.assert_allclose(-draws.mean(axis=0), MEAN, atol=0.1)
    np.testing.assert_allclose(draws.var(axis=0), VAR, atol=0.3)
    assert (draws[:, 1] == -1.0).all()  # no variance: the mean itself


def test_select_batch_takes_the_best_allowed_points_in_order() -> None:
    scores = np.array([0.1, 0.9, np.nan, 0.9, 0.5])
    assert select_batch(scores, 3).tolist() == [1, 3, 4]
    allowed = np.array([True, False, True, True, True])
    assert select_batch(scores, 10, allowed).tolist() == [3, 4, 0]
    assert select_batch(scores, 0).tolist() == []


def test_registry_names_the_classic_functions() -> None:
    assert {"ei", "pi", "ucb", "ts"} <= set(ACQUISITIONS.names())
    assert ACQUISITIONS.get("EI") is ExpectedImprovement
