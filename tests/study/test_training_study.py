"""Training studies: real networks trained on digits, evaluation by evaluation, on every
executor, with the journal written by the driver alone."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from naslab.errors import ConfigError, NaslabError
from naslab.study import StudyConfig, read_evaluations, resume_study, run_study

pytest.importorskip("torch")

#: 2 strategies x 2 seeds x 3 architectures, batches of 2, 1 epoch on 200 digits.
TRAINING = StudyConfig(
    space="lanas-chain", benchmark="train", datasets=("digits",), strategies=("rs", "re"),
    seeds=2, max_queries=3, batch_size=2,
    training={"epochs": 1, "limit": 200, "lr": 0.1},
)
#: What depends on timing, not on the seeds.
TIMING = ["wall_time", "cost", "train_seconds"]


def results(run_dir: Path):
    return read_evaluations(run_dir).drop(columns=TIMING)


@pytest.fixture(scope="module")
def inline_run(tmp_path_factory) -> Path:
    return run_study(TRAINING, tmp_path_factory.mktemp("inline") / "run", progress=False)


@pytest.fixture(scope="module")
def ray_cluster():
    """One real local Ray cluster for the module (executors join it, not start their own)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_a_training_study_journals_real_results(inline_run: Path) -> None:
    df = read_evaluations(inline_run)
    assert len(df) == 2 * 2 * 3 and df["failure"].isna().all()
    assert list(df["batch"].iloc[:3]) == [0, 0, 1]  # batches of 2, the last clipped
    assert (df["value"] == 100 - df["val_acc"]).all()  # validation error, the NB201 metric
    assert (df["cost"] == df["train_seconds"]).all() and (df["cost"] > 0).all()
    assert (df["params"] > 0).all() and (df["flops"] > 0).all() and (df["epochs"] == 1).all()
    assert set(df.columns) >= {"test_acc", "val_loss", "train_loss", "seed", "resumed_from"}
    assert not (inline_run / "scratch").exists()  # checkpoints go once results are journaled


@pytest.mark.parametrize("executor", ["process", "ray"])
def test_every_executor_gives_the_same_journal(
    tmp_path: Path, inline_run: Path, executor: str, request
) -> None:
    if executor == "ray":
        request.getfixturevalue("ray_cluster")
    config = dataclasses.replace(TRAINING, workers=2, executor=executor)
    assert results(run_study(config, tmp_path / executor, progress=False)).equals(
        results(inline_run))


def test_training_settings_are_checked_before_anything_is_written(tmp_path: Path) -> None:
    bad = [
        ({"epochs": 0}, "training setting epochs must be an integer >= 1, got 0"),
        ({"momentum": "high"}, "training setting momentum must be"),
        ({"optimizer": "adam"}, "unknown training setting 'optimizer'"),
        ({"preset": "imagenet"}, "unknown training preset 'imagenet'"),
        ({"amp": True}, "mixed precision (amp) needs a CUDA device"),
        ({"network": {"width": 3}}, "width"),
    ]
    for settings, message in bad:
        config = dataclasses.replace(TRAINING, training=settings)
        with pytest.raises(NaslabError, match=message.replace("(", r"\(").replace(")", r"\)")):
            run_study(config, tmp_path / "run", progress=False)
    with pytest.raises(ConfigError, match="training settings apply to training studies only"):
        StudyConfig(training={"epochs": 1}).validated()
    with pytest.raises(ConfigError, match="ray_address applies to the Ray executor only"):
        dataclasses.replace(TRAINING, ray_address="auto").validated()
    assert not (tmp_path / "run").exists()


def test_diverging_training_is_a_failed_evaluation_and_the_study_goes_on(tmp_path: Path) -> None:
    config = dataclasses.replace(TRAINING, strategies=("rs",), seeds=1,
                                 training={"epochs": 1, "limit": 200, "lr": 1e6})
    df = read_evaluations(run_study(config, tmp_path / "run", progress=False))
    assert len(df) == 3 and df["value"].isna().all()
    assert df["failure"].str.contains("loss").all()  # the trainer's reason, per evaluation
    assert df["recommended"].isna().all()  # a failure is never an incumbent


# --- functions the spawned workers import (written to a module on sys.path) ------------------
_WORKER_MODULE = '''
import os, signal, time

def crash_on_depth_one(arch):
    """Kill the worker process that evaluates a depth-1 network, else score the depth."""
    depth = int(arch.as_dict()["depth"])
    if depth == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return float(depth)

def slow_by_arch(arch):
    """Evaluations that finish out of order: the sleep depends on the architecture."""
    time.sleep(0.02 * (hash(str(arch)) % 7))
    return float(sum(o for o in arch.ops if o >= 0))
'''


@pytest.fixture
def worker_module(tmp_path: Path, monkeypatch):
    (tmp_path / "naslab_test_workers.py").write_text(_WORKER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers inherit sys.path
    import naslab_test_workers

    yield naslab_test_workers
    sys.modules.pop("naslab_test_workers", None)


def test_a_worker_that_dies_twice_is_a_failed_evaluation(tmp_path: Path, worker_module) -> None:
    from naslab import optimize
    from naslab.spaces import get_space

    result = optimize(worker_module.crash_on_depth_one, get_space("lanas-chain"), ["rs"],
                      run_dir=tmp_path / "run", max_queries=12, workers=2, executor="process")
    df = result.evaluations
    crashed = df["arch"].str.startswith("1:")
    assert crashed.any() and (~crashed).any()
    assert df.loc[crashed, "value"].isna().all()
    assert df.loc[crashed, "failure"].str.contains(r"died \(killed by signal SIGKILL\) on all 2")\
        .all()
    assert df.loc[~crashed, "failure"].isna().all() and len(df) == 12


def test_asynchronous_trials_replay_their_tell_order(tmp_path: Path, worker_module) -> None:
    """Results told as they arrive (out of order), journaled with their tell order: a journal
    cut anywhere resumes through exactly the asks the uninterrupted run made."""
    from naslab import optimize
    from naslab.spaces import get_space

    space = get_space("lanas-chain")
    kwargs = dict(max_queries=16, batch_size=3, asynchronous=True, workers=3,
                  executor="process")
    first = optimize(worker_module.slow_by_arch, space, ["re", "ls"], run_dir=tmp_path / "run",
                     **kwargs)
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(tmp_path / "run" / "journal.sqlite")) as conn:
        orders = conn.execute("SELECT step, told FROM evaluations WHERE strategy = 're' "
                              "ORDER BY step").fetchall()
        assert [s for s, _ in orders] != [t for _, t in orders]  # told out of step order
        conn.execute("DELETE FROM evaluations WHERE strategy = 're' AND told >= 7")
        conn.execute("UPDATE trials SET status = 'pending' WHERE strategy = 're'")
        conn.commit()
    before = read_evaluations(tmp_path / "run")
    resume_study(tmp_path / "run", progress=False, objective=_objective(worker_module, space))
    after = read_evaluations(tmp_path / "run")
    kept = after.merge(before, on=["strategy", "seed", "step"], suffixes=("", "_before"))
    assert len(kept) == len(before) and (kept["arch"] == kept["arch_before"]).all()
    assert len(after) == 2 * 16 and len(first.evaluations) == 2 * 16


def _objective(module, space):
    from naslab.benchmarks.function import FunctionObjective
    from naslab.observation import table_metric

    return FunctionObjective(module.slow_by_arch, space, table_metric("value", "min"))


# --- kill -9 mid-training, then resume from the checkpoint ------------------------------------
_RUN = """
import sys
from pathlib import Path
from naslab.study import StudyConfig, run_study
if __name__ == "__main__":
    if sys.argv[2] == "ray":
        import ray
        ray.init(num_cpus=2, include_dashboard=False, configure_logging=False)
    run_study(StudyConfig.from_dict({config!r}), Path(sys.argv[1]), progress=False)
"""
#: One strategy, 4 epochs on all of digits: each evaluation takes a second or more.
SLOW = dataclasses.replace(TRAINING, strategies=("rs",), seeds=1, max_queries=3, batch_size=1,
                           training={"epochs": 4, "lr": 0.1})


def _journaled(run_dir: Path) -> int:
    try:
        return len(read_evaluations(run_dir))
    except NaslabError:  # the run folder is not in place yet
        return 0


def _checkpoints(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "scratch").glob("*/checkpoint.pt"))


@pytest.mark.parametrize("executor", ["inline", "ray"])
def test_a_killed_training_study_resumes_from_its_checkpoint(
    tmp_path: Path, executor: str, request
) -> None:
    if executor == "ray":
        pytest.importorskip("ray")
    config = dataclasses.replace(SLOW, executor=executor)
    whole = run_study(SLOW, tmp_path / "whole", progress=False)  # inline, uninterrupted
    run_dir = tmp_path / "killed"
    script = tmp_path / "run.py"
    script.write_text(_RUN.format(config=config.to_dict()))
    process = subprocess.Popen([sys.executable, str(script), str(run_dir), executor],
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if _journaled(run_dir) >= 1 and _checkpoints(run_dir):  # one finished, one midway
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and, on Ray, its local cluster
    process.wait(timeout=30)
    finished = read_evaluations(run_dir)
    assert 1 <= len(finished) < 3 and _checkpoints(run_dir)
    if executor == "ray":
        request.getfixturevalue("ray_cluster")
    resume_study(run_dir, progress=False)
    resumed = read_evaluations(run_dir)
    assert resumed.iloc[: len(finished)].equals(finished)  # nothing finished was lost
    interrupted = resumed.iloc[len(finished)]
    assert interrupted["resumed_from"] >= 1  # it went on from its last epoch checkpoint
    assert results(run_dir).drop(columns="resumed_from").equals(
        results(whole).drop(columns="resumed_from"))
    assert not (run_dir / "scratch").exists()


def test_every_query_of_the_last_batch_is_journaled(tmp_path: Path) -> None:
    """A trial whose budget ends with a full batch keeps the whole batch (evaluation by
    evaluation, the driver asks again after each result: that must not end the trial)."""
    from naslab import optimize
    from naslab.spaces import get_space

    result = optimize(lambda arch: float(sum(arch.ops)), get_space("nb201"), ["rs", "re"],
                      run_dir=tmp_path / "run", max_queries=8, batch_size=4, seeds=2)
    df = result.evaluations
    assert df.groupby(["strategy", "seed"]).size().tolist() == [8] * 4
    assert df.groupby(["strategy", "seed"])["batch"].apply(list).map(
        lambda b: b == [0] * 4 + [1] * 4).all()


def test_the_report_counts_failed_evaluations(tmp_path: Path) -> None:
    from naslab.study.reporting import report_run

    config = dataclasses.replace(TRAINING, strategies=("rs",), seeds=1,
                                 training={"epochs": 1, "limit": 200, "lr": 1e6})
    report = report_run(run_study(config, tmp_path / "run", progress=False))
    assert "3 evaluations of 3 failed and count as no result" in report.text
    assert "commonest reason: diverged (3x)" in report.text
