"""The encoding contract: an architecture as a fixed-length real vector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from naslab.spaces.base import Architecture


@runtime_checkable
class Encoding(Protocol):
    """Maps architectures of one space to vectors of length ``dim`` (surrogates' inputs)."""

    dim: int

    def encode(self, arch: Architecture) -> np.ndarray: ...

    def encode_many(self, archs: Sequence[Architecture]) -> np.ndarray:
        """The ``(len(archs), dim)`` matrix of encodings (surrogates encode pools at once)."""
        ...
