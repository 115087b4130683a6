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

`python -m gan.toy` prints the headless iterations/s.
"""

from __future__ import annotations

import argparse
import ast
import functools
import inspect
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from gan.config import ConfigError
from gan.data import IndexSampler
from gan.losses import (discriminator_accuracy, discriminator_loss, generator_loss,
                        least_squares_discriminator_loss)
from gan.models.toy import ToyDiscriminator, ToyGenerator
from gan.train.loop import MAX_SNAPSHOTS, METRICS, Record, TrainingLoop

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
    """One 2-D run. Field docstrings double as the playground's help text."""

    dataset: str = "ring"
    """Real distribution: ring (8 Gaussians), grid (5x5 Gaussians), moons, spiral, line, gaussian, or custom."""
    noise: float = 0.1
    """Standard deviation of the Gaussian noise added to every real point (the width of each mode)."""
    points: tuple[tuple[float, float], ...] = ()
    """The custom dataset's points (x, y), drawn by the user; each real point is one of them plus noise."""
    n_real: int = 2048
    """Size of the real sample the game is played on (drawn once, like a training set)."""

    z_dim: int = 2
    """Length of the noise vector z fed to the generator."""
    z_dist: str = "uniform"
    """Noise prior: 'uniform' on [-1, 1] per coordinate, or standard 'gaussian'."""
    g_layers: int = 2
    """Hidden layers of the generator (0: G is an affine map of z)."""
    g_width: int = 64
    """Units per hidden layer of the generator."""
    g_activation: str = "relu"
    """Activation of the generator's hidden layers."""
    d_layers: int = 2
    """Hidden layers of the discriminator (0: D is a straight line through the plane)."""
    d_width: int = 64
    """Units per hidden layer of the discriminator."""
    d_activation: str = "relu"
    """Activation of the discriminator's hidden layers."""

    optimizer: str = "adam"
    """Optimiser of both networks: 'adam' (beta1 below, beta2 0.999) or plain 'sgd'."""
    lr_g: float = 1e-3
    """Learning rate of the generator."""
    lr_d: float = 1e-3
    """Learning rate of the discriminator."""
    beta1: float = 0.5
    """Adam's beta1 (momentum); unused by SGD."""
    batch_size: int = 256
    """Real points per discriminator update (and fakes per generator update)."""
    d_steps: int = 1
    """k: discriminator updates per generator update."""
    g_loss: str = "non-saturating"
    """'non-saturating' (-log D(G(z))), 'minimax' (log(1 - D(G(z)))) or 'least-squares' (LSGAN, for D too)."""

    iterations: int | None = 20_000
    """Stop after this many iterations (one iteration = k D updates + one G update)."""
    seconds: float | None = None
    """Stop after this much training time, in seconds."""
    seed: int = 0
    """Seed of the data, the weights and the noise: the same seed gives the same run."""
    log_every: int = 10
    """Report the mean losses every this many iterations (when there is no live picture)."""
    view_every_s: float = 0.2
    """Seconds of training between two live pictures (`latest_view`), each with a record; 0 turns them off."""

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
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)} (got {getattr(self, name)!r})")
        for name, (low, high, integer, optional) in _RANGES.items():
            _check_number(name, getattr(self, name), low, high, integer, optional)
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


@functools.cache
def field_help() -> dict[str, str]:
    """Each ToyConfig field's docstring (the string under it): the playground's tooltips."""
    body = ast.parse(inspect.getsource(ToyConfig)).body[0].body
    return {node.target.id: following.value.value for node, following in zip(body, body[1:])
            if isinstance(node, ast.AnnAssign) and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant) and isinstance(following.value.value, str)}


_CHOICES = {"dataset": DATASETS, "z_dist": Z_DISTS, "g_activation": ACTIVATIONS, "d_activation": ACTIVATIONS,
            "optimizer": OPTIMIZERS, "g_loss": G_LOSSES}
_RANGES = {  # name: (low, high, integer, optional); both ends allowed
    "noise": (0.0, 1.0, False, False), "n_real": (16, 100_000, True, False),
    "z_dim": (1, 64, True, False), "g_layers": (0, 5, True, False), "g_width": (1, 512, True, False),
    "d_layers": (0, 5, True, False), "d_width": (1, 512, True, False),
    "lr_g": (1e-6, 1.0, False, False), "lr_d": (1e-6, 1.0, False, False), "beta1": (0.0, 0.999, False, False),
    "batch_size": (1, 4096, True, False), "d_steps": (1, 100, True, False),
    "iterations": (1, 10_000_000, True, True), "seconds": (0.1, 24 * 3600, False, True),
    "seed": (0, 2**63 - 1, True, False), "log_every": (1, 100_000, True, False),
    "view_every_s": (0.0, 60.0, False, False),
}


def _check_number(name: str, value, low: float, high: float, integer: bool, optional: bool) -> None:
    if value is None and optional:
        return
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ConfigError(f"{name} must be {kind} (got {value!r})")
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(f"{name} must be in [{low:g}, {high:g}] (got {value!r})")


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


# ---------------------------------------------------------------------------------------------- the trainer
class ToyTrainer(TrainingLoop):
    """One 2-D run: the two small MLPs, their optimisers, the real sample, and the run's history.

    TrainingLoop supplies the budget, the metric window (`flush`), the live knobs (`set_lr`, `set_d_steps`) and
    the last good state; this class plays the game, keeps the fakes of a fixed z as its snapshots (points, not
    images) and draws the live picture.
    """

    def __init__(self, config: ToyConfig):
        self.config = config.validate()
        self.device = torch.device("cpu")  # nets of a few thousand weights: a GPU would only add launch latency
        data_rng = torch.Generator().manual_seed(config.seed)
        self.real = toy_points(config.dataset, config.n_real, config.noise, data_rng, config.points)
        reference = toy_points(config.dataset, REFERENCE_POINTS, config.noise, data_rng, config.points).numpy()
        self.reference = reference
        self.modes, self.mode_radius = coverage_modes(config.dataset, config.noise, reference)

        torch.manual_seed(config.seed)  # the weights' initialisation
        self.G = ToyGenerator(config)
        self.D = ToyDiscriminator(config)
        self.opt_g = self._optimizer(self.G, config.lr_g)
        self.opt_d = self._optimizer(self.D, config.lr_d)
        self.rng = torch.Generator().manual_seed(config.seed)  # noise
        self.sampler = IndexSampler(len(self.real), config.batch_size, torch.Generator().manual_seed(config.seed + 1),
                                    self.device)
        view_rng = torch.Generator().manual_seed(config.seed + 2)  # the view's fixed noise and real subset
        self.fixed_z = self.G.sample_inputs(VIEW_FAKES, view_rng)
        self.metric_z = self.G.sample_inputs(METRIC_FAKES, view_rng)
        self.view_real = self.real[torch.randperm(len(self.real), generator=view_rng)[:VIEW_REAL]]
        self.z_mesh = self.G.z_grid()
        self.heat_ticks, heat_points = heat_grid()
        self.heat_points = torch.as_tensor(heat_points, dtype=torch.float32)

        self.iteration = 0
        self.elapsed = 0.0
        self.d_steps = config.d_steps
        self.log_every = config.log_every
        self.view_every_s = config.view_every_s
        self.sample_every = 500
        self.history: dict[str, list[float]] = {k: [] for k in ("iteration", "epoch", *METRICS, "its_per_sec")}
        self.metric_history: list[dict[str, float]] = []
        self.events: list[dict] = []
        self.snapshot_iterations: list[int] = []
        self.snapshots: list[torch.Tensor] = []  # (VIEW_FAKES, 2) float32 fakes of the fixed z each
        self.last_fake_logits = torch.empty(0)
        self.latest_view: ToyView | None = None
        self._view_taken = -math.inf
        self._pending_fake: torch.Tensor | None = None
        self._start_loop()
        if self.view_every_s:
            self.refresh_view()

    # ------------------------------------------------------------------ the two players' moves
    def d_step(self, keep_fake_for_g: bool = False) -> None:
        """(1) Update D: tell the real points from G's points."""
        x = self.real[self.sampler.next()]
        z = self.G.sample_inputs(self.config.batch_size, self.rng)
        with torch.set_grad_enabled(keep_fake_for_g):
            fake = self.G(z)
        d_real, d_fake = self.D(x), self.D(fake.detach())
        loss = self._d_loss(d_real, d_fake)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        self._pending_fake = fake if keep_fake_for_g else None
        self._accumulate_d(loss, d_real.detach(), d_fake.detach())

    def g_step(self) -> None:
        """(2) Update G: move its points to where D says "real", with D frozen."""
        fake, self._pending_fake = self._pending_fake, None
        if fake is None:
            fake = self.G(self.G.sample_inputs(self.config.batch_size, self.rng))
        self.D.requires_grad_(False)
        try:
            d_fake = self.D(fake)
            loss = generator_loss(d_fake, self.config.g_loss)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
        finally:
            self.D.requires_grad_(True)
        self.last_fake_logits = d_fake.detach()
        self._g_sum += loss.detach()
        self._g_count += 1

    # ------------------------------------------------------------------ the run (TrainingLoop does the rest)
    def run(self) -> Iterator[Record]:
        """Train until the budget is spent, yielding a Record (the means since the last one) now and then.

        With a live picture (`view_every_s` > 0) a record comes with each new picture, every `view_every_s` seconds
        of training: a caller that pauses between records (the runner's Pause) freezes a picture that shows
        exactly the state trained so far. Without one, a record comes every `log_every` iterations. The picture's
        cost counts as training time, so its_per_sec is what a watched run really gets.
        """
        while not self.finished():
            started = time.perf_counter()
            self.iteration_step()
            done = self.finished()
            if self.view_every_s:
                due = time.perf_counter() - self._view_taken >= self.view_every_s
            else:
                due = self.iteration % self.log_every == 0
            record = self.flush() if done or due else None
            if record is not None and (done or self.iteration - self.snapshot_iterations[-1] >= self.sample_every):
                record.samples = self.take_snapshot()
            self.elapsed += time.perf_counter() - started
            if record is not None:
                record.elapsed = self.elapsed
                yield record

    def flush(self) -> Record | None:
        """The mean numbers since the last record (TrainingLoop.flush), and a fresh picture.

        `run()` flushes by itself; a caller that drives single steps (the runner's Step buttons) calls this after
        each one, so a D-only step shows at once in the heatmap.
        """
        record = super().flush()
        if self.view_every_s:
            self.refresh_view()
        return record

    def _dataset_size(self) -> int:
        return len(self.real)

    def _batches_per_epoch(self) -> int:
        return self.sampler.batches_per_epoch

    # ------------------------------------------------------------------ samples and the picture
    @torch.inference_mode()
    def sample_fixed(self) -> torch.Tensor:
        """G's points for the fixed z, (VIEW_FAKES, 2)."""
        return self.G(self.fixed_z).clone()

    def take_snapshot(self) -> torch.Tensor:
        """Keep the fixed z's fakes for the timeline, and remember this state as good every few seconds."""
        samples = self.sample_fixed()
        self.snapshot_iterations.append(self.iteration)
        self.snapshots.append(samples)
        if len(self.snapshots) > MAX_SNAPSHOTS:  # keep the first and the newest, thin out the middle
            keep = sorted(set(np.linspace(0, len(self.snapshots) - 1, MAX_SNAPSHOTS // 2 + 1).round().astype(int)))
            self.snapshot_iterations = [self.snapshot_iterations[i] for i in keep]
            self.snapshots = [self.snapshots[i] for i in keep]
        if time.perf_counter() - self._good_state_taken >= self.good_state_every_s:
            self._remember_good_state()
        return samples

    def d_probability(self, scores: torch.Tensor) -> torch.Tensor:
        """D's scores as "probability real": sigmoid of a logit, or a least-squares score clipped to [0, 1]."""
        return scores.clamp(0, 1) if self.config.g_loss == "least-squares" else torch.sigmoid(scores)

    def view(self) -> ToyView:
        """The live picture now (call it from the thread that trains, or while nothing trains)."""
        with torch.inference_mode():
            fake = self.G(self.fixed_z)
            metric_fake = self.G(self.metric_z).numpy()
            heat = self.d_probability(self.D(self.heat_points)).reshape(len(self.heat_ticks), -1)
            rows, cols, _ = self.z_mesh.shape
            mesh = self.G(self.z_mesh.reshape(-1, self.G.z_dim)).reshape(rows, cols, 2).numpy()
        push = self._push(fake[:ARROWS])
        counts = mode_counts(metric_fake, self.modes, self.mode_radius)
        coverage = mode_coverage(metric_fake, self.modes, self.mode_radius)
        js = js_divergence(self.reference, metric_fake)
        return ToyView(
            iteration=self.iteration, real=self.view_real.numpy(), fake=fake.numpy().astype(np.float32),
            ticks=self.heat_ticks.astype(np.float32), d_heat=heat.numpy().astype(np.float32),
            mesh=mesh.astype(np.float32), mesh_density=mesh_density(mesh).astype(np.float32), push=push,
            modes=self.modes.astype(np.float32), discrete_modes=dataset_modes(self.config.dataset) is not None,
            mode_radius=self.mode_radius, mode_counts=counts,
            coverage=coverage, js=js, metrics=list(self.metric_history))

    def refresh_view(self) -> ToyView:
        """Compute the picture, log its distances, and publish it as `latest_view` (one atomic assignment)."""
        view = self.view()
        if not self.metric_history or self.metric_history[-1]["iteration"] != view.iteration:
            self.metric_history.append({"iteration": view.iteration, "coverage": view.coverage, "js": view.js})
        view.metrics = list(self.metric_history)
        self.latest_view = view
        self._view_taken = time.perf_counter()
        return view

    def _push(self, fake: torch.Tensor) -> np.ndarray:
        """-d loss_g / d x for each fake x on its own (the loss summed, not averaged, over the points)."""
        x = fake.detach().clone().requires_grad_(True)
        self.D.requires_grad_(False)
        try:
            loss = generator_loss(self.D(x), self.config.g_loss) * len(x)
            (grad,) = torch.autograd.grad(loss, x)
        finally:
            self.D.requires_grad_(True)
        return (-grad).numpy().astype(np.float32)

    # ------------------------------------------------------------------ checkpoint state
    def state_dict(self) -> dict:
        """Everything needed to resume this run; plain containers and tensors only (weights_only-safe)."""
        return {
            "kind": "toy",
            "config": self.config.to_dict(),
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "iteration": self.iteration,
            "elapsed": self.elapsed,
            "d_steps": self.d_steps,
            "sampler": self.sampler.state_dict(),
            "rng": self.rng.get_state(),
            "history": self.history,
            "metric_history": self.metric_history,
            "events": self.events,
        }

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.iteration = int(state["iteration"])
        self.elapsed = float(state["elapsed"])
        self.d_steps = int(state["d_steps"])
        self.sampler.load_state_dict(state["sampler"])
        self.rng.set_state(state["rng"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.metric_history = [dict(m) for m in state["metric_history"]]
        self.events = [dict(e) for e in state["events"]]
        self._reset_window()
        self._remember_good_state()

    # ------------------------------------------------------------------ internals
    def _optimizer(self, net: nn.Module, lr: float) -> torch.optim.Optimizer:
        if self.config.optimizer == "sgd":
            return torch.optim.SGD(net.parameters(), lr=lr)
        # fused Adam: one kernel for all parameters instead of a loop of small ops (these nets are all overhead)
        return torch.optim.Adam(net.parameters(), lr=lr, betas=(self.config.beta1, 0.999), fused=True)

    def _d_loss(self, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
        if self.config.g_loss == "least-squares":
            return least_squares_discriminator_loss(d_real, d_fake)
        return discriminator_loss(d_real, d_fake)

    def _accumulate_d(self, loss: torch.Tensor, d_real: torch.Tensor, d_fake: torch.Tensor) -> None:
        # least squares: the boundary between "fake" (0) and "real" (1) is a score of 0.5, not a logit of 0
        shift = 0.5 if self.config.g_loss == "least-squares" else 0.0
        acc_real, acc_fake = discriminator_accuracy(d_real - shift, d_fake - shift)
        self._d_sum += torch.stack((loss.detach(), acc_real, acc_fake,
                                    self.d_probability(d_real).mean(), self.d_probability(d_fake).mean()))
        self._d_count += 1


def mesh_density(mesh: np.ndarray) -> np.ndarray:
    """Relative density of G's output over each cell of the z grid's image: 1 / area (1 / length for a curve).

    Every cell of the z grid holds the same prior mass (see `ToyGenerator.z_grid`), so a cell that G squeezes into
    a small area is dense and one it stretches is sparse. Normalised so that the median cell is 1; areas are
    floored so that a cell folded flat reads as very dense, not infinite.
    """
    mesh = mesh.astype(np.float64)
    if mesh.shape[0] == 1:  # a curve: segment lengths
        size = np.linalg.norm(np.diff(mesh[0], axis=0), axis=-1)
    else:  # quads (a, b, c, d) = corners in order; area by the shoelace formula on the two triangles' diagonal
        a, b = mesh[:-1, :-1], mesh[:-1, 1:]
        c, d = mesh[1:, 1:], mesh[1:, :-1]
        cross = lambda u, v: u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]  # noqa: E731
        size = 0.5 * np.abs(cross(c - a, d - b))
    floor = max(float(np.median(size)) * 1e-3, 1e-9)
    density = 1.0 / np.maximum(size, floor)
    return density / np.median(density)


# ---------------------------------------------------------------------------------------------- lessons
@dataclass(frozen=True)
class ToyLesson:
    """One entry of the playground's preset picker."""

    name: str
    summary: str
    """What to watch for."""
    config: ToyConfig
    focus: tuple[str, ...] = ()
    """The fields this lesson is about."""


def smiley(spacing: float = 0.2) -> tuple[tuple[float, float], ...]:
    """The "draw your own" preset's starting picture: two eyes and a smile, on the drawing canvas' grid."""
    eyes = [(x + dx, 0.8 + dy) for x in (-0.8, 0.8) for dx in (-spacing, 0.0, spacing) for dy in (0.0, spacing)]
    angles = np.linspace(np.pi * 1.15, np.pi * 1.85, 11)
    mouth = [(1.6 * math.cos(a), 1.6 * math.sin(a) + 0.2) for a in angles]
    def snap(v: float) -> float:
        return round(round(v / spacing) * spacing, 3)

    return tuple(sorted({(snap(x), snap(y)) for x, y in eyes + mouth}))


# The figures in the comments are from seed-0 CPU runs (python -m gan.toy; tests/test_toy.py checks the first).
LESSONS: dict[str, ToyLesson] = {
    # Mode coverage 8/8 by iteration ~1,500 (seeds 0-2), JS divergence ~0.2 by 3,000.
    "ring": ToyLesson(
        name="Ring of 8 Gaussians",
        summary=("The classic test of a GAN. Watch the fakes leave the centre, the arrows pull them towards the "
                 "green (real) regions of D's map, and the fakes spread until all eight modes hold some."),
        config=ToyConfig().validate(),
    ),
    # Coverage 0-1 of 8 from start to the end of 4,000-iteration runs (seeds 0, 1): one clump hopping between
    # modes. Setting lr_d to lr_g (1e-3) live at iteration 2,000 gives 8/8 by ~5,000.
    "mode-collapse": ToyLesson(
        name="Mode collapse on the ring",
        summary=("G learns 40x faster than D, so it rushes all its points to wherever D's nearly flat map says "
                 "'real' right now: the fakes squeeze into one clump that drifts from mode to mode, and the "
                 "coverage stays at 0 or 1 of 8. Set lr_d to lr_g (1e-3) live and watch them spread."),
        config=ToyConfig(lr_g=2e-3, lr_d=5e-5).validate(),
        focus=("lr_g", "lr_d"),
    ),
    # Until the fix: D right on 100 % of the fakes, D(G(z)) ~0.12, the fakes one clump on one mode (coverage 1/8).
    # Lowering lr_d to 1e-4 and d_steps to 1 live at iteration 2,000 gives 7/8 by 4,000.
    "strong-d": ToyLesson(
        name="Discriminator too strong",
        summary=("A deeper, wider D that learns 10x faster and takes 5 steps per G step: its map turns sharp, it "
                 "spots every fake, and G's points huddle in one clump that D keeps rejecting. Lower lr_d and "
                 "d_steps live and watch G come back."),
        config=ToyConfig(d_layers=3, d_width=128, d_steps=5, lr_d=3e-3, lr_g=3e-4).validate(),
        focus=("d_layers", "d_width", "d_steps", "lr_d", "lr_g"),
    ),
    # Plain SGD, so gradient sizes matter (Adam would rescale them). Minimax: D(G(z)) < 0.001 and arrows of length
    # ~0 from iteration 500 on, the fakes never leave the centre (coverage 0). Non-saturating, same knobs: arrows
    # ~1-6 long and the fakes reach 3-4 modes.
    "saturating": ToyLesson(
        name="Saturating loss: the arrows vanish",
        summary=("The original minimax loss log(1 − D(G(z))) against a fast D, with plain SGD: D quickly calls "
                 "the fakes fake, where that loss is flat, so the arrows shrink to nothing and the fakes never "
                 "leave the centre. Switch g_loss to non-saturating and start again."),
        config=ToyConfig(optimizer="sgd", g_loss="minimax", lr_d=0.1, lr_g=0.02, d_steps=5).validate(),
        focus=("g_loss", "optimizer", "lr_d", "d_steps"),
    ),
    "grid": ToyLesson(
        name="5x5 grid of Gaussians",
        summary="25 modes: harder than the ring. The coverage fills quickly; the JS divergence shows how sharp.",
        config=ToyConfig(dataset="grid").validate(),
    ),
    "draw": ToyLesson(
        name="Draw your own data",
        summary=("Click, box- or lasso-select points on the canvas (under Data) to draw the real distribution, "
                 "then press Start."),
        config=ToyConfig(dataset="custom", points=smiley(), noise=0.05).validate(),
        focus=("points",),
    ),
}


def lesson(slug: str) -> ToyLesson:
    if slug not in LESSONS:
        raise ConfigError(f"preset must be one of {', '.join(LESSONS)} (got {slug!r})")
    return LESSONS[slug]


# ---------------------------------------------------------------------------------------------- python -m gan.toy
def headless_its(config: ToyConfig, seconds: float) -> tuple[float, float]:
    """(iterations/s, final mode coverage) of `config` trained for about `seconds`, after a short warm-up."""
    trainer = ToyTrainer(config.replace(iterations=10**7))
    records = trainer.run()
    next(records)
    first, started = trainer.iteration, time.perf_counter()
    while time.perf_counter() - started < seconds:
        next(records)
    its = (trainer.iteration - first) / (time.perf_counter() - started)
    return its, trainer.view().coverage


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gan.toy", description="Headless iterations/s of the 2-D "
                                     "playground's trainer, with and without its live picture.")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--preset", choices=list(LESSONS), default="ring")
    args = parser.parse_args(argv)
    config = lesson(args.preset).config
    for label, view_every in (("live picture every 0.2 s", 0.2), ("no live picture", 0.0)):
        its, coverage = headless_its(config.replace(view_every_s=view_every), args.seconds)
        print(f"{args.preset}, {label:<26} {its:8.1f} it/s   (mode coverage at the end: {coverage:.0%})")


if __name__ == "__main__":
    main()
