"""LaNAS: Monte Carlo tree search over a learned action space, and its regression-tree baseline.

Seed 002, sections 3.2-3.3 and Algorithms 1-2. After ``n_init`` uniform
samples, LaNAS alternates a learning phase, which relearns the
:class:`~naslab.strategies.latent_actions.LatentActionTree` from every sample so
far, with a search phase of ``select`` samples: each walks from the root to a
leaf by the UCB rule (:mod:`naslab.strategies.uct`), draws an architecture that
satisfies every linear constraint on that path, and back-propagates its value.

Sampling inside a path's constraints (the paper samples its polytope with a
Gibbs sampler) is done on the discrete space itself:

* ``exact`` (the default wherever the space can be listed, up to
  :data:`EXACT_LIMIT` architectures: NB201, user tables, small spaces): every
  architecture's leaf is known after each learning phase, so a draw is uniform
  over the unqueried architectures of the leaf, and selection skips any subtree
  with none left. No architecture is proposed twice until the space is exhausted.
* ``rejection`` (larger spaces): uniform draws until one lands in the leaf, at
  most :data:`REJECTION_DRAWS` per proposal. Good leaves are often far smaller
  than that (on NB201 under 0.1 % of the space), so next comes a random walk
  inside the constraints, the discrete counterpart of the paper's Gibbs
  sampler: from one of the leaf's own samples, it moves to a uniformly chosen
  neighbour (``space.neighbours``) that stays in the leaf, for up to
  :data:`WALK_STEPS` steps, and takes the first unqueried architecture it
  reaches after ``len(positions)`` steps (or any it reached, at the end). Only
  if that finds none is the draw whose leaf shares the longest part of the
  chosen path taken (the bounded fallback), and the leaf is taken for
  exhausted: selection skips it until the next relearn. :meth:`LaNAS.sampling_stats`
  reports the acceptance rate of the draws, the walks and the fallbacks.

Batches: proposals waiting for their results count as visits along their path
(a virtual loss), so one batch spreads over the tree. Failed evaluations (NaN
or inf) are queried but neither train the tree nor count as visits.
"""

from __future__ import annotations

import math

import numpy as np

from naslab.encodings import ENCODINGS, get_encoding
from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.spaces.base import Architecture, space_size
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Choice, Integer, Real
from naslab.strategies.latent_actions import LatentActionTree
from naslab.strategies.model_based import enumerable
from naslab.strategies.uct import exploration_constant, ucb

#: Largest space sampled exactly (every architecture's leaf is computed after each relearn).
EXACT_LIMIT = 200_000
#: Uniform draws per proposal in rejection sampling before the walk inside the constraints.
REJECTION_DRAWS = 200
#: Steps of that walk before the bounded fallback.
WALK_STEPS = 100
_CHUNK = 100


@STRATEGIES.register(
    "lanas", "LaNAS: MCTS over learned linear partitions of the space (seed 002)"
)
class LaNAS(Strategy):
    """Latent Action NAS (seed 002, Algorithms 1-2).

    Defaults: a tree of ``height`` 5 (section 4.1), ``n_init`` 10 random samples
    and a relearn every ``select`` = 10 samples (Figure 5's settings), and the
    exploration constant ``cp`` x the largest |value| observed, the paper's
    ``Cp = 0.1 * max(X)`` (section 4.5). ``encoding`` names the features the
    regressors see (the one-hot adjacency encoding by default, any registered
    one allowed); ``sampler`` is 'auto', 'exact' or 'rejection' (module docstring).
    """

    height = Integer(5, low=1, origin="seed 002 section 4.1")
    n_init = Integer(10, low=0, origin="seed 002 Figure 5")
    select = Integer(10, low=1, origin="seed 002 Figure 5")
    cp = Real(0.1, low=0.0, origin="seed 002 section 4.5")
    encoding = Choice("adjacency", tuple(ENCODINGS.names()), origin="naslab")
    sampler = Choice("auto", ("auto", "exact", "rejection"), origin="naslab")

    def _setup(self) -> None:
        self.features = get_encoding(self.encoding, self.space)
        self.tree: LatentActionTree | None = None
        self._learned_at = 0  # finite results the tree was learned from
        self._x = np.zeros((16, self.features.dim))  # features of the finite results, told order
        self._values: list[float] = []  # and their values
        self._largest = 0.0  # the largest |value| among them
        self._virtual = np.zeros(0)  # pending proposals per node (virtual visits)
        self._pending: dict[Architecture, list[int]] = {}
        self._asked = 0
        # Rejection sampling only: the finite results' architectures and their current leaves.
        self._told: list[Architecture] = []
        self._told_leaf: list[int] = []
        self._full: set[int] = set()  # leaves whose walk found nothing unqueried
        self.draws = self.hits = self.walks = self.fallbacks = 0
        pool = None if self.sampler == "rejection" else enumerable(self.space, EXACT_LIMIT)
        if pool is None and self.sampler == "exact":
            raise ConfigError(
                f"strategy {self.registered_name()!r}: sampler 'exact' needs a space of at most "
                f"{EXACT_LIMIT:,} architectures it can list, and {self.space.name!r} is not one; "
                "use sampler 'auto' or 'rejection'"
            )
        self._pool = pool
        if pool is not None:
            self._pool_x = np.asarray(self.features.encode_many(pool), dtype=float)
            self._pool_row = {arch: i for i, arch in enumerate(pool)}
            self._available = np.ones(len(pool), dtype=bool)
            self._pool_leaf = np.zeros(len(pool), dtype=np.int64)
            self._room = np.zeros(0)  # unqueried architectures under every node
        else:
            self._proposed: set[Architecture] = set()
            self._size = space_size(self.space)

    # --- ask ----------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[Architecture]:
        return [self._propose() for _ in range(n)]

    def _propose(self) -> Architecture:
        self._asked += 1
        if self._asked > self.n_init and len(self._values) >= 2 and self._has_room(0):
            self._relearn_if_due()
            leaf = self._select()
            arch = self._sample_in(leaf)
            if arch is not None:
                path = LatentActionTree.path(leaf)
                self._virtual[path] += 1
                self._pending[arch] = path
                return arch
        return self._uniform()

    def _relearn_if_due(self) -> None:
        """Algorithm 1, lines 6-7: relearn every node after ``select`` new results."""
        if self.tree is not None and len(self._values) - self._learned_at < self.select:
            return
        n = len(self._values)
        tree = LatentActionTree.learn(self.height, self._x[:n], np.array(self._values))
        self.tree, self._learned_at = tree, n
        if self._pool is None:  # the walk inside a leaf starts from one of its samples
            self._told_leaf = tree.leaves_of(self._x[:n]).tolist()
            self._full.clear()
        self._virtual = np.zeros(tree.n_nodes)
        self._pending.clear()
        if self._pool is not None:
            self._pool_leaf = tree.leaves_of(self._pool_x)
            room = np.bincount(self._pool_leaf[self._available], minlength=tree.n_nodes)
            for node in reversed(range(tree.n_nodes)):
                if not tree.is_leaf(node):
                    room[node] = room[2 * node + 1] + room[2 * node + 2]
            self._room = room.astype(float)

    def _select(self) -> int:
        """Algorithm 2's ``ucb_select``: from the root to a leaf, skipping exhausted subtrees."""
        assert self.tree is not None
        c = exploration_constant(self.cp, self._largest)
        node = 0
        while not self.tree.is_leaf(node):
            left, right = 2 * node + 1, 2 * node + 2
            if not self._has_room(left):
                node = right
            elif not self._has_room(right):
                node = left
            else:
                node = self._choose(node, left, right, c)
        return node

    def _choose(self, parent: int, left: int, right: int, c: float) -> int:
        """The child with the larger UCB score; ties go right, as in Algorithm 2."""
        return left if self._score(left, parent, c) > self._score(right, parent, c) else right

    def _score(self, child: int, parent: int, c: float) -> float:
        assert self.tree is not None
        if not self.tree.counts[child]:
            return math.inf
        visits = self.tree.counts + self._virtual
        return ucb(-self.tree.mean(child), visits[child], visits[parent], c)

    def _has_room(self, node: int) -> bool:
        if self._pool is None:
            if self.tree is None or not self._full:
                return True
            if self.tree.is_leaf(node):
                return node not in self._full
            return self._has_room(2 * node + 1) or self._has_room(2 * node + 2)
        if self.tree is None:
            return bool(self._available.any())
        return bool(self._room[node] > 0)

    def _sample_in(self, leaf: int) -> Architecture | None:
        """An unqueried architecture satisfying every constraint on the path to ``leaf``."""
        if self._pool is not None:
            rows = np.flatnonzero(self._available & (self._pool_leaf == leaf))
            return self._take(int(rows[self.rng.integers(len(rows))]))
        return self._rejection_sample(leaf)

    def _rejection_sample(self, leaf: int) -> Architecture | None:
        assert self.tree is not None
        target = LatentActionTree.path(leaf)
        best: Architecture | None = None
        best_shared = -1
        for _ in range(REJECTION_DRAWS // _CHUNK):
            archs = [a for a in (self.space.sample(self.rng) for _ in range(_CHUNK))
                     if a not in self._proposed]
            if not archs:
                continue
            leaves = self.tree.leaves_of(np.asarray(self.features.encode_many(archs), float))
            self.draws += len(archs)
            hit = np.flatnonzero(leaves == leaf)
            self.hits += hit.size
            if hit.size:
                return self._claim(archs[int(hit[0])])
            for arch, other in zip(archs, leaves.tolist(), strict=True):
                shared = _shared_depth(target, LatentActionTree.path(other))
                if shared > best_shared:
                    best, best_shared = arch, shared
        walked = self._walk(leaf)
        if walked is not None:
            self.walks += 1
            return self._claim(walked)
        self.fallbacks += 1
        self._full.add(leaf)
        return None if best is None else self._claim(best)

    def _walk(self, leaf: int) -> Architecture | None:
        """A random walk over neighbours inside ``leaf``, from one of its samples."""
        assert self.tree is not None
        starts = [a for a, j in zip(self._told, self._told_leaf, strict=True) if j == leaf]
        if not starts:
            return None
        current = starts[int(self.rng.integers(len(starts)))]
        found = None
        for step in range(WALK_STEPS):
            moves = self.space.neighbours(current)
            if not moves:
                break
            inside = self.tree.leaves_of(np.asarray(self.features.encode_many(moves), float))
            moves = [a for a, j in zip(moves, inside.tolist(), strict=True) if j == leaf]
            if not moves:
                break
            current = moves[int(self.rng.integers(len(moves)))]
            if current not in self._proposed:
                found = current
                if step + 1 >= len(self.space.positions):
                    break
        return found

    def _uniform(self) -> Architecture:
        """A uniform unqueried architecture (a uniform one once the space is exhausted)."""
        if self._pool is not None:
            rows = np.flatnonzero(self._available)
            if rows.size:
                return self._take(int(rows[self.rng.integers(rows.size)]))
            return self.space.sample(self.rng)
        arch = self.space.sample(self.rng)
        while arch in self._proposed and len(self._proposed) < self._size:
            arch = self.space.sample(self.rng)
        return self._claim(arch)

    def _take(self, row: int) -> Architecture:
        """Mark pool row ``row`` queried, keeping every node's count of what is left."""
        if self._available[row]:
            self._available[row] = False
            if self.tree is not None:
                self._room[LatentActionTree.path(int(self._pool_leaf[row]))] -= 1
        assert self._pool is not None
        return self._pool[row]

    def _claim(self, arch: Architecture) -> Architecture:
        self._proposed.add(arch)
        return arch

    # --- tell ---------------------------------------------------------------------------
    def _update(self, obs: Observation) -> None:
        path = self._pending.pop(obs.arch, None)
        if path is not None:
            self._virtual[path] -= 1
        row = self._pool_row.get(obs.arch) if self._pool is not None else None
        if row is not None:
            self._take(row)
        elif self._pool is None:
            self._proposed.add(obs.arch)
        if not math.isfinite(obs.value):
            return
        x = (self._pool_x[row] if row is not None
             else np.asarray(self.features.encode_many([obs.arch]), dtype=float)[0])
        n = len(self._values)
        if n == len(self._x):  # grow by doubling: relearning reads them as one array
            self._x = np.vstack([self._x, np.zeros_like(self._x)])
        self._x[n] = x
        self._values.append(obs.value)
        if self._pool is None:
            self._told.append(obs.arch)
        self._largest = max(self._largest, abs(obs.value))
        if self.tree is not None:  # Algorithm 1, line 13: back-propagate
            leaf = self.tree.leaf_of(x)
            self.tree.add(leaf, obs.value)
            if self._pool is None:
                self._told_leaf.append(leaf)

    def sampling_stats(self) -> dict[str, float]:
        """Rejection sampling's uniform draws, the share landing in the chosen leaf, and how
        many proposals came from the walk inside the constraints and from the fallback."""
        rate = self.hits / self.draws if self.draws else math.nan
        return {"draws": self.draws, "acceptance_rate": rate, "walks": self.walks,
                "fallbacks": self.fallbacks}


@STRATEGIES.register(
    "lanas-rt", "regression tree: LaNAS's learned partitions, always the most promising leaf"
)
class RegressionTree(LaNAS):
    """Seed 002 section 4.2's 'Regression Tree': LaNAS without MCTS.

    It always samples the most promising region, the leftmost leaf with
    unqueried architectures (the greedy go-left search of section 3.2), so it
    exploits the current partition and never explores.
    """

    cp = 0.0  # no exploration term

    def _choose(self, parent: int, left: int, right: int, c: float) -> int:
        return left


def _shared_depth(path: list[int], other: list[int]) -> int:
    """How many nodes two root-to-leaf paths share."""
    shared = 0
    for a, b in zip(path, other, strict=False):
        if a != b:
            break
        shared += 1
    return shared
