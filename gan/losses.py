"""GAN losses as pure functions of discriminator logits (seed 000 explains them, seed 004 uses logits).

With D(x) = sigmoid(logit), binary cross-entropy against a target t is softplus(logit) - t * logit, which is what
`binary_cross_entropy_with_logits` computes without ever forming log(0).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """BCE of D on real (target 1 - smoothing) plus BCE on fake (target 0), each a batch mean.

    One-sided smoothing (seed 004's targets of 0.9) only softens the real targets: smoothing the fake ones too
    would reward the generator for samples far from the data (Salimans et al. 2016).
    """
    real_target = torch.full_like(d_real, 1.0 - label_smoothing)
    loss_real = F.binary_cross_entropy_with_logits(d_real, real_target)
    loss_fake = F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    return loss_real + loss_fake


def generator_loss(d_fake: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    """The generator's loss on the logits D gives its fakes.

    - 'non-saturating': -log D(G(z)), the "-log D trick": strong gradients while D rejects the fakes.
    - 'minimax': log(1 - D(G(z))), the original game's loss, minimised by G; its gradient vanishes when
      D(G(z)) ≈ 0, which is exactly where a fresh generator starts.
    - 'least-squares': ½ (D(G(z)) - 1)² on D's raw output (LSGAN, Mao et al. 2017); pair it with
      `least_squares_discriminator_loss`. Its gradient grows with the distance to the target, so it never saturates.
    """
    if kind == "non-saturating":
        return F.softplus(-d_fake).mean()  # -log sigmoid(l)
    if kind == "minimax":
        return -F.softplus(d_fake).mean()  # log(1 - sigmoid(l)) = -softplus(l)
    if kind == "least-squares":
        return 0.5 * (d_fake - 1).square().mean()
    raise ValueError(f"g_loss must be 'non-saturating', 'minimax' or 'least-squares' (got {kind!r})")


def least_squares_discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor,
                                     label_smoothing: float = 0.0) -> torch.Tensor:
    """LSGAN's discriminator loss with 0-1 targets: ½ (D(x) - (1 - smoothing))² + ½ D(G(z))², batch means.

    D's output is a raw score here, not a logit: no sigmoid, and 0.5 is the boundary between "fake" and "real".
    """
    return 0.5 * (d_real - (1.0 - label_smoothing)).square().mean() + 0.5 * d_fake.square().mean()


def discriminator_accuracy(d_real: torch.Tensor, d_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Fraction of reals D calls real (logit > 0) and of fakes D calls fake (logit < 0)."""
    return (d_real > 0).float().mean(), (d_fake < 0).float().mean()
