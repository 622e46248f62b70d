"""The ``naslab`` command as a user runs it: outputs, files, and one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from naslab.cli import main

SMALL = ["-s", "rs,ls", "--seeds", "2", "--queries", "25", "--no-progress"]


def invoke(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("cli") / "run"
    result = invoke("run", *SMALL, "--out", run_dir)
    assert result.exit_code == 0, result.output
    return run_dir


def assert_user_error(result, *fragments: str) -> None:
    """Exit status 2, one ``error:`` line naming the problem, no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("command", [[], ["run"], ["resume"], ["report"], ["list"]])
def test_help_everywhere(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_list_names_every_registered_thing():
    result = invoke("list")
    assert result.exit_code == 0
    for name in ["nb201", "cifar10", "imagenet16-120", "rs", "anasod-rs", "anasod-biased-rs",
                 "re", "ls", "anasod-ls", "sample", "mean"]:
        assert name in result.output


def test_run_writes_a_journaled_reported_study(small_run):
    for name in ["journal.sqlite", "config.json", "evaluations.csv", "summary.csv", "report.md"]:
        assert (small_run / name).stat().st_size > 0
    assert list((small_run / "plots").glob("*.png"))
    report = invoke("report", small_run)
    assert report.exit_code == 0
    assert "rs" in report.output and "ls" in report.output and "±" in report.output


def test_resume_of_a_finished_run_changes_nothing(small_run):
    before = (small_run / "evaluations.csv").read_text()
    result = invoke("resume", small_run, "--no-progress")
    assert result.exit_code == 0, result.output
    assert (small_run / "evaluations.csv").read_text() == before


def test_existing_run_folder_is_refused_unless_overwritten(small_run):
    assert_user_error(invoke("run", *SMALL, "--out", small_run), "resume")
    result = invoke("run", *SMALL, "--queries", "12", "--out", small_run, "--overwrite")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["-s", "rs,bogus"], ["unknown strategy 'bogus'", "anasod-ls"]),
        (["-d", "mnist"], ["unknown dataset 'mnist'", "cifar100"]),
        (["--space", "darts9"], ["unknown search space 'darts9'", "nb201"]),
        (["--queries", "0"], ["max_queries"]),
        (["--queries", "many"], ["--queries", "'many'"]),
        (["--seeds", "-1"], ["seeds"]),
        (["--benchmark", "no/such/table.csv"], ["no/such/table.csv"]),
        (["--benchmark", "bench.xlsx"], ["unknown benchmark", "bench.xlsx'"]),
        (["--config", "missing.toml"], ["missing.toml"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, fragments):
    run_dir = tmp_path / "run"
    result = invoke("run", *args, "--out", run_dir, "--no-progress")
    assert_user_error(result, *fragments)
    assert not run_dir.exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("study.toml", 'strategies = ["rs", "re"]\nseeds = 2\nmax_queries = 15\n'),
        ("study.yaml", "strategies: [rs, re]\nseeds: 2\nmax_queries: 15\n"),
    ],
)
def test_config_file_and_flag_override(tmp_path, name, text):
    config = tmp_path / name
    config.write_text(text)
    result = invoke("run", "--config", config, "--seeds", "3", "--out", tmp_path / "run",
                    "--no-progress")
    assert result.exit_code == 0, result.output
    import pandas as pd

    evaluations = pd.read_csv(tmp_path / "run" / "evaluations.csv")
    assert sorted(evaluations["strategy"].unique()) == ["re", "rs"]
    assert sorted(evaluations["seed"].unique()) == [0, 1, 2]
    assert evaluations.groupby(["strategy", "seed"]).size().eq(15).all()


def test_corrupt_config_file(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("strategies = [rs\n")
    assert_user_error(invoke("run", "--config", config, "--out", tmp_path / "run"), "bad.toml")
    config.write_text("strategy = ['rs']\n")
    assert_user_error(invoke("run", "--config", config, "--out", tmp_path / "run"), "strategy")


def test_resume_and_report_need_a_run_folder(tmp_path):
    assert_user_error(invoke("resume", tmp_path, "--no-progress"), str(tmp_path))
    assert_user_error(invoke("report", tmp_path / "nothing"), "nothing")


def test_main_job_rows_match_the_readme(tmp_path):
    """RS and LS rows of the default main job, as the README reports them (ANASOD Tables 2, 6).

    Trials are independent per (strategy, dataset, seed), so running two strategies
    reproduces their rows of the six-strategy main job exactly.
    """
    import pandas as pd

    result = invoke("run", "-s", "rs,ls", "--out", tmp_path / "run", "--no-progress")
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "run" / "summary.csv").set_index("strategy").round(2)
    assert summary.loc["rs", ["best_observed_mean", "best_observed_se"]].tolist() == [8.67, 0.05]
    assert summary.loc["ls", ["best_observed_mean", "best_observed_se"]].tolist() == [8.33, 0.02]
    assert summary.loc["rs", "incumbent_true_mean"] == 8.75
    assert summary.loc["ls", "incumbent_true_mean"] == 8.44
    assert summary.loc["ls", "p_incumbent_true"] < 0.001
