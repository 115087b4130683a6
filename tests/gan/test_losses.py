import math

import pytest
import torch

from gan.losses import discriminator_accuracy, discriminator_loss, generator_loss


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_discriminator_loss_is_bce_on_real_plus_bce_on_fake():
    d_real, d_fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    expected = (-(math.log(sigmoid(2.0)) + math.log(sigmoid(-1.0))) / 2
                - (math.log(1 - sigmoid(0.5)) + math.log(1 - sigmoid(-3.0))) / 2)
    assert discriminator_loss(d_real, d_fake).item() == pytest.approx(expected, rel=1e-6)


def test_one_sided_label_smoothing_targets_point_nine_for_reals_only():
    d_real, d_fake = torch.tensor([1.0]), torch.tensor([1.0])
    p = sigmoid(1.0)
    expected = -(0.9 * math.log(p) + 0.1 * math.log(1 - p)) - math.log(1 - p)
    assert discriminator_loss(d_real, d_fake, label_smoothing=0.1).item() == pytest.approx(expected, rel=1e-6)


def test_generator_losses_match_their_formulas():
    d_fake = torch.tensor([-2.0, 0.0, 3.0])
    p = [sigmoid(v) for v in d_fake.tolist()]
    assert generator_loss(d_fake, "non-saturating").item() == pytest.approx(-sum(map(math.log, p)) / 3, rel=1e-6)
    assert generator_loss(d_fake, "minimax").item() == pytest.approx(sum(math.log(1 - q) for q in p) / 3, rel=1e-6)
    with pytest.raises(ValueError, match="g_loss"):
        generator_loss(d_fake, "wasserstein")


def test_saturating_loss_gives_a_fresh_generator_almost_no_gradient():
    """Seed 000's lesson: when D confidently rejects the fakes (D(G(z)) ≈ 0), log(1 - D) is flat."""
    logits = torch.full((8,), -6.0, requires_grad=True)  # D(G(z)) ≈ 0.0025
    (grad_minimax,) = torch.autograd.grad(generator_loss(logits, "minimax"), logits)
    (grad_non_saturating,) = torch.autograd.grad(generator_loss(logits, "non-saturating"), logits)
    assert grad_non_saturating.abs().mean() > 100 * grad_minimax.abs().mean()
    # Once D is fooled (D(G(z)) ≈ 1) it is the other way round.
    fooled = torch.full((8,), 6.0, requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss(fooled, "minimax"), fooled)
    (g_ns,) = torch.autograd.grad(generator_loss(fooled, "non-saturating"), fooled)
    assert g_mm.abs().mean() > 100 * g_ns.abs().mean()


def test_losses_stay_finite_for_extreme_logits():
    huge = torch.tensor([80.0, -80.0])
    assert torch.isfinite(discriminator_loss(huge, huge))
    assert torch.isfinite(generator_loss(huge, "non-saturating"))
    assert torch.isfinite(generator_loss(huge, "minimax"))


def test_accuracy_counts_reals_called_real_and_fakes_called_fake():
    acc_real, acc_fake = discriminator_accuracy(torch.tensor([1.0, -1.0, 2.0, 3.0]), torch.tensor([-1.0, 1.0]))
    assert (acc_real.item(), acc_fake.item()) == (0.75, 0.5)
