"""Exhaustive evaluation: every architecture once, the same ones for every seed.

Not a search but the ground truth a search is judged against: Sciuto et al.
train all 32 architectures of their reduced space stand-alone, each 10 times
with a different seed, and rank them by the mean (seed 001, sections 4.2 and
4.3, "Without WS"). A study with this strategy and ``max_queries`` = the number
of architectures does that; ``naslab tabulate`` turns its journal into a table.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from naslab.errors import ConfigError
from naslab.spaces.base import Architecture, SearchSpace, space_size
from naslab.strategies.base import STRATEGIES, Strategy
from naslab.strategies.hyperparameters import Integer

#: The most architectures an exhaustive plan lists; beyond it, set ``sample``.
ENUMERATION_LIMIT = 1_000_000


@STRATEGIES.register(
    "exhaustive",
    "every architecture once in a fixed order, or a fixed uniform sample (tabulates a space)",
)
class Exhaustive(Strategy):
    """Asks the architectures of a fixed *plan* in order, whatever the trial's seed.

    The plan is the whole space in its enumeration order (``space.all()``; a
    space restricted to a table's rows: the rows' order), or, with ``sample = N``,
    ``N`` distinct architectures drawn uniformly with ``sample_seed``, in the
    order drawn (so any prefix of it is a uniform sample too). ``sample = 0``
    (the default) means the whole space, unless the study's query budget is
    smaller than the space: then the plan is a uniform sample of ``max_queries``
    architectures, since a prefix of the enumeration would hold only
    architectures that agree on their first positions.

    The strategy's own ``rng`` is never used: every trial asks the same
    architectures in the same order, and each evaluation still draws its own
    training seed from the trial's evaluation noise, so the trials of seeds
    ``0..S-1`` are ``S`` training seeds of one set of architectures (seed 001,
    section 4.3: "each architecture is trained 10 times with a different seed").
    Asks beyond the end of the plan start it over (the contract: ``ask(n)``
    always returns ``n`` architectures), so nothing is repeated before every
    architecture of the plan has been asked once.
    """

    #: Every seed asks the same architectures (by design; the contract tests know it).
    seed_independent: ClassVar[bool] = True

    sample = Integer(0, low=0, origin="naslab (0: the whole space)")
    sample_seed = Integer(0, low=0, origin="naslab")

    def _setup(self) -> None:
        self.plan: tuple[Architecture, ...] = tuple(self._plan())
        self._next = 0

    def ask(self, n: int = 1) -> list[Architecture]:
        out = [self.plan[(self._next + i) % len(self.plan)] for i in range(n)]
        self._next += n
        return out

    def _plan(self) -> list[Architecture]:
        size = space_size(self.space)
        wanted = self.sample
        if not wanted and self.max_queries is not None and self.max_queries < size:
            wanted = self.max_queries
        if wanted > size:
            raise ConfigError(
                f"strategy 'exhaustive': sample {wanted:,} is more than the "
                f"{size:,} architectures of space {self.space.name!r}"
            )
        if not wanted:  # the whole space
            return _enumerate(self.space, size)
        rng = np.random.default_rng(self.sample_seed)
        if 2 * wanted > size:  # most of the space: a permutation of its listing
            listing = _enumerate(self.space, size)
            return [listing[i] for i in rng.permutation(len(listing))[:wanted]]
        chosen: dict[Architecture, None] = {}
        while len(chosen) < wanted:  # uniform draws until ``wanted`` distinct ones
            chosen.setdefault(self.space.sample(rng))
        return list(chosen)


def _enumerate(space: SearchSpace, size: float) -> list[Architecture]:
    """Every architecture of ``space`` in its enumeration order."""
    if size > ENUMERATION_LIMIT:
        raise ConfigError(
            f"strategy 'exhaustive': space {space.name!r} has {size:,} architectures, more than "
            f"the {ENUMERATION_LIMIT:,} it lists; set sample = N for N of them drawn uniformly"
        )
    members = getattr(space, "members", None)  # a space restricted to a table's rows
    listing = getattr(space, "all", None)
    if members is not None:
        return list(members)
    if callable(listing):
        return list(listing())
    raise ConfigError(
        f"strategy 'exhaustive': space {space.name!r} cannot list its architectures (no all()); "
        "set sample = N for N of them drawn uniformly"
    )
