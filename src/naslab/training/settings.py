"""The ``training`` settings of a study config, checked, and the objective they describe.

A training study (``benchmark = "train"``) names its data sets in ``datasets``
(``digits``, ``fashion-mnist``, ``cifar10``, ``cifar100``, or a ``.npz`` file of
arrays) and says how to train in one mapping::

    [training]
    preset = "quick"          # nb201 | darts | anasod-search | quick (trainer.PRESETS)
    epochs = 1                # any TrainSettings field overrides the preset
    device = "cpu"            # cuda, cuda:1, ...
    amp = false               # mixed precision (CUDA only)
    threads = 1               # CPU threads per evaluation (results depend on it)
    data_root = "~/data"      # where fashion-mnist / CIFAR live
    split_seed = 0            # the train / valid / test split
    limit = 500               # keep this many training images (quick runs)
    network = { channels = 8, cells = 1 }   # the space's builder options
    builder = "mymodule:build"              # a builder of your own for your own space
    cells = "repeat"          # DARTS: "per-layer" trains fresh cells drawn from the asked
                              # architecture's op distribution (open_domain.py, seed 000 A.2)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from naslab.errors import ConfigError, excerpt
from naslab.spaces.base import SearchSpace

#: Keys of the objective itself; every other key is a TrainSettings field.
OBJECTIVE_KEYS = (
    "preset", "device", "amp", "threads", "data_root", "split_seed", "valid_fraction", "limit",
    "network", "builder", "cells",
)


def check_training_settings(training: Mapping[str, Any]) -> dict[str, Any]:
    """``training`` with every value checked (one-line errors), as plain values."""
    from naslab.training.trainer import TrainSettings, preset

    settings_keys = [f for f in TrainSettings.__dataclass_fields__]
    unknown = sorted(set(training) - set(OBJECTIVE_KEYS) - set(settings_keys))
    if unknown:
        raise ConfigError(
            f"unknown training setting {unknown[0]!r}; valid: "
            f"{', '.join((*OBJECTIVE_KEYS, *settings_keys))}"
        )
    overrides = {k: v for k, v in training.items() if k in settings_keys}
    preset(str(training.get("preset", "quick")), **overrides)
    for key, kind in (("device", str), ("data_root", str), ("builder", str)):
        if key in training and not isinstance(training[key], kind):
            raise ConfigError(f"training setting {key} must be text, got {excerpt(training[key])}")
    threads = training.get("threads", 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"training setting threads must be an integer >= 1, got {threads!r}")
    if not isinstance(training.get("amp", False), bool):
        raise ConfigError(f"training setting amp must be true or false, got {training['amp']!r}")
    if not isinstance(training.get("network", {}), Mapping):
        raise ConfigError("training setting network must map builder options to values")
    if "builder" in training:
        _import_builder(training["builder"])
    from naslab.training.open_domain import CELL_MODES

    if training.get("cells", "repeat") not in CELL_MODES:
        raise ConfigError(f"training setting cells must be one of {', '.join(CELL_MODES)}, "
                          f"got {excerpt(training['cells'])}")
    return dict(training)


def training_objective(
    space: SearchSpace, dataset: str, training: Mapping[str, Any]
) -> Any:
    """The :class:`~naslab.training.objective.TrainingObjective` of ``training`` on ``dataset``.

    Builds one network and checks the data set is there, so a wrong option or a
    missing data folder fails before the study writes anything.
    """
    from naslab.training.data import load_data
    from naslab.training.objective import DataSpec, TrainingObjective
    from naslab.training.trainer import TrainSettings, preset, resolve_device

    settings_keys = set(TrainSettings.__dataclass_fields__)
    settings = preset(str(training.get("preset", "quick")),
                      **{k: v for k, v in training.items() if k in settings_keys})
    data = DataSpec(dataset, training.get("data_root"), training.get("split_seed", 0),
                    training.get("valid_fraction"), training.get("limit"))
    if not dataset.endswith(".npz"):
        load_data(dataset, root=data.root, split_seed=data.split_seed,
                  valid_fraction=data.valid_fraction, limit=data.limit)
    device = str(training.get("device", "cpu"))
    amp = bool(training.get("amp", False))
    if resolve_device(device).type != "cuda" and amp:
        raise ConfigError(f"mixed precision (amp) needs a CUDA device, got device {device!r}")
    builder = _import_builder(training["builder"]) if "builder" in training else None
    from naslab.training.open_domain import EncodingTrainingObjective

    kind = EncodingTrainingObjective if training.get("cells") == "per-layer" else TrainingObjective
    objective = kind(space, data, settings, dict(training.get("network", {})),
                     device, amp, builder, int(training.get("threads", 1)))
    rng = np.random.default_rng(0)
    objective.build(space.sample(rng), objective.load(), rng)
    return objective


def _import_builder(spec: str) -> Callable[..., Any]:
    """The function ``module:name`` names."""
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise ConfigError(f"builder must be written 'module:function', got {spec!r}")
    try:
        builder = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import builder {spec!r}: {exc}") from None
    if not callable(builder):
        raise ConfigError(f"builder {spec!r} is not callable")
    return builder
