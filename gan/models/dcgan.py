"""The DCGAN of "GANs in Action", chapter 4 (seed 003), with a logit-output discriminator.

Keras' padding='same' with kernel 3 maps to PyTorch padding=1 (plus output_padding=1 for a stride-2 transpose),
which gives the same 7 -> 14 -> 14 -> 28 and 28 -> 14 -> 7 -> 4 spatial sizes. The same layers draw and judge 32x32
images (8 -> 16 -> 16 -> 32); 64x64 ones take one more doubling of the generator's map first (8 -> 16, then as 32)
and the discriminator's three convolutions end on an 8x8 map. Colour images have three channels in and out.
"""

from __future__ import annotations

import torch
from torch import nn

from gan.models.common import IMAGE_SHAPE, NoiseGenerator, keras_init


class DCGANGenerator(NoiseGenerator):
    """z (B, latent_dim) -> image (B, *image_shape) in [-1, 1]; the digits' (B, 1, 28, 28) by default.

    Dense -> 7x7x256 -> ConvT 128 s2 (14x14) -> BN -> LReLU -> ConvT 64 s1 (14x14) -> BN -> LReLU
    -> ConvT 1 s2 (28x28) -> tanh.
    """

    def __init__(self, latent_dim: int = 100, width: int = 256, slope: float = 0.01, bn_momentum: float = 0.1,
                 image_shape: tuple[int, int, int] = IMAGE_SHAPE):
        super().__init__()
        self.latent_dim = latent_dim
        self.width = width
        channels, size = image_shape[0], image_shape[1]
        self.start, doublings = size // 4, 0  # the projected map's side: 7 for 28, 8 for 32 and (doubled once) 64
        while self.start > 8:
            self.start, doublings = self.start // 2, doublings + 1
        self.project = nn.Linear(latent_dim, width * self.start ** 2)  # no activation: the book reshapes the Dense output
        first: list[nn.Module] = []
        for _ in range(doublings):
            first += [nn.ConvTranspose2d(width, width, 3, stride=2, padding=1, output_padding=1),
                      nn.BatchNorm2d(width, momentum=bn_momentum), nn.LeakyReLU(slope)]
        self.net = nn.Sequential(
            *first,
            nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1, output_padding=1),  # -> (B, 128, 14, 14)
            nn.BatchNorm2d(width // 2, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.ConvTranspose2d(width // 2, width // 4, 3, stride=1, padding=1),  # -> (B, 64, 14, 14)
            nn.BatchNorm2d(width // 4, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.ConvTranspose2d(width // 4, channels, 3, stride=2, padding=1, output_padding=1),  # -> (B, 1, 28, 28)
            nn.Tanh(),
        )
        keras_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(-1, self.width, self.start, self.start)  # (B, Z) -> (B, 256, 7, 7)
        return self.net(h)

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> tuple[torch.Tensor, ...]:
        """The generator's inputs for n samples: (z,), z ~ N(0, I)."""
        return (torch.randn(n, self.latent_dim, generator=generator, device=device),)


class DCGANDiscriminator(nn.Module):
    """image (B, *image_shape) -> logit (B,).

    Conv 32 s2 (14x14) -> LReLU -> Conv 64 s2 (7x7) -> BN -> LReLU -> Conv 128 s2 (4x4) -> BN -> LReLU -> Linear.
    """

    def __init__(self, width: int = 32, slope: float = 0.01, bn_momentum: float = 0.1,
                 image_shape: tuple[int, int, int] = IMAGE_SHAPE):
        super().__init__()
        side = image_shape[1]
        for _ in range(3):  # each stride-2 convolution with padding 1 halves the side, rounding up
            side = (side - 1) // 2 + 1
        self.net = nn.Sequential(
            nn.Conv2d(image_shape[0], width, 3, stride=2, padding=1),  # -> (B, 32, 14, 14)
            nn.LeakyReLU(slope),
            nn.Conv2d(width, width * 2, 3, stride=2, padding=1),  # -> (B, 64, 7, 7)
            nn.BatchNorm2d(width * 2, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.Conv2d(width * 2, width * 4, 3, stride=2, padding=1),  # -> (B, 128, 4, 4)
            nn.BatchNorm2d(width * 4, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.Flatten(),
            nn.Linear(width * 4 * side * side, 1),
        )
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)
