"""Every hyperparameter of a GAN run in one frozen dataclass, with validation.

The defaults reproduce the source tutorials (see docs/SOURCES.md): `preset("mlp")` is the Keras MLP GAN of
seed 001, `preset("dcgan")` the DCGAN of "GANs in Action" (seed 003). A config is saved with `asdict` and
rebuilt with `Config(**d)`; `validate()` names the offending field and its allowed range.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from gan.data import DATASETS, DIGIT_DATASETS, FIXED_28, OWN_IMAGES, channels_of, n_classes_of
from gan.losses import OBJECTIVES
from gan.settings import ConfigError, setting, settings_help, validate_settings

ARCHS = ("mlp", "dcgan", "cgan", "sgan", "cyclegan")
CONDITIONAL_ARCHS = ("cgan",)  # the players are told which digit: the data needs labels
NOISE_ARCHS = ("mlp", "dcgan", "cgan", "sgan")  # generators that draw from noise z (the explorer, sampling)
G_LOSSES = ("non-saturating", "minimax")
# The archs whose trainer (GANTrainer) plays the objectives, penalties and augmentations of the modern GAN lab.
MODERN_ARCHS = ("mlp", "dcgan", "cgan")
DIFFAUGMENT = ("off", "color", "translation", "cutout", "translation,cutout", "color,translation,cutout")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class Config:
    """One GAN run. Each field's setting() holds its help text (the CLI's --help, the Train page's tooltips) and
    its allowed values (`validate()`)."""

    arch: str = setting("mlp", "Architecture: 'mlp' (seed 001), 'dcgan' (GANs in Action, ch. 4), 'cgan' "
                        "(conditional, ch. 8), 'sgan' (semi-supervised, ch. 7) or 'cyclegan' (plain <-> thick digits, "
                        "ch. 9).", choices=ARCHS)
    dataset: str = setting("mnist-embedded", "Training images: the 5,000 embedded MNIST digits (offline), full MNIST, "
                           "Fashion-MNIST, 'shapes' (squares, ellipses and hearts with known size, rotation and "
                           "position, drawn offline; 'shapes-rgb' in colour) or your own images ('images', grey, or "
                           "'images-rgb', colour, read from image_folder).", choices=DATASETS)
    image_size: int = setting(28, "Width and height of the images, in pixels: the digits are 28; shapes and your own "
                              "images may be 28, 32 or 64 for the DCGAN, any size from 8 to 128 for the MLP.", low=8,
                              high=128, integer=True)
    image_folder: str = setting("", "Your own images (dataset 'images' or 'images-rgb'): a folder of image files, a "
                                "zip, or a run's images.npz. For the CycleGAN, domain A.")  # free: any path
    image_folder_b: str = setting("", "The CycleGAN's domain B on your own images: a folder, a zip or an images.npz, "
                                  "translated to and from image_folder's domain A.")  # free: any path
    data_dir: str = setting("data", "Folder holding (or receiving) torchvision datasets.")  # free: any folder
    download: bool = setting(False, "Allow downloading full MNIST / Fashion-MNIST; nothing is downloaded otherwise.")

    latent_dim: int = setting(100, "Length of the noise vector z fed to the generator.", low=1, high=4096,
                              integer=True)
    g_width: int = setting(256, "Generator width: MLP first hidden layer (256, then x2, x4); DCGAN channels of the "
                           "7x7 map (256, then /2, /4).", low=8, high=4096, integer=True)
    d_width: int = setting(512, "Discriminator width: MLP first hidden layer (512, then /2); DCGAN first conv's "
                           "filters (32, then x2, x4).", low=4, high=4096, integer=True)
    leaky_slope: float = setting(0.2, "Negative slope of the LeakyReLU activations (seed 001: 0.2; GANs in Action "
                                 "DCGAN: 0.01).", low=0, high=1, high_open=True)
    bn_momentum: float = setting(0.2, "PyTorch BatchNorm momentum of the generator (Keras momentum 0.8 ≈ PyTorch "
                                 "0.2).", low=0, high=1, low_open=True)

    batch_size: int = setting(64, "Real images per discriminator update (and fakes per generator update).", low=1,
                              high=4096, integer=True)
    lr_g: float = setting(2e-4, "Adam learning rate of the generator.", low=0, high=1, low_open=True)
    lr_d: float = setting(2e-4, "Adam learning rate of the discriminator.", low=0, high=1, low_open=True)
    beta1: float = setting(0.5, "Adam beta1 (momentum). 0.5 is the GAN classic; 0.9 is Adam's default.", low=0,
                           high=1, high_open=True)
    beta2: float = setting(0.999, "Adam beta2.", low=0, high=1, high_open=True)
    d_steps: int = setting(1, "k: discriminator updates per generator update (seed 000).", low=1, high=100,
                           integer=True)
    g_loss: str = setting("non-saturating", "Generator loss: 'non-saturating' (-log D(G(z))) or 'minimax' "
                          "(log(1 - D(G(z))), saturates early).", choices=G_LOSSES)
    label_smoothing: float = setting(0.0, "One-sided label smoothing: real targets become 1 - s (seed 004 uses s = "
                                     "0.1, i.e. targets of 0.9).", low=0, high=0.5, high_open=True)
    d_pretrain_steps: int = setting(0, "Discriminator updates on real digits vs uniform noise before the game starts "
                                    "(seed 002).", low=0, high=100_000, integer=True)
    objective: str = setting("bce", "The game: 'bce' (the seeds' cross-entropy, with g_loss for G), 'hinge' (SN-GAN, "
                             "BigGAN), 'wasserstein' (the critic estimates the Wasserstein distance; give it gp) or "
                             "'relativistic' (D compares each real with a fake; R3GAN with r1 and r2).",
                             choices=OBJECTIVES)
    spectral_norm: bool = setting(False, "Spectral normalisation of every D layer (Miyato et al., ICLR 2018): each "
                                  "weight matrix is divided by its largest singular value, so D cannot change its "
                                  "verdict faster than its input changes (1-Lipschitz layers).")
    r1: float = setting(0.0, "R1 penalty weight gamma (Mescheder et al., ICML 2018): gamma/2 x the squared norm of "
                        "D's gradient at real images. 0 = off; R3GAN on MNIST-sized nets uses ~0.1-1.", low=0,
                        high=1000)
    r2: float = setting(0.0, "R2 penalty weight: the same penalty at the fakes (R3GAN uses r2 = r1).", low=0,
                        high=1000)
    gp: float = setting(0.0, "WGAN-GP weight lambda (Gulrajani et al. 2017): keeps D's gradient norm near 1 between "
                        "real and fake images; 10 in the paper. For the 'wasserstein' objective.", low=0, high=1000)
    diffaugment: str = setting("off", "DiffAugment (Zhao et al., NeurIPS 2020): random differentiable transforms "
                               "('color', 'translation', 'cutout', comma-separated) applied to every image D sees, "
                               "real and fake, so a D trained on few images cannot memorise them.",
                               choices=DIFFAUGMENT)
    data_fraction: float = setting(1.0, "Train on this fraction of the dataset (the same share of each class, chosen "
                                   "by the seed); the rest is held out and shows whether D memorises its training "
                                   "images (its accuracy on held-out real ones).", low=0, high=1, low_open=True)
    g_ema: float = setting(0.0, "Decay of an exponential moving average of G's weights, which draws the samples "
                           "shown and is the generator saved (Yazıcı et al., ICLR 2019); 0 = off, as in the seeds. "
                           "0.999 suits long runs, 0.99 a run of minutes.", low=0, high=1, high_open=True)

    iterations: int | None = setting(30_000, "Stop after this many iterations (one iteration = k D updates + one G "
                                     "update).", low=1, high=10_000_000, integer=True, optional=True)
    epochs: float | None = setting(None, "Stop after this many passes over the data: iterations = floor(N / batch) x "
                                   "epochs (seed 000).", low=0, high=100_000, low_open=True, optional=True)
    seconds: float | None = setting(None, "Stop after this much training time, in seconds (a lesson thinks in "
                                    "minutes).", low=0, high=7 * 24 * 3600, low_open=True, optional=True)

    seed: int = setting(0, "Seed of weights, noise and data order: the same seed gives the same run on the CPU.",
                        low=0, high=2**63 - 1, integer=True)
    device: str = setting("auto", "'auto' picks CUDA, then MPS, then CPU.", choices=DEVICES)
    precision: str = setting("auto", "'auto' runs the forward passes in bfloat16 autocast where the hardware does "
                             "bf16 natively (most GPUs, CPUs with AVX-512 BF16 or AMX) and in fp32 elsewhere; 'fp32' "
                             "or 'bf16' force one (emulated bf16 is ~100x slower).", choices=PRECISIONS)

    sample_every: int = setting(200, "Draw the fixed-noise sample grid every this many iterations.", low=1,
                                high=10_000_000, integer=True)
    n_samples: int = setting(64, "Size of the fixed noise batch drawn at each sample interval.", low=1, high=1024,
                             integer=True)
    log_every: int = setting(0, "Read the metrics back every this many iterations; 0 = auto (1 on CPU, 25 on "
                             "accelerators).", low=0, high=100_000, integer=True)
    checkpoint_every: int = setting(0, "Write a checkpoint every this many iterations (0: only at the end).", low=0,
                                    high=10_000_000, integer=True)

    # ------------------------------------------------------------------ derived values
    @property
    def channels(self) -> int:
        """1 for grey images, 3 for colour."""
        return channels_of(self.dataset)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of every image G draws and D judges."""
        return self.channels, self.image_size, self.image_size

    @property
    def digits(self) -> bool:
        """Whether the images are MNIST digits, which the bundled digit classifier scores."""
        return self.dataset in DIGIT_DATASETS

    def iterations_for(self, n_images: int) -> int | None:
        """The iteration budget implied by `iterations` and `epochs` (the smaller), None if neither is set."""
        budgets = []
        if self.iterations is not None:
            budgets.append(self.iterations)
        if self.epochs is not None:
            budgets.append(math.floor(n_images / self.batch_size * self.epochs))
        return min(budgets) if budgets else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """Rebuild from `to_dict()`; unknown keys are an error, missing ones take the defaults."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config field(s): {', '.join(unknown)}")
        return cls(**data)

    def replace(self, **changes: Any) -> Config:
        return replace(self, **changes)

    # ------------------------------------------------------------------ validation
    def validate(self) -> Config:
        """Raise ConfigError naming the first impossible value; return self when all is well."""
        validate_settings(self)
        # The checks across fields come after every field passed its own, so they read sane values.
        for check in (_bce_only_knobs, _modern_techniques_need_a_plain_gan, _data_fits_the_model, _some_budget):
            check(self)
        return self


def _some_budget(cfg: Config) -> None:
    if cfg.iterations is None and cfg.epochs is None and cfg.seconds is None:
        raise ConfigError("iterations, epochs or seconds: set at least one budget for the run")


def _bce_only_knobs(cfg: Config) -> None:
    """g_loss and label smoothing are knobs of the cross-entropy game; the other objectives define their own."""
    if cfg.objective == "bce":
        return
    if cfg.g_loss != "non-saturating":
        raise ConfigError(f"g_loss {cfg.g_loss!r} is a loss of the 'bce' objective; the {cfg.objective!r} objective "
                          "has its own generator loss (set g_loss to non-saturating)")
    if cfg.label_smoothing:
        raise ConfigError(f"label_smoothing softens the 'bce' objective's targets; the {cfg.objective!r} objective "
                          "has none (set it to 0)")


CONV_SIZES = (28, 32, 64)  # the convolutional families' image sizes: the book's 28, and the DCGAN paper's 32 and 64
DIGITS_ONLY = ("sgan",)  # taught the digits from 100 labels


def _data_fits_the_model(cfg: Config) -> None:
    if cfg.dataset in FIXED_28 and cfg.image_size != 28:
        raise ConfigError(f"image_size: the {cfg.dataset} images are 28x28 (got {cfg.image_size}); other sizes are for "
                          "the shapes and your own images")
    if cfg.arch == "cyclegan" and cfg.dataset not in (*FIXED_28, *OWN_IMAGES):
        raise ConfigError("dataset: the CycleGAN translates between two domains: thin and thick digits "
                          "(mnist-embedded, mnist, fashion-mnist), or two sets of your own images (images or "
                          f"images-rgb, with image_folder and image_folder_b); not {cfg.dataset}")
    if cfg.arch == "cyclegan" and cfg.image_size % 4:
        raise ConfigError(f"image_size: the CycleGAN halves the image twice, so its side must be a multiple of 4 "
                          f"(got {cfg.image_size})")
    if cfg.arch == "cgan" and not n_classes_of(cfg.dataset):
        raise ConfigError(f"dataset: the conditional GAN is told each image's label (the digit, the shape); "
                          f"{cfg.dataset} has none: train the mlp or the dcgan on it")
    if cfg.arch in DIGITS_ONLY and cfg.dataset not in FIXED_28:
        raise ConfigError(f"dataset: the {cfg.arch} GAN is built for the labelled 28x28 digits (mnist-embedded, mnist "
                          f"or fashion-mnist); train the mlp or the dcgan on {cfg.dataset}")
    if cfg.arch in ("dcgan", "cgan", "sgan") and cfg.image_size not in CONV_SIZES:
        sizes = ", ".join(map(str, CONV_SIZES))
        raise ConfigError(f"image_size: the {cfg.arch.upper()}'s convolutions draw {sizes}-pixel images (got "
                          f"{cfg.image_size}); the mlp takes any size from 8 to 128")


MODERN_FIELDS = ("objective", "spectral_norm", "r1", "r2", "gp", "diffaugment", "data_fraction")


def _modern_techniques_need_a_plain_gan(cfg: Config) -> None:
    if cfg.arch in MODERN_ARCHS:
        return
    defaults = {f.name: f.default for f in fields(Config)}
    changed = [name for name in MODERN_FIELDS if getattr(cfg, name) != defaults[name]]
    if changed:
        raise ConfigError(f"{', '.join(changed)}: the {cfg.arch} GAN trains its own objective; these techniques are "
                          f"for the {', '.join(MODERN_ARCHS)} GANs")


# The seeds' settings. Keras' Adam() defaults to lr 1e-3, beta1 0.9, which GANs in Action keeps for its DCGAN.
_PRESETS: dict[str, dict[str, Any]] = {
    "mlp": dict(arch="mlp", latent_dim=100, g_width=256, d_width=512, leaky_slope=0.2, bn_momentum=0.2,
                batch_size=64, lr_g=2e-4, lr_d=2e-4, beta1=0.5, iterations=30_000, sample_every=200),
    # bn_momentum: Keras' default 0.99 would be PyTorch 0.01; 0.1 lets the eval-mode running statistics keep up
    # with a generator that changes fast in a short classroom run.
    "dcgan": dict(arch="dcgan", latent_dim=100, g_width=256, d_width=32, leaky_slope=0.01, bn_momentum=0.1,
                  batch_size=128, lr_g=1e-3, lr_d=1e-3, beta1=0.9, iterations=20_000, sample_every=1000),
    # Chapter 8's notebook: the ch. 4 generator, a 64-64-128 discriminator, batch 32, 12,000 iterations; 100 fixed
    # samples make the live grid one row per digit.
    "cgan": dict(arch="cgan", latent_dim=100, g_width=256, d_width=64, leaky_slope=0.01, bn_momentum=0.1,
                 batch_size=32, lr_g=1e-3, lr_d=1e-3, beta1=0.9, iterations=12_000, sample_every=1000,
                 n_samples=100),
    # Chapter 7's notebook: the ch. 4 generator, a D with a 10-class head, batch 32, 8,000 iterations, 100 labels.
    "sgan": dict(arch="sgan", latent_dim=100, g_width=256, d_width=32, leaky_slope=0.01, bn_momentum=0.1,
                 batch_size=32, lr_g=1e-3, lr_d=1e-3, beta1=0.9, iterations=8_000, sample_every=800),
    # Chapter 9 at digit scale: U-Net and PatchGAN nets 16 filters wide, batch 16 instead of the book's 1 for speed;
    # n_samples is the number of A -> B -> A triplets shown.
    "cyclegan": dict(arch="cyclegan", g_width=16, d_width=16, batch_size=16, lr_g=2e-4, lr_d=2e-4, beta1=0.5,
                     beta2=0.999, iterations=1500, sample_every=50, n_samples=8),
}


def field_help() -> dict[str, str]:
    """Each Config field's help text (its setting's), for the CLI's --help and the Train page's tooltips."""
    return settings_help(Config)


def preset(arch: str, **overrides: Any) -> Config:
    """The seed-default config of an architecture, with optional overrides."""
    if arch not in _PRESETS:
        raise ConfigError(f"arch must be one of {', '.join(_PRESETS)} (got {arch!r})")
    return Config(**{**_PRESETS[arch], **overrides})


__all__ = ["ARCHS", "CONDITIONAL_ARCHS", "NOISE_ARCHS", "MODERN_ARCHS", "MODERN_FIELDS", "DATASETS", "DIFFAUGMENT",
           "G_LOSSES", "OBJECTIVES", "DEVICES", "PRECISIONS", "Config", "ConfigError", "field_help", "preset"]
