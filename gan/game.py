"""Be the discriminator: a round of the game a student plays against D, and its score.

A round is N digits, half real and half drawn by G, shuffled; the student marks the ones they think are fake, and D
judges the very same pixels. Both are scored against the truth, so the page can put the student's accuracy beside
D's and follow both as G trains.

Pure and seeded: a round depends only on the networks, the real digits and its seed (its own CPU generator, so the
same on every device, and drawing one leaves the training's random streams, BatchNorm statistics and weights as they
were: a student who plays does not change their run). No UI here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from gan.imaging import from_uint8, to_uint8
from gan.models import NoiseGenerator
from gan.train.gan import SHIFT_INVARIANT, GANTrainer

ROUND_SIZE = 16  # two rows of eight on a 1280x720 screen


@dataclass(frozen=True)
class GameRound:
    """One round: the images as shown, the truth, and D's judgement of each (plain data: it crosses processes)."""

    images: torch.Tensor
    """(N, 1, 28, 28) uint8 on the CPU, real and fake shuffled."""
    real: tuple[bool, ...]
    """The truth: real[i] is True where image i is a real digit."""
    d_real: tuple[float, ...] | None
    """D's probability that image i is real; None where there is no D to ask (a bundled generator)."""
    iteration: int
    """G's (and D's) iteration when the round was drawn."""
    seed: int

    @property
    def d_says_real(self) -> tuple[bool, ...] | None:
        """D's verdict on each image: real where it gives it more than even odds."""
        return None if self.d_real is None else tuple(p > 0.5 for p in self.d_real)


@dataclass(frozen=True)
class RoundScore:
    """How many of a round's images the student and D got right."""

    total: int
    student_right: int
    d_right: int | None  # None: no D judged the round

    @property
    def student_accuracy(self) -> float:
        return self.student_right / self.total

    @property
    def d_accuracy(self) -> float | None:
        return None if self.d_right is None else self.d_right / self.total


def score_round(round_: GameRound, marked_fake: Iterable[int]) -> RoundScore:
    """The student marked the images at `marked_fake` as fake (the rest real); D's verdicts are its d_says_real."""
    marked = set(marked_fake)
    said_real = [i not in marked for i in range(len(round_.real))]
    d_says = round_.d_says_real
    return RoundScore(total=len(round_.real),
                      student_right=sum(s == truth for s, truth in zip(said_real, round_.real)),
                      d_right=None if d_says is None else sum(d == truth for d, truth in zip(d_says, round_.real)))


@torch.inference_mode()
def draw_round(G: NoiseGenerator, real: torch.Tensor, seed: int, *, n: int = ROUND_SIZE, D: nn.Module | None = None,
               real_labels: torch.Tensor | None = None, centred: bool = False, iteration: int = 0) -> GameRound:
    """n images, n // 2 of them picked from `real` ((M, 1, 28, 28) in [-1, 1]) and the rest drawn by G, shuffled;
    D's probability "real" for each where D is given.

    real_labels: (M,) the real digits' labels, for a conditional D (told the digit of a real image, and the digit G
    was asked for of a fake). centred: the objective sees only differences of D's scores (WGAN, relativistic), so
    "real" means above the midpoint of the round's mean real and mean fake scores, as the training curves read it.
    Both networks run in eval mode: each image is judged on its own (BatchNorm's running statistics), as the student
    judges it, not as part of an all-real or all-fake batch that would give its kind away.
    """
    if n < 2:
        raise ValueError(f"a round needs at least 2 images, one real and one fake (got n={n})")
    if len(real) < n // 2:
        raise ValueError(f"a round of {n} images needs {n // 2} real digits (got {len(real)})")
    generator = torch.Generator().manual_seed(seed)
    n_real, n_fake = n // 2, n - n // 2
    index = torch.randperm(len(real), generator=generator)[:n_real]
    inputs = G.sample_inputs(n_fake, generator)  # (z,) or (z, y), on the CPU
    order = torch.randperm(n, generator=generator)  # position i shows image order[i] of [reals, fakes]
    device = next(G.parameters()).device
    with _eval_mode(G, *([D] if D is not None else [])):
        fake = G(*(t.to(device) for t in inputs)).float()
        # The pixels the student sees (8-bit): D judges exactly those, and cannot tell a fake by its unrounded values
        images = to_uint8(torch.cat((real[index.to(real.device)].to(device), fake)))[order]  # (n, 1, 28, 28)
        d_real = None if D is None else _d_probabilities(D, images, order, n_real, inputs, real_labels, index,
                                                         centred)
    return GameRound(images=images, real=tuple(bool(i < n_real) for i in order.tolist()), d_real=d_real,
                     iteration=iteration, seed=seed)


def _d_probabilities(D: nn.Module, images: torch.Tensor, order: torch.Tensor, n_real: int,
                     inputs: tuple[torch.Tensor, ...], real_labels: torch.Tensor | None, index: torch.Tensor,
                     centred: bool) -> tuple[float, ...]:
    """D's probability "real" of each shown image (uint8 (n, 1, 28, 28)), told its digit where D is conditional."""
    device = next(D.parameters()).device
    condition: tuple[torch.Tensor, ...] = ()
    if real_labels is not None:  # the real digits' labels, then the digits G was asked for, in the shown order
        labels = torch.cat((real_labels[index.to(real_labels.device)].cpu(), inputs[1].cpu()))
        condition = (labels[order].to(device),)
    logits = D(from_uint8(images).to(device), *condition).float().reshape(-1).cpu()  # (n,)
    if centred:
        is_real = order < n_real
        logits = logits - (logits[is_real].mean() + logits[~is_real].mean()) / 2
    return tuple(torch.sigmoid(logits).tolist())


@contextmanager
def _eval_mode(*nets: nn.Module) -> Iterator[None]:
    """Nets in eval mode (no BatchNorm update, no dropout, no spectral-norm power step), put back as they were."""
    modes = [(module, module.training) for net in nets for module in net.modules()]
    for net in nets:
        net.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.train(training)


def trainer_round(trainer: GANTrainer, seed: int, n: int = ROUND_SIZE) -> GameRound:
    """A round from a run at its current iteration: G's fakes (the live G, the opponent D trains against; not the
    moving average the grid may show) among the run's training digits, judged by the run's D."""
    return draw_round(trainer.G, trainer.real, seed, n=n, D=trainer.D, real_labels=trainer.real_labels,
                      centred=trainer.config.objective in SHIFT_INVARIANT, iteration=trainer.iteration)


__all__ = ["ROUND_SIZE", "GameRound", "RoundScore", "draw_round", "score_round", "trainer_round"]
