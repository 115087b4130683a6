"""The fast engine keeps the maths: GANTrainer's losses and weights match a straightforward loop's.

The reference below is the loop the seeds write, with nothing clever: separate D passes over the real and the fake
batch, a fresh G(z) for the G step (with the same z), D's weight gradients computed and dropped, the default
memory layout and the unfused Adam. It draws the same batches and noise as the trainer from generators with the
same seed, so any difference comes from the engine's shortcuts, and must stay at float rounding.
"""

from __future__ import annotations

import copy

import pytest
import torch

from gan.data import IndexSampler
from gan.losses import discriminator_loss, generator_loss
from gan.train import GANTrainer
from tests.conftest import tiny_config

ITERATIONS = 6


def reference_losses(G: torch.nn.Module, D: torch.nn.Module, trainer: GANTrainer) -> list[tuple[float, float]]:
    """D loss, G loss, D loss, … of each iteration of the straightforward loop, which trains G and D in place."""
    cfg = trainer.config
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    sampler = IndexSampler(len(trainer.real), cfg.batch_size, torch.Generator().manual_seed(cfg.seed), "cpu")
    noise = torch.Generator().manual_seed(cfg.seed)
    real_images = trainer.real.contiguous()
    losses = []
    for _ in range(ITERATIONS):
        real = real_images[sampler.next()]
        z = torch.randn(cfg.batch_size, cfg.latent_dim, generator=noise)
        fake = G(z).detach()
        loss_d = discriminator_loss(D(real), D(fake), cfg.label_smoothing)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = generator_loss(D(G(z)), cfg.g_loss)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        losses += [loss_d.item(), loss_g.item()]
    return losses


def biases_before_batchnorm(net: torch.nn.Module) -> set[str]:
    """Biases that BatchNorm subtracts right away: their true gradient is 0, so Adam turns float rounding into
    steps of ±lr with a random sign, and two correct loops disagree on them."""
    found = set()
    for prefix, module in net.named_modules():
        if isinstance(module, torch.nn.Sequential):
            for i, (layer, following) in enumerate(zip(module, list(module)[1:])):
                normalised = isinstance(following, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))
                if normalised and getattr(layer, "bias", None) is not None:
                    found.add(f"{prefix}.{i}.bias" if prefix else f"{i}.bias")
    return found


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_the_engine_gives_the_losses_and_weights_of_a_straightforward_loop(arch, digits):
    trainer = GANTrainer(tiny_config(arch, iterations=ITERATIONS, precision="fp32"), images=digits)
    G = copy.deepcopy(trainer.G).to(memory_format=torch.contiguous_format)
    D = copy.deepcopy(trainer.D).to(memory_format=torch.contiguous_format)
    expected = reference_losses(G, D, trainer)

    got = [loss for r in trainer.run() for loss in (r.d_loss, r.g_loss)]

    assert len(got) == 2 * ITERATIONS
    assert got == pytest.approx(expected, rel=1e-4, abs=1e-5)
    # Weights, not G's BatchNorm running statistics: the reference's two G passes update those twice an
    # iteration, the engine's one pass once, as the seed's Keras loop does (its `predict` leaves them alone).
    for ours, theirs in ((trainer.G, G), (trainer.D, D)):
        noise_only = biases_before_batchnorm(ours)
        for (name, a), b in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            if name not in noise_only:
                assert torch.allclose(a, b, rtol=1e-3, atol=1e-5), name
    # G's BatchNorm statistics: one train-mode pass an iteration (the sample grids are drawn in eval mode).
    g_counts = [b.item() for name, b in trainer.G.named_buffers() if name.endswith("num_batches_tracked")]
    assert g_counts and all(n == ITERATIONS for n in g_counts), g_counts
    # D's BatchNorm statistics (the DCGAN's; the MLP's D has none, which its one-pass shortcut relies on).
    d_buffers = list(zip(trainer.D.named_buffers(), D.buffers(), strict=True))
    assert bool(d_buffers) == (arch == "dcgan"), [name for (name, _), _ in d_buffers]
    # A running mean follows the bias just before its BatchNorm, which drifts by up to ~lr a step in each loop.
    drift = 2 * ITERATIONS * trainer.config.lr_d
    for (name, ours), theirs in d_buffers:
        if name.endswith("num_batches_tracked"):
            assert ours.item() == theirs.item() == 3 * ITERATIONS, name  # D on real, on fake, then in the G step
        elif name.endswith("running_mean"):
            assert torch.allclose(ours, theirs, rtol=0, atol=drift), (name, (ours - theirs).abs().max())
        else:
            assert torch.allclose(ours, theirs, rtol=1e-3, atol=1e-5), (name, (ours - theirs).abs().max())


def test_the_shortcuts_are_in_use_where_they_keep_the_maths(digits):
    """The equivalence above must be tested against the fast paths, not a trainer that skipped them."""
    mlp = GANTrainer(tiny_config("mlp"), images=digits)
    dcgan = GANTrainer(tiny_config("dcgan"), images=digits)
    assert mlp.D.judges_each_image_alone
    assert not getattr(dcgan.D, "judges_each_image_alone", False)  # BatchNorm: two passes
    conv = dcgan.D.net[2].weight  # 8 -> 16 channels (the first conv has one input channel: both layouts agree)
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert dcgan.real.is_contiguous(memory_format=torch.channels_last)
