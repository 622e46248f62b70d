"""resume_study: a killed or cut journal resumes to exactly the uninterrupted journal."""

from __future__ import annotations

import dataclasses
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

from naslab.errors import NaslabError, RunFolderError
from naslab.study import StudyConfig, resume_study, run_study


def _sql(run_dir: Path, *statements: str) -> None:
    with closing(sqlite3.connect(run_dir / "journal.sqlite", isolation_level=None)) as conn:
        for statement in statements:
            conn.execute(statement)


def _count(run_dir: Path) -> int:
    try:
        with closing(sqlite3.connect(run_dir / "journal.sqlite", timeout=5)) as conn:
            return conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    except sqlite3.OperationalError:  # the run folder is not in place yet
        return 0


@pytest.fixture
def finished(tmp_path: Path, small: StudyConfig) -> Path:
    return run_study(small, tmp_path / "full", progress=False)


def test_cut_journals_resume_to_the_uninterrupted_one(tmp_path: Path, finished: Path,
                                                      journal_of, statuses) -> None:
    cut = tmp_path / "cut"
    shutil.copytree(finished, cut)
    trial = "strategy = '{}' AND seed = {}"
    _sql(
        cut,
        f"DELETE FROM evaluations WHERE {trial.format('ls', 0)} AND step >= 13",  # mid-batch
        f"DELETE FROM evaluations WHERE {trial.format('re', 1)}",  # never started
        f"DELETE FROM evaluations WHERE {trial.format('anasod-ls', 0)} AND step = 22",  # a gap
        # a whole batch and what follows
        f"DELETE FROM evaluations WHERE {trial.format('anasod-ls', 1)} AND step >= 9",
        "UPDATE trials SET status = 'pending' WHERE strategy IN ('ls', 're', 'anasod-ls')",
    )
    assert len(journal_of(cut)) == len(journal_of(finished)) - 17 - 30 - 1 - 21
    resume_study(cut, progress=False)
    assert journal_of(cut).equals(journal_of(finished))
    assert set(statuses(cut).values()) == {"done"}


def test_resuming_a_finished_run_changes_nothing(finished: Path) -> None:
    before = (finished / "journal.sqlite").read_bytes()
    assert resume_study(finished, progress=False) == finished
    assert (finished / "journal.sqlite").read_bytes() == before


def test_resume_needs_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="is not a naslab run folder"):
        resume_study(tmp_path / "missing", progress=False)
    with pytest.raises(RunFolderError, match="is not a naslab run folder"):
        resume_study(tmp_path, progress=False)
    (tmp_path / "journal.sqlite").write_text("not a database, just text that is long enough" * 30)
    with pytest.raises(RunFolderError, match="is not a readable naslab journal"):
        resume_study(tmp_path, progress=False)


def test_a_journal_that_does_not_replay_is_refused(tmp_path: Path, finished: Path) -> None:
    other = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    _sql(finished, f"UPDATE evaluations SET arch = '{other}' "
                   "WHERE strategy = 'ls' AND seed = 1 AND step = 4",
         "DELETE FROM evaluations WHERE strategy = 'ls' AND seed = 1 AND step > 20",
         "UPDATE trials SET status = 'pending' WHERE strategy = 'ls' AND seed = 1")
    with pytest.raises(NaslabError, match=r"cannot resume trial ls/cifar10/seed 1: at step 4 "
                                          r"the strategy proposes .* another naslab version"):
        resume_study(finished, progress=False)


# --- real kills: a study in another process, SIGKILLed mid-run ----------------------------
_RUN = """
import sys, time
from pathlib import Path
from naslab.study import StudyConfig, run_study
from naslab.study.journal import Journal
{patch}
run_study(StudyConfig.from_dict({config!r}), Path(sys.argv[1]), progress=False)
"""
# slows the study down so the test can kill it while it runs: the driver pauses after each
# trial it journals (workers run unpatched code, and a table trial takes milliseconds), so the
# 6 trials left after the kill point take over 1.8 s, far longer than the test's polling lag
# even on a loaded machine
_SLOW = """
append_trial = Journal.append_trial
def append_then_pause(self, *args):
    append_trial(self, *args)
    time.sleep(0.3)
Journal.append_trial = append_then_pause
"""
# kills the process right after the journal commits its {n}-th trial (tables run whole trials)
_SELF_KILL = """
import os, signal
append, done = Journal.append_trial, [0]
def append_then_die(self, *args):
    append(self, *args)
    done[0] += 1
    if done[0] == {n}:
        os.kill(os.getpid(), signal.SIGKILL)
Journal.append_trial = append_then_die
"""


def _start(config: StudyConfig, run_dir: Path, patch: str) -> subprocess.Popen:
    code = _RUN.format(patch=patch, config=config.to_dict())
    return subprocess.Popen([sys.executable, "-c", code, str(run_dir)])


def test_sigkill_between_trials_then_resume(tmp_path: Path, small: StudyConfig,
                                            finished: Path, journal_of) -> None:
    process = _start(small, tmp_path / "killed", _SELF_KILL.format(n=3))
    assert process.wait(timeout=60) == -signal.SIGKILL
    assert len(journal_of(tmp_path / "killed")) == 3 * 30
    resume_study(tmp_path / "killed", progress=False)
    assert journal_of(tmp_path / "killed").equals(journal_of(finished))


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_at_a_random_moment_then_resume(tmp_path: Path, small: StudyConfig,
                                                finished: Path, journal_of, workers: int) -> None:
    config = dataclasses.replace(small, workers=workers)
    run_dir = tmp_path / "killed"
    process = _start(config, run_dir, _SLOW)
    deadline = time.monotonic() + 60
    while _count(run_dir) < 60 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    time.sleep(0.3)  # orphaned workers notice their parent is gone and exit
    killed_at = _count(run_dir)
    assert 60 <= killed_at < len(journal_of(finished))
    resume_study(run_dir, progress=False)
    assert journal_of(run_dir).equals(journal_of(finished))


MODEL_BASED = StudyConfig(
    strategies=("anasod-bo", "adj-bo", "bananas", "anasod-bananas", "smac", "reinforce",
                "optuna:tpe"),
    seeds=1, max_queries=24, batch_size=2,
)


#: LaNAS and its baselines (seed 002), past several relearns of the tree, in batches.
TREE_SEARCH = StudyConfig(
    strategies=("lanas", "lanas-rt", "mcts-sequential", "mcts-global"),
    seeds=1, max_queries=45, batch_size=3, noise="mean",
)


@pytest.mark.parametrize(("config", "cuts"), [
    (MODEL_BASED, (24 + 15, 2 * 24 + 13, 5 * 24 + 11)),  # inside adj-bo, bananas and reinforce
    (TREE_SEARCH, (31, 45 + 29, 3 * 45 + 40)),  # inside lanas, lanas-rt and mcts-global
], ids=["model-based", "tree-search"])
def test_learning_strategies_resume_mid_trial(
    tmp_path: Path, journal_of, config: StudyConfig, cuts: tuple[int, ...]
) -> None:
    """Surrogates and trees refitted on replay, pending queues and Optuna's own study: all
    come back from a journal cut mid-batch (the ``n``-th evaluation of the study).

    Every run is a fresh process, as a user's would be, so state other tests leave in
    this one (torch's thread count, say) cannot tell the runs apart.
    """
    finished = tmp_path / "full"
    assert _start(config, finished, "").wait(timeout=300) == 0
    for n in cuts:
        strategy, step = config.strategies[n // config.max_queries], n % config.max_queries
        run_dir = tmp_path / f"cut-{n}"
        shutil.copytree(finished, run_dir)
        _sql(run_dir,
             f"DELETE FROM evaluations WHERE strategy = '{strategy}' AND step >= {step}",
             f"UPDATE trials SET status = 'pending' WHERE strategy = '{strategy}'")
        assert _count(run_dir) == n + (len(config.strategies) - 1 - n // config.max_queries) * (
            config.max_queries)
        resume = subprocess.run([sys.executable, "-c", _RESUME, str(run_dir)], timeout=300)
        assert resume.returncode == 0
        assert journal_of(run_dir).equals(journal_of(finished))


_RESUME = """
import sys
from naslab.study import resume_study
resume_study(sys.argv[1], progress=False)
"""
