"""Model-based search: seconds per iteration beside Optuna's GP sampler, same run, same seeds.

Plugged into ``benchmarks/run.py`` (``run(quick)``); runs alone as
``python3 benchmarks/model_based.py [--quick] [--threads N]``. On NB201 cifar10 with
``TableObjective(noise="sample")``:

* GP-BO (``anasod-bo``, ``adj-bo``, ``path-bo``), ``optuna:gp`` (Optuna's GPSampler
  through naslab's adapter) and Optuna's GPSampler used natively (a plain Optuna
  study, one categorical parameter per NB201 edge, objective = the table lookup):
  every side first asks and is told its own 10 initial (random) samples, then is
  told the same 140 further observations (seeded uniform architectures, the same
  noisy values for every side, through the ordinary tell API; a native study gets
  them as completed trials), 150 in all; then it runs
  ``WARM`` untimed iterations (so the GP fits warm-start, as they do in a search)
  and then the timed ones, all sides of a seed interleaved one iteration each in
  turn (a load that comes and goes falls on every side alike). An iteration is
  what the study runner calls: ask(1) + tell + recommend() (native Optuna:
  ``study.ask`` + suggestions + ``study.tell``).
  The median over the timed iterations is the seed's figure; the table shows the
  median over seeds, and the ratio anasod-bo / Optuna GP is taken per seed, both
  sides measured in this process on that seed (goal: <= 1/3).
* ``optuna:tpe``, ``bananas``, ``anasod-bananas``, ``smac`` and ``reinforce``: mean
  seconds per query (ask(1) + tell + recommend()) over a whole ``QUERIES``-query
  search (BANANAS refits its ensemble every 10 queries).

Observations are precomputed per architecture (one noise draw each), so only the
strategy's work is timed. torch's intra-op thread count is set once for both
sides (``--threads``; the default is torch's own, i.e. one per core).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator

import numpy as np

from naslab.benchmarks import TableObjective, load_benchmark
from naslab.strategies import STRATEGIES

OBSERVED = 150
WARM = 2
STARTUP = 10  # every side's own initial samples (n_init; GPSampler's n_startup_trials)
GP_SIDES = ("anasod-bo", "adj-bo", "path-bo", "optuna:gp", "native optuna GP")
PER_QUERY = ("optuna:tpe", "bananas", "anasod-bananas", "smac", "reinforce")
#: Strategies this module measures; run.py's per-query overhead loop leaves them out.
MODEL_BASED = frozenset(GP_SIDES[:3] + PER_QUERY[1:])


def model_based(name: str) -> bool:
    """Whether ``name`` fits a model per query (too slow for run.py's 5 x 300-query loops):
    one this module measures, or any :class:`ModelBasedStrategy` registered since."""
    from naslab.strategies.model_based import ModelBasedStrategy

    return name in MODEL_BASED or issubclass(STRATEGIES.get(name), ModelBasedStrategy)


class Lookup:
    """Observations per architecture, one noise draw each (the same for every side of a seed)."""

    def __init__(self, objective: TableObjective, seed: int) -> None:
        self.objective = objective
        self.noise = np.random.default_rng(10_000 + seed)
        self.cache: dict = {}

    def __call__(self, arch):
        obs = self.cache.get(arch)
        if obs is None:
            obs = self.cache[arch] = self.objective.evaluate(arch, self.noise)
        return obs


def initial(objective: TableObjective, seed: int) -> list:
    """The ``OBSERVED`` seeded uniform architectures every side is told first."""
    rng = np.random.default_rng(20_000 + seed)
    return [objective.space.sample(rng) for _ in range(OBSERVED)]


def naslab_iterations(name: str, lookup: Lookup, archs: list) -> Iterator[float]:
    """Seconds of each ask(1) + tell + recommend() once ``OBSERVED`` observations are told:
    the strategy's own ``STARTUP`` initial samples, then the rest of ``archs``."""
    space = lookup.objective.space
    strategy = STRATEGIES.get(name)(space, np.random.default_rng(len(archs)), max_queries=1000)
    told = 0
    while told < STARTUP:  # its own initial samples, past its start-up
        (arch,) = strategy.ask(1)
        strategy.tell([lookup(arch)])
        told += 1
    strategy.tell([lookup(a) for a in archs[told:]])
    strategy.recommend()
    while True:
        start = time.perf_counter()
        (arch,) = strategy.ask(1)
        strategy.tell([lookup(arch)])
        strategy.recommend()
        yield time.perf_counter() - start


def native_optuna_iterations(lookup: Lookup, archs: list, seed: int) -> Iterator[float]:
    """The same with a plain Optuna study and GPSampler: 6 categorical edges, table lookup."""
    import logging
    import warnings

    import optuna

    optuna.logging.set_verbosity(logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    space = lookup.objective.space
    names, choices = space.positions, space.position_choices
    distributions = {n: optuna.distributions.CategoricalDistribution(c)
                     for n, c in zip(names, choices, strict=True)}
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.GPSampler(seed=seed))
    index = [{c: i for i, c in enumerate(cs)} for cs in choices]

    def iteration() -> None:
        trial = study.ask()
        ops = [index[j][trial.suggest_categorical(n, c)]
               for j, (n, c) in enumerate(zip(names, choices, strict=True))]
        study.tell(trial, lookup(space.make(ops)).value)

    for _ in range(STARTUP):  # GPSampler's own start-up trials (random), as the adapter's
        iteration()
    study.add_trials([
        optuna.trial.create_trial(params=dict(zip(names, a.op_names(), strict=True)),
                                  distributions=distributions, value=lookup(a).value)
        for a in archs[STARTUP:]
    ])
    while True:
        start = time.perf_counter()
        iteration()
        yield time.perf_counter() - start


def per_query_s(name: str, objective: TableObjective, queries: int, seed: int) -> float:
    """Mean seconds of ask(1) + tell + recommend() over a ``queries``-query search."""
    lookup = Lookup(objective, seed)
    strategy = STRATEGIES.get(name)(objective.space, np.random.default_rng(seed),
                                    max_queries=queries)
    total = 0.0
    for _ in range(queries):
        start = time.perf_counter()
        (arch,) = strategy.ask(1)
        total += time.perf_counter() - start
        obs = lookup(arch)
        start = time.perf_counter()
        strategy.tell([obs])
        strategy.recommend()
        total += time.perf_counter() - start
    return total / queries


def gp_table(objective: TableObjective, seeds: range, timed: int,
             sides=GP_SIDES, out: Callable[[str], None] = print) -> dict[str, list[float]]:
    """Per side, the median seconds per iteration of every seed.

    The sides of a seed run interleaved, one iteration each in turn, so a load
    that comes and goes on the machine falls on all of them alike.
    """
    medians: dict[str, list[float]] = {side: [] for side in sides}
    for seed in seeds:
        archs = initial(objective, seed)
        runs = {side: native_optuna_iterations(Lookup(objective, seed), archs, seed)
                if side == "native optuna GP" else
                naslab_iterations(side, Lookup(objective, seed), archs) for side in sides}
        times: dict[str, list[float]] = {side: [] for side in sides}
        for i in range(WARM + timed):
            for side, iterations in runs.items():
                seconds = next(iterations)
                if i >= WARM:
                    times[side].append(seconds)
        for side in sides:
            medians[side].append(statistics.median(times[side]))
            out(f"    seed {seed} {side:<18} median {medians[side][-1]:.3f} s "
                f"(min {min(times[side]):.3f}, max {max(times[side]):.3f})")
    return medians


def run(quick: bool = False, threads: int | None = None,
        out: Callable[[str], None] = print) -> None:
    import torch

    if threads:
        torch.set_num_threads(threads)
    seeds = range(1 if quick else 3)
    timed = 4 if quick else 8
    queries = 60 if quick else 150
    objective = TableObjective(load_benchmark("nb201", "cifar10"), noise="sample")
    out(f"model-based search, NB201 cifar10, torch {torch.__version__} with "
        f"{torch.get_num_threads()} intra-op thread(s) for every side:")
    out(f"  seconds per iteration (ask(1) + tell + recommend()) at {OBSERVED} observations, "
        f"median of {timed} after {WARM} warm-up iterations, seeds {list(seeds)}:")
    medians = gp_table(objective, seeds, timed, out=out)
    for side, values in medians.items():
        out(f"  {side:<18} {statistics.median(values):8.3f} s")
    for side in ("optuna:gp", "native optuna GP"):
        ratios = [a / b for a, b in zip(medians["anasod-bo"], medians[side], strict=True)]
        out(f"  ratio anasod-bo / {side} per seed: "
            + ", ".join(f"{r:.2f}" for r in ratios) + " (goal <= 0.33)")
    ratios = [a / b for a, b in zip(medians["optuna:gp"], medians["native optuna GP"],
                                    strict=True)]
    out("  ratio optuna:gp (adapter) / native optuna GP per seed: "
        + ", ".join(f"{r:.2f}" for r in ratios))
    out(f"  seconds per query (ask(1) + tell + recommend()), mean over a {queries}-query "
        f"search, seeds {list(seeds)}:")
    for name in PER_QUERY:
        values = [per_query_s(name, objective, queries, seed) for seed in seeds]
        out(f"  {name:<18} {1e3 * statistics.mean(values):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, fewer iterations")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()
    run(args.quick, args.threads)


if __name__ == "__main__":
    main()
