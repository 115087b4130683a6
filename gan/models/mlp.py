"""The multilayer-perceptron GAN of seed 001 (the classic Keras MNIST GAN), with a logit-output discriminator."""

from __future__ import annotations

import torch
from torch import nn

import math

from gan.models.common import IMAGE_SHAPE, NoiseGenerator, keras_init


class MLPGenerator(NoiseGenerator):
    """z (B, latent_dim) -> image (B, *image_shape) in [-1, 1]; the digits' (B, 1, 28, 28) by default.

    Seed 001: Dense 256 -> LeakyReLU(0.2) -> BatchNorm(momentum 0.8), then 512 and 1024 alike, then Dense 784 + tanh.
    Keras puts BatchNorm *after* the activation here; we keep that order.
    """

    def __init__(self, latent_dim: int = 100, width: int = 256, slope: float = 0.2, bn_momentum: float = 0.2,
                 image_shape: tuple[int, int, int] = IMAGE_SHAPE):
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        layers: list[nn.Module] = []
        fan_in = latent_dim
        for fan_out in (width, width * 2, width * 4):  # 256 -> 512 -> 1024
            layers += [nn.Linear(fan_in, fan_out), nn.LeakyReLU(slope), nn.BatchNorm1d(fan_out, momentum=bn_momentum)]
            fan_in = fan_out
        layers += [nn.Linear(fan_in, math.prod(image_shape)), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        keras_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.image_shape)  # (B, 784) -> (B, 1, 28, 28) for a digit

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> tuple[torch.Tensor, ...]:
        """The generator's inputs for n samples: (z,), z ~ N(0, I)."""
        return (torch.randn(n, self.latent_dim, generator=generator, device=device),)


class MLPDiscriminator(nn.Module):
    """image (B, *image_shape) -> logit (B,). Seed 001: 784 -> 512 -> 256 -> 1 with LeakyReLU(0.2).

    The sigmoid of the seed is folded into the loss (BCE with logits, seed 004) for numerical stability.
    """

    judges_each_image_alone = True  # no BatchNorm: the trainer may judge a real and a fake batch in one pass

    def __init__(self, width: int = 512, slope: float = 0.2, image_shape: tuple[int, int, int] = IMAGE_SHAPE):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(math.prod(image_shape), width), nn.LeakyReLU(slope),
            nn.Linear(width, width // 2), nn.LeakyReLU(slope),
            nn.Linear(width // 2, 1),
        )
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)
