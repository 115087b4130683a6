"""The sidebar shared by every page: who you are (your nickname), which device trains, and how busy the server is."""

from __future__ import annotations

import streamlit as st

from ui.engine import ENGINE
from ui.identity import nickname_form
from ui.state import training_gate


def render_sidebar() -> None:
    with st.sidebar:
        nickname_form()
        if ENGINE.ready():
            _server_status()
        else:
            st.fragment(_until_the_engine_is_ready, run_every=0.5)()


def _server_status() -> None:
    if ENGINE.error is not None:
        st.error(f"The training engine did not start: {ENGINE.error}")
        return
    label = ENGINE.device_label
    on_cpu = label.startswith("CPU")
    st.badge(label, icon=":material/memory:" if on_cpu else ":material/bolt:", color="blue" if on_cpu else "green")
    gate = training_gate()
    st.caption(f"Trainings on this server: {gate.running} running of {gate.slots}"
               + (f", {gate.waiting} waiting" if gate.waiting else "") + f" · torch {ENGINE.torch_version}")


def _until_the_engine_is_ready() -> None:
    """Polls while PyTorch loads in the background, then redraws the page once with the device badge."""
    if ENGINE.ready():
        st.rerun()
    st.caption(":material/hourglass_top: Starting the training engine (PyTorch)…")
