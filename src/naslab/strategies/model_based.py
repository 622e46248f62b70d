"""The loop every model-based strategy shares: fit a surrogate, score candidates, query the best.

Sequential model-based optimisation (seed 000 section 3.2 'SMBO'; seed 004
'Bayesian Optimization Approach'): after ``n_init`` random samples, every
iteration fits a surrogate to the encoded architectures told so far, scores a
pool of candidates with an acquisition function and queries the ``q`` best
(the sample-based optimiser's batch extension, seed 000 appendix A.1).
Subclasses choose the four parts: the encoding, the surrogate, the candidate
pool and the acquisition; this class owns the loop, the pending queue and
``recommend()``.

``recommend()`` answers from the model, not from the luckiest observation: the
evaluated architecture with the best posterior mean (seed 004, 'Noisy
observation': the incumbent is the point with the best expected value), ties
broken by the observed mean.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from naslab.acquisition import Acquisition, AcquisitionContext, select_batch
from naslab.observation import Observation
from naslab.spaces.base import Architecture, SearchSpace, space_size
from naslab.spaces.restricted import RestrictedSpace
from naslab.strategies.base import Strategy
from naslab.strategies.hyperparameters import Flag, Integer
from naslab.surrogates.base import Prediction, Surrogate


@dataclass(frozen=True)
class Candidates:
    """A pool the acquisition scores: encoded points and how to turn point ``i`` into a query.

    ``decode(i)`` returns the architecture that evaluates point ``i``, or None when
    it has none to offer (e.g. every architecture of that point is already taken).
    """

    X: np.ndarray
    decode: Callable[[int], Architecture | None]

    @classmethod
    def of(cls, archs: Sequence[Architecture], X: np.ndarray) -> Candidates:
        """A pool of architectures with their encodings ``X``."""
        return cls(X, archs.__getitem__)


class ModelBasedStrategy(Strategy):
    """Fit, score, select: the SMBO loop behind every surrogate-driven strategy.

    ``q`` architectures are chosen per model fit and handed out one ask at a time;
    an ask for more than the queue holds fits again and selects as many as it
    needs. The model is refitted once ``q`` new results have arrived since the
    last fit (every result for q = 1), so ``recommend()`` and the next ask share
    one fit.
    """

    #: Whether ``recommend()`` ranks the evaluated architectures by the model (see there).
    recommend_by_model: ClassVar[bool] = True

    n_init = Integer(10, low=1, origin="seed 000 appendix A.1")
    q = Integer(1, low=1, origin="seed 000 Algorithm 2")
    log_targets = Flag(False)

    def _setup(self) -> None:
        self._queue: deque[Architecture] = deque()
        self._pending: dict[Architecture, int] = {}
        self._asked = 0
        self._model: Surrogate | None = None  # one surrogate, refitted (a GP warm-starts)
        self._finite = 0  # how many finite observations have been told
        self._fitted_on = 0  # how many of them the model has seen
        self._iteration = 0

    # --- the parts a subclass chooses ---------------------------------------------------------
    @abstractmethod
    def encode(self, archs: Sequence[Architecture]) -> np.ndarray:
        """The surrogate's inputs for ``archs``, shape (len(archs), d)."""

    @abstractmethod
    def make_surrogate(self) -> Surrogate:
        """The surrogate, made once and refitted as data come in."""

    @abstractmethod
    def candidates(self, needed: int) -> Candidates:
        """The pool the acquisition scores this iteration (at least ``needed`` decodable points
        where the space has them)."""

    @abstractmethod
    def acquisition(self) -> Acquisition:
        """The acquisition function that ranks the pool."""

    def random_proposal(self) -> Architecture:
        """One of the ``n_init`` initial samples (uniform over the space by default)."""
        return self.space.sample(self.rng)

    def taken(self) -> set[Architecture]:
        """The architectures evaluated (with a finite result) or awaiting one: not proposed."""
        return self._mean_of.keys() | self._pending.keys()

    def sample_untaken(self, taken: set[Architecture], tries: int) -> Architecture:
        """A uniform sample, redrawn up to ``tries`` times while it is in ``taken``."""
        arch = self.space.sample(self.rng)
        for _ in range(tries):
            if arch not in taken:
                break
            arch = self.space.sample(self.rng)
        return arch

    # --- ask ------------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[Architecture]:
        out: list[Architecture] = []
        while len(out) < n:
            if self._queue:
                out.append(self._queue.popleft())
            elif self._asked + len(out) < self.n_init or self._finite < 2:
                out.append(self.random_proposal())
            else:
                self._queue.extend(self._select(max(self.q, n - len(out)), out))
                if not self._queue:  # the pool had nothing new: keep answering
                    out.append(self.random_proposal())
        self._asked += n
        for arch in out:
            self._pending[arch] = self._pending.get(arch, 0) + 1
        return out

    def _select(self, k: int, asking: list[Architecture]) -> list[Architecture]:
        """The ``k`` best candidates by the acquisition, distinct and not queried or pending."""
        model = self._fit(fresh=True)
        pool = self.candidates(k)
        prediction = model.predict(pool.X)
        self._iteration += 1
        context = AcquisitionContext(
            incumbent=self._incumbent(model),
            iteration=self._iteration,
            dim=pool.X.shape[1],
            rng=self.rng,
        )
        scores = self.acquisition()(prediction, context)
        taken = self.taken() | set(asking)
        chosen: list[Architecture] = []
        for i in select_batch(scores, len(scores)):
            arch = pool.decode(int(i))
            if arch is not None and arch not in taken:
                taken.add(arch)
                chosen.append(arch)
                if len(chosen) == k:
                    break
        return chosen

    # --- the model ------------------------------------------------------------------------------
    def _data(self) -> tuple[list[Architecture], np.ndarray]:
        """Every finite observation so far: architectures and their (transformed) targets."""
        finite = [o for o in self.history if math.isfinite(o.value)]
        y = np.array([o.value for o in finite], dtype=float)
        if self.log_targets and len(y) and (y > 0).all():
            y = np.log(y)  # seed 000 appendix A.1: log targets estimate uncertainty better
        return [o.arch for o in finite], y

    def _fit(self, fresh: bool = False) -> Surrogate:
        """The surrogate, refitted once ``q`` new results have come in (any, if ``fresh``)."""
        new = self._finite - self._fitted_on
        if self._model is None or new >= self.q or (fresh and new):
            archs, y = self._data()
            self._model = (self._model or self.make_surrogate()).fit(self.encode(archs), y)
            self._fitted_on = self._finite
        return self._model

    def _incumbent(self, model: Surrogate) -> np.ndarray:
        """The best posterior mean over the evaluated architectures (one per model row)."""
        evaluated = list(self._mean_of)
        means = model.predict(self.encode(evaluated)).rows().mean
        return means.min(axis=1)

    def _update(self, obs: Observation) -> None:
        self._finite += math.isfinite(obs.value)
        left = self._pending.get(obs.arch, 0)
        if left > 1:
            self._pending[obs.arch] = left - 1
        elif left:
            del self._pending[obs.arch]

    # --- the answer -----------------------------------------------------------------------------
    def recommend(self) -> Architecture | None:
        """The evaluated architecture with the lowest posterior mean (ties: lower observed mean).

        A strategy whose model predicts encodings that many architectures share sets
        ``recommend_by_model = False`` and answers with the lowest observed mean.
        """
        if not self.recommend_by_model or self._finite < max(2, self.n_init):
            return super().recommend()
        evaluated = list(self._mean_of)
        predicted = self._fit().predict(self.encode(evaluated)).marginal_mean()
        means = self._mean_of
        best = min(
            range(len(evaluated)),
            key=lambda i: (predicted[i], means[evaluated[i]][0] / means[evaluated[i]][1], i),
        )
        return evaluated[best]

    def predict(self, archs: Sequence[Architecture]) -> Prediction:
        """The current model's prediction for ``archs`` (in the units of its targets)."""
        return self._fit().predict(self.encode(archs))


def enumerable(space: SearchSpace, limit: int) -> list[Architecture] | None:
    """Every architecture of ``space`` if it has at most ``limit`` and can list them, else None."""
    if space_size(space) > limit:
        return None
    if isinstance(space, RestrictedSpace):
        return list(space.members)
    listing = getattr(space, "all", None)
    return list(listing()) if callable(listing) else None
