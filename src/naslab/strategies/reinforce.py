"""REINFORCE: a policy of independent categoricals, one per position, trained by policy gradient.

The controller of Zoph & Le (seed 004, 'Training the controller with
REINFORCE') as the NB201 paper runs it as a baseline (Dong & Yang, ICLR 2020,
section 5): no RNN, one vector of logits per edge, an exponential moving
average of the reward as baseline, Adam. It needs torch (``naslab[bo]``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from naslab.errors import ConfigError, InvalidArchitectureError
from naslab.observation import Observation
from naslab.spaces.base import INACTIVE, Architecture
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Real

#: Draws from the policy before a proposal in a space restricted to a table's rows falls back
#: to a uniform member (the policy rarely puts so much mass outside the table).
_TRIES = 100


@STRATEGIES.register(
    "reinforce", "REINFORCE: a categorical per position trained by policy gradient (NB201)"
)
class Reinforce(Strategy):
    """REINFORCE with an EMA baseline, as D-X-Y/AutoDL-Projects runs it on NB201.

    Defaults from ``scripts-search/algos/REINFORCE.sh`` (``--learning_rate 0.001
    --EMA_momentum 0.9``), the script behind the NB201 paper's REINFORCE numbers;
    ``exps/algos/reinforce.py`` starts the logits at ``1e-3 * N(0, 1)``, updates
    the bias-corrected EMA baseline with the reward *before* taking the advantage,
    and makes one Adam step on ``-log p(arch) * (reward - baseline)`` per result.

    The reward is ``-value``. NB201 rewards validation accuracy, i.e. ``100 -
    error``: the bias-corrected EMA is a weighted mean, so the constant cancels in
    ``reward - baseline`` and the updates are the same.

    Positions are independent, so drawing every position and dropping the ones
    the drawn controllers switch off is drawing the controllers first and then
    the active positions; only active positions enter ``log p`` (and get a
    gradient). Any architecture told, asked here or not, is scored under the
    current policy; failed evaluations (non-finite values) teach nothing. In a
    space restricted to a table's rows a proposal is redrawn until it is a row.
    """

    learning_rate = Real(0.001, low=0.0, origin="NB201")
    ema_momentum = Real(0.9, low=0.0, high=0.999, origin="NB201")  # 1 would never average

    def _setup(self) -> None:
        try:
            import torch
        except ImportError:
            raise ConfigError(
                "strategy 'reinforce' needs torch: pip install 'naslab[bo]'"
            ) from None
        self._torch = torch
        sizes = [len(c) for c in self.space.position_choices]
        width = max(sizes)
        self._valid = torch.arange(width)[None, :] < torch.tensor(sizes)[:, None]
        start = self.rng.normal(scale=1e-3, size=(len(sizes), width))  # as NB201's Policy
        self.logits = torch.tensor(start, dtype=torch.float32, requires_grad=True)
        self._optimizer = torch.optim.Adam([self.logits], lr=self.learning_rate)
        self._ema = [0.0, 0.0]  # numerator, denominator (bias-corrected)
        self._cdf: np.ndarray | None = None  # cumulative probabilities, per position

    @property
    def baseline(self) -> float:
        """The moving average of the rewards told so far (0 before any)."""
        numerator, denominator = self._ema
        return numerator / denominator if denominator else 0.0

    def probabilities(self) -> np.ndarray:
        """Per position (rows), the policy's probability of each choice (0 past its options)."""
        with self._torch.no_grad():
            return self._log_softmax().exp().numpy().astype(float)

    def _log_softmax(self) -> Any:
        masked = self.logits.masked_fill(~self._valid, -math.inf)
        # not torch.log_softmax: its CPU kernel took ~10 ms per call on a busy 2-core machine
        return masked - self._torch.logsumexp(masked, dim=1, keepdim=True)

    def ask(self, n: int = 1) -> list[Architecture]:
        if self._cdf is None:
            self._cdf = np.cumsum(self.probabilities(), axis=1)
            self._cdf[:, -1] = 1.0  # rounding must not leave a draw past the last option
        return [self._propose(self._cdf) for _ in range(n)]

    def _propose(self, cdf: np.ndarray) -> Architecture:
        for _ in range(_TRIES):
            ops = (cdf < self.rng.random(len(cdf))[:, None]).sum(axis=1)
            try:
                return self.space.make(ops.tolist())
            except InvalidArchitectureError:  # not one of a restricted space's rows
                continue
        return self.space.sample(self.rng)

    def _update(self, obs: Observation) -> None:
        if not math.isfinite(obs.value):
            return
        reward = -obs.value
        momentum = self.ema_momentum
        self._ema = [momentum * self._ema[0] + (1 - momentum) * reward,
                     momentum * self._ema[1] + (1 - momentum)]
        active = [(i, op) for i, op in enumerate(obs.arch.ops) if op != INACTIVE]
        rows, cols = zip(*active, strict=True)
        log_p = self._log_softmax()[list(rows), list(cols)].sum()
        loss = -log_p * (reward - self.baseline)
        self._optimizer.zero_grad()
        loss.backward()
        self._optimizer.step()
        self._cdf = None
