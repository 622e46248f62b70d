"""Local search: climb to the best neighbour until none improves, then restart.

White, Nolen & Savani, "Local search is state of the art for NAS benchmarks"
(UAI 2021), as seed 000 appendix A.1 adapts it, following naszilla's
``local_search`` (naszilla/naszilla ``naszilla/nas_algorithms.py``) with
``query_full_nbhd=True`` (the paper's "exhaustively enumerates and queries its
neighbours") and ``stop_at_minimum=True``:

* a run draws ``n_init`` = 10 new random architectures and starts from the best;
* it queries every neighbour of the incumbent, in random order (naszilla shuffles
  the neighbourhood), skipping any point already queried: an architecture is
  never evaluated twice (naszilla's ``query_dict``, kept across restarts);
* if the best newly queried neighbour beats the incumbent, it moves there and
  repeats; otherwise the incumbent is a local optimum and the run ends;
* the next run starts afresh with its own ``n_init`` random samples.

:class:`LocalSearchRun` is that walk over any hashable points (architectures,
or ANASOD encodings in :mod:`naslab.strategies.anasod_ls`), driven ask-tell:
it hands out one architecture at a time and waits for every result of the
current neighbourhood before it decides where to go.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

from naslab.observation import Observation
from naslab.spaces.base import Architecture, space_size
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Integer

P = TypeVar("P", bound=Hashable)


class LocalSearchRun(Generic[P]):
    """One run of local search over points ``P``, each evaluated as one architecture.

    ``neighbours(point)`` lists a point's neighbours; ``realise(point)`` gives the
    architecture that evaluates it, or None when it has none left to offer (then
    the point is skipped); ``seen`` is the set of points that are never queried
    again (shared across runs or not, as the owner decides). The run starts from
    the best of ``n_init`` points drawn by ``draw_init``, or, with ``start``, at a
    point whose value is known.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        neighbours: Callable[[P], list[P]],
        realise: Callable[[P], Architecture | None],
        seen: set[P],
        *,
        n_init: int = 0,
        draw_init: Callable[[], P] | None = None,
        start: tuple[P, Architecture, float] | None = None,
    ) -> None:
        self._rng = rng
        self._neighbours = neighbours
        self._realise = realise
        self._seen = seen
        self._draw_init = draw_init
        self._init_left = n_init if start is None else 0
        self._queue: list[P] = []
        self._pending: dict[Architecture, P] = {}
        self._batch_best: tuple[P, Architecture, float] | None = None
        #: The incumbent point, the architecture that evaluated it, and its value.
        self.current: tuple[P, Architecture, float] | None = None
        self.done = False
        if start is not None:
            self._move(start)

    def propose(self) -> Architecture | None:
        """The next architecture to evaluate; None while results are awaited or once done."""
        while not self.done:
            arch = self._next_init() if self._init_left else self._next_neighbour()
            if arch is not None:
                return arch
            if self._pending:
                return None
            self._decide()
        return None

    def observe(self, obs: Observation) -> bool:
        """Take the result of one of this run's proposals; False if it is not one.

        The last result of a neighbourhood (or of the random start) settles the
        move at once, so ``current`` and ``done`` always reflect what was told.
        """
        point = self._pending.pop(obs.arch, None)
        if point is None:
            return False
        if self._batch_best is None or obs.value < self._batch_best[2]:
            self._batch_best = (point, obs.arch, obs.value)
        while not (self.done or self._pending or self._init_left or self._has_unseen()):
            self._decide()
        return True

    def _has_unseen(self) -> bool:
        return any(point not in self._seen for point in self._queue)

    def _next_init(self) -> Architecture | None:
        assert self._draw_init is not None
        while self._init_left:
            self._init_left -= 1
            arch = self._offer(self._draw_init())
            if arch is not None:
                return arch
        return None

    def _next_neighbour(self) -> Architecture | None:
        while self._queue:
            point = self._queue.pop()
            if point not in self._seen:
                arch = self._offer(point)
                if arch is not None:
                    return arch
        return None

    def _offer(self, point: P) -> Architecture | None:
        self._seen.add(point)  # also when it cannot be realised: no second try in this run
        arch = self._realise(point)
        if arch is not None:
            self._pending[arch] = point
        return arch

    def _decide(self) -> None:
        """Every result of the current batch is in: move to its best if it improves, else stop."""
        best, self._batch_best = self._batch_best, None
        if best is not None and (self.current is None or best[2] < self.current[2]):
            self._move(best)
        else:
            self.done = True

    def _move(self, incumbent: tuple[P, Architecture, float]) -> None:
        self.current = incumbent
        self._queue = self._neighbours(incumbent[0])
        self._rng.shuffle(self._queue)  # naszilla queries a neighbourhood in random order


class RestartingLocalSearch(Strategy):
    """Ask-tell driver of successive :class:`LocalSearchRun` s; subclasses say what a new run is.

    Every architecture asked is remembered (``queried``), so none is proposed twice
    while the space has unqueried ones left. Batch fallback: while the active run
    waits on results it needs to choose its next move, further proposals are
    uniform samples of not-yet-queried architectures; their results count for the
    best found, not for the run.
    """

    n_init = Integer(10, low=1)

    def _setup(self) -> None:
        self.queried: set[Architecture] = set()
        self.runs = 0
        self.run: LocalSearchRun | None = None
        self._size = space_size(self.space)

    @abstractmethod
    def _next_run(self) -> LocalSearchRun:
        """A new run, now that the active one, ``self.run`` (None at first), has ended."""

    def ask(self, n: int = 1) -> list[Architecture]:
        out = []
        for _ in range(n):
            arch = self._propose()
            self.queried.add(arch)
            out.append(arch)
        return out

    def _propose(self) -> Architecture:
        if len(self.queried) >= self._size:  # nothing left to search
            return self.space.sample(self.rng)
        for _ in range(3):  # a run may end at once, e.g. when its whole neighbourhood is queried
            if self.run is None or self.run.done:
                self.run = self._next_run()
                self.runs += 1
            arch = self.run.propose()
            if arch is not None:
                return arch
            if not self.run.done:
                break  # waiting on results
        return self.fresh_arch()

    def _update(self, obs: Observation) -> None:
        self.queried.add(obs.arch)
        if self.run is not None:
            self.run.observe(obs)

    def fresh_arch(self) -> Architecture:
        """A uniform sample among the architectures not queried yet (the space is not exhausted)."""
        arch = self.space.sample(self.rng)
        while arch in self.queried:
            arch = self.space.sample(self.rng)
        return arch

    def arch_run(
        self,
        *,
        n_init: int = 0,
        draw_init: Callable[[], Architecture] | None = None,
        start: tuple[Architecture, Architecture, float] | None = None,
    ) -> LocalSearchRun[Architecture]:
        """A run in architecture space: neighbours at edit distance 1, never re-queried."""
        return LocalSearchRun(
            self.rng, self.space.neighbours, _itself, self.queried,
            n_init=n_init, draw_init=draw_init, start=start,
        )


def _itself(arch: Architecture) -> Architecture:
    return arch


@STRATEGIES.register(
    "ls", "local search: query all neighbours of the incumbent, move while it improves, restart"
)
class LocalSearch(RestartingLocalSearch):
    """Local search in architecture space (seed 000 appendix A.1; White et al. 2021).

    See the module docstring for the algorithm and its naszilla source. Every run,
    restarts included, starts from the best of ``n_init`` = 10 fresh random
    architectures, as naszilla's outer loop does.
    """

    def _next_run(self) -> LocalSearchRun[Architecture]:
        return self.arch_run(n_init=self.n_init, draw_init=self.fresh_arch)
