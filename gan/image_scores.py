"""What can be trusted about a GAN trained on the user's own images, where no classifier knows what they show.

Two scores, each honest about its features:
- **Copies**: each sample's distance to its nearest training image, in pixels (root-mean-square difference per pixel,
  on the [-1, 1] scale, so sizes compare), against how far the training images lie from each other. A G that
  memorises draws samples much closer to a training image than the training images are to one another.
- **Random-feature KID**: the kernel distance (KID x 1000) between samples and training images on the features of a
  fixed, randomly initialised convolutional network (seeded: the same on every machine, nothing downloaded). Random
  convolutions respond to colours, edges, textures and where things are in the frame, so the number falls as the
  samples take on the training images' look; they know nothing of meaning: a sample with the right colours and
  textures in a senseless arrangement can still score well.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from gan.models.common import NoiseGenerator, fixed_samples
from gan.quality import kernel_distance

FEATURES_NAME = "a fixed random convolutional network (seeded, no download): colour, edges, texture, layout"
FEATURE_SEED = 0
SCORED = 256  # samples per live point: a few tenths of a second at 64x64 on a CPU
REFERENCE_PAIRS = 256  # training images whose nearest other training image sets the copy reference


class RandomFeatures(nn.Module):
    """(B, C, S, S) in [-1, 1] -> (B, 320): three random stride-2 3x3 convolutions with ReLU from 32x32, then the
    last map's 2x2 average pools (layout, 256) and its global mean (what is there, 64)."""

    def __init__(self, channels: int):
        super().__init__()
        generator = torch.Generator().manual_seed(FEATURE_SEED)
        convs = [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False)
                 for c_in, c_out in ((channels, 32), (32, 64), (64, 64))]
        with torch.no_grad():
            for conv in convs:  # He-scaled so each layer's output keeps its input's scale
                scale = (2 / (conv.in_channels * 9)) ** 0.5
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) * scale)
        self.convs = nn.ModuleList(convs)
        self.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(x.float(), size=(32, 32), mode="bilinear", antialias=True, align_corners=False)
        for conv in self.convs:
            h = F.relu(conv(h))  # (B, 64, 4, 4) at the end
        layout = F.adaptive_avg_pool2d(h, 2).flatten(1)  # (B, 256)
        return torch.cat([layout, h.mean(dim=(2, 3))], dim=1)  # (B, 320)


@functools.lru_cache(maxsize=2)
def _features(channels: int) -> RandomFeatures:
    return RandomFeatures(channels).eval()


class ImageReference:
    """The training images a run's scores compare with: their random features and their pixels."""

    def __init__(self, images: torch.Tensor):
        """images: (N, C, S, S) in [-1, 1] on the CPU (a subset is enough: at most a few thousand)."""
        self.images = images
        self.flat = images.flatten(1)
        with torch.inference_mode():
            self.features = _features(images.shape[1])(images)
        # How far a training image lies from its nearest other: the scale a copy is judged on.
        probe = images[torch.linspace(0, len(images) - 1, min(REFERENCE_PAIRS, len(images))).long()]
        distances = pixel_distances(probe, self.flat)
        distances[distances < 1e-6] = float("inf")  # the image itself
        self.spacing = distances.min(dim=1).values.median().item()

    def scores(self, samples: torch.Tensor) -> dict[str, float | None]:
        """{'kid_random', 'copy_distance', 'copy_spacing'} of samples (B, C, S, S) in [-1, 1]."""
        samples = samples.float().cpu()
        with torch.inference_mode():
            fake = _features(samples.shape[1])(samples)
        nearest = pixel_distances(samples, self.flat).min(dim=1).values
        return {"kid_random": kernel_distance(self.features, fake), "copy_distance": nearest.median().item(),
                "copy_spacing": self.spacing}


def pixel_distances(images: torch.Tensor, flat_reference: torch.Tensor) -> torch.Tensor:
    """(B, N) root-mean-square pixel differences between each image and each reference image (flattened)."""
    a = images.float().flatten(1)
    sq = a.square().sum(1, keepdim=True) - 2 * a @ flat_reference.T + flat_reference.square().sum(1)
    return (sq.clamp_min(0) / a.shape[1]).sqrt()


@torch.inference_mode()
def eval_samples(G: NoiseGenerator, n: int, seed: int = 0) -> torch.Tensor:
    """n samples of G in eval mode from a fixed noise batch (the same `seed`: comparable points), float32 on the CPU."""
    return fixed_samples(G, n, seed)[1].cpu()


def score_own_images(G: NoiseGenerator, reference: ImageReference, n: int = SCORED, seed: int = 0) -> dict:
    """The live point of a run on the user's images: G's eval-mode samples of a fixed noise batch, scored."""
    return reference.scores(eval_samples(G, n, seed))


__all__ = ["FEATURES_NAME", "ImageReference", "RandomFeatures", "eval_samples", "pixel_distances", "score_own_images"]
