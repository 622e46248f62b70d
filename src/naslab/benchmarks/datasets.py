"""Canonical names of the NB201 datasets and the spellings users and files use for them."""

from __future__ import annotations

from naslab.errors import UnknownNameError

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
    """``name`` as one of :data:`DATASETS`, accepting the usual aliases in any case."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise UnknownNameError("dataset", name, DATASETS)
    return key
