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
