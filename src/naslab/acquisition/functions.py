"""Acquisition functions: how much a surrogate's prediction is worth querying (higher is better).

Seed 004 ('Acquisition Functions for Bayesian Optimization', Brochu et al.'s
tutorial and Snoek et al. '12) defines them for maximisation; naslab minimises,
so improvement is ``incumbent - f(x)`` and the confidence bound is the lower
one. Every function takes a :class:`~naslab.surrogates.base.Prediction` and an
:class:`AcquisitionContext` and returns one score per point, integrated (averaged)
over the rows of a fully Bayesian prediction (seed 004, 'integrated acquisition
function').

* EI, expected improvement (Mockus '78) with Lizotte's trade-off ``xi >= 0``;
* PI, probability of improvement (Kushner '64) with the same ``xi``;
* UCB, the confidence bound ``mu - kappa * sigma`` with a fixed ``kappa``, or
  GP-UCB (Srinivas '10) with ``kappa_t = sqrt(nu * tau_t)``,
  ``tau_t = 2 log(t^(d/2 + 2) pi^2 / (3 delta))``, nu = 1;
* TS, independent Thompson sampling: one draw from each point's marginal, as
  BANANAS does with its ensemble's mean and spread.

Under noisy observations the incumbent is the best posterior mean at the
evaluated points, not the best (lucky) observation (seed 004, 'Noisy observation').
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import ndtr

from naslab.registry import Registry
from naslab.surrogates.base import Prediction

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class AcquisitionContext:
    """What an acquisition needs besides the prediction.

    ``incumbent``: the value to improve on, one per prediction row (shape ``(m,)``)
    or a scalar; ``iteration``: 1-based BO iteration (GP-UCB's ``t``); ``dim``: the
    encoding's dimension (GP-UCB's ``d``); ``rng``: for Thompson sampling.
    """

    incumbent: np.ndarray | float
    iteration: int
    dim: int
    rng: np.random.Generator


class Acquisition(Protocol):
    def __call__(self, prediction: Prediction, context: AcquisitionContext) -> np.ndarray: ...


def _rows(prediction: Prediction, context: AcquisitionContext) -> tuple[np.ndarray, ...]:
    """Means, standard deviations and incumbents broadcast to ``(m, n)`` / ``(m, 1)``."""
    rows = prediction.rows()
    incumbent = np.broadcast_to(np.asarray(context.incumbent, dtype=float), (rows.mean.shape[0],))
    return rows.mean, rows.std, incumbent[:, None]


def _improvement(
    prediction: Prediction, context: AcquisitionContext, xi: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EI's and PI's common part: ``gain = f+ - mu - xi``, sigma and ``z = gain / sigma``
    (0 where sigma is 0, where both fall back to the sign of the gain)."""
    mean, std, incumbent = _rows(prediction, context)
    gain = incumbent - mean - xi
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(std > 0, gain / std, 0.0)
    return gain, std, z


@dataclass(frozen=True)
class ExpectedImprovement:
    """EI(x) = (f+ - mu - xi) Phi(z) + sigma phi(z), z = (f+ - mu - xi) / sigma (Mockus '78)."""

    xi: float = 0.01

    def __call__(self, prediction: Prediction, context: AcquisitionContext) -> np.ndarray:
        gain, std, z = _improvement(prediction, context, self.xi)
        ei = np.where(
            std > 0,
            gain * ndtr(z) + std * _INV_SQRT_2PI * np.exp(-0.5 * z * z),
            np.maximum(gain, 0.0),
        )
        return ei.mean(axis=0)


@dataclass(frozen=True)
class ProbabilityOfImprovement:
    """PI(x) = Phi((f+ - mu - xi) / sigma) (Kushner '64 with Lizotte's trade-off xi)."""

    xi: float = 0.01

    def __call__(self, prediction: Prediction, context: AcquisitionContext) -> np.ndarray:
        gain, std, z = _improvement(prediction, context, self.xi)
        return np.where(std > 0, ndtr(z), gain > 0).astype(float).mean(axis=0)


@dataclass(frozen=True)
class ConfidenceBound:
    """-(mu - kappa * sigma): the lower confidence bound, negated so higher is better.

    ``kappa=None`` is GP-UCB: ``kappa_t = sqrt(nu * tau_t)`` with the schedule of
    :func:`gp_ucb_tau` (Srinivas '10, as seed 004 states it; nu = 1, delta = 0.1).
    """

    kappa: float | None = None
    nu: float = 1.0
    delta: float = 0.1

    def kappa_at(self, iteration: int, dim: int) -> float:
        if self.kappa is not None:
            return self.kappa
        return math.sqrt(self.nu * gp_ucb_tau(iteration, dim, self.delta))

    def __call__(self, prediction: Prediction, context: AcquisitionContext) -> np.ndarray:
        mean, std, _ = _rows(prediction, context)
        kappa = self.kappa_at(context.iteration, context.dim)
        return (kappa * std - mean).mean(axis=0)


@dataclass(frozen=True)
class ThompsonSampling:
    """Independent Thompson sampling: one draw per point from N(mu, sigma^2), negated.

    BANANAS's 'ITS' acquisition; for a fully Bayesian prediction each point draws
    from a uniformly chosen hyperparameter sample's marginal.
    """

    def __call__(self, prediction: Prediction, context: AcquisitionContext) -> np.ndarray:
        mean, std, _ = _rows(prediction, context)
        n = mean.shape[1]
        row = context.rng.integers(mean.shape[0], size=n)
        columns = np.arange(n)
        draw = mean[row, columns] + std[row, columns] * context.rng.standard_normal(n)
        return -draw


def gp_ucb_tau(iteration: int, dim: int, delta: float = 0.1) -> float:
    """GP-UCB's ``tau_t = 2 log(t^(d/2 + 2) pi^2 / (3 delta))`` (Srinivas '10, via seed 004)."""
    if iteration < 1 or dim < 1 or not 0 < delta < 1:
        raise ValueError(f"gp_ucb_tau needs t >= 1, d >= 1, 0 < delta < 1; got {iteration}, "
                         f"{dim}, {delta}")
    return 2.0 * ((dim / 2 + 2) * math.log(iteration) + math.log(math.pi**2 / (3 * delta)))


def select_batch(scores: np.ndarray, q: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``q`` best-scoring allowed points, best first (ties: lower index).

    The sample-based acquisition optimiser extends to batches by taking the top q
    candidates (seed 000, appendix A.1).
    """
    scores = np.asarray(scores, dtype=float)
    masked = np.where(np.isnan(scores), -np.inf, scores)
    if allowed is not None:
        masked = np.where(allowed, masked, -np.inf)
    q = min(q, int(np.count_nonzero(masked > -np.inf)))
    if q <= 0:
        return np.empty(0, dtype=np.int64)
    top = np.argpartition(-masked, q - 1)[:q] if q < len(masked) else np.arange(len(masked))
    return top[np.lexsort((top, -masked[top]))]


#: Acquisition functions by name, each built from its keyword arguments.
ACQUISITIONS: Registry[type] = Registry("acquisition function")
ACQUISITIONS.register("ei", "expected improvement (Mockus '78), trade-off xi")(ExpectedImprovement)
ACQUISITIONS.register("pi", "probability of improvement (Kushner '64), trade-off xi")(
    ProbabilityOfImprovement
)
ACQUISITIONS.register("ucb", "GP-UCB (Srinivas '10) or a fixed-kappa confidence bound")(
    ConfidenceBound
)
ACQUISITIONS.register("ts", "independent Thompson sampling (BANANAS's ITS)")(ThompsonSampling)
