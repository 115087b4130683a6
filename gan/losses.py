"""GAN losses as pure functions of discriminator logits (seed 000 explains them, seed 004 uses logits), and the
objectives and gradient penalties that made GANs train reliably after 2016 (`d_objective`, `g_objective`,
`gradient_penalty`, `wgan_gradient_penalty`).

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


# ---------------------------------------------------------------------------------------------- objectives
OBJECTIVES = ("bce", "hinge", "wasserstein", "relativistic")


def d_objective(kind: str, d_real: torch.Tensor, d_fake: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """D's loss under an objective, from its raw scores on a real and a fake batch.

    - 'bce': the seeds' game, `discriminator_loss` (Goodfellow et al. 2014).
    - 'hinge': mean(relu(1 - D(x))) + mean(relu(1 + D(G(z)))) (Lim & Ye 2017; SN-GAN, BigGAN): D stops pushing a
      sample once it is beyond the margin, so it cannot grow ever more confident.
    - 'wasserstein': mean(D(G(z))) - mean(D(x)) (Arjovsky et al. 2017): the critic's estimate of the Wasserstein
      distance, negated. Needs a Lipschitz critic: pair it with `wgan_gradient_penalty` (WGAN-GP).
    - 'relativistic': mean(softplus(-(D(x) - D(G(z))))), each real paired with a fake (RpGAN; Jolicoeur-Martineau
      2019, the objective of R3GAN, Huang et al. 2024): D says how much more real the real image looks.
    """
    loss_real, loss_fake = d_objective_parts(kind, d_real, d_fake, label_smoothing)
    return loss_real + loss_fake


def d_objective_parts(kind: str, d_real: torch.Tensor, d_fake: torch.Tensor,
                      label_smoothing: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """`d_objective` as its two terms, (the part on the real batch, the part on the fakes), which add up to it.

    The relativistic loss judges each real against a fake, so it has no separate parts: the whole loss comes first
    and the second term is 0.
    """
    if kind == "bce":  # discriminator_loss's two terms
        real_target = torch.full_like(d_real, 1.0 - label_smoothing)
        return (F.binary_cross_entropy_with_logits(d_real, real_target),
                F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
    if kind == "hinge":
        return F.relu(1 - d_real).mean(), F.relu(1 + d_fake).mean()
    if kind == "wasserstein":
        return -d_real.mean(), d_fake.mean()
    if kind == "relativistic":
        return F.softplus(d_fake - d_real).mean(), d_real.new_zeros(())
    raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)} (got {kind!r})")


def g_objective(kind: str, d_fake: torch.Tensor, d_real: torch.Tensor | None = None,
                g_loss: str = "non-saturating") -> torch.Tensor:
    """G's loss under an objective. 'bce' uses `g_loss` (`generator_loss`); hinge and Wasserstein GANs raise D's
    score of the fakes (-mean D(G(z))); the relativistic G makes its fakes look more real than the reals (it needs
    D's scores of a real batch, `d_real`, paired one to one with the fakes)."""
    if kind == "bce":
        return generator_loss(d_fake, g_loss)
    if kind in ("hinge", "wasserstein"):
        return -d_fake.mean()
    if kind == "relativistic":
        if d_real is None:
            raise ValueError("the relativistic generator loss needs D's scores of a real batch")
        return F.softplus(d_real - d_fake).mean()
    raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)} (got {kind!r})")


def gradient_penalty(scores: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """E[||grad_x D(x)||^2] over the batch: R1 when `inputs` are the reals, R2 when they are the fakes (Mescheder
    et al., ICML 2018). `inputs` must require grad and `scores` be D's outputs on them; the result keeps the graph,
    so its own gradient reaches D's weights. The caller scales it by gamma / 2."""
    (grad,) = torch.autograd.grad(scores.sum(), inputs, create_graph=True)
    return grad.reshape(len(grad), -1).square().sum(1).mean()


def wgan_gradient_penalty(D, real: torch.Tensor, fake: torch.Tensor, epsilon: torch.Tensor,
                          *condition: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's E[(||grad D(x_hat)|| - 1)^2] at x_hat = eps x + (1 - eps) G(z), eps ~ U(0, 1) per image (Gulrajani
    et al. 2017): keeps the critic 1-Lipschitz along the lines between real and fake images. `epsilon` has shape
    (B, 1, 1, 1)."""
    x_hat = torch.lerp(fake.detach().float(), real.detach().float(), epsilon.float()).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat, *condition).float().sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1).square().mean()
