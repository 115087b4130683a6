"""One door to every trainer: `build_trainer(config)` picks the class the architecture needs.

GANTrainer serves the GANs that draw from noise (MLP, DCGAN, conditional); SGANTrainer adds a digit classifier
trained on 100 labels; CycleGANTrainer translates between two domains of digits. All keep the
contract of gan.train.protocol.Trainer, so the runner, the pages and the CLI need not know which one runs.
"""

from __future__ import annotations

from gan.config import Config
from gan.train.gan import GANTrainer
from gan.train.protocol import Trainer


def build_trainer(config: Config, **kwargs) -> Trainer:
    """A fresh trainer for `config` (`kwargs`: images, labels, device)."""
    if config.arch == "cyclegan":
        from gan.train.cyclegan import CycleGANTrainer

        return CycleGANTrainer(config, g_width=config.g_width, d_width=config.d_width, n_fixed=config.n_samples,
                               **kwargs)
    if config.arch == "sgan":
        from gan.train.sgan import SGANTrainer

        return SGANTrainer(config, **kwargs)
    return GANTrainer(config, **kwargs)


def trainer_from_checkpoint(state: dict, **kwargs) -> Trainer:
    """Resume a checkpoint's run with the trainer that wrote it (`kwargs`: images, device, budget fields)."""
    if "cyclegan" in state:
        from gan.train.cyclegan import CycleGANTrainer

        return CycleGANTrainer.from_checkpoint(state, **kwargs)
    if state["config"].arch == "sgan":
        from gan.train.sgan import SGANTrainer

        return SGANTrainer.from_checkpoint(state, **kwargs)
    return GANTrainer.from_checkpoint(state, **kwargs)


def live_grid_columns(config: Config, n_images: int) -> int | None:
    """Columns of the live sample grid: a CycleGAN's k triplets read as rows A, A -> B, A -> B -> A."""
    return n_images // 3 if config.arch == "cyclegan" else None
