"""The conditional GAN of "GANs in Action", chapter 8 (seed 003): both players are told which digit to make.

G: the label's embedding (a learned vector of latent_dim numbers) is multiplied element-wise into z, and the
product goes through the chapter-4 DCGAN generator. D: the label's embedding (784 numbers) is reshaped to 28x28
and stacked onto the image as a second channel, then a DCGAN-style discriminator judges the pair. D outputs a
logit, like every discriminator here.
"""

from __future__ import annotations

import torch
from torch import nn

from gan.models.common import IMAGE_SHAPE, NoiseGenerator, keras_init
from gan.models.dcgan import DCGANGenerator

N_CLASSES = 10  # the digits'; the shapes have 3 (n_classes)


def _keras_embedding_init(embedding: nn.Embedding) -> None:
    nn.init.uniform_(embedding.weight, -0.05, 0.05)  # Keras' Embedding default


class CGANGenerator(NoiseGenerator):
    """(z (B, latent_dim), labels (B,) int64) -> image (B, *image_shape) in [-1, 1]; a digit's (B, 1, 28, 28)."""

    def __init__(self, latent_dim: int = 100, width: int = 256, slope: float = 0.01, bn_momentum: float = 0.1,
                 n_classes: int = N_CLASSES, image_shape: tuple[int, int, int] = IMAGE_SHAPE):
        super().__init__()
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.embed = nn.Embedding(n_classes, latent_dim)
        self.body = DCGANGenerator(latent_dim, width, slope, bn_momentum, image_shape)
        # Not Keras' U(-0.05, 0.05): G's input is z * embed(y), and at that scale the first BatchNorm's variance is of
        # the order of its eps, z's signal drowns and D wins outright (one digit for every label). At U(-1, 1) the
        # same CPU run covers all ten digits.
        nn.init.uniform_(self.embed.weight, -1.0, 1.0)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.body(z * self.embed(labels))  # the book's Multiply()([z, label_embedding])

    def forward_embedded(self, z: torch.Tensor, label_embedding: torch.Tensor) -> torch.Tensor:
        """G with a label *embedding* given directly: morphing between digits interpolates these vectors."""
        return self.body(z * label_embedding)

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> tuple[torch.Tensor, ...]:
        """(z ~ N(0, I), labels uniform over the classes: the ten digits, the three shapes)."""
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        labels = torch.randint(0, self.n_classes, (n,), generator=generator, device=device)
        return z, labels

    def grid_inputs(self, per_class: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """Inputs for the live view: one row per class (digit 0..9), `per_class` samples each (on the CPU)."""
        z = torch.randn(self.n_classes * per_class, self.latent_dim, generator=generator)
        labels = torch.arange(self.n_classes).repeat_interleave(per_class)
        return z, labels


class CGANDiscriminator(nn.Module):
    """(image (B, 1, 28, 28), labels (B,)) -> logit (B,).

    [image | label embedding as a 28x28 channel] -> Conv w s2 (14x14) -> LReLU -> Conv w s2 (7x7) -> BN -> LReLU
    -> Conv 2w s2 (4x4) -> BN -> LReLU -> Linear (the book: w = 64).
    """

    def __init__(self, width: int = 64, slope: float = 0.01, bn_momentum: float = 0.1, n_classes: int = N_CLASSES,
                 image_shape: tuple[int, int, int] = IMAGE_SHAPE):
        super().__init__()
        self.stamp_shape = (1, *image_shape[1:])  # the label's embedding as one more channel of the image
        self.embed = nn.Embedding(n_classes, image_shape[1] * image_shape[2])
        side = image_shape[1]
        for _ in range(3):  # each stride-2 convolution with padding 1 halves the side, rounding up
            side = (side - 1) // 2 + 1
        self.net = nn.Sequential(
            nn.Conv2d(image_shape[0] + 1, width, 3, stride=2, padding=1),  # -> (B, 64, 14, 14)
            nn.LeakyReLU(slope),
            nn.Conv2d(width, width, 3, stride=2, padding=1),  # -> (B, 64, 7, 7)
            nn.BatchNorm2d(width, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.Conv2d(width, width * 2, 3, stride=2, padding=1),  # -> (B, 128, 4, 4)
            nn.BatchNorm2d(width * 2, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.Flatten(),
            nn.Linear(width * 2 * side * side, 1),
        )
        keras_init(self)
        _keras_embedding_init(self.embed)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        stamp = self.embed(labels).view(-1, *self.stamp_shape).to(x.dtype)
        return self.net(torch.cat((x, stamp), dim=1)).squeeze(1)
