"""What outlives one script run: the tab's session slot (its trainings' worker links) and the server's training gate.

Light on purpose: app.py imports this before anything is drawn, so nothing here may import torch.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from arena.scheduler import Scheduler, plan_slots

XSRF_COOKIE = "_streamlit_xsrf"
# A training not heard from for this long takes its tab for closed (a closed tab is also released by Streamlit,
# disconnectedSessionTTL after it went); every tab says it is open HEARTBEAT_S apart, even a hidden one, whose
# timers the browser may slow to one a minute.
IDLE_TIMEOUT_S = float(os.environ.get("GAN_ARENA_IDLE_TIMEOUT_S", "") or 180)
HEARTBEAT_S = max(1.0, IDLE_TIMEOUT_S / 6)
NO_RECORDS = 2**62  # `snapshot(since=NO_RECORDS)`: a run's state without copying its metric records
# A tab that stops its trainings (a new Start, or the tab going away) waits for them to end: each run's link thread
# is joined, which returns the moment the run has been saved, has given its slot back and has published its end, in
# that order, so that what comes next (the new run joining the line, the page's redraw) finds them ended. The runs
# are asked to stop all at once, then waited for together, within TAB_STOP_WAIT_S in all: the bound is for a worker that
# does not answer (its link kills it after arena.worker.STOP_GRACE_S, 3 s, and its page says so), so that a Start or
# a closing tab never hangs on it.
TAB_STOP_WAIT_S = 2.0

def runs_dir() -> Path:
    """Where runs are saved (GAN_ARENA_RUNS_DIR, default runs/), with the class's files in runs/.class/."""
    return Path(os.environ.get("GAN_ARENA_RUNS_DIR", "runs"))


if TYPE_CHECKING:
    from arena.limits import ServerLimits
    from arena.worker import WorkerRunner


class SessionSlot:
    """Everything one browser tab runs in the background. Released, workers stopped, when the tab goes away.

    browser: who opened the tab (ui.state.browser_id): every tab of one browser has the same, so that the server can
    count one student's trainings across tabs."""

    def __init__(self, browser: str = "") -> None:
        self.runners: dict[str, WorkerRunner] = {}
        self.browser = browser
        self._lock = threading.Lock()
        self._closed = False

    def active_runs(self) -> int:
        """Trainings of this tab that are running or waiting in line."""
        return sum(1 for runner in self.runners.values() if runner.alive)

    def runner(self, name: str) -> WorkerRunner | None:
        return self.runners.get(name)

    def replace(self, name: str, runner: WorkerRunner, page_title: str = "") -> WorkerRunner | None:
        """Own `runner` under `name`, stopping the one it replaces and any other still training; None (the runner
        not owned, so not to be started) once the tab has gone.

        One training per student at a time: the slots are shared by the whole class.
        """
        stopping = {}
        for other_name, old in list(self.runners.items()):
            reason = None
            if other_name != name and page_title:
                reason = (f"Stopped when you started a training on the {page_title} page: one training per student "
                          "at a time, so that the whole class gets a turn.")
            if old.alive:
                stopping[old] = reason
        stop_all(stopping)
        with self._lock:
            # A Start clicked just before the tab closed can get here after shutdown(): its run would train on,
            # owned by nobody, holding a slot until its budget ran out.
            if self._closed:
                return None
            self.runners[name] = runner
        return runner

    def heartbeat(self) -> None:
        """Tell every runner its tab is still open (each stops by itself after minutes without this)."""
        for runner in self.runners.values():
            runner.touch()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            runners = list(self.runners.values())
            self.runners.clear()
        stop_all(dict.fromkeys(runners))


def stop_all(runners: dict[WorkerRunner, str | None]) -> None:
    """Ask every runner to stop (with the reason its page shows, if any), then wait for them all to end, within
    TAB_STOP_WAIT_S in all."""
    for runner, reason in runners.items():
        runner.stop(wait=None, reason=reason)
    deadline = time.monotonic() + TAB_STOP_WAIT_S
    for runner in runners:
        runner.join(max(0.0, deadline - time.monotonic()))


class SlotRegistry:
    """Every tab's slot on this server, so that a Start can count the trainings of the same browser's other tabs."""

    def __init__(self) -> None:
        self._slots: weakref.WeakSet[SessionSlot] = weakref.WeakSet()
        self._lock = threading.Lock()

    def add(self, slot: SessionSlot) -> None:
        with self._lock:
            self._slots.add(slot)

    def discard(self, slot: SessionSlot) -> None:
        with self._lock:
            self._slots.discard(slot)

    def runners(self) -> list[WorkerRunner]:
        """Every tab's trainings (running, waiting, or ended and still on their page), for the Class page."""
        with self._lock:
            slots = list(self._slots)
        return [runner for slot in slots for runner in list(slot.runners.values())]

    def busy_folders(self) -> list[Path]:
        """The run folders of the trainings still going: the retention rule leaves them alone."""
        return [folder for runner in self.runners() if runner.alive for folder in runner.job.folders]

    def runs_of(self, browser: str, besides: SessionSlot) -> int:
        """Trainings running or in line in the other tabs of `browser`."""
        with self._lock:
            slots = [slot for slot in self._slots if slot is not besides and slot.browser == browser]
        return sum(slot.active_runs() for slot in slots)


@st.cache_resource(show_spinner=False)
def slot_registry() -> SlotRegistry:
    return SlotRegistry()


def _release_slot(slot: SessionSlot) -> None:
    slot_registry().discard(slot)
    slot.shutdown()


@st.cache_resource(scope="session", on_release=_release_slot, show_spinner=False)
def session_slot() -> SessionSlot:
    """This tab's slot (a new one per browser session)."""
    slot = SessionSlot(browser_id())
    slot_registry().add(slot)
    return slot


def browser_id() -> str:
    """The same string for every tab of one browser, and a different one for each other browser (and each tab,
    where the server sets no XSRF cookie)."""
    return browser_of(st.context.cookies.get(XSRF_COOKIE, "")) or f"tab:{uuid.uuid4().hex}"


def browser_of(xsrf_cookie: str) -> str | None:
    """Streamlit's XSRF cookie holds a random token per browser as `2|mask|masked token|time`, masked anew on each
    page load: the token itself, unmasked, stays. None for anything else."""
    try:
        version, mask, masked, _time = xsrf_cookie.strip("\"'").split("|")
        mask_bytes, masked_bytes = bytes.fromhex(mask), bytes.fromhex(masked)
    except ValueError:
        return None
    if version != "2" or len(mask_bytes) != 4 or not masked_bytes:
        return None
    token = bytes(b ^ mask_bytes[i % 4] for i, b in enumerate(masked_bytes))
    return "browser:" + hashlib.sha256(token).hexdigest()[:16]


@st.cache_resource(show_spinner=False)
def server_limits() -> ServerLimits:
    """The teacher's limits (arena.limits), read once from the server's environment."""
    from arena.limits import ServerLimits  # here: arena.limits imports the core (and PyTorch)

    return ServerLimits.from_environment()


@st.cache_resource(show_spinner=False)
def cluster_backend():
    """The Ray backend when GAN_ARENA_RAY_ADDRESS is set (arena.cluster), else None: worker processes here."""
    from arena.cluster import backend_from_environment  # Ray is optional, and heavy: only when asked for

    return backend_from_environment()


@st.cache_resource(show_spinner=False)
def training_gate() -> Scheduler:
    """One scheduler for the whole server: how many trainings run at once, and the line (arena.scheduler)."""
    backend = cluster_backend()
    return Scheduler(backend.plan() if backend is not None else plan_slots())


@st.cache_resource(show_spinner=False, ttl=2.0)
def _challenge_ranking(challenge: str) -> list[str]:
    """The students of the challenge's entries, best first; one reading for every student's banner (2 s)."""
    from arena.class_runs import class_runs, ranked

    return [row.owner.student for row in ranked(class_runs(slot_registry().runners(), runs_dir()), challenge)
            if row.owner is not None]


def class_place(challenge: str, student: str) -> tuple[int, int] | None:
    """(place, entries) of `student`'s best run in the challenge; None when they have not entered."""
    ranking = _challenge_ranking(challenge)
    return (ranking.index(student) + 1, len(ranking)) if student in ranking else None


def paced(seconds: float) -> float:
    """A live view's refresh interval, stretched while more trainings run than the machine has cores: ten Train
    pages redrawing their charts every 2 s took the CPU that ten runs on 2 cores needed (benchmarks.classroom
    --browsers). The pages still answer a click at once: only their own polling slows down."""
    gate = training_gate()
    return seconds * max(1.0, gate.running * gate.plan.threads / gate.plan.cores)
