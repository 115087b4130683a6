"""The 2-D playground's small MLPs: G maps a 1-D or 2-D z to a point of the plane, D scores a point."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from gan.toy import ToyConfig

MESH_SIZE = 15  # z grid lines per axis for the manifold (a 1-D z: MESH_SIZE * 8 points along the curve)


ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2),
                                                  "tanh": nn.Tanh, "elu": nn.ELU}


def _activation(name: str) -> nn.Module:
    return ACTIVATIONS[name]()


def mlp(in_dim: int, out_dim: int, layers: int, width: int, activation: str) -> nn.Sequential:
    """`layers` hidden Linear+activation blocks of `width` units, then a Linear to `out_dim` (no output squashing)."""
    blocks: list[nn.Module] = []
    dim = in_dim
    for _ in range(layers):
        blocks += [nn.Linear(dim, width), _activation(activation)]
        dim = width
    blocks.append(nn.Linear(dim, out_dim))
    return nn.Sequential(*blocks)


class ToyGenerator(nn.Module):
    """z (B, z_dim) -> points (B, 2). Knows its noise prior: `sample_inputs` and the manifold's `z_grid`."""

    def __init__(self, config: ToyConfig):
        super().__init__()
        self.z_dim, self.z_dist = config.z_dim, config.z_dist
        self.net = mlp(config.z_dim, 2, config.g_layers, config.g_width, config.g_activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def sample_inputs(self, n: int, generator: torch.Generator) -> torch.Tensor:
        if self.z_dist == "uniform":
            return torch.rand(n, self.z_dim, generator=generator) * 2 - 1
        return torch.randn(n, self.z_dim, generator=generator)

    def z_grid(self, size: int = MESH_SIZE) -> torch.Tensor:
        """A grid over the prior's first two coordinates, the others at 0: (size, size, z_dim), or (1, n, z_dim).

        The grid lines sit at equal prior quantiles (for the uniform prior: equally spaced), so every cell holds
        the same probability mass and the density of G's output in a cell is proportional to 1 / its area.
        """
        rows = 1 if self.z_dim == 1 else size
        cols = size * 8 if self.z_dim == 1 else size
        quantiles = np.linspace(0.02, 0.98, cols)
        if self.z_dist == "uniform":
            ticks = torch.as_tensor(quantiles * 2 - 1, dtype=torch.float32)
        else:
            ticks = torch.distributions.Normal(0.0, 1.0).icdf(torch.as_tensor(quantiles, dtype=torch.float32))
        z = torch.zeros(rows, cols, self.z_dim)
        z[..., 0] = ticks[None, :]
        if self.z_dim > 1:
            z[..., 1] = ticks[:, None]
        return z


class ToyDiscriminator(nn.Module):
    """points (B, 2) -> logits (B,) (for least squares: raw scores)."""

    def __init__(self, config: ToyConfig):
        super().__init__()
        self.net = mlp(2, 1, config.d_layers, config.d_width, config.d_activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
