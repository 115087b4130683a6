"""Starting the app's trainings (within the server's limits), and where their runs are saved."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from arena.limits import LimitExceeded, ServerLimits
from arena.worker import Job, TrainJob, WorkerRunner
from gan.config import Config
from ui import keys
from ui.state import IDLE_TIMEOUT_S, cluster_backend, server_limits, session_slot, slot_registry, training_gate


def runs_dir() -> Path:
    """Where finished runs are saved (GAN_ARENA_RUNS_DIR, default runs/)."""
    return Path(os.environ.get("GAN_ARENA_RUNS_DIR", "runs"))


def start_worker(name: str, job: Job, page_title: str) -> WorkerRunner | None:
    """Start `job` in a worker process owned by this tab under `name` (it waits in the server's line for a slot).

    Starting stops this tab's other trainings: one per student at a time. None when a limit of the server refuses
    it: `show_refusal(name)` then says which."""
    limits = server_limits()
    try:
        admit(job, limits)
    except LimitExceeded as err:
        st.session_state[keys.refusal(name)] = f"Not started: {err}"
        return None
    st.session_state.pop(keys.refusal(name), None)
    gate = training_gate()
    runner = WorkerRunner(job, gate=gate, settings=gate.settings, backend=cluster_backend(),
                          idle_timeout=IDLE_TIMEOUT_S, max_seconds=limits.run_seconds)
    owned = session_slot().replace(name, runner, page_title)
    return owned.start() if owned is not None else None


def admit(job: Job, limits: ServerLimits) -> None:
    """Raise LimitExceeded unless the server may start `job` for this tab now."""
    slot = session_slot()
    elsewhere = slot_registry().runs_of(slot.browser, besides=slot)
    if elsewhere >= limits.runs_per_browser:
        raise LimitExceeded(f"this browser already has {elsewhere} training{'s' if elsewhere > 1 else ''} running or "
                            "waiting in line in another tab: stop it there first (each student gets "
                            f"{limits.runs_per_browser} at a time; the teacher can raise "
                            "GAN_ARENA_MAX_RUNS_PER_BROWSER)")
    cost = job.check(limits)
    if cost is not None:
        limits.check_room(cost, runs_dir())


def show_refusal(name: str) -> None:
    """Why the server refused this page's last Start, until the next Start."""
    message = st.session_state.get(keys.refusal(name))
    if message:
        st.error(message, icon=":material/block:")


def start_training(name: str, config: Config, label: str) -> WorkerRunner | None:
    """Start a Train page run of `config`; it is saved under runs_dir() as it trains and when it ends."""
    return start_worker(name, TrainJob(config, str(runs_dir()), label), "Train")
