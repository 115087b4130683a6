"""Starting the app's trainings (within the server's limits), and where their runs are saved."""

from __future__ import annotations

import streamlit as st

from arena.classroom import RunOwner, prune_runs
from arena.limits import LimitExceeded, ServerLimits, memory_need, run_writes
from arena.worker import Job, TrainJob, WorkerRunner
from gan.config import Config
from gan.cost import MIB, Cost
from gan.presets.train import lesson
from ui import keys
from ui.identity import board, current_student
from ui.state import (IDLE_TIMEOUT_S, cluster_backend, runs_dir, server_limits, session_slot, slot_registry,
                      training_gate)
from ui.text import plain


def start_worker(name: str, job: Job, page_title: str) -> WorkerRunner | None:
    """Start `job` in a worker process owned by this tab under `name` (it waits in the server's line for a slot).

    Starting stops this tab's other trainings: one per student at a time. None when a limit of the server refuses
    it: `show_refusal(name)` then says which."""
    limits = server_limits()
    student = current_student()
    if job.owner is None:
        job.owner = RunOwner(student.id, student.nickname)
    try:
        need = admit(job, limits)
    except LimitExceeded as err:
        st.session_state[keys.refusal(name)] = f"Not started: {err}"
        return None
    st.session_state.pop(keys.refusal(name), None)
    gate = training_gate()
    runner = WorkerRunner(job, gate=gate, settings=gate.settings, backend=cluster_backend(),
                          idle_timeout=IDLE_TIMEOUT_S, max_seconds=limits.run_seconds, memory_need=need)
    owned = session_slot().replace(name, runner, page_title)
    return owned.start() if owned is not None else None


def admit(job: Job, limits: ServerLimits) -> int:
    """Raise LimitExceeded unless the server may start `job` for this tab; the bytes of memory it will need (0: not
    known), which its run waits in the scheduler's line for when the runs going leave too little."""
    slot = session_slot()
    elsewhere = slot_registry().runs_of(slot.browser, besides=slot)
    if elsewhere >= limits.runs_per_browser:
        raise LimitExceeded(f"this browser already has {elsewhere} training{'s' if elsewhere > 1 else ''} running or "
                            "waiting in line in another tab: stop it there first (each student gets "
                            f"{limits.runs_per_browser} at a time; the teacher can raise "
                            "GAN_ARENA_MAX_RUNS_PER_BROWSER)")
    cost = job.check(limits)
    if cost is None:
        return 0
    make_room(job, cost, limits)
    limits.check_room(cost, runs_dir(), memory_budget=training_gate().memory)
    return memory_need(cost)


def make_room(job: Job, cost: Cost, limits: ServerLimits) -> None:
    """The retention rule, before a run that will save: the student's newest runs stay, and the runs folder keeps
    within its size by losing its oldest runs (shared and training ones stay). The page says what went."""
    owner = job.owner
    pruned = prune_runs(runs_dir(), student=owner.student if owner else None,
                        keep_per_student=limits.keep_runs_per_student, max_bytes=limits.runs_folder_mb * MIB,
                        making_room_for=run_writes(cost), busy=slot_registry().busy_folders())
    if pruned:
        names = ", ".join(plain(entry.name, 60) for entry in pruned[:5]) + (" …" if len(pruned) > 5 else "")
        st.toast(f"To keep the runs folder within this server's limits, {len(pruned)} old "
                 f"run{'s were' if len(pruned) > 1 else ' was'} removed: {names}.", icon=":material/delete_sweep:")


def show_refusal(name: str) -> None:
    """Why the server refused this page's last Start, until the next Start."""
    message = st.session_state.get(keys.refusal(name))
    if message:
        st.error(message, icon=":material/block:")
    note = st.session_state.get(keys.Class.CHALLENGE_NOTE) if name == keys.Train.RUNNER else None
    if note:
        st.warning(note, icon=":material/emoji_events:")


def start_training(name: str, config: Config, label: str, preset: str | None = None,
                   images=None) -> WorkerRunner | None:
    """Start a Train page run of `config` (from lesson `preset`; on the uploaded `images` where it trains on the
    student's own); it is saved under runs_dir() as it trains and when it ends. A run that keeps the rules of the
    class's challenge enters it."""
    job = TrainJob(config, str(runs_dir()), label, images=images)
    student = current_student()
    job.owner = RunOwner(student.id, student.nickname, preset=preset, challenge=challenge_entry(config, preset))
    return start_worker(name, job, "Train")


def challenge_entry(config: Config, preset: str | None) -> str | None:
    """The id of the challenge a run of `config` enters, if any; why it does not, kept for the page."""
    st.session_state.pop(keys.Class.CHALLENGE_NOTE, None)
    challenge = board().challenge()
    if challenge is None or preset != challenge.preset:
        return None
    why_not = challenge.why_not(config, lesson(preset).config)
    if why_not is not None:
        title = plain(challenge.title, 60)
        st.session_state[keys.Class.CHALLENGE_NOTE] = f"This run is not in the challenge {title}: {why_not}."
        return None
    return challenge.id
