"""What outlives one script run: the tab's session slot (its trainings' worker links) and the server's training gate.

Light on purpose: app.py imports this before anything is drawn, so nothing here may import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from arena.scheduler import Scheduler, plan_slots

if TYPE_CHECKING:
    from arena.worker import WorkerRunner


class SessionSlot:
    """Everything one browser tab runs in the background. Released, workers stopped, when the tab goes away."""

    def __init__(self) -> None:
        self.runners: dict[str, WorkerRunner] = {}

    def runner(self, name: str) -> WorkerRunner | None:
        return self.runners.get(name)

    def replace(self, name: str, runner: WorkerRunner, page_title: str = "") -> WorkerRunner:
        """Own `runner` under `name`, stopping the one it replaces and any other still training.

        One training per student at a time: the slots are shared by the whole class.
        """
        for other_name, old in self.runners.items():
            reason = None
            if other_name != name and page_title:
                reason = (f"Stopped when you started a training on the {page_title} page: one training per student "
                          "at a time, so that the whole class gets a turn.")
            if old.alive:
                old.stop(wait=2.0, reason=reason)
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
def cluster_backend():
    """The Ray backend when GAN_ARENA_RAY_ADDRESS is set (arena.cluster), else None: worker processes here."""
    from arena.cluster import backend_from_environment  # Ray is optional, and heavy: only when asked for

    return backend_from_environment()


@st.cache_resource(show_spinner=False)
def training_gate() -> Scheduler:
    """One scheduler for the whole server: how many trainings run at once, and the line (arena.scheduler)."""
    backend = cluster_backend()
    return Scheduler(backend.plan() if backend is not None else plan_slots())
