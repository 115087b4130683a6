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

from gan.losses import d_objective, g_objective, gradient_penalty
from gan.settings import setting, validate_settings

OBJECTIVES = ("bce", "wasserstein", "hinge")  # the relativistic loss of one real and one fake point is the bce's
UPDATES = ("simultaneous", "alternating")
REAL_POINT = 0.0


@dataclass(frozen=True)
class DiracConfig:
    """One Dirac-GAN run."""

    objective: str = setting("bce", "The game (see gan.losses.d_objective); G plays the non-saturating loss under "
                             "'bce'.", choices=OBJECTIVES)
    r1: float = setting(0.0, "gamma of the R1 penalty gamma/2 * |dD/dx(0)|^2 = gamma/2 * psi^2; 0 = off.", low=0.0,
                        high=100.0)
    lr: float = setting(0.1, "Step size of plain gradient descent (G) and ascent (D).", low=1e-4, high=2.0)
    steps: int = setting(600, "Updates of each player.", low=1, high=20_000, integer=True)
    updates: str = setting("simultaneous", "'simultaneous': both players move from the same point; 'alternating': D "
                           "moves, then G answers it.", choices=UPDATES)
    theta: float = setting(1.0, "G's starting point (the equilibrium is 0).", low=-3.0, high=3.0)
    psi: float = setting(1.0, "D's starting slope (the equilibrium is 0).", low=-3.0, high=3.0)

    def replace(self, **changes) -> DiracConfig:
        return replace(self, **changes)

    def validate(self) -> DiracConfig:
        """Raise ConfigError naming the first impossible value; return self when all is well."""
        validate_settings(self, finite_message=False)  # nan reads "lr must be in [0.0001, 2] (got nan)"
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
