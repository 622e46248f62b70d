"""Spaces defined by plain values: a TOML / YAML file, or the copy journaled with a run.

A definition is a mapping::

    name = "chain"
    template = "{depth}:{k1}/{c1}:{k2}/{c2}"     # optional canonical-string layout
    [[positions]]
    name = "depth"
    choices = [1, 2]
    [[positions]]
    name = "k1"
    choices = [3, 5]
    [[positions]]
    name = "k2"
    choices = [3, 5]
    active_when = { depth = [2] }                # active only while depth is 2
    [groups]                                     # optional; ANASOD counts over a group
    kernels = ["k1", "k2"]

Positions that share one option list may be written as names with a top-level
``choices = [...]``. Options may be numbers; they are compared as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from naslab.errors import ConfigError
from naslab.files import read_mapping
from naslab.spaces.categorical import CategoricalSpace, Position

SPACE_FILE_SUFFIXES = (".toml", ".yaml", ".yml")
_KEYS = ("name", "positions", "choices", "groups", "template", "description")
_POSITION_KEYS = ("name", "choices", "active_when")


def space_from_definition(data: Any, source: str = "space definition") -> CategoricalSpace:
    """The space ``data`` defines (format: module doc); ``source`` names it in errors."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source} must be a mapping with name and positions, got {data!r}")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(_KEYS)}"
        )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{source} needs a name (text)")
    shared = data.get("choices")
    if shared is not None:
        shared = _options(source, "choices", shared)
    positions = data.get("positions")
    if not isinstance(positions, list) or not positions:
        raise ConfigError(f"{source} needs a list of positions")
    specs = [_position(source, entry, shared) for entry in positions]
    groups = data.get("groups")
    if groups is not None and not (
        isinstance(groups, Mapping) and all(isinstance(v, list) for v in groups.values())
    ):
        raise ConfigError(f"{source}: groups must map a group name to a list of position names")
    template = data.get("template")
    if template is not None and not isinstance(template, str):
        raise ConfigError(f"{source}: template must be text, got {template!r}")
    try:
        return CategoricalSpace(name.strip(), specs, groups=groups, template=template)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _options(source: str, where: str, values: Any) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in values
    ):
        raise ConfigError(f"{source}: {where} must be a list of option names or numbers")
    return tuple(str(v) for v in values)


def _position(source: str, entry: Any, shared: tuple[str, ...] | None) -> Position:
    if isinstance(entry, str):
        if shared is None:
            raise ConfigError(
                f"{source}: position {entry!r} has no choices; give it its own or a top-level "
                "choices list"
            )
        return Position(entry, shared)
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise ConfigError(f"{source}: a position is a name or a table with name and choices")
    name = entry["name"]
    unknown = sorted(set(entry) - set(_POSITION_KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: position {name!r} has unknown key(s) {', '.join(unknown)}; "
            f"valid: {', '.join(_POSITION_KEYS)}"
        )
    if "choices" in entry:
        choices = _options(source, f"position {name!r}'s choices", entry["choices"])
    elif shared is not None:
        choices = shared
    else:
        raise ConfigError(f"{source}: position {name!r} has no choices")
    when = entry.get("active_when")
    if when is None:
        return Position(name, choices)
    if not isinstance(when, Mapping) or len(when) != 1:
        raise ConfigError(
            f"{source}: position {name!r}: active_when maps one earlier position to the "
            "options that switch this one on, e.g. {{ depth = [2, 3] }}"
        )
    ((controller, options),) = when.items()
    if not isinstance(options, list):
        options = [options]
    return Position(name, choices, (str(controller), _options(source, "active_when", options)))


def load_space_file(path: str | Path) -> CategoricalSpace:
    """The space a ``.toml`` / ``.yaml`` / ``.yml`` file defines."""
    path = Path(path).expanduser()
    if path.suffix.lower() not in SPACE_FILE_SUFFIXES:
        raise ConfigError(f"space file {path} must end in .toml, .yaml or .yml")
    return space_from_definition(read_mapping(path, "space file"), source=f"space file {path}")


def is_space_file(spec: str) -> bool:
    """Whether ``spec`` names a space file rather than a registered space."""
    return Path(spec).suffix.lower() in SPACE_FILE_SUFFIXES
