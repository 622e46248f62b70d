"""A tiny name -> factory registry, one per role (spaces, strategies, ...).

A new method is a new class plus one ``@registry.register(...)`` line; lookups
of unknown names raise :class:`~naslab.errors.UnknownNameError` listing the
valid ones, and ``naslab list`` prints each entry's one-line summary.

Other packages add entries through Python entry points (groups ``naslab.spaces``,
``naslab.benchmarks``, ``naslab.strategies``): ``name = "module:object"``. They
are read on the registry's first lookup, so ``naslab run``, ``resume``,
``report`` and ``list`` all see them; the summary is the object's ``summary``
attribute or the first line of its docstring. A plugin that fails to import
is listed and fails with a one-line error only when it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from naslab.errors import NaslabError, UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    factory: T
    summary: str


class Registry(Generic[T]):
    """Maps names (and aliases) to factories of one role."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}
        self._plugins_loaded = entry_point_group is None

    def register(self, name: str, summary: str, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        def add(factory: T) -> T:
            if name in self._entries or name in self._aliases:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._entries[name] = Entry(name, factory, summary)
            for alias in aliases:
                self._aliases[alias] = name
            return factory

        return add

    def _load_plugins(self) -> None:
        """Add the entries other packages declare as entry points (once)."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for point in entry_points(group=self.entry_point_group or ""):
            key = point.name.strip().lower()
            if key not in self._entries:
                factory, summary = _load(point, self.kind)
                self._entries[key] = Entry(key, factory, summary)

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` or one of its aliases (case-insensitive)."""
        self._load_plugins()
        key = name.strip().lower()
        key = self._aliases.get(key, key)
        if key not in self._entries:
            raise UnknownNameError(self.kind, name, self._entries)
        return key

    def get(self, name: str) -> T:
        return self._entries[self.canonical(name)].factory

    def __contains__(self, name: str) -> bool:
        self._load_plugins()
        key = name.strip().lower()
        return self._aliases.get(key, key) in self._entries

    def __iter__(self) -> Iterator[Entry[T]]:
        self._load_plugins()
        return iter(list(self._entries.values()))

    def names(self) -> list[str]:
        self._load_plugins()
        return list(self._entries)


def _load(point: EntryPoint, kind: str) -> tuple[Any, str]:
    """The object behind ``point`` and its summary, or a stand-in that reports the failure."""
    source = f"{kind} plugin {point.name!r} ({point.value})"
    try:
        factory = point.load()
    except Exception as exc:  # a broken plugin must not break naslab: report it when used
        reason = f"{type(exc).__name__}: {exc}"

        def broken(*_: object, **__: object) -> Any:
            raise NaslabError(f"{source} failed to load: {reason}")

        return broken, f"(failed to load: {reason})"
    doc = (getattr(factory, "__doc__", None) or "").strip().splitlines()
    summary = getattr(factory, "summary", None) or (doc[0] if doc else "")
    return factory, f"{summary} [plugin {point.value}]"
