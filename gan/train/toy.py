"""The 2-D playground's trainer: the game of gan.toy's two small MLPs, and the live picture of it (`ToyView`).

`python -m gan.train.toy` prints the headless iterations/s, with and without the live picture.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from torch import nn

from gan.data import IndexSampler
from gan.device import PrecisionChoice
from gan.losses import (discriminator_accuracy, discriminator_loss, generator_loss, gradient_penalty,
                        least_squares_discriminator_loss)
from gan.models import with_spectral_norm
from gan.models.toy import ToyDiscriminator, ToyGenerator
from gan.train.loop import METRICS, Record, TrainingLoop
from gan.toy import (ARROWS, METRIC_FAKES, REFERENCE_POINTS, VIEW_FAKES, VIEW_REAL, ToyConfig, ToyView, coverage_modes,
                     dataset_modes, heat_grid, js_divergence, mode_counts, mode_coverage, toy_points)
from gan.presets.playground import LESSONS, lesson


# ---------------------------------------------------------------------------------------------- the trainer
class ToyTrainer(TrainingLoop):
    """One 2-D run: the two small MLPs, their optimisers, the real sample, and the run's history.

    TrainingLoop supplies the budget, the metric window (`flush`), the live knobs (`set_lr`, `set_d_steps`) and
    the last good state; this class plays the game, keeps the fakes of a fixed z as its snapshots (points, not
    images) and draws the live picture.
    """

    G: ToyGenerator

    def __init__(self, config: ToyConfig):
        self.config = config.validate()
        self.device = torch.device("cpu")  # nets of a few thousand weights: a GPU would only add launch latency
        self.precision = PrecisionChoice("fp32", "fp32: the 2-D game's nets are too small for bf16 to pay")
        data_rng = torch.Generator().manual_seed(config.seed)
        self.real = toy_points(config.dataset, config.n_real, config.noise, data_rng, config.points)
        reference = toy_points(config.dataset, REFERENCE_POINTS, config.noise, data_rng, config.points).numpy()
        self.reference = reference
        self.modes, self.mode_radius = coverage_modes(config.dataset, config.noise, reference)

        torch.manual_seed(config.seed)  # the weights' initialisation
        self.G = ToyGenerator(config)
        self.D = ToyDiscriminator(config)
        if config.spectral_norm:
            with_spectral_norm(self.D)
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
        self.latest_view = None  # a ToyView once the first picture is drawn
        self._view_taken = -math.inf
        self._pending_fake: torch.Tensor | None = None
        self._start_loop()
        if self.view_every_s:
            self.refresh_view()

    # ------------------------------------------------------------------ the two players' moves
    def d_step(self, keep_fake_for_g: bool = False) -> None:
        """(1) Update D: tell the real points from G's points."""
        cfg = self.config
        x = self.real[self.sampler.next()].requires_grad_(cfg.r1 > 0)  # indexing copies: a leaf R1 can differentiate at
        z = self.G.sample_inputs(cfg.batch_size, self.rng)
        with torch.set_grad_enabled(keep_fake_for_g):
            fake = self.G(z)
        d_real, d_fake = self.D(x), self.D(fake.detach())
        loss = self._d_loss(d_real, d_fake)
        penalty = cfg.r1 / 2 * gradient_penalty(d_real, x) if cfg.r1 else 0.0
        self.opt_d.zero_grad(set_to_none=True)
        (loss + penalty).backward()
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

    # ------------------------------------------------------------------ the run (TrainingLoop.run, with these)
    # With a live picture (`view_every_s` > 0) a record comes with each new picture, every `view_every_s` seconds of
    # training: a caller that pauses between records (the runner's Pause) freezes a picture that shows exactly the
    # state trained so far. Without one, a record comes every `log_every` iterations. The picture's cost counts as
    # training time, so its_per_sec is what a watched run really gets.
    def _record_due(self) -> bool:
        if self.view_every_s:
            return time.perf_counter() - self._view_taken >= self.view_every_s
        return self.iteration % self.log_every == 0

    def _snapshot_due(self) -> bool:
        return self.iteration - self.snapshot_iterations[-1] >= self.sample_every

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

    def _kept(self, samples: torch.Tensor) -> torch.Tensor:
        return samples  # points in the plane, not images

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
    def _own_state(self) -> dict:
        return {"sampler": self.sampler.state_dict(), "rng": self.rng.get_state(),
                "metric_history": self.metric_history}

    def _load_own_state(self, state: dict) -> None:
        self.sampler.load_state_dict(state["sampler"])
        self.rng.set_state(state["rng"])
        self.metric_history = [dict(m) for m in state["metric_history"]]

    def _architecture(self) -> str:
        return f"the 2-D game's nets, z of {self.config.z_dim}"

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


# ---------------------------------------------------------------------------------------------- python -m gan.train.toy
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
    parser = argparse.ArgumentParser(prog="python -m gan.train.toy", description="Headless iterations/s of the 2-D "
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
