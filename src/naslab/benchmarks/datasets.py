"""Dataset names: the NB201 datasets under one spelling, any other name as the user gives it."""

from __future__ import annotations

from collections.abc import Mapping

from naslab.errors import ConfigError, UnknownNameError

DATASETS: dict[str, str] = {
    "cifar10": "CIFAR-10 (NB201's cifar10-valid split: train on train, validate on valid)",
    "cifar100": "CIFAR-100",
    "imagenet16-120": "ImageNet16-120 (120 classes of ImageNet at 16x16)",
}
_ALIASES = {
    "cifar10-valid": "cifar10",
    "c10": "cifar10",
    "c10v": "cifar10",
    "c100": "cifar100",
    "imagenet": "imagenet16-120",
    "imagenet16": "imagenet16-120",
    "in16": "imagenet16-120",
}


def canonical_dataset(name: str) -> str:
    """An NB201 dataset under its name in :data:`DATASETS` (any alias, any case); any other
    name as given, stripped: a user's table names its own datasets."""
    stripped = name.strip()
    if not stripped:
        raise ConfigError("a dataset name must not be empty")
    key = _ALIASES.get(stripped.lower(), stripped.lower())
    return key if key in DATASETS else stripped


def require_dataset(name: str, known: Mapping[str, object], where: str) -> str:
    """``name`` (canonical) if ``known`` has it, else a one-line error listing ``known``."""
    name = canonical_dataset(name)
    if name not in known:
        raise UnknownNameError(f"dataset of {where}", name, known)
    return name
