"""Run a `Race` in a background thread that a UI can start, watch and stop (the Compare page's runner).

The same design as arena.runner.TrainingRunner: the thread never touches any UI; the UI polls `snapshot()`, a copy
taken under a lock; `stop()` sets an Event the thread checks between records; a run nobody polls for
`idle_timeout` seconds stops by itself (a closed tab). A race takes ONE slot of the server's training gate: its
two sides share one thread, so together they load the CPU like one training.

While racing, the thread samples both fixed-noise grids at the same moment every `sample_interval` seconds, and
scores both generators with the bundled classifier `quality_points` times (at equal fractions of the race, so both
sides are scored at equal iterations or equal training time) and once more at the start. At the end it builds the
verdict, and `on_end(side, state)` may save each side (0 or 1) as a run.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from arena.background import BackgroundRun
from arena.runner import save_failure
from gan.models import NoiseGenerator, count_parameters
from gan.quality import QualityScore, score_generator
from gan.race import Contender, Race, VerdictRow, verdict
from gan.train import Record

STATUSES = ("queued", "starting", "running", "finished", "stopped", "failed")


@dataclass
class SideSnapshot:
    """One side of the race, as the UI draws it."""

    label: str
    arch: str = ""
    params_g: int = 0
    params_d: int = 0
    iteration: int = 0
    elapsed: float = 0.0
    """Seconds of training so far."""
    its_per_sec: float = 0.0
    """Mean speed over the race: iterations / training seconds."""
    done: bool = False
    records: list[dict[str, float]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)
    """{'iteration', 'elapsed', 'fid', 'confidence', 'classes_covered', 'recognisable', 'class_histogram'}."""
    samples: torch.Tensor | None = None
    """The fixed noise's images at the last sampling, (n, 1, 28, 28) in [-1, 1]."""
    error: str | None = None
    """Why this side stopped early (it diverged)."""


@dataclass
class RaceSnapshot:
    """What the UI draws, copied under the runner's lock."""

    status: str
    sides: list[SideSnapshot] = field(default_factory=list)
    budget: str = ""
    """The race's budget in words: '90 s of training each'."""
    progress: float = 0.0
    wall_elapsed: float = 0.0
    """Seconds since the race started (both sides' training, sampling and scoring)."""
    contenders: list[Contender] | None = None
    verdict: list[VerdictRow] | None = None
    """The comparison table, once the race has ended."""
    error: str | None = None
    queue_position: int | None = None
    queue_wait_s: float | None = None
    saved_to: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "starting", "running")


class RaceRunner(BackgroundRun):
    """Owns one race's thread (arena.background's lifecycle).

    make_race: builds the Race inside the thread (loading data and building four networks takes a moment).
    gate: an optional TrainingGate (or semaphore) shared by the server; the race waits in 'queued' for one slot.
    scorer: `scorer(G) -> QualityScore`; None skips quality scoring (and leaves the verdict's quality rows empty).
    on_end: optional `on_end(side, state) -> str`, called in the thread for each side (0, 1) that trained once the race
    has ended (finished or stopped); it saves the side's run and returns where.
    """

    def __init__(self, make_race: Callable[[], Race], *, gate=None,
                 scorer: Callable[[NoiseGenerator], QualityScore] | None = score_generator, quality_points: int = 10,
                 sample_interval: float = 1.0, idle_timeout: float = 120.0,
                 on_end: Callable[[int, dict], str] | None = None):
        super().__init__(gate=gate, idle_timeout=idle_timeout)
        self._make_race = make_race
        self._scorer = scorer
        self._quality_points = max(1, quality_points)
        self._sample_interval = sample_interval
        self._on_end = on_end
        self._lock = threading.Lock()
        self._started = 0.0
        self._last_scores: list[QualityScore | None] = [None, None]
        self._scored_at: tuple[int, int] | None = None
        self.race: Race | None = None
        self._snap = RaceSnapshot(status="queued" if gate else "starting")

    thread_name = "gan-arena-race"

    # ------------------------------------------------------------------ any thread
    def snapshot(self) -> RaceSnapshot:
        """A consistent copy of the race's state (lists copied, tensors shared: the thread never changes them)."""
        self.touch()
        with self._lock:
            snap = self._snap
            self._mark_place_in_line(snap)
            sides = [SideSnapshot(**{**s.__dict__, "records": list(s.records), "quality": list(s.quality)})
                     for s in snap.sides]
            if snap.active and self._started:
                snap.wall_elapsed = time.monotonic() - self._started
            return RaceSnapshot(**{**snap.__dict__, "sides": sides, "saved_to": list(snap.saved_to)})

    # ------------------------------------------------------------------ the thread
    def _work(self) -> dict[str, Any]:
        self._set(status="starting")
        self._started = time.monotonic()
        self.race = self._make_race()
        self._publish_headers()
        self._publish_samples()
        self._score()
        self._set(status="running")
        outcome = self._run()
        self._end()  # the verdict and the saved runs are in place before the UI sees the race as ended
        return {"status": outcome, **({"progress": 1.0} if outcome == "finished" else {})}

    def _wind_up(self, end: dict[str, Any]) -> dict[str, Any]:
        return {"wall_elapsed": time.monotonic() - self._started if self._started else 0.0}

    @property
    def _built(self) -> Race:
        """The race, in the methods the thread runs once it has built it."""
        assert self.race is not None, "the thread builds the race first"
        return self.race

    def _run(self) -> str:
        """Race until the end or a stop; return how it ended: 'finished' or 'stopped'."""
        race = self._built
        next_score = 1
        last_sample = time.monotonic()
        while not race.finished():
            if self._stop.is_set() or self._abandoned():
                return "stopped"
            side, record = race.step()
            self._publish(side, record)
            if time.monotonic() - last_sample >= self._sample_interval:
                self._publish_samples()
                last_sample = time.monotonic()
            progress = race.progress()
            if progress >= next_score / self._quality_points:
                self._score()
                next_score = math.floor(progress * self._quality_points + 1e-9) + 1
        return "finished"

    def _end(self) -> None:
        """Final grids, a final score if the last one is stale, the verdict, and the saved runs."""
        race = self._built
        self._publish_samples()
        if self._scored_at != self._iterations():
            self._score()
        contenders = [race.contender(side, self._last_scores[side]) for side in (0, 1)]
        self._set(contenders=contenders, verdict=verdict(*contenders))
        if self._on_end is None:
            return
        for side, trainer in enumerate(race.trainers):
            if trainer.iteration == 0:
                continue
            state = trainer.state_dict()
            score = self._last_scores[side]
            if score is not None:
                state["quality"] = asdict(score)  # what the Latent Explorer shows about a run
            try:
                saved = str(self._on_end(side, state))
            except Exception as err:  # a full disk must not hide the race's own outcome
                self._set(error=f"{race.labels[side]} could not be saved: {save_failure(err)}")
                continue
            with self._lock:
                self._snap.saved_to.append(saved)

    def _iterations(self) -> tuple[int, int]:
        a, b = (t.iteration for t in self._built.trainers)
        return a, b

    def _score(self) -> None:
        if self._scorer is None:
            return
        race = self._built
        scores = [self._scorer(t.G) for t in race.trainers]
        self._last_scores = [score for score in scores]
        self._scored_at = self._iterations()
        with self._lock:
            for side, score in enumerate(scores):
                trainer = race.trainers[side]
                self._snap.sides[side].quality.append(
                    {"iteration": trainer.iteration, "elapsed": trainer.elapsed, **asdict(score)})

    def _publish_headers(self) -> None:
        race = self._built
        sides = [SideSnapshot(label=race.labels[s], arch=t.config.arch, params_g=count_parameters(t.G),
                              params_d=count_parameters(t.D))
                 for s, t in enumerate(race.trainers)]
        self._set(sides=sides, budget=race.budget.describe())

    def _publish(self, side: int, record: Record | None) -> None:
        race = self._built
        trainer = race.trainers[side]
        progress = race.progress()
        with self._lock:
            s = self._snap.sides[side]
            if record is not None:
                s.records.append(record.metrics())
            s.iteration = trainer.iteration
            s.elapsed = trainer.elapsed
            s.its_per_sec = trainer.iteration / trainer.elapsed if trainer.elapsed > 0 else 0.0
            s.done = race.done(side)
            s.error = race.errors[side]
            self._snap.progress = progress

    def _publish_samples(self) -> None:
        samples = self._built.samples()  # both at the same moment of the race
        with self._lock:
            for side, images in enumerate(samples):
                self._snap.sides[side].samples = images

    def _set(self, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._snap, key, value)
