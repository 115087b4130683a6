"""The Compare page's race presets: two configs, their labels, a budget, and what to watch."""

from __future__ import annotations

from dataclasses import dataclass

from gan.config import Config, preset
from gan.presets.train import LESSONS
from gan.race import RaceBudget


# ---------------------------------------------------------------------------------------------- race presets
@dataclass(frozen=True)
class RacePreset:
    """One entry of the Compare page's race picker: two configs, their labels, a budget and what to watch."""

    name: str
    summary: str
    labels: tuple[str, str]
    configs: tuple[Config, Config]
    budget: RaceBudget


def base_config(arch: str) -> Config:
    """The classroom default of an architecture: the Train page's preset of that name, else the seed's preset."""
    return LESSONS[arch].config if arch in LESSONS else preset(arch)


_SATURATING = LESSONS["saturating"].config
RACES: dict[str, RacePreset] = {
    # The default: a race by time ends on time on any machine (a race by iterations took 7 minutes instead of the 2
    # it promised where the DCGAN ran at 1 it/s). Measured on the shared 2-core CPU (seed 0, one thread): after 90 s
    # each, the MLP GAN (7,500 iterations) scores classifier FID 132, 76 % recognisable, 10 classes; the DCGAN (350
    # iterations) 819, 39 %, 8 classes.
    "architecture-time": RacePreset(
        name="MLP GAN vs DCGAN, equal training time",
        summary=("The seed-default MLP GAN against the DCGAN of GANs in Action, each given 90 s of training. On a "
                 "CPU the MLP does ~20 iterations for each of the DCGAN's, and in a short race that speed wins. "
                 "Raise the budget (or use a GPU) and see the convolutions catch up."),
        labels=("MLP GAN", "DCGAN"),
        configs=(base_config("mlp"), base_config("dcgan")),
        budget=RaceBudget("seconds", 90.0),
    ),
    # What convolutions buy per step of learning. At 400 iterations each (seed 0) the DCGAN scores
    # classifier FID 568, 41 % recognisable, 9 classes; the MLP GAN 1,350, 11 %, 2 classes.
    "architecture": RacePreset(
        name="MLP GAN vs DCGAN, equal iterations",
        summary=("The same two, 400 iterations each. Step for step the convolutions learn far faster: smooth "
                 "strokes while the MLP still draws speckled blobs. (The DCGAN's batches are twice as large: see "
                 "'Real images shown to D' in the verdict.) On a CPU the DCGAN takes most of the time: the page "
                 "estimates the rest from the speed it measures."),
        labels=("MLP GAN", "DCGAN"),
        configs=(base_config("mlp"), base_config("dcgan")),
        budget=RaceBudget("iterations", 400),
    ),
    "loss": RacePreset(
        name="Saturating vs non-saturating loss",
        summary=("Two MLP GANs against a fast discriminator, differing only in the generator's loss: "
                 "log(1 − D(G(z))) goes flat once D wins and G stalls; −log D(G(z)) keeps pushing."),
        labels=("minimax (saturating)", "non-saturating"),
        configs=(_SATURATING, _SATURATING.replace(g_loss="non-saturating")),
        budget=RaceBudget("iterations", 3000),
    ),
    "lr-strong-d": RacePreset(
        name="Balanced vs too-strong discriminator",
        summary=("Equal learning rates against lr_d 40x lr_g with 3 D steps per G step: D's accuracy pins at 100 % "
                 "and its generator falls behind."),
        labels=("lr_d = lr_g", "lr_d ≫ lr_g"),
        configs=(base_config("mlp"), LESSONS["strong-d"].config),
        budget=RaceBudget("iterations", 3000),
    ),
    "lr-mode-collapse": RacePreset(
        name="Balanced vs too-fast generator",
        summary=("Equal learning rates against lr_g 40x lr_d: the fast generator collapses onto a few shapes. "
                 "Watch the class coverage row of the verdict."),
        labels=("lr_g = lr_d", "lr_g ≫ lr_d"),
        configs=(base_config("mlp"), LESSONS["mode-collapse"].config),
        budget=RaceBudget("iterations", 3000),
    ),
    "label-smoothing": RacePreset(
        name="Plain vs label smoothing",
        summary="The seed-default MLP GAN with and without one-sided label smoothing (real targets of 0.9).",
        labels=("targets 1.0", "targets 0.9"),
        configs=(base_config("mlp"), LESSONS["label-smoothing"].config),
        budget=RaceBudget("iterations", 3000),
    ),
}

# ---------------------------------------------------------------------------------------------- the modern GAN lab
_STRONG_D = LESSONS["strong-d"].config
_FEW_DIGITS = LESSONS["memorise"].config
RACES.update({
    # Seed 0, fp32, 2,400 iterations: FID 1,624 (D(G(z)) 0.006) against 636 (0.28).
    "spectral-norm": RacePreset(
        name="Too-strong D, with and without spectral norm",
        summary=("The same too-strong discriminator (lr_d 40x lr_g, 3 D steps) on both sides; on the right each of "
                 "its layers is spectrally normalised. Same learning rates, same seed: only the normalisation "
                 "differs."),
        labels=("plain D", "spectrally normalised D"),
        configs=(_STRONG_D, _STRONG_D.replace(spectral_norm=True)),
        budget=RaceBudget("iterations", 2400),
    ),
    # Seed 0, fp32, 3,000 iterations: FID 482 against 334, recall 0.24 against 0.43.
    "hinge": RacePreset(
        name="Non-saturating vs hinge loss",
        summary=("The seed MLP GAN under its own loss and under the hinge loss of SN-GAN and BigGAN, same nets, "
                 "seed and budget. Watch recall: the hinge's margin keeps D from over-confidence."),
        labels=("non-saturating", "hinge"),
        configs=(base_config("mlp"), base_config("mlp").replace(objective="hinge")),
        budget=RaceBudget("iterations", 3000),
    ),
    "r3gan": RacePreset(
        name="DCGAN vs the same nets with R3GAN's objective",
        summary=("GANs in Action's DCGAN against the same two networks trained with R3GAN's objective (Huang et "
                 "al., NeurIPS 2024): the relativistic loss, where D says how much more real a real digit looks "
                 "than a fake, made stable by the R1 and R2 gradient penalties. Equal training time."),
        labels=("DCGAN (seed)", "R3GAN objective"),
        configs=(base_config("dcgan"), base_config("dcgan").replace(objective="relativistic", r1=0.1, r2=0.1)),
        budget=RaceBudget("seconds", 90.0),
    ),
    "wgan-gp": RacePreset(
        name="Seed loss vs WGAN-GP, equal time",
        summary=("The seed MLP GAN against WGAN-GP with the paper's settings (5 critic steps per G step). Equal "
                 "training time, since the critic's steps cost. On the right the D loss is minus the critic's "
                 "estimate of the Wasserstein distance, and it falls with the FID."),
        labels=("seed (bce)", "WGAN-GP"),
        configs=(base_config("mlp"), LESSONS["wgan-gp"].config),
        budget=RaceBudget("seconds", 60.0),
    ),
    "ema": RacePreset(
        name="G vs the moving average of G",
        summary=("The same run twice; on the right a running average of G's weights (0.999) draws the samples and "
                 "is scored. Training is identical, so the difference is only the averaging."),
        labels=("G", "average of G"),
        configs=(base_config("mlp"), LESSONS["ema"].config),
        budget=RaceBudget("iterations", 3000),
    ),
    # Seed 0, fp32, 3,000 iterations: held-out real digits called real 42 % against 50 % (0-18 % against 42-98 %
    # earlier), FID 648 against 486.
    "diffaugment": RacePreset(
        name="Fifty digits, with and without DiffAugment",
        summary=("Both sides train on the same 1 % of the digits. Without augmentation D memorises its 50 and calls "
                 "every other real digit fake; with DiffAugment it cannot. Watch 'Does D memorise?'."),
        labels=("50 digits", "50 digits + DiffAugment"),
        configs=(_FEW_DIGITS, LESSONS["diffaugment"].config),
        budget=RaceBudget("iterations", 3000),
    ),
    # Seed 0, fp32, 3,000 iterations: FID 482 against 286, recall 0.24 against 0.68.
    "ttur": RacePreset(
        name="Equal vs two time-scale learning rates",
        summary=("The seed MLP GAN with both learning rates at 2e-4 against D at 4e-4 and G unchanged (TTUR). Same "
                 "nets, seed, data and iterations: only D's pace differs."),
        labels=("equal rates", "TTUR (D 2x)"),
        configs=(base_config("mlp"), LESSONS["ttur"].config),
        budget=RaceBudget("iterations", 3000),
    ),
})
