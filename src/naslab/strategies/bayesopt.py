"""Gaussian-process Bayesian optimisation over any encoding: ANASOD-BO, Adj-BO and Path-BO.

Seed 000, Algorithm 2 and appendix A.1 'ANASOD-BO': a GP surrogate (Matern-5/2,
normalised inputs, log-transformed and standardised targets, the appendix's
hyperparameter bounds, no ARD; :mod:`naslab.surrogates.gp`), expected
improvement, and a sample-based acquisition optimiser over 100k candidates;
``n_init`` = 10 random samples first. Figure 3 (middle row) compares it with
Adj-BO and Path-BO, 'otherwise identical ... but with the ANASOD encoding
replaced by the adjacency and path encoding': :class:`GaussianProcessBO` is that
shared part and the three strategies differ only in the encoding and in how the
candidate pool is drawn:

* ``adj-bo`` / ``path-bo`` score every architecture of a space with at most
  ``n_candidates`` of them (NB201's 15,625: the 100k-sample pool would hold
  nearly all of them anyway), else ``n_candidates`` uniform samples;
* ``anasod-bo`` draws encodings from a Dirichlet trust region (Algorithm 2,
  lines 2, 5 and 9) and evaluates one architecture per chosen encoding.

The acquisition is EI by default (the paper's); PI and GP-UCB (seed 004) are
options, as is the fully Bayesian GP whose acquisition is integrated over
hyperparameter samples (seed 004, Snoek et al. '12).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import numpy as np

from naslab.acquisition import (
    Acquisition,
    AcquisitionContext,
    ConfidenceBound,
    ExpectedImprovement,
    ProbabilityOfImprovement,
)
from naslab.encodings import AdjacencyEncoding, Encoding, OpDistEncoding, PathEncoding
from naslab.observation import Observation
from naslab.spaces.base import Architecture
from naslab.strategies.base import STRATEGIES
from naslab.strategies.hyperparameters import Choice, Flag, Integer, Real
from naslab.strategies.model_based import Candidates, ModelBasedStrategy, enumerable
from naslab.surrogates.base import Surrogate
from naslab.surrogates.bayesian_gp import BayesianGaussianProcess
from naslab.surrogates.gp import GaussianProcess


class GaussianProcessBO(ModelBasedStrategy):
    """GP-BO as Algorithm 2 runs it; subclasses pick the encoding and the candidate pool.

    ``acq`` picks EI / PI (trade-off ``xi``) or UCB (``kappa``; 0 means GP-UCB's
    schedule); ``ard`` gives every input its own lengthscale; ``fully_bayesian``
    slice-samples the GP hyperparameters and integrates the acquisition over them
    (seed 004, Snoek et al. '12) instead of using the marginal-likelihood optimum.
    """

    n_candidates = Integer(100_000, low=1, origin="seed 000 appendix A.1")
    log_targets = Flag(True, origin="seed 000 appendix A.1")
    acq = Choice("ei", ("ei", "pi", "ucb"), origin="seed 000 appendix A.1")
    xi = Real(0.01, low=0, origin="Lizotte (seed 004)")
    kappa = Real(0.0, low=0, origin="GP-UCB's schedule (seed 004)")
    ard = Flag(False, origin="seed 000 appendix A.1")
    fully_bayesian = Flag(False, origin="seed 000 (point estimates); seed 004 for the option")

    def _setup(self) -> None:
        super()._setup()
        self.encoding = self.make_encoding()

    encoding: Encoding

    @abstractmethod
    def make_encoding(self) -> Encoding:
        """The encoding the GP models (the only difference between the three strategies)."""

    def encode(self, archs: Sequence[Architecture]) -> np.ndarray:
        return np.asarray(self.encoding.encode_many(archs), dtype=float).reshape(
            len(archs), self.encoding.dim
        )

    def make_surrogate(self) -> Surrogate:
        unit_cube = np.array([np.zeros(self.encoding.dim), np.ones(self.encoding.dim)])
        if self.fully_bayesian:  # the acquisition is then integrated over hyperparameter samples
            seed = int(self.rng.integers(2**63))
            return BayesianGaussianProcess(seed=seed, bounds=unit_cube, ard=self.ard)
        return GaussianProcess(bounds=unit_cube, ard=self.ard)

    def acquisition(self) -> Acquisition:
        if self.acq == "pi":
            return ProbabilityOfImprovement(self.xi)
        if self.acq == "ucb":
            return ConfidenceBound(self.kappa or None)
        return ExpectedImprovement(self.xi)


class _ArchitecturePoolBO(GaussianProcessBO):
    """GP-BO whose candidates are architectures: the whole space if it is small enough."""

    def _setup(self) -> None:
        super()._setup()
        whole = enumerable(self.space, self.n_candidates)
        self._whole = None if whole is None else Candidates.of(whole, self.encode(whole))

    def candidates(self, needed: int) -> Candidates:
        if self._whole is not None:
            return self._whole
        archs = list(dict.fromkeys(self.space.sample(self.rng) for _ in range(self.n_candidates)))
        return Candidates.of(archs, self.encode(archs))


@STRATEGIES.register(
    "adj-bo", "GP-BO on the adjacency one-hot encoding (seed 000 Figure 3's Adj-BO)"
)
class AdjacencyBO(_ArchitecturePoolBO):
    """Adj-BO: Algorithm 2 with the adjacency one-hot encoding (seed 000 Figure 3; White et al.)."""

    def make_encoding(self) -> AdjacencyEncoding:
        return AdjacencyEncoding(self.space)


@STRATEGIES.register("path-bo", "GP-BO on the BANANAS path encoding (seed 000 Figure 3's Path-BO)")
class PathBO(_ArchitecturePoolBO):
    """Path-BO: Algorithm 2 with the (untruncated) path encoding of BANANAS; NB201 cells only."""

    def make_encoding(self) -> PathEncoding:
        return PathEncoding(self.space)


@STRATEGIES.register(
    "anasod-bo",
    "ANASOD-BO: GP-BO on the op-distribution simplex with a Dirichlet trust region (Alg. 2)",
)
class AnasodBO(GaussianProcessBO):
    """ANASOD-BO, seed 000 Algorithm 2 and section 3.2 'SMBO'.

    * Line 3: ``n_init`` encodings from the uniform Dirichlet, decoded by rounding.
    * Line 5: each iteration draws ``n_candidates`` encodings from ``Dir(alpha)``,
      ``alpha_i = k * beta * p*_i + 1``, whose mode is ``p*``, the encoding of the
      best architecture observed (eq. 3's form); ``beta = 0`` is the uniform Dirichlet.
    * Line 6: the ``q`` encodings with the highest acquisition are chosen, by the
      sample-based optimiser or, with ``optimizer = "mirror-descent"``, refined from
      the best ``md_starts`` of them by eq. (4): a gradient step ``p' = p + eta *
      grad a(p)`` (finite differences) and renormalisation onto the simplex.
    * Line 7: one architecture per chosen encoding: rounded to the grid by eq. (1)
      and placed uniformly (a fresh placement if that one was already queried).
    * Line 9, the probabilistic trust region: ``beta`` halves after
      ``success_tolerance`` successive improvements of the best value (a wider
      region, down to ``beta_min``) and doubles after ``failure_tolerance``
      successive failures (a tighter one, up to ``beta_max``). The paper names the
      rule, after TuRBO [13], but not its constants: the tolerances are TuRBO's
      (3 successes; max(4, k) failures for k operations, q = 1), ``beta_max = 2`` is
      the value its biased RS uses, ``beta_min = 0.1`` its text's 'up to 0.1', and
      the region starts at ``beta_init = 1`` once the initial samples are in.

    It returns the best encoding as well as the best architecture:
    :meth:`recommend_encoding`.
    """

    encoding: OpDistEncoding
    answer_encoding = "opdist"
    #: An op-distribution model gives every wiring of one op mix the same posterior mean,
    #: so it cannot rank the evaluated architectures: on NB201 (10 seeds, 150 queries,
    #: 'sample' noise) its pick's true error was 0.1-0.9 points worse than that of the
    #: lowest observed mean, which is therefore the answer.
    recommend_by_model = False

    beta_init = Real(1.0, low=0, origin="naslab (the paper states none)")
    beta_min = Real(0.1, low=0, origin="seed 000 section 3.2")
    beta_max = Real(2.0, low=0, origin="seed 000 appendix A.1 (biased RS)")
    success_tolerance = Integer(3, low=1, origin="TuRBO [13]")
    failure_tolerance = Integer(0, low=0, origin="TuRBO [13]: max(4, k); 0 picks it")
    optimizer = Choice("sample", ("sample", "mirror-descent"), origin="seed 000 appendix A.1")
    md_steps = Integer(20, low=1, origin="naslab (the paper states none)")
    md_rate = Real(0.1, low=0, origin="naslab (the paper states none)")
    md_starts = Integer(10, low=1, origin="naslab (the paper states none)")

    def _setup(self) -> None:
        super()._setup()
        self._uniform = np.ones(self.encoding.dim)
        self._best_point: np.ndarray | None = None
        self.beta = 0.0  # the uniform Dirichlet until the initial samples are in
        self._streak = 0  # > 0: successive successes; < 0: successive failures
        self._patience = self.failure_tolerance or max(4, self.encoding.dim)

    def make_encoding(self) -> OpDistEncoding:
        return OpDistEncoding(self.space)

    def random_proposal(self) -> Architecture:
        return self.encoding.decode_rounding(self.rng.dirichlet(self._uniform), self.rng)

    def concentration(self) -> np.ndarray:
        """The candidate-generating Dirichlet's parameters now."""
        if self._best_point is None or self.beta == 0:
            return self._uniform
        return self.encoding.dim * self.beta * self._best_point + 1.0

    def candidates(self, needed: int) -> Candidates:
        points = self.rng.dirichlet(self.concentration(), size=self.n_candidates)
        if self.optimizer == "mirror-descent":
            points = self._mirror_descent(points)
        exhausted: set[tuple[int, ...]] = set()
        return Candidates(points, lambda i: self._realise(points[i], exhausted))

    def _realise(
        self, point: np.ndarray, exhausted: set[tuple[int, ...]], tries: int = 10
    ) -> Architecture | None:
        """An architecture of ``point``'s grid encoding not yet queried, or None.

        An encoding whose ``tries`` placements were all taken is remembered as
        ``exhausted`` for the rest of the pool, so a small space does not redo them.
        """
        counts = self.encoding.round_to_grid(point)
        key = tuple(counts.tolist())
        if key in exhausted:
            return None
        taken = self.taken()
        for _ in range(tries):
            arch = self.encoding.decode_counts(counts, self.rng)
            if arch not in taken:
                return arch
        exhausted.add(key)
        return None

    def _mirror_descent(self, points: np.ndarray) -> np.ndarray:
        """The ``md_starts`` best pool points moved uphill on the acquisition by eq. (4)."""
        model, acquisition = self._fit(fresh=True), self.acquisition()
        context = AcquisitionContext(self._incumbent(model), self._iteration + 1,
                                     self.encoding.dim, self.rng)

        def score(x: np.ndarray) -> np.ndarray:
            return acquisition(model.predict(x), context)

        starts = points[np.argsort(-score(points), kind="stable")[: self.md_starts]]
        step = 1e-4
        eye = np.eye(self.encoding.dim) * step
        for _ in range(self.md_steps):
            shifted = np.concatenate([starts + e for e in eye] + [starts - e for e in eye])
            values = score(shifted).reshape(2, self.encoding.dim, len(starts))
            gradient = ((values[0] - values[1]) / (2 * step)).T
            moved = np.clip(starts + self.md_rate * gradient, 0.0, None)
            starts = moved / moved.sum(axis=1, keepdims=True)
        return starts

    def _update(self, obs: Observation) -> None:
        super()._update(obs)
        if obs is self.best:
            self._best_point = self.encoding.encode(obs.arch)
        if len(self.history) <= self.n_init or not np.isfinite(obs.value):
            return
        if self.beta == 0:
            self.beta = self.beta_init
        improved = obs is self.best
        self._streak = max(self._streak, 0) + 1 if improved else min(self._streak, 0) - 1
        if self._streak >= self.success_tolerance:
            self.beta, self._streak = max(self.beta / 2, self.beta_min), 0
        elif -self._streak >= self._patience:
            self.beta, self._streak = min(self.beta * 2, self.beta_max), 0

    def recommend_encoding(self) -> np.ndarray | None:
        """The best encoding found: the op counts of the recommended architecture."""
        arch = self.recommend()
        return None if arch is None else self.encoding.counts(arch)
