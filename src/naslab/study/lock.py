"""One naslab process at a time per run folder: an exclusive lock held while it works.

``run``, ``resume`` and ``report`` hold an exclusive ``flock`` on
``<run folder>/.naslab.lock`` for as long as they write there; a second process
is refused at once with the holder's pid instead of interleaving its writes.
The kernel drops the lock when its holder dies (even by ``kill -9``), so a stale
lock never blocks a resume. The file is removed on release; a process that
opened it just before checks, after locking, that the path still names the file
it locked, and otherwise tries again on the new one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from naslab.errors import RunFolderError, os_errors_as
from naslab.study.journal import require_journal

LOCK_FILE = ".naslab.lock"


@contextmanager
def run_folder_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir`` (a run folder) for this process, or raise naming the holder."""
    require_journal(run_dir)
    path = Path(run_dir) / LOCK_FILE
    with os_errors_as(f"cannot write into run folder {run_dir}"):
        descriptor = _acquire(path, run_dir)
    try:
        yield
    finally:
        with suppress(OSError):  # unlink first: a process opening it now retries on a new file
            if _still_at(path, descriptor):  # (an --overwrite replaced the folder under it)
                path.unlink()
        os.close(descriptor)


def _acquire(path: Path, run_dir: Path) -> int:
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode(errors="replace").strip() or "unknown"
            os.close(descriptor)
            raise RunFolderError(
                f"{run_dir} is in use by another naslab process (pid {holder}); "
                "wait for it to end or stop it first"
            ) from None
        if _still_at(path, descriptor):
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
            return descriptor
        os.close(descriptor)  # its holder released and removed it meanwhile: try the new one


def _still_at(path: Path, descriptor: int) -> bool:
    try:
        return os.path.samestat(os.stat(path), os.fstat(descriptor))
    except FileNotFoundError:
        return False
