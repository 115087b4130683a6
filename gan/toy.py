"""2-D toy GANs: the whole game in one picture (GAN Lab's lesson, on GAN Arena's engine).

The real data are points in the plane (a ring of 8 Gaussians, a 5x5 grid, two moons, a spiral, a line, one
Gaussian, or points a user drew), the generator maps noise z to points, and the discriminator scores every point
of the plane. Because everything is 2-D, `ToyTrainer.view()` can show all of it at once: the real and the fake
points, D(x) over the plane, the image under G of a grid of z (the generator's manifold), and the direction in which
the generator's loss pushes each fake.

`ToyTrainer` has the GANTrainer interface (`run`, `iteration_step`, `d_step`, `g_step`, `flush`, `set_lr`,
`set_d_steps`, `take_snapshot`, `state_dict`, `good_state`, ...), so `arena.runner.TrainingRunner` drives it
unchanged. While `run()` trains it refreshes `latest_view` every `view_every_s` seconds (in the training thread,
where the weights are consistent): a UI reads that attribute and never touches the networks itself.

The trainer is `gan.train.toy.ToyTrainer` (`python -m gan.train.toy` prints its headless iterations/s); the
lessons are `gan.presets.playground`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import torch

from gan.settings import ConfigError, setting, settings_help, validate_settings

DATASETS = ("ring", "grid", "moons", "spiral", "line", "gaussian", "custom")
Z_DISTS = ("uniform", "gaussian")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
OPTIMIZERS = ("adam", "sgd")
G_LOSSES = ("non-saturating", "minimax", "least-squares")

BOX = 3.0  # the plane shown, heat-mapped and measured: [-BOX, BOX]^2; every dataset lies well inside it
MAX_POINTS = 2000  # most points a user may draw
REFERENCE_POINTS = 8192  # a large real sample: the JS divergence's reference and the coverage's cells
HEAT_SIZE = 48  # D is evaluated on a HEAT_SIZE x HEAT_SIZE grid
VIEW_FAKES = 384  # fakes drawn in the view (a browser redraws every marker 5 times a second)
VIEW_REAL = 256  # real points drawn in the view
ARROWS = 64  # fakes that get a gradient arrow
METRIC_FAKES = 2048  # fakes used for the JS divergence and the mode coverage
JS_BINS = 24  # histogram cells per axis for the JS divergence
CELL = 0.75  # side of the cells that stand in for modes on datasets without discrete modes


# ---------------------------------------------------------------------------------------------- the config
@dataclass(frozen=True)
class ToyConfig:
    """One 2-D run. Each field's setting() holds its help text (the playground's tooltips) and allowed values."""

    dataset: str = setting("ring", "Real distribution: ring (8 Gaussians), grid (5x5 Gaussians), moons, spiral, line, "
                           "gaussian, or custom.", choices=DATASETS)
    noise: float = setting(0.1, "Standard deviation of the Gaussian noise added to every real point (the width of "
                           "each mode).", low=0.0, high=1.0)
    # Free here: validate() checks the points where they count, for the custom dataset.
    points: tuple[tuple[float, float], ...] = setting((), "The custom dataset's points (x, y), drawn by the user; "
                                                      "each real point is one of them plus noise.")
    n_real: int = setting(2048, "Size of the real sample the game is played on (drawn once, like a training set).",
                          low=16, high=100_000, integer=True)

    z_dim: int = setting(2, "Length of the noise vector z fed to the generator.", low=1, high=64, integer=True)
    z_dist: str = setting("uniform", "Noise prior: 'uniform' on [-1, 1] per coordinate, or standard 'gaussian'.",
                          choices=Z_DISTS)
    g_layers: int = setting(2, "Hidden layers of the generator (0: G is an affine map of z).", low=0, high=5,
                            integer=True)
    g_width: int = setting(64, "Units per hidden layer of the generator.", low=1, high=512, integer=True)
    g_activation: str = setting("relu", "Activation of the generator's hidden layers.", choices=ACTIVATIONS)
    d_layers: int = setting(2, "Hidden layers of the discriminator (0: D is a straight line through the plane).",
                            low=0, high=5, integer=True)
    d_width: int = setting(64, "Units per hidden layer of the discriminator.", low=1, high=512, integer=True)
    d_activation: str = setting("relu", "Activation of the discriminator's hidden layers.", choices=ACTIVATIONS)

    optimizer: str = setting("adam", "Optimiser of both networks: 'adam' (beta1 below, beta2 0.999) or plain 'sgd'.",
                             choices=OPTIMIZERS)
    lr_g: float = setting(1e-3, "Learning rate of the generator.", low=1e-6, high=1.0)
    lr_d: float = setting(1e-3, "Learning rate of the discriminator.", low=1e-6, high=1.0)
    beta1: float = setting(0.5, "Adam's beta1 (momentum); unused by SGD.", low=0.0, high=0.999)
    batch_size: int = setting(256, "Real points per discriminator update (and fakes per generator update).", low=1,
                              high=4096, integer=True)
    d_steps: int = setting(1, "k: discriminator updates per generator update.", low=1, high=100, integer=True)
    g_loss: str = setting("non-saturating", "'non-saturating' (-log D(G(z))), 'minimax' (log(1 - D(G(z)))) or "
                          "'least-squares' (LSGAN, for D too).", choices=G_LOSSES)

    r1: float = setting(0.0, "R1 penalty weight gamma: gamma/2 x the squared slope of D at the real points "
                        "(Mescheder et al. 2018); 0 = off.", low=0.0, high=100.0)
    spectral_norm: bool = setting(False, "Spectral normalisation of D's layers (Miyato et al. 2018): D's map of the "
                                  "plane cannot turn steep.")

    iterations: int | None = setting(20_000, "Stop after this many iterations (one iteration = k D updates + one G "
                                     "update).", low=1, high=10_000_000, integer=True, optional=True)
    seconds: float | None = setting(None, "Stop after this much training time, in seconds.", low=0.1, high=24 * 3600,
                                    optional=True)
    seed: int = setting(0, "Seed of the data, the weights and the noise: the same seed gives the same run.", low=0,
                        high=2**63 - 1, integer=True)
    log_every: int = setting(10, "Report the mean losses every this many iterations (when there is no live "
                             "picture).", low=1, high=100_000, integer=True)
    view_every_s: float = setting(0.2, "Seconds of training between two live pictures (`latest_view`), each with a "
                                  "record; 0 turns them off.", low=0.0, high=60.0)

    def replace(self, **changes: Any) -> ToyConfig:
        return replace(self, **changes)

    def iterations_for(self, n_points: int) -> int | None:
        """The iteration budget (a toy run has no epochs); TrainingLoop asks for it."""
        return self.iterations

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToyConfig:
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigError(f"unknown config field(s): {', '.join(unknown)}")
        data = dict(data)
        if "points" in data:
            data["points"] = tuple((float(x), float(y)) for x, y in data["points"])
        return cls(**data)

    def validate(self) -> ToyConfig:
        """Raise ConfigError naming the first impossible value; return self when all is well."""
        validate_settings(self, finite_message=False)  # nan reads "lr_g must be in [1e-06, 1] (got nan)"
        if self.iterations is None and self.seconds is None:
            raise ConfigError("iterations or seconds: set at least one budget for the run")
        if self.batch_size > self.n_real:
            raise ConfigError(f"batch_size must be at most n_real ({self.n_real}) (got {self.batch_size})")
        if self.dataset == "custom":
            if not 1 <= len(self.points) <= MAX_POINTS:
                raise ConfigError(f"points must hold 1 to {MAX_POINTS} points for the custom dataset "
                                  f"(got {len(self.points)}): draw some")
            array = np.asarray(self.points, dtype=np.float64)
            if array.shape != (len(self.points), 2) or not np.all(np.abs(array) <= BOX):
                raise ConfigError(f"points must be (x, y) pairs in [-{BOX:g}, {BOX:g}]")
        return self


def field_help() -> dict[str, str]:
    """Each ToyConfig field's help text (its setting's): the playground's tooltips."""
    return settings_help(ToyConfig)


# ---------------------------------------------------------------------------------------------- the data
RING_RADIUS = 2.0
GRID_SPACING = 1.0


def dataset_modes(dataset: str) -> np.ndarray | None:
    """The centres of a dataset's discrete modes, (k, 2); None for the continuous ones."""
    if dataset == "ring":
        angles = np.arange(8) * 2 * np.pi / 8
        return RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if dataset == "grid":
        ticks = (np.arange(5) - 2) * GRID_SPACING
        return np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)
    return None


def toy_points(dataset: str, n: int, noise: float, generator: torch.Generator,
               points: tuple[tuple[float, float], ...] | np.ndarray = ()) -> torch.Tensor:
    """n points of a toy distribution, float32 (n, 2): the clean shape plus N(0, noise²) on each coordinate."""
    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=generator, dtype=torch.float64)

    def normal(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    modes = dataset_modes(dataset)
    if modes is not None:
        clean = torch.as_tensor(modes)[torch.randint(len(modes), (n,), generator=generator)]
    elif dataset == "moons":  # scikit-learn's two moons, centred and scaled to about [-2.4, 2.4] x [-1.2, 1.2]
        t = uniform(n) * math.pi
        upper = uniform(n) < 0.5
        x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
        y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
        clean = 1.6 * torch.stack([x - 0.5, y - 0.25], dim=1)
    elif dataset == "spiral":  # two turns, radius 0.25 -> 2.5; sqrt(u) spreads the points evenly along the arm
        t = uniform(n).sqrt()
        radius, angle = 0.25 + 2.25 * t, 4 * math.pi * t
        clean = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    elif dataset == "line":  # the segment from (-2, -1) to (2, 1)
        t = uniform(n) * 2 - 1
        clean = torch.stack([2 * t, t], dim=1)
    elif dataset == "gaussian":  # one elongated Gaussian: std 0.8 along 30 degrees, 0.3 across
        rotation = torch.tensor([[math.cos(math.pi / 6), -math.sin(math.pi / 6)],
                                 [math.sin(math.pi / 6), math.cos(math.pi / 6)]], dtype=torch.float64)
        clean = (normal(n, 2) * torch.tensor([0.8, 0.3], dtype=torch.float64)) @ rotation.T
    elif dataset == "custom":
        anchors = torch.as_tensor(np.asarray(points, dtype=np.float64).reshape(-1, 2))
        if len(anchors) == 0:
            raise ValueError("the custom dataset needs at least one point")
        clean = anchors[torch.randint(len(anchors), (n,), generator=generator)]
    else:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)} (got {dataset!r})")
    return (clean + noise * normal(n, 2)).float()


def coverage_modes(dataset: str, noise: float, reference: np.ndarray) -> tuple[np.ndarray, float]:
    """(mode centres (k, 2), radius) for the mode coverage.

    The ring and the grid have their Gaussians; a mode holds the fakes within 3 noise std of its centre (at least
    0.2, at most half the distance to the next mode). Other datasets have no discrete modes: the plane is cut into
    CELL x CELL cells, and every cell holding at least 2 % of the reference sample stands in for a mode (its
    radius reaches the cell's corners, so nearest-centre assignment fills the cell).
    """
    modes = dataset_modes(dataset)
    if modes is not None:
        spacing = 2 * RING_RADIUS * math.sin(math.pi / 8) if dataset == "ring" else GRID_SPACING
        return modes, float(min(max(3 * noise, 0.2), spacing / 2))
    edges = np.arange(-BOX, BOX + 1e-9, CELL)
    counts, _, _ = np.histogram2d(reference[:, 0], reference[:, 1], bins=[edges, edges])
    ix, iy = np.nonzero(counts >= 0.02 * len(reference))
    centres = np.stack([edges[ix] + CELL / 2, edges[iy] + CELL / 2], axis=1)
    return centres, CELL / math.sqrt(2)


def mode_counts(points: np.ndarray, modes: np.ndarray, radius: float) -> np.ndarray:
    """How many of `points` (n, 2) lie within `radius` of each mode centre, each point counted for its nearest."""
    if len(points) == 0:
        return np.zeros(len(modes), dtype=np.int64)
    distances = np.linalg.norm(points[:, None, :] - modes[None, :, :], axis=-1)  # (n, k)
    nearest = distances.argmin(axis=1)
    inside = distances[np.arange(len(points)), nearest] <= radius
    return np.bincount(nearest[inside], minlength=len(modes))


def mode_coverage(points: np.ndarray, modes: np.ndarray, radius: float, min_share: float = 0.1) -> float:
    """Fraction of the modes that hold generated points: at least `min_share` of an even share (n / k) each.

    A generator that collapsed onto 3 of the ring's 8 Gaussians scores 3/8, however sharp its 3 modes are; the
    threshold keeps a few stray fakes from counting as a covered mode.
    """
    if len(modes) == 0:
        return 0.0
    counts = mode_counts(points, modes, radius)
    needed = max(1.0, min_share * len(points) / len(modes))
    return float(np.mean(counts >= needed))


def heat_grid(size: int = HEAT_SIZE, box: float = BOX) -> tuple[np.ndarray, np.ndarray]:
    """(ticks (size,), points (size * size, 2)) of a regular grid over [-box, box]^2.

    Row-major with y outer: `values.reshape(size, size)[i, j]` belongs to (ticks[j], ticks[i]), the layout of a
    plotly heatmap's z.
    """
    ticks = np.linspace(-box, box, size)
    xs, ys = np.meshgrid(ticks, ticks)  # (size, size) each, ys constant along a row
    return ticks, np.stack([xs.ravel(), ys.ravel()], axis=1)


def js_divergence(real: np.ndarray, fake: np.ndarray, bins: int = JS_BINS, box: float = BOX) -> float:
    """Jensen-Shannon divergence, in bits (0: same histogram, 1: disjoint), of two point sets on a bins x bins grid.

    Points outside the box count in the border cells. A small floor on each cell keeps sampling noise of a few
    thousand fakes from reading as a large divergence.
    """
    edges = np.linspace(-box, box, bins + 1)

    def histogram(points: np.ndarray) -> np.ndarray:
        clipped = np.clip(points, -box, box)
        counts, _, _ = np.histogram2d(clipped[:, 0], clipped[:, 1], bins=[edges, edges])
        counts = counts.ravel() + 0.5  # Jeffreys-like floor: half a point per cell
        return counts / counts.sum()

    p, q = histogram(real), histogram(fake)
    m = (p + q) / 2
    return float(0.5 * np.sum(p * np.log2(p / m)) + 0.5 * np.sum(q * np.log2(q / m)))


# ---------------------------------------------------------------------------------------------- the live picture
@dataclass
class ToyView:
    """Everything the playground draws, as numpy arrays (float32 unless noted) at one iteration."""

    iteration: int
    real: np.ndarray
    """(n, 2) real points (a fixed subset of the real sample)."""
    fake: np.ndarray
    """(m, 2) G(z) for a fixed batch of z."""
    ticks: np.ndarray
    """(g,) coordinates of the heatmap's columns (x) and rows (y)."""
    d_heat: np.ndarray
    """(g, g) D's probability that each grid point is real; [i, j] is at (ticks[j], ticks[i])."""
    mesh: np.ndarray
    """(r, c, 2) the image under G of a grid of z (r = 1 for a 1-D z: a curve)."""
    mesh_density: np.ndarray
    """(r - 1, c - 1) density of G's output in each mesh cell ((c - 1,) per segment for a 1-D z); median cell 1."""
    push: np.ndarray
    """(k, 2) -d loss_g / d x at the first k fakes: where the generator's loss pushes each of them."""
    modes: np.ndarray
    """(k, 2) the mode centres the coverage counts (cell centres on continuous datasets)."""
    discrete_modes: bool
    """True when `modes` are the dataset's own Gaussians (ring, grid), False when they are cells."""
    mode_radius: float
    mode_counts: np.ndarray
    """(k,) int64: metric fakes within the radius of each mode."""
    coverage: float
    """Fraction of the modes holding generated points (see `mode_coverage`)."""
    js: float
    """JS divergence in bits between the real sample and the fakes, on a grid."""
    metrics: list[dict[str, float]] = field(default_factory=list)
    """History of {iteration, coverage, js}, one per view so far."""
