"""What every model family shares: the image geometry and Keras-style initialisation."""

from __future__ import annotations

import torch
from torch import nn

IMAGE_SHAPE = (1, 28, 28)
N_PIXELS = 28 * 28


class NoiseGenerator(nn.Module):
    """What the trainers, the explorer and sampling call on every generator that draws from noise: its inputs."""

    latent_dim: int

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> tuple[torch.Tensor, ...]:
        """The generator's inputs for n samples: (z,) or, for a conditional G, (z, labels)."""
        raise NotImplementedError


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
