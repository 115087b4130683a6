"""Two GAN runs raced side by side, fairly, and a verdict on which generator came out better.

A race is fair when both sides get the same things:
- the same data in the same order: both trainers load the same dataset and seed their sampler's own generator
  (`GANTrainer.data_rng`) with the same seed, so each epoch visits the digits in the same order on both sides, even
  when one side's model draws more noise than the other's or takes bigger batches;
- the same fixed noise for the sample grids, when the two latent sizes match (drawn from the same seed);
- the same budget. `RaceBudget("iterations", N)`: both run N iterations, in lockstep. `RaceBudget("seconds", S)`:
  each gets S seconds of *training time*. One thread advances both, always moving the side that is behind, so at
  any moment the two differ by at most one record's worth of iterations, or of time.

Why seconds by default: on a CPU the DCGAN does ~7 iterations a second and the MLP GAN ~140, so a race of equal
iterations would hand the DCGAN twenty times the compute. Equal time asks what a user wants to know: which one
draws better digits after a minute and a half?

`Race` is the engine: `run()` yields (side, Record) pairs, the two-player version of `GANTrainer.run()`.
`arena.race_runner.RaceRunner` drives it in a background thread for the Compare page. `verdict()` turns two
`Contender`s (the two sides of a race, or two checkpoints) into the comparison table.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gan.config import Config, ConfigError
from gan.data import words_for
from gan.models import NoiseGenerator, build_discriminator, build_generator, count_parameters
from gan.quality import QualityScore
from gan.train import GANTrainer, Record, TrainingDiverged

BUDGET_UNITS = ("seconds", "iterations")
# What both sides must share for the race to be fair (and for the grids to show the same noise).
SHARED_FIELDS = ("dataset", "image_size", "image_folder", "data_dir", "download", "seed", "device", "n_samples",
                 "log_every")
MAX_SECONDS = 7 * 24 * 3600
WALL_PER_TRAINING_SECOND = 1.15  # clock time per second of training in a race: scoring, sampling, turn-taking
MAX_ITERATIONS = 10_000_000


@dataclass(frozen=True)
class RaceBudget:
    """How long a race lasts: the same for both sides."""

    unit: str = "seconds"
    """'seconds': each side trains for `amount` seconds (the fair unit between architectures of different speed);
    'iterations': both run `amount` iterations."""
    amount: float = 90.0
    """Seconds of training per side, or iterations per side."""

    def validate(self) -> RaceBudget:
        """Raise ConfigError naming the bad field; return self when all is well."""
        if self.unit not in BUDGET_UNITS:
            raise ConfigError(f"budget unit must be one of {', '.join(BUDGET_UNITS)} (got {self.unit!r})")
        high = MAX_SECONDS if self.unit == "seconds" else MAX_ITERATIONS
        value = self.amount
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"budget amount must be a finite number (got {value!r})")
        if self.unit == "iterations" and value != int(value):
            raise ConfigError(f"budget amount must be a whole number of iterations (got {value!r})")
        if not 0 < value <= high:
            raise ConfigError(f"budget amount must be in (0, {high:,}] {self.unit} (got {value!r})")
        return self

    def apply(self, config: Config) -> Config:
        """`config` with this budget as its only budget."""
        if self.unit == "seconds":
            return config.replace(iterations=None, epochs=None, seconds=float(self.amount))
        return config.replace(iterations=int(self.amount), epochs=None, seconds=None)

    def wall_seconds(self) -> float | None:
        """About how long a race by time takes on the clock: both sides train in one thread, taking turns, and are
        scored and sampled on the way (a 90 s race took 3 min 27 s, 1.15x the training time, on a 2-core CPU).
        None for a race by iterations, whose length depends on each side's speed."""
        if self.unit != "seconds":
            return None
        return 2 * self.amount * WALL_PER_TRAINING_SECOND

    def describe(self) -> str:
        if self.unit == "seconds":
            return f"{self.amount:g} s of training each"
        return f"{int(self.amount):,} iterations each"


def check_shared(configs: Sequence[Config]) -> None:
    """ConfigError naming the first field the two sides must share but do not."""
    a, b = configs
    for name in SHARED_FIELDS:
        if getattr(a, name) != getattr(b, name):
            raise ConfigError(f"a fair race needs the same {name} on both sides "
                              f"(got {getattr(a, name)!r} and {getattr(b, name)!r})")


class Race:
    """Two GANTrainers advanced in one thread, fairly: the side that is behind always moves next.

    "Behind" is fewer iterations in an iteration race, less training time in a seconds race; ties go to side 0.
    A side that diverges stops (its last good state is restored, `errors[side]` says why) and the other races on.
    """

    def __init__(self, configs: Sequence[Config], budget: RaceBudget, labels: Sequence[str] = ("A", "B"),
                 images: np.ndarray | None = None, device: torch.device | str | None = None):
        if len(configs) != 2 or len(labels) != 2:
            raise ValueError("a race has exactly two sides")
        self.budget = budget.validate()
        configs = [self.budget.apply(c).validate() for c in configs]
        check_shared(configs)  # the same dataset: both sides load the same images (or train on `images`)
        self.labels = tuple(labels)
        self.trainers = tuple(GANTrainer(c, images=images, device=device) for c in configs)
        self.errors: list[str | None] = [None, None]
        self._records = [t.run() for t in self.trainers]
        self._done = [t.finished() for t in self.trainers]

    def clock(self, side: int) -> float:
        """How far a side has got, in the budget's unit."""
        trainer = self.trainers[side]
        return trainer.elapsed if self.budget.unit == "seconds" else trainer.iteration

    def behind(self) -> int | None:
        """The side to move next; None when both are done."""
        waiting = [side for side in (0, 1) if not self._done[side]]
        return min(waiting, key=self.clock) if waiting else None  # min keeps the first of equals: side 0

    def done(self, side: int) -> bool:
        return self._done[side]

    def finished(self) -> bool:
        return all(self._done)

    def progress(self) -> float:
        """Fraction of the race run, in [0, 1]: that of the side furthest behind (a side that is done counts 1)."""
        return min(1.0 if self._done[s] else self.trainers[s].progress() for s in (0, 1))

    def step(self) -> tuple[int, Record | None]:
        """Move the side that is behind by one record (`log_every` iterations): (side, record).

        The record is None when that side diverged instead. Raises StopIteration once both sides are done.
        """
        side = self.behind()
        if side is None:
            raise StopIteration("the race is over")
        trainer = self.trainers[side]
        try:
            record = next(self._records[side], None)
        except TrainingDiverged as err:
            self.errors[side] = str(err)
            trainer.load_state_dict(trainer.good_state())  # score and save the last good weights, not NaNs
            record = None
        if record is None or trainer.finished():
            self._done[side] = True
        return side, record

    def run(self) -> Iterator[tuple[int, Record]]:
        """Race to the end: yields (side, record) in the order the records were made."""
        while not self.finished():
            side, record = self.step()
            if record is not None:
                yield side, record

    def samples(self) -> list[torch.Tensor]:
        """Both sides' images of their fixed noise, taken now: (n, 1, 28, 28) in [-1, 1] each, on the CPU."""
        return [t.sample_fixed() for t in self.trainers]

    def contender(self, side: int, quality: QualityScore | None = None) -> Contender:
        trainer = self.trainers[side]
        return Contender(label=self.labels[side], config=trainer.config, quality=quality,
                         params_g=count_parameters(trainer.G), params_d=count_parameters(trainer.D),
                         iteration=trainer.iteration, elapsed=trainer.elapsed)


@torch.inference_mode()
def same_noise_samples(G: NoiseGenerator, n: int = 64, seed: int = 0) -> torch.Tensor:
    """n eval-mode samples of G from the noise `seed` names: two generators of one latent size get the same z.

    Returns (n, 1, 28, 28) float32 in [-1, 1] on the CPU.
    """
    device = next(G.parameters()).device
    inputs = [t.to(device) for t in G.sample_inputs(n, torch.Generator().manual_seed(seed))]
    was_training = G.training
    G.eval()
    try:
        return G(*inputs).float().cpu()
    finally:
        G.train(was_training)


# ---------------------------------------------------------------------------------------------- the verdict
@dataclass(frozen=True)
class Contender:
    """One side's numbers for the verdict, from a race or from a checkpoint."""

    label: str
    config: Config
    quality: QualityScore | None
    """The bundled classifier's judgement of the generator (None when not scored)."""
    params_g: int
    params_d: int
    iteration: int
    elapsed: float | None
    """Seconds of training; None when the checkpoint does not say."""

    @property
    def its_per_sec(self) -> float | None:
        return self.iteration / self.elapsed if self.elapsed else None

    @property
    def images_seen(self) -> int:
        """Real images shown to D (pre-training excluded): iterations x d_steps x batch size."""
        return self.iteration * self.config.d_steps * self.config.batch_size


def contender_from_checkpoint(label: str, state: dict, quality: QualityScore | None = None) -> Contender:
    """A checkpoint's side of a comparison (parameters counted on freshly built networks of its config)."""
    config = state["config"]
    config = config if isinstance(config, Config) else Config.from_dict(config)
    elapsed = state.get("elapsed")
    return Contender(label=label, config=config, quality=quality,
                     params_g=count_parameters(build_generator(config)),
                     params_d=count_parameters(build_discriminator(config)),
                     iteration=int(state.get("iteration", 0)), elapsed=float(elapsed) if elapsed else None)


@dataclass(frozen=True)
class VerdictRow:
    """One line of the verdict table."""

    criterion: str
    values: tuple[float | None, float | None]
    better: str | None
    """'lower', 'higher', or None for a row that only informs."""
    fmt: str
    """Format of a value, e.g. '{:.1f}'."""

    @property
    def winner(self) -> int | None:
        """0 or 1 for the side that does better on this row; None for a tie, an unknown or an informative row."""
        a, b = self.values
        if self.better is None or a is None or b is None or a == b:
            return None
        return int(b < a) if self.better == "lower" else int(b > a)

    def formatted(self) -> tuple[str, str]:
        a, b = ("—" if v is None else self.fmt.format(v) for v in self.values)
        return a, b


def verdict(a: Contender, b: Contender) -> list[VerdictRow]:
    """The comparison table: quality first (classifier FID, confidence, coverage; on shapes the factor network's),
    then speed and size. Where no network scores the data, or the two learnt different data, the quality rows are
    left out."""
    qa, qb = a.quality, b.quality
    words = words_for(a.config.dataset)

    def q(name):
        return (getattr(qa, name) if qa else None, getattr(qb, name) if qb else None)

    scorer = (words.scorer or "").capitalize()
    quality = [
        VerdictRow(f"{scorer} FID (lower is better)", q("fid"), "lower", "{:.1f}"),
        VerdictRow(f"{scorer} confidence", q("confidence"), "higher", "{:.0%}"),
        VerdictRow("Recognisable samples (confidence ≥ 90 %)", q("recognisable"), "higher", "{:.0%}"),
        VerdictRow(f"{words.noun.capitalize()} classes covered, of {len(words.kinds)} (few: mode collapse)",
                   q("classes_covered"), "higher", "{:.0f}"),
    ] if words.scorer and a.config.dataset == b.config.dataset else []  # scores of different data do not compare
    return [
        *quality,
        VerdictRow("Speed (iterations/s)", (a.its_per_sec, b.its_per_sec), "higher", "{:,.1f}"),
        VerdictRow("Iterations", (a.iteration, b.iteration), None, "{:,.0f}"),
        VerdictRow("Training time (s)", (a.elapsed, b.elapsed), None, "{:,.1f}"),
        VerdictRow("Real images shown to D", (a.images_seen, b.images_seen), None, "{:,.0f}"),
        VerdictRow("Size: generator parameters (fewer is lighter)", (a.params_g, b.params_g), "lower", "{:,.0f}"),
        VerdictRow("Size: discriminator parameters", (a.params_d, b.params_d), "lower", "{:,.0f}"),
    ]


__all__ = ["BUDGET_UNITS", "SHARED_FIELDS", "Contender", "Race", "RaceBudget", "VerdictRow", "check_shared",
           "contender_from_checkpoint", "same_noise_samples", "verdict"]
