"""The one place where generator output ([-1, 1] tensors) becomes something to look at."""

from __future__ import annotations

import io
import math
import os

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid

from gan.fileio import atomic_path


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
    grid = make_grid(images.detach().float().cpu(), nrow=nrow, padding=padding, normalize=True,
                     value_range=(-1, 1), pad_value=1.0)
    if scale > 1:
        grid = grid.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    return (grid.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()


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
    frames = [f.convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return buf.getvalue()


def save_image_atomic(image: Image.Image, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        image.save(tmp, format=os.path.splitext(str(path))[1].lstrip(".").upper().replace("JPG", "JPEG"))
