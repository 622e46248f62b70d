"""ANASOD-LS: local search on the op-count grid, then in architecture space, then restart."""

from __future__ import annotations

import numpy as np

from naslab.encodings import OpDistEncoding
from naslab.spaces import CategoricalSpace
from naslab.strategies import STRATEGIES


def test_moves_on_the_grid_then_switches_to_architectures(nb201, c10_mean, drive) -> None:
    enc = OpDistEncoding(nb201)
    strategy = STRATEGIES.get("anasod-ls")(nb201, np.random.default_rng(0))
    start = drive(strategy, c10_mean, 10)
    grid = strategy.run
    assert strategy.phase == "encoding" and grid.current[1] == min(
        start, key=lambda a: c10_mean.evaluate(a, None).value
    )

    # Encoding phase: every query evaluates a grid neighbour of the incumbent encoding
    # (one block moved to another op) by one architecture; encodings are not repeated.
    moves, evaluated = 0, set()
    while True:
        incumbent = grid.current
        (arch,) = drive(strategy, c10_mean, 1)
        if strategy.phase != "encoding":
            break
        counts = tuple(enc.counts(arch).tolist())
        assert np.abs(np.subtract(counts, incumbent[0])).sum() == 2
        assert counts not in evaluated
        evaluated.add(counts)
        moves += grid.current is not incumbent
    assert moves >= 1 and grid.done

    # Switch: a new architecture drawn from the best encoding starts the architecture phase.
    assert tuple(enc.counts(arch).tolist()) == grid.current[0]
    assert arch != grid.current[1] and strategy.run.current[1] == arch
    arch_run = strategy.run
    while True:
        incumbent = arch_run.current[1]
        (arch,) = drive(strategy, c10_mean, 1)
        if strategy.phase != "architecture":
            break
        assert sum(a != b for a, b in zip(arch.ops, incumbent.ops, strict=True)) == 1
    # At the architecture-space optimum the whole procedure restarts on the grid.
    assert arch_run.done and strategy.runs == 3
    assert set(nb201.neighbours(arch_run.current[1])) <= strategy.queried
    assert len(strategy.history) < 300



def test_starts_at_the_encodings_own_architecture_when_it_has_no_other(drive, hamming) -> None:
    """Op counts [2, 0, 0] have one architecture, (0, 0): it evaluated them and starts the walk."""
    space = CategoricalSpace("pair", ["x", "y"], ["a", "b", "c"])
    objective = hamming(space, (0, 0), lambda a: float(sum(a.ops)))  # a function of the counts
    strategy = STRATEGIES.get("anasod-ls")(space, np.random.default_rng(1), n_init=2)
    asked = []
    while strategy.phase == "encoding":
        asked += drive(strategy, objective, 1)
    start = space.make((0, 0))
    assert strategy.run.current[1] == start and asked.count(start) == 1  # not queried again
    assert asked[-1] in space.neighbours(start)  # the walk goes on from it
    assert len(set(asked)) == len(asked)
