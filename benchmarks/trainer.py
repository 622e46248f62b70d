"""Trainer throughput (issue 8): images/s of ``naslab.training.trainer.train`` against a
minimal hand-written PyTorch loop (goal: ratio >= 0.95).

Run from the repository root: ``python3 benchmarks/trainer.py [--device cuda]``.
Both sides train the same model from the same initialisation with the same
settings: SGD with momentum, cosine learning rate per epoch, same batch size,
the data set's augmentation, a generator seeded the same way. The hand loop does
nothing else; ``train()``'s images/s count its training time (``train_seconds``,
validation excluded), and a second ratio counts its whole call (validation
every epoch, the test split, moving model and data). The two alternate
``REPEATS`` times per workload and the median ratio is reported:
  (a) a small CNN on digits (1,078 training images, 8x8);
  (b) a moderate CNN on a Fashion-MNIST subset (skipped when it is not installed).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from naslab.errors import ConfigError
from naslab.training.data import ImageData, load_data
from naslab.training.trainer import TrainSettings, resolve_device, train

REPEATS = 5
SEED = 0


def digits_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 10))


def fashion_cnn() -> nn.Module:
    def block(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
        return [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    return nn.Sequential(*block(1, 32, 1), *block(32, 64, 2), *block(64, 64, 1),
                         *block(64, 128, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(128, 10))


def hand_loop(model: nn.Module, data: ImageData, settings: TrainSettings,
              device: torch.device) -> float:
    """Seconds of a minimal training loop: no validation, no checks, no bookkeeping."""
    model.to(device)
    x, y = data.train.x.to(device), data.train.y.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum,
                                nesterov=settings.nesterov, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, settings.epochs)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    _sync(device)
    start = time.perf_counter()
    model.train()
    for _ in range(settings.epochs):
        order = torch.randperm(len(y), generator=generator).to(device)
        for begin in range(0, len(y), settings.batch_size):
            batch = order[begin:begin + settings.batch_size]
            inputs = x[batch]
            if data.augment.active:
                inputs = data.augment.apply(inputs, generator)
            loss = loss_fn(model(inputs), y[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
    _sync(device)
    return time.perf_counter() - start


def compare(build: Callable[[], nn.Module], data: ImageData, settings: TrainSettings,
            device: torch.device) -> dict[str, float]:
    """Median images/s of both sides over REPEATS alternating runs, and the median ratios."""
    images = settings.epochs * len(data.train)
    ours, whole, hand = [], [], []
    for _ in range(REPEATS):
        torch.manual_seed(SEED)
        start = time.perf_counter()
        result = train(build(), data, settings, seed=SEED, device=device)
        whole.append(images / (time.perf_counter() - start))
        ours.append(images / result.train_seconds)
        torch.manual_seed(SEED)
        hand.append(images / hand_loop(build(), data, settings, device))
    return {
        "train_ips": statistics.median(ours), "train_call_ips": statistics.median(whole),
        "hand_ips": statistics.median(hand),
        "ratio": statistics.median(a / b for a, b in zip(ours, hand, strict=True)),
        "ratio_call": statistics.median(a / b for a, b in zip(whole, hand, strict=True)),
    }


def workloads() -> dict[str, tuple[Callable[[], nn.Module], Callable[[], ImageData],
                                   TrainSettings]]:
    return {
        "digits, small CNN (20 epochs, batch 64)": (
            digits_cnn, lambda: load_data("digits"), TrainSettings(epochs=20, batch_size=64)),
        "Fashion-MNIST 4k subset, 4-conv CNN (2 epochs, batch 128)": (
            fashion_cnn, lambda: load_data("fashion-mnist", limit=4000),
            TrainSettings(epochs=2, batch_size=128, lr=0.1)),
    }


def main(device: str = "cpu") -> dict[str, dict[str, float]]:
    where = resolve_device(device)
    results: dict[str, dict[str, float]] = {}
    print(f"| workload ({where}, {torch.get_num_threads()} threads) | train() img/s | "
          f"hand loop img/s | ratio (median of {REPEATS}) | train() whole call img/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (build, load, settings) in workloads().items():
        try:
            data = load()
        except ConfigError as exc:
            print(f"| {name} | skipped: {exc} | | | | |")
            continue
        row = results[name] = compare(build, data, settings, where)
        print(f"| {name} | {row['train_ips']:,.0f} | {row['hand_ips']:,.0f} | "
              f"{row['ratio']:.3f} | {row['train_call_ips']:,.0f} | {row['ratio_call']:.3f} |")
    return results


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps")
    main(parser.parse_args().device)
