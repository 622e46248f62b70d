"""User-facing errors.

Anything a user can cause (a bad name, a malformed architecture string, a
missing file, a bad budget) raises a :class:`NaslabError` whose message is one
line that says what was wrong and what is allowed. The CLI prints that line and
exits non-zero, without a traceback; library users catch the class.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class NaslabError(Exception):
    """Base class of every error a user's input can cause."""


class UnknownNameError(NaslabError, KeyError):
    """A name (space, dataset, strategy, ...) that is not registered."""

    def __init__(self, kind: str, name: str, valid: Iterable[str]) -> None:
        self.kind, self.name, self.valid = kind, name, sorted(valid)
        super().__init__(f"unknown {kind} {name!r}; valid: {', '.join(self.valid)}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])

    def __reduce__(self) -> tuple[type, tuple[str, str, list[str]]]:
        # so the error survives the trip back from a worker process
        return (UnknownNameError, (self.kind, self.name, self.valid))


class InvalidArchitectureError(NaslabError, ValueError):
    """An architecture string or op vector that does not belong to its space."""


class BenchmarkDataError(NaslabError):
    """A benchmark file that is missing, unreadable or inconsistent."""


class ConfigError(NaslabError, ValueError):
    """A study setting that is out of range or inconsistent."""


class RunFolderError(NaslabError):
    """A run folder that exists when it should not, or is not a run when it should be."""


def excerpt(text: object, limit: int = 80) -> str:
    """``repr(text)`` cut to about ``limit`` characters, so an error never echoes a huge input."""
    shown = repr(text)
    if len(shown) <= limit:
        return shown
    size = len(text) if isinstance(text, str | bytes) else len(shown)
    return f"{shown[: limit - 3]}... ({size:,} characters)"


class StudyInterrupted(KeyboardInterrupt):
    """Ctrl-C during a study's trials, naming the run folder a resume continues.

    A KeyboardInterrupt, so code that stops on Ctrl-C still stops; the CLI prints
    its message instead of a traceback.
    """


def os_reason(exc: OSError) -> str:
    """One line for an operating-system error: its reason and, when known, the file."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{reason}: {exc.filename}" if exc.filename else reason


@contextmanager
def os_errors_as(what: str) -> Iterator[None]:
    """Raise an OSError inside (a full disk, a read-only folder) as ``RunFolderError``."""
    try:
        yield
    except OSError as exc:
        raise RunFolderError(f"{what}: {os_reason(exc)}") from exc


def require_module(module: str, purpose: str, extra: str) -> None:
    """Raise a :class:`ConfigError` saying what to install when optional ``module`` is missing."""
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{purpose} needs {module}: pip install 'naslab[{extra}]'")
