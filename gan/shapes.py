"""Shapes with known factors, drawn on the fly after dSprites' recipe (Matthey et al. 2017): a white shape on black,
its shape (square, ellipse, heart), scale, rotation and position chosen at random, so every image's factors are
known. The RGB variant also colours the shape. Offline, deterministic for a seed, and small.

    images, factors = draw_shapes(n=5_000, size=32, seed=0)          # uint8 (n, 32, 32), float32 (n, 5)
    images, factors = draw_shapes(n=5_000, size=64, seed=0, rgb=True)  # uint8 (n, 64, 64, 3), float32 (n, 6)

The factors are in [0, 1] (shape as 0, 0.5, 1 for its three kinds; colour as a hue), in FACTORS' order.
"""

from __future__ import annotations

import numpy as np

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
    coloured = (images[..., None].astype(np.float32) * colours[:, None, None, :]).round().astype(np.uint8)
    return coloured, np.concatenate([factors, hue[:, None].astype(np.float32)], axis=1)


def _draw(shape: np.ndarray, scale: np.ndarray, rotation: np.ndarray, x: np.ndarray, y: np.ndarray,
          size: int) -> np.ndarray:
    """Each image's coverage of its shape, as uint8; coordinates in units of the shape's half-width."""
    fine = size * SUPERSAMPLE
    grid = (np.arange(fine) + 0.5) / fine  # sample centres in [0, 1]
    gy, gx = np.meshgrid(grid, grid, indexing="ij")
    half = (scale * 0.25)[:, None, None]
    dx, dy = (gx[None] - x[:, None, None]) / half, (gy[None] - y[:, None, None]) / half
    angle = (rotation * 2 * np.pi)[:, None, None]
    u = np.cos(angle) * dx + np.sin(angle) * dy  # the sample in the shape's own frame
    v = -np.sin(angle) * dx + np.cos(angle) * dy
    inside = np.where(shape[:, None, None] == 0, (np.abs(u) <= 1) & (np.abs(v) <= 1),
                      np.where(shape[:, None, None] == 1, (u / 1.0) ** 2 + (v / 0.6) ** 2 <= 1, _heart(u, v)))
    covered = inside.reshape(len(shape), size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(2, 4))
    return (covered * 255).round().astype(np.uint8)


def _heart(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The classic implicit heart (x² + y² − 1)³ − x² y³ ≤ 0, pointing down, scaled to the unit box."""
    hx, hy = u * 1.2, -v * 1.2 + 0.2
    return (hx**2 + hy**2 - 1) ** 3 - hx**2 * hy**3 <= 0


def _hue_to_rgb(hue: np.ndarray) -> np.ndarray:
    """Fully saturated colours of `hue` in [0, 1) (HSV with S = V = 1)."""
    k = (np.array([5.0, 3.0, 1.0])[None, :] + hue[:, None] * 6) % 6
    return 1 - np.clip(np.minimum(k, 4 - k), 0, 1)
