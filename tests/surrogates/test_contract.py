"""The surrogate contract, checked for every surrogate (cf. scikit-learn's estimator checks).

A new surrogate adds one factory to ``FACTORIES`` and passes the same checks.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np
import pytest

from naslab.surrogates.base import Prediction, Surrogate

pytest.importorskip("botorch")

from naslab.surrogates.bayesian_gp import BayesianGaussianProcess  # noqa: E402
from naslab.surrogates.forest import RandomForest  # noqa: E402
from naslab.surrogates.gp import GaussianProcess, _marginals  # noqa: E402

Factory = Callable[[int], Surrogate]
FACTORIES: dict[str, Factory] = {
    "gp": lambda seed: GaussianProcess(),
    "bayesian-gp": lambda seed: BayesianGaussianProcess(seed=seed),
    "forest": lambda seed: RandomForest(seed=seed),
}
if importlib.util.find_spec("naslab.surrogates.ensemble") is not None:
    from naslab.surrogates.ensemble import NeuralEnsemble

    FACTORIES["ensemble"] = lambda seed: NeuralEnsemble(seed=seed)

NAMES = list(FACTORIES)
DIM = 5


def smooth(X: np.ndarray) -> np.ndarray:
    """A smooth function on the simplex (an ANASOD-like encoding: op fractions)."""
    return np.sin(3.0 * X[:, 0]) + 2.0 * X[:, 1] ** 2 - X[:, 2] + X[:, 3] * X[:, 4]


def simplex(n: int, seed: int, concentration: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.full(DIM, concentration), size=n)


def check(prediction: Prediction, n: int) -> None:
    assert isinstance(prediction, Prediction)
    assert prediction.mean.shape in ((n,), (prediction.mean.shape[0], n))
    assert np.isfinite(prediction.mean).all() and np.isfinite(prediction.variance).all()
    assert (prediction.variance >= 0).all()


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, X_test = simplex(80, 0), simplex(300, 1)
    noise = 0.02 * np.random.default_rng(2).standard_normal(len(X))
    return X, smooth(X) + noise, X_test, smooth(X_test)


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_and_predicts_finite_means_and_variances(name, data) -> None:
    X, y, X_test, _ = data
    surrogate = FACTORIES[name](0)
    assert isinstance(surrogate, Surrogate)
    assert surrogate.fit(X, y) is surrogate
    check(surrogate.predict(X_test), len(X_test))
    check(surrogate.predict(X_test[:1]), 1)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_predictions(name, data) -> None:
    X, y, X_test, _ = data
    first = FACTORIES[name](3).fit(X, y).predict(X_test)
    again = FACTORIES[name](3).fit(X, y).predict(X_test)
    np.testing.assert_array_equal(first.mean, again.mean)
    np.testing.assert_array_equal(first.variance, again.variance)


#: R^2 on held-out points of the simplex, 80 training points; the mean predictor scores 0.
R2 = {"gp": 0.9, "bayesian-gp": 0.9, "forest": 0.5, "ensemble": 0.5}


@pytest.mark.parametrize("name", NAMES)
def test_fits_a_smooth_function_on_the_simplex_better_than_the_mean(name, data) -> None:
    X, y, X_test, y_test = data
    predicted = FACTORIES[name](0).fit(X, y).predict(X_test).marginal_mean()
    r2 = 1.0 - np.mean((predicted - y_test) ** 2) / np.var(y_test)
    assert r2 > R2[name], r2


@pytest.mark.parametrize("name", NAMES)
def test_variance_is_larger_far_from_the_data(name) -> None:
    """Trained near the simplex's centre, uncertain at its corners."""
    X = simplex(80, 4, concentration=30.0)
    corners = 0.9 * np.eye(DIM) + 0.1 / DIM
    surrogate = FACTORIES[name](0).fit(X, smooth(X))
    at_data = surrogate.predict(X).variance.mean()
    far = surrogate.predict(corners).variance.mean()
    assert far > 2.0 * at_data, (far, at_data)


@pytest.mark.parametrize("name", NAMES)
def test_repeated_rows_with_noise(name) -> None:
    """The same input observed several times (a noisy table): fits, predicts near the mean."""
    base = simplex(20, 5)
    X = np.repeat(base, 3, axis=0)
    rng = np.random.default_rng(6)
    y = smooth(X) + 0.05 * rng.standard_normal(len(X))
    prediction = FACTORIES[name](0).fit(X, y).predict(base)
    check(prediction, len(base))
    observed = y.reshape(-1, 3).mean(axis=1)
    assert np.corrcoef(prediction.marginal_mean(), observed)[0, 1] > 0.8


@pytest.mark.parametrize("name", NAMES)
def test_constant_target(name) -> None:
    X = simplex(30, 7)
    prediction = FACTORIES[name](0).fit(X, np.full(len(X), 4.25)).predict(simplex(50, 8))
    check(prediction, 50)
    np.testing.assert_allclose(prediction.marginal_mean(), 4.25, atol=0.05)


@pytest.mark.parametrize("name", NAMES)
def test_predict_before_fit_raises(name) -> None:
    with pytest.raises(RuntimeError, match="before fit"):
        FACTORIES[name](0).predict(simplex(3, 9))


def test_fully_bayesian_gp_has_one_row_per_hyperparameter_sample(data) -> None:
    X, y, X_test, _ = data
    surrogate = BayesianGaussianProcess(seed=0, samples=6).fit(X, y)
    prediction = surrogate.predict(X_test)
    assert prediction.mean.shape == (6, len(X_test))
    assert surrogate.chain is not None and len(np.unique(surrogate.chain[:, 0])) > 1
    lengthscales = np.exp(surrogate.chain[:, 0])
    assert ((lengthscales >= 0.01) & (lengthscales <= 0.5)).all()  # the appendix-A.1 box


# --- gp.py's fast marginal predictor against BoTorch's posterior ------------------------------
@pytest.mark.parametrize("ard", [False, True])
@pytest.mark.parametrize("repeated", [False, True])
def test_fast_marginals_match_botorch_posterior(ard, repeated) -> None:
    import torch

    rng = np.random.default_rng(10)
    X = rng.random((40, 4))
    if repeated:
        X = np.concatenate([X, X[:10], X[:5]])
    y = np.sin(4 * X[:, 0]) + X[:, 1] + 0.1 * rng.standard_normal(len(X))
    gp = GaussianProcess(ard=ard).fit(X, y)
    model = gp._model
    X_new = np.concatenate([rng.random((60, 4)), X[:5]])
    with torch.no_grad():
        posterior = model.posterior(torch.as_tensor(X_new))
        expected_mean = posterior.mean.reshape(-1).numpy()
        expected_variance = posterior.variance.reshape(-1).numpy()
        x = model.input_transform(torch.as_tensor(X_new))
        mean, variance = _marginals(model, x)
    scale = model.outcome_transform.stdvs.item()
    shift = model.outcome_transform.means.item()
    np.testing.assert_allclose(mean.numpy() * scale + shift, expected_mean, rtol=0, atol=1e-9)
    np.testing.assert_allclose(variance.numpy() * scale**2, expected_variance, rtol=0, atol=1e-9)
    prediction = gp.predict(X_new)  # and through predict(), untransformed by BoTorch
    np.testing.assert_allclose(prediction.mean, expected_mean, rtol=0, atol=1e-9)
    np.testing.assert_allclose(prediction.variance, expected_variance, rtol=0, atol=1e-9)
