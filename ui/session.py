"""The per-tab slot that owns training threads, the server-wide training gate, and every session_state key."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import streamlit as st
import torch

from gan.config import Config
from gan.gate import TrainingGate, default_slots
from gan.quality import conditional_accuracy, score_generator
from gan.runner import TrainingRunner
from gan.runs import new_run_dir, save_run
from gan.train import GANTrainer
from gan.trainers import build_trainer



def runs_dir() -> Path:
    """Where finished runs are saved (GAN_ARENA_RUNS_DIR, default runs/)."""
    return Path(os.environ.get("GAN_ARENA_RUNS_DIR", "runs"))


# st.session_state keys, all of them, so that pages never collide.
TRAIN_CONFIG = "train_config"  # the Train page's current Config
TRAIN_SEEN_STATUS = "train_seen_status"  # status at the last full rerun: the fragment reruns the page on change
TRAIN_SAVED_RUN = "train_saved_run"  # path of the checkpoint saved for the finished run


class SessionSlot:
    """Everything one browser tab runs in the background. Released, threads stopped, when the tab goes away."""

    def __init__(self) -> None:
        self.runners: dict[str, TrainingRunner] = {}

    def runner(self, name: str) -> TrainingRunner | None:
        return self.runners.get(name)

    def replace(self, name: str, runner: TrainingRunner) -> TrainingRunner:
        """Own `runner` under `name`, stopping the one it replaces."""
        old = self.runners.get(name)
        if old is not None:
            old.stop(wait=2.0)
        self.runners[name] = runner
        return runner

    def heartbeat(self) -> None:
        """Tell every runner its tab is still open (each stops by itself after minutes without this)."""
        for runner in self.runners.values():
            runner.touch()

    def shutdown(self) -> None:
        for runner in self.runners.values():
            runner.stop(wait=2.0)
        self.runners.clear()


@st.cache_resource(scope="session", on_release=SessionSlot.shutdown, show_spinner=False)
def session_slot() -> SessionSlot:
    """This tab's slot (a new one per browser session)."""
    return SessionSlot()


@st.cache_resource(show_spinner=False)
def training_gate() -> TrainingGate:
    """One gate for the whole server: how many trainings run at once (GAN_ARENA_MAX_TRAININGS)."""
    return TrainingGate(default_slots())


def score_every(config: Config) -> int:
    """Iterations between live quality scores: every few seconds at each architecture's CPU speed."""
    return 300 if config.arch == "mlp" else 50


def live_scores(trainer: GANTrainer) -> dict:
    """The quality point the Train page plots; a conditional GAN also says how often it draws the digit asked for.

    A CycleGAN translates images instead of drawing from noise: its point is the cycle reconstruction error.
    """
    if trainer.config.arch == "cyclegan":
        from gan.cyclegan import cycle_scores

        return cycle_scores(trainer)
    scores = asdict(score_generator(trainer.G))
    if trainer.conditional:
        scores["label_accuracy"] = conditional_accuracy(trainer.G)
    return scores


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


@st.cache_resource(show_spinner=False)
def reserve_a_core_for_the_ui() -> int:
    """Give training all cores but one (once per process), unless OMP_NUM_THREADS says otherwise.

    torch's intra-op threads wait for each other at every parallel op: when the server's own thread (page reruns,
    charts) takes one of their cores, every op stalls. On the 2-core CPU, one torch thread trained 72 it/s with the
    Train page open against 61 it/s with two (`python -m ui.bench`).
    """
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    return torch.get_num_threads()
