"""Canonical strings from a template: ``"{depth}|{k1}x{w1}|{k2}x{w2}"`` formats and parses.

A template is literal text with one ``{position}`` placeholder per position of
the space; an inactive position is written ``-``. Parsing matches the whole
string against a regular expression made of the escaped literals and, per
placeholder, the position's own options (longest first), so options may hold
any characters, including the template's separators.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from naslab.errors import ConfigError

#: How an inactive position is written in every canonical string.
INACTIVE_TEXT = "-"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class Template:
    """A canonical-string layout over ``positions`` (names) with their ``choices``."""

    def __init__(
        self, text: str, positions: Sequence[str], choices: Sequence[Sequence[str]]
    ) -> None:
        self.text = text
        parts = _PLACEHOLDER.split(text)
        self.literals = parts[0::2]
        names = parts[1::2]
        index = {name: i for i, name in enumerate(positions)}
        unknown = [n for n in names if n not in index]
        if unknown:
            raise ConfigError(
                f"template {text!r} names {unknown[0]!r}, which is no position; "
                f"positions: {', '.join(positions)}"
            )
        if sorted(names) != sorted(positions):
            missing = sorted(set(positions) - set(names)) or sorted(
                n for n in set(names) if names.count(n) > 1
            )
            raise ConfigError(
                f"template {text!r} must name every position exactly once in braces; "
                f"check {', '.join(missing)}"
            )
        self.order = tuple(index[n] for n in names)
        pattern = re.escape(self.literals[0])
        for position, literal in zip(self.order, self.literals[1:], strict=True):
            options = sorted({*choices[position], INACTIVE_TEXT}, key=len, reverse=True)
            pattern += f"({'|'.join(map(re.escape, options))})" + re.escape(literal)
        self._regex = re.compile(pattern)

    def format(self, names: Sequence[str]) -> str:
        """The string of per-position option names ``names`` (``-`` where inactive)."""
        out = [self.literals[0]]
        for position, literal in zip(self.order, self.literals[1:], strict=True):
            out += [names[position], literal]
        return "".join(out)

    def split(self, text: str) -> list[str] | None:
        """Per-position option names read from ``text``, or None if it does not match."""
        match = self._regex.fullmatch(text)
        if match is None:
            return None
        names = [""] * len(self.order)
        for group, position in enumerate(self.order, start=1):
            names[position] = match[group]
        return names
