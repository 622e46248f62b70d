"""The surrogate contract: fit on encoded architectures, predict a mean and a variance.

Shaped like scikit-learn's estimators (``fit`` returns the fitted surrogate; the
constructor only stores settings) and BoTorch's model -> posterior split: a
surrogate predicts, an acquisition function (:mod:`naslab.acquisition`) scores
that prediction. Every surrogate passes one shared check suite
(``tests/surrogates/test_contract.py``).

Values are minimised, as everywhere in naslab. A surrogate models the targets it
is given; transforming them (e.g. log) is the caller's choice, and predictions
come back in the units of the targets it was fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Prediction:
    """Predictive means and variances at ``n`` points.

    Shape ``(n,)``, or ``(m, n)`` for ``m`` posterior samples of the model's own
    hyperparameters (a fully Bayesian GP): acquisition functions are then
    integrated over the ``m`` rows (seed 004, Snoek et al. '12, 'integrated
    acquisition function').
    """

    mean: np.ndarray
    variance: np.ndarray

    def __post_init__(self) -> None:
        if self.mean.shape != self.variance.shape or self.mean.ndim not in (1, 2):
            raise ValueError(
                f"a prediction has equal (n,) or (m, n) shapes, got mean {self.mean.shape} "
                f"and variance {self.variance.shape}"
            )

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(np.maximum(self.variance, 0.0))

    def rows(self) -> Prediction:
        """The same prediction as ``(m, n)``: one row per hyperparameter sample."""
        if self.mean.ndim == 2:
            return self
        return Prediction(self.mean[None], self.variance[None])

    def marginal_mean(self) -> np.ndarray:
        """The mean over hyperparameter samples, shape ``(n,)``."""
        return self.mean if self.mean.ndim == 1 else self.mean.mean(axis=0)


@runtime_checkable
class Surrogate(Protocol):
    """A regression model with predictive uncertainty over encoded architectures."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> Surrogate:
        """Fit on ``X`` (n, d) and targets ``y`` (n,); returns ``self``.

        Repeated rows are allowed (the same architecture evaluated twice under noise).
        """
        ...

    def predict(self, X: np.ndarray) -> Prediction:
        """Predictive mean and variance of the targets at ``X`` (n, d)."""
        ...
