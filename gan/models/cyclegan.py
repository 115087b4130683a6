"""CycleGAN's networks at digit scale (GANs in Action, ch. 9): a small U-Net generator and a PatchGAN
discriminator. Their trainer is gan.train.cyclegan. Any side divisible by 4 works (two halvings and two doublings);
`channels` 3 for colour images."""

from __future__ import annotations

import torch
from torch import nn

from gan.models.common import keras_init


class UNetGenerator(nn.Module):
    """The book's U-Net, two levels deep for 28x28: conv 28 -> 14 -> 7, transposed conv 7 -> 14 -> 28 with skips.

    Down blocks are conv, LeakyReLU, InstanceNorm (the book's `conv2d`); up blocks are transposed conv, ReLU,
    InstanceNorm, then concatenation with the down block of the same size (the book's `deconv2d`).
    """

    def __init__(self, width: int = 16, channels: int = 1):
        super().__init__()
        w = width
        # (B, 1, 28, 28) -> (B, w, 14, 14) for a digit
        self.down1 = nn.Sequential(nn.Conv2d(channels, w, 4, 2, 1), nn.LeakyReLU(0.2),
                                   nn.InstanceNorm2d(w, affine=True))
        self.down2 = nn.Sequential(nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),  # -> (B, 2w, 7, 7)
                                   nn.InstanceNorm2d(2 * w, affine=True))
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(),  # -> (B, w, 14, 14)
                                 nn.InstanceNorm2d(w, affine=True))
        self.up2 = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(),  # (B, 2w, 14, 14) -> (B, w, 28, 28)
                                 nn.InstanceNorm2d(w, affine=True))
        self.to_image = nn.Sequential(nn.Conv2d(w, channels, 3, 1, 1), nn.Tanh())  # -> (B, 1, 28, 28) in [-1, 1]
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d1 = self.down1(x)
        d2 = self.down2(d1)
        u1 = torch.cat((self.up1(d2), d1), dim=1)  # skip: (B, 2w, 14, 14)
        return self.to_image(self.up2(u1))


class PatchDiscriminator(nn.Module):
    """PatchGAN: conv 28 -> 14 -> 7, then a 3x3 conv to one least-squares score per 7x7 patch (no sigmoid).

    Each score judges an overlapping patch of the input (receptive field 16 px), so D rates local stroke texture,
    which is what tells thick digits from thin ones.
    """

    def __init__(self, width: int = 16, channels: int = 1):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1), nn.LeakyReLU(0.2),  # (B, 1, 28, 28) -> (B, w, 14, 14); no norm (the book)
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2), nn.InstanceNorm2d(2 * w, affine=True),  # -> (B, 2w, 7, 7)
            nn.Conv2d(2 * w, 1, 3, 1, 1),  # -> (B, 1, 7, 7) patch scores; 1 = real, 0 = fake
        )
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
