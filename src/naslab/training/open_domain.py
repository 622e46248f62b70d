"""Open-domain ANASOD: an evaluation trains a network of fresh cells drawn from an encoding.

Seed 000, appendix A.2: "For an encoding p~, we sample 24 valid cells randomly
to build the architecture (this is possible due to the fact that we may sample
architectures from the ANASOD encoding; previous work typically repeats the
identical cell multiple times to build a network)". ANASOD-BO (batch 4 there)
searches encodings; the architecture it asks is one decoded from the chosen
encoding, and :class:`EncodingTrainingObjective` reads that architecture's
encoding back (:class:`~naslab.encodings.OpDistEncoding` over both cells: one
distribution for the normal and the reduction cell, Figure 7's caption), draws
``layers`` cells with those op counts, each placed and wired uniformly at random
(the rounding decoder's placement, section 3.1), from the evaluation's seed, and
trains the :class:`~naslab.training.darts_net.DartsNetwork` that has cell ``i``
at layer ``i`` (a normal layer uses its normal cell, a reduction layer its reduce
cell). The value therefore depends on the encoding, not on the one wiring the
strategy happened to decode; the drawn cells are recorded in the observation's
details (``cells``: DARTS genotype strings, one per layer; ``encoding``: the op
counts).

A study selects it with ``cells = "per-layer"`` in its ``training`` settings
(:mod:`naslab.training.settings`); the default ``"repeat"`` repeats the asked
architecture's cells, as DARTS does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import nn

from naslab.encodings.opdist import OpDistEncoding
from naslab.errors import ConfigError
from naslab.spaces.base import Architecture
from naslab.spaces.darts import DartsSpace
from naslab.training.builders import builder_options
from naslab.training.darts_net import DartsNetwork
from naslab.training.data import ImageData
from naslab.training.objective import TrainingObjective

#: The values of the ``cells`` training setting: how a network's cells are chosen.
CELL_MODES = ("repeat", "per-layer")


class SampledDartsNetwork(DartsNetwork):
    """A :class:`DartsNetwork` that remembers its cells' genotype strings (``genotypes``)."""

    def __init__(self, cells: Sequence[Architecture], num_classes: int, **options: Any) -> None:
        super().__init__(cells, num_classes, **options)
        self.genotypes = [cell.space.format(cell) for cell in cells]


@dataclass(frozen=True)
class EncodingTrainingObjective(TrainingObjective):
    """Trains, per evaluation, ``layers`` fresh cells drawn from the asked architecture's
    op distribution (module doc; seed 000, appendix A.2). DARTS spaces only.

    ``network`` takes the DARTS builder's options (``channels``, ``layers``,
    ``auxiliary``, with its defaults); a ``builder`` of one's own is refused.
    """

    def __post_init__(self) -> None:
        if not isinstance(self.space, DartsSpace):
            raise ConfigError(
                f"training cells = 'per-layer' draws DARTS cells from an operation "
                f"distribution; space {self.space.name!r} is no DARTS space (use cells = "
                "'repeat')"
            )
        if self.builder is not None:
            raise ConfigError(
                "training cells = 'per-layer' builds DARTS networks itself; it takes no builder"
            )
        defaults = builder_options(self.space)
        for name, value in self.network.items():
            if name not in defaults:
                raise ConfigError(
                    f"unknown network option {name!r} for space {self.space.name!r}; "
                    f"options: {', '.join(defaults)}"
                )
            if isinstance(defaults[name], bool) != isinstance(value, bool) or (
                not isinstance(value, bool) and (not isinstance(value, int) or value < 1)
            ):
                kind = "true or false" if isinstance(defaults[name], bool) else (
                    "a positive integer")
                raise ConfigError(f"network option {name!r} must be {kind}, got {value!r}")

    @property
    def encoding(self) -> OpDistEncoding:
        """The op-distribution encoding cells are drawn from: both cells share it."""
        return OpDistEncoding(self.space)

    def options(self) -> dict[str, Any]:
        """The network options with the DARTS builder's defaults filled in."""
        return {**builder_options(self.space), **self.network}

    def sample_cells(self, arch: Architecture, rng: np.random.Generator) -> list[Architecture]:
        """``layers`` architectures with ``arch``'s op counts in both cells, each placed and
        wired uniformly at random with ``rng``."""
        encoding = self.encoding
        counts = encoding.counts(arch)
        return [encoding.decode_counts(counts, rng) for _ in range(self.options()["layers"])]

    def build(
        self, arch: Architecture, data: ImageData, rng: np.random.Generator
    ) -> nn.Module:
        options = self.options()
        cells = self.sample_cells(arch, rng)
        return SampledDartsNetwork(cells, data.num_classes, in_channels=data.input_shape[0],
                                   channels=options["channels"], auxiliary=options["auxiliary"])

    def network_details(self, arch: Architecture, model: nn.Module) -> dict[str, Any]:
        """The encoding's op counts and the drawn cells, one genotype string per layer."""
        genotypes = model.genotypes if isinstance(model, SampledDartsNetwork) else []
        return {"encoding": self.encoding.counts(arch).tolist(), "cells": list(genotypes)}
