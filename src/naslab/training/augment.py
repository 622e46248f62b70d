"""Batch augmentation on the device: random crop with zero padding, horizontal flip, cutout.

The whole batch is augmented with a handful of tensor operations (no per-image
Python loop), so augmentation keeps up with a GPU. Its randomness comes from
the ``torch.Generator`` passed in, never from global state, so a training run
is a function of its seed. The images are already normalised, so zero padding
and cutout fill with the training set's mean colour (DARTS' cutout, in
``cnn/utils.py`` of quark0/darts, also zeroes normalised pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from naslab.errors import ConfigError


@dataclass(frozen=True)
class Augmentation:
    """``pad``: crop back to size after zero padding by ``pad`` pixels per side (0 = off);
    ``flip``: mirror each image left-right with probability 1/2; ``cutout``: zero a square
    of this side around a uniform centre, clipped at the border (0 = off; DARTS uses 16)."""

    pad: int = 0
    flip: bool = False
    cutout: int = 0

    def __post_init__(self) -> None:
        for key in ("pad", "cutout"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"Augmentation.{key} must be an integer >= 0, got {value!r}")
        if not isinstance(self.flip, bool):
            raise ConfigError(f"Augmentation.flip must be True or False, got {self.flip!r}")

    @property
    def active(self) -> bool:
        return self.pad > 0 or self.flip or self.cutout > 0

    def apply(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """A new augmented batch ``N x C x H x W`` on ``x``'s device; ``x`` is left as it is.

        Random numbers are drawn on ``generator``'s device in a fixed order (crop, flip,
        cutout), so one seed gives one batch whatever the data's device.
        """
        if x.ndim != 4:
            raise ConfigError(f"augmentation needs an N x C x H x W batch, got {tuple(x.shape)}")
        if self.pad:
            x = _random_crop(x, self.pad, generator)
        if self.flip:
            x = _random_flip(x, generator)
        if self.cutout:
            x = _cutout(x, self.cutout, generator)
        return x


def _uniform_ints(high: int, n: int, generator: torch.Generator,
                  device: torch.device) -> torch.Tensor:
    draws = torch.randint(high, (n,), generator=generator, device=generator.device)
    return draws.to(device, non_blocking=True)


def _random_crop(x: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Each image's window of the padded batch at its own offset, as two gathers."""
    n, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    top = _uniform_ints(2 * pad + 1, n, generator, x.device)
    left = _uniform_ints(2 * pad + 1, n, generator, x.device)
    rows = top[:, None] + torch.arange(h, device=x.device)
    cols = left[:, None] + torch.arange(w, device=x.device)
    padded = padded.gather(2, rows[:, None, :, None].expand(n, c, h, w + 2 * pad))
    return padded.gather(3, cols[:, None, None, :].expand(n, c, h, w))


def _random_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    flip = _uniform_ints(2, x.shape[0], generator, x.device).bool()
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def _cutout(x: torch.Tensor, length: int, generator: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    centre_y = _uniform_ints(h, n, generator, x.device)
    centre_x = _uniform_ints(w, n, generator, x.device)
    in_rows = _band(centre_y, length, h)
    in_cols = _band(centre_x, length, w)
    keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
    return x * keep[:, None].to(x.dtype)


def _band(centre: torch.Tensor, length: int, size: int) -> torch.Tensor:
    """``N x size`` mask of the pixels within ``[centre - length//2, centre + length//2)``."""
    pixels = torch.arange(size, device=centre.device)
    low = (centre - length // 2).clamp(0, size)[:, None]
    high = (centre + length // 2).clamp(0, size)[:, None]
    return (pixels >= low) & (pixels < high)
