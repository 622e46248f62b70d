"""The run-folder lock: one naslab process at a time, freed with its holder, no file left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from naslab.errors import RunFolderError
from naslab.study.config import StudyConfig
from naslab.study.journal import create_journal
from naslab.study.lock import LOCK_FILE, run_folder_lock

_HOLD = """
import sys, time
from pathlib import Path
from naslab.study.lock import run_folder_lock
with run_folder_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    create_journal(tmp_path, StudyConfig(strategies=("rs",), seeds=1).validated())
    return tmp_path


def test_a_second_holder_is_refused_and_the_file_goes_with_the_lock(run_dir: Path) -> None:
    with run_folder_lock(run_dir):
        assert (run_dir / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        in_use = f"in use by another naslab process \\(pid {os.getpid()}\\)"
        with pytest.raises(RunFolderError, match=in_use), run_folder_lock(run_dir):
            pass
    assert not (run_dir / LOCK_FILE).exists()
    with run_folder_lock(run_dir):  # free again
        pass


def test_a_killed_holder_frees_the_folder(run_dir: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(run_dir)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(RunFolderError, match=f"\\(pid {holder.pid}\\)"), \
                run_folder_lock(run_dir):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
    with run_folder_lock(run_dir):  # its stale file is taken over, not an obstacle
        assert (run_dir / LOCK_FILE).read_text() == f"{os.getpid()}\n"


def test_only_run_folders_are_locked(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="is not a naslab run folder"), \
            run_folder_lock(tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []
