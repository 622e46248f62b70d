"""A fully Bayesian GP: the ANASOD-BO model with its hyperparameters sampled, not fitted.

Seed 004, Snoek et al. '12 'Treatment of Covariance Hyperparameters': rather
than a point estimate of the GP's hyperparameters (lengthscales, amplitude,
noise, constant mean), marginalise over them and use the 'integrated
acquisition function', a Monte Carlo average of the acquisition over samples
from their posterior. :meth:`BayesianGaussianProcess.predict` returns one row
per sample (an ``(m, n)`` :class:`~naslab.surrogates.base.Prediction`), and
every acquisition in :mod:`naslab.acquisition` averages over the rows.

The model is :class:`~naslab.surrogates.gp.GaussianProcess`'s (seed 000 appendix
A.1): Matern-5/2, inputs normalised to the unit cube, targets standardised, the
lengthscale in [0.01, 0.5], the outputscale in [0.5, 5], the noise variance in
[1e-6, 1e-1]. The prior is uniform in the logarithm of each of those boxes (so
the marginal-likelihood fit of gp.py is this posterior's mode) and uniform on
the constant mean over the standardised targets' range widened by one on each
side.

The sampler is slice sampling, as Snoek et al. did (Murray and Adams '10; Neal,
'Slice sampling', Ann. Statist. 2003): one univariate slice update per
hyperparameter per sweep, each started from the whole prior box and shrunk
(Neal's section 4: with a bounded support no stepping-out is needed), so it has
no step size to tune and always terminates. The chain starts at the marginal
likelihood maximum that gp.py finds, which is what makes a short burn-in
enough. Why not NUTS: BoTorch 0.18's fully Bayesian GPs run NUTS in NumPyro
(JAX), a heavy extra dependency, with SAAS / dimension-scaled priors rather
than the appendix-A.1 boxes, and NUTS's warm-up costs seconds per fit; a slice
sweep over these 4 (or d + 3) hyperparameters costs about 20 Cholesky
factorisations of the n x n kernel matrix, milliseconds at n = 150. The
per-sample predictions reuse gp.py's marginal predictor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import cholesky, solve_triangular

from naslab.surrogates.base import Prediction
from naslab.surrogates.gp import GaussianProcess, _Factors, _factors, _marginals_of, import_botorch

_SQRT5 = math.sqrt(5.0)


@dataclass
class BayesianGaussianProcess:
    """Exact GP regression averaged over ``samples`` posterior draws of its hyperparameters.

    ``seed`` is an int or a numpy Generator (one integer is drawn from it when the
    surrogate is built). ``burn_in`` sweeps from the likelihood maximum, then one
    sample every ``thin`` sweeps. Other settings as :class:`GaussianProcess`.
    """

    seed: int | np.random.Generator = 0
    samples: int = 10
    burn_in: int = 10
    thin: int = 1
    bounds: np.ndarray | None = None
    ard: bool = False
    lengthscale: tuple[float, float] = (0.01, 0.5)
    outputscale: tuple[float, float] = (0.5, 5.0)
    noise: tuple[float, float] = (1e-6, 1e-1)
    chunk: int = 32_768

    def __post_init__(self) -> None:
        if isinstance(self.seed, np.random.Generator):
            self.seed = int(self.seed.integers(2**31 - 1))
        self._map: GaussianProcess | None = None
        self._factors: list[_Factors] = []
        #: The samples, one row each: log lengthscale(s), log outputscale, log noise, mean.
        self.chain: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> BayesianGaussianProcess:
        torch = import_botorch()
        self._map = GaussianProcess(
            bounds=self.bounds, ard=self.ard, lengthscale=self.lengthscale,
            outputscale=self.outputscale, noise=self.noise, chunk=self.chunk,
        ).fit(X, y)
        model = self._map._model
        train = model.train_inputs[0].detach().numpy()
        targets = model.train_targets.detach().numpy()
        d = train.shape[1] if self.ard else 1
        hp = self._map.hyperparameters
        kernel = model.covar_module
        start = np.concatenate([
            np.log(kernel.base_kernel.lengthscale.detach().numpy().reshape(-1)),
            [math.log(hp["outputscale"]), math.log(hp["noise"]),
             float(model.mean_module.constant.detach())],
        ])
        low = np.array([math.log(self.lengthscale[0])] * d
                       + [math.log(self.outputscale[0]), math.log(self.noise[0]),
                          float(targets.min()) - 1.0])
        high = np.array([math.log(self.lengthscale[1])] * d
                        + [math.log(self.outputscale[1]), math.log(self.noise[1]),
                           float(targets.max()) + 1.0])
        density = _LogMarginalLikelihood(train, targets, ard=self.ard)
        self.chain = _slice_sample(
            density, np.clip(start, low, high), low, high, np.random.default_rng(self.seed),
            samples=self.samples, burn_in=self.burn_in, thin=self.thin,
        )
        x = torch.as_tensor(train)
        t = torch.as_tensor(targets)
        self._factors = []
        with torch.no_grad():
            for theta in self.chain:
                ls = torch.as_tensor(np.exp(theta[:d]))
                scale = torch.as_tensor(math.exp(theta[d]))
                noise = torch.as_tensor(math.exp(theta[d + 1]))
                covariance = scale * _matern52(torch.cdist(x / ls, x / ls))
                self._factors.append(_factors(x, t, covariance, noise, ls, scale,
                                              torch.as_tensor(theta[d + 2])))
        return self

    def predict(self, X: np.ndarray) -> Prediction:
        """Marginal means and variances under every hyperparameter sample, shape ``(m, n)``."""
        if self._map is None:
            raise RuntimeError("predict() before fit()")
        torch = import_botorch()
        model = self._map._model
        x = model.input_transform(torch.as_tensor(np.asarray(X, dtype=np.float64)))
        means, variances = [], []
        with torch.no_grad():
            for factors in self._factors:
                parts = [_marginals_of(factors, x[i : i + self.chunk])
                         for i in range(0, len(x), self.chunk)]
                mean = torch.cat([m for m, _ in parts]).unsqueeze(-1)
                variance = torch.cat([v for _, v in parts]).unsqueeze(-1)
                mean, variance = model.outcome_transform.untransform(mean, variance)
                means.append(mean.reshape(-1))
                variances.append(variance.reshape(-1).clamp_min(0))
        return Prediction(torch.stack(means).numpy(), torch.stack(variances).numpy())


def _matern52(r: Any) -> Any:
    """The unit-amplitude Matern-5/2 kernel of scaled distances ``r`` (torch or numpy)."""
    s = _SQRT5 * r
    exp = np.exp(-s) if isinstance(r, np.ndarray) else (-s).exp()
    return (1.0 + s + s * s / 3.0) * exp


class _LogMarginalLikelihood:
    """log p(y | theta) of the standardised targets, theta = (log l..., log s, log noise, c)."""

    def __init__(self, train: np.ndarray, targets: np.ndarray, *, ard: bool) -> None:
        self.train = train
        self.targets = targets
        self.ard = ard
        self.d = train.shape[1] if ard else 1
        # without ARD the distances never change: compute them once
        self.distance = None if ard else _distances(train)
        self.constant = -0.5 * len(targets) * math.log(2.0 * math.pi)

    def __call__(self, theta: np.ndarray) -> float:
        d = self.d
        if self.distance is None:
            r = _distances(self.train / np.exp(theta[:d]))
        else:
            r = self.distance / math.exp(theta[0])
        k = math.exp(theta[d]) * _matern52(r)
        k[np.diag_indices_from(k)] += math.exp(theta[d + 1])
        try:
            root = cholesky(k, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return -math.inf
        residual = self.targets - theta[d + 2]
        z = solve_triangular(root, residual, lower=True, check_finite=False)
        return float(-0.5 * z @ z - np.log(np.diag(root)).sum() + self.constant)


def _distances(x: np.ndarray) -> np.ndarray:
    square = (x * x).sum(axis=1)
    return np.sqrt(np.maximum(square[:, None] + square[None, :] - 2.0 * x @ x.T, 0.0))


def _slice_sample(
    log_density: Any, start: np.ndarray, low: np.ndarray, high: np.ndarray,
    rng: np.random.Generator, *, samples: int, burn_in: int, thin: int, max_shrinks: int = 60,
) -> np.ndarray:
    """Coordinate-wise slice sampling on the box [low, high] (Neal 2003, shrinkage from the box).

    Returns ``samples`` states, one every ``thin`` sweeps after ``burn_in`` sweeps.
    """
    theta = start.astype(float).copy()
    current = log_density(theta)
    out = []
    for sweep in range(burn_in + samples * thin):
        for i in rng.permutation(len(theta)):
            level = current - rng.exponential()  # log of a uniform height under the density
            left, right, here = low[i], high[i], theta[i]
            for _ in range(max_shrinks):
                proposal = theta.copy()
                proposal[i] = rng.uniform(left, right)
                value = log_density(proposal)
                if value > level:
                    theta, current = proposal, value
                    break
                if proposal[i] < here:
                    left = proposal[i]
                else:
                    right = proposal[i]
        if sweep >= burn_in and (sweep - burn_in) % thin == thin - 1:
            out.append(theta.copy())
    return np.array(out)
