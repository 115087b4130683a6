"""The one conversion from generator output to pictures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import numpy as np
import torch
from torchvision.utils import make_grid

from gan.imaging import grid_array, tile


@pytest.mark.parametrize("batch, nrow", [(1, 8), (2, 8), (5, 2), (7, 3), (64, 8), (10, 10)])
def test_tile_draws_the_same_grid_as_torchvision(batch, nrow):
    images = torch.rand(batch, 1, 28, 28, generator=torch.Generator().manual_seed(batch)) * 2.4 - 1.2  # off-range too
    expected = make_grid(images.clone(), nrow=nrow, padding=2, normalize=True, value_range=(-1, 1), pad_value=1.0)
    torch.testing.assert_close(tile(images, nrow=nrow), expected, rtol=0, atol=1e-6)


def test_grid_array_is_uint8_rgb_upscaled_and_round_trips_uint8_input():
    images = torch.linspace(-1, 1, 4 * 28 * 28).view(4, 1, 28, 28)
    grid = grid_array(images, scale=3)
    assert grid.dtype.name == "uint8" and grid.shape == (3 * (2 * 30 + 2), 3 * (2 * 30 + 2), 3)
    as_uint8 = ((images + 1) * 127.5).round().to(torch.uint8)
    assert (grid_array(as_uint8, scale=3).astype(int) - grid.astype(int)).__abs__().max() <= 1


def test_the_app_side_of_the_core_does_not_import_torchvision():
    """torchvision's import costs seconds (torch._dynamo); only an explicit full-MNIST download may pay it."""
    code = "import sys, gan.imaging, gan.train, gan.quality, gan.latent; print('torchvision' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "False"


def test_a_gif_of_grey_grids_keeps_every_grey_level_and_colour_still_works():
    import io

    from PIL import Image

    from gan.imaging import gif_bytes, grid_image

    grids = [torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8) for _ in range(3)]
    gif = Image.open(io.BytesIO(gif_bytes([grid_image(g) for g in grids])))
    for index, grid in enumerate(grids):
        gif.seek(index)
        assert np.array_equal(np.asarray(gif.convert("L")), np.asarray(grid_image(grid).convert("L")))
    colour = Image.new("RGB", (8, 8), (200, 30, 30))
    assert Image.open(io.BytesIO(gif_bytes([colour]))).convert("RGB").getpixel((0, 0))[0] > 150
