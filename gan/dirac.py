"""The Dirac-GAN (Mescheder, Geiger & Nowozin, ICML 2018): the smallest GAN there is, and why GANs used to circle.

The real data are one point, x = 0. The generator has one parameter and always draws theta; the discriminator is
linear, D(x) = psi * x. The game's only equilibrium is theta = 0 (G draws the data) with psi = 0 (D cannot tell).
Near it, plain gradient descent-ascent makes the two parameters rotate around the equilibrium: G moves towards 0,
overshoots because D still pushes, D turns around, and so on forever (with simultaneous updates the circles even
widen). The R1 penalty, gamma/2 * |dD/dx|^2 at the real point = gamma/2 * psi^2, damps D's part of the rotation, and
the spiral closes in on the equilibrium.

Each step here runs the engine's own losses (`gan.losses`) on these two scalars with autograd, so the picture is the
same maths the Train page trains with. `simulate` gives the trajectory, `vector_field` the direction in which the
updates push at each point of the (theta, psi) plane (the arrows of the paper's Figure 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from gan.config import ConfigError, check_number
from gan.losses import d_objective, g_objective, gradient_penalty

OBJECTIVES = ("bce", "wasserstein", "hinge")  # the relativistic loss of one real and one fake point is the bce's
UPDATES = ("simultaneous", "alternating")
REAL_POINT = 0.0


@dataclass(frozen=True)
class DiracConfig:
    """One Dirac-GAN run."""

    objective: str = "bce"
    """The game (see gan.losses.d_objective); G plays the non-saturating loss under 'bce'."""
    r1: float = 0.0
    """gamma of the R1 penalty gamma/2 * |dD/dx(0)|^2 = gamma/2 * psi^2; 0 = off."""
    lr: float = 0.1
    """Step size of plain gradient descent (G) and ascent (D)."""
    steps: int = 600
    """Updates of each player."""
    updates: str = "simultaneous"
    """'simultaneous': both players move from the same point; 'alternating': D moves, then G answers it."""
    theta: float = 1.0
    """G's starting point (the equilibrium is 0)."""
    psi: float = 1.0
    """D's starting slope (the equilibrium is 0)."""

    def replace(self, **changes) -> DiracConfig:
        return replace(self, **changes)

    def validate(self) -> DiracConfig:
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"objective must be one of {', '.join(OBJECTIVES)} (got {self.objective!r})")
        if self.updates not in UPDATES:
            raise ConfigError(f"updates must be one of {', '.join(UPDATES)} (got {self.updates!r})")
        for name, low, high in (("r1", 0.0, 100.0), ("lr", 1e-4, 2.0), ("theta", -3.0, 3.0), ("psi", -3.0, 3.0)):
            check_number(name, getattr(self, name), low, high)
        check_number("steps", self.steps, 1, 20_000, integer=True)
        return self


def gradients(config: DiracConfig, theta: float, psi: float) -> tuple[float, float]:
    """(dLoss_G/dtheta, dLoss_D/dpsi) at one point, D's loss including its R1 penalty."""
    theta_t = torch.tensor([theta], dtype=torch.float64, requires_grad=True)
    psi_t = torch.tensor(psi, dtype=torch.float64, requires_grad=True)
    real = torch.tensor([REAL_POINT], dtype=torch.float64, requires_grad=True)  # a leaf: R1 differentiates at it
    d_real = psi_t * real
    d_loss = d_objective(config.objective, d_real, psi_t * theta_t.detach())
    if config.r1:
        d_loss = d_loss + config.r1 / 2 * gradient_penalty(d_real, real)
    (d_grad,) = torch.autograd.grad(d_loss, psi_t)
    g_loss = g_objective(config.objective, psi_t.detach() * theta_t, psi_t.detach() * real.detach())
    (g_grad,) = torch.autograd.grad(g_loss, theta_t)
    return g_grad.item(), d_grad.item()


def simulate(config: DiracConfig) -> np.ndarray:
    """The trajectory (steps + 1, 2) of (theta, psi) under gradient descent on each player's loss."""
    config.validate()
    theta, psi = config.theta, config.psi
    path = [(theta, psi)]
    for _ in range(config.steps):
        g_grad, d_grad = gradients(config, theta, psi)
        psi_next = psi - config.lr * d_grad
        if config.updates == "alternating":  # G answers the D that just moved
            g_grad, _ = gradients(config, theta, psi_next)
        theta, psi = theta - config.lr * g_grad, psi_next
        if not (math.isfinite(theta) and math.isfinite(psi)):
            break
        path.append((theta, psi))
    return np.asarray(path)


def vector_field(config: DiracConfig, extent: float = 2.0, n: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """(points (n*n, 2), update directions (n*n, 2)) on a grid of the (theta, psi) plane: where one simultaneous
    step of size 1 would move each point (minus each player's gradient)."""
    axis = np.linspace(-extent, extent, n)
    points = np.array([(t, p) for p in axis for t in axis])
    directions = np.array([[-g for g in gradients(config, t, p)] for t, p in points])
    return points, directions


def distance_to_equilibrium(path: np.ndarray) -> np.ndarray:
    """|(theta, psi)| along a trajectory: the distance to the game's equilibrium (0, 0)."""
    return np.hypot(path[:, 0], path[:, 1])


__all__ = ["DiracConfig", "OBJECTIVES", "UPDATES", "distance_to_equilibrium", "gradients", "simulate",
           "vector_field"]
