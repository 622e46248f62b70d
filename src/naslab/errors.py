"""User-facing errors.

Anything a user can cause (a bad name, a malformed architecture string, a
missing file, a bad budget) raises a :class:`NaslabError` whose message is one
line that says what was wrong and what is allowed. The CLI prints that line and
exits non-zero, without a traceback; library users catch the class.
"""

from __future__ import annotations

from collections.abc import Iterable


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
    return shown if len(shown) <= limit else f"{shown[: limit - 3]}... ({len(shown):,} characters)"
