"""BANANAS / NEP-BO: Bayesian optimisation with a neural-ensemble predictor.

White, Neiswanger & Savani, 'BANANAS: Bayesian Optimization with Neural
Architectures for Neural Architecture Search' (AAAI 2021). Seed 000 runs it as
NEP-BO ('Neural Ensemble Predictor', section 3.2 'SMBO'), compares its path- and
ANASOD-encoded forms in section 4.1 'Comparison with baseline strategies' and
Figure 3 (bottom row), and states in appendix A.1 'Other baselines' that it used
the official code (naszilla) with its default settings. Those defaults, from
naszilla's ``nas_algorithms.py`` (``bananas``, ``DEFAULT_NUM_INIT``,
``DEFAULT_K``) and ``nas_benchmarks.py`` (``get_candidates``), are:

* ``n_init`` = 10 uniformly random architectures first;
* the surrogate: an ensemble of ``num_ensemble`` = 5 networks
  (:class:`~naslab.surrogates.ensemble.NeuralEnsemble`, whose docstring cites its
  training settings), refitted on every result so far before each batch;
* the acquisition optimiser, 'mutation': the evaluated architectures are ranked
  by their (mean) observed value and the best ``num_arches_to_mutate`` x 5
  (naszilla's ``patience_factor``) are the parents; from the best parent on,
  each parent is mutated ``num_candidates / num_arches_to_mutate /
  max_mutation_rate`` times at every rate 1..``max_mutation_rate``, until the pool
  holds ``num_candidates`` = 100 architectures not evaluated yet (duplicates
  dropped);
* a mutation at rate r changes each of a parent's P active positions with
  probability r / (P - 2), naszilla's NB201 rule (``Cell201.mutate``, which keeps
  NB101's constant: 1/4 on NB201's six edges); here the number of changes is
  drawn from that binomial and applied as that many one-position moves of the
  space's own ``mutate``, so conditional spaces and spaces restricted to a
  table's rows are respected; a draw of none reproduces the parent, which is
  dropped like naszilla's;
* acquisition: independent Thompson sampling, 'its' (one draw per candidate from
  N(ensemble mean, ensemble variance));
* ``q`` = k = 10 architectures chosen per fit, the pool's best by the acquisition.

Where mutation finds fewer new architectures than a batch needs (a small or
nearly exhausted space), uniform samples not yet queried fill the pool; no
architecture already evaluated or pending is proposed while others remain.

The three strategies differ only in the predictor's encoding:

* ``bananas``: the path encoding on the NB201 cell, truncated as naszilla runs it
  there (``predictor_encoding='trunc_path'``, ``Cell201.encode``'s cutoff 30:
  paths of length 1 and 2); ``path_cutoff = 0`` keeps all 155 features. The path
  encoding exists for NB201 only; on any other space ``bananas`` uses the
  adjacency one-hot encoding (the op at every position), with which the BANANAS
  paper's encoding ablation also runs it.
* ``adj-bananas``: the adjacency one-hot encoding (the op at every position) on
  every space, NB201 included: the third encoding of seed 000's Figure 3 for
  NEP-BO, as ``adj-bo`` is for GP-BO.
* ``anasod-bananas``: the ANASOD operation distribution (seed 000 section 3.1),
  which needs a space with a group of always-active positions sharing one option
  list and refuses any other in one line before anything runs. Seed 000's
  ANASOD-NEP-BO is this predictor on that encoding; here the candidates are the
  same mutations as ``bananas`` draws, so the two runs differ in the encoding alone.

``recommend()`` is the base class's: the evaluated architecture with the best
posterior (ensemble-mean) value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from naslab.acquisition import Acquisition, ThompsonSampling
from naslab.encodings import AdjacencyEncoding, OpDistEncoding, PathEncoding
from naslab.encodings.base import Encoding
from naslab.errors import ConfigError
from naslab.spaces.base import INACTIVE, Architecture
from naslab.strategies.base import STRATEGIES
from naslab.strategies.hyperparameters import Integer
from naslab.strategies.model_based import Candidates, ModelBasedStrategy, enumerable
from naslab.surrogates.base import Surrogate
from naslab.surrogates.ensemble import NeuralEnsemble, import_torch

#: naszilla's ``patience_factor``: how many parents per ``num_arches_to_mutate`` may be mutated.
PATIENCE = 5
#: How many uniform samples per missing candidate are tried before listing the space.
FILL_ATTEMPTS = 20
#: Spaces up to this size are listed when sampling cannot find enough new architectures.
LISTING_LIMIT = 100_000


class NeuralPredictorBO(ModelBasedStrategy):
    """BANANAS's loop: mutate the best, score by ITS on a neural ensemble, query the top ``q``.

    Subclasses choose the encoding (:meth:`make_encoding`).
    """

    q = Integer(10, low=1, origin="naszilla's BANANAS (k)")
    num_candidates = Integer(100, low=1, origin="naszilla's BANANAS")
    num_arches_to_mutate = Integer(1, low=1, origin="naszilla's BANANAS")
    max_mutation_rate = Integer(1, low=1, origin="naszilla's BANANAS")
    num_ensemble = Integer(5, low=1, origin="naszilla's BANANAS")
    epochs = Integer(150, low=1, origin="naszilla's BANANAS")

    def _setup(self) -> None:
        super()._setup()
        import_torch()  # a missing extra fails here, in one line, before anything runs
        self.encoding = self.make_encoding()
        # the networks' seeds: drawn once, then a function of how much data a fit sees,
        # so a fit (and recommend()) never moves the strategy's own rng
        self._seed_base = int(self.rng.integers(2**32))

    def make_encoding(self) -> Encoding:
        raise NotImplementedError

    # --- the four parts of the SMBO loop -------------------------------------------------------
    def encode(self, archs: Sequence[Architecture]) -> np.ndarray:
        if not archs:
            return np.zeros((0, self.encoding.dim))
        many = getattr(self.encoding, "encode_many", None)
        rows = many(archs) if many is not None else [self.encoding.encode(a) for a in archs]
        return np.asarray(rows, dtype=float).reshape(len(archs), self.encoding.dim)

    def make_surrogate(self) -> Surrogate:
        seed = np.random.SeedSequence([self._seed_base, len(self.history)]).generate_state(1)[0]
        return NeuralEnsemble(seed=int(seed), members=self.num_ensemble, epochs=self.epochs)

    def acquisition(self) -> Acquisition:
        return ThompsonSampling()

    def candidates(self, needed: int) -> Candidates:
        taken = {o.arch for o in self.history} | self._pending.keys()
        pool = self._mutations(taken)
        if len(pool) < needed:
            self._fill(pool, taken, needed)
        archs = list(pool)
        return Candidates.of(archs, self.encode(archs))

    def random_proposal(self) -> Architecture:
        """A uniform sample, redrawn (a few times) while it was already queried or is pending."""
        return self.sample_untaken(self.taken(), FILL_ATTEMPTS)

    # --- the candidate pool ----------------------------------------------------------------------
    def _mutations(self, taken: set[Architecture]) -> dict[Architecture, None]:
        """naszilla's 'mutation' pool: new mutations of the best evaluated architectures."""
        means = self._mean_of
        ranked = sorted(means, key=lambda a: (means[a][0] / means[a][1], means[a][2]))
        tries = max(1, self.num_candidates // (self.num_arches_to_mutate * self.max_mutation_rate))
        pool: dict[Architecture, None] = {}
        for parent in ranked[: self.num_arches_to_mutate * PATIENCE]:
            if len(pool) >= self.num_candidates:
                break
            for _ in range(tries):
                for rate in range(1, self.max_mutation_rate + 1):
                    child = self.mutate(parent, rate)
                    if child not in taken:
                        pool[child] = None
        return pool

    def mutate(self, parent: Architecture, rate: int) -> Architecture:
        """``parent`` with each of its P active positions changed w.p. ``rate / (P - 2)``."""
        active = sum(op != INACTIVE for op in parent.ops)
        changes = int(self.rng.binomial(active, min(1.0, rate / max(active - 2, 1))))
        child = parent
        for _ in range(changes):
            child = self.space.mutate(child, self.rng)
        return child

    def _fill(self, pool: dict[Architecture, None], taken: set[Architecture], needed: int) -> None:
        """Add uniform samples not yet taken until the pool has ``needed`` (if the space has)."""
        for _ in range(FILL_ATTEMPTS * (needed - len(pool))):
            arch = self.space.sample(self.rng)
            if arch not in taken:
                pool[arch] = None
                if len(pool) >= needed:
                    return
        listing = enumerable(self.space, LISTING_LIMIT)
        if listing is not None:
            left = [a for a in listing if a not in taken and a not in pool]
            order = self.rng.permutation(len(left))[: needed - len(pool)]
            pool.update((left[i], None) for i in order)


@STRATEGIES.register(
    "bananas",
    "BANANAS (NEP-BO): neural-ensemble BO, path encoding on NB201 (adjacency elsewhere), "
    "mutation candidates, Thompson sampling",
)
class Bananas(NeuralPredictorBO):
    """BANANAS as naszilla runs it: the truncated path encoding on NB201, adjacency elsewhere.

    ``path_cutoff``: how many path features to keep on NB201 (naszilla: 30; 0 = all 155).
    """

    path_cutoff = Integer(30, low=0, high=155, origin="naszilla's BANANAS on NB201")

    def make_encoding(self) -> Encoding:
        try:
            return PathEncoding(self.space, cutoff=self.path_cutoff or None)
        except ConfigError:  # not the NB201 cell: the path encoding has no meaning there
            return AdjacencyEncoding(self.space)


@STRATEGIES.register(
    "anasod-bananas",
    "NEP-BO on the ANASOD op-distribution encoding (seed 000 Figure 3), otherwise as bananas",
)
class AnasodBananas(NeuralPredictorBO):
    """BANANAS's loop with the ANASOD operation-distribution encoding (seed 000, Figure 3)."""

    #: An op-distribution model gives every wiring of one op mix the same posterior mean,
    #: so it cannot rank the evaluated architectures: on NB201 (10 seeds, 150 queries,
    #: 'sample' noise) its pick's true error was 0.1-0.9 points worse than that of the
    #: lowest observed mean, which is therefore the answer.
    recommend_by_model = False

    def make_encoding(self) -> Encoding:
        return OpDistEncoding(self.space)


@STRATEGIES.register(
    "adj-bananas",
    "NEP-BO on the adjacency one-hot encoding (the op at every position), otherwise as bananas",
)
class AdjBananas(NeuralPredictorBO):
    """BANANAS's loop with the adjacency one-hot encoding on every space (seed 000, Figure 3)."""

    def make_encoding(self) -> Encoding:
        return AdjacencyEncoding(self.space)
