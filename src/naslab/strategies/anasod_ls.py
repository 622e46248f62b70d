"""ANASOD-LS: local search on the operation-distribution grid first, then on architectures.

Seed 000, Algorithm 3 and appendix B; setup in appendix A.1 ('Local Search').
"""

from __future__ import annotations

import numpy as np

from naslab.encodings.opdist import OpDistEncoding
from naslab.spaces.base import Architecture
from naslab.strategies.base import STRATEGIES
from naslab.strategies.local_search import LocalSearchRun, RestartingLocalSearch

Counts = tuple[int, ...]

#: How many architectures of an encoding are drawn looking for one not queried yet.
DRAW_ATTEMPTS = 10


@STRATEGIES.register(
    "anasod-ls",
    "ANASOD-LS: local search on the op-distribution grid, then in architecture space",
)
class AnasodLocalSearch(RestartingLocalSearch):
    """ANASOD-LS, seed 000 Algorithm 3 / appendix B, with the walk of ``ls``.

    1. Encoding phase: the same local search as ``ls`` (appendix A.1: "we use the
       same procedure but conduct the search in the ANASOD encoding space"), over
       the grid of op counts. The run starts from the best of ``n_init`` = 10
       encodings drawn from Dir(1, ..., 1) and rounded to the grid (eq. 1); an
       encoding is evaluated by ONE architecture drawn from it (Algorithm 3, line
       3: y(p) ~ y(a), a ~ p(a | p)), preferring one not queried yet; its
       neighbours are the adjacent grid vertices (one block moved to another op).
       An encoding is not evaluated twice within a run.
    2. At the encoding-space local optimum p*, switch to architecture space (lines
       8-9): draw a new architecture from p*, evaluate it and run the ``ls`` walk
       from it (when every architecture drawn from p* was queried already, the one
       that evaluated p* is the start).
    3. At the architecture-space local optimum the search restarts from step 1
       with fresh random encodings. Reading: Algorithm 3 is one pass; appendix A.1
       says LS "restarts again if there is still unused budget" and ANASOD-LS uses
       "the same procedure", so the whole procedure restarts, encoding phase
       included, which is what lets ANASOD-LS escape the local optima appendix B
       sets out to address.

    ``phase`` says which space the active run searches ("encoding" or "architecture").
    """

    phase = "encoding"

    def _setup(self) -> None:
        super()._setup()
        self.encoding = OpDistEncoding(self.space)  # a space without an op group fails at once

    def _next_run(self) -> LocalSearchRun:
        ended = self.run
        if self.phase == "encoding" and ended is not None and ended.current is not None:
            self.phase = "architecture"
            counts, arch, value = ended.current
            start = self.arch_from(counts)
            if start is None:
                return self.arch_run(start=(arch, arch, value))
            return self.arch_run(n_init=1, draw_init=lambda: start)
        self.phase = "encoding"
        return LocalSearchRun(
            self.rng, self.grid_neighbours, self.arch_from, set(),
            n_init=self.n_init, draw_init=self.random_counts,
        )

    def random_counts(self) -> Counts:
        """Op counts of an encoding drawn from the uniform Dirichlet, rounded to the grid."""
        point = self.rng.dirichlet(np.ones(self.encoding.dim))
        return tuple(self.encoding.round_to_grid(point).tolist())

    def grid_neighbours(self, counts: Counts) -> list[Counts]:
        return [tuple(c.tolist()) for c in self.encoding.grid_neighbours(np.array(counts))]

    def arch_from(self, counts: Counts) -> Architecture | None:
        """A random architecture with these op counts not queried yet, or None if none was found
        (or, on a table that holds part of the space, none has these counts)."""
        if not self.encoding.has_counts(counts):
            return None
        for _ in range(DRAW_ATTEMPTS):
            arch = self.encoding.decode_counts(np.array(counts), self.rng)
            if arch not in self.queried:
                return arch
        return None
