"""The sidebar shared by every page: which device trains, and how busy the server is."""

from __future__ import annotations

import streamlit as st
import torch

from gan.device import describe_device, resolve_device
from ui.session import training_gate


@st.cache_resource(show_spinner=False)
def device_label() -> str:
    return describe_device(resolve_device("auto"))


def render_sidebar() -> None:
    with st.sidebar:
        label = device_label()
        icon = ":material/memory:" if label.startswith("CPU") else ":material/bolt:"
        st.badge(label, icon=icon, color="green" if not label.startswith("CPU") else "blue")
        gate = training_gate()
        st.caption(f"Trainings on this server: {gate.running} running of {gate.slots}"
                   + (f", {gate.waiting} waiting" if gate.waiting else "")
                   + f" · torch {torch.__version__.split('+')[0]}")
