"""A plugin package registered by entry points runs, resumes and reports from the CLI.

The package (tests/plugin) is installed into a temporary folder with pip, and
naslab runs in a subprocess that has that folder on its path, as a user who
``pip install``-ed the plugin would run it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parent / "plugin"


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a naslab whose Python path holds the installed plugin."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "plugin"
    shutil.copytree(PLUGIN, source)  # pip builds in place: keep the repository clean
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--target", str(target), str(source)],
        check=True, capture_output=True,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), env.get("PYTHONPATH")]))
    return env


def naslab(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "naslab", *args], env=env,
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_list_shows_the_plugin_entries(plugin_env):
    out = naslab(plugin_env, "list").stdout
    for name, summary in [("toy-chain", "A chain of up to three layers"),
                          ("toy-bench", "Every toy-chain architecture"),
                          ("toy-greedy", "Mutates the recommended architecture")]:
        line = next(line for line in out.splitlines() if line.strip().startswith(name))
        assert summary in line and "[plugin naslab_toy_plugin:" in line


def test_the_plugin_runs_resumes_and_reports(plugin_env, tmp_path):
    run_dir = tmp_path / "run"
    args = ["--space", "toy-chain", "--benchmark", "toy-bench", "-d", "easy,hard",
            "-s", "toy-greedy,rs", "--seeds", "2", "--queries", "25", "--no-progress"]
    result = naslab(plugin_env, "run", *args, "--out", str(run_dir))
    assert "toy-greedy" in result.stdout and "hard" in result.stdout
    with closing(sqlite3.connect(run_dir / "journal.sqlite")) as conn:
        total = conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
        conn.execute("DELETE FROM evaluations WHERE strategy = 'toy-greedy' AND step >= 10")
        conn.execute("UPDATE trials SET status = 'pending' WHERE strategy = 'toy-greedy'")
        conn.commit()
    assert total == 2 * 2 * 2 * 25
    naslab(plugin_env, "resume", str(run_dir), "--no-progress")
    with closing(sqlite3.connect(run_dir / "journal.sqlite")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == total
    report = naslab(plugin_env, "report", str(run_dir)).stdout
    assert "2 strategies x 2 datasets" in report


def test_without_the_plugin_its_run_cannot_be_reopened_and_says_so(plugin_env, tmp_path):
    run_dir = tmp_path / "run"
    naslab(plugin_env, "run", "--space", "toy-chain", "--benchmark", "toy-bench", "-d", "easy",
           "-s", "rs", "--seeds", "1", "--queries", "5", "--no-progress", "--out", str(run_dir))
    bare = {k: v for k, v in plugin_env.items() if k != "PYTHONPATH"}
    result = naslab(bare, "report", str(run_dir), check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "toy-chain" in result.stderr
