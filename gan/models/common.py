"""What every model family shares: the image geometry and Keras-style initialisation."""

from __future__ import annotations

from torch import nn

IMAGE_SHAPE = (1, 28, 28)
N_PIXELS = 28 * 28


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
