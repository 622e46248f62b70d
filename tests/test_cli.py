"""The ``naslab`` command as a user runs it: outputs, files, and one-line errors for bad input."""

from __future__ import annotations

import errno
import importlib.util
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from naslab.cli import main
from naslab.study import read_evaluations

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
        (["-d", "mnist"], ["unknown dataset of the embedded NB201 tables 'mnist'", "cifar100"]),
        (["--space", "darts9"], ["unknown search space 'darts9'", "nb201"]),
        (["--queries", "0"], ["max_queries"]),
        (["--queries", "many"], ["--queries", "'many'"]),
        (["--seeds", "-1"], ["seeds"]),
        (["--benchmark", "no/such/table.csv"], ["no/such/table.csv"]),
        (["--benchmark", "bench.xlsx"], ["unknown benchmark", "bench.xlsx'"]),
        (["--config", "missing.toml"], ["missing.toml"]),
        (["--seeds", "4294967296"], ["seeds must be between 1 and 1,000,000, got 4294967296"]),
        (["--first-seed", "9223372036854775808"], ["first_seed", "64-bit integer"]),
        (["--workers", "4294967296"], ["workers must be between 1 and 1,024"]),
        # click's own usage errors read like naslab's
        (["--seeds", "abc"], ["--seeds", "'abc' is not a valid integer", "run --help"]),
        (["--format", "xlsx"], ["--format", "'xlsx' is not one of"]),
        (["--no-such-flag"], ["No such option", "--no-such-flag"]),
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


def test_usage_errors_outside_a_command_are_one_line_too():
    assert_user_error(invoke("bogus"), "No such command 'bogus'")
    assert_user_error(invoke("report"), "Missing argument 'RUN_DIR'")


# --- run folders: nothing is deleted that the user did not name as a run ------------------
def test_out_dot_fills_the_empty_current_folder(tmp_path, monkeypatch):
    (tmp_path / "keep.txt").write_text("beside the run")
    here = tmp_path / "e"
    here.mkdir()
    monkeypatch.chdir(here)
    result = invoke("run", *SMALL, "--out", ".")
    assert result.exit_code == 0, result.output
    assert f"results: {here}" in result.output
    assert {"journal.sqlite", "config.json", "report.md"} <= {p.name for p in here.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e", "keep.txt"]  # no staging left
    assert invoke("resume", ".", "--no-progress").exit_code == 0


def test_overwrite_never_deletes_the_current_folder_or_its_parents(small_run, monkeypatch):
    before = sorted(p.name for p in small_run.iterdir())
    (small_run / "plots").mkdir(exist_ok=True)
    for cwd, out in [(small_run, "."), (small_run / "plots", "..")]:
        monkeypatch.chdir(cwd)
        result = invoke("run", *SMALL, "--out", out, "--overwrite")
        assert_user_error(result, f"--overwrite will not delete {small_run}", "current folder")
        assert sorted(p.name for p in small_run.iterdir()) == before


def test_empty_folder_names_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "thesis.tex").write_text("years of work")
    assert_user_error(invoke("run", *SMALL, "--out", ""), "--out", "must name a folder")
    assert_user_error(invoke("run", *SMALL, "--out", "", "--overwrite"), "must name a folder")
    assert_user_error(invoke("resume", ""), "RUN_DIR", "must name a folder")
    assert_user_error(invoke("report", " "), "RUN_DIR", "must name a folder")
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]


def test_out_below_a_file_is_one_line(tmp_path):
    (tmp_path / "f").write_text("a file")
    result = invoke("run", *SMALL, "--out", tmp_path / "f" / "run")
    assert_user_error(result, f"cannot create run folder {tmp_path / 'f' / 'run'}",
                      f"{tmp_path / 'f'} is a file")


def test_read_only_out_location_is_one_line(tmp_path, monkeypatch):
    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(os, "mkdir", read_only)
    result = invoke("run", *SMALL, "--out", tmp_path / "runs" / "run")
    assert_user_error(result, "cannot create run folder", "Read-only file system")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_report_in_a_read_only_run_folder_is_one_line(small_run):
    small_run.chmod(0o555)
    try:
        assert_user_error(invoke("report", small_run), "Permission denied", str(small_run))
    finally:
        small_run.chmod(0o755)


def test_report_in_a_read_only_file_system_is_one_line(small_run, monkeypatch):
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and Path(path).parent == small_run:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    assert_user_error(invoke("report", small_run), "Read-only file system", str(small_run))


def test_a_full_disk_during_a_report_keeps_the_old_files(small_run, monkeypatch):
    import pandas as pd

    before = (small_run / "evaluations.csv").read_text()

    def disk_full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    result = invoke("report", small_run)
    assert_user_error(result, f"cannot write the report of {small_run}", "No space left")
    assert (small_run / "evaluations.csv").read_text() == before


def test_a_full_disk_during_a_run_keeps_the_journal_and_resume_finishes(tmp_path, monkeypatch):
    from naslab.study import journal as journal_module

    real_connect = journal_module._connect

    def small_disk(path, **kwargs):  # SQLite's own "database or disk is full" once it must grow
        conn = real_connect(path, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(journal_module, "_connect", small_disk)
        result = invoke("run", *SMALL, "--out", run_dir)
    assert_user_error(result, "database or disk is full", f"naslab resume {run_dir}")
    kept = read_evaluations(run_dir)  # whole trials, journaled in one transaction each
    assert len(kept) < 100
    assert invoke("resume", run_dir, "--no-progress").exit_code == 0
    assert invoke("run", *SMALL, "--out", tmp_path / "whole").exit_code == 0
    resumed, whole = (read_evaluations(d).drop(columns="wall_time")
                      for d in (run_dir, tmp_path / "whole"))
    assert resumed.equals(whole)


@pytest.mark.parametrize(
    ("corruption", "fragment"),
    [
        ("UPDATE meta SET value = '{not json' WHERE key = 'config'",
         "stored study config is unusable"),
        ("DROP TABLE evaluations", "no table evaluations"),
        ("UPDATE evaluations SET metrics = 'oops' WHERE seed = 1 AND step = 3 AND strategy = 'ls'",
         "metrics of ls/cifar10/seed 1 step 3 are not a JSON object: 'oops'"),
    ],
)
def test_a_corrupt_journal_is_one_line_naming_it(tmp_path, small_run, corruption, fragment):
    run_dir = tmp_path / "run"
    shutil.copytree(small_run, run_dir)
    with closing(sqlite3.connect(run_dir / "journal.sqlite", isolation_level=None)) as conn:
        conn.execute(corruption)
        conn.execute("UPDATE trials SET status = 'pending'")
    for command in (["report", run_dir], ["resume", run_dir, "--no-progress"]):
        assert_user_error(invoke(*command), str(run_dir / "journal.sqlite"), fragment)


def test_parquet_without_pyarrow_is_refused_before_the_run(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyarrow" else real(name, *a))
    result = invoke("run", *SMALL, "--out", tmp_path / "run", "--format", "parquet")
    assert_user_error(result, "--format", "needs pyarrow: pip install 'naslab[parquet]'")
    assert list(tmp_path.iterdir()) == []


def test_finished_folders_hold_one_journal_file(tmp_path, small_run):
    """No journal.sqlite-wal / -shm after run, report, or a resume that had work to do."""
    def journal_files(run_dir):
        return sorted(p.name for p in run_dir.iterdir() if p.name.startswith("journal"))

    assert journal_files(small_run) == ["journal.sqlite"]  # after `run` (and its report)
    assert invoke("report", small_run).exit_code == 0
    assert journal_files(small_run) == ["journal.sqlite"]
    cut = tmp_path / "cut"
    shutil.copytree(small_run, cut)
    with closing(sqlite3.connect(cut / "journal.sqlite", isolation_level=None)) as conn:
        conn.execute("DELETE FROM evaluations WHERE seed = 1")
        conn.execute("UPDATE trials SET status = 'pending' WHERE seed = 1")
    assert invoke("resume", cut, "--no-progress").exit_code == 0
    assert journal_files(cut) == ["journal.sqlite"]
    assert not list(cut.glob(".naslab.lock"))


# --- other processes: Ctrl-C, and a second naslab on the same folder ----------------------
# the real command in its own process, with Ctrl-C as in a terminal (a background job's
# parent may have ignored it); evaluations slowed so it is still running when poked
_NASLAB = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
from naslab.benchmarks import TableObjective
evaluate = TableObjective.evaluate
TableObjective.evaluate = lambda self, *args: (time.sleep(0.01), evaluate(self, *args))[1]
from naslab.cli import main
main(sys.argv[1:], prog_name="naslab")
"""


def start_naslab(*args: str | Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _NASLAB, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def journaled(run_dir: Path) -> int:
    try:
        with closing(sqlite3.connect(run_dir / "journal.sqlite", timeout=5)) as conn:
            return conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.OperationalError:  # not in place yet
        return 0


def test_a_live_run_folder_is_refused_to_a_second_naslab(tmp_path):
    run_dir = tmp_path / "run"
    # 400 trials: whole trials are journaled at once, and the run must outlive the checks
    live = start_naslab("run", "-s", "rs", "--seeds", "400", "--queries", "500", "--no-progress",
                        "--out", run_dir)
    try:
        wait_for(lambda: journaled(run_dir) > 0 or live.poll() is not None, "the first evaluation")
        in_use = f"{run_dir} is in use by another naslab process (pid {live.pid})"
        assert_user_error(invoke("resume", run_dir, "--no-progress"), in_use)
        assert_user_error(invoke("report", run_dir), in_use)
        assert_user_error(invoke("run", *SMALL, "--out", run_dir, "--overwrite"), in_use)
        assert live.poll() is None and journaled(run_dir) > 0  # untouched, still running
        assert not (run_dir / "evaluations.csv").exists()  # no report under a live run
    finally:
        live.kill()
        live.wait(timeout=10)
    assert invoke("resume", run_dir, "--no-progress").exit_code == 0  # kill -9 frees the folder
    assert journaled(run_dir) == 400 * 500


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds workers through /proc")
def test_ctrl_c_while_workers_start_is_one_line_naming_the_folder(tmp_path):
    def starting_workers() -> int:
        children = Path(f"/proc/{live.pid}/task/{live.pid}/children").read_text().split()
        cmdlines = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children
                    if Path(f"/proc/{pid}/cmdline").exists()]
        return sum(b"spawn_main" in cmdline for cmdline in cmdlines)

    run_dir = tmp_path / "run"
    live = start_naslab("run", *SMALL, "--workers", "2", "--out", run_dir)
    wait_for(lambda: starting_workers() == 2 or live.poll() is not None, "two workers")
    os.killpg(live.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    _, err = live.communicate(timeout=60)
    assert live.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines()[-1] == (
        "interrupted: every finished evaluation is journaled; "
        f"continue with `naslab resume {run_dir}`"
    )
    assert invoke("resume", run_dir, "--no-progress").exit_code == 0
    assert journaled(run_dir) == 100


def test_ctrl_c_during_a_report_names_the_command_that_finishes_it(small_run, monkeypatch):
    from naslab.study import reporting

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(reporting, "build_report", interrupted)
    result = invoke("report", small_run)
    assert result.exit_code == 130
    assert result.output.strip() == (
        "interrupted: the journal is whole but the report unfinished; "
        f"`naslab report {small_run}` writes it"
    )
