"""What every model family shares: the image geometry and Keras-style initialisation."""

from __future__ import annotations

import torch
from torch import nn

IMAGE_SHAPE = (1, 28, 28)
N_PIXELS = 28 * 28
# The most samples drawn in one forward pass outside training (scores, the CLI's sample): it bounds what sampling a
# generator costs (gan.cost.generator_cost), which at 500 at once came to 550 MiB for a 64x64 colour DCGAN.
SAMPLE_BATCH = 64


class NoiseGenerator(nn.Module):
    """What the trainers, the explorer and sampling call on every generator that draws from noise: its inputs."""

    latent_dim: int

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> tuple[torch.Tensor, ...]:
        """The generator's inputs for n samples: (z,) or, for a conditional G, (z, labels)."""
        raise NotImplementedError


def draw_in_batches(G: nn.Module, inputs: tuple[torch.Tensor, ...] | list[torch.Tensor],
                    batch: int = SAMPLE_BATCH) -> torch.Tensor:
    """G(*inputs) as float32, `batch` samples per forward pass (the same images: call it in eval mode)."""
    n = len(inputs[0])
    return torch.cat([G(*(t[i:i + batch] for t in inputs)).float() for i in range(0, n, batch)])


@torch.inference_mode()
def fixed_samples(G: NoiseGenerator, n: int, seed: int = 0) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """(G's inputs, its float32 images) for a fixed noise batch of `n` (the same `seed`: comparable scores), drawn in
    eval mode SAMPLE_BATCH at a time, on G's device; G's mode is restored after."""
    device = next(G.parameters()).device
    inputs = tuple(t.to(device) for t in G.sample_inputs(n, torch.Generator().manual_seed(seed)))
    was_training = G.training
    G.eval()
    try:
        return inputs, draw_in_batches(G, inputs)
    finally:
        G.train(was_training)


def keras_init(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases, as Keras' Dense and Conv layers start (the seeds are Keras code)."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters (Keras' 'Trainable params')."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
