"""LaNAS's learned action space: a binary tree of linear partitions of the search space.

Seed 002, section 3.1 (learning phase) and Algorithm 2 (``get_constraints``):
every internal node fits a linear regressor ``f(a) = w . a + b`` on the
features of the samples in its region and splits the region at the node's mean
value ``V``. The *left* child is the good region, the *right* the bad one; as
naslab minimises values, good means ``f(a) < V`` (the paper, maximising
accuracy, writes ``f(a) >= V``). A path from the root to a leaf is a set of
linear constraints, and the leaves partition the space into regions of similar
value (Figure 4).

Nodes are numbered heap-style: the root is 0 and node ``j``'s children are
``2j + 1`` (left) and ``2j + 2`` (right), so a tree of height ``h`` has
``2^h - 1`` nodes and its leaves sit at depth ``h - 1`` (section 4.1: height
5, internal nodes 0-14). A node whose samples all have one value (a single
sample included), or whose regressor puts every sample on one side, does not
split and is a leaf: early in a search the tree is shallower than ``h``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Relative eigenvalue cut-off of the Gram matrix (singular values below ~1e-5 of the largest).
_RCOND = 1e-10


@dataclass(frozen=True)
class Split:
    """One node's latent action: go left where ``features @ weights + bias < threshold``."""

    weights: np.ndarray
    bias: float
    threshold: float

    def goes_left(self, features: np.ndarray) -> np.ndarray:
        """Per row of ``features``, whether it lies in the good (left) region."""
        return features @ self.weights + self.bias < self.threshold


def fit_split(features: np.ndarray, values: np.ndarray) -> Split:
    """Least-squares linear regressor of ``values`` on ``features``, cut at their mean.

    The minimum-norm solution is taken where features are collinear (a one-hot
    block always sums to one), so any encoding works as it is. It is solved
    through the small ``(d + 1) x (d + 1)`` Gram matrix: LAPACK's least squares on
    the tall design matrix was 20x slower here, and the tree is relearned often.
    """
    design = np.hstack([features, np.ones((len(features), 1))])
    gram = design.T @ design
    coef = np.linalg.pinv(gram, rcond=_RCOND, hermitian=True) @ (design.T @ values)
    return Split(coef[:-1], float(coef[-1]), float(values.mean()))


class LatentActionTree:
    """The learned partition with, per node, the visit count and value sum of its samples.

    ``counts`` and ``sums`` start as the statistics of the samples it was learned
    from; :meth:`add` back-propagates each new sample (Algorithm 1, line 13).
    """

    def __init__(self, height: int) -> None:
        self.height = height
        self.n_nodes = 2**height - 1
        self.splits: list[Split | None] = [None] * self.n_nodes
        self.counts = np.zeros(self.n_nodes)
        self.sums = np.zeros(self.n_nodes)

    @classmethod
    def learn(cls, height: int, features: np.ndarray, values: np.ndarray) -> LatentActionTree:
        """Section 3.1: split recursively from the root on every sample so far."""
        tree = cls(height)
        stack = [(0, np.arange(len(values)), 0)]
        while stack:
            node, rows, depth = stack.pop()
            tree.counts[node] = len(rows)
            tree.sums[node] = values[rows].sum()
            if depth == height - 1 or len(rows) < 2 or np.ptp(values[rows]) == 0:
                continue  # one sample, or no signal to split on
            split = fit_split(features[rows], values[rows])
            good = split.goes_left(features[rows])
            if good.all() or not good.any():
                continue
            tree.splits[node] = split
            stack.append((2 * node + 1, rows[good], depth + 1))
            stack.append((2 * node + 2, rows[~good], depth + 1))
        return tree

    def is_leaf(self, node: int) -> bool:
        return self.splits[node] is None

    def leaves(self) -> list[int]:
        """Every leaf, left (best predicted) to right (worst)."""
        out, stack = [], [0]
        while stack:
            node = stack.pop()
            if self.is_leaf(node):
                out.append(node)
            else:
                stack += [2 * node + 2, 2 * node + 1]
        return out

    def leaves_of(self, features: np.ndarray) -> np.ndarray:
        """The leaf each row of ``features`` falls in (vectorised over rows)."""
        nodes = np.zeros(len(features), dtype=np.int64)
        for depth in range(self.height - 1):
            moved = False
            for node in range(2**depth - 1, 2 ** (depth + 1) - 1):  # the nodes at this depth
                split = self.splits[node]
                if split is None:
                    continue
                rows = np.flatnonzero(nodes == node)
                if not rows.size:
                    continue
                left = split.goes_left(features[rows])
                nodes[rows] = np.where(left, 2 * node + 1, 2 * node + 2)
                moved = True
            if not moved:
                break
        return nodes

    def leaf_of(self, feature: np.ndarray) -> int:
        """The leaf one feature vector falls in."""
        node = 0
        while (split := self.splits[node]) is not None:
            node = 2 * node + 1 if split.goes_left(feature[None, :])[0] else 2 * node + 2
        return node

    @staticmethod
    def path(leaf: int) -> list[int]:
        """The nodes from the root down to ``leaf``, both included."""
        out = [leaf]
        while out[-1]:
            out.append((out[-1] - 1) // 2)
        return out[::-1]

    def add(self, leaf: int, value: float) -> None:
        """Back-propagate one sample of ``value`` from ``leaf`` to the root."""
        nodes = self.path(leaf)
        self.counts[nodes] += 1
        self.sums[nodes] += value

    def mean(self, node: int) -> float:
        """``V(Omega_j)``: the mean value of the node's samples (NaN if it has none)."""
        return self.sums[node] / self.counts[node] if self.counts[node] else float("nan")
