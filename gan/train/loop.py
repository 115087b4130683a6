"""What every trainer shares: `TrainingLoop` (the budgeted run as one generator of plain `Record`s, the metric
window, the live knobs, the snapshot timeline, the last good state) and `TrainingDiverged`. The trainers build on
it: GANTrainer (gan.train.gan), SGANTrainer, CycleGANTrainer, and the 2-D playground's ToyTrainer (gan.train.toy)."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from gan.checkpoint import load_weights
from gan.config import Config
from gan.imaging import to_uint8

METRICS = ("d_loss", "g_loss", "d_acc_real", "d_acc_fake", "d_real", "d_fake")
# What D's loss is made of and how hard each player was pushed, recorded by the trainers that measure them
# (`measures_details`): d_loss = d_loss_real + d_loss_fake, and D's update descends d_loss + d_penalty.
D_DETAILS = ("d_loss_real", "d_loss_fake", "d_penalty", "d_grad_norm")
G_DETAILS = ("g_grad_norm",)
DETAIL_METRICS = D_DETAILS + G_DETAILS
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
    # DETAIL_METRICS: None where the trainer does not measure them (or a resumed run's checkpoint did not hold them)
    d_loss_real: float | None = None
    """D's loss on the real batch (the relativistic loss, which pairs each real with a fake: all of it)."""
    d_loss_fake: float | None = None
    """D's loss on the fakes (relativistic: 0); d_loss = d_loss_real + d_loss_fake."""
    d_penalty: float | None = None
    """The gradient penalties (R1, R2, WGAN-GP) D's update adds to d_loss; 0 without any."""
    d_grad_norm: float | None = None
    """The L2 norm of the gradient of all D's weights together, at its update."""
    g_grad_norm: float | None = None
    """The L2 norm of the gradient of all G's weights together, at its update."""

    def metrics(self) -> dict[str, float]:
        """The plain numbers of the record (no images; no detail it does not have)."""
        return {k: v for k, v in asdict(self).items() if k != "samples" and v is not None}


class TrainingLoop:
    """What every trainer shares: the budgeted run, the metric window and history, live knobs, the snapshot
    timeline, the last good state, and the one writer and reader of a run's state (`state_dict`,
    `load_state_dict`). A subclass's constructor sets up config, device, G, D, opt_g, opt_d, d_steps, log_every,
    iteration, elapsed, history, events, snapshots, snapshot_iterations and last_fake_logits, ends with
    `_start_loop()`, and provides d_step, g_step, sample_fixed and the hooks below. Every trainer keeps the
    contract of gan.train.protocol.Trainer.
    """

    # Capabilities only some trainers have (gan.train.protocol): None here, set by the trainers that have them.
    live_samples: torch.Tensor | None = None
    classifier_history: list[dict] | None = None
    latest_view: Any | None = None
    # Whether d_step and g_step add to the DETAIL_METRICS sums (`_d_detail_sum`, `_g_detail_sum`).
    measures_details = False
    # What the load_weights error calls the two players (the CycleGAN's are its A -> B translator and B's judge).
    player_names = ("generator", "discriminator")

    config: Any
    device: torch.device
    G: torch.nn.Module
    D: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    iteration: int
    elapsed: float
    d_steps: int
    log_every: int
    history: dict[str, list[float]]
    events: list[dict]
    snapshots: list[torch.Tensor]
    snapshot_iterations: list[int]
    last_fake_logits: torch.Tensor

    def d_step(self, keep_fake_for_g: bool = False) -> None:
        raise NotImplementedError

    def g_step(self) -> None:
        raise NotImplementedError

    def sample_fixed(self) -> torch.Tensor:
        raise NotImplementedError

    def _dataset_size(self) -> int:
        raise NotImplementedError

    def _batches_per_epoch(self) -> int:
        raise NotImplementedError

    def _warm_up(self) -> None:
        """Anything to do before the first iteration (GANTrainer: seed 002's discriminator pretraining)."""

    def _on_snapshot(self) -> None:
        """Called at each snapshot, before it is kept (CycleGAN: measure the cycle errors)."""

    def _kept(self, samples: torch.Tensor) -> torch.Tensor:
        """What the timeline keeps of a snapshot: uint8 images (the 2-D trainer keeps its points as they are)."""
        return to_uint8(samples)

    def _record_due(self) -> bool:
        """Whether this iteration ends a record (the 2-D trainer: whenever its live picture is due)."""
        return self.iteration % self.log_every == 0

    def _snapshot_due(self) -> bool:
        """Whether the record just flushed keeps a snapshot of the fixed noise."""
        return self.iteration % self.config.sample_every == 0

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

    def measured_step(self, kind: str) -> dict[str, dict[str, float]] | None:
        """One D-only ('d') or G-only ('g') update (the Train page's D step / G step); where the trainer can tell,
        {"before": ..., "after": ...}: the moving player's numbers on the step's own batch before and after it.
        This default only steps (None): a trainer that can re-judge a batch overrides it."""
        (self.d_step if kind == "d" else self.g_step)()
        return None

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
            record = self.flush() if done or self._record_due() else None
            if record is not None and (done or self._snapshot_due()):
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
        if self.measures_details:
            values.update({k: v for k, v in self._window_details().items() if v is not None})
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

    def set_g_loss(self, g_loss: str) -> None:
        """Switch G's loss between iterations (the saturating-loss lesson's cure, live); logged as an event."""
        changed = self.config.replace(g_loss=g_loss).validate()  # ConfigError names the choices, or the objective
        if g_loss != self.config.g_loss:
            self.events.append({"iteration": self.iteration, "name": "g_loss", "old": self.config.g_loss,
                                "new": g_loss})
            self.config = changed

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
        self.snapshots.append(self._kept(samples))
        if len(self.snapshots) > MAX_SNAPSHOTS:  # keep the first and the newest, thin out the middle
            keep = sorted(set(np.linspace(0, len(self.snapshots) - 1, MAX_SNAPSHOTS // 2 + 1).round().astype(int)))
            self.snapshot_iterations = [self.snapshot_iterations[i] for i in keep]
            self.snapshots = [self.snapshots[i] for i in keep]
        if time.perf_counter() - self._good_state_taken >= self.good_state_every_s:
            self._remember_good_state()
        return samples

    # ------------------------------------------------------------------ the run's state: one writer, one reader
    def state_dict(self) -> dict:
        """Everything needed to resume this exact run; plain containers and tensors only (weights_only-safe): what
        every trainer has, written here, and the trainer's own parts (`_own_state`)."""
        return {
            "config": self.config.to_dict(),
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "iteration": self.iteration,
            "elapsed": self.elapsed,
            "d_steps": self.d_steps,
            "history": self.history,
            "events": self.events,
            "snapshot_iterations": self.snapshot_iterations,
            "snapshots": torch.stack(self.snapshots) if self.snapshots else torch.empty(0, dtype=torch.uint8),
            **self._own_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue a saved run: the trainer's own parts first (`_load_own_state`, which may refuse the state before
        anything changed), then the weights, optimiser moments, counters and history every trainer has."""
        self._load_own_state(state)
        for net, key, which in ((self.G, "generator", self.player_names[0]),
                                (self.D, "discriminator", self.player_names[1])):
            load_weights(net, state[key], which, self._architecture())
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.iteration = int(state["iteration"])
        self.elapsed = float(state["elapsed"])
        self.d_steps = int(state["d_steps"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.events = [dict(e) for e in state["events"]]
        self.snapshot_iterations = list(state["snapshot_iterations"])
        self.snapshots = list(state["snapshots"].unbind(0)) if len(state["snapshots"]) else []
        self._reset_window()
        self._remember_good_state()

    def _own_state(self) -> dict:
        """The trainer's own parts of its state (samplers, random streams, extra networks)."""
        return {}

    def _load_own_state(self, state: dict) -> None:
        """Read back what `_own_state` wrote."""

    def _architecture(self) -> str:
        """The networks, as a weights-do-not-fit message names them."""
        return f"{self.config.arch}, latent {self.config.latent_dim}"

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

    def _window_details(self) -> dict[str, float | None]:
        """The window's means of DETAIL_METRICS; a player that did not move carries over its last numbers (None where
        there are none: a run resumed from a checkpoint that did not record them)."""
        details: dict[str, float | None] = {}
        for keys, sums, count in ((D_DETAILS, self._d_detail_sum, self._d_count),
                                  (G_DETAILS, self._g_detail_sum, self._g_count)):
            if count:
                details.update(zip(keys, (sums / count).tolist()))
            else:
                details.update((k, self.history[k][-1] if self.history.get(k) else None) for k in keys)
        return details

    def _reset_window(self) -> None:
        self._d_sum = torch.zeros(5, device=self.device)
        self._g_sum = torch.zeros((), device=self.device)
        self._d_detail_sum = torch.zeros(len(D_DETAILS), device=self.device)
        self._g_detail_sum = torch.zeros(len(G_DETAILS), device=self.device)
        self._d_count = 0
        self._g_count = 0
        self._window_iteration = self.iteration
        self._window_started = time.perf_counter()
