"""The DCGAN of "GANs in Action", chapter 4 (seed 003), with a logit-output discriminator.

Keras' padding='same' with kernel 3 maps to PyTorch padding=1 (plus output_padding=1 for a stride-2 transpose),
which gives the same 7 -> 14 -> 14 -> 28 and 28 -> 14 -> 7 -> 4 spatial sizes.
"""

from __future__ import annotations

import torch
from torch import nn

from gan.models.common import IMAGE_SHAPE, NoiseGenerator, keras_init


class DCGANGenerator(NoiseGenerator):
    """z (B, latent_dim) -> image (B, 1, 28, 28) in [-1, 1].

    Dense -> 7x7x256 -> ConvT 128 s2 (14x14) -> BN -> LReLU -> ConvT 64 s1 (14x14) -> BN -> LReLU
    -> ConvT 1 s2 (28x28) -> tanh.
    """

    def __init__(self, latent_dim: int = 100, width: int = 256, slope: float = 0.01, bn_momentum: float = 0.1):
        super().__init__()
        self.latent_dim = latent_dim
        self.width = width
        self.project = nn.Linear(latent_dim, width * 7 * 7)  # no activation: the book reshapes the Dense output
        self.net = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1, output_padding=1),  # -> (B, 128, 14, 14)
            nn.BatchNorm2d(width // 2, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.ConvTranspose2d(width // 2, width // 4, 3, stride=1, padding=1),  # -> (B, 64, 14, 14)
            nn.BatchNorm2d(width // 4, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.ConvTranspose2d(width // 4, IMAGE_SHAPE[0], 3, stride=2, padding=1, output_padding=1),  # -> (B,1,28,28)
            nn.Tanh(),
        )
        keras_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(-1, self.width, 7, 7)  # (B, Z) -> (B, 256, 7, 7)
        return self.net(h)

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> tuple[torch.Tensor, ...]:
        """The generator's inputs for n samples: (z,), z ~ N(0, I)."""
        return (torch.randn(n, self.latent_dim, generator=generator, device=device),)


class DCGANDiscriminator(nn.Module):
    """image (B, 1, 28, 28) -> logit (B,).

    Conv 32 s2 (14x14) -> LReLU -> Conv 64 s2 (7x7) -> BN -> LReLU -> Conv 128 s2 (4x4) -> BN -> LReLU -> Linear.
    """

    def __init__(self, width: int = 32, slope: float = 0.01, bn_momentum: float = 0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(IMAGE_SHAPE[0], width, 3, stride=2, padding=1),  # -> (B, 32, 14, 14)
            nn.LeakyReLU(slope),
            nn.Conv2d(width, width * 2, 3, stride=2, padding=1),  # -> (B, 64, 7, 7)
            nn.BatchNorm2d(width * 2, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.Conv2d(width * 2, width * 4, 3, stride=2, padding=1),  # -> (B, 128, 4, 4)
            nn.BatchNorm2d(width * 4, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.Flatten(),
            nn.Linear(width * 4 * 4 * 4, 1),
        )
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)
