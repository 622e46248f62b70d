"""A table of a space that is not NB201: searched from the CLI by every strategy, resumed, reported.

The table (tests/study/macro.py) has options per position, a conditional
position, partial coverage, no cost column, a dataset the user named and a
metric to maximise; the test suite builds it itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from naslab.cli import main
from naslab.strategies import STRATEGIES
from naslab.study import read_evaluations

sys.path.insert(0, str(Path(__file__).parent))
from macro import write_macro  # noqa: E402

#: Every strategy but Path-BO, whose path encoding exists for the NB201 cell only.
SEARCHING = [name for name in STRATEGIES.names() if name != "path-bo"]
STRATEGY_NAMES = ",".join(SEARCHING)


@pytest.fixture(scope="module")
def macro(tmp_path_factory) -> tuple[Path, Path]:
    return write_macro(tmp_path_factory.mktemp("macro"))


def _run_args(space: Path, table: Path, *extra: str) -> list[str]:
    return ["run", "--space", str(space), "--benchmark", str(table), "-d", "mnist",
            "--metric", "acc", "--goal", "max", "--no-progress", *extra]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_path_bo_refuses_the_space_before_anything_is_written(macro, tmp_path):
    space, table = macro
    result = invoke(*_run_args(space, table, "-s", "path-bo", "--out", str(tmp_path / "run")))
    assert result.exit_code == 2 and not (tmp_path / "run").exists()
    assert result.output.startswith("error:") and "path encoding needs the NB201 cell" in (
        result.output
    ) and result.output.count("\n") == 1


def test_every_strategy_searches_the_table_and_the_report_reads_accuracies(macro, tmp_path):
    space, table = macro
    run_dir = tmp_path / "run"
    result = invoke(*_run_args(space, table, "-s", STRATEGY_NAMES, "--seeds", "2",
                               "--queries", "40", "--out", str(run_dir)))
    assert result.exit_code == 0, result.output
    evals = read_evaluations(run_dir)
    assert set(evals["strategy"]) == set(SEARCHING)
    assert evals.groupby(["strategy", "seed"]).size().eq(40).all()
    assert (evals["cost"] == 1.0).all()  # no cost column: each query costs 1
    assert {"acc", "latency"} <= set(evals.columns) and "test" not in evals.columns
    held = set(pd.read_csv(table)[["depth", "op1"]].astype(str).agg("".join, axis=1))
    assert all(a.split("|")[0][1:] + a.split("|")[1] in held for a in evals["arch"])
    summary = pd.read_csv(run_dir / "summary.csv")
    assert (summary["best_observed_mean"] > 80).all()  # accuracies, not negated values
    report = (run_dir / "report.md").read_text()
    assert "785" in report and "1,152" in report.replace("1152", "1,152")  # table and space size
    assert (run_dir / "report.html").is_file()
    assert "higher" in result.output or "highest" in result.output


def test_a_cost_budget_on_a_table_without_cost_is_refused(macro, tmp_path):
    space, table = macro
    result = invoke(*_run_args(space, table, "-s", "rs", "--cost", "100",
                               "--out", str(tmp_path / "r")))
    assert result.exit_code == 2
    assert "records no cost" in result.output and "only query budgets work" in result.output
    assert not (tmp_path / "r").exists()


def test_a_metric_the_table_lacks_names_the_columns_it_tried(macro, tmp_path):
    space, table = macro
    args = _run_args(space, table, "-s", "rs", "--out", str(tmp_path / "r"))
    args[args.index("acc")] = "loss"
    result = invoke(*args)
    assert result.exit_code == 2 and "has no 'loss' column for dataset 'mnist'" in result.output


def _count(run_dir: Path) -> int:
    try:
        with closing(sqlite3.connect(run_dir / "journal.sqlite", timeout=5)) as conn:
            return conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_then_resume_equals_the_uninterrupted_run(macro, tmp_path):
    space, table = macro
    common = ["-s", "re,ls,anasod-ls", "--seeds", "2", "--queries", "400", "--batch-size", "2"]
    whole = tmp_path / "whole"
    assert invoke(*_run_args(space, table, *common, "--out", str(whole))).exit_code == 0

    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "naslab", *_run_args(space, table, *common, "--out",
                                                             str(killed))]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(killed) < 300 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert 0 < _count(killed) < 2400, "the run was not killed mid-way"
    result = invoke("resume", str(killed), "--no-progress")
    assert result.exit_code == 0, result.output
    drop = ["wall_time"]
    assert read_evaluations(killed).drop(columns=drop).equals(
        read_evaluations(whole).drop(columns=drop))


def test_a_changed_table_is_refused_and_a_moved_one_re_pointed(macro, tmp_path):
    space, table = macro
    own = tmp_path / "own.csv"
    shutil.copy(table, own)
    run_dir = tmp_path / "run"
    args = _run_args(space, own, "-s", "rs", "--queries", "10", "--out", str(run_dir))
    assert invoke(*args).exit_code == 0

    moved = tmp_path / "elsewhere" / "moved.csv"
    moved.parent.mkdir()
    own.rename(moved)
    result = invoke("report", str(run_dir))
    assert result.exit_code == 2 and "give its new place with --benchmark" in result.output
    assert invoke("report", str(run_dir), "--benchmark", str(moved)).exit_code == 0
    assert invoke("report", str(run_dir)).exit_code == 0  # the run remembers the new place

    frame = pd.read_csv(moved)
    frame.loc[0, "mnist_acc_seed0"] += 1.0
    frame.to_csv(moved, index=False)
    for command in ("report", "resume"):
        result = invoke(command, str(run_dir))
        assert result.exit_code == 2, result.output
        assert "is not the one run" in result.output and "content changed" in result.output


def test_a_strategy_that_cannot_search_the_space_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "chain.toml").write_text(
        'name = "c"\n[[positions]]\nname = "depth"\nchoices = [1, 2]\n'
        '[[positions]]\nname = "k1"\nchoices = [3, 5]\n'
        '[[positions]]\nname = "k2"\nchoices = [3, 5]\nactive_when = { depth = [2] }\n'
        '[groups]\nkernels = ["k1", "k2"]\n'
    )
    (tmp_path / "chain.csv").write_text(
        "depth,k1,k2,valid\n1,3,-,90\n1,5,-,91\n2,3,3,92\n2,3,5,93\n2,5,3,94\n2,5,5,95\n"
    )
    out = tmp_path / "run"
    result = invoke("run", "--space", str(tmp_path / "chain.toml"), "--benchmark",
                    str(tmp_path / "chain.csv"), "-s", "rs,anasod-ls", "--out", str(out))
    assert result.exit_code == 2 and "no group of positions that share" in result.output
    assert not out.exists()
    ok = invoke("run", "--space", str(tmp_path / "chain.toml"), "--benchmark",
                str(tmp_path / "chain.csv"), "-s", "rs,ls", "--queries", "6", "--seeds", "1",
                "--no-progress", "--out", str(out))
    assert ok.exit_code == 0, ok.output
    assert "Global optimum (lowest seed-mean validation error (%)): cifar10 5.00" in ok.output
