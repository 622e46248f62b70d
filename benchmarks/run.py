"""Performance benchmarks of naslab; results are recorded in BENCHMARKS.md.

Run from the repository root: ``python benchmarks/run.py`` (add ``--quick`` to skip the main job,
``--compare REF`` to measure the per-query overhead of git revision REF side by side).
Measures
  * per-query overhead (ask + tell, no evaluation) of every registered strategy on NB201,
    averaged over full 300-query searches (goal: RS / RE / LS <= 50 µs, ANASOD <= 200 µs);
    with ``--compare REF`` also REF's, measured in the same run, and the ratio (goal <= 1.5);
  * the same on a space that is not NB201: a graph cell with options per position, restricted
    to 40 % of its architectures, as a table that covers part of a space makes it;
  * the embedded NB201 table's load time (goal < 1 s);
  * wall time and peak memory of the default main job, ``naslab run`` (goal < 60 s on 2 cores);
  * model-based search (:mod:`model_based`): seconds per GP-BO iteration at 150 observations
    beside Optuna's GP sampler (adapter and native), same run, same seeds (goal: anasod-bo
    <= 1/3 of Optuna GP), and seconds per query of BANANAS, SMAC, REINFORCE and TPE. The
    strategies it measures are left out of the per-query overhead loops above;
  * LaNAS and its baselines (:mod:`lanas`): 100 LaNAS runs to the NB201 optimum (goal <= 10 min
    on 2 cores), per-sample overhead, rejection sampling's acceptance rate; likewise left out
    of the loops above.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from naslab.benchmarks import TableObjective, TabularBenchmark, load_benchmark
from naslab.benchmarks.embedded import load_embedded_nb201
from naslab.spaces import CategoricalSpace, Position
from naslab.strategies import STRATEGIES

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lanas  # noqa: E402  (benchmarks/lanas.py, beside this script)
import model_based  # noqa: E402  (benchmarks/model_based.py, beside this script)

QUERIES = 300
SEEDS = 5


def strategy_overhead_us(name: str, objective: TableObjective) -> float:
    """Mean seconds of ask(1) + tell(1) per query over SEEDS searches of QUERIES queries, in µs.

    Observations are precomputed per architecture so only the strategy's own work is timed.
    """
    cache: dict = {}
    noise = np.random.default_rng(0)
    total = 0.0
    for seed in range(SEEDS):
        strategy = STRATEGIES.get(name)(objective.space, np.random.default_rng(seed),
                                        max_queries=QUERIES)
        for _ in range(QUERIES):
            start = time.perf_counter()
            (arch,) = strategy.ask(1)
            total += time.perf_counter() - start
            obs = cache.get(arch) or cache.setdefault(arch, objective.evaluate(arch, noise))
            start = time.perf_counter()
            strategy.tell([obs])
            total += time.perf_counter() - start
    return 1e6 * total / (SEEDS * QUERIES)


def restricted_graph_objective() -> TableObjective:
    """A graph cell (node i picks an input before it and one of 4 ops; 6,144 architectures)
    restricted to a table of 40 % of them, with made-up scores."""
    positions = []
    for node in (1, 2, 3, 4):
        positions += [Position(f"in{node}", tuple(str(j) for j in range(node))),
                      Position(f"op{node}", ("conv3", "conv5", "pool", "skip"))]
    space = CategoricalSpace("graph", positions, groups={"ops": [f"op{n}" for n in (1, 2, 3, 4)]})
    rng = np.random.default_rng(0)
    archs = [a for a in space.all() if rng.random() < 0.4]
    scores = rng.uniform(80, 95, (len(archs), 2))
    return TableObjective(TabularBenchmark("graph", "toy", space, archs, scores))


def compare(ref: str) -> dict[str, float]:
    """Per-query overhead of git revision ``ref`` on NB201, from its own benchmark script."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = f"{tmp}/tree"
        subprocess.run(["git", "worktree", "add", "--quiet", "--detach", tree, ref], check=True)
        try:
            out = subprocess.run(
                [sys.executable, "benchmarks/run.py", "--quick"], cwd=tree, check=True,
                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": f"{tree}/src"},
            ).stdout
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tree], check=True)
    rows = (line.split() for line in out.splitlines() if line.strip().endswith("µs)"))
    return {row[0]: float(row[1]) for row in rows if row[2] == "µs" and row[0] in STRATEGIES}


def load_time_s(repeats: int = 5) -> float:
    """Best-of-``repeats`` seconds to load the embedded cifar10 table from disk."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        load_embedded_nb201("cifar10")
        times.append(time.perf_counter() - start)
    return min(times)


def main_job() -> tuple[float, float]:
    """Wall seconds and peak resident MiB of ``naslab run`` (its defaults) in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        command = [sys.executable, "-m", "naslab", "run", "--out", f"{tmp}/run", "--no-progress"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the main job")
    parser.add_argument("--compare", metavar="REF", help="also measure git revision REF")
    parser.add_argument("--threads", type=int,
                        help="torch intra-op threads for the model-based part (default: torch's)")
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    print(f"embedded NB201 cifar10 load: {load_time_s():.3f} s (goal < 1 s)")
    objective = TableObjective(load_benchmark("nb201", "cifar10"), noise="sample")
    print(f"per-query overhead, ask(1) + tell(1), mean over {SEEDS} x {QUERIES} queries:")
    ours = {}
    cheap = [entry for entry in STRATEGIES
             if not (model_based.model_based(entry.name) or lanas.tree_search(entry.name))]
    for entry in cheap:
        goal = 200 if entry.name.startswith("anasod") else 50
        ours[entry.name] = strategy_overhead_us(entry.name, objective)
        print(f"  {entry.name:<18} {ours[entry.name]:8.1f} µs (goal <= {goal} µs)")
    if args.compare:
        theirs = compare(args.compare)
        print(f"side by side with {args.compare} (same run, same seeds; goal: ratio <= 1.5):")
        for name, value in theirs.items():
            print(f"  {name:<18} {value:8.1f} -> {ours[name]:6.1f} µs  x{ours[name] / value:.2f}")
    graph = restricted_graph_objective()
    print(f"per-query overhead on a graph cell restricted to {len(graph.space):,} of 6,144 "
          "architectures:")
    for entry in cheap:
        print(f"  {entry.name:<18} {strategy_overhead_us(entry.name, graph):8.1f} µs")
    model_based.run(args.quick, args.threads)
    lanas.run(args.quick)
    if not args.quick:
        wall, peak = main_job()
        print(f"main job `naslab run` (defaults): {wall:.1f} s wall, {peak:.0f} MiB peak RSS "
              "(goal < 60 s)")


if __name__ == "__main__":
    main()
