"""The BANANAS neural predictor: an ensemble of feed-forward networks (White et al., AAAI 2021).

BANANAS (White, Neiswanger & Savani, 'BANANAS: Bayesian Optimization with Neural
Architectures for Neural Architecture Search', AAAI 2021; seed 000 cites it as
[44] and runs it as NEP-BO, section 4.1 and appendix A.1 'Other baselines') models
an architecture's validation error with an ensemble of identical fully connected
networks, each trained from its own random initialisation and minibatch order on
the same data; the ensemble's mean is the prediction and its spread the
uncertainty that independent Thompson sampling draws from.

The settings are those of the official code, naszilla/naszilla, which seed 000
says it ran with its defaults:

* ``members`` = 5: ``nas_algorithms.py``, ``bananas(num_ensemble=5)``;
* ``layers`` = 10 hidden ReLU layers of ``width`` = 20 and a linear output,
  ``loss`` mean absolute error, ``batch_size`` = 32, Adam with ``lr`` = 0.01 and
  betas (0.9, 0.99): ``meta_neural_net.py`` (``MetaNeuralnet.fit``,
  ``get_dense_model``) with ``params.py``'s ``meta_neuralnet_params('standard')``,
  the default of ``run_experiments.py``;
* ``epochs`` = 150: ``params.py`` ('standard', and 'nasbench' in the older root
  ``params.py``); ``MetaNeuralnet.fit``'s own signature default of 200 is
  overridden by every experiment configuration. The MAPE loss in the same file
  (errors measured from a floor of 4.5 %) is naszilla's DARTS setting only.
* Keras' defaults fill the rest: Glorot-uniform weights, zero biases, Adam's
  epsilon 1e-7, a fresh shuffle every epoch, the last minibatch partial.

Two implementation choices that are not the paper's: targets are standardised
before training and predictions mapped back (naszilla trains on raw errors in
percent; standardising makes the same learning rate fit any objective's scale),
and the five networks train together as one batched model (stacked weights and
batched matrix products, one Adam over the stacks, which is five independent
Adams since Adam is elementwise), so a fit costs about as much as one network's.

Randomness comes only from ``seed`` through a private ``torch.Generator``: the
same seed and data give identical predictions, and torch's global RNG is never
touched. torch is the optional extra ``naslab[bo]``, imported when first used.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from naslab.errors import ConfigError
from naslab.surrogates.base import Prediction


def import_torch() -> Any:
    """The ``torch`` module, or a one-line error saying which extra to install."""
    try:
        import torch
    except ImportError:
        raise ConfigError(
            "the neural ensemble predictor (BANANAS) needs torch: pip install 'naslab[bo]'"
        ) from None
    return torch


@dataclass
class NeuralEnsemble:
    """``members`` feed-forward regressors trained jointly; mean and variance across members.

    ``seed``: an int, or a numpy Generator from which each fit draws one.
    """

    seed: int | np.random.Generator = 0
    members: int = 5
    layers: int = 10
    width: int = 20
    epochs: int = 150
    batch_size: int = 32
    lr: float = 0.01
    betas: tuple[float, float] = (0.9, 0.99)
    eps: float = 1e-7

    def __post_init__(self) -> None:
        self._weights: list[Any] | None = None
        self._biases: list[Any] | None = None
        self._y_shift = 0.0
        self._y_scale = 1.0

    # --- training -------------------------------------------------------------------------
    def fit(self, X: np.ndarray, y: np.ndarray) -> NeuralEnsemble:
        torch = import_torch()
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if X.ndim != 2 or len(X) != len(y) or len(y) == 0:
            raise ValueError(f"fit needs X (n, d) and y (n,) with n >= 1, got {X.shape}, {y.shape}")
        self._y_shift = float(y.mean())
        scale = float(y.std())
        # constant targets: the networks learn zeros and the prediction is the constant
        self._y_scale = scale if scale > 0 and math.isfinite(scale) else 0.0
        targets = ((y - self._y_shift) / (self._y_scale or 1.0)).astype(np.float32)
        with _single_threaded(torch), torch.no_grad():
            self._train(torch, torch.from_numpy(X), torch.from_numpy(targets))
        return self

    def _train(self, torch: Any, train_x: Any, train_y: Any) -> None:
        """Minibatch Adam on the mean absolute error, gradients written out by hand.

        Autograd's engine costs more than the arithmetic of these tiny networks, so
        the backward pass is explicit: one flat parameter buffer (and one for its
        gradient) holds every layer's stacked weights and biases, and Adam updates
        the whole buffer in five tensor operations, in Keras' form (epsilon added to
        the root of the uncorrected second moment).
        """
        generator = torch.Generator().manual_seed(self._torch_seed())
        n, dim = train_x.shape
        members = self.members
        sizes = [dim, *[self.width] * self.layers, 1]
        layers = list(zip(sizes[:-1], sizes[1:], strict=True))
        shapes: list[tuple[int, ...]] = [
            shape
            for fan_in, fan_out in layers
            for shape in ((members, fan_in, fan_out), (members, 1, fan_out))  # weight, bias
        ]
        total = sum(math.prod(s) for s in shapes)
        params, grads = torch.zeros(total), torch.zeros(total)
        views = _views(params, shapes)
        grad_views = _views(grads, shapes)
        weights, biases = views[0::2], views[1::2]
        grad_weights, grad_biases = grad_views[0::2], grad_views[1::2]
        for weight, (fan_in, fan_out) in zip(weights, layers, strict=True):  # Glorot uniform
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            weight.copy_(torch.rand(weight.shape, generator=generator) * (2 * limit) - limit)
        first, second = torch.zeros(total), torch.zeros(total)
        beta1, beta2 = self.betas
        batch, step = min(self.batch_size, n), 0
        for _ in range(self.epochs):
            order = torch.argsort(torch.rand(members, n, generator=generator), dim=1)
            for start in range(0, n, batch):
                rows = order[:, start : start + batch]  # (members, b): each member's own batch
                # forward, keeping every layer's input
                inputs = [train_x[rows]]
                for weight, bias in zip(weights[:-1], biases[:-1], strict=True):
                    inputs.append(torch.baddbmm(bias, inputs[-1], weight).clamp_(min=0))
                out = torch.baddbmm(biases[-1], inputs[-1], weights[-1])
                # d(mean |out - y|)/d out, per member; the members' losses are summed
                delta = torch.sign(out.squeeze(-1) - train_y[rows]).unsqueeze(-1)
                delta /= rows.shape[1]
                for layer in range(len(weights) - 1, -1, -1):
                    torch.bmm(inputs[layer].transpose(1, 2), delta, out=grad_weights[layer])
                    torch.sum(delta, dim=1, keepdim=True, out=grad_biases[layer])
                    if layer:
                        delta = torch.bmm(delta, weights[layer].transpose(1, 2))
                        delta.mul_(inputs[layer] > 0)
                step += 1
                first.mul_(beta1).add_(grads, alpha=1 - beta1)
                second.mul_(beta2).addcmul_(grads, grads, value=1 - beta2)
                rate = self.lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
                params.addcdiv_(first, second.sqrt().add_(self.eps), value=-rate)
        self._weights = [w.clone() for w in weights]
        self._biases = [b.clone() for b in biases]

    def _torch_seed(self) -> int:
        if isinstance(self.seed, np.random.Generator):
            return int(self.seed.integers(2**63 - 1))
        return int(self.seed)

    # --- prediction -----------------------------------------------------------------------
    def member_predictions(self, X: np.ndarray) -> np.ndarray:
        """Every member's prediction at ``X`` (n, d), shape ``(members, n)``, in target units."""
        if self._weights is None or self._biases is None:
            raise RuntimeError("predict() before fit()")
        torch = import_torch()
        x = torch.from_numpy(np.asarray(X, dtype=np.float32))
        with _single_threaded(torch), torch.no_grad():
            out = _forward(torch, self._weights, self._biases, x.expand(self.members, -1, -1))
        return out.numpy().astype(np.float64) * self._y_scale + self._y_shift

    def predict(self, X: np.ndarray) -> Prediction:
        """The members' mean and (population) variance at ``X``, as naszilla's ITS uses them."""
        predictions = self.member_predictions(X)
        return Prediction(predictions.mean(axis=0), predictions.var(axis=0))


def _forward(torch: Any, weights: list[Any], biases: list[Any], x: Any) -> Any:
    """``(members, b, d)`` inputs through the stacked networks: ``(members, b)`` outputs."""
    hidden = x
    for weight, bias in zip(weights[:-1], biases[:-1], strict=True):
        hidden = torch.relu(torch.baddbmm(bias, hidden, weight))
    return torch.baddbmm(biases[-1], hidden, weights[-1]).squeeze(-1)


def _views(flat: Any, shapes: list[tuple[int, ...]]) -> list[Any]:
    """Consecutive contiguous views of ``flat`` with the given shapes."""
    out, offset = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(flat[offset : offset + size].view(shape))
        offset += size
    return out


@contextmanager
def _single_threaded(torch: Any) -> Iterator[None]:
    """Run torch on one thread for the duration (restored after).

    These matrices are a few dozen wide: with several intra-op threads every
    operation pays a synchronisation that costs more than the work (a fit took
    over ten times longer with two threads than with one).
    """
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
