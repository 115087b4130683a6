"""The GAN training loop: `d_step`, `g_step`, and `GANTrainer.run()`, one generator of plain records.

The CLI, the Train page, the Compare page and the tests all consume `run()`. It never prints and knows nothing of
any UI. Between two records the caller may stop (just stop iterating), change the learning rates or the number of
D steps (`set_lr`, `set_d_steps`), or drive single updates itself (`d_step`, `g_step`, `iteration_step`).

Speed (see `python -m gan.bench`): the whole training set lives on the device as one tensor and batches are
drawn by index; noise comes from a device-side generator; the metrics are summed on the device and read back only
every `log_every` iterations, so CUDA never waits on the host; the fakes of the last D step are reused for the G
step (G is unchanged in between, so they are exactly what a fresh G(z) with the same z would give); and D's
weights are frozen during the G step, so no weight gradient is computed that would be thrown away.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from gan.checkpoint import load_weights
from gan.config import CONDITIONAL_ARCHS, Config
from gan.data import IndexSampler, load_images, to_training_tensor
from gan.device import autocast, choose_precision, resolve_device
from gan.imaging import to_uint8
from gan.losses import discriminator_accuracy, discriminator_loss, generator_loss
from gan.models import build_discriminator, build_generator

METRICS = ("d_loss", "g_loss", "d_acc_real", "d_acc_fake", "d_real", "d_fake")
MAX_SNAPSHOTS = 240  # sample grids kept for the timeline and the GIF; older ones are thinned out evenly
GOOD_STATE_EVERY_S = 5.0  # how often the last good state is copied, at most


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; `last_good_iteration` says which state was kept."""

    def __init__(self, iteration: int, last_good_iteration: int, metrics: dict[str, float]):
        bad = ", ".join(k for k, v in metrics.items() if not math.isfinite(v))
        super().__init__(
            f"training diverged at iteration {iteration}: {bad} became NaN or infinite. "
            f"The last good state (iteration {last_good_iteration}) is kept. Usually a learning rate is too high: "
            "lower lr_d and lr_g (e.g. to 2e-4), keep beta1 at 0.5, or add label smoothing.")
        self.iteration = iteration
        self.last_good_iteration = last_good_iteration


@dataclass
class Record:
    """What happened over the last logging window (means over its D and G updates)."""

    iteration: int
    """Iterations completed so far (one iteration = d_steps D updates + one G update)."""
    epoch: float
    """Passes over the training set so far: iteration / floor(N / batch_size) (seed 000)."""
    d_loss: float
    g_loss: float
    d_acc_real: float
    """Fraction of real images D calls real."""
    d_acc_fake: float
    """Fraction of fakes D calls fake."""
    d_real: float
    """Mean D(x): D's probability that real images are real."""
    d_fake: float
    """Mean D(G(z)): D's probability that fakes are real."""
    its_per_sec: float
    elapsed: float
    """Seconds of training so far (pauses excluded)."""
    samples: torch.Tensor | None = field(default=None, repr=False)
    """At sample intervals: the fixed noise batch's images, (n, 1, 28, 28) float32 in [-1, 1] on the CPU."""

    def metrics(self) -> dict[str, float]:
        """The plain numbers of the record (no images)."""
        return {k: v for k, v in asdict(self).items() if k != "samples"}


class TrainingLoop:
    """What every trainer shares: the budgeted run, the metric window and history, live knobs, the snapshot
    timeline and the last good state. A subclass sets up config, device, opt_g, opt_d, d_steps, log_every,
    iteration, elapsed, history, events, snapshots, snapshot_iterations, good_state_every_s and
    _good_state_taken, and provides iteration_step, sample_fixed, state_dict and the hooks below.
    """

    def _dataset_size(self) -> int:
        raise NotImplementedError

    def _batches_per_epoch(self) -> int:
        raise NotImplementedError

    def _warm_up(self) -> None:
        """Anything to do before the first iteration (GANTrainer: seed 002's discriminator pretraining)."""

    def _on_snapshot(self) -> None:
        """Called at each snapshot, before it is kept (CycleGAN: measure the cycle errors)."""

    def _start_loop(self) -> None:
        """The end of a subclass's __init__: an empty metric window, and snapshot 0 taken and kept as good."""
        self._reset_window()
        self.good_state_every_s = GOOD_STATE_EVERY_S
        self._good_state_taken = -math.inf
        self.take_snapshot()

    @staticmethod
    def _resumed_config(state: dict, budget: dict) -> Config:
        """A checkpoint's config with a new budget; anything else changing is refused."""
        allowed = {"iterations", "epochs", "seconds", "sample_every", "log_every", "checkpoint_every", "device"}
        if set(budget) - allowed:
            raise ValueError(f"a resumed run keeps its hyperparameters; only {', '.join(sorted(allowed))} may change")
        config = state["config"]
        return (config if isinstance(config, Config) else Config.from_dict(config)).replace(**budget)

    def iteration_step(self) -> None:
        """One iteration of seed 000's algorithm: k D updates, then one G update."""
        for k in range(self.d_steps):
            self.d_step(keep_fake_for_g=k == self.d_steps - 1)
        self.g_step()
        self.iteration += 1

    # ------------------------------------------------------------------ the run
    def iteration_budget(self) -> int | None:
        return self.config.iterations_for(self._dataset_size())

    def finished(self) -> bool:
        budget = self.iteration_budget()
        if budget is not None and self.iteration >= budget:
            return True
        return self.config.seconds is not None and self.elapsed >= self.config.seconds

    def progress(self) -> float:
        """Fraction of the budget done, in [0, 1] (whichever of iterations or seconds is nearer its end)."""
        parts = []
        budget = self.iteration_budget()
        if budget:
            parts.append(self.iteration / budget)
        if self.config.seconds:
            parts.append(self.elapsed / self.config.seconds)
        return min(1.0, max(parts)) if parts else 0.0

    def run(self) -> Iterator[Record]:
        """Train until the budget is spent, yielding a Record every `log_every` iterations.

        Time spent by the caller between records (a pause, a slow UI) is not counted in `elapsed`.
        """
        started = time.perf_counter()
        self._warm_up()
        self.elapsed += time.perf_counter() - started
        while not self.finished():
            started = time.perf_counter()
            self.iteration_step()
            done = self.finished()
            record = None
            if done or self.iteration % self.log_every == 0:
                record = self.flush()
            if record is not None and (done or self.iteration % self.config.sample_every == 0):
                record.samples = self.take_snapshot()
            self.elapsed += time.perf_counter() - started
            if record is not None:
                record.elapsed = self.elapsed
                yield record

    def flush(self) -> Record | None:
        """Read the window's device-side sums back (the only host sync), append them to the history."""
        if self._d_count == 0 and self._g_count == 0:
            return None
        d = (self._d_sum / max(self._d_count, 1)).tolist()
        g_loss = (self._g_sum / max(self._g_count, 1)).item()
        now = time.perf_counter()
        iters = self.iteration - self._window_iteration
        seconds = now - self._window_started
        values = dict(zip(METRICS, (d[0], g_loss, d[1], d[2], d[3], d[4])))
        # A single D-only or G-only step (the Train page's Step buttons) measures one player: the other's numbers
        # carry over from the last record instead of dropping to zero on the curves.
        missing = (() if self._d_count else ("d_loss", "d_acc_real", "d_acc_fake", "d_real", "d_fake")) + (
            () if self._g_count else ("g_loss",))
        for key in missing:
            values[key] = self.history[key][-1] if self.history[key] else 0.0
        if not all(math.isfinite(v) for v in values.values()):
            raise TrainingDiverged(self.iteration, self._good_iteration(), values)
        record = Record(iteration=self.iteration, epoch=self.iteration / self._batches_per_epoch(),
                        its_per_sec=iters / seconds if seconds > 0 else 0.0, elapsed=self.elapsed, **values)
        for key, value in record.metrics().items():
            if key in self.history:
                self.history[key].append(value)
        self._reset_window()
        return record

    # ------------------------------------------------------------------ live changes
    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        """Change learning rates between iterations; each change is logged as an event for the curves."""
        for name, value, opt in (("lr_g", lr_g, self.opt_g), ("lr_d", lr_d, self.opt_d)):
            if value is None:
                continue
            if not (math.isfinite(value) and 0 < value <= 1):
                raise ValueError(f"{name} must be in (0, 1] (got {value!r})")
            old = opt.param_groups[0]["lr"]
            if value != old:
                for group in opt.param_groups:
                    group["lr"] = value
                self.events.append({"iteration": self.iteration, "name": name, "old": old, "new": value})

    def set_d_steps(self, d_steps: int) -> None:
        if not (isinstance(d_steps, int) and 1 <= d_steps <= 100):
            raise ValueError(f"d_steps must be an integer in [1, 100] (got {d_steps!r})")
        if d_steps != self.d_steps:
            self.events.append({"iteration": self.iteration, "name": "d_steps", "old": self.d_steps,
                                "new": d_steps})
            self.d_steps = d_steps

    @property
    def lr_g(self) -> float:
        return self.opt_g.param_groups[0]["lr"]

    @property
    def lr_d(self) -> float:
        return self.opt_d.param_groups[0]["lr"]

    def take_snapshot(self) -> torch.Tensor:
        """Sample the fixed noise, keep it for the timeline, and remember this state as good."""
        samples = self.sample_fixed()
        self._on_snapshot()
        self.snapshot_iterations.append(self.iteration)
        self.snapshots.append(to_uint8(samples))
        if len(self.snapshots) > MAX_SNAPSHOTS:  # keep the first and the newest, thin out the middle
            keep = sorted(set(np.linspace(0, len(self.snapshots) - 1, MAX_SNAPSHOTS // 2 + 1).round().astype(int)))
            self.snapshot_iterations = [self.snapshot_iterations[i] for i in keep]
            self.snapshots = [self.snapshots[i] for i in keep]
        if time.perf_counter() - self._good_state_taken >= self.good_state_every_s:
            self._remember_good_state()
        return samples

    def good_state(self) -> dict:
        """The last state known to have finite metrics (what a diverged run keeps), with its snapshots."""
        state = dict(self._good_state)
        keep = [i for i, it in enumerate(self.snapshot_iterations) if it <= state["iteration"]]
        state["snapshot_iterations"] = [self.snapshot_iterations[i] for i in keep]
        state["snapshots"] = (torch.stack([self.snapshots[i] for i in keep]) if keep
                              else torch.empty(0, dtype=torch.uint8))
        return state

    def _good_iteration(self) -> int:
        return self._good_state["iteration"]

    def _remember_good_state(self) -> None:
        # A deep copy of weights and optimiser moments (tens of MB): taken at snapshots, at most every few seconds.
        state = {k: v for k, v in self.state_dict().items() if k not in ("snapshots", "snapshot_iterations")}
        self._good_state = copy.deepcopy(state)
        self._good_state_taken = time.perf_counter()

    def _reset_window(self) -> None:
        self._d_sum = torch.zeros(5, device=self.device)
        self._g_sum = torch.zeros((), device=self.device)
        self._d_count = 0
        self._g_count = 0
        self._window_iteration = self.iteration
        self._window_started = time.perf_counter()


class GANTrainer(TrainingLoop):
    """Owns one run: the two networks, their optimisers, the data on the device, and the run's history."""

    def __init__(self, config: Config, images: np.ndarray | None = None, device: torch.device | str | None = None,
                 labels: np.ndarray | None = None):
        self.config = config.validate()
        self.device = torch.device(device) if device is not None else resolve_device(config.device)
        self.conditional = config.arch in CONDITIONAL_ARCHS
        if images is None:
            images, labels = load_images(config.dataset, config.data_dir, download=config.download)
        if self.conditional and labels is None:
            raise ValueError(f"the {config.arch} GAN is told which digit to draw: it needs the images' labels")
        self.real = to_training_tensor(images, self.device)  # (N, 1, 28, 28) in [-1, 1], on the device
        # (N,) int64 on the device; only conditional GANs use them
        self.real_labels = torch.tensor(np.asarray(labels), dtype=torch.long, device=self.device) \
            if self.conditional else None
        if len(self.real) < config.batch_size:
            raise ValueError(f"batch_size {config.batch_size} is larger than the dataset ({len(self.real)} images)")

        torch.manual_seed(config.seed)  # the weights' initialisation
        self.G = build_generator(config).to(self.device)
        self.D = build_discriminator(config).to(self.device)
        self.opt_g = self._adam(self.G, config.lr_g)
        self.opt_d = self._adam(self.D, config.lr_d)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)  # noise
        # The data order has a generator of its own: two runs with the same seed see the same batches in the same
        # order whatever their architecture draws from `rng` (the Compare page's races rely on it).
        self.data_rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.sampler = IndexSampler(len(self.real), config.batch_size, self.data_rng, self.device)
        cpu_rng = torch.Generator().manual_seed(config.seed)  # fixed noise: the same on every device
        self.fixed_inputs = tuple(t.to(self.device) for t in self._fixed_inputs(config.n_samples, cpu_rng))

        self.iteration = 0
        self.elapsed = 0.0
        self.d_steps = config.d_steps
        self.pretrained = config.d_pretrain_steps == 0
        self.history: dict[str, list[float]] = {k: [] for k in ("iteration", "epoch", *METRICS, "its_per_sec")}
        self.events: list[dict] = []  # live changes of hyperparameters, marked on the curves
        self.snapshot_iterations: list[int] = []
        self.snapshots: list[torch.Tensor] = []  # uint8 (n, 1, 28, 28) each
        self.last_fake_logits = torch.empty(0)  # D's logits on the last G step's fakes ("Why -log D?" panel)
        self.log_every = config.log_every or (1 if self.device.type == "cpu" else 25)
        self.precision = choose_precision(config.precision, self.device)  # 'auto' -> what this hardware runs natively
        self._autocast = autocast(self.precision, self.device)
        self._pending_fake: torch.Tensor | None = None
        self._start_loop()

    @classmethod
    def from_checkpoint(cls, state: dict, images: np.ndarray | None = None,
                        device: torch.device | str | None = None, **budget) -> GANTrainer:
        """Resume a checkpoint's run; `budget` may change only how long it runs and how often it reports."""
        config = cls._resumed_config(state, budget)
        trainer = cls(config, images=images, device=device)
        trainer.load_state_dict(state)
        return trainer

    # ------------------------------------------------------------------ the two players' moves
    def d_step(self, keep_fake_for_g: bool = False) -> None:
        """(1) Update D: maximise log D(x) + log(1 - D(G(z))) on one real and one fake batch."""
        cfg = self.config
        index = self.sampler.next()
        x, real_condition = self.real[index], self._condition(index)
        z = self.G.sample_inputs(cfg.batch_size, self.rng, self.device)
        fake_condition = z[1:]  # a conditional G's labels: D judges each fake against the digit it was asked for
        with torch.set_grad_enabled(keep_fake_for_g), self._autocast:
            fake = self.G(*z)
        with self._autocast:
            d_real = self.D(x, *real_condition).float()  # separate passes: BatchNorm sees all-real, then all-fake
            d_fake = self.D(fake.detach(), *fake_condition).float()
        loss = discriminator_loss(d_real, d_fake, cfg.label_smoothing)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        self._pending_fake = (fake, fake_condition) if keep_fake_for_g else None
        self._accumulate_d(loss, d_real, d_fake)

    def g_step(self) -> None:
        """(2) Update G: make D call its fakes real, with D frozen."""
        pending = self._pending_fake
        self._pending_fake = None
        if pending is None:
            z = self.G.sample_inputs(self.config.batch_size, self.rng, self.device)
            with self._autocast:
                pending = self.G(*z), z[1:]
        fake, fake_condition = pending
        self.D.requires_grad_(False)
        try:
            with self._autocast:
                d_fake = self.D(fake, *fake_condition).float()
            loss = generator_loss(d_fake, self.config.g_loss)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
        finally:
            self.D.requires_grad_(True)
        self.last_fake_logits = d_fake.detach()
        self._g_sum += loss.detach()
        self._g_count += 1

    def pretrain_d(self, steps: int) -> None:
        """Seed 002: teach D real digits vs uniform noise before the game starts."""
        for _ in range(steps):
            index = self.sampler.next()
            x, condition = self.real[index], self._condition(index)
            noise = torch.rand(x.shape, generator=self.rng, device=self.device) * 2 - 1
            with self._autocast:
                d_real, d_fake = self.D(x, *condition).float(), self.D(noise, *condition).float()
            loss = discriminator_loss(d_real, d_fake, self.config.label_smoothing)
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
    @torch.inference_mode()
    def sample_fixed(self) -> torch.Tensor:
        """G's images for the fixed noise batch, in eval mode (BatchNorm's running statistics, no side effects)."""
        was_training = self.G.training
        self.G.eval()
        try:
            return self.G(*self.fixed_inputs).float().cpu()
        finally:
            self.G.train(was_training)

    # ------------------------------------------------------------------ checkpoint state
    def state_dict(self) -> dict:
        """Everything needed to resume this exact run; plain containers and tensors only (weights_only-safe)."""
        return {
            "config": self.config.to_dict(),
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "iteration": self.iteration,
            "elapsed": self.elapsed,
            "d_steps": self.d_steps,
            "pretrained": self.pretrained,
            "sampler": self.sampler.state_dict(),  # holds data_rng's state
            "rng": self.rng.get_state(),
            "fixed_inputs": list(self.fixed_inputs),
            "history": self.history,
            "events": self.events,
            "snapshot_iterations": self.snapshot_iterations,
            "snapshots": torch.stack(self.snapshots) if self.snapshots else torch.empty(0, dtype=torch.uint8),
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue a saved run: same weights, optimiser moments, data order, noise stream and history."""
        load_weights(self.G, state["generator"], self.config, "generator")
        load_weights(self.D, state["discriminator"], self.config, "discriminator")
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.iteration = int(state["iteration"])
        self.elapsed = float(state["elapsed"])
        self.d_steps = int(state["d_steps"])
        self.pretrained = bool(state["pretrained"])
        self.sampler.load_state_dict(state["sampler"])  # restores data_rng (older checkpoints: a copy of rng)
        self.rng.set_state(state["rng"].cpu())
        self.fixed_inputs = tuple(t.to(self.device) for t in state["fixed_inputs"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.events = [dict(e) for e in state["events"]]
        self.snapshot_iterations = list(state["snapshot_iterations"])
        self.snapshots = list(state["snapshots"].unbind(0)) if len(state["snapshots"]) else []
        self._reset_window()
        self._remember_good_state()

    # ------------------------------------------------------------------ internals
    def _adam(self, net: torch.nn.Module, lr: float) -> torch.optim.Adam:
        cfg = self.config
        # fused Adam: one kernel for all parameters instead of a loop of small ops (the MLP GAN is overhead-bound)
        fused = self.device.type in ("cpu", "cuda")
        return torch.optim.Adam(net.parameters(), lr=lr, betas=(cfg.beta1, cfg.beta2), fused=fused)

    def _condition(self, index: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """What D is told besides the image: the real digits' labels for a conditional GAN, nothing otherwise."""
        return (self.real_labels[index],) if self.conditional else ()

    def _fixed_inputs(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        """The fixed noise batch; a conditional G gets one row per digit, so the live grid reads 0 to 9."""
        if self.conditional:
            return self.G.grid_inputs(max(1, n // 10), generator)
        return self.G.sample_inputs(n, generator)

    def _accumulate_d(self, loss: torch.Tensor, d_real: torch.Tensor, d_fake: torch.Tensor) -> None:
        acc_real, acc_fake = discriminator_accuracy(d_real.detach(), d_fake.detach())
        self._d_sum += torch.stack((loss.detach(), acc_real, acc_fake,
                                    torch.sigmoid(d_real.detach()).mean(), torch.sigmoid(d_fake.detach()).mean()))
        self._d_count += 1



def train(config: Config, **kwargs) -> Iterator[Record]:
    """Shorthand: `for record in train(config): ...`."""
    return GANTrainer(config, **kwargs).run()
