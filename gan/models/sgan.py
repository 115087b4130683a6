"""The semi-supervised GAN's discriminator (GANs in Action, ch. 7): a digit classifier whose real/fake logit is
log sum_k exp(l_k), so that sigmoid of it is the book's Z / (Z + 1). Its trainer is gan.train.sgan."""

from __future__ import annotations

import torch
from torch import nn

from gan.models.common import IMAGE_SHAPE, keras_init

N_CLASSES = 10


def real_fake_logit(class_logits: torch.Tensor) -> torch.Tensor:
    """(B, 10) digit logits -> (B,) real/fake logit log Z, Z = sum_k exp(l_k): sigmoid of it is the book's Z/(Z+1)."""
    return torch.logsumexp(class_logits, dim=1)


class SeededDropout(nn.Module):
    """nn.Dropout that draws its masks from `generator` (None: the global RNG).

    The trainer hands it a seeded generator of its own, so a run resumes exactly and two runs in one server never
    share random numbers. Not a parameter or a buffer: the module's state_dict is that of nn.Dropout (empty).
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= self.p
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class SGANDiscriminator(nn.Module):
    """image (B, 1, 28, 28) -> real/fake logit (B,), like every discriminator here; `class_logits` gives (B, 10).

    Conv 32 s2 (14x14) -> LReLU -> Conv 64 s2 (7x7) -> BN -> LReLU -> Conv 128 s2 (4x4) -> BN -> LReLU -> Dropout 0.5
    -> Flatten -> Dense 10 (the book's discriminator_net; widths scale with `width`).
    """

    def __init__(self, width: int = 32, slope: float = 0.01, bn_momentum: float = 0.1, dropout: float = 0.5):
        super().__init__()
        self.dropout = SeededDropout(dropout)
        self.net = nn.Sequential(
            nn.Conv2d(IMAGE_SHAPE[0], width, 3, stride=2, padding=1),  # -> (B, 32, 14, 14)
            nn.LeakyReLU(slope),
            nn.Conv2d(width, width * 2, 3, stride=2, padding=1),  # -> (B, 64, 7, 7)
            nn.BatchNorm2d(width * 2, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            nn.Conv2d(width * 2, width * 4, 3, stride=2, padding=1),  # -> (B, 128, 4, 4)
            nn.BatchNorm2d(width * 4, momentum=bn_momentum),
            nn.LeakyReLU(slope),
            self.dropout,
            nn.Flatten(),
            nn.Linear(width * 4 * 4 * 4, N_CLASSES),  # -> (B, 10)
        )
        keras_init(self)
        self._batch_norms = [m for m in self.net if isinstance(m, nn.BatchNorm2d)]

    def class_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The supervised head before its softmax: (B, 1, 28, 28) -> (B, 10)."""
        return self.net(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BatchNorm normalises with the batch's own statistics either way; only the running averages used in eval
        # mode are kept out of this head, which sees fakes: the classifier is scored on real digits only.
        momenta = [bn.momentum for bn in self._batch_norms]
        for bn in self._batch_norms:
            bn.momentum = 0.0  # running = (1 - 0) * running + 0 * batch: unchanged
        try:
            return real_fake_logit(self.class_logits(x))
        finally:
            for bn, momentum in zip(self._batch_norms, momenta):
                bn.momentum = momentum
