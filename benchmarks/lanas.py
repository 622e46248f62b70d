"""LaNAS and its baselines (issue 7): runs to the optimum, per-sample overhead, rejection sampling.

Run from the repository root: ``python3 benchmarks/lanas.py`` (also part of ``benchmarks/run.py``).
Measures
  * wall time of 100 LaNAS runs to the global optimum of NB201 cifar10 (`mean` noise, a study
    with ``stop_at_optimum``, journal included) on 2 worker processes (goal <= 10 min);
  * per-sample overhead (ask(1) + tell, no evaluation) of lanas, lanas-rt and the two
    fixed-action MCTS over searches of SAMPLES samples, and of RS for scale;
  * rejection sampling: the share of uniform draws landing in the chosen leaf and the fallbacks,
    on NB201 (forced, beside the exact sampler) and on a 4^30 space too large to list.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

import numpy as np

from naslab.benchmarks import TableObjective, load_benchmark
from naslab.spaces import CategoricalSpace
from naslab.strategies import STRATEGIES
from naslab.study import read_evaluations

#: The strategies this benchmark measures (benchmarks/run.py leaves them out of its µs loops).
TREE_SEARCHES = ("lanas", "lanas-rt", "mcts-sequential", "mcts-global")
SAMPLES = 1000
SEEDS = 3


def tree_search(name: str) -> bool:
    return name in TREE_SEARCHES


def hundred_runs(dataset: str = "cifar10", seeds: int = 100, workers: int = 2) -> None:
    """``naslab run`` of LaNAS to the optimum, ``seeds`` times, as a user runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "naslab", "run", "-s", "lanas", "-d", dataset,
                   "--noise", "mean", "--stop-at-optimum", "--queries", "31250",
                   "--seeds", str(seeds), "--workers", str(workers), "--out", f"{tmp}/run",
                   "--no-progress"]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        samples = read_evaluations(f"{tmp}/run").groupby("seed").size()
    print(f"{seeds} LaNAS runs to the optimum of NB201 {dataset}, {workers} workers: "
          f"{wall:.0f} s wall (goal <= 600 s); {samples.sum():,} samples, median "
          f"{samples.median():.0f} per run, {1e3 * wall * workers / samples.sum():.2f} ms per "
          "sample all in (worker time)")


def overhead_ms(name: str, objective: TableObjective, **params: object) -> float:
    """Mean ms of ask(1) + tell per sample over SEEDS searches of SAMPLES samples."""
    total = 0.0
    noise = np.random.default_rng(0)
    for seed in range(SEEDS):
        strategy = STRATEGIES.get(name)(objective.space, np.random.default_rng(seed),
                                        max_queries=SAMPLES, **params)
        for _ in range(SAMPLES):
            start = time.perf_counter()
            (arch,) = strategy.ask(1)
            total += time.perf_counter() - start
            obs = objective.evaluate(arch, noise)
            start = time.perf_counter()
            strategy.tell([obs])
            total += time.perf_counter() - start
    return 1e3 * total / (SEEDS * SAMPLES)


def rejection_on_a_large_space(samples: int = 300) -> dict[str, float]:
    """LaNAS on 4^30 architectures (Hamming distance to a target): rejection is its only way."""
    space = CategoricalSpace("big", [f"p{i}" for i in range(30)], ["a", "b", "c", "d"])
    target = np.arange(30) % 4
    strategy = STRATEGIES.get("lanas")(space, np.random.default_rng(0), max_queries=samples)
    start = time.perf_counter()
    for _ in range(samples):
        (arch,) = strategy.ask(1)
        strategy.tell([(arch, float(np.sum(np.array(arch.ops) != target)))])
    stats = strategy.sampling_stats()
    stats["ms_per_sample"] = 1e3 * (time.perf_counter() - start) / samples
    return stats


def run(quick: bool = False) -> None:
    objective = TableObjective(load_benchmark("nb201", "cifar10"), noise="mean")
    print(f"tree searches, per-sample overhead ask(1) + tell, mean over {SEEDS} x {SAMPLES} "
          "samples on NB201 cifar10:")
    for name in (*TREE_SEARCHES, "rs"):
        print(f"  {name:<18} {overhead_ms(name, objective):8.3f} ms")
    forced = STRATEGIES.get("lanas")(objective.space, np.random.default_rng(0),
                                     max_queries=SAMPLES, sampler="rejection")
    noise = np.random.default_rng(0)
    for _ in range(SAMPLES):
        forced.tell([objective.evaluate(a, noise) for a in forced.ask(1)])
    stats = forced.sampling_stats()
    print(f"  lanas sampler='rejection' on NB201: acceptance rate {stats['acceptance_rate']:.4f}"
          f" of {stats['draws']:,} draws; of {SAMPLES} samples {stats['walks']} from the walk, "
          f"{stats['fallbacks']} fallbacks; "
          f"{overhead_ms('lanas', objective, sampler='rejection'):.3f} ms per sample")
    big = rejection_on_a_large_space()
    print(f"  lanas on 4^30 architectures (rejection): acceptance rate "
          f"{big['acceptance_rate']:.4f} of {big['draws']:,} draws; of 300 samples "
          f"{big['walks']} from the walk, {big['fallbacks']} fallbacks; "
          f"{big['ms_per_sample']:.1f} ms per sample")
    if not quick:
        hundred_runs()


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
