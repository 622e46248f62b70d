"""Where evaluations run: executor speed-ups, Ray's overheads, and the table studies' main job.

Run from the repository root: ``python benchmarks/execution.py [--ref REV]``. Measures

  * the speed-up of the process pool and of Ray with 2 workers over inline, on a training
    study whose evaluations take >= 10 s each (4 evaluations, same seeds; goal >= 0.8 x
    workers = 1.6);
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

from naslab.study import StudyConfig, read_evaluations, run_study

#: The last commit whose executors ran whole trials writing their own journal rows.
BEFORE_DRIVER = "4ee5dc6"
#: A training study of 4 evaluations of >= 10 s each on one CPU thread.
SLOW_TRAINING = StudyConfig(
    space="lanas-chain", benchmark="train", datasets=("digits",), strategies=("rs",), seeds=2,
    max_queries=2, training={"epochs": 12, "lr": 0.1, "threads": 1},
)


def executor_speedups() -> dict[str, float]:
    """Wall seconds per executor on SLOW_TRAINING, and the speed-ups over inline."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for executor, workers in (("inline", 1), ("process", 2), ("ray", 2)):
            config = dataclasses.replace(SLOW_TRAINING, executor=executor, workers=workers)
            start = time.perf_counter()
            run = run_study(config, Path(tmp) / executor, progress=False)
            out[f"{executor} s"] = time.perf_counter() - start
            if executor == "inline":
                out["evaluation s (mean)"] = float(read_evaluations(run)["cost"].mean())
    for executor in ("process", "ray"):
        out[f"{executor} speed-up"] = out["inline s"] / out[f"{executor} s"]
    return out


_NOOP_MODULE = "def noop(arch):\n    return 0.0\n"


def ray_overheads(evaluations: int = 200) -> dict[str, float]:
    """Ray's start-up seconds and its extra milliseconds per (empty) evaluation over inline."""
    import ray

    from naslab import optimize
    from naslab.spaces import get_space

    space = get_space("nb201")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "naslab_bench_noop.py").write_text(_NOOP_MODULE)
        sys.path.insert(0, tmp)
        import naslab_bench_noop

        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, configure_logging=False,
                 log_to_driver=False)
        ray.get(ray.remote(lambda: None).remote())
        startup = time.perf_counter() - start
        timings = {}
        for executor, workers in (("inline", 1), ("ray", 2)):
            start = time.perf_counter()
            optimize(naslab_bench_noop.noop, space, ["rs"], run_dir=Path(tmp) / executor,
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
