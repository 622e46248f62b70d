"""Where evaluations run: executor speed-ups, Ray's overheads, and the table studies' main job.

Run from the repository root: ``python benchmarks/execution.py [--ref REV]``. Measures

  * the speed-up of the process pool and of Ray with 2 workers over inline, on a training
    study whose evaluations take >= 10 s each (4 evaluations, same seeds; goal >= 0.8 x
    workers = 1.6), beside the machine's own ceiling: two plain PyTorch training processes
    at once against one (no naslab in between);
  * Ray's start-up (a local cluster until its first task returns) and its per-evaluation
    overhead beside inline, on evaluations that do nothing (a module-level function);
  * the main job (``naslab run``, a table study) beside git revision ``--ref`` (default: the
    commit before the driver became the journal's only writer), alternated in one run
    (goal: within 1.2x).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from naslab.spaces.chain import ChainSpace
from naslab.study import StudyConfig, read_evaluations, run_study

#: The last commit whose executors ran whole trials writing their own journal rows.
BEFORE_DRIVER = "4ee5dc6"
#: Depth-5 chain ConvNets of 3x3 kernels and 63 or 64 channels (seed 002's space at its deep
#: end): every evaluation costs the same, so 2 workers can at best halve the wall time.
DEEP_CHAINS = ChainSpace(depths=(5,), kernels=(3,), channels=(63, 64), name="deep-chain")
#: A training study of 4 evaluations of >= 10 s each on one CPU thread, 2 trials of 2.
SLOW_TRAINING = StudyConfig(
    space=DEEP_CHAINS.definition(), benchmark="train", datasets=("digits",),
    strategies=("rs",), seeds=2, max_queries=2,
    training={"epochs": 26, "batch_size": 16, "threads": 1},
)


def _plain_training(seconds: list[float]) -> None:
    """Train one deep chain net on digits in a plain loop (no naslab driver), one thread."""
    import torch

    from naslab.training.chain_net import ChainNetwork
    from naslab.training.data import load_data
    from naslab.training.trainer import preset, train

    torch.set_num_threads(1)
    data = load_data("digits")
    torch.manual_seed(0)
    model = ChainNetwork(DEEP_CHAINS.parse(DEEP_CHAINS.format(DEEP_CHAINS.all()[0])), 10,
                         in_channels=1)
    start = time.perf_counter()
    train(model, data, preset("quick", epochs=10, batch_size=16), seed=0)
    seconds.append(time.perf_counter() - start)


def parallel_ceiling() -> float:
    """What 2 processes doing the same work at once gain over 1 on this machine (2 = ideal)."""
    import multiprocessing as mp

    context = mp.get_context("spawn")
    timings: dict[int, float] = {}
    for copies in (1, 2):
        processes = [context.Process(target=_plain_training, args=([],)) for _ in range(copies)]
        start = time.perf_counter()
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        timings[copies] = time.perf_counter() - start
    return 2 * timings[1] / timings[2]


def executor_speedups() -> dict[str, float]:
    """Wall seconds per executor on SLOW_TRAINING, and the speed-ups over inline.

    The process pool's time includes starting its workers; Ray's cluster is started
    before the clock (its start-up is measured on its own by :func:`ray_overheads`).
    """
    import ray

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for executor, workers in (("inline", 1), ("process", 2), ("ray", 2)):
            if executor == "ray":
                ray.init(num_cpus=2, include_dashboard=False, configure_logging=False,
                         log_to_driver=False)
            config = dataclasses.replace(SLOW_TRAINING, executor=executor, workers=workers)
            start = time.perf_counter()
            run = run_study(config, Path(tmp) / executor, progress=False)
            out[f"{executor} s"] = time.perf_counter() - start
            if executor == "inline":
                out["evaluation s (mean)"] = float(read_evaluations(run)["cost"].mean())
        ray.shutdown()
    for executor in ("process", "ray"):
        out[f"{executor} speed-up"] = out["inline s"] / out[f"{executor} s"]
    out["machine ceiling (2 plain processes)"] = parallel_ceiling()
    return out


def noop(arch: object) -> float:
    """An evaluation that costs nothing: what remains is the executor's own overhead."""
    return 0.0


def ray_overheads(evaluations: int = 200) -> dict[str, float]:
    """Ray's start-up seconds and its extra milliseconds per (empty) evaluation over inline."""
    import ray

    from naslab import optimize
    from naslab.spaces import get_space

    space = get_space("nb201")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, configure_logging=False,
                 log_to_driver=False)
        ray.get(ray.remote(lambda: None).remote())
        startup = time.perf_counter() - start
        timings = {}
        for executor, workers in (("inline", 1), ("ray", 2)):
            start = time.perf_counter()
            optimize(noop, space, ["rs"], run_dir=Path(tmp) / executor,
                     max_queries=evaluations, workers=workers, executor=executor,
                     batch_size=workers)
            timings[executor] = time.perf_counter() - start
        ray.shutdown()
    return {
        "ray start-up s": startup,
        "inline ms / evaluation": 1e3 * timings["inline"] / evaluations,
        "ray ms / evaluation": 1e3 * timings["ray"] / evaluations,
    }


def main_job_side_by_side(ref: str, repeats: int = 3) -> dict[str, float]:
    """Median wall seconds of ``naslab run`` here and at ``ref``, alternated."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    mine: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        tree = f"{tmp}/tree"
        subprocess.run(["git", "worktree", "add", "--quiet", "--detach", tree, ref], check=True)
        try:
            for i in range(repeats):
                for source, times in ((here, mine), (f"{tree}/src", theirs)):
                    start = time.perf_counter()
                    out = f"{tmp}/run{i}-{len(times)}-{len(mine)}"
                    subprocess.run(
                        [sys.executable, "-m", "naslab", "run", "--out", out, "--no-progress"],
                        check=True, stdout=subprocess.DEVNULL,
                        env={**os.environ, "PYTHONPATH": source},
                    )
                    times.append(time.perf_counter() - start)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tree], check=True)
    return {"main job s": statistics.median(mine), f"main job s at {ref}": statistics.median(
        theirs), "ratio": statistics.median(mine) / statistics.median(theirs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default=BEFORE_DRIVER, help="revision for the main-job ratio")
    parser.add_argument("--skip-training", action="store_true", help="skip the slow speed-ups")
    args = parser.parse_args()
    print(f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')}")
    sections = [("main job", lambda: main_job_side_by_side(args.ref)), ("ray", ray_overheads)]
    if not args.skip_training:
        sections.insert(0, ("executors", executor_speedups))
    for name, measure in sections:
        for key, value in measure().items():
            print(f"{name:10} {key:28} {value:10.3f}")


if __name__ == "__main__":
    main()
