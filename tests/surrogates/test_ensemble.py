"""The BANANAS neural ensemble beyond the shared surrogate contract (test_contract.py)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from naslab.errors import ConfigError
from naslab.surrogates.base import Prediction

torch = pytest.importorskip("torch")

from naslab.surrogates.ensemble import NeuralEnsemble  # noqa: E402


def smooth(X: np.ndarray) -> np.ndarray:
    return np.sin(3.0 * X[:, 0]) + 2.0 * X[:, 1] ** 2 - X[:, 2] + X[:, 3] * X[:, 4]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X, X_test = rng.dirichlet(np.ones(5), size=100), rng.dirichlet(np.ones(5), size=200)
    return X, smooth(X), X_test, smooth(X_test)


@pytest.fixture(scope="module")
def fitted(data) -> NeuralEnsemble:
    X, y, _, _ = data
    return NeuralEnsemble(seed=0).fit(X, y)


def test_shapes_and_members(fitted, data) -> None:
    _, _, X_test, _ = data
    prediction = fitted.predict(X_test)
    assert isinstance(prediction, Prediction)
    assert prediction.mean.shape == prediction.variance.shape == (len(X_test),)
    members = fitted.member_predictions(X_test)
    assert members.shape == (5, len(X_test))
    np.testing.assert_allclose(prediction.mean, members.mean(axis=0))
    np.testing.assert_allclose(prediction.variance, members.var(axis=0))
    assert len(np.unique(members[:, 0])) == 5  # the members differ: their own inits and batches
    assert NeuralEnsemble(seed=0, members=3).fit(X_test[:10], X_test[:10, 0]).member_predictions(
        X_test
    ).shape == (3, len(X_test))


def test_fits_a_smooth_function_with_low_error(fitted, data) -> None:
    _, y, X_test, y_test = data
    error = np.abs(fitted.predict(X_test).mean - y_test).mean()
    assert error < 0.25 * np.abs(y_test - y.mean()).mean(), error


def test_works_in_the_units_of_its_targets(data) -> None:
    """Targets standardised inside, predictions back in the targets' units (here % errors)."""
    X, y, X_test, y_test = data
    scaled = NeuralEnsemble(seed=0).fit(X, 10.0 + 30.0 * y).predict(X_test)
    assert np.abs(scaled.mean - (10.0 + 30.0 * y_test)).mean() < 0.25 * 30 * np.abs(
        y_test - y.mean()).mean()


def test_variance_is_larger_away_from_the_data_than_at_it() -> None:
    rng = np.random.default_rng(1)
    X = rng.dirichlet(np.full(5, 30.0), size=80)  # all near the simplex's centre
    far = 0.9 * np.eye(5) + 0.02
    model = NeuralEnsemble(seed=1).fit(X, smooth(X))
    assert model.predict(far).variance.mean() > 2.0 * model.predict(X).variance.mean()


def test_same_seed_same_predictions_different_seed_differs(data) -> None:
    X, y, X_test, _ = data
    first = NeuralEnsemble(seed=7).fit(X[:40], y[:40]).predict(X_test)
    again = NeuralEnsemble(seed=7).fit(X[:40], y[:40]).predict(X_test)
    other = NeuralEnsemble(seed=8).fit(X[:40], y[:40]).predict(X_test)
    np.testing.assert_array_equal(first.mean, again.mean)
    np.testing.assert_array_equal(first.variance, again.variance)
    assert not np.array_equal(first.mean, other.mean)
    from_generator = NeuralEnsemble(seed=np.random.default_rng(7)).fit(X[:40], y[:40])
    twin = NeuralEnsemble(seed=np.random.default_rng(7)).fit(X[:40], y[:40])
    np.testing.assert_array_equal(from_generator.predict(X_test).mean, twin.predict(X_test).mean)


def test_leaves_torch_global_state_alone(data) -> None:
    X, y, _, _ = data
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    NeuralEnsemble(seed=0, epochs=5).fit(X, y).predict(X)
    assert torch.equal(torch.rand(3), expected)  # the global RNG did not move
    assert torch.get_num_threads() == threads


def test_small_and_constant_data() -> None:
    one = NeuralEnsemble(seed=0, epochs=5).fit(np.ones((1, 3)), np.array([2.5]))
    np.testing.assert_allclose(one.predict(np.zeros((4, 3))).mean, 2.5)
    with pytest.raises(ValueError, match="n >= 1"):
        NeuralEnsemble().fit(np.zeros((0, 3)), np.zeros(0))


def test_missing_torch_is_one_line(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'naslab\[bo\]'") as info:
        NeuralEnsemble().fit(np.zeros((3, 2)), np.zeros(3))
    assert "\n" not in str(info.value)
