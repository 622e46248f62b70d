"""ANASOD random search and biased random search on the operation-distribution simplex.

Seed 000, section 3.2 'Random Search' and appendix A.1: an encoding is drawn
from a Dirichlet on the k-simplex and decoded into an architecture by the
rounding decoder (eq. 1). Plain ANASOD-RS uses the uniform Dir(1, ..., 1);
biased RS (eq. 3) concentrates the Dirichlet on the best encoding seen so far
as the search goes on. Biased RS is ANASOD-RS with another ``concentration``;
with ``beta_max = 0`` the two propose the same architectures.
"""

from __future__ import annotations

import numpy as np

from naslab.encodings.opdist import OpDistEncoding
from naslab.observation import Observation
from naslab.spaces.base import Architecture
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Integer, Real, query_budget


@STRATEGIES.register(
    "anasod-rs",
    "ANASOD random search: uniform Dirichlet on the op simplex + rounding decoder",
)
class AnasodRandomSearch(Strategy):
    """ANASOD-RS, seed 000 section 3.2: ``p ~ Dir(1, ..., 1)`` decoded by rounding (eq. 1).

    Hyperparameter free (appendix A.1). It is uniform over the simplex, not over
    architectures: a mix of operations comes up with the probability of its
    rounding cell, however many wirings it has.
    """

    def _setup(self) -> None:
        self.encoding = OpDistEncoding(self.space)
        self._uniform = np.ones(self.encoding.dim)
        self._asked = 0

    def concentration(self, t: int) -> np.ndarray:
        """The Dirichlet parameters ``alpha`` proposal ``t`` (0-based) draws from."""
        return self._uniform

    def ask(self, n: int = 1) -> list[Architecture]:
        out = []
        for _ in range(n):
            point = self.rng.dirichlet(self.concentration(self._asked))
            out.append(self.encoding.decode_rounding(point, self.rng))
            self._asked += 1
        return out


@STRATEGIES.register(
    "anasod-biased-rs",
    "ANASOD biased RS: Dirichlet on the op simplex drawn towards the best encoding (eq. 3)",
)
class BiasedRandomSearch(AnasodRandomSearch):
    """Biased random search, seed 000 section 3.2, eq. (3).

    Proposal ``t`` (0-based, counting every architecture asked) decodes with the
    rounding decoder (eq. 1) an encoding ``p ~ Dir(alpha)``, ``alpha_i = k * beta_t
    * p*_i + 1``, where ``p*`` is the encoding of the best architecture told so far
    and ``beta_t = t * beta_max / T`` anneals linearly from 0 to ``beta_max`` at the
    budget ``T = max_queries`` (appendix A.1: ``beta_max = 2``, linear schedule).
    The first ``n_init`` proposals are the 10 random samples every method starts
    from (appendix A.1 'Algorithm Setup'), i.e. uniform Dirichlet draws; so is every
    proposal asked before any result has been told (batch fallback: no ``p*`` yet).
    """

    beta_max = Real(2.0, low=0)
    n_init = Integer(10, low=0)
    needs = (query_budget("biased RS anneals beta linearly up to beta_max at max_queries"),)

    def _setup(self) -> None:
        super()._setup()
        self._best_point: np.ndarray | None = None  # p*, kept in step with ``best``

    def beta(self, t: int) -> float:
        """Dirichlet scale at proposal ``t``: ``t * beta_max / T``, held at ``beta_max`` after T."""
        assert self.max_queries is not None  # a need checked in __init__
        return self.beta_max * min(t, self.max_queries) / self.max_queries

    def concentration(self, t: int) -> np.ndarray:
        if t < self.n_init or self._best_point is None:
            return self._uniform
        return self.encoding.dim * self.beta(t) * self._best_point + 1.0

    def _update(self, obs: Observation) -> None:
        if obs is self.best:
            self._best_point = self.encoding.encode(obs.arch)
