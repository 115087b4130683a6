"""The scores of a run on the user's own images: copies against the training set's spacing, and random features."""

from __future__ import annotations

import torch

from gan.data import to_training_tensor
from gan.image_scores import ImageReference, RandomFeatures
from gan.shapes import draw_shapes


def _shapes(n: int, seed: int) -> torch.Tensor:
    return to_training_tensor(draw_shapes(n, size=32, seed=seed, rgb=True)[0], "cpu")


def test_copies_sit_far_closer_to_a_training_image_than_the_training_images_to_each_other():
    reference = ImageReference(_shapes(600, seed=0))
    copies = (reference.images[:100] + 0.01 * torch.randn(100, 3, 32, 32)).clamp(-1, 1)
    new = _shapes(100, seed=1)  # drawn alike, never trained on
    copied, fresh = reference.scores(copies), reference.scores(new)
    assert copied["copy_distance"] < 0.2 * copied["copy_spacing"]
    assert fresh["copy_distance"] > 0.5 * fresh["copy_spacing"]


def test_random_features_tell_images_like_the_training_set_from_noise_and_from_another_look():
    reference = ImageReference(_shapes(600, seed=0))
    alike = reference.scores(_shapes(200, seed=2))["kid_random"]
    noise = reference.scores(torch.rand(200, 3, 32, 32) * 2 - 1)["kid_random"]
    grey = reference.scores(_shapes(200, seed=2).mean(dim=1, keepdim=True).expand(-1, 3, -1, -1))["kid_random"]
    assert alike < 0.2 * grey < 0.2 * noise


def test_the_random_features_are_the_same_on_every_machine_and_any_size():
    x = _shapes(4, seed=3)
    a, b = RandomFeatures(3)(x), RandomFeatures(3)(torch.nn.functional.interpolate(x, size=64, mode="nearest"))
    assert a.shape == (4, 320)
    assert torch.allclose(a, RandomFeatures(3)(x))  # seeded: the same weights each time
    assert (a - b).norm() < 0.1 * a.norm()  # 64 px read at 32 much like 32 px
