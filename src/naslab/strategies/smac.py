"""SMAC: Bayesian optimisation with a random forest, EI and a local search of the acquisition.

Hutter, Hoos and Leyton-Brown, 'Sequential Model-Based Optimization for General
Algorithm Configuration' (LION 2011), the SMAC that seed 002 compares LaNAS with
(section 3.4 'Relationship to other black-box optimizations' and appendix A.3,
where SMAC is the generic SMBO loop of fit surrogate -> maximise acquisition ->
evaluate; its experiments run SMAC3's random forest). The parts, as the paper
and SMAC3 set them:

* surrogate: the random forest of :mod:`naslab.surrogates.forest` (10 trees,
  5/6 of the features per split, min_samples_split = min_samples_leaf = 3,
  bootstrapping), predicting the mean and variance across trees;
* acquisition: expected improvement (section 4.3). The paper's E[I_exp] works on
  log runtimes and SMAC3's hyperparameter-optimisation facade uses log-EI on
  log-scaled costs; for a quality objective such as an error rate the paper's
  plain EI applies, with SMAC3's ``xi = 0``;
* acquisition optimiser (section 4.3): compute EI at every evaluated
  configuration, start a local search from the ten with the largest EI in the
  one-exchange neighbourhood (``space.neighbours``: change one position), moving
  to the best neighbour while EI improves; score 10,000 random configurations
  too, and query the best of both by EI;
* interleaving: every second configuration is drawn uniformly at random
  (section 4.3: unbiased training data, and robustness to a misleading model;
  SMAC3's algorithm-configuration facade keeps a random probability of 0.5).

Encoding: the one-hot of the option at every position
(:class:`~naslab.encodings.adjacency.AdjacencyEncoding`; NB201's per-edge
one-hot, inactive positions all zeros), which works on every space. The
intensification of the paper (racing configurations over instances) has no
counterpart here: one evaluation is one observation, and noise is handled by
``recommend()`` from the model (:mod:`naslab.strategies.model_based`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from naslab.acquisition import Acquisition, AcquisitionContext, ExpectedImprovement
from naslab.encodings.adjacency import AdjacencyEncoding
from naslab.spaces.base import Architecture
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Integer, Real
from naslab.strategies.model_based import Candidates, ModelBasedStrategy, enumerable
from naslab.surrogates.base import Surrogate
from naslab.surrogates.forest import RandomForest

ORIGIN = "Hutter et al. 2011 section 4.3"
#: How often an interleaved random proposal is redrawn while it hits a taken architecture.
RANDOM_TRIES = 100


@STRATEGIES.register("smac", "SMAC: random forest + EI, local search from the ten best by EI, "
                     "every second query random (Hutter et al. 2011)")
class SMAC(ModelBasedStrategy):
    """Sequential model-based algorithm configuration on architectures."""

    local_searches = Integer(10, low=0, origin=ORIGIN)
    random_candidates = Integer(10_000, low=0, origin=ORIGIN)
    random_every = Integer(2, low=0, origin=ORIGIN)  # 0: never interleave
    max_steps = Integer(100, low=1, origin="naslab (a cap; the paper runs to a local optimum)")
    xi = Real(0.0, low=0.0, origin="SMAC3's EI")

    def _setup(self) -> None:
        super()._setup()
        self._encoding = AdjacencyEncoding(self.space)
        self._proposals = 0  # model-phase proposals so far: every random_every-th is random
        self._all = enumerable(self.space, 100_000)
        self._all_X = None if self._all is None else self._encoding.encode_many(self._all)

    # --- the four parts ---------------------------------------------------------------------
    def encode(self, archs: Sequence[Architecture]) -> np.ndarray:
        return self._encoding.encode_many(archs)

    def make_surrogate(self) -> Surrogate:
        return RandomForest(seed=self.rng)

    def acquisition(self) -> Acquisition:
        return ExpectedImprovement(xi=self.xi)

    def candidates(self, needed: int) -> Candidates:
        """Local-search results from the ten evaluated architectures with the largest EI, plus
        ``random_candidates`` uniform samples (all of a small space). A point in both is scored
        twice, which changes no choice."""
        local: dict[Architecture, None] = {}
        self._local_search(local)
        found = list(local)
        if self._all is not None and self._all_X is not None:
            everything, encoded = self._all, self._all_X
            if len(everything) <= self.random_candidates:
                picks = np.arange(len(everything))
            else:
                picks = self.rng.choice(len(everything), self.random_candidates, replace=False)
            X = np.concatenate([self.encode(found), encoded[picks]])
            return Candidates(X, lambda i: found[i] if i < len(found)
                              else everything[int(picks[i - len(found)])])
        archs = found + [self.space.sample(self.rng) for _ in range(self.random_candidates)]
        return Candidates.of(archs, self.encode(archs))

    def recommend(self) -> Architecture | None:
        """SMAC's incumbent: the evaluated architecture with the best mean observed value (its
        intensification compares configurations on their runs, not on the model's prediction)."""
        return Strategy.recommend(self)

    # --- interleaving -----------------------------------------------------------------------
    def _select(self, k: int, asking: list[Architecture]) -> list[Architecture]:
        """``k`` proposals, every ``random_every``-th uniformly random, the rest by the model."""
        every = self.random_every
        random_slot = [every > 0 and (self._proposals + j) % every == every - 1 for j in range(k)]
        self._proposals += k
        by_model = iter(super()._select(random_slot.count(False), asking)
                        if not all(random_slot) else [])
        taken = self.taken() | set(asking)
        out: list[Architecture] = []
        for is_random in random_slot:
            arch = None if is_random else next(by_model, None)
            if arch is None:
                arch = self.sample_untaken(taken, RANDOM_TRIES)
            taken.add(arch)
            out.append(arch)
        return out

    # --- the acquisition's local search -----------------------------------------------------
    def _scorer(self) -> Callable[[Sequence[Architecture]], np.ndarray]:
        """EI under the model ``_select`` has just fitted, against its incumbent."""
        model = self._model
        assert model is not None
        context = AcquisitionContext(
            incumbent=self._incumbent(model), iteration=self._iteration + 1,
            dim=self._encoding.dim, rng=self.rng,
        )
        acquisition = self.acquisition()
        return lambda archs: acquisition(model.predict(self.encode(archs)), context)

    def _local_search(self, pool: dict[Architecture, None]) -> None:
        """Best-improvement local search on EI from the evaluated architectures with most EI,
        all starts advanced together (one prediction per step); visited points join ``pool``."""
        if not self.local_searches:
            return
        score = self._scorer()
        evaluated = list(self._mean_of)
        scores = score(evaluated)
        order = np.argsort(-scores, kind="stable")[: self.local_searches]
        current = [(evaluated[i], float(scores[i])) for i in order]
        for _ in range(self.max_steps):
            if not current:
                break
            moves = [self.space.neighbours(arch) for arch, _ in current]
            flat = [n for group in moves for n in group]
            if not flat:
                break
            values = score(flat)
            pool.update(dict.fromkeys(flat))
            improved, start = [], 0
            for (_, value), group in zip(current, moves, strict=True):
                if group:
                    best = start + int(np.argmax(values[start : start + len(group)]))
                    if values[best] > value:
                        improved.append((flat[best], float(values[best])))
                start += len(group)
            current = improved
