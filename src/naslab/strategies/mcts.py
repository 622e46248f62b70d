"""MCTS over a fixed, manually designed action space: the MCTS baselines of LaNAS.

Seed 002, section 2 (the motivating example) searches one space with MCTS under
two action spaces: *sequential* builds the network position by position, while
*global* first fixes a global property of the network and only then the
details, and the global tree separates good from bad networks far earlier
(Fig. 2). Section 4.2 compares LaNAS with an AlphaX-style MCTS whose manual
action space incrementally builds a network, one evaluation per rollout. Here:

* ``mcts-sequential``: the actions choose the option at each position in turn
  (NB201: the op of each of its six edges);
* ``mcts-global``: the first action chooses the operation counts (the ANASOD /
  op-distribution encoding, :class:`~naslab.encodings.OpDistEncoding`), the
  following ones the positions in turn (the wiring).

Both run classic UCT (section 3.3 and Algorithm 1's UCB rule, via
:mod:`naslab.strategies.uct`): select by UCB while every live child of a node is
visited, expand one unvisited child chosen uniformly, complete the architecture
by a uniform random rollout, back-propagate its reward (the negated value:
naslab minimises) along every prefix of its action path.

The tree is built from the space's enumerated architectures, so only existing
architectures (a table's rows included) are ever proposed. Nodes are action
prefixes; sorting the architectures by their action paths makes every node a
contiguous range of that order, so a node's children are found with numpy when
it is first reached (lazily) and never stored for untouched subtrees.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence

import numpy as np

from naslab.encodings import OpDistEncoding
from naslab.errors import ConfigError
from naslab.observation import Observation
from naslab.spaces.base import Architecture, space_size
from naslab.strategies import uct
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Real
from naslab.strategies.model_based import enumerable

#: The largest space whose architectures the action tree is built from.
MAX_ARCHITECTURES = 200_000


class _Node:
    """An action prefix: the architectures ``order[lo:hi]`` sharing it, and its statistics.

    ``visits`` counts proposals (pending ones too) and results told for
    architectures that are not pending; ``reward_sum`` / ``results`` is the mean
    reward over finite results only; ``remaining`` is how many architectures under
    it are not yet queried.
    """

    __slots__ = ("lo", "hi", "depth", "remaining", "visits", "reward_sum", "results",
                 "children", "by_action")

    def __init__(self, lo: int, hi: int, depth: int, remaining: int) -> None:
        self.lo = lo
        self.hi = hi
        self.depth = depth
        self.remaining = remaining
        self.visits = 0
        self.reward_sum = 0.0
        self.results = 0
        self.children: list[_Node] | None = None
        self.by_action: dict[int, _Node] | None = None


class FixedActionMCTS(Strategy):
    """UCT over an action tree whose paths subclasses define (seed 002, sections 2 and 4.2).

    The only thing a subclass says is :meth:`action_columns`: how architectures
    map to action paths. Rules beyond the paper, which it leaves open:

    * no architecture is proposed twice while unqueried ones remain: every node
      counts its unqueried architectures and exhausted children are skipped, in
      selection, expansion and rollout alike; once the whole space is queried,
      proposals are uniform samples;
    * batches: a proposal counts as a visit on its path at once (a virtual visit,
      with no reward yet), so several asks before a tell spread out; its result,
      told in any order, adds the reward without a second visit;
    * a failed evaluation (value inf or NaN) is a visit with no reward: the path
      looks explored but its mean is unchanged. A node visited but with no finite
      result yet takes the worst reward observed (pessimistic, like a virtual loss);
    * ties in UCB are broken uniformly, so all randomness comes from ``rng``.
    """

    #: Cp = 0.1: the exploration constant is a tenth of the largest value told (seed 002,
    #: section 4.5 on c in UCB, and the Cp = 0.1 of section 4.2's runs; uct.exploration_constant).
    cp = Real(0.1, low=0)

    @abstractmethod
    def action_columns(self, ops: np.ndarray) -> list[np.ndarray]:
        """The action paths of the architectures whose choice indices are the rows of ``ops``.

        One array per step, in path order: ``(n,)`` for a scalar action, ``(n, k)`` for
        an action that is a vector (e.g. op counts). Vectorised, so that building the
        tree for NB201 costs a few numpy calls.
        """

    def _setup(self) -> None:
        archs = self._enumerate()
        ops = np.array([a.ops for a in archs], dtype=np.int64).reshape(len(archs), -1)
        labels: list[np.ndarray] = []
        ids: list[np.ndarray] = []
        for column in self.action_columns(ops):
            unique, inverse = np.unique(column, axis=0, return_inverse=True)
            labels.append(unique)
            ids.append(inverse.reshape(-1))
        keys = np.stack(ids, axis=1)
        order = np.lexsort(keys.T[::-1])  # first action most significant
        self._labels = labels
        self._paths = keys[order]
        self._archs: list[Architecture] = [archs[i] for i in order.tolist()]
        self._row = {arch: i for i, arch in enumerate(self._archs)}
        self._unqueried = np.ones(len(archs), dtype=np.int64)
        self._depth = keys.shape[1]
        self.root = _Node(0, len(archs), 0, len(archs))
        self._pending: dict[Architecture, int] = {}
        self._largest = 0.0  # the largest finite |value| told
        self._worst: float | None = None  # the lowest finite reward told

    def _enumerate(self) -> list[Architecture]:
        name = self.registered_name()
        size = space_size(self.space)
        if size > MAX_ARCHITECTURES:
            raise ConfigError(
                f"strategy {name!r} builds its action tree from every architecture, but space "
                f"{self.space.name!r} has {size:,} (limit {MAX_ARCHITECTURES:,}); "
                "use a tree-free strategy such as rs, re or ls"
            )
        archs = enumerable(self.space, MAX_ARCHITECTURES)
        if archs is None:
            raise ConfigError(
                f"strategy {name!r} builds its action tree from every architecture, but space "
                f"{self.space.name!r} cannot list them (it has no all())"
            )
        return archs

    # --- the action paths ------------------------------------------------------------------
    def path(self, arch: Architecture) -> tuple[object, ...]:
        """``arch``'s action path, readable: ints for positions, a tuple for a vector action."""
        row = self._paths[self._row[arch]]
        out: list[object] = []
        for labels, action in zip(self._labels, row.tolist(), strict=True):
            label = labels[action]
            out.append(tuple(label.tolist()) if label.ndim else label.item())
        return tuple(out)

    # --- ask -------------------------------------------------------------------------------
    def ask(self, n: int = 1) -> list[Architecture]:
        out = []
        for _ in range(n):
            if self.root.remaining:
                nodes = self._select()
                arch = self._archs[nodes[-1].lo]
                for node in nodes:
                    node.remaining -= 1
                    node.visits += 1
                self._unqueried[nodes[-1].lo] = 0
            else:  # every architecture queried: the paper's rule has nothing left to say
                arch = self.space.sample(self.rng)
                row = self._row.get(arch)
                if row is not None:
                    for node in self._nodes(row):
                        node.visits += 1
            self._pending[arch] = self._pending.get(arch, 0) + 1
            out.append(arch)
        return out

    def _select(self) -> list[_Node]:
        """The path of the next proposal: UCB descent, one expansion, a random rollout."""
        c = uct.exploration_constant(self.cp, self._largest)
        node = self.root
        nodes = [node]
        while node.depth < self._depth:
            live = [child for child in self._children(node) if child.remaining]
            fresh = [child for child in live if not child.visits]
            if fresh:
                nodes.append(fresh[self._pick(len(fresh))])
                break
            node = live[self._best(live, node.visits, c)]
            nodes.append(node)
        node = nodes[-1]
        while node.depth < self._depth:  # rollout: uniform among children with unqueried archs
            live = [child for child in self._children(node) if child.remaining]
            node = live[self._pick(len(live))]
            nodes.append(node)
        return nodes

    def _best(self, children: Sequence[_Node], parent_visits: int, c: float) -> int:
        """The index of the child with the highest UCB (Algorithm 1's ``get_ucb``)."""
        best: list[int] = []
        top = -math.inf
        for i, child in enumerate(children):
            mean = child.reward_sum / child.results if child.results else (self._worst or 0.0)
            score = uct.ucb(mean, child.visits, parent_visits, c)
            if score > top:
                top, best = score, [i]
            elif score == top:
                best.append(i)
        return best[0] if len(best) == 1 else best[self._pick(len(best))]

    def _pick(self, n: int) -> int:
        return 0 if n == 1 else int(self.rng.integers(n))

    def _children(self, node: _Node) -> list[_Node]:
        """``node``'s children, found from the sorted paths the first time they are needed."""
        if node.children is None:
            lo, hi, depth = node.lo, node.hi, node.depth
            column = self._paths[lo:hi, depth]
            starts = np.flatnonzero(column[1:] != column[:-1]) + 1
            starts = np.concatenate(([0], starts))
            remaining = np.add.reduceat(self._unqueried[lo:hi], starts).tolist()
            ends = starts.tolist()[1:] + [hi - lo]
            node.children = [
                _Node(lo + s, lo + e, depth + 1, r)
                for s, e, r in zip(starts.tolist(), ends, remaining, strict=True)
            ]
            node.by_action = dict(zip(column[starts].tolist(), node.children, strict=True))
        return node.children

    def _nodes(self, row: int) -> list[_Node]:
        """Every prefix node of the architecture at ``row`` of the sorted order, root first."""
        node = self.root
        nodes = [node]
        path = self._paths[row].tolist()
        for action in path:
            self._children(node)
            assert node.by_action is not None
            node = node.by_action[action]
            nodes.append(node)
        return nodes

    # --- tell ------------------------------------------------------------------------------
    def _update(self, obs: Observation) -> None:
        row = self._row.get(obs.arch)
        if row is None:  # not an architecture of this space's tree: nothing to learn
            return
        if self._unqueried[row]:  # told without being asked (e.g. a warm start)
            self._mark_queried(row)
        nodes = self._nodes(row)
        pending = self._pending.get(obs.arch, 0)
        if pending:  # its visit was counted when it was asked
            if pending == 1:
                del self._pending[obs.arch]
            else:
                self._pending[obs.arch] = pending - 1
        else:
            for node in nodes:
                node.visits += 1
        value = obs.value
        if not math.isfinite(value):  # a failed evaluation: a visit, no reward
            return
        reward = -value
        self._worst = reward if self._worst is None else min(self._worst, reward)
        self._largest = max(self._largest, abs(value))
        for node in nodes:
            node.reward_sum += reward
            node.results += 1

    def _mark_queried(self, row: int) -> None:
        """One fewer unqueried architecture in every existing node above ``row``."""
        node = self.root
        for action in self._paths[row].tolist():
            node.remaining -= 1
            if node.by_action is None:  # deeper nodes will count from _unqueried
                break
            node = node.by_action[action]
        else:
            node.remaining -= 1
        self._unqueried[row] = 0


@STRATEGIES.register(
    "mcts-sequential",
    "UCT over a sequential action space: the option at each position in turn (LaNAS baseline)",
)
class SequentialMCTS(FixedActionMCTS):
    """MCTS whose actions decide each position in order (seed 002, section 2 'sequential';
    the AlphaX-style baseline of section 4.2 that builds a network incrementally)."""

    def action_columns(self, ops: np.ndarray) -> list[np.ndarray]:
        return [ops[:, i] for i in range(ops.shape[1])]


@STRATEGIES.register(
    "mcts-global",
    "UCT over a global action space: the op counts (ANASOD) first, then each position",
)
class GlobalMCTS(FixedActionMCTS):
    """MCTS whose first action fixes the operation counts, then each position in order
    (seed 002, section 2 'global': decide a property of the whole network before its
    details; the counts are the ANASOD encoding, seed 000 section 3.1)."""

    def _setup(self) -> None:
        try:
            self.encoding = OpDistEncoding(self.space)
        except ConfigError as exc:
            raise ConfigError(
                f"strategy {self.registered_name()!r} decides operation counts first, which "
                f"space {self.space.name!r} cannot encode ({exc}); use mcts-sequential"
            ) from None
        super()._setup()

    def action_columns(self, ops: np.ndarray) -> list[np.ndarray]:
        blocks = ops[:, list(self.encoding.blocks)]
        counts = (blocks[:, :, None] == np.arange(self.encoding.dim)).sum(axis=1)
        return [counts] + [ops[:, i] for i in range(ops.shape[1])]
