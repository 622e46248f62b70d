"""Trains a network on an :class:`~naslab.training.data.ImageData` and reports its accuracy.

SGD with momentum, a per-epoch cosine learning rate from ``lr`` to ``lr_min``
over ``epochs`` (the closed form of PyTorch's ``CosineAnnealingLR``, so the rate
is a function of the epoch and needs no scheduler state), cross-entropy loss.
Batches are sliced from the in-memory tensors on the device in the order of a
per-epoch permutation; no DataLoader, no worker processes, so the loop runs at
the speed of a hand-written one (``benchmarks/trainer.py``).

Validation loss and accuracy are measured after every epoch (the curve), the
test split once at the end. Accuracies are percentages, as in the NB201 tables.

Reproducible: the data order and augmentation come from a ``torch.Generator``
seeded by ``seed``; the caller seeds the model's initialisation. A run with a
``checkpoint`` path saves its whole state after every epoch and, started again,
continues from the last saved epoch to the same result, bit for bit on CPU.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import operator
import os
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from naslab.errors import ConfigError, NaslabError, UnknownNameError, excerpt
from naslab.training.augment import Augmentation
from naslab.training.data import ImageData, Split

#: A loss above this many times the first step's (or above this when that was < 1) has diverged.
DIVERGENCE_FACTOR = 100.0
#: Steps between checks of the loss, each a device synchronisation.
CHECK_EVERY = 25


class TrainingFailed(NaslabError):
    """Training that gives no result: a non-finite or diverging loss, or out of GPU memory.

    A property of the architecture and settings rather than a bug, so an objective
    can record it as a failed evaluation and go on.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainSettings:
    """How to train; the defaults are the ``quick`` preset (a few epochs on digits, CPU).

    ``drop_path`` is the maximum drop-path probability, ramped linearly from 0 over
    the epochs into ``model.drop_path_prob`` when the model has it (DARTS);
    ``auxiliary_weight`` weighs the loss of the auxiliary head when the model returns
    ``(logits, aux_logits)`` in training mode; ``cutout``, when not None, replaces
    the data set's cutout length; ``label_smoothing`` applies to the training loss
    only (reported losses are plain cross-entropy).
    """

    epochs: int = 3
    batch_size: int = 64
    lr: float = 0.05
    lr_min: float = 0.0
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 5e-4
    grad_clip: float | None = None
    label_smoothing: float = 0.0
    drop_path: float = 0.0
    auxiliary_weight: float = 0.0
    cutout: int | None = None
    eval_batch_size: int = 1024

    def __post_init__(self) -> None:
        for key, (check, allowed) in _RULES.items():
            value = getattr(self, key)
            try:
                canonical = check(value)
            except (TypeError, ValueError):
                canonical = _INVALID
            if canonical is _INVALID:
                raise ConfigError(f"training setting {key} must be {allowed}, got {excerpt(value)}")
            object.__setattr__(self, key, canonical)
        if self.lr_min > self.lr:
            raise ConfigError(f"training setting lr_min ({self.lr_min}) must be <= lr ({self.lr})")
        if self.nesterov and self.momentum == 0:
            raise ConfigError("training setting nesterov needs momentum > 0")

    def replace(self, **overrides: Any) -> TrainSettings:
        """A copy with ``overrides``, validated like the constructor's arguments."""
        unknown = sorted(set(overrides) - set(_RULES))
        if unknown:
            raise ConfigError(f"unknown training setting {unknown[0]!r}; "
                              f"valid: {', '.join(_RULES)}")
        return dataclasses.replace(self, **overrides)


_INVALID = object()


def _integer(low: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            return _INVALID
        number = operator.index(value)
        return number if number >= low else _INVALID
    return check


def _real(low: float, high: float = math.inf, *, open_low: bool = False) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, bool | str):
            return _INVALID
        number = float(value)
        above = number > low if open_low else number >= low
        return number if above and number < high else _INVALID
    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _flag(value: Any) -> Any:
    return value if isinstance(value, bool) else _INVALID


#: Each setting's check (returning the canonical value or _INVALID) and what it allows.
_RULES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "epochs": (_integer(1), "an integer >= 1"),
    "batch_size": (_integer(1), "an integer >= 1"),
    "lr": (_real(0, open_low=True), "a number > 0"),
    "lr_min": (_real(0), "a number >= 0"),
    "momentum": (_real(0, 1), "a number in [0, 1)"),
    "nesterov": (_flag, "True or False"),
    "weight_decay": (_real(0), "a number >= 0"),
    "grad_clip": (_optional(_real(0, open_low=True)), "None or a number > 0 (the max norm)"),
    "label_smoothing": (_real(0, 1), "a number in [0, 1)"),
    "drop_path": (_real(0, 1), "a number in [0, 1)"),
    "auxiliary_weight": (_real(0), "a number >= 0"),
    "cutout": (_optional(_integer(0)), "None or an integer >= 0 (0 = off)"),
    "eval_batch_size": (_integer(1), "an integer >= 1"),
}


#: Published training protocols.
PRESETS: Mapping[str, TrainSettings] = MappingProxyType({
    # NAS-Bench-201 (Dong & Yang, ICLR 2020; D-X-Y/AutoDL-Projects
    # configs/nas-benchmark/hyper-opts/200E.config): SGD nesterov, cosine 0.1 -> 0, wd 5e-4.
    "nb201": TrainSettings(epochs=200, batch_size=256, lr=0.1, momentum=0.9, nesterov=True,
                           weight_decay=5e-4),
    # DARTS evaluation (Liu et al., ICLR 2019; the defaults of quark0/darts cnn/train.py,
    # cosine to 0); ANASOD's 600-epoch evaluation follows it (seed 000, appendix A.2).
    "darts": TrainSettings(epochs=600, batch_size=96, lr=0.025, momentum=0.9, weight_decay=3e-4,
                           grad_clip=5.0, drop_path=0.2, auxiliary_weight=0.4, cutout=16),
    # ANASOD-BO's search-time training (seed 000, appendix A.2): 30 epochs, cosine 0.025 -> 0.
    "anasod-search": TrainSettings(epochs=30, batch_size=96, lr=0.025, momentum=0.9,
                                   weight_decay=3e-4),
    # Small enough for tests and examples on digits on a CPU.
    "quick": TrainSettings(),
})


def preset(name: str, **overrides: Any) -> TrainSettings:
    """Preset ``name`` with ``overrides`` (validated)."""
    if name not in PRESETS:
        raise UnknownNameError("training preset", name, PRESETS)
    return PRESETS[name].replace(**overrides)


def cosine_lr(settings: TrainSettings, epoch: int) -> float:
    """The learning rate of 0-based ``epoch``: cosine from lr (epoch 0) towards lr_min."""
    progress = math.cos(math.pi * epoch / settings.epochs)
    return settings.lr_min + (settings.lr - settings.lr_min) * (1 + progress) / 2


# --- result -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainResult:
    """Final accuracies (%) and losses; train_* are the last epoch's, val_* after it.

    ``curve`` holds one mapping per epoch: epoch (1-based), lr, train_loss,
    train_acc, val_loss, val_acc, seconds (that epoch's training time).
    ``resumed_from`` is the number of epochs read back from a checkpoint (0 when
    the run trained from scratch).
    """

    val_acc: float
    val_loss: float
    test_acc: float
    test_loss: float
    train_acc: float
    train_loss: float
    train_seconds: float
    epochs: int
    curve: tuple[Mapping[str, float], ...] = field(hash=False)
    resumed_from: int = 0

    def metrics(self) -> dict[str, float]:
        """The scalar results as one flat dict of floats (a row of the tidy table)."""
        keys = ("val_acc", "val_loss", "test_acc", "test_loss", "train_acc", "train_loss",
                "train_seconds", "epochs", "resumed_from")
        return {key: float(getattr(self, key)) for key in keys}


# --- training -----------------------------------------------------------------------------------


def resolve_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch.device that exists here, or a one-line ConfigError."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"unknown device {excerpt(device)}; use cpu, cuda, cuda:N or mps") \
            from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {str(resolved)!r} asked for, but torch finds no CUDA GPU "
                              "(torch.cuda.is_available() is False); use device='cpu'")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ConfigError(f"device {str(resolved)!r} asked for, but there are only "
                              f"{torch.cuda.device_count()} CUDA devices")
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps' asked for, but torch.backends.mps.is_available() is False")
    elif resolved.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unsupported device {str(resolved)!r}; use cpu, cuda, cuda:N or mps")
    return resolved


def train(model: nn.Module, data: ImageData, settings: TrainSettings, *, seed: int,
          device: str | torch.device = "cpu", amp: bool = False,
          checkpoint: str | Path | None = None) -> TrainResult:
    """Train ``model`` on ``data.train``; validate every epoch, test at the end.

    ``amp`` trains in float16 autocast with a gradient scaler (CUDA only).
    ``checkpoint``: a file saved (atomically) after every epoch; when it exists at
    the start and was written by the same run (settings, seed, data, model shapes,
    amp) training resumes after its last epoch, else a ConfigError. Delete it once
    the result is recorded. The global torch RNG (dropout, drop path) is saved and
    restored with it. Raises :class:`TrainingFailed` on a non-finite or diverging
    loss (over :data:`DIVERGENCE_FACTOR` times the first step's) or out of GPU memory.
    """
    checked = _integer(0)(seed) if isinstance(seed, int | np.integer) else _INVALID
    if checked is _INVALID:
        raise ConfigError(f"seed must be an integer >= 0, got {excerpt(seed)}")
    target = resolve_device(device)
    if amp and target.type != "cuda":
        raise ConfigError(f"mixed precision needs a CUDA device, got device {str(target)!r}; "
                          "pass amp=False")
    if target.type == "cuda":
        torch.backends.cudnn.benchmark = True
    path = None if checkpoint is None else Path(checkpoint)
    run: _Run | None = None
    try:
        run = _Run(model.to(target), data.to(target), settings, checked, amp)
        if path is not None and path.exists():
            run.resume(path)
        return run.finish(path)
    except torch.cuda.OutOfMemoryError as exc:
        where = f"epoch {run.at[0] + 1} step {run.at[1] + 1}" if run else "the start"
        reason = f"out of GPU memory at {where}: {str(exc).splitlines()[0]}"
    del run  # the failed run's tensors, before the cache is emptied
    torch.cuda.empty_cache()
    raise TrainingFailed(reason)


class _Run:
    """One training run's state: everything a checkpoint saves, and the loop over it."""

    def __init__(self, model: nn.Module, data: ImageData, settings: TrainSettings, seed: int,
                 amp: bool) -> None:
        self.model, self.data, self.settings, self.amp = model, data, settings, amp
        self.device = data.train.x.device
        self.optimizer = torch.optim.SGD(
            model.parameters(), lr=settings.lr, momentum=settings.momentum,
            nesterov=settings.nesterov, weight_decay=settings.weight_decay)
        self.scaler = torch.amp.GradScaler("cuda", enabled=amp)
        # even a disabled autocast slows every op, so none without amp
        self.autocast: Callable[[], AbstractContextManager[Any]] = functools.partial(
            torch.autocast, self.device.type, dtype=torch.float16) if amp else nullcontext
        self.generator = torch.Generator().manual_seed(seed)
        cutout = data.augment.cutout if settings.cutout is None else settings.cutout
        self.augment: Augmentation = dataclasses.replace(data.augment, cutout=cutout)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing)
        self.identity = _identity(model, data, settings, seed, amp)
        self.curve: list[dict[str, float]] = []
        self.seconds = 0.0
        self.first_loss: float | None = None
        self.at = (0, 0)  # (epoch, step), 0-based: where an out-of-memory error struck
        self.resumed_from = 0

    def finish(self, path: Path | None) -> TrainResult:
        """The remaining epochs, then the test split."""
        for epoch in range(len(self.curve), self.settings.epochs):
            self.curve.append(self.epoch(epoch))
            if path is not None:
                self.save(path)
        test_loss, test_acc = self.evaluate(self.data.test)
        last = self.curve[-1]
        return TrainResult(
            val_acc=last["val_acc"], val_loss=last["val_loss"], test_acc=test_acc,
            test_loss=test_loss, train_acc=last["train_acc"], train_loss=last["train_loss"],
            train_seconds=self.seconds, epochs=len(self.curve), curve=tuple(self.curve),
            resumed_from=self.resumed_from)

    def epoch(self, epoch: int) -> dict[str, float]:
        """Train one epoch (0-based), then validate."""
        lr = cosine_lr(self.settings, epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if hasattr(self.model, "drop_path_prob"):  # DARTS' linear ramp (cnn/train.py)
            ramp = self.settings.drop_path * epoch / self.settings.epochs
            self.model.drop_path_prob = ramp  # type: ignore[assignment]
        _synchronize(self.device)
        start = time.perf_counter()
        train_loss, train_acc = self.train_epoch(epoch)
        _synchronize(self.device)
        seconds = time.perf_counter() - start
        self.seconds += seconds
        val_loss, val_acc = self.evaluate(self.data.valid)
        return {"epoch": epoch + 1, "lr": lr, "train_loss": train_loss, "train_acc": train_acc,
                "val_loss": val_loss, "val_acc": val_acc, "seconds": seconds}

    def train_epoch(self, epoch: int) -> tuple[float, float]:
        """Mean training loss and accuracy (%) of one pass over a fresh permutation."""
        x, y = self.data.train.x, self.data.train.y
        size, n = self.settings.batch_size, len(y)
        used = n - 1 if n % size == 1 and n > size else n  # BatchNorm cannot train on 1 example
        order = torch.randperm(n, generator=self.generator).to(self.device)[:used]
        losses: list[torch.Tensor] = []  # per step, on the device: checking them syncs
        predictions: list[torch.Tensor] = []
        checked = 0
        self.model.train()
        for begin in range(0, used, size):
            self.at = (epoch, len(losses))
            batch = order[begin:begin + size]
            inputs = x[batch]
            if self.augment.active:
                inputs = self.augment.apply(inputs, self.generator)
            logits, loss = self.step(inputs, y[batch])
            losses.append(loss.detach())
            predictions.append(logits.argmax(1))
            if len(losses) - checked == CHECK_EVERY:
                checked = self.check(losses, checked, epoch)
        self.check(losses, checked, epoch)
        sizes = torch.full((len(losses),), float(size), device=self.device)
        sizes[-1] = used - size * (len(losses) - 1)
        correct = (torch.cat(predictions) == y[order]).sum()
        return float(torch.stack(losses) @ sizes) / used, 100.0 * int(correct) / used

    def step(self, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One SGD step; the logits (for the accuracy) and the loss."""
        settings = self.settings
        with self.autocast():
            logits, aux = _outputs(self.model(inputs))
            loss = self.loss_fn(logits, labels)
            if aux is not None and settings.auxiliary_weight:
                loss = loss + settings.auxiliary_weight * self.loss_fn(aux, labels)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if settings.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), settings.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return logits, loss

    def check(self, losses: list[torch.Tensor], start: int, epoch: int) -> int:
        """Raise TrainingFailed at the first non-finite or diverged loss from step ``start``
        on; else the number of steps checked."""
        if start == len(losses):
            return start
        chunk = torch.stack(losses[start:])
        if self.first_loss is None:
            self.first_loss = float(chunk[0])
        limit = DIVERGENCE_FACTOR * max(self.first_loss, 1.0)
        bad = ~torch.isfinite(chunk) | (chunk > limit)
        if not bool(bad.any()):
            return len(losses)
        index = int(bad.nonzero()[0])
        value = float(chunk[index])
        kind = "non-finite" if not math.isfinite(value) else \
            f"diverged (over {DIVERGENCE_FACTOR:g}x the first step's {self.first_loss:.4g})"
        raise TrainingFailed(f"{kind} loss {value:.4g} at epoch {epoch + 1} step "
                             f"{start + index + 1}; lower the learning rate or clip gradients")

    @torch.no_grad()
    def evaluate(self, split: Split) -> tuple[float, float]:
        """Mean cross-entropy and accuracy (%) on ``split``; NaN for an empty split."""
        n = len(split)
        if n == 0:
            return math.nan, math.nan
        self.model.eval()
        total = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        size = self.settings.eval_batch_size
        for begin in range(0, n, size):
            inputs, labels = split.x[begin:begin + size], split.y[begin:begin + size]
            with self.autocast():
                logits, _ = _outputs(self.model(inputs))
            total += F.cross_entropy(logits.float(), labels, reduction="sum")
            correct += (logits.argmax(1) == labels).sum()
        return float(total) / n, 100.0 * int(correct) / n

    # --- checkpoints ----------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the state after the last epoch atomically: a crash leaves the previous file."""
        state = {
            "identity": self.identity, "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(), "scaler": self.scaler.state_dict(),
            "generator": self.generator.get_state(), "torch_rng": torch.get_rng_state(),
            "cuda_rng": _cuda_rng(self.device), "curve": self.curve, "seconds": self.seconds,
            "first_loss": self.first_loss,
        }
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def resume(self, path: Path) -> None:
        """Continue from ``path``, which must have been written by this same run."""
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            identity = state["identity"]
        except Exception as exc:  # torch.load raises many kinds on a damaged file
            raise ConfigError(f"checkpoint {path} is unreadable ({type(exc).__name__}); "
                              "delete it to start over") from exc
        differs = sorted(k for k in self.identity.keys() | identity.keys()
                         if self.identity.get(k) != identity.get(k))
        if differs:
            raise ConfigError(f"checkpoint {path} belongs to another run (differs in "
                              f"{', '.join(differs)}); delete it or pass another path")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scaler.load_state_dict(state["scaler"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] is not None and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        self.curve, self.seconds = list(state["curve"]), float(state["seconds"])
        self.resumed_from = len(self.curve)
        self.first_loss = state["first_loss"]


def _identity(model: nn.Module, data: ImageData, settings: TrainSettings, seed: int,
              amp: bool) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: settings, seed, data, model shapes, amp."""
    shapes = ";".join(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    splits = (len(data.train), len(data.valid), len(data.test))
    return {
        **{f"settings.{k}": v for k, v in dataclasses.asdict(settings).items()},
        "seed": seed, "amp": amp,
        "data": f"{data.name} {splits} {data.input_shape} {data.num_classes} {data.augment}",
        "model": hashlib.sha256(shapes.encode()).hexdigest()[:16],
    }


def _outputs(output: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits and auxiliary logits (or None) of a model returning either or both."""
    if isinstance(output, tuple | list):
        return output[0], output[1] if len(output) > 1 else None
    return output, None


def _synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so a timer reads the work's real end."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _cuda_rng(device: torch.device) -> torch.Tensor | None:
    return torch.cuda.get_rng_state(device) if device.type == "cuda" else None
