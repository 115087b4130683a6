"""What the page tests share: an AppTest of the app opened on a page, runs in a folder of the test's own, what the
page's run status line says, and the system Chromium for the browser tests."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import sync_playwright
from streamlit.testing.v1 import AppTest

from benchmarks.live_app import launch_chromium

APP = "../../app.py"  # AppTest resolves paths against the test file: tests/pages/ -> the repository root
TIMEOUT = 60


@pytest.fixture
def isolated_runs(tmp_path, monkeypatch):
    """Runs saved under the test's own folder; a few trainings at once, whatever the machine."""
    monkeypatch.setenv("GAN_ARENA_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("GAN_ARENA_MAX_TRAININGS", "4")


def open_page(page: str, *, state: dict | None = None, **query) -> AppTest:
    """The app opened with the link `?key=value…` (a list gives a key several times) and the session `state`, then
    switched to `page`."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def status_text(at: AppTest) -> str:
    """The run's status line (the progress bar's text); empty while the page shows none."""
    return at.get("progress")[0].proto.text if at.get("progress") else ""


def iteration(at: AppTest) -> int:
    """The iteration the status line names; -1 while it names none."""
    match = re.search(r"iteration ([\d,]+)", status_text(at))
    return int(match.group(1).replace(",", "")) if match else -1


def paused_with_steps_enabled(at: AppTest) -> bool:
    """The state a Step needs: the status line and the controls both drawn from a paused run."""
    steps = [b for b in at.button if b.label in ("Step", "D step", "G step")]
    return "Paused" in status_text(at) and len(steps) == 3 and not any(b.disabled for b in steps)


@pytest.fixture
def browser():
    """The system Chromium, headless (Playwright never downloads one here)."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
