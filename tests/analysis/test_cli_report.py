"""``naslab report`` on real run folders: the run's own settings, and unfinished runs told apart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from naslab.cli import main

SMALL = ["-s", "rs,ls", "--seeds", "2", "--no-progress"]


def invoke(*args: str | Path):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_cost_budget_and_mean_noise_are_what_the_report_states(tmp_path) -> None:
    output = invoke("run", *SMALL, "--queries", "none", "--cost", "30000", "--noise", "mean",
                    "--out", tmp_path / "run")
    assert "budget 30000 simulated GPU-seconds per trial" in output
    assert "Noise 'mean'" in output and "'sample'" not in output
    assert "queries per trial" not in output
    html = (tmp_path / "run" / "report.html").read_text()
    assert "30000 simulated GPU-seconds" in html and "seed mean" in html


@pytest.fixture
def killed_run(tmp_path) -> Path:
    """A finished run made to look killed: ls seed 1 stopped at 5 queries, rs seed 1 not begun."""
    run_dir = tmp_path / "run"
    invoke("run", *SMALL, "--queries", "12", "--out", run_dir)
    with sqlite3.connect(run_dir / "journal.sqlite") as db:
        db.execute("DELETE FROM evaluations WHERE strategy='ls' AND seed=1 AND step >= 5")
        db.execute("DELETE FROM evaluations WHERE strategy='rs' AND seed=1")
        db.execute("UPDATE trials SET status='pending' WHERE seed=1")
    return run_dir


def test_an_unfinished_run_says_how_far_each_trial_got(killed_run) -> None:
    output = invoke("report", killed_run)
    assert "UNFINISHED RUN: 2 of 4 trials done" in output
    assert "rs        1/2 done, 0 started, 1 not started; 12/24 queries" in output
    assert "ls        1/2 done, 1 started, 0 not started; 17/24 queries" in output
    summary = pd.read_csv(killed_run / "summary.csv").set_index("strategy")
    assert summary["n_seeds"].tolist() == [1, 1]  # the partial trial is not a final number
    assert output.count("[1/2 seeds]") >= 4
    evaluations = pd.read_csv(killed_run / "evaluations.csv")
    assert len(evaluations) == 12 + 12 + 5


def test_report_format_switch_leaves_one_table(killed_run) -> None:
    pytest.importorskip("pyarrow")
    invoke("report", killed_run, "--format", "parquet")
    assert (killed_run / "evaluations.parquet").exists()
    assert not (killed_run / "evaluations.csv").exists()
