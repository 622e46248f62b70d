"""Fingerprints of the tables a run searched, so a resume or report never mixes tables.

A run journals the fingerprint of its benchmark file (SHA-256 of the bytes) or
folder (SHA-256 of every file's name and size; hashing 15,625 NATS files'
contents would take longer than the search). Registered benchmarks ship with
their package and have none. Reopening a run compares the fingerprint of the
table at hand with the journaled one: a changed or moved table is refused, or
re-pointed with an explicit new path whose fingerprint must match.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from naslab.benchmarks import BENCHMARKS, is_table
from naslab.errors import RunFolderError

CHUNK = 1 << 20
#: The journal meta key that holds the table's fingerprint.
FINGERPRINT_KEY = "benchmark_fingerprint"


def fingerprint(spec: str) -> str | None:
    """The fingerprint of benchmark ``spec`` (None for registered benchmarks and functions)."""
    if spec in BENCHMARKS or not is_table(spec):
        return None
    path = Path(spec)
    digest = hashlib.sha256()
    try:
        if path.is_dir():
            with os.scandir(path) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    digest.update(f"{entry.name}:{entry.stat().st_size};".encode())
            return f"folder-sha256:{digest.hexdigest()}"
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise RunFolderError(
            f"cannot read the run's table {path}: {exc.strerror or exc}; if it moved, give its "
            "new place with --benchmark"
        ) from None
    return f"sha256:{digest.hexdigest()}"


def check_fingerprint(spec: str, recorded: str | None, run_dir: Path) -> None:
    """Refuse a table whose fingerprint differs from the one ``run_dir`` journaled."""
    if recorded is None:
        return
    current = fingerprint(spec)
    if current != recorded:
        raise RunFolderError(
            f"the table {spec} is not the one run {run_dir} searched (its content changed: "
            f"fingerprint {_short(current)} != journaled {_short(recorded)}); restore that "
            "table, or point to a copy of it with --benchmark PATH"
        )


def _short(value: str | None) -> str:
    return "none" if value is None else value.split(":")[-1][:12]
