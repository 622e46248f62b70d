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

A family of names under one prefix (``optuna:tpe``, ``optuna:gp``) is one
``register_prefix(...)``: its members' factories are made on first use, and
``naslab list`` shows the family as one line.
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


@dataclass(frozen=True)
class Family(Generic[T]):
    """The names ``prefix:member``, whose factories ``make(member)`` builds on first use."""

    prefix: str
    summary: str
    members: tuple[str, ...]
    make: Callable[[str], T]
    placeholder: str = "name"  # what ``naslab list`` writes for a member: ``optuna:<sampler>``

    def names(self) -> list[str]:
        return [f"{self.prefix}:{m}" for m in self.members]


class Registry(Generic[T]):
    """Maps names (and aliases) to factories of one role, and prefixes to families of names."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}
        self._families: dict[str, Family[T]] = {}
        self._made: dict[str, T] = {}  # family members made so far, by name
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

    def register_prefix(
        self,
        prefix: str,
        summary: str,
        members: tuple[str, ...],
        make: Callable[[str], T],
        placeholder: str = "name",
    ) -> None:
        """Resolve ``prefix:member`` for each of ``members`` to ``make(member)`` (made once)."""
        if prefix in self._families or ":" in prefix:
            raise ValueError(f"{self.kind} prefix {prefix!r} registered twice or contains ':'")
        self._families[prefix] = Family(prefix, summary, members, make, placeholder)

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
        if key in self._entries:
            return key
        prefix, colon, member = key.partition(":")
        family = self._families.get(prefix) if colon else None
        if family is not None:
            if member.strip() in family.members:
                return f"{prefix}:{member.strip()}"
            raise UnknownNameError(self.kind, name, family.names())
        valid = [*self._entries, *(n for f in self._families.values() for n in f.names())]
        raise UnknownNameError(self.kind, name, valid)

    def get(self, name: str) -> T:
        key = self.canonical(name)
        if key in self._entries:
            return self._entries[key].factory
        if key not in self._made:
            prefix, _, member = key.partition(":")
            self._made[key] = self._families[prefix].make(member)
        return self._made[key]

    def __contains__(self, name: str) -> bool:
        try:
            self.canonical(name)
        except UnknownNameError:
            return False
        return True

    def __iter__(self) -> Iterator[Entry[T]]:
        """The entries registered by name (families' members are not entries; see listing)."""
        self._load_plugins()
        return iter(list(self._entries.values()))

    def names(self) -> list[str]:
        """Every registered name, then each family's first member, which stands for its family."""
        self._load_plugins()
        return [*self._entries, *(f.names()[0] for f in self._families.values())]

    def name_of(self, factory: object) -> str | None:
        """The name ``factory`` is registered or was made under (None if it is neither)."""
        self._load_plugins()
        entry = next((e.name for e in self._entries.values() if e.factory is factory), None)
        return entry or next((n for n, made in self._made.items() if made is factory), None)

    def listing(self) -> list[tuple[str, str]]:
        """(name, summary) of every entry, then one line per family: what ``naslab list`` shows."""
        self._load_plugins()
        rows = [(e.name, e.summary) for e in self._entries.values()]
        for f in self._families.values():
            rows.append((f"{f.prefix}:<{f.placeholder}>",
                         f"{f.summary}; {f.placeholder}s: {', '.join(f.members)}"))
        return rows


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
