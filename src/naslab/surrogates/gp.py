"""A Gaussian process surrogate from BoTorch / GPyTorch, set up as ANASOD-BO sets it up.

Seed 000 appendix A.1 'ANASOD-BO': a Matern-5/2 kernel; inputs normalised to
[0, 1]^k; targets standardised (naslab's model-based strategies log-transform
them first, see ``log_targets``); the lengthscale constrained to [0.01, 0.5],
the outputscale to [0.5, 5] and the noise variance to [1e-6, 1e-1]; no ARD by
default; hyperparameters fitted by maximising the log marginal likelihood with
GPyTorch. The linear algebra is GPyTorch's; this module only wires it up.

torch, GPyTorch and BoTorch are the optional extra ``naslab[bo]``.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from naslab.errors import ConfigError
from naslab.surrogates.base import Prediction
from naslab.surrogates.ensemble import _single_threaded


def import_botorch() -> Any:
    """The ``torch`` module, after checking the ``bo`` extra is installed (one-line error)."""
    try:
        import botorch  # noqa: F401
        import gpytorch  # noqa: F401
        import torch
    except ImportError as exc:
        raise ConfigError(
            f"Gaussian-process search needs torch, GPyTorch and BoTorch ({exc.name} is missing): "
            "pip install 'naslab[bo]'"
        ) from None
    return torch


@dataclass
class GaussianProcess:
    """Exact GP regression with a Matern-5/2 kernel and the appendix-A.1 hyperparameter bounds.

    ``bounds`` is the (2, d) box the inputs live in (normalised to the unit cube);
    None learns it from the training inputs. ``ard`` gives every input dimension
    its own lengthscale.
    """

    bounds: np.ndarray | None = None
    ard: bool = False
    nu: float = 2.5
    lengthscale: tuple[float, float] = (0.01, 0.5)
    outputscale: tuple[float, float] = (0.5, 5.0)
    noise: tuple[float, float] = (1e-6, 1e-1)
    # Predict in chunks so 100k candidates never need 100k^2 memory; a small chunk keeps the
    # (chunk, n) cross-covariance in cache (4,096 x 150 doubles: 5 MB), 1.5-2x faster than 32k.
    chunk: int = 4_096

    def __post_init__(self) -> None:
        self._model: Any = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> GaussianProcess:
        torch = import_botorch()
        from botorch.exceptions import ModelFittingError, OptimizationWarning
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.models.transforms import Normalize, Standardize
        from gpytorch.constraints import Interval
        from gpytorch.kernels import MaternKernel, ScaleKernel
        from gpytorch.likelihoods import GaussianLikelihood
        from gpytorch.mlls import ExactMarginalLogLikelihood

        train_x = torch.as_tensor(np.asarray(X, dtype=np.float64))
        train_y = torch.as_tensor(np.asarray(y, dtype=np.float64)).reshape(-1, 1)
        d = train_x.shape[1]
        bounds = None if self.bounds is None else torch.as_tensor(self.bounds, dtype=torch.float64)
        kernel = ScaleKernel(
            MaternKernel(
                nu=self.nu,
                ard_num_dims=d if self.ard else None,
                lengthscale_constraint=Interval(*self.lengthscale),
            ),
            outputscale_constraint=Interval(*self.outputscale),
        )
        model = SingleTaskGP(
            train_x,
            train_y,
            covar_module=kernel,
            likelihood=GaussianLikelihood(noise_constraint=Interval(*self.noise)),
            input_transform=Normalize(d, bounds=bounds),
            outcome_transform=Standardize(1),
        )
        if self._model is not None and self._model.train_inputs[0].shape[1] == d:
            self._warm_start(model)
        mll = ExactMarginalLogLikelihood(model.likelihood, model)
        # If every L-BFGS attempt fails (e.g. on a degenerate data set) the model keeps
        # hyperparameters inside the bounds: a worse fit, not a stopped search.
        with contextlib.suppress(ModelFittingError), _single_threaded(torch), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizationWarning)  # a stalled L-BFGS run is fine
            fit_gpytorch_mll(mll)
        model.eval()
        self._model = model
        return self

    def _warm_start(self, model: Any) -> None:
        """Start the marginal-likelihood search from the previous fit's hyperparameters.

        A BO loop refits after every new point; the optimum moves little, so
        L-BFGS needs a fraction of the iterations it takes from the default start.
        """
        previous = self._model
        model.covar_module.load_state_dict(previous.covar_module.state_dict())
        model.likelihood.load_state_dict(previous.likelihood.state_dict())
        model.mean_module.load_state_dict(previous.mean_module.state_dict())

    def predict(self, X: np.ndarray) -> Prediction:
        """Marginal posterior means and variances, in chunks.

        BoTorch's ``posterior`` builds the joint covariance of its inputs (80 GB
        for 100k candidates); the marginals only need the cross-covariance, which
        :func:`_marginals` computes from the fitted hyperparameters and one
        Cholesky solve of the training data per fit. A test checks it against ``posterior`` to 1e-9.
        """
        if self._model is None:
            raise RuntimeError("predict() before fit()")
        torch = import_botorch()
        x = self._model.input_transform(torch.as_tensor(np.asarray(X, dtype=np.float64)))
        with torch.no_grad(), _single_threaded(torch):
            parts = [_marginals(self._model, x[i : i + self.chunk])
                     for i in range(0, len(x), self.chunk)]
            mean = torch.cat([m for m, _ in parts]).unsqueeze(-1)
            variance = torch.cat([v for _, v in parts]).unsqueeze(-1)
            mean, variance = self._model.outcome_transform.untransform(mean, variance)
        return Prediction(mean.reshape(-1).numpy(), variance.reshape(-1).clamp_min(0).numpy())

    @property
    def hyperparameters(self) -> dict[str, float]:
        """The fitted lengthscale(s), outputscale and noise variance (standardised units)."""
        if self._model is None:
            raise RuntimeError("hyperparameters before fit()")
        kernel = self._model.covar_module
        return {
            "lengthscale": float(kernel.base_kernel.lengthscale.detach().mean()),
            "outputscale": float(kernel.outputscale.detach()),
            "noise": float(self._model.likelihood.noise.detach().mean()),
        }


def _marginals(model: Any, x: Any) -> tuple[Any, Any]:
    """Posterior mean and variance at the (normalised) inputs ``x``, standardised units.

    mean = c + k(x, X) alpha and var = s - k(x, X) (K + noise I)^-1 k(X, x), with the
    fitted constant mean c and outputscale s. Repeated training inputs (one
    encoding evaluated several times: a noisy table, or many architectures sharing
    an ANASOD encoding) give identical kernel columns, so both are computed over the
    distinct inputs U with alpha and the inverse summed over each one's copies
    (:func:`_training_factors`, once per fit). The Matern-5/2 cross-covariance is
    written out because GPyTorch's kernel call costs ~10x more per entry; the test
    suite checks the result against BoTorch's ``posterior``.
    """
    return _marginals_of(_training_factors(model), x)


def _marginals_of(factors: _Factors, x: Any) -> tuple[Any, Any]:
    """:func:`_marginals` from a fit's :class:`_Factors` (one hyperparameter setting)."""
    import torch

    sqrt5r = torch.cdist(x / factors.lengthscale, factors.distinct).mul_(5.0**0.5)
    cross = torch.exp(-sqrt5r)  # in place from here: one (chunk, |U|) buffer less per step
    cross.mul_(sqrt5r.square().div_(3.0).add_(sqrt5r.add(1.0))).mul_(factors.outputscale)
    mean = factors.constant + cross @ factors.alpha
    variance = factors.outputscale - (cross @ factors.inverse).mul_(cross).sum(-1)
    return mean, variance


@dataclass(frozen=True)
class _Factors:
    """What predictions need from one fit, over the distinct training inputs U."""

    distinct: Any  # U / lengthscale
    lengthscale: Any
    outputscale: Any
    constant: Any
    alpha: Any  # P^T (K + noise I)^-1 (y - c), P the (n, |U|) copy indicator
    inverse: Any  # P^T (K + noise I)^-1 P


def _training_factors(model: Any) -> _Factors:
    """The :class:`_Factors` of a fitted model, cached on it (a model is refitted, never edited)."""
    cached = getattr(model, "_naslab_factors", None)
    if cached is None:
        import torch

        with torch.no_grad():
            train = model.train_inputs[0]
            kernel = model.covar_module
            cached = _factors(
                train, model.train_targets, kernel(train).to_dense(), model.likelihood.noise,
                kernel.base_kernel.lengthscale.reshape(-1), kernel.outputscale,
                model.mean_module.constant,
            )
        model._naslab_factors = cached
    return cached


def _factors(
    train: Any, targets: Any, covariance: Any, noise: Any, lengthscale: Any, outputscale: Any,
    constant: Any,
) -> _Factors:
    """The :class:`_Factors` of one hyperparameter setting; ``covariance`` is k(X, X), noiseless."""
    import torch

    root = torch.linalg.cholesky(covariance + noise * torch.eye(len(train), dtype=train.dtype))
    alpha = torch.cholesky_solve((targets - constant).unsqueeze(-1), root).squeeze(-1)
    distinct, copy_of = torch.unique(train, dim=0, return_inverse=True)
    copies = torch.zeros(len(train), len(distinct), dtype=root.dtype)
    copies[torch.arange(len(train)), copy_of] = 1.0
    whitened = torch.linalg.solve_triangular(root, copies, upper=False)
    return _Factors(
        distinct / lengthscale, lengthscale, outputscale, constant,
        copies.T @ alpha, whitened.T @ whitened,
    )
