"""The 2-D Playground's presets: a lesson per dataset or failure, each a ToyConfig and what to watch."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gan.config import ConfigError
from gan.toy import ToyConfig


# ---------------------------------------------------------------------------------------------- lessons
@dataclass(frozen=True)
class ToyLesson:
    """One entry of the playground's preset picker."""

    name: str
    summary: str
    """What to watch for."""
    config: ToyConfig
    focus: tuple[str, ...] = ()
    """The fields this lesson is about."""


def smiley(spacing: float = 0.2) -> tuple[tuple[float, float], ...]:
    """The "draw your own" preset's starting picture: two eyes and a smile, on the drawing canvas' grid."""
    eyes = [(x + dx, 0.8 + dy) for x in (-0.8, 0.8) for dx in (-spacing, 0.0, spacing) for dy in (0.0, spacing)]
    angles = np.linspace(np.pi * 1.15, np.pi * 1.85, 11)
    mouth = [(1.6 * math.cos(a), 1.6 * math.sin(a) + 0.2) for a in angles]
    def snap(v: float) -> float:
        return round(round(v / spacing) * spacing, 3)

    return tuple(sorted({(snap(x), snap(y)) for x, y in eyes + mouth}))


# The figures in the comments are from seed-0 CPU runs (python -m gan.train.toy; tests/gan/test_toy.py checks the first).
LESSONS: dict[str, ToyLesson] = {
    # Mode coverage 8/8 by iteration ~1,500 (seeds 0-2), JS divergence ~0.2 by 3,000.
    "ring": ToyLesson(
        name="Ring of 8 Gaussians",
        summary=("The classic test of a GAN. Watch the fakes leave the centre, the arrows pull them towards the "
                 "green (real) regions of D's map, and the fakes spread until all eight modes hold some."),
        config=ToyConfig().validate(),
    ),
    # Coverage 0-1 of 8 from start to the end of 4,000-iteration runs (seeds 0, 1): one clump hopping between
    # modes. Setting lr_d to lr_g (1e-3) live at iteration 2,000 gives 8/8 by ~5,000.
    "mode-collapse": ToyLesson(
        name="Mode collapse on the ring",
        summary=("G learns 40x faster than D, so it rushes all its points to wherever D's nearly flat map says "
                 "'real' right now: the fakes squeeze into one clump that drifts from mode to mode, and the "
                 "coverage stays at 0 or 1 of 8. Set lr_d to lr_g (1e-3) live and watch them spread."),
        config=ToyConfig(lr_g=2e-3, lr_d=5e-5).validate(),
        focus=("lr_g", "lr_d"),
    ),
    # Until the fix: D right on 100 % of the fakes, D(G(z)) ~0.12, the fakes one clump on one mode (coverage 1/8).
    # Lowering lr_d to 1e-4 and d_steps to 1 live at iteration 2,000 gives 7/8 by 4,000.
    "strong-d": ToyLesson(
        name="Discriminator too strong",
        summary=("A deeper, wider D that learns 10x faster and takes 5 steps per G step: its map turns sharp, it "
                 "spots every fake, and G's points huddle in one clump that D keeps rejecting. Lower lr_d and "
                 "d_steps live and watch G come back."),
        config=ToyConfig(d_layers=3, d_width=128, d_steps=5, lr_d=3e-3, lr_g=3e-4).validate(),
        focus=("d_layers", "d_width", "d_steps", "lr_d", "lr_g"),
    ),
    # Plain SGD, so gradient sizes matter (Adam would rescale them). Minimax: D(G(z)) < 0.001 and arrows of length
    # ~0 from iteration 500 on, the fakes never leave the centre (coverage 0). Non-saturating, same knobs: arrows
    # ~1-6 long and the fakes reach 3-4 modes.
    "saturating": ToyLesson(
        name="Saturating loss: the arrows vanish",
        summary=("The original minimax loss log(1 − D(G(z))) against a fast D, with plain SGD: D quickly calls "
                 "the fakes fake, where that loss is flat, so the arrows shrink to nothing and the fakes never "
                 "leave the centre. Switch g_loss to non-saturating and start again."),
        config=ToyConfig(optimizer="sgd", g_loss="minimax", lr_d=0.1, lr_g=0.02, d_steps=5).validate(),
        focus=("g_loss", "optimizer", "lr_d", "d_steps"),
    ),
    "grid": ToyLesson(
        name="5x5 grid of Gaussians",
        summary="25 modes: harder than the ring. The coverage fills quickly; the JS divergence shows how sharp.",
        config=ToyConfig(dataset="grid").validate(),
    ),
    "draw": ToyLesson(
        name="Draw your own data",
        summary=("Click, box- or lasso-select points on the canvas (under Data) to draw the real distribution, "
                 "then press Start."),
        config=ToyConfig(dataset="custom", points=smiley(), noise=0.05).validate(),
        focus=("points",),
    ),
}


def lesson(slug: str) -> ToyLesson:
    if slug not in LESSONS:
        raise ConfigError(f"preset must be one of {', '.join(LESSONS)} (got {slug!r})")
    return LESSONS[slug]
