"""Training: the shared loop (`loop.py`), one file per trainer (`gan.py`, `sgan.py`, `cyclegan.py`; the 2-D
playground's is toy.py), the `Trainer` protocol they keep (`protocol.py`), and `build_trainer` (`build.py`)."""

from gan.train.build import build_trainer, live_grid_columns, trainer_from_checkpoint
from gan.train.gan import GANTrainer, train
from gan.train.loop import GOOD_STATE_EVERY_S, MAX_SNAPSHOTS, METRICS, Record, TrainingDiverged, TrainingLoop
from gan.train.protocol import Trainer

__all__ = ["GOOD_STATE_EVERY_S", "MAX_SNAPSHOTS", "METRICS", "GANTrainer", "Record", "Trainer", "TrainingDiverged",
           "TrainingLoop", "build_trainer", "live_grid_columns", "train", "trainer_from_checkpoint"]
