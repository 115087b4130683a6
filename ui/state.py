"""What outlives one script run: the tab's session slot (its background trainings) and the server's training gate.

Light on purpose: app.py imports this before anything is drawn, so nothing here may import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from arena.gate import TrainingGate, default_slots

if TYPE_CHECKING:
    from arena.runner import TrainingRunner


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
