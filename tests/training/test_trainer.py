"""The trainer: settings and presets, learning on digits, reproducibility, failures, checkpoints."""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import naslab
from naslab.errors import ConfigError, UnknownNameError
from naslab.training import trainer
from naslab.training.data import ImageData, load_data
from naslab.training.trainer import (
    PRESETS,
    TrainingFailed,
    TrainSettings,
    cosine_lr,
    preset,
    resolve_device,
    train,
)

SETTINGS = preset("quick", epochs=3)
#: Resumed runs draw cutout squares from the trainer's generator and dropout from torch's.
RESUMABLE = SETTINGS.replace(cutout=3, grad_clip=2.0)


def small_cnn(dropout: float = 0.0) -> nn.Module:
    """A two-convolution net for 8x8 digits (~10k weights)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Flatten(), nn.Dropout(dropout), nn.Linear(32 * 4 * 4, 10))


@pytest.fixture(scope="module")
def digits() -> ImageData:
    return load_data("digits")


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Bitwise comparisons across processes need the same CPU kernels' thread count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def fresh_run(digits: ImageData, settings: TrainSettings = SETTINGS, dropout: float = 0.0,
              **kwargs: object) -> tuple:
    torch.manual_seed(0)
    model = small_cnn(dropout)
    return model, train(model, digits, settings, seed=7, **kwargs)  # type: ignore[arg-type]


def without_time(result: trainer.TrainResult) -> tuple:
    metrics = {k: v for k, v in result.metrics().items()
               if k not in ("train_seconds", "resumed_from")}
    return metrics, [{k: v for k, v in row.items() if k != "seconds"} for row in result.curve]


# --- settings -----------------------------------------------------------------------------------


def test_presets_follow_their_sources() -> None:
    nb201 = PRESETS["nb201"]
    assert (nb201.epochs, nb201.batch_size, nb201.lr, nb201.lr_min, nb201.momentum,
            nb201.nesterov, nb201.weight_decay) == (200, 256, 0.1, 0.0, 0.9, True, 5e-4)
    darts = PRESETS["darts"]
    assert (darts.epochs, darts.batch_size, darts.lr, darts.weight_decay, darts.cutout,
            darts.drop_path, darts.auxiliary_weight, darts.grad_clip, darts.nesterov) == \
        (600, 96, 0.025, 3e-4, 16, 0.2, 0.4, 5.0, False)
    search = PRESETS["anasod-search"]
    assert (search.epochs, search.batch_size, search.lr, search.lr_min, search.momentum,
            search.weight_decay) == (30, 96, 0.025, 0.0, 0.9, 3e-4)
    assert PRESETS["quick"].epochs <= 5 and PRESETS["quick"] == TrainSettings()
    with pytest.raises(UnknownNameError, match="nb201"):
        preset("imagenet")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"lr": -1}, "lr must be a number > 0"),
    ({"lr": float("nan")}, "lr must be"),
    ({"epochs": 1.5}, "epochs must be an integer >= 1"),
    ({"epochs": True}, "epochs must be"),
    ({"momentum": 1.0}, r"momentum must be a number in \[0, 1\)"),
    ({"grad_clip": 0}, "grad_clip must be None or a number > 0"),
    ({"cutout": -2}, "cutout must be None or an integer"),
    ({"nesterov": "yes"}, "nesterov must be True or False"),
    ({"lr_min": 1.0}, "lr_min"),
    ({"momentum": 0.0, "nesterov": True}, "nesterov needs momentum"),
    ({"learning_rate": 0.1}, "unknown training setting 'learning_rate'; valid: epochs"),
])
def test_settings_are_validated_in_one_line(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        SETTINGS.replace(**overrides)
    assert "\n" not in str(info.value)


def test_settings_are_canonical() -> None:
    settings = SETTINGS.replace(epochs=np.int64(4), lr=np.float32(0.5), grad_clip=None)
    assert type(settings.epochs) is int and type(settings.lr) is float
    assert settings == TrainSettings(epochs=4, lr=0.5)


def test_cosine_lr() -> None:
    settings = TrainSettings(epochs=10, lr=0.1, lr_min=0.02)
    rates = [cosine_lr(settings, e) for e in range(10)]
    assert rates[0] == 0.1 and math.isclose(rates[5], 0.06)
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False)) and rates[-1] > 0.02


# --- training -----------------------------------------------------------------------------------


def test_learns_digits_and_reports_the_curve(digits: ImageData) -> None:
    _, result = fresh_run(digits)
    assert result.val_acc > 80 and result.test_acc > 80 and result.train_loss < 2
    assert result.epochs == 3 and [row["epoch"] for row in result.curve] == [1, 2, 3]
    assert [row["lr"] for row in result.curve] == [cosine_lr(SETTINGS, e) for e in range(3)]
    assert result.val_acc == result.curve[-1]["val_acc"]
    assert math.isclose(result.train_seconds, sum(row["seconds"] for row in result.curve))
    metrics = result.metrics()
    assert all(type(v) is float for v in metrics.values()) and metrics["epochs"] == 3.0


def test_same_seed_same_result(digits: ImageData) -> None:
    settings = SETTINGS.replace(epochs=2, grad_clip=1.0, cutout=3, label_smoothing=0.1)
    first_model, first = fresh_run(digits, settings)
    second_model, second = fresh_run(digits, settings)
    assert without_time(first) == without_time(second)
    assert all(torch.equal(a, b) for a, b in
               zip(first_model.state_dict().values(), second_model.state_dict().values(),
                   strict=True))
    torch.manual_seed(0)
    other = train(small_cnn(), digits, settings, seed=8)
    assert without_time(other) != without_time(first)


def test_cutout_setting_overrides_the_data_default(digits: ImageData) -> None:
    run = trainer._Run(small_cnn(), digits, SETTINGS.replace(cutout=4), seed=0, amp=False)
    assert run.augment.cutout == 4 and digits.augment.cutout == 0


class DartsLike(nn.Module):
    """Returns (logits, aux_logits) in training and records the drop-path probability it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
        self.aux = nn.Linear(64, 10)
        self.drop_path_prob = -1.0
        self.seen: list[float] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if not self.training:
            return self.body(x)
        if not self.seen or self.seen[-1] != self.drop_path_prob:
            self.seen.append(self.drop_path_prob)
        return self.body(x), self.aux(x.flatten(1))


def test_drop_path_ramp_and_auxiliary_head(digits: ImageData) -> None:
    settings = SETTINGS.replace(epochs=4, drop_path=0.2, auxiliary_weight=0.4, weight_decay=0)
    torch.manual_seed(0)
    model = DartsLike()
    before = model.aux.weight.detach().clone()
    result = train(model, digits, settings, seed=0)
    assert model.seen == pytest.approx([0.0, 0.05, 0.1, 0.15])
    assert not torch.equal(model.aux.weight, before) and result.val_acc > 50
    torch.manual_seed(0)
    model = DartsLike()
    train(model, digits, settings.replace(auxiliary_weight=0.0), seed=0)
    assert torch.equal(model.aux.weight, before)  # no auxiliary loss, no gradient


# --- failures -----------------------------------------------------------------------------------


def test_nan_loss_fails_naming_epoch_and_step(digits: ImageData) -> None:
    with pytest.raises(TrainingFailed, match=r"loss .* at epoch 1 step \d+") as info:
        fresh_run(digits, SETTINGS.replace(lr=1e6))
    assert "\n" not in str(info.value) and info.value.reason == str(info.value)


def test_divergence_rule(digits: ImageData) -> None:
    run = trainer._Run(small_cnn(), digits, SETTINGS, seed=0, amp=False)
    assert run.check(list(torch.tensor([2.0, 150.0, 199.0])), 0, epoch=0) == 3  # < 100x first
    with pytest.raises(TrainingFailed, match="diverged .* loss 250 at epoch 2 step 5"):
        run.check(list(torch.tensor([0.0, 0.0, 0.0, 2.0, 250.0])), 3, epoch=1)
    run.first_loss = None
    with pytest.raises(TrainingFailed, match="non-finite loss inf at epoch 1 step 2"):
        run.check(list(torch.tensor([2.0, math.inf])), 0, epoch=0)


def test_out_of_memory_becomes_training_failed(digits: ImageData,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def step(self: object, inputs: torch.Tensor, labels: torch.Tensor) -> None:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB\nmore")

    monkeypatch.setattr(trainer._Run, "step", step)
    with pytest.raises(TrainingFailed, match="out of GPU memory at epoch 1 step 1: CUDA out of "
                                             "memory. Tried to allocate 2 GiB$"):
        fresh_run(digits)


def test_devices_and_mixed_precision_are_checked(digits: ImageData) -> None:
    with pytest.raises(ConfigError, match="mixed precision needs a CUDA device"):
        train(small_cnn(), digits, SETTINGS, seed=0, amp=True)
    with pytest.raises(ConfigError, match="unknown device 'gpu0'"):
        resolve_device("gpu0")
    assert resolve_device("cpu") == torch.device("cpu")


def test_seed_is_checked(digits: ImageData) -> None:
    with pytest.raises(ConfigError, match="seed must be an integer >= 0, got -1"):
        train(small_cnn(), digits, SETTINGS, seed=-1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("amp", [False, True])
def test_trains_on_cuda(digits: ImageData, amp: bool) -> None:
    _, result = fresh_run(digits, device="cuda", amp=amp)
    assert result.val_acc > 80


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_refused_without_a_gpu(digits: ImageData) -> None:
    with pytest.raises(ConfigError, match="no CUDA GPU") as info:
        train(small_cnn(), digits, SETTINGS, seed=0, device="cuda:1")
    assert "\n" not in str(info.value)


# --- checkpoints --------------------------------------------------------------------------------

KILLED_AFTER_FIRST_EPOCH = textwrap.dedent("""
    import importlib.util, os, signal, sys
    import torch
    from naslab.training import trainer
    from naslab.training.data import load_data

    spec = importlib.util.spec_from_file_location("tests_trainer", sys.argv[1])
    tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tests)
    save = trainer._Run.save

    def save_then_die(self, path):
        save(self, path)
        os.kill(os.getpid(), signal.SIGKILL)

    trainer._Run.save = save_then_die
    torch.set_num_threads(1)
    torch.manual_seed(0)
    trainer.train(tests.small_cnn(0.2), load_data("digits"), tests.RESUMABLE, seed=7,
                  checkpoint=sys.argv[2])
""")


def test_resume_after_sigkill_is_bitwise_identical(digits: ImageData, tmp_path: Path,
                                                   one_thread: None) -> None:
    checkpoint = tmp_path / "run.pt"
    env = {**os.environ, "PYTHONPATH": str(Path(naslab.__file__).parents[1])}
    child = subprocess.run([sys.executable, "-c", KILLED_AFTER_FIRST_EPOCH, __file__,
                            str(checkpoint)], env=env, capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    saved = torch.load(checkpoint, weights_only=True)["curve"]
    assert len(saved) == 1

    resumed_model, resumed = fresh_run(digits, RESUMABLE, 0.2, checkpoint=checkpoint)
    whole_model, whole = fresh_run(digits, RESUMABLE, 0.2)
    assert resumed.curve[0]["seconds"] == saved[0]["seconds"]  # epoch 1 was the child's
    assert resumed.resumed_from == 1 and whole.resumed_from == 0
    assert without_time(resumed) == without_time(whole)
    assert all(torch.equal(a, b) for a, b in zip(resumed_model.state_dict().values(),
                                                 whole_model.state_dict().values(), strict=True))
    assert not checkpoint.with_name("run.pt.tmp").exists()
    # a finished checkpoint gives the same result again without training
    again = fresh_run(digits, RESUMABLE, 0.2, checkpoint=checkpoint)[1]
    assert again == dataclasses.replace(resumed, resumed_from=3)


def test_checkpoint_of_another_run_is_refused(digits: ImageData, tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.pt"
    fresh_run(digits, SETTINGS.replace(epochs=1), checkpoint=checkpoint)
    with pytest.raises(ConfigError, match="belongs to another run .*settings.epochs, settings.lr"):
        fresh_run(digits, SETTINGS.replace(epochs=2, lr=0.1), checkpoint=checkpoint)
    checkpoint.write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="is unreadable"):
        fresh_run(digits, checkpoint=checkpoint)
