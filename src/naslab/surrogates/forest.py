"""A random-forest surrogate as SMAC uses it: mean and variance across the trees.

Hutter, Hoos and Leyton-Brown, 'Sequential Model-Based Optimization for General
Algorithm Configuration' (LION 2011; the SMAC that seed 002 section 3.4 and
appendix A.3 compare LaNAS with) model performance with a random forest and
predict, at a new point, the empirical mean and variance of the individual
trees' predictions. SMAC3 does the same (``smac/model/random_forest``:
``predict`` returns ``preds.mean(axis=1)`` and ``preds.var(axis=1)`` over the
trees; variances below ``VERY_SMALL_NUMBER = 1e-10`` are raised to it) with the
defaults of its ``RandomForest`` class and ``smac/constants.py``, kept here:

* ``n_trees = 10`` (``N_TREES``);
* ``ratio_features = 5/6``: a split considers ``max(1, int(5/6 * d))`` features;
* ``min_samples_split = 3`` and ``min_samples_leaf = 3``;
* ``max_depth = 2**20`` (unbounded in effect); ``bootstrapping = True``.

(SMAC3's hyperparameter-optimisation facade overrides these with
``ratio_features = 1``, ``min_samples_split = 2``, ``min_samples_leaf = 1``;
the class and the algorithm-configuration defaults above are the paper's model.)
The trees are scikit-learn's ``RandomForestRegressor`` with ``n_jobs = 1``,
seeded from the constructor's seed or Generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from naslab.errors import ConfigError
from naslab.surrogates.base import Prediction

#: SMAC3's floor on a predicted variance (``smac/constants.py``, ``VERY_SMALL_NUMBER``).
MIN_VARIANCE = 1e-10


@dataclass
class RandomForest:
    """SMAC's random forest: ``predict`` gives the mean and variance of the per-tree predictions.

    ``seed`` is an int or a numpy Generator (one integer is drawn from it when
    the surrogate is built); every fit draws its forest's seed from that, so a
    refitted surrogate grows new trees and the whole sequence is reproducible.
    """

    seed: int | np.random.Generator = 0
    n_trees: int = 10
    ratio_features: float = 5.0 / 6.0
    min_samples_split: int = 3
    min_samples_leaf: int = 3
    max_depth: int = 2**20
    bootstrap: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.seed, np.random.Generator):
            self.seed = int(self.seed.integers(2**31 - 1))
        self._seeds = np.random.default_rng(self.seed)
        self._forest: Any = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> RandomForest:
        try:
            from sklearn.ensemble import RandomForestRegressor
        except ImportError:
            raise ConfigError(
                "the random-forest surrogate (SMAC) needs scikit-learn: pip install 'naslab[bo]'"
            ) from None

        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(X) != len(y) or len(y) == 0:
            raise ValueError(f"fit needs as many targets as rows, got {X.shape} and {y.shape}")
        d = X.shape[1]
        self._forest = RandomForestRegressor(
            n_estimators=self.n_trees,
            max_features=max(1, int(self.ratio_features * d)),
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            max_depth=self.max_depth,
            bootstrap=self.bootstrap,
            n_jobs=1,
            random_state=int(self._seeds.integers(2**31 - 1)),
        ).fit(X, y)
        return self

    def predict(self, X: np.ndarray) -> Prediction:
        if self._forest is None:
            raise RuntimeError("predict() before fit()")
        X = np.ascontiguousarray(X, dtype=np.float32)  # the trees' own dtype: no copy per tree
        per_tree = np.stack([tree.predict(X, check_input=False)
                             for tree in self._forest.estimators_])
        mean = per_tree.mean(axis=0)
        variance = np.maximum(per_tree.var(axis=0), MIN_VARIANCE)
        return Prediction(mean.astype(float), variance.astype(float))
