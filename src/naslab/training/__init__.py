"""Real training: PyTorch network builders, data sets, the trainer and the training objective.

Importing this package imports PyTorch (``pip install 'naslab[train]'``); the rest
of naslab never needs it.
"""

from naslab.training.augment import Augmentation
from naslab.training.builders import BUILDERS, build_network, builder_options
from naslab.training.data import ImageData, Split, from_arrays, load_data
from naslab.training.objective import DataSpec, TrainingObjective
from naslab.training.open_domain import EncodingTrainingObjective
from naslab.training.profile import count_flops, count_parameters
from naslab.training.trainer import (
    PRESETS,
    TrainingFailed,
    TrainResult,
    TrainSettings,
    preset,
    train,
)

__all__ = [
    "BUILDERS",
    "PRESETS",
    "Augmentation",
    "DataSpec",
    "EncodingTrainingObjective",
    "ImageData",
    "Split",
    "TrainResult",
    "TrainSettings",
    "TrainingFailed",
    "TrainingObjective",
    "build_network",
    "builder_options",
    "count_flops",
    "count_parameters",
    "from_arrays",
    "load_data",
    "preset",
    "train",
]
