"""Guided tours, as data: a few short steps shown beside the page they drive.

A step says what to do and what to look for. It can set the page up (a preset, Start, a live change of the knobs)
and can wait for a moment in the live run (`Watch`: a check of gan.watch, with its arguments), then say what the
student just saw in words that quote the run's own numbers. A watched moment must come within the step's
iterations on a CPU with the tour's seed (tests/gan/test_tours.py runs every one headless); when it does not, the
step says what happened instead.

Texts are for a 16-year-old: short sentences, one idea per step, every term explained where it first appears (the
glossary, GLOSSARY, holds the words the steps use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAGES = ("train", "explorer", "compare", "playground")


@dataclass(frozen=True)
class Watch:
    """A moment a step waits for in the live run."""

    check: str
    """A check of gan.watch.CHECKS."""
    seen: str
    """What the student just saw, a format string over the check's numbers."""
    instead: str
    """What happened instead when the moment has not come by `within` iterations (the check's latest numbers)."""
    within: int
    """Iterations of the run (after the step's live change, for a step that makes one) the moment may take."""
    args: dict[str, Any] = field(default_factory=dict)
    """The check's keyword arguments."""


@dataclass(frozen=True)
class Setup:
    """What a step does to the page when the student asks for it ("Do it for me")."""

    preset: str | None = None
    """The page's preset to pick (Train, Playground) or race (Compare); the tour's seed goes with it."""
    start: bool = False
    """Start the run (after picking the preset)."""
    knobs: tuple[tuple[str, Any], ...] = ()
    """Live changes to the running game: (name, value) pairs of lr_g, lr_d, d_steps, g_loss."""

    def __bool__(self) -> bool:
        return bool(self.preset or self.start or self.knobs)


@dataclass(frozen=True)
class Step:
    title: str
    say: str
    """What to do, and what to look for (Markdown, plain words)."""
    setup: Setup = Setup()
    watch: Watch | None = None
    page: str | None = None
    """The page the step is on, when it is not the tour's."""


@dataclass(frozen=True)
class Tour:
    title: str
    summary: str
    page: str
    """The page the tour drives (see PAGES)."""
    steps: tuple[Step, ...]
    seed: int = 0


WHAT_NEXT = ("Press **Finish**, then pick another tour under **Guided tours** in the sidebar (or on Home), or try the "
             "knobs on your own.")

TOURS: dict[str, Tour] = {
    "first-gan": Tour(
        title="Your first GAN",
        summary="What the two players do, what D(x) and D(G(z)) mean, and how digits appear out of noise.",
        page="train",
        steps=(
            Step("Two players",
                 "A GAN is a game between two neural networks. The **generator** (G) turns a list of random numbers "
                 "(the **noise** z) into an image. The **discriminator** (D) looks at an image and gives a score "
                 "between 0 and 1: how sure it is that the image is a real digit. D wants to tell real from fake. "
                 "G wants to fool D."),
            Step("Start the game",
                 "Press *Do it for me*: it picks this tour's lesson and starts it. At first G draws only static. "
                 "Scroll down to the chart **What D believes**: D(x) is D's score for real digits, D(G(z)) its "
                 "score for G's fakes.",
                 setup=Setup(preset="fast", start=True),
                 watch=Watch("d_tells_apart", within=1_500, args={"gap": 0.3},
                             seen=("At iteration {iteration:,}, D scored the real digits {d_real:.2f} and G's "
                                   "fakes {d_fake:.2f}. D already tells them apart: the fakes are still static."),
                             instead=("By iteration {iteration:,}, D scores real digits {d_real:.2f} and fakes "
                                      "{d_fake:.2f}: the gap never grew to 0.3. D learned slowly this time."))),
            Step("G catches up",
                 "G learns from D's scores: it changes its images so that D calls them real more often. Watch the "
                 "two lines in **What D believes** (under the grid) come closer.",
                 watch=Watch("d_fooled", within=3_000, args={"level": 0.3, "after": 300},
                             seen=("At iteration {iteration:,}, D(G(z)) climbed to {d_fake:.2f} (D(x) is "
                                   "{d_real:.2f}). D is fooled far more often now, though the fakes are still "
                                   "blobs: D, too, is only learning."),
                             instead=("By iteration {iteration:,}, D(G(z)) is only {d_fake:.2f}: D still rejects "
                                      "most fakes. G has not caught up yet."))),
            Step("Digits appear",
                 "Look at the grid: the same noise, drawn again and again as G learns. A **digit classifier** (a "
                 "network trained to read digits) checks which digits G draws: scroll down to **Which digits G "
                 "draws**.",
                 watch=Watch("digits_drawn", within=8_000, args={"classes": 10},
                             seen=("At iteration {iteration:,} ({seconds:.0f} s of training) the classifier found "
                                   "all ten digits, 0 to 9, among G's samples. Nobody showed G a single digit: it "
                                   "learned them only from D's scores."),
                             instead=("By iteration {iteration:,}, the classifier finds {classes} of the ten digits. "
                                      "Give it more time: the others usually follow."))),
            Step("What you saw",
                 "D learned first, then G caught up. Neither wins in a good game: D(x) and D(G(z)) come close "
                 "(here they settle near 0.6 and 0.4), because D can no longer be sure. " + WHAT_NEXT),
        ),
    ),
    "d-wins": Tour(
        title="When D wins",
        summary="A discriminator that learns far faster than G: G gets nothing to learn from. Then the cure.",
        page="train",
        steps=(
            Step("An unfair game",
                 "This lesson makes D learn 40 times faster than G, and take 3 steps for each step of G. What do "
                 "you think happens to G?"),
            Step("D runs away",
                 "Press *Do it for me*: it picks this lesson and starts it. Scroll down to **Discriminator "
                 "accuracy**: the share of images D sorts correctly.",
                 setup=Setup(preset="strong-d", start=True),
                 watch=Watch("d_wins", within=2_000,
                             seen=("From iteration {iteration:,}, D sorted {acc_real:.0%} of real and {acc_fake:.0%} "
                                   "of fake images correctly, and D(G(z)) is {d_fake:.3f}. D rejects every fake "
                                   "with certainty, so its scores no longer tell G which way to improve."),
                             instead=("By iteration {iteration:,}, D sorts {acc_real:.0%} of real and {acc_fake:.0%} "
                                      "of fake images correctly: it is strong, but not perfect yet."))),
            Step("The cure",
                 "Slow D down and let G keep pace: both learning rates 2e-4, one D step for each G step. *Do it for "
                 "me* makes the change live; a dashed line marks it on the curves.",
                 setup=Setup(knobs=(("lr_d", 2e-4), ("lr_g", 2e-4), ("d_steps", 1))),
                 watch=Watch("g_recovers", within=3_000, args={"level": 0.15},
                             seen=("{after:,} iterations after the change (at iteration {iteration:,}), D(G(z)) "
                                   "rose to {d_fake:.2f}: G fools D again, so it learns again."),
                             instead=("{after:,} iterations after the change, D(G(z)) is still {d_fake:.3f}. "
                                      "G is slow to climb out: give it time, or try lr_g 4e-4."))),
            Step("What you saw",
                 "A GAN needs a balanced game. A D that always wins is as useless to G as a teacher who only says "
                 "\"wrong\". " + WHAT_NEXT),
        ),
    ),
    "mode-collapse": Tour(
        title="Mode collapse",
        summary="G finds a few images that fool D and draws nothing else. How to spot it, and the cure.",
        page="train",
        steps=(
            Step("Variety matters",
                 "A good G draws all ten digits. In this lesson G learns 40 times faster than D. The chart **Which "
                 "digits G draws** shows how often a digit classifier sees each digit among G's samples."),
            Step("G collapses",
                 "Press *Do it for me*: it picks this lesson and starts it. Watch the grid, and scroll down to "
                 "**Which digits G draws**.",
                 setup=Setup(preset="mode-collapse", start=True),
                 watch=Watch("collapsed", within=4_000,
                             seen=("At iteration {iteration:,}, {top_share:.0%} of G's samples look like {digit}s and "
                                   "only {classes} of the ten digits appear. G found a few shapes that fool D and maps most "
                                   "noise onto them. That is **mode collapse**."),
                             instead=("By iteration {iteration:,}, G draws {classes} digits; the most common, {digit}, "
                                      "is {top_share:.0%} of its samples. It did not collapse this time."))),
            Step("The cure",
                 "Put both players at one pace: lr_g = lr_d = 2e-4. *Do it for me* makes the change live.",
                 setup=Setup(knobs=(("lr_g", 2e-4), ("lr_d", 2e-4))),
                 watch=Watch("digits_drawn", within=6_000, args={"classes": 5, "after_change": True},
                             seen=("{after:,} iterations after the change (at iteration {iteration:,}), the "
                                   "classifier sees {classes} digits again."),
                             instead=("{after:,} iterations after the change, G draws {classes} digits. The others "
                                      "come back slowly: leave it running."))),
            Step("What you saw",
                 "G does not have to draw everything to fool D today. A D that keeps up catches the few shapes, and "
                 "G has to spread out again. " + WHAT_NEXT),
        ),
    ),
    "why-minus-log-d": Tour(
        title="Why −log D",
        summary="The original loss log(1 − D(G(z))) goes flat exactly where G starts. The fix that every GAN uses.",
        page="train",
        steps=(
            Step("Two ways to score G",
                 "G's **loss** is the number it tries to make small. The original GAN paper used log(1 − D(G(z))). "
                 "When D rejects a fake, D(G(z)) is near 0, and this loss is almost flat there: the **gradient** "
                 "(the slope that tells G which way to change) is nearly zero."),
            Step("The loss saturates",
                 "Press *Do it for me*: it starts the original loss against a fast D. Scroll down to D(G(z)) in "
                 "**What D believes**.",
                 setup=Setup(preset="saturating", start=True),
                 watch=Watch("d_fake_stays_below", within=3_000, args={"level": 0.05, "iterations": 300},
                             seen=("D(G(z)) stayed below {level} for {span:,} iterations (from {start:,} to "
                                   "{iteration:,}): G gets almost no gradient from log(1 − D). That is the "
                                   "**saturating loss**."),
                             instead=("By iteration {iteration:,}, D(G(z)) is {d_fake:.3f}: it has not stayed below "
                                      "{level} for long. G still gets some gradient."))),
            Step("Switch to −log D",
                 "Minimise −log D(G(z)) instead: it is steep exactly where D rejects the fakes. *Do it for me* "
                 "switches the loss live (and slows D to 2e-4).",
                 setup=Setup(knobs=(("g_loss", "non-saturating"), ("lr_d", 2e-4))),
                 watch=Watch("g_recovers", within=3_000, args={"level": 0.1},
                             seen=("{after:,} iterations after the switch (at iteration {iteration:,}), D(G(z)) "
                                   "rose to {d_fake:.2f}: with a steep loss, G learns again."),
                             instead=("{after:,} iterations after the switch, D(G(z)) is {d_fake:.3f}. Leave it "
                                      "running: G is climbing out."))),
            Step("What you saw",
                 "Both losses have the same goal, but only −log D gives G a strong push when it is losing. That is "
                 "why almost every GAN uses it. " + WHAT_NEXT),
        ),
    ),
    "latent-walk": Tour(
        title="Walking the latent space",
        summary="What the noise z means to a trained G: directions, sliders and smooth walks between two digits.",
        page="explorer",
        steps=(
            Step("A trained generator",
                 "This page uses a generator that was trained before the lesson. Each image comes from one noise "
                 "vector z: 100 random numbers. The space of all z is the **latent space**."),
            Step("Walk from A to B",
                 "Move the slider **t: from A (0) to B (1)**. At 0 you see the digit of z_A, at 1 the digit of "
                 "z_B; in between, G draws the points on the way. Every image on the strip is a real output of G. "
                 "A smooth change means G learned a smooth space, not a list of images."),
            Step("Push z along a direction",
                 "Under **Edit z along**, move the slider **PC1**: it pushes z along the direction that changes G's "
                 "first layer the most. Watch which feature changes: thickness, slant, or the digit itself. Then "
                 "try PC2."),
            Step("Pick your own A and B",
                 "Open **Pick A and B from a random grid** and choose two digits you like. Does the walk between "
                 "two different digits pass through a third one? The **nearest training digit** beside the image "
                 "shows that G does not simply copy a digit it was shown."),
            Step("What you saw",
                 "Nearby points of the latent space give similar images. " + WHAT_NEXT),
        ),
    ),
    "mlp-vs-dcgan": Tour(
        title="MLP vs DCGAN",
        summary="The same data, seed and budget for two architectures: which draws better digits, and why.",
        page="compare",
        steps=(
            Step("Two architectures",
                 "An **MLP** sees an image as a flat list of 784 numbers. A **DCGAN** uses **convolutions**: small "
                 "filters that slide over the image and know which pixels are neighbours."),
            Step("Start the race",
                 "Press **Start race**: both train on the same digits, in the same order, for the same time.",
                 setup=Setup(preset="architecture-time")),
            Step("Read the scores",
                 "**FID** compares the features of G's images with those of real digits: lower is better. Watch "
                 "which side's FID falls faster, and look at the strokes in the two grids."),
            Step("What you saw",
                 "The DCGAN is slower per step but draws sharper strokes: convolutions suit images. " + WHAT_NEXT),
        ),
    ),
    "stabilisers": Tour(
        title="The modern stabilisers",
        summary="One step per trick that made GANs train reliably after 2016, each a lesson preset to run.",
        page="train",
        steps=(
            Step("Why tricks?",
                 "GAN games easily tip over: D wins, G collapses, losses explode. Each step below picks a lesson "
                 "with one trick. Press *Do it for me*, then **Start**, and compare its curves with the seed "
                 "(turn on **Before and after**)."),
            Step("Label smoothing",
                 "D aims for 0.9 instead of 1 on real digits, so it never grows over-confident.",
                 setup=Setup(preset="label-smoothing")),
            Step("Spectral normalisation",
                 "Each layer of D is kept from stretching its input too much, so D's scores change smoothly and G "
                 "gets useful gradients, even against a D that learns 40 times faster (this lesson).",
                 setup=Setup(preset="spectral-norm")),
            Step("Hinge loss",
                 "D stops pushing once an image is clearly real or clearly fake: no reward for being extra sure.",
                 setup=Setup(preset="hinge")),
            Step("WGAN-GP",
                 "D becomes a **critic** that gives a score, not a probability, and a **gradient penalty** keeps "
                 "its slope near 1.",
                 setup=Setup(preset="wgan-gp")),
            Step("Averaged G (EMA)",
                 "The grid is drawn by an average of G's recent weights: the jitter of the chase is smoothed out.",
                 setup=Setup(preset="ema")),
            Step("Two time-scales (TTUR)",
                 "D learns 4 times faster than G, with one step each: D stays a good judge without running away. "
                 "*Do it for me* also starts the run: watch **What D believes**.",
                 setup=Setup(preset="ttur", start=True),
                 watch=Watch("d_fooled", within=3_000, args={"level": 0.3, "after": 300},
                             seen=("At iteration {iteration:,}, D(G(z)) is {d_fake:.2f} and D(x) {d_real:.2f}: "
                                   "although D learns 4 times faster, G still fools it often. D leads, but does "
                                   "not run away."),
                             instead=("By iteration {iteration:,}, D(G(z)) is only {d_fake:.2f}: this time D ran "
                                      "ahead."))),
            Step("DiffAugment",
                 "With few real images D memorises them. Shifting and cutting both real and fake images the same "
                 "way stops that.",
                 setup=Setup(preset="diffaugment")),
            Step("What you saw",
                 "Every trick keeps the game balanced in its own way. " + WHAT_NEXT),
        ),
    ),
    "game-2d": Tour(
        title="The whole game in 2-D",
        summary="Real data as dots on a plane: see D's map, the arrows that move G's points, and mode collapse.",
        page="playground",
        steps=(
            Step("Dots instead of digits",
                 "Here the real data are points on a plane (green): 8 clusters in a ring. G makes its own points "
                 "(orange) from noise. The background is D's map: how sure D is, at each spot, that a point there "
                 "is real."),
            Step("Watch the points spread",
                 "Press *Do it for me*: it picks the ring and starts. The arrows show where D's scores push each "
                 "fake point.",
                 setup=Setup(preset="ring", start=True),
                 watch=Watch("modes_covered", within=4_000, args={"share": 0.75},
                             seen=("At iteration {iteration:,}, G's points held {covered} of the {modes} clusters "
                                   "(JS divergence {js:.2f}: 0 means the same spread as the real dots)."),
                             instead=("By iteration {iteration:,}, G's points hold {covered} of the {modes} clusters. "
                                      "Leave it running: they usually spread further."))),
            Step("Mode collapse in 2-D",
                 "Now G learns 40 times faster than D: its points rush into one clump that hops from cluster to "
                 "cluster. Press *Do it for me*, then compare with what you just saw.",
                 setup=Setup(preset="mode-collapse", start=True)),
            Step("What you saw",
                 "On the plane you can see the whole game: D draws a map, G follows its slope. " + WHAT_NEXT),
        ),
    ),
}

GLOSSARY: dict[str, str] = {
    "generator (G)": "The network that makes images. It turns noise z into a picture.",
    "discriminator (D)": "The network that judges images: its score near 1 means \"real\", near 0 \"fake\".",
    "noise (z)": "A list of random numbers. G turns each list into one image.",
    "D(x)": "D's score for a real image x. Near 1: D thinks it is real.",
    "D(G(z))": "D's score for a fake image G(z). Near 1: the fake fooled D.",
    "loss": "A number a network tries to make small while it learns.",
    "gradient": "The slope of the loss: which way, and how much, each weight should change.",
    "learning rate": "How big a step a network takes each time it learns (lr_g for G, lr_d for D).",
    "iteration": "One round of the game: D learns on one batch, then G learns on one batch.",
    "batch": "A handful of images used together for one learning step.",
    "mode collapse": "G draws only a few kinds of image, because those fool D.",
    "latent space": "All the possible noise vectors z. Nearby z give similar images.",
    "FID": "Fréchet Inception Distance: how far the features of G's images are from real ones. Lower is better.",
    "classifier": "A network trained to say which digit an image shows; here it checks G's samples.",
}


def tour(slug: str) -> Tour:
    if slug not in TOURS:
        raise KeyError(f"tour must be one of {', '.join(TOURS)} (got {slug!r})")
    return TOURS[slug]
