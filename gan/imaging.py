"""The one place where generator output ([-1, 1] tensors) becomes something to look at."""

from __future__ import annotations

import io
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) in [-1, 1] -> uint8 in [0, 255] on the CPU."""
    return ((images.detach().float().cpu() + 1) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


def from_uint8(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 in [-1, 1] (inverse of to_uint8)."""
    return images.float() / 127.5 - 1


def grid_array(images: torch.Tensor, nrow: int | None = None, scale: int = 1, padding: int = 2) -> np.ndarray:
    """A batch of [-1, 1] or uint8 images -> one (H, W, 3) uint8 grid, upscaled `scale` times (nearest).

    Streamlit only ever shrinks images, so 28-px digits are enlarged here for a projector.
    """
    if images.dtype == torch.uint8:
        images = from_uint8(images)
    nrow = nrow or max(1, math.isqrt(len(images) - 1) + 1)
    grid = tile(images.detach().float().cpu(), nrow=nrow, padding=padding)
    if scale > 1:
        grid = grid.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    return (grid.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()


def tile(images: torch.Tensor, nrow: int, padding: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """(B, C, H, W) in [-1, 1] -> one (3, H', W') grid in [0, 1], `nrow` images a row, white gutters.

    The same picture as torchvision's `make_grid(normalize=True, value_range=(-1, 1))` (a test holds them equal),
    without importing torchvision: its import pulls in torch._dynamo and costs ~4 s, which every app start and
    every training worker would pay before its first grid.
    """
    x = (images.clamp(-1, 1) + 1) / 2
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)  # grey -> RGB
    b, c, h, w = x.shape
    if b == 1:
        return x[0].clone()  # a lone image has no gutters (as make_grid)
    columns = min(nrow, b)
    rows = math.ceil(b / columns)
    x = torch.cat([x, x.new_full((rows * columns - b, c, h, w), pad_value)])  # blank cells fill the last row
    x = F.pad(x, (padding, 0, padding, 0), value=pad_value)  # a gutter left of and above every cell
    h, w = h + padding, w + padding
    grid = x.view(rows, columns, c, h, w).permute(2, 0, 3, 1, 4).reshape(c, rows * h, columns * w)
    return F.pad(grid, (0, padding, 0, padding), value=pad_value)  # and the closing gutters right and below


def grid_image(images: torch.Tensor, nrow: int | None = None, scale: int = 1) -> Image.Image:
    return Image.fromarray(grid_array(images, nrow=nrow, scale=scale))


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: list[Image.Image], duration_ms: int = 150, final_hold_ms: int = 1500) -> bytes:
    """An endlessly looping animated GIF; the last frame is held longer so the result can be seen."""
    if not frames:
        raise ValueError("a GIF needs at least one frame")
    buf = io.BytesIO()
    durations = [duration_ms] * (len(frames) - 1) + [final_hold_ms]
    frames = [_palette_frame(f) for f in frames]
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return buf.getvalue()


def _palette_frame(frame: Image.Image) -> Image.Image:
    """A GIF frame: grey levels as they are (exact, and 5x faster than an adaptive palette), colour quantised."""
    if frame.mode == "L":
        return frame
    if frame.mode == "RGB":
        rgb = np.asarray(frame)
        if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
            return frame.convert("L")
    return frame.convert("P", palette=Image.Palette.ADAPTIVE)
