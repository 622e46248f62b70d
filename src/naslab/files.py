"""Settings files: one reader of TOML and YAML mappings for study configs and space definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from naslab.errors import ConfigError

MAPPING_SUFFIXES = (".toml", ".yaml", ".yml")


def read_mapping(path: Path, what: str) -> dict[str, Any]:
    """The mapping a ``.toml`` / ``.yaml`` / ``.yml`` file holds (empty file: empty mapping).

    ``what`` ("config file", "space file") names the file in one-line errors.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MAPPING_SUFFIXES:
        raise ConfigError(f"{what} {path} must end in .toml, .yaml or .yml")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"cannot read {what} {path}: {reason}") from None
    try:
        data = _parse_toml(text) if suffix == ".toml" else _parse_yaml(text)
    except ValueError as exc:  # tomllib/yaml errors are ValueError subclasses here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{what} {path} is not valid {suffix[1:]}: {reason}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {path} must hold a mapping of settings")
    return data


def _parse_toml(text: str) -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(text)


def _parse_yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).replace("\n", " ")) from None
