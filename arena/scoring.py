"""The live quality points a training page plots, computed where the training runs."""

from __future__ import annotations

from dataclasses import asdict

import torch

from gan.config import Config
from gan.data import OWN_IMAGES, SHAPES
from gan.image_scores import ImageReference, eval_samples, score_own_images
from gan.quality import SCORE_SAMPLES, conditional_accuracy, score_generator


def score_every(config: Config) -> int:
    """Iterations between live quality scores: every few seconds at each architecture's CPU speed."""
    return 300 if config.arch == "mlp" else 50


def live_scores(trainer) -> dict:
    """The quality point the Train page plots; a conditional GAN also says how often it draws the digit asked for, a
    run on a fraction of the data how D judges the digits it trains on and those held out.

    Each dataset is scored on features that mean something for it: digits by the bundled digit classifier, the
    shapes by the bundled factor network (gan.factors), the user's own images by copies and random features
    (gan.image_scores); Fashion-MNIST by none (no classifier here knows clothes); a CycleGAN translates images
    instead of drawing from noise: its point is the cycle reconstruction error.
    """
    config = trainer.config
    if config.arch == "cyclegan":
        from gan.train.cyclegan import cycle_scores

        return cycle_scores(trainer)
    if config.digits:
        scores = asdict(score_generator(trainer.shown_generator))
        if trainer.conditional:
            scores["label_accuracy"] = conditional_accuracy(trainer.shown_generator)
    elif config.dataset in OWN_IMAGES:
        scores = score_own_images(trainer.shown_generator, _reference(trainer))
    elif config.dataset in SHAPES:
        from gan.factors import factor_scores

        scores = factor_scores(eval_samples(trainer.shown_generator, SCORE_SAMPLES), rgb=config.channels == 3)
        if trainer.conditional:
            from gan.factors import shape_accuracy

            scores["label_accuracy"] = shape_accuracy(trainer.shown_generator)
    else:
        scores = {}
    scores.update(trainer.memorisation() or {})  # D's accuracy on its training images and on held-out ones
    return scores


REFERENCE_IMAGES = 2_000  # training images the own-image scores compare with (evenly spread over the set)


def _reference(trainer) -> ImageReference:
    """The run's training images as the own-image scores' reference, made at the first point and kept."""
    reference = getattr(trainer, "_image_reference", None)
    if reference is None:
        real = trainer.real
        pick = torch.linspace(0, len(real) - 1, min(REFERENCE_IMAGES, len(real))).long().to(real.device)
        reference = trainer._image_reference = ImageReference(real[pick].float().cpu())
    return reference


def race_scorer(config: Config):
    """What scores a race's two generators on the race's data: the digit classifier, the shapes' factor network, or
    nothing (the verdict's quality rows stay empty where no score means anything)."""
    if config.digits:
        return score_generator
    if config.dataset in SHAPES:
        from functools import partial

        from gan.factors import score_shapes

        return partial(score_shapes, rgb=config.channels == 3)
    return None
