"""DiffAugment (Zhao et al., NeurIPS 2020): the same random, differentiable transforms applied to every image D sees,
real and fake alike, in D's step and in G's.

With few training images, D memorises them: it calls the training digits real and anything else fake, its accuracy
on held-out real digits falls, and G is pushed towards copies or collapses. Augmenting only the reals would teach G to
draw augmented digits; augmenting both, and differentiably so that G's gradient passes through, makes D judge the
digits under many views without changing what G must learn.

The transforms follow the paper's reference code (`color`, `translation`, `cutout`), with one change for MNIST: what
moves into view or is cut out is the digits' black background (-1), not the mid-grey 0 of the reference's padding.
Saturation, the third colour transform of the paper, is a no-op on one channel and is left out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")
BACKGROUND = -1.0  # the digits' black, in the training range [-1, 1]
TRANSLATION_RATIO = 0.125  # the reference's: up to 1/8 of the image each way (3 pixels of 28)
CUTOUT_RATIO = 0.5  # the reference's: a square half the image's side


def parse_policy(text: str) -> tuple[str, ...]:
    """'color,translation' -> ('color', 'translation'); '' -> (); ValueError naming an unknown transform."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment transform(s) {', '.join(unknown)}; choose from {', '.join(POLICIES)}")
    return names


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], generator: torch.Generator | None = None) -> torch.Tensor:
    """x (B, C, H, W) in [-1, 1], each image transformed independently; differentiable in x.

    Moves and cut-outs come before the colour change (the reference applies colour first), so the background they
    bring in gets the same brightness and contrast as the rest of the image instead of standing out as pure black.
    """
    for name in _ORDER:
        if name in policy:
            x = _TRANSFORMS[name](x, generator)
    return x


def _uniform(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One U(0, 1) number per image, shaped (B, 1, 1, 1)."""
    return torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device, dtype=x.dtype)


def _color(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    x = x + (_uniform(x, generator) - 0.5)  # brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(x, generator) + 0.5) + mean  # contrast


def _translation(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    b, _, h, w = x.shape
    max_dy, max_dx = int(h * TRANSLATION_RATIO + 0.5), int(w * TRANSLATION_RATIO + 0.5)
    dy = torch.randint(-max_dy, max_dy + 1, (b, 1, 1), generator=generator, device=x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (b, 1, 1), generator=generator, device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    # Index into a copy padded by one background pixel: every shifted-out index clamps onto the padding.
    rows = (rows + dy + 1).clamp(0, h + 1).expand(b, h, w)
    cols = (cols + dx + 1).clamp(0, w + 1).expand(b, h, w)
    padded = F.pad(x, (1, 1, 1, 1), value=BACKGROUND).permute(0, 2, 3, 1)  # (B, H+2, W+2, C)
    batch = torch.arange(b, device=x.device).view(b, 1, 1).expand(b, h, w)
    return padded[batch, rows, cols].permute(0, 3, 1, 2)


def _cutout(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    b, _, h, w = x.shape
    size_y, size_x = int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)
    top = torch.randint(0, h + (1 - size_y % 2), (b, 1, 1), generator=generator, device=x.device)
    left = torch.randint(0, w + (1 - size_x % 2), (b, 1, 1), generator=generator, device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    # The square's corner is (top, left) - size // 2, as in the reference: it may hang over an edge.
    top, left = top - size_y // 2, left - size_x // 2
    inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    keep = (~inside).unsqueeze(1).to(x.dtype)  # (B, 1, H, W)
    return x * keep + BACKGROUND * (1 - keep)


_ORDER = ("translation", "cutout", "color")
_TRANSFORMS = {"color": _color, "translation": _translation, "cutout": _cutout}
