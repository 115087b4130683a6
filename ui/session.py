"""Starting the app's trainings, and where their runs are saved."""

from __future__ import annotations

import os
from pathlib import Path

from arena.worker import Job, TrainJob, WorkerRunner
from gan.config import Config
from ui.state import cluster_backend, session_slot, training_gate


def runs_dir() -> Path:
    """Where finished runs are saved (GAN_ARENA_RUNS_DIR, default runs/)."""
    return Path(os.environ.get("GAN_ARENA_RUNS_DIR", "runs"))


def start_worker(name: str, job: Job, page_title: str) -> WorkerRunner:
    """Start `job` in a worker process owned by this tab under `name` (it waits in the server's line for a slot).

    Starting stops this tab's other trainings: one per student at a time."""
    gate = training_gate()
    runner = WorkerRunner(job, gate=gate, settings=gate.settings, backend=cluster_backend())
    return session_slot().replace(name, runner, page_title).start()


def start_training(name: str, config: Config, label: str) -> WorkerRunner:
    """Start a Train page run of `config`; it is saved under runs_dir() as it trains and when it ends."""
    return start_worker(name, TrainJob(config, str(runs_dir()), label), "Train")
