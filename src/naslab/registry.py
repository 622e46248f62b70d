"""A tiny name -> factory registry, one per role (spaces, strategies, ...).

A new method is a new class plus one ``@registry.register(...)`` line; lookups
of unknown names raise :class:`~naslab.errors.UnknownNameError` listing the
valid ones, and ``naslab list`` prints each entry's one-line summary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from naslab.errors import UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    factory: T
    summary: str


class Registry(Generic[T]):
    """Maps names (and aliases) to factories of one role."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, summary: str, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        def add(factory: T) -> T:
            if name in self._entries or name in self._aliases:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._entries[name] = Entry(name, factory, summary)
            for alias in aliases:
                self._aliases[alias] = name
            return factory

        return add

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` or one of its aliases (case-insensitive)."""
        key = name.strip().lower()
        key = self._aliases.get(key, key)
        if key not in self._entries:
            raise UnknownNameError(self.kind, name, self._entries)
        return key

    def get(self, name: str) -> T:
        return self._entries[self.canonical(name)].factory

    def __contains__(self, name: str) -> bool:
        key = name.strip().lower()
        return self._aliases.get(key, key) in self._entries

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(self._entries.values())

    def names(self) -> list[str]:
        return list(self._entries)
