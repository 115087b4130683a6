"""The GAN training loop: `d_step`, `g_step`, and `GANTrainer.run()`, one generator of plain records.

The CLI, the Train page, the Compare page and the tests all consume `run()`. It never prints and knows nothing of
any UI. Between two records the caller may stop (just stop iterating), change the learning rates or the number of
D steps (`set_lr`, `set_d_steps`), or drive single updates itself (`d_step`, `g_step`, `iteration_step`).

Speed (see `python -m benchmarks.engine`): the whole training set lives on the device as one tensor and batches are
drawn by index; noise comes from a device-side generator; the metrics are summed on the device and read back only
every `log_every` iterations, so CUDA never waits on the host; the fakes of the last D step are reused for the G
step (G is unchanged in between, so they are exactly what a fresh G(z) with the same z would give); D's
weights are frozen during the G step, so no weight gradient is computed that would be thrown away; a D without
BatchNorm (the MLP GAN's) judges the real and the fake batch in one pass, since each image's logit depends on that
image alone (the same numbers from bigger, faster matmuls); and convolutional nets run channels-last on the CPU and
CUDA, the layout oneDNN's and cuDNN's fastest convolutions use. `tests/gan/test_engine.py` checks that all of it
gives the losses and weights of a straightforward loop.

The modern GAN lab (issue 15) plays in the same two moves: `objective` picks D's and G's losses (gan.losses), the
penalties (R1, R2, WGAN-GP) are added to D's loss on the batch it just judged, DiffAugment transforms every batch D
sees in both moves, spectral norm lives in D itself (gan.models), and `data_fraction` trains on a share of the digits
and keeps the rest to measure memorisation (`memorisation()`). With all of them at their defaults the loop is the
seeds' game, number for number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from contextlib import AbstractContextManager, contextmanager

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel

from gan.augment import diff_augment, parse_policy
from gan.checkpoint import load_weights
from gan.config import CONDITIONAL_ARCHS, Config
from gan.data import IndexSampler, load_dataset, split_fraction, to_training_tensor
from gan.device import autocast, choose_precision, resolve_device
from gan.imaging import to_uint8
from gan.losses import (d_objective, d_objective_parts, discriminator_accuracy, g_objective, gradient_penalty,
                        wgan_gradient_penalty)
from gan.models import NoiseGenerator, build_discriminator, build_generator
from gan.models.cgan import CGANGenerator

from gan.train.loop import DETAIL_METRICS, METRICS, Record, TrainingLoop

HELD_OUT_SCORED = 500  # held-out and training digits D is scored on for the memorisation measure
# Objectives that see only differences of D's scores: adding a constant changes nothing, so "D calls it real" is
# measured against the midpoint of the real and the fake batch's mean scores rather than against 0.
SHIFT_INVARIANT = ("wasserstein", "relativistic")
WALK_SHOWN = 8  # real digits and fakes the walk through an iteration shows, with D's score on each


Batch = tuple[torch.Tensor, tuple[torch.Tensor, ...]]  # (index of the real digits, G's inputs (z,) or (z, y))


class GANTrainer(TrainingLoop):
    """Owns one run: the two networks, their optimisers, the data on the device, and the run's history."""

    G: NoiseGenerator
    G_ema: AveragedModel | None
    real_labels: torch.Tensor | None

    def __init__(self, config: Config, images: np.ndarray | None = None, device: torch.device | str | None = None,
                 labels: np.ndarray | None = None):
        self.config = config.validate()
        self.device = torch.device(device) if device is not None else resolve_device(config.device)
        self.precision = choose_precision(config.precision, self.device)  # 'auto' -> what this hardware runs natively
        self.conditional = config.arch in CONDITIONAL_ARCHS
        if images is None:
            images, labels = load_dataset(config.dataset, config.image_size, config.image_folder, config.data_dir,
                                          download=config.download)
        self._set_up_data(np.asarray(images), None if labels is None else np.asarray(labels))
        if len(self.real) < config.batch_size:
            raise ValueError(f"batch_size {config.batch_size} is larger than the {self.game_data} "
                             f"({len(self.real)} images)")

        torch.manual_seed(config.seed)  # the weights' initialisation
        self._build_players()
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)  # noise
        # The data order has a generator of its own: two runs with the same seed see the same batches in the same
        # order whatever their architecture draws from `rng` (the Compare page's races rely on it).
        self.data_rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.sampler = IndexSampler(len(self.real), config.batch_size, self.data_rng, self.device)
        self._set_up_augmentation()
        cpu_rng = torch.Generator().manual_seed(config.seed)  # fixed noise: the same on every device
        self.fixed_inputs = tuple(t.to(self.device) for t in self._fixed_inputs(config.n_samples, cpu_rng))

        self.iteration = 0
        self.elapsed = 0.0
        self.d_steps = config.d_steps
        self.pretrained = config.d_pretrain_steps == 0
        self.history = {k: [] for k in ("iteration", "epoch", *METRICS, "its_per_sec", *DETAIL_METRICS)}
        self.events = []  # live changes of hyperparameters, marked on the curves
        self.snapshot_iterations = []
        self.snapshots = []  # uint8 (n, 1, 28, 28) each
        self.last_fake_logits = torch.empty(0)  # D's logits on the last G step's fakes ("Why -log D?" panel)
        self.log_every = config.log_every or (1 if self.device.type == "cpu" else 25)
        self._pending_fake: tuple | None = None
        self._start_loop()

    game_data = "dataset"  # what the GAN game trains on, as the batch-size error names it
    measures_details = True  # the loss's parts and the gradients' norms (DETAIL_METRICS): the curves' maths

    @property
    def _autocast(self) -> AbstractContextManager:
        """The forward passes' precision context, a fresh one each time: one torch.autocast entered twice (nested, as
        a measured step judges inside its own context) restores "enabled" on the way out, and the thread then ran
        everything after it, the playground's nets included, in bf16."""
        return autocast(self.precision, self.device)

    def _set_up_data(self, images: np.ndarray, labels: np.ndarray | None) -> None:
        """The real digits of the game on the device (`real`, with `real_labels` for a conditional GAN), and the
        held-out digits of `data_fraction` (`unseen_real`, `unseen_labels`)."""
        config = self.config
        if self.conditional and labels is None:
            raise ValueError(f"the {config.arch} GAN is told which digit to draw: it needs the images' labels")
        train_index, held_out_index = split_fraction(labels, len(images), config.data_fraction, config.seed)
        # Real digits D never trains on (data_fraction < 1): its accuracy on them shows whether it memorises.
        held_out_index = _evenly_spaced(held_out_index, HELD_OUT_SCORED)  # every class, if the data is in class order
        self.unseen_real = to_training_tensor(images[held_out_index], self.device) if len(held_out_index) else None
        self.unseen_labels = torch.tensor(np.asarray(labels)[held_out_index], dtype=torch.long, device=self.device) \
            if self.conditional and len(held_out_index) else None
        self.real = to_training_tensor(images[train_index], self.device)  # (N, 1, 28, 28) in [-1, 1], on the device
        # (N,) int64 on the device; only conditional GANs use them
        self.real_labels = torch.tensor(np.asarray(labels)[train_index], dtype=torch.long, device=self.device) \
            if self.conditional else None

    def _build_players(self) -> None:
        """G and D (in the fast layout), their optimisers, and G's moving average where `g_ema` asks for one."""
        config = self.config
        self.G = build_generator(config).to(self.device)
        self.D = build_discriminator(config).to(self.device)
        self._use_fast_layout()
        self.opt_g = self._adam(self.G, config.lr_g)
        self.opt_d = self._adam(self.D, config.lr_d)
        # The moving average of G's weights and BatchNorm statistics, None when g_ema is 0
        self._ema_update = WarmingUpEMA(config.g_ema)
        self.G_ema = AveragedModel(self.G, multi_avg_fn=self._ema_update, use_buffers=True) if config.g_ema else None

    @classmethod
    def from_checkpoint(cls, state: dict, images: np.ndarray | None = None,
                        device: torch.device | str | None = None, **budget) -> GANTrainer:
        """Resume a checkpoint's run; `budget` may change only how long it runs and how often it reports."""
        config = cls._resumed_config(state, budget)
        trainer = cls(config, images=images, device=device)
        trainer.load_state_dict(state)
        return trainer

    # ------------------------------------------------------------------ the two players' moves
    def d_step(self, keep_fake_for_g: bool = False, batch: Batch | None = None) -> None:
        """(1) Update D on one real and one fake batch: the seeds' maximise log D(x) + log(1 - D(G(z))), or the
        objective and penalties the config asks for. `batch`: the real digits' index and G's inputs to use."""
        cfg = self.config
        index, z = batch or self._draw_batch()
        x, real_condition = self.real[index], self._condition(index)
        fake_condition = z[1:]  # a conditional G's labels: D judges each fake against the digit it was asked for
        with torch.set_grad_enabled(keep_fake_for_g), self._autocast:
            fake = self.G(*z)
        # What D sees: augmented copies (DiffAugment), leaves of the graph where a penalty differentiates D at them.
        x_seen = self._augment(x).requires_grad_(cfg.r1 > 0)
        fake_seen = self._augment(fake.detach()).requires_grad_(cfg.r2 > 0)
        d_real, d_fake = self._judge(x_seen, fake_seen, real_condition, fake_condition)
        loss_real, loss_fake = d_objective_parts(cfg.objective, d_real, d_fake, cfg.label_smoothing)
        loss = loss_real + loss_fake
        penalty = self._penalty(d_real, d_fake, x_seen, fake_seen, real_condition)
        self.opt_d.zero_grad(set_to_none=True)
        (loss + penalty).backward()
        grad_norm = _gradient_norm(self.D)
        self.opt_d.step()
        self._pending_fake = (fake, fake_condition, x, real_condition) if keep_fake_for_g else None
        self._accumulate_d(loss, d_real, d_fake)
        penalty = penalty.detach().float() if isinstance(penalty, torch.Tensor) else torch.zeros_like(grad_norm)
        self._d_detail_sum += torch.stack((loss_real.detach(), loss_fake.detach(), penalty, grad_norm))

    def g_step(self, batch: Batch | None = None) -> None:
        """(2) Update G: make D call its fakes real, with D frozen. `batch`: as in d_step (its real digits serve the
        relativistic objective)."""
        cfg = self.config
        pending = self._pending_fake
        self._pending_fake = None
        if pending is None or batch is not None:
            index, z = batch or (None, self.G.sample_inputs(cfg.batch_size, self.rng, self.device))
            with self._autocast:
                fake = self.G(*z)
            pending = (fake, z[1:], self.real[index], self._condition(index)) if index is not None \
                else (fake, z[1:], None, ())
        fake, fake_condition, x, real_condition = pending
        self.D.requires_grad_(False)
        try:
            if cfg.objective == "relativistic":  # G's fakes are judged against a real batch
                if x is None:
                    index = self.sampler.next()
                    x, real_condition = self.real[index], self._condition(index)
                d_real, d_fake = self._judge(self._augment(x), self._augment(fake), real_condition, fake_condition)
            else:
                d_real = None
                with self._autocast:
                    d_fake = self.D(self._augment(fake), *fake_condition).float()
            loss = g_objective(cfg.objective, d_fake, d_real, cfg.g_loss)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self._g_detail_sum += _gradient_norm(self.G)
            self.opt_g.step()
        finally:
            self.D.requires_grad_(True)
        if self.G_ema is not None:
            self._ema_update.update(self.G_ema, self.G)
        self.last_fake_logits = d_fake.detach()
        self._g_sum += loss.detach()
        self._g_count += 1

    def measured_step(self, kind: str) -> dict[str, dict[str, float]] | None:
        """A D-only or G-only step on a batch drawn here, judged the same way just before and just after it."""
        batch = self._draw_batch()
        before = self._judge_batch(batch)
        (self.d_step if kind == "d" else self.g_step)(batch=batch)
        return {"before": before, "after": self._judge_batch(batch)}

    def walk_iteration(self, shown: int = WALK_SHOWN) -> dict[str, Any]:
        """One iteration (one D update, then one G update) on one batch, with what each of its parts saw, for the
        Train page's walk through an iteration: G draws the batch's fakes; D judges real and fake; D's loss and
        update; G's loss and update. `shown` of the batch's real digits and fakes come back as uint8 images with
        D's score on each, before and after each update (judged as training sees them, running statistics kept)."""
        batch = self._draw_batch()
        index, z = batch
        shown_z = tuple(part[:shown] for part in z)
        before = self._judge_batch(batch)
        reals, fakes, p_real, p_fake = self._judge_shown(index[:shown], shown_z)
        self.d_step(batch=batch)
        d_grad_norm = _gradient_norm(self.D).item()  # the gradients stay on the weights until the next update
        after_d = self._judge_batch(batch)
        _, _, p_real_after_d, p_fake_after_d = self._judge_shown(index[:shown], shown_z)
        self.g_step(batch=batch)
        g_grad_norm = _gradient_norm(self.G).item()
        after_g = self._judge_batch(batch)
        _, fakes_after_g, _, p_fake_after_g = self._judge_shown(index[:shown], shown_z)
        self.iteration += 1  # one iteration, as iteration_step counts it (with one D update, whatever d_steps is)
        return {"before": before, "after_d": after_d, "after_g": after_g, "reals": reals, "fakes": fakes,
                "fakes_after_g": fakes_after_g, "p_real": p_real, "p_fake": p_fake, "p_real_after_d": p_real_after_d,
                "p_fake_after_d": p_fake_after_d, "p_fake_after_g": p_fake_after_g, "d_grad_norm": d_grad_norm,
                "g_grad_norm": g_grad_norm}

    @torch.no_grad()
    def _judge_shown(self, index: torch.Tensor, z: tuple) -> tuple[Any, Any, list[float], list[float]]:
        """The real digits at `index` and G's fakes of `z` as uint8 images, with D's score ("real") for each."""
        x, real_condition = self.real[index], self._condition(index)
        with _running_stats_kept(self.G, self.D), self._autocast:
            fake = self.G(*z)
            d_real, d_fake = self._judge(x, fake, real_condition, z[1:])
        shown_real, shown_fake = self._centred(d_real, d_fake)
        return (to_uint8(x.float().cpu()).numpy(), to_uint8(fake.float().cpu()).numpy(),
                torch.sigmoid(shown_real).flatten().tolist(), torch.sigmoid(shown_fake).flatten().tolist())

    def _draw_batch(self) -> Batch:
        return self.sampler.next(), self.G.sample_inputs(self.config.batch_size, self.rng, self.device)

    @torch.no_grad()
    def _judge_batch(self, batch: Batch) -> dict[str, float]:
        """D's and G's losses, D(x) and D(G(z)) on `batch`, as training sees them (BatchNorm on the batch, no
        augmentation or penalty), leaving every running statistic as it was."""
        cfg = self.config
        index, z = batch
        x, real_condition = self.real[index], self._condition(index)
        with _running_stats_kept(self.G, self.D), self._autocast:
            d_real, d_fake = self._judge(x, self.G(*z), real_condition, z[1:])
        d_loss = d_objective(cfg.objective, d_real, d_fake, cfg.label_smoothing)
        g_loss = g_objective(cfg.objective, d_fake, d_real if cfg.objective == "relativistic" else None, cfg.g_loss)
        shown_real, shown_fake = self._centred(d_real, d_fake)
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "d_real": torch.sigmoid(shown_real).mean().item(),
                "d_fake": torch.sigmoid(shown_fake).mean().item()}

    def pretrain_d(self, steps: int) -> None:
        """Seed 002: teach D real digits vs uniform noise before the game starts."""
        for _ in range(steps):
            index = self.sampler.next()
            x, condition = self.real[index], self._condition(index)
            noise = torch.rand(x.shape, generator=self.rng, device=self.device) * 2 - 1
            d_real, d_fake = self._judge(x, noise, condition, condition)
            loss = d_objective(self.config.objective, d_real, d_fake, self.config.label_smoothing)
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_d.step()
        self.pretrained = True

    # ------------------------------------------------------------------ TrainingLoop hooks
    def _dataset_size(self) -> int:
        return len(self.real)

    def _batches_per_epoch(self) -> int:
        return self.sampler.batches_per_epoch

    def _warm_up(self) -> None:
        if not self.pretrained:
            self.pretrain_d(self.config.d_pretrain_steps)

    # ------------------------------------------------------------------ samples
    @property
    def shown_generator(self) -> torch.nn.Module:
        """The generator that draws what is shown and saved: the moving average of G's weights when `g_ema` is on,
        G itself otherwise."""
        return self.G if self.G_ema is None else self.G_ema.module

    def sample_fixed(self) -> torch.Tensor:
        """The fixed noise batch's images, in eval mode (BatchNorm's running statistics, no side effects)."""
        return self._sample(self.shown_generator)

    def _on_snapshot(self) -> None:
        """With a moving average shown, the live G's grid of the same noise too (`live_samples`), drawn here in the
        training thread so that a UI never runs the networks while they train."""
        if self.G_ema is not None:
            self.live_samples = self._sample(self.G)

    @torch.inference_mode()
    def _sample(self, G: torch.nn.Module) -> torch.Tensor:
        was_training = G.training
        G.eval()
        try:
            return G(*self.fixed_inputs).float().cpu()
        finally:
            G.train(was_training)

    # ------------------------------------------------------------------ checkpoint state
    def _own_state(self) -> dict:
        return {
            **({} if self.G_ema is None else {"generator_ema": self.G_ema.state_dict()}),
            "pretrained": self.pretrained,
            "sampler": self.sampler.state_dict(),  # holds data_rng's state
            "rng": self.rng.get_state(),
            "augment_rng": self.augment_rng.get_state(),
            "fixed_inputs": list(self.fixed_inputs),
        }

    def _load_own_state(self, state: dict) -> None:
        """The same moving average, data order, noise stream and fixed noise."""
        if self.G_ema is not None:
            load_weights(self.G_ema, state["generator_ema"], "averaged generator", self._architecture())
            self._ema_update.resume(self.G_ema)
        self.pretrained = bool(state["pretrained"])
        self.sampler.load_state_dict(state["sampler"])  # restores data_rng (older checkpoints: a copy of rng)
        self.rng.set_state(state["rng"].cpu())
        if "augment_rng" in state:  # checkpoints from before DiffAugment have none (and needed none)
            self.augment_rng.set_state(state["augment_rng"].cpu())
        self.fixed_inputs = tuple(t.to(self.device) for t in state["fixed_inputs"])

    # ------------------------------------------------------------------ internals
    def _judge(self, real: torch.Tensor, fake: torch.Tensor, real_condition: tuple, fake_condition: tuple
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's float32 logits on a real and a fake batch.

        Two passes where D has BatchNorm, so that it normalises an all-real and then an all-fake batch (the seeds'
        semantics, running statistics included); one pass over both where D judges each image alone.
        """
        with self._autocast:
            if getattr(self.D, "judges_each_image_alone", False):
                conditions = (torch.cat(pair) for pair in zip(real_condition, fake_condition))
                return self.D(torch.cat((real, fake)), *conditions).float().chunk(2)
            return self.D(real, *real_condition).float(), self.D(fake, *fake_condition).float()

    def _use_fast_layout(self) -> None:
        """Channels-last weights and data for convolutional nets on the CPU and CUDA (DCGAN fp32 on a 2-core CPU:
        +4-12 %, `python -m benchmarks.engine`); MPS and the MLP keep the default layout."""
        convolutional = any(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
                            for net in (self.G, self.D) for m in net.modules())
        if convolutional and self.device.type in ("cpu", "cuda"):
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
            self.real = self.real.contiguous(memory_format=torch.channels_last)

    def _adam(self, net: torch.nn.Module, lr: float) -> torch.optim.Adam:
        cfg = self.config
        # fused Adam: one kernel for all parameters instead of a loop of small ops (the MLP GAN is overhead-bound)
        fused = self.device.type in ("cpu", "cuda")
        return torch.optim.Adam(net.parameters(), lr=lr, betas=(cfg.beta1, cfg.beta2), fused=fused)

    def _condition(self, index: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """What D is told besides the image: the real digits' labels for a conditional GAN, nothing otherwise."""
        return (self.real_labels[index],) if self.real_labels is not None else ()

    def _fixed_inputs(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        """The fixed noise batch; a conditional G gets one row per class, so the live grid reads 0 to 9 (or the
        shapes in order)."""
        if isinstance(self.G, CGANGenerator):
            return self.G.grid_inputs(max(1, n // self.G.n_classes), generator)
        return self.G.sample_inputs(n, generator)

    def _accumulate_d(self, loss: torch.Tensor, d_real: torch.Tensor, d_fake: torch.Tensor) -> None:
        d_real, d_fake = self._centred(d_real.detach(), d_fake.detach())
        acc_real, acc_fake = discriminator_accuracy(d_real, d_fake)
        self._d_sum += torch.stack((loss.detach(), acc_real, acc_fake,
                                    torch.sigmoid(d_real).mean(), torch.sigmoid(d_fake).mean()))
        self._d_count += 1

    def _centred(self, d_real: torch.Tensor, d_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits as the curves show them: objectives blind to a shift of all of D's outputs are centred first."""
        if self.config.objective not in SHIFT_INVARIANT:
            return d_real, d_fake
        middle = (d_real.mean() + d_fake.mean()) / 2
        return d_real - middle, d_fake - middle

    def _set_up_augmentation(self) -> None:
        cfg = self.config
        self.augment_policy = parse_policy("" if cfg.diffaugment == "off" else cfg.diffaugment)
        # Augmentations draw from a generator of their own, so turning them on leaves the noise stream unchanged.
        self.augment_rng = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        """DiffAugment's view of a batch (real or fake alike); the batch itself when it is off."""
        return diff_augment(images, self.augment_policy, self.augment_rng) if self.augment_policy else images

    def _penalty(self, d_real: torch.Tensor, d_fake: torch.Tensor, real: torch.Tensor, fake: torch.Tensor,
                 real_condition: tuple) -> torch.Tensor | float:
        """D's gradient penalties on the batch it just judged: R1 (reals), R2 (fakes), WGAN-GP (in between)."""
        cfg = self.config
        penalty = 0.0
        if cfg.r1:
            penalty = penalty + cfg.r1 / 2 * gradient_penalty(d_real, real)
        if cfg.r2:
            penalty = penalty + cfg.r2 / 2 * gradient_penalty(d_fake, fake)
        if cfg.gp:
            epsilon = torch.rand(len(real), 1, 1, 1, generator=self.rng, device=self.device)
            with self._autocast:
                penalty = penalty + cfg.gp * wgan_gradient_penalty(self.D, real, fake, epsilon, *real_condition)
        return penalty

    @torch.no_grad()
    def memorisation(self) -> dict[str, float] | None:
        """D's accuracy on real digits it trains on and on real digits it never saw (data_fraction < 1): a D that
        memorises its few training digits calls them real and the held-out ones fake. None without a held-out set."""
        if self.unseen_real is None:
            return None
        n = min(len(self.unseen_real), len(self.real))
        trained_on = torch.as_tensor(_evenly_spaced(np.arange(len(self.real)), n), device=self.device)
        batches = [(self.real[trained_on], self._condition(trained_on)),
                   (self.unseen_real[:n], () if self.unseen_labels is None else (self.unseen_labels[:n],))]
        if self.config.objective in SHIFT_INVARIANT:  # their threshold lies between the reals and G's fakes
            inputs = [t.to(self.device) for t in self.G.sample_inputs(n, torch.Generator().manual_seed(0))]
            G = self.shown_generator
            was_training = G.training
            G.eval()
            try:
                with self._autocast:
                    batches.append((G(*inputs), tuple(inputs[1:])))
            finally:
                G.train(was_training)
        was_training = self.D.training
        self.D.eval()
        try:
            with self._autocast:
                scores = [self.D(images, *condition).float() for images, condition in batches]
        finally:
            self.D.train(was_training)
        threshold = (scores[0].mean() + scores[2].mean()) / 2 if len(scores) == 3 else 0.0
        return {"d_acc_trained_on": (scores[0] > threshold).float().mean().item(),
                "d_acc_held_out": (scores[1] > threshold).float().mean().item()}


@contextmanager
def _running_stats_kept(*nets: torch.nn.Module) -> Iterator[None]:
    """Run nets in training mode (BatchNorm normalises by the batch) and put their running statistics back after."""
    kept = [(buffer, buffer.clone()) for net in nets for buffer in net.buffers()]
    try:
        yield
    finally:
        for buffer, value in kept:
            buffer.copy_(value)


class WarmingUpEMA:
    """The moving average's update, with a warm-up: the k-th update uses the decay min(decay, (1 + k) / (10 + k)), as
    TensorFlow's ExponentialMovingAverage does with `num_updates`. A plain 0.999 would still give the untrained G's
    weights a fifth of the average after 1,500 iterations; the warm-up lets the average follow G early on and settle
    to `decay` once there is a history worth averaging (0.99 after ~900 updates, 0.999 after ~9,000)."""

    def __init__(self, decay: float):
        self.decay = decay
        # update_parameters calls so far, counted by `update` and not read from AveragedModel's device counter (no
        # host sync per iteration); the function itself runs once per dtype group of a call.
        self.updates = 0

    def update(self, average: AveragedModel, model: torch.nn.Module) -> None:
        self.updates += 1
        average.update_parameters(model)

    @staticmethod
    def decay_at(update: int, decay: float) -> float:
        return min(decay, (1 + update) / (10 + update))

    @torch.no_grad()
    def __call__(self, averaged: tuple[torch.Tensor, ...] | list[torch.Tensor],
                 current: tuple[torch.Tensor, ...] | list[torch.Tensor], _n_averaged: torch.Tensor | int) -> None:
        weight = 1 - self.decay_at(self.updates - 1, self.decay)  # the first call was a copy
        for mean, value in zip(averaged, current):
            if mean.is_floating_point():
                mean.lerp_(value, weight)
            else:  # BatchNorm's batch counter
                mean.copy_(value)

    def resume(self, average: AveragedModel) -> None:
        """Continue a loaded average's count."""
        self.updates = int(average.n_averaged)


def _gradient_norm(net: torch.nn.Module) -> torch.Tensor:
    """The L2 norm of all of `net`'s weight gradients taken as one long vector: a 0-d float32 tensor on their device
    (read back with the window's other sums, so no host sync here)."""
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    return torch.nn.utils.get_total_norm(grads).float()


def _evenly_spaced(index: np.ndarray, n: int) -> np.ndarray:
    """At most n entries of `index`, spread evenly from its first to its last."""
    if len(index) <= n:
        return index
    return index[np.linspace(0, len(index) - 1, n).round().astype(int)]


def train(config: Config, **kwargs) -> Iterator[Record]:
    """Shorthand: `for record in train(config): ...`."""
    return GANTrainer(config, **kwargs).run()
