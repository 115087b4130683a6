"""Shapes with known factors: deterministic, inside the frame, and each factor visibly moves the image."""

import numpy as np
import pytest

from gan.shapes import FACTORS, RGB_FACTORS, draw_shapes


def test_the_same_seed_draws_the_same_shapes_and_factors_in_their_ranges():
    images, factors = draw_shapes(300, size=32, seed=3)
    again, same = draw_shapes(300, size=32, seed=3)
    assert images.dtype == np.uint8 and images.shape == (300, 32, 32) and factors.shape == (300, len(FACTORS))
    assert np.array_equal(images, again) and np.array_equal(factors, same)
    assert not np.array_equal(images, draw_shapes(300, size=32, seed=4)[0])
    assert factors.min() >= 0 and factors.max() <= 1
    assert set(np.round(factors[:, 0] * 2).astype(int)) == {0, 1, 2}  # all three shapes


@pytest.mark.parametrize("size", [32, 64])
def test_every_shape_stays_inside_the_frame(size):
    images, _ = draw_shapes(500, size=size, seed=0)
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
    assert border.max() == 0 and (images.reshape(500, -1).max(axis=1) == 255).all()


def test_the_factors_are_what_the_image_shows():
    images, factors = draw_shapes(2_000, size=64, seed=1)
    mass = images.reshape(len(images), -1).astype(np.float64)
    area = mass.sum(axis=1)
    ys, xs = np.mgrid[0:64, 0:64]
    centre_x = (images * xs).reshape(len(images), -1).sum(axis=1) / area / 64
    centre_y = (images * ys).reshape(len(images), -1).sum(axis=1) / area / 64
    assert np.corrcoef(centre_x, factors[:, 3])[0, 1] > 0.98 and np.corrcoef(centre_y, factors[:, 4])[0, 1] > 0.98
    squares = factors[:, 0] == 0
    assert np.corrcoef(area[squares], factors[squares, 1])[0, 1] > 0.95  # scale grows the area


def test_the_colour_variant_colours_each_shape_by_its_hue():
    images, factors = draw_shapes(200, size=32, seed=2, rgb=True)
    assert images.shape == (200, 32, 32, 3) and factors.shape == (200, len(RGB_FACTORS))
    reds = factors[:, 5] < 0.02  # hue near 0: red
    brightest = images[reds].reshape(reds.sum(), -1, 3).max(axis=1)
    assert reds.any() and (brightest[:, 0] > 200).all() and (brightest[:, 1:] < 60).all()


def test_impossible_requests_are_refused():
    with pytest.raises(ValueError, match="size"):
        draw_shapes(10, size=4)
