"""Shapes with known factors, drawn on the fly after dSprites' recipe (Matthey et al. 2017): a white shape on black,
its shape (square, ellipse, heart), scale, rotation and position chosen at random, so every image's factors are
known. The RGB variant also colours the shape. Offline, deterministic for a seed, and small.

    images, factors = draw_shapes(n=5_000, size=32, seed=0)          # uint8 (n, 32, 32), float32 (n, 5)
    images, factors = draw_shapes(n=5_000, size=64, seed=0, rgb=True)  # uint8 (n, 64, 64, 3), float32 (n, 6)

The factors are in [0, 1] (shape as 0, 0.5, 1 for its three kinds; colour as a hue), in FACTORS' order.
"""

from __future__ import annotations

import numpy as np
import torch

SHAPES = ("square", "ellipse", "heart")
FACTORS = ("shape", "scale", "rotation", "x", "y")
RGB_FACTORS = (*FACTORS, "hue")
SCALES = (0.5, 1.0)  # the shape's half-width, as a share of a quarter of the image (dSprites: 6 steps, 0.5 to 1)
SUPERSAMPLE = 2  # each pixel is the mean of 2x2 samples: smooth edges, still cheap


def draw_shapes(n: int, size: int = 32, seed: int = 0, rgb: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`n` images of `size` x `size` pixels and their factors; see the module's docstring."""
    if n < 1 or size < 8:
        raise ValueError(f"n must be at least 1 and size at least 8 (got n={n}, size={size})")
    rng = np.random.default_rng(seed)
    shape = rng.integers(0, len(SHAPES), n)
    scale = rng.uniform(*SCALES, n)
    rotation = rng.uniform(0.0, 1.0, n)  # a share of a full turn (the square repeats every quarter, dSprites too)
    margin = SCALES[1] * 0.25 * 1.45  # the largest shape's reach, rotated: it always stays inside the image
    x, y = rng.uniform(margin, 1 - margin, n), rng.uniform(margin, 1 - margin, n)
    hue = rng.uniform(0.0, 1.0, n)
    images = np.empty((n, size, size), dtype=np.uint8)
    for start in range(0, n, 256):  # bounded memory: 256 images' sample grids at a time
        stop = min(n, start + 256)
        images[start:stop] = _draw(shape[start:stop], scale[start:stop], rotation[start:stop], x[start:stop],
                                   y[start:stop], size)
    factors = np.stack([shape / (len(SHAPES) - 1), (scale - SCALES[0]) / (SCALES[1] - SCALES[0]), rotation, x, y],
                       axis=1).astype(np.float32)
    if not rgb:
        return images, factors
    colours = _hue_to_rgb(hue)  # (n, 3) in [0, 1], full saturation and value
    shaded = torch.from_numpy(images)[..., None].float() * torch.from_numpy(colours).float()[:, None, None, :]
    coloured = shaded.round_().to(torch.uint8).numpy()
    return coloured, np.concatenate([factors, hue[:, None].astype(np.float32)], axis=1)


def _draw(shape: np.ndarray, scale: np.ndarray, rotation: np.ndarray, x: np.ndarray, y: np.ndarray,
          size: int) -> np.ndarray:
    """Each image's coverage of its shape, as uint8; coordinates in units of the shape's half-width. In float32
    torch (every core, 5x numpy's float64 here), each kind of shape tested only on its own images."""
    fine = size * SUPERSAMPLE
    grid = (torch.arange(fine, dtype=torch.float32) + 0.5) / fine  # sample centres in [0, 1]
    gy, gx = torch.meshgrid(grid, grid, indexing="ij")
    as_tensor = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float32))[:, None, None]  # noqa: E731
    half = as_tensor(scale * 0.25)
    dx, dy = (gx[None] - as_tensor(x)) / half, (gy[None] - as_tensor(y)) / half
    angle = as_tensor(rotation * 2 * np.pi)
    cos, sin = torch.cos(angle), torch.sin(angle)
    u = cos * dx + sin * dy  # the sample in the shape's own frame
    v = -sin * dx + cos * dy
    inside = torch.empty(len(shape), fine, fine, dtype=torch.bool)
    kinds = torch.from_numpy(np.asarray(shape))
    for kind, test in enumerate((_square, _ellipse, _heart)):
        mine = kinds == kind
        if mine.any():
            inside[mine] = test(u[mine], v[mine])
    covered = inside.view(len(shape), size, SUPERSAMPLE, size, SUPERSAMPLE).float().mean(dim=(2, 4))
    return (covered * 255).round().to(torch.uint8).numpy()


def _square(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return (u.abs() <= 1) & (v.abs() <= 1)


def _ellipse(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u**2 + (v / 0.6) ** 2 <= 1


def _heart(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The classic implicit heart (x² + y² − 1)³ − x² y³ ≤ 0, pointing down, scaled to the unit box."""
    hx, hy = u * 1.2, -v * 1.2 + 0.2
    return (hx**2 + hy**2 - 1) ** 3 - hx**2 * hy**3 <= 0


def _hue_to_rgb(hue: np.ndarray) -> np.ndarray:
    """Fully saturated colours of `hue` in [0, 1) (HSV with S = V = 1)."""
    k = (np.array([5.0, 3.0, 1.0])[None, :] + hue[:, None] * 6) % 6
    return 1 - np.clip(np.minimum(k, 4 - k), 0, 1)
