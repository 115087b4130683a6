"""The app as a person meets it: `streamlit run` in a subprocess and the system Chromium, for the browser tests
and the benchmarks alike. Playwright never downloads a browser here; GAN_ARENA_CHROMIUM points at another one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GAN_ARENA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]  # root in a container: no sandbox, small /dev/shm


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_app(main: str | os.PathLike = ROOT / "app.py", env: dict[str, str] | None = None,
               options: tuple[str, ...] = (), log: Path | None = None, timeout: float = 90.0) -> Iterator[str]:
    """Serve `main` on a free loopback port until the block ends; yields its URL once /_stcore/health says ok."""
    with serving(main, env, options, log, timeout) as (url, _server):
        yield url


@contextmanager
def serving(main: str | os.PathLike = ROOT / "app.py", env: dict[str, str] | None = None,
            options: tuple[str, ...] = (), log: Path | None = None,
            timeout: float = 90.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like served_app, but yields (URL, the server's process): for tests that look at its worker processes."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(main), "--server.headless=true",
               f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
               "--server.fileWatcherType=none", *options]
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, cwd=Path(main).parent, env={**os.environ, **(env or {})},
                              stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, timeout, log)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        if log:
            output.close()


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log else "(no log kept)"
            raise RuntimeError(f"streamlit exited with {server.returncode}: {tail}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within {timeout:.0f} s")


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc), oldest first: the server's forkserver and its training workers."""
    parents: dict[int, list[tuple[int, int]]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        parents.setdefault(int(fields[1]), []).append((int(fields[19]), int(stat.parent.name)))  # (start, pid)
    found, todo = [], [pid]
    while todo:
        for started, child in parents.get(todo.pop(), []):
            found.append((started, child))
            todo.append(child)
    return [child for _, child in sorted(found)]


def launch_chromium(playwright, executable: str | None = None):
    """The system Chromium (or `executable`), headless."""
    return playwright.chromium.launch(executable_path=executable or CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def first_paint_seconds(url: str, heading: str, playwright) -> float:
    """Seconds from asking a fresh browser page for `url` until the heading `heading` is visible."""
    browser = launch_chromium(playwright)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
        return time.perf_counter() - started
    finally:
        browser.close()
