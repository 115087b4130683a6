"""The Train page's presets: the seeds' two GANs, and lessons that break one on purpose to show a classic failure.

Each lesson is a full, validated Config plus a sentence on what to watch and the fields it is about (`focus`), which
the page may highlight. The other lessons change only their focus fields (and the budget) of the seed-001 MLP GAN,
so a comparison with the preset isolates the lesson (and, for a failure, resetting them is the cure).
`gan.diagnose` flags each failure; the figures below are from seed-0 CPU runs (MLP GAN at ~90-140 it/s).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gan.config import Config, preset

# A failure shows within seconds; this budget leaves time to watch it and to steer live (~40 s at 140 it/s).
FAILURE_ITERATIONS = 5_000
# The DCGAN runs at ~7 it/s on a CPU: GANs in Action's 20,000 iterations would take 50 minutes, 1,500 take ~3.5.
DCGAN_ITERATIONS = 1_500
CGAN_ITERATIONS = 3_000  # batch 32 runs ~4x faster than the DCGAN's 128: ~3 minutes on a CPU
SGAN_ITERATIONS = 1_000  # ~100 s on a CPU; the classifier gap is ~5 points by then (the book runs 8,000)
SHAPES_ITERATIONS = 3_000  # ~6 it/s at 32x32 on a CPU: the lesson's 4 minutes end it first
DCGAN_SAMPLE_EVERY = 50  # a snapshot every ~7 s on a CPU, for the timeline (the book's 1,000 would give one)
# Every lesson also ends after this much training time, whichever of its iterations or its time comes first: speeds
# differ tenfold between machines (the seed MLP GAN's 30,000 iterations took 25 to 58 minutes with the page open on
# one), and a lesson has a class's attention for minutes, not an hour. The page's ETA comes from the measured speed.
LESSON_SECONDS = 240
FAILURE_SECONDS = 180  # a failure shows within the first minute; the rest is for steering it live


def _dcgan_at_32(dataset: str, **changes) -> Config:
    """The lessons beyond the digits: the book's DCGAN on `dataset` at 32x32, with a lesson's budget."""
    return preset("dcgan", dataset=dataset, image_size=32, iterations=SHAPES_ITERATIONS,
                  sample_every=DCGAN_SAMPLE_EVERY, **changes).validate()


@dataclass(frozen=True)
class Lesson:
    """One entry of the Train page's preset picker."""

    name: str
    """As shown in the preset selectbox."""
    summary: str
    """One or two sentences: what to watch for."""
    config: Config
    """A full, validated Config."""
    focus: tuple[str, ...]
    """The Config fields this lesson is about (the page may highlight them); empty for the seed presets."""
    failure: bool = False
    """A failure shown on purpose: it shows within a minute, so it runs for FAILURE_SECONDS."""
    shows_live_g: bool = False
    """The page draws G itself beside the moving average of its weights (the lesson is the average)."""


LESSONS: dict[str, Lesson] = {
    "mlp": Lesson(
        name="MLP GAN — seed 001",
        summary=("The classic Keras MNIST GAN. Watch D(x) and D(G(z)) settle near 0.6 and 0.4 while the blurry "
                 "strokes turn into all ten digits. The seed's 30,000 iterations, or 4 minutes of training here."),
        config=preset("mlp").validate(),
        focus=(),
    ),
    # Seconds of training until 1,000 samples show all ten digits recognisably (`python -m benchmarks.engine`,
    # 2-core AVX-512 CPU, fp32, medians of seeds 0-2): 18 s, against 52 s for the seed preset and 63 s for a plain
    # PyTorch loop in the same run (bf16: 13 s and 33 s). Measured and not taken: two time-scales with D 4x faster than G (lr_d 4e-4,
    # lr_g 1e-4) did not reach ten digits in 60 s; lr_d 8e-4 / lr_g 4e-4 took 23 s; the average alone (at the seed's
    # rates) lags the live G and took 60 s; batch 32 or 128 did no better than 64.
    "fast": Lesson(
        name="Fast classroom MLP GAN",
        summary=("Seed 001's networks, tuned to show ten digits in well under a minute: both learning rates 2.5x "
                 "the seed's (5e-4), and the grid drawn by a moving average of G's weights (g_ema 0.99), which "
                 "smooths out the jitter of the two players' chase. Training itself is the seed's game."),
        config=preset("mlp", lr_g=5e-4, lr_d=5e-4, g_ema=0.99).validate(),
        focus=("lr_g", "lr_d", "g_ema"),
    ),
    "dcgan": Lesson(
        name="DCGAN — GANs in Action",
        summary=("The convolutional GAN of GANs in Action, chapter 4: about 20x slower per iteration than the MLP "
                 "on a CPU, but digit-like strokes within a few hundred iterations."),
        config=preset("dcgan", iterations=DCGAN_ITERATIONS, sample_every=DCGAN_SAMPLE_EVERY).validate(),
        focus=(),
    ),
    "cgan": Lesson(
        name="Conditional GAN (ch. 8)",
        summary=("Both players are told which digit to make: G gets the label multiplied into z, D sees it stamped "
                 "on the image. Each row of the grid asks for one digit, 0 to 9; watch the rows take shape."),
        config=preset("cgan", iterations=CGAN_ITERATIONS, sample_every=DCGAN_SAMPLE_EVERY).validate(),
        focus=(),
    ),
    "sgan": Lesson(
        name="Semi-supervised (ch. 7)",
        summary=("D doubles as a digit classifier that sees only 100 labelled digits, plus the unlabelled rest and "
                 "G's fakes. Beside it, the same network trained on the 100 labels alone: watch the GAN pull ahead "
                 "on digits neither has seen."),
        config=preset("sgan", iterations=SGAN_ITERATIONS, sample_every=100).validate(),
        focus=(),
    ),
    "cyclegan": Lesson(
        name="CycleGAN: plain ↔ thick",
        summary=("Two generators learn to translate plain digits into thick ones and back, from unpaired examples. "
                 "Each column shows a digit A, its thick version A → B, and the round trip A → B → A: the cycle "
                 "loss makes the round trip give the digit back."),
        config=preset("cyclegan").validate(),
        focus=(),
    ),
    # Measured (seed 0): D(G(z)) at 0.005 by iteration 300 and "g_stalls" from 300 to the end of 1,500-iteration
    # test runs; the samples stay noise. The same config with g_loss 'non-saturating' recovers by iteration 500.
    # Adam rescales small gradients, so the minimax loss alone does not stall this MLP (it trains like the preset):
    # a fast, high-momentum D must first push D(G(z)) to ~0, where log(1 - D) is flat.
    "saturating": Lesson(
        name="Saturating loss",
        summary=("The original minimax loss log(1 − D(G(z))) against a fast D: D(G(z)) sinks towards 0 within a few "
                 "hundred iterations, where that loss is flat, and G's samples stay noise. When the alert shows, apply "
                 "its cure: g_loss switches to non-saturating live (and D slows down), and digits appear."),
        config=preset("mlp", g_loss="minimax", lr_d=2e-3, beta1=0.9, iterations=FAILURE_ITERATIONS).validate(),
        focus=("g_loss", "lr_d", "beta1"),
        failure=True,
    ),
    # Measured (seed 0): D's accuracy at 100%, D(G(z)) < 0.001 and "d_wins" from iteration 300 to the end of a
    # 2,400-iteration test run. With d_steps 2, G climbed out by itself at ~1,800.
    "strong-d": Lesson(
        name="Discriminator too strong",
        summary=("D learns 40x faster than G and takes several steps per G step: its accuracy pins at 100%, "
                 "D(G(z)) drops to ~0 and G's loss climbs. When the alert shows, apply its cure live (D slowed to 2e-4, G "
                 "as fast, one D step each) and watch G come back."),
        config=preset("mlp", lr_d=2e-3, lr_g=5e-5, d_steps=3, iterations=FAILURE_ITERATIONS).validate(),
        focus=("lr_d", "lr_g", "d_steps"),
        failure=True,
    ),
    # Measured (seed 0): 1-3 classes, 60-100% of the samples one "8"-like ring, "mode_collapse" from iteration 900 to
    # the end of a 3,000-iteration test run. lr_g 1e-3 (lr_d 2e-4) trains fine; lr_g 2e-3, lr_d 1e-4 collapses less.
    "mode-collapse": Lesson(
        name="Mode collapse",
        summary=("G learns 40x faster than D, so it hops to whatever D accepts right now: the samples collapse onto "
                 "one or two shapes and the class histogram shows a single bar. When the alert shows, apply its cure "
                 "(both players at 2e-4) and watch the other digits come back."),
        config=preset("mlp", lr_g=2e-3, lr_d=5e-5, iterations=FAILURE_ITERATIONS).validate(),
        focus=("lr_g", "lr_d"),
        failure=True,
    ),
    "label-smoothing": Lesson(
        name="Label smoothing",
        summary=("Seed 004's trick: D's target for real digits is 0.9 instead of 1, so D cannot grow over-confident "
                 "and G keeps a useful gradient. Compare D(x) and the curves with the plain MLP GAN."),
        config=preset("mlp", label_smoothing=0.1).validate(),
        focus=("label_smoothing",),
    ),
    # ---------------------------------------------------------------- the modern GAN lab (issue 15)
    # Measured (seed 0, fp32, 2,400 iterations): without spectral norm D(G(z)) ~0.006 and classifier FID 1,624 (the
    # samples stay noise); with it, at the same learning rates, D(G(z)) 0.28, FID 636, precision 0.79.
    "spectral-norm": Lesson(
        name="Spectral norm",
        summary=("The 'D too strong' lesson (lr_d 40x lr_g, 3 D steps per G step) with one change: every layer of D "
                 "is spectrally normalised, so it cannot sharpen its verdict faster than its input changes. The "
                 "learning rates stay as they were; D(G(z)) no longer sinks to 0 and the digits come."),
        config=preset("mlp", lr_d=2e-3, lr_g=5e-5, d_steps=3, spectral_norm=True,
                      iterations=FAILURE_ITERATIONS).validate(),
        focus=("spectral_norm", "lr_d", "lr_g", "d_steps"),
    ),
    # Measured (seed 0, fp32, 3,000 iterations): hinge FID 334, recall 0.43; the seed's loss 482, recall 0.24.
    "hinge": Lesson(
        name="Hinge loss",
        summary=("The seed MLP GAN with the hinge objective: D stops pushing a sample once it is past the margin "
                 "(score > 1 for reals, < -1 for fakes), so it cannot grow ever more confident. Compare the "
                 "fidelity and diversity chart with the seed preset's."),
        config=preset("mlp", objective="hinge").validate(),
        focus=("objective",),
    ),
    # Measured (seed 0, fp32): the critic's estimate falls 35 -> 17 -> 5 -> 2.5 at iterations 200, 600, 800, 2,000
    # while the classifier FID falls 1,363 -> 1,206 -> 774 -> 390.
    "wgan-gp": Lesson(
        name="WGAN-GP",
        summary=("The critic estimates the Wasserstein distance between real and fake digits, kept honest by a "
                 "gradient penalty; the paper's settings (5 critic steps per G step, Adam 1e-4, beta1 0, beta2 "
                 "0.9). Watch the estimate fall as the FID does: with the other objectives the losses say little "
                 "about the samples."),
        config=preset("mlp", objective="wasserstein", gp=10.0, d_steps=5, lr_g=1e-4, lr_d=1e-4, beta1=0.0,
                      beta2=0.9).validate(),
        focus=("objective", "gp", "d_steps", "lr_g", "lr_d", "beta1", "beta2"),
    ),
    # Measured (seed 0, fp32): FID of the average against G itself 754 vs 900 at 1,500 iterations, 399 vs 482 at
    # 3,000; in the first 1,000 the average lags (1,035 vs 981).
    "ema": Lesson(
        name="Moving average of G",
        summary=("The seed MLP GAN, with a running average of G's weights (g_ema 0.999) drawing the grid on the "
                 "left and G itself on the right, from the same noise. The average lags for the first thousand "
                 "iterations, then draws cleaner digits: training is unchanged, only what you look at."),
        config=preset("mlp", g_ema=0.999).validate(),
        focus=("g_ema",),
        shows_live_g=True,
    ),
    # Measured (seed 0, fp32, 3,000 iterations): FID 286 and recall 0.68, against 482 and 0.24 with equal rates.
    # Not taken: D 4x faster (4e-4 / 1e-4) gave 506, and 1e-3 / 2.5e-4 gave 294 against 191 for 1e-3 / 1e-3.
    "ttur": Lesson(
        name="Two time-scales (TTUR)",
        summary=("The seed MLP GAN with D's learning rate doubled (4e-4) and G's as it was (TTUR, Heusel et al. "
                 "2017): a D that keeps up with G gives G a truer signal. Compare the FID and recall with the seed "
                 "preset's equal rates; too large a gap turns into the 'D too strong' lesson."),
        config=preset("mlp", lr_d=4e-4).validate(),
        focus=("lr_d",),
    ),
    # Measured (seed 0, fp32, 1 % = 50 digits, batch 32): D calls 82-100 % of its 50 digits real and 0-18 % of
    # held-out real digits real from iteration 500 to 2,500; recall stays 0-0.02.
    "memorise": Lesson(
        name="D memorises 50 digits",
        summary=("Training on 1 % of the digits (5 of each): D learns its 50 digits by heart. Watch 'Does D "
                 "memorise?': it keeps calling its training digits real and calls real digits it never saw fake, "
                 "and G's recall stays near 0. The next lesson fixes it."),
        config=preset("mlp", data_fraction=0.01, batch_size=32).validate(),  # a batch of 64 exceeds the 50 digits
        focus=("data_fraction", "batch_size"),
        failure=True,
    ),
    # Measured (seed 0, fp32): held-out real digits called real 98 / 42 / 82 / 90 / 80 / 50 % at iterations
    # 500-3,000 (without DiffAugment 0 / 0 / 0 / 18 / 8 / 42 %); FID 486 vs 648 and recall 0.22 vs 0.02 at 3,000.
    "diffaugment": Lesson(
        name="DiffAugment on 50 digits",
        summary=("The same 50 digits, but D sees every image, real and fake, shifted, cut out and re-lit at "
                 "random (DiffAugment). It can no longer learn the 50 by heart: it keeps calling held-out real digits "
                 "real, and G's samples improve. G's gradient passes through the augmentations: it does not learn to draw "
                 "them."),
        config=preset("mlp", data_fraction=0.01, batch_size=32, diffaugment="color,translation,cutout").validate(),
        focus=("diffaugment", "data_fraction", "batch_size"),
    ),
    # Measured (seed 0, 2-core AVX-512 CPU, bf16, `python -m gan train --dataset shapes --arch dcgan --image-size 32
    # --seconds 150`): ~6 it/s; at 943 iterations the factor network read every part of the real range of size, x and
    # y (coverage 100 %) but only 67 % of the samples as a shape (squares 3 %): G learns where and how big first, the
    # outline later. The Explorer's factor plot of that G: PC1 moved x by 82 % of its range, PC2 y by 78 %, PC3 the
    # size by 78 %.
    "shapes": Lesson(
        name="Shapes (known factors)",
        summary=("Squares, ellipses and hearts of known size and place, read back from G's samples by a small "
                 "network. Does G learn where and how big first, or the outline? Compare the two bar charts (a "
                 "missing shape is mode collapse), then see the run's factor plot in the Latent Explorer."),
        config=_dcgan_at_32("shapes"),
        focus=("dataset", "image_size"),
    ),
    "colour-dcgan": Lesson(
        name="Colour shapes (DCGAN)",
        summary=("The same DCGAN with three channels in and out: shapes in every hue. Colour is one more factor for "
                 "G to get right, and one more bar in 'How much of each factor G covers'."),
        config=_dcgan_at_32("shapes-rgb"),
        focus=("dataset", "image_size"),
    ),
    # A tenth held out: D's verdicts on pictures it never trained on show whether it learns the set by heart.
    "own-images": Lesson(
        name="Your own images",
        summary=("Upload a few hundred pictures of one kind of thing (Data tab: image files or one zip). A few "
                 "hundred is little for a GAN: D soon learns them by heart, and 'Does D memorise?' shows it. The "
                 "cure is the [DiffAugment lesson](/train?preset=diffaugment)'s: turn diffaugment on under "
                 "Stabilisers."),
        config=_dcgan_at_32("images-rgb", batch_size=64, data_fraction=0.9),
        focus=("dataset", "image_size", "diffaugment"),
    ),
}
LESSONS = {slug: replace(item, config=item.config.replace(seconds=FAILURE_SECONDS if item.failure else LESSON_SECONDS))
           for slug, item in LESSONS.items()}


def lesson(slug: str) -> Lesson:
    """The lesson of a URL slug; ValueError listing the slugs when there is none."""
    try:
        return LESSONS[slug]
    except KeyError:
        raise ValueError(f"unknown lesson {slug!r}; choose one of: {', '.join(LESSONS)}") from None


__all__ = ["LESSONS", "Lesson", "lesson"]
