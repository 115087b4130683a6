"""The real thing: `streamlit run app.py` in a subprocess, driven by the system Chromium through Playwright.

Saves a screenshot of the live Train page to test-artifacts/train_page.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("GAN_ARENA_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "GAN_ARENA_RUNS_DIR": str(tmp_path_factory.mktemp("runs")), "OMP_NUM_THREADS": "2"}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited: {server.stdout.read().decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy in time")


def test_start_on_the_train_page_shows_live_curves_and_samples(app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            # A small MLP so that the CI machine trains it quickly; the link also exercises shareable set-ups.
            page.goto(f"{app_url}/train?preset=mlp&iterations=400&g_width=64&d_width=128&sample_every=25")
            page.get_by_role("button", name="Start").click()
            progress = page.get_by_test_id("stProgress").first  # a rerun briefly shows old and new
            expect(progress).to_contain_text("iteration", timeout=60_000)
            first = progress.inner_text()
            expect(progress).not_to_have_text(first, timeout=30_000)  # the page updates by itself
            expect(page.locator(".js-plotly-plot .scatterlayer .trace").first).to_be_visible(timeout=30_000)
            expect(page.get_by_test_id("stImage").first).to_be_visible(timeout=30_000)
            expect(progress).to_contain_text("Finished", timeout=120_000)
            page.screenshot(path=str(ARTIFACTS / "train_page.png"), full_page=True)
            expect(page.get_by_text("Saved as")).to_be_visible(timeout=30_000)
        finally:
            browser.close()
