"""Shared fixtures: tiny, seeded, CPU-only runs on a slice of the embedded digits."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ["OMP_NUM_THREADS"] = "1"  # before torch loads; subprocesses (CLI, servers) and the app's warm-up obey it
import torch  # noqa: E402

from gan.config import Config, preset  # noqa: E402
from gan.data import load_images  # noqa: E402

# One torch thread for the whole suite: the same arithmetic whatever the machine's core count, and no stalls when
# another process holds a core (torch's threads wait for each other at every op: with one core busy, two threads
# made the small-net tests 5-8x slower, one thread barely notices). The app's warm-up would otherwise change it
# halfway through the session.
torch.set_num_threads(1)  # in case torch was imported before this file


@pytest.fixture(autouse=True)
def fresh_server_state():
    """No test sees another's leftovers: AppTest sessions share one session slot and the server-wide gate.

    Clearing Streamlit's resource caches releases them: the slot's on_release stops its trainings (and frees their
    gate slots), and the next test gets a new slot and a new gate.
    """
    yield
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_resource.clear()


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """512 embedded MNIST digits, uint8 (512, 28, 28)."""
    images, _ = load_images("mnist-embedded")
    return images[:512]


def wait_for(predicate, timeout: float = 60.0, what: str = "the expected state") -> None:
    """Poll `predicate()` until it holds: tests wait on state, never on a race with the clock. The timeout only
    bounds a hang; it is generous so that a busy machine passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout:.0f} s")


# ------------------------------------------------------------------ AppTest pages (tests/pages)
def rerun(at):
    """Run an AppTest page once more and fail on any exception it raised."""
    at.run()
    assert not at.exception, at.exception
    return at


def button(at, label: str):
    """The page's button with this label."""
    return next(b for b in at.button if b.label == label)


def poll(at, predicate, timeout: float = 90.0, describe=None) -> None:
    """Rerun the page (a browser's fragments would) until `predicate(at)` holds; `describe(at)` adds what the page
    showed to the failure. The timeout only bounds a hang."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rerun(at)
        if predicate(at):
            return
        time.sleep(0.2)
    shown = f" ({describe(at)})" if describe else ""
    raise AssertionError(f"the page did not reach the expected state in time{shown}")


def tiny_config(arch: str = "mlp", **overrides) -> Config:
    """A seed-default config shrunk so that one iteration takes milliseconds."""
    small = dict(g_width=16, d_width=32 if arch == "mlp" else 8, latent_dim=8, batch_size=16, iterations=4,
                 sample_every=2, n_samples=4, device="cpu")
    return preset(arch, **{**small, **overrides})


@pytest.fixture
def tiny():
    return tiny_config


def shown(markdown: str) -> str:
    """The text a reader sees of a message whose outside parts are code spans (ui.text.plain): backticks dropped."""
    return markdown.replace("`", "")
