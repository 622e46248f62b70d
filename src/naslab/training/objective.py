"""The training objective: an architecture's value is what it scores when trained for real.

Each evaluation builds the network (:mod:`naslab.training.builders`, or the
user's own ``builder``), trains it (:func:`naslab.training.trainer.train`) and
reports validation error in percent as the value (the NB201 tables' metric),
the training seconds as the cost, and validation / test accuracy and loss,
parameters, FLOPs and the per-epoch curve. Training that diverges, turns NaN or
raises is a failed evaluation with its reason; the study goes on.

The training seed is drawn from the evaluation's ``rng``, so a study replays
exactly; model initialisation runs under :func:`torch.random.fork_rng`, so
evaluating leaves the caller's global torch RNG untouched. With a ``workdir``
the trainer checkpoints every epoch there, and an evaluation interrupted by a
kill resumes from its last epoch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
from torch import nn

from naslab.observation import VALIDATION_ERROR, Observation
from naslab.spaces.base import Architecture, SearchSpace
from naslab.training.builders import build_network
from naslab.training.data import ImageData, load_data
from naslab.training.profile import count_flops, count_parameters
from naslab.training.trainer import TrainingFailed, TrainSettings, train

#: The file an evaluation's checkpoint is kept in, inside its scratch folder.
CHECKPOINT_FILE = "checkpoint.pt"
Builder = Callable[..., nn.Module]


@dataclass(frozen=True)
class DataSpec:
    """Which data set to load in each worker: a name of :func:`load_data` or a ``.npz`` file
    of arrays ``x``, ``y`` (and optionally ``x_test``, ``y_test``)."""

    name: str = "digits"
    root: str | None = None
    split_seed: int = 0
    valid_fraction: float | None = None
    limit: int | None = None

    def load(self) -> ImageData:
        if self.name.endswith(".npz"):
            return _npz_data(self.name, self.split_seed, self.valid_fraction, self.limit)
        return load_data(self.name, root=self.root, split_seed=self.split_seed,
                         valid_fraction=self.valid_fraction, limit=self.limit)


@dataclass(frozen=True)
class TrainingObjective:
    """Trains each architecture of ``space`` on ``data`` with ``settings`` (module doc).

    ``data`` is a :class:`DataSpec` (loaded, and cached, in each worker) or
    :class:`ImageData` in memory (sent along with every evaluation: keep it small).
    ``network`` holds the builder's options (e.g. ``{"channels": 16}``); ``builder``
    replaces the registered builder of the space (a picklable function
    ``builder(arch, input_shape, num_classes, **network)``). ``threads`` is the
    number of CPU threads an evaluation uses, whatever runs it: floating-point
    sums depend on it, so a fixed count keeps results identical on every executor
    (run ``workers`` evaluations in parallel to use more cores).
    """

    space: SearchSpace
    data: DataSpec | ImageData = field(default_factory=DataSpec)
    settings: TrainSettings = field(default_factory=TrainSettings)
    network: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    amp: bool = False
    builder: Builder | None = None
    threads: int = 1

    #: Evaluations keep epoch checkpoints in the scratch folder the driver gives them.
    resumable = True
    metric = VALIDATION_ERROR

    def load(self) -> ImageData:
        return self.data if isinstance(self.data, ImageData) else self.data.load()

    def build(
        self, arch: Architecture, data: ImageData, rng: np.random.Generator
    ) -> nn.Module:
        """The network of ``arch`` for ``data``'s images and classes (``rng``: for subclasses
        whose networks are drawn at random, seeded by the evaluation)."""
        return build_network(arch, data.input_shape, data.num_classes, builder=self.builder,
                             **self.network)

    def network_details(self, arch: Architecture, model: nn.Module) -> dict[str, Any]:
        """What the observation's details record about the trained network besides its curve
        (none here; subclasses that draw networks at random record what they drew)."""
        return {}

    def evaluate(
        self, arch: Architecture, rng: np.random.Generator, workdir: Path | None = None
    ) -> Observation:
        seed = int(rng.integers(2**31 - 1))
        data = self.load()
        started = time.perf_counter()
        sizes: dict[str, float] = {}
        threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = self.build(arch, data, np.random.default_rng(seed))
            sizes = {"params": float(count_parameters(model)),
                     "flops": float(count_flops(model, data.input_shape))}
            checkpoint = None
            if workdir is not None:
                workdir.mkdir(parents=True, exist_ok=True)
                checkpoint = workdir / CHECKPOINT_FILE
            result = train(model, data, self.settings, seed=seed, device=self.device,
                           amp=self.amp, checkpoint=checkpoint)
        except TrainingFailed as exc:
            return Observation.failed(arch, exc.reason, time.perf_counter() - started, sizes)
        except Exception as exc:  # an architecture the builder or the device cannot handle
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            return Observation.failed(arch, reason, time.perf_counter() - started, sizes)
        finally:
            torch.set_num_threads(threads)
        metrics = {**result.metrics(), **sizes, "seed": float(seed)}
        details = MappingProxyType({"curve": [dict(epoch) for epoch in result.curve],
                                    **self.network_details(arch, model)})
        value = self.metric.from_raw(result.val_acc)
        return Observation(arch, value, result.train_seconds, MappingProxyType(metrics),
                           None, details)


def _npz_data(
    path: str, split_seed: int, valid_fraction: float | None, limit: int | None
) -> ImageData:
    from naslab.errors import ConfigError
    from naslab.training.data import ARRAYS_VALID_FRACTION, from_arrays

    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(f"data file {file} does not exist; give a .npz with arrays x and y")
    with np.load(file) as arrays:
        missing = [k for k in ("x", "y") if k not in arrays]
        if missing:
            raise ConfigError(
                f"data file {file} has no array {missing[0]!r}; it needs x and y "
                "(and optionally x_test and y_test)"
            )
        test = {k: arrays[k] for k in ("x_test", "y_test") if k in arrays}
        return from_arrays(
            arrays["x"], arrays["y"], **test, name=file.stem, split_seed=split_seed,
            valid_fraction=ARRAYS_VALID_FRACTION if valid_fraction is None else valid_fraction,
            limit=limit,
        )
