"""Report files written whole or not at all, and the leftovers of killed reports cleaned up.

Every file goes to a hidden ``.<name>.<pid>.part`` sibling that is renamed over
it, so a kill leaves the old file whole; the next report removes such parts
(and only those naslab's own writer names) once their process is gone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

PART = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.part$")


def part_path(path: Path) -> Path:
    """Where :func:`write_atomic` writes ``path`` before renaming it."""
    return path.with_name(f".{path.name}.{os.getpid()}.part")


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` via a temporary sibling renamed over it, so it is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = part_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def remove_stale_parts(folder: Path, is_ours: Callable[[str], bool]) -> list[Path]:
    """Remove ``folder``'s part files of names ``is_ours`` accepts whose writer has exited.

    A part of a live process (a report running now) is left alone.
    """
    removed = []
    for path in _entries(folder):
        match = PART.match(path.name)
        if match and is_ours(match["name"]) and not _alive(int(match["pid"])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _entries(folder: Path) -> Iterable[Path]:
    return (p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else ()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes one file at a time: any part of ours is stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except OverflowError:
        return False
    return True
