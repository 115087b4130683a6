"""Run a trainer in a background thread that a UI can start, pause, step, steer and stop.

The thread (arena.background's lifecycle) is plain Python: it never touches any UI. The UI polls `snapshot()`, a consistent copy taken under a
lock, and sends commands (pause, step, new learning rates) that the thread applies between iterations. Works for
any trainer that keeps the contract of gan.train.protocol.Trainer.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from arena.background import BackgroundRun
from gan.fileio import DiskFull
from gan.game import GameRound, trainer_round
from gan.train import GANTrainer, Record, Trainer, TrainingDiverged

STATUSES = ("queued", "starting", "running", "paused", "finished", "stopped", "diverged", "failed")
STEP_KINDS = ("iteration", "d", "g", "parts")  # "parts": one iteration, with what each of its parts saw
RATE_WINDOW_S = 3.0  # the it/s shown is averaged over this much training time


@dataclass
class RunnerSnapshot:
    """What the UI draws, copied under the runner's lock."""

    status: str
    iteration: int = 0
    progress: float = 0.0
    elapsed: float = 0.0
    its_per_sec: float = 0.0
    eta_seconds: float | None = None
    records: list[dict[str, float]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)
    samples: torch.Tensor | None = None  # latest fixed-noise images, (n, 1, 28, 28) in [-1, 1]
    sample_iteration: int = 0
    snapshot_count: int = 0
    fake_probs: list[float] = field(default_factory=list)  # D(G(z)) of the last G step's batch
    lr_g: float = 0.0
    lr_d: float = 0.0
    d_steps: int = 1
    g_loss: str = "non-saturating"
    error: str | None = None
    queue_position: int | None = None
    queue_wait_s: float | None = None  # the scheduler's estimate of the wait for a slot, while queued
    queue_reason: str | None = None  # what the line waits for (a free slot, or memory), while queued
    saved_to: str | None = None  # where on_end saved the run, once it has ended
    autosaved_to: str | None = None  # where `autosave` last saved the run while it trained
    autosaved_iteration: int = 0
    last_step: dict[str, Any] | None = None  # the last Step's kind, iteration and numbers before and after
    game_round: GameRound | None = None  # the last round of "Be the discriminator" asked for (game_round())

    @property
    def active(self) -> bool:
        """True while the thread is alive and may still change what is shown."""
        return self.status in ("queued", "starting", "running", "paused")


def save_failure(err: Exception) -> str:
    """Why a save failed, for the run's page: a full disk in plain words (the last good checkpoint is kept)."""
    if isinstance(err, DiskFull):
        return f"{err}. Tell the teacher: the server's disk is full."
    return f"{type(err).__name__}: {err}"


class TrainingRunner(BackgroundRun):
    """Owns one training thread.

    make_trainer: builds the trainer inside the thread (loading data can take a moment).
    gate: an optional TrainingGate (or semaphore) shared by the server; the run waits in 'queued' until it gets a
    slot, and shows its place in the line when the gate can tell it.
    scorer: optional `scorer(trainer) -> dict` called every `score_every` iterations (quality, class histogram).
    idle_timeout: stop when nobody has called `snapshot()` or `touch()` for this many seconds (a closed tab).
    on_end: optional `on_end(state) -> str` called in the thread once a run that trained has ended (finished,
    stopped or diverged) with `checkpoint_state()`; it saves the run and returns where, shown as `saved_to`.
    autosave: optional `autosave(state) -> str`, called in the thread every `autosave_s` seconds of training with
    `state_dict()` (what is left if the process dies); it saves and returns where, shown as `autosaved_to`.
    config: optional, kept as `self.config` for the UI (which settings this run has).
    """

    def __init__(self, make_trainer: Callable[[], Trainer], *, gate=None,
                 scorer: Callable[[Trainer], dict[str, Any]] | None = None, score_every: int = 500,
                 idle_timeout: float = 120.0, start_paused: bool = False,
                 on_end: Callable[[dict], str] | None = None, config: Any = None,
                 autosave: Callable[[dict], str] | None = None, autosave_s: float = 30.0):
        super().__init__(gate=gate, idle_timeout=idle_timeout)
        self._make_trainer = make_trainer
        self._scorer = scorer
        self._score_every = score_every
        self._on_end = on_end
        self._autosave = autosave
        self._autosave_s = autosave_s
        self._autosaved_at = 0.0  # training seconds at the last autosave
        self.config = config  # what the run was started with, for the UI (the trainer is built in the thread)
        self._lock = threading.Lock()
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._resume = threading.Event()
        if not start_paused:
            self._resume.set()
        self._last_scored = 0
        self._rate_points: deque[tuple[float, int]] = deque()
        self.trainer: Trainer | None = None
        self._snap = RunnerSnapshot(status="queued" if gate else "starting")

    thread_name = "gan-arena-trainer"

    # ------------------------------------------------------------------ commands (any thread)
    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    def _request_stop(self) -> None:
        """The thread ends after the current iteration, paused or not."""
        self._stop.set()
        self._resume.set()

    def step(self, kind: str = "iteration") -> None:
        """While paused: one whole iteration, or only D's update ('d'), or only G's ('g')."""
        if kind not in STEP_KINDS:
            raise ValueError(f"step kind must be one of {', '.join(STEP_KINDS)} (got {kind!r})")
        self._commands.put(("step", kind))

    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        self._commands.put(("lr", (lr_g, lr_d)))

    def set_d_steps(self, d_steps: int) -> None:
        self._commands.put(("d_steps", d_steps))

    def set_g_loss(self, g_loss: str) -> None:
        self._commands.put(("g_loss", g_loss))

    def game_round(self, seed: int) -> None:
        """Draw a round of "Be the discriminator" (gan.game) at the current iteration, running or paused; it comes
        back as the snapshot's `game_round`, with this seed. Drawn between iterations, in the training thread: nothing
        else runs the networks meanwhile, and nothing is drawn while nobody plays."""
        self._commands.put(("game_round", seed))

    def snapshot(self, since: int = 0) -> RunnerSnapshot:
        """A copy of the current state; `records` holds only those from index `since` on (incremental polls)."""
        self.touch()
        with self._lock:
            snap = self._snap
            self._mark_place_in_line(snap)
            copy = RunnerSnapshot(**{**snap.__dict__, "records": snap.records[since:], "events": list(snap.events),
                                     "quality": list(snap.quality), "fake_probs": list(snap.fake_probs)})
        return copy

    def checkpoint_state(self, status: str | None = None) -> dict | None:
        """The run's state to save: the last good one after a divergence. Call once the thread has ended."""
        if self.trainer is None:
            return None
        diverged = (status or self._snap.status) == "diverged"
        return self.trainer.good_state() if diverged else self.trainer.state_dict()

    def timeline(self) -> tuple[list[int], list[torch.Tensor]]:
        """(iterations, uint8 grids) of every fixed-noise snapshot kept so far, oldest first."""
        trainer = self.trainer
        if trainer is None:
            return [], []
        # The thread appends to (or swaps) these lists without our lock; copying a list is atomic under the GIL,
        # and trimming to the shorter copy drops a snapshot caught half-appended.
        iterations, grids = list(trainer.snapshot_iterations), list(trainer.snapshots)
        n = min(len(iterations), len(grids))
        return iterations[:n], grids[:n]

    # ------------------------------------------------------------------ the thread
    @property
    def _built(self) -> Trainer:
        """The trainer, in the methods the thread runs once it has built it."""
        assert self.trainer is not None, "the thread builds the trainer first"
        return self.trainer

    def _work(self) -> dict[str, Any]:
        self._set(status="starting")
        self.trainer = trainer = self._make_trainer()
        self._publish_samples(trainer.sample_fixed(), trainer.iteration)
        return self._train()

    def _failed(self, err: Exception) -> dict[str, Any]:
        if isinstance(err, TrainingDiverged):
            return {"status": "diverged", "error": str(err)}
        return super()._failed(err)

    def _wind_up(self, end: dict[str, Any]) -> dict[str, Any]:
        return self._save_at_end(end["status"])

    def _save_at_end(self, status: str) -> dict[str, Any]:
        if self._on_end is None or status not in ("finished", "stopped", "diverged"):
            return {}
        if self.trainer is None or self.trainer.iteration == 0:
            return {}
        try:
            state = self.checkpoint_state(status)
            assert state is not None  # the trainer exists: checked above
            return {"saved_to": str(self._on_end(state))}
        except Exception as err:  # a full disk must not hide the run's own outcome
            return {"error": f"The run could not be saved: {save_failure(err)}"}

    def _train(self) -> dict[str, Any]:
        """Train until the budget is spent or the run is stopped; return the end state to publish."""
        trainer = self._built
        records = trainer.run()
        while True:
            if not self._checkpoint_between_iterations():
                return {"status": "stopped"}
            try:
                record = next(records)
            except StopIteration:
                return {"status": "finished", "progress": 1.0, "eta_seconds": 0.0}
            self._publish(record)
            self._autosave_if_due()

    def _autosave_if_due(self) -> None:
        trainer = self._built
        if self._autosave is None or trainer.elapsed - self._autosaved_at < self._autosave_s:
            return
        self._autosaved_at = trainer.elapsed
        try:
            self._set(autosaved_to=str(self._autosave(trainer.state_dict())), autosaved_iteration=trainer.iteration)
        except Exception as err:  # a full disk must not end the training; the final save reports it again
            self._set(error=f"The run could not be saved: {save_failure(err)}")

    def _checkpoint_between_iterations(self) -> bool:
        """Apply queued commands; block while paused (still serving steps). False when the run must end."""
        self._apply_commands()
        if not self._resume.is_set():
            self._set(status="paused")
            while not self._resume.wait(0.1):
                self._apply_commands()
                if self._stop.is_set() or self._abandoned():
                    return False
        if self._stop.is_set() or self._abandoned():
            return False
        if self._snap.status != "running":
            self._set(status="running")
        return True

    def _apply_commands(self) -> None:
        trainer = self._built
        while True:
            try:
                name, arg = self._commands.get_nowait()
            except queue.Empty:
                return
            if name == "lr":
                trainer.set_lr(*arg)
            elif name == "d_steps":
                trainer.set_d_steps(arg)
            elif name == "g_loss":
                trainer.set_g_loss(arg)
            elif name == "step":
                self._single_step(arg)
            elif name == "game_round" and isinstance(trainer, GANTrainer):  # a translator or the 2-D toy: no digits
                self._set(game_round=trainer_round(trainer, arg))
            self._set(lr_g=trainer.lr_g, lr_d=trainer.lr_d, d_steps=trainer.d_steps, g_loss=trainer.config.g_loss,
                      events=list(trainer.events))

    def _single_step(self, kind: str) -> None:
        trainer = self._built
        measured = None
        if kind == "iteration":
            trainer.iteration_step()
        elif kind == "parts":
            measured = {"parts": trainer.walk_iteration()} if hasattr(trainer, "walk_iteration") else None
            if measured is None:
                trainer.iteration_step()
        else:  # the moving player's numbers on the step's own batch, before and after (None: not measurable)
            measured = trainer.measured_step(kind)
        record = trainer.flush()
        if record is None:
            return
        record.samples = trainer.take_snapshot() if kind != "d" else None
        if kind in ("d", "g"):  # one player moved alone: marked on the curves, where the iteration count stands still
            trainer.events.append({"iteration": trainer.iteration, "name": f"{kind.upper()} step"})
        self._publish(record)
        self._set(last_step={"kind": kind, "iteration": trainer.iteration, "record": record.metrics(),
                             **(measured or {})})

    def _publish(self, record: Record) -> None:
        trainer = self._built
        metrics = record.metrics()
        quality = None
        if self._scorer and (record.iteration // self._score_every > self._last_scored // self._score_every
                             or record.samples is not None and trainer.finished()):
            quality = {"iteration": record.iteration, **self._scorer(trainer)}
            self._last_scored = record.iteration
        progress = trainer.progress()
        eta = trainer.elapsed * (1 - progress) / progress if 0 < progress < 1 else None
        its_per_sec = self._smoothed_rate(record)
        with self._lock:
            snap = self._snap
            snap.records.append(metrics)
            snap.iteration = record.iteration
            snap.elapsed = record.elapsed
            snap.its_per_sec = its_per_sec
            snap.progress = progress
            snap.eta_seconds = eta
            snap.fake_probs = torch.sigmoid(trainer.last_fake_logits.float()).cpu().tolist()
            snap.lr_g, snap.lr_d, snap.d_steps = trainer.lr_g, trainer.lr_d, trainer.d_steps
            if quality is not None:
                snap.quality.append(quality)
            if record.samples is not None:
                snap.samples = record.samples
                snap.sample_iteration = record.iteration
                snap.snapshot_count = len(trainer.snapshots)

    def _smoothed_rate(self, record: Record) -> float:
        """Iterations per second of training over the last RATE_WINDOW_S seconds (one record's rate jitters)."""
        self._rate_points.append((record.elapsed, record.iteration))
        while len(self._rate_points) > 2 and record.elapsed - self._rate_points[1][0] >= RATE_WINDOW_S:
            self._rate_points.popleft()
        (t0, i0), (t1, i1) = self._rate_points[0], self._rate_points[-1]
        return (i1 - i0) / (t1 - t0) if t1 > t0 else record.its_per_sec

    def _publish_samples(self, samples: torch.Tensor, iteration: int) -> None:
        trainer = self._built
        self._set(samples=samples, sample_iteration=iteration, snapshot_count=len(trainer.snapshots),
                  lr_g=trainer.lr_g, lr_d=trainer.lr_d, d_steps=trainer.d_steps, g_loss=trainer.config.g_loss,
                  iteration=trainer.iteration,
                  records=[dict(zip(trainer.history, row)) for row in zip(*trainer.history.values())],
                  events=list(trainer.events))

    def _set(self, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._snap, key, value)
