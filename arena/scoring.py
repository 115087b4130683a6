"""The live quality points a training page plots, computed where the training runs."""

from __future__ import annotations

from dataclasses import asdict

from gan.config import Config
from gan.quality import conditional_accuracy, score_generator


def score_every(config: Config) -> int:
    """Iterations between live quality scores: every few seconds at each architecture's CPU speed."""
    return 300 if config.arch == "mlp" else 50


def live_scores(trainer) -> dict:
    """The quality point the Train page plots; a conditional GAN also says how often it draws the digit asked for, a
    run on a fraction of the data how D judges the digits it trains on and those held out.

    A CycleGAN translates images instead of drawing from noise: its point is the cycle reconstruction error.
    """
    if trainer.config.arch == "cyclegan":
        from gan.train.cyclegan import cycle_scores

        return cycle_scores(trainer)
    scores = asdict(score_generator(trainer.shown_generator))
    if trainer.conditional:
        scores["label_accuracy"] = conditional_accuracy(trainer.shown_generator)
    scores.update(trainer.memorisation() or {})  # D's accuracy on its training digits and on held-out ones
    return scores
