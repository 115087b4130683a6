"""Starting the app's trainings: the runs folder, and the session_state keys of the Train page."""

from __future__ import annotations

import os
from pathlib import Path

from arena.scoring import live_scores, score_every
from gan.config import Config
from arena.runner import TrainingRunner
from gan.runs import new_run_dir, save_run
from gan.trainers import build_trainer
from ui.state import session_slot, training_gate


def runs_dir() -> Path:
    """Where finished runs are saved (GAN_ARENA_RUNS_DIR, default runs/)."""
    return Path(os.environ.get("GAN_ARENA_RUNS_DIR", "runs"))


# st.session_state keys, all of them, so that pages never collide.
TRAIN_CONFIG = "train_config"  # the Train page's current Config
TRAIN_SEEN_STATUS = "train_seen_status"  # status at the last full rerun: the fragment reruns the page on change
TRAIN_SAVED_RUN = "train_saved_run"  # path of the checkpoint saved for the finished run


def start_training(name: str, config: Config, label: str) -> TrainingRunner:
    """Start a background run of `config` owned by this tab under `name`; it is saved under runs_dir() when it ends."""
    runner = TrainingRunner(
        lambda: build_trainer(config),
        gate=training_gate(),
        scorer=live_scores,
        score_every=score_every(config),
        on_end=lambda state: str(save_run(state, new_run_dir(runs_dir(), label)).parent),
        config=config,
    )
    return session_slot().replace(name, runner).start()
