"""The class of `python -m benchmarks.classroom --browsers`: the real server and one Chromium page per student.

One browser, one context per student (their own cookies: the server tells them apart as it does a class), each page at
1280x720 on the Train page's fast preset link. Once every page shows Start, they press it one after the other, as
close together as the driver can. Each student's time to ten digits is read off what their page shows: the fixed-noise
grid image is fetched whenever its address changes, cut back into its 28-px digits and classified as the headless
mode classifies the run's own samples. An eleventh page, on the Latent Explorer, measures the page answers: every
ANSWER_EVERY_S it clicks the other interpolation mode and times, inside the page, from the click to the new strip's
caption; the same clicks with the class's pages open and nobody training give the idle figure.
"""

from __future__ import annotations

import io
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright

from arena.scheduler import SlotPlan
from benchmarks.classroom import PAGE_ANSWER_S, Progress, report, report_answers
from benchmarks.live_app import CHROMIUM, launch_chromium, served_app
from gan.data import load_images
from gan.imaging import grid_image, png_bytes
from gan.presets.train import LESSONS
from gan.quality import classify

VIEWPORT = {"width": 1280, "height": 720}
LINK = "/train?preset=fast"
DIGIT_PX = 28
GRID_SCALE = 4  # app_pages/train.py's GRID_SCALE (a page script: importing it draws the page); grid_digits checks it
PADDING_PX = 2  # gan.imaging.grid_array's gutter, before the upscaling
POLL_S = 2.0  # each student's page: a new grid comes every CHARTS_EVERY_S (2 s) at most
ANSWER_EVERY_S = 3.0
IDLE_ANSWERS = 5
ANSWER_TIMEOUT_S = 30.0
MODE_LABELS = {"slerp": "slerp (spherical)", "lerp": "lerp (straight line)"}  # the Explorer's Interpolation radio
STRIP_MODE = re.compile(r", (slerp|lerp), \d+ frames")  # "The walk from A (seed 1) to B (seed 2), slerp, 10 frames"

# The src of the image whose caption says it is the run's fixed-noise grid ("Fixed noise, iteration 1,200 — …")
GRID_SRC_JS = """() => {
  for (const e of document.querySelectorAll('[data-testid="stImage"]')) {
    if (e.innerText.includes('Fixed noise, iteration')) { const img = e.querySelector('img'); return img && img.src; }
  }
  return null;
}"""
# Every click's time in the page's own clock; the first of a click's events (a label also clicks its input)
CLICK_CLOCK_JS = """() => {
  window.__clickedAt = null;
  document.addEventListener('click', () => { if (window.__clickedAt == null) window.__clickedAt = performance.now(); },
                            true);
}"""
# Milliseconds from the click to an image caption matching `pattern`, once there is one (false until then)
ANSWERED_JS = """pattern => {
  if (window.__clickedAt == null) return false;
  const re = new RegExp(pattern);
  for (const e of document.querySelectorAll('[data-testid="stImage"]')) {
    if (re.test(e.innerText)) return Math.max(performance.now() - window.__clickedAt, 0.001);
  }
  return false;
}"""


def grid_digits(png: bytes, n: int, scale: int = GRID_SCALE) -> torch.Tensor:
    """The Train page's grid picture (gan.imaging.grid_array: white 2-px gutters, upscaled `scale` times) -> its first
    `n` digits, (n, 1, 28, 28) in [-1, 1], row by row."""
    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    cell = (DIGIT_PX + PADDING_PX) * scale
    rows, columns = (grey.shape[0] - PADDING_PX * scale) // cell, (grey.shape[1] - PADDING_PX * scale) // cell
    if grey.shape != (rows * cell + PADDING_PX * scale, columns * cell + PADDING_PX * scale) or rows * columns < n:
        raise ValueError(f"a {grey.shape[1]}x{grey.shape[0]} picture is no grid of {n} {DIGIT_PX}-px digits at "
                         f"scale {scale} (did Streamlit resize it?)")
    small = grey[::scale, ::scale]  # nearest-neighbour upscaling undone: (rows * 30 + 2, columns * 30 + 2)
    step = DIGIT_PX + PADDING_PX
    tiles = [small[PADDING_PX + r * step:PADDING_PX + r * step + DIGIT_PX,
                   PADDING_PX + c * step:PADDING_PX + c * step + DIGIT_PX]
             for r in range(rows) for c in range(columns)][:n]
    return torch.from_numpy(np.stack(tiles)).float().div(127.5).sub(1).unsqueeze(1)  # (n, 1, 28, 28)


def check_grid_reading(n: int = 64) -> float:
    """The share of `n` real digits, drawn as the Train page draws its grid and read back by grid_digits, that the
    classifier labels right; raises when the reading is broken (the digits themselves read 98-100 % right)."""
    images, labels = load_images("mnist-embedded")
    picked = np.random.default_rng(0).choice(len(images), n, replace=False)
    grid = png_bytes(grid_image(torch.from_numpy(images[picked]).unsqueeze(1), scale=GRID_SCALE))
    predicted, _ = classify(grid_digits(grid, n))
    right = (predicted.numpy() == labels[picked]).mean()
    if right < 0.9:
        raise RuntimeError(f"the grid reading is broken: {right:.0%} of {n} real digits read right")
    return float(right)


@dataclass
class StudentPage:
    page: object  # playwright Page
    progress: Progress
    src: str | None = None

    def look(self, n: int) -> None:
        """What the student sees now: a new grid (a new address) is fetched and read."""
        src = self.page.evaluate(GRID_SRC_JS)
        if not src or src == self.src:
            return
        seen_at = time.monotonic()
        self.src = src
        response = self.page.request.get(src)
        if response.ok:  # else the page has moved on to a newer grid: read at the next look
            self.progress.saw(grid_digits(response.body(), n), seen_at)


class Observer:
    """The eleventh page, on the Latent Explorer: a click on the other interpolation mode, timed in the page."""

    def __init__(self, page, timeout_s: float):
        self.page = page
        page.get_by_text(re.compile(r"^Nearest training digit")).wait_for(timeout=timeout_s * 1000)  # the live view
        self.page.evaluate(CLICK_CLOCK_JS)

    def answer(self) -> float:
        """Seconds from a click on the Interpolation radio until the page shows the strip in the other mode."""
        captions = " ".join(self.page.get_by_test_id("stImage").all_inner_texts())
        current = STRIP_MODE.search(captions)
        other = "lerp" if current is None or current.group(1) == "slerp" else "slerp"
        self.page.evaluate("() => { window.__clickedAt = null; }")
        self.page.get_by_text(MODE_LABELS[other], exact=True).click(timeout=ANSWER_TIMEOUT_S * 1000)
        try:
            shown = self.page.wait_for_function(ANSWERED_JS, arg=f", {other}, \\d+ frames", polling="raf",
                                                timeout=ANSWER_TIMEOUT_S * 1000)
        except PlaywrightTimeout:
            return ANSWER_TIMEOUT_S
        return shown.json_value() / 1000


def left(deadline: float) -> float:
    """Milliseconds until `deadline`, for Playwright's timeouts (at least one second)."""
    return max(1.0, deadline - time.monotonic()) * 1000


def watch(students: list[StudentPage], observer: Observer, deadline: float, n: int) -> list[float]:
    """Look at every student's page every POLL_S, and click on the observer's every ANSWER_EVERY_S, until every
    student has seen ten digits or time is up; the observer's answers."""
    answers: list[float] = []
    next_answer = time.monotonic()
    while time.monotonic() < deadline and any(s.progress.ten_digits_s is None for s in students):
        looked = time.monotonic()
        if looked >= next_answer:
            answers.append(observer.answer())
            next_answer = looked + ANSWER_EVERY_S
        for student in students:
            if student.progress.ten_digits_s is None:
                student.look(n)
        time.sleep(max(0.0, min(looked + POLL_S, next_answer) - time.monotonic()))
    return answers


def run_class(students: int, plan: SlotPlan, minutes: float, slots: int | None = None,
              threads: int | None = None, browser_niceness: int = 0) -> None:
    """`students` Chromium pages press Start on the fast preset; prints classroom.report's summary for them.

    slots, threads: the sharing policy to give the server (GAN_ARENA_MAX_TRAININGS, GAN_ARENA_WORKER_THREADS); None
    leaves it its own plan, which is `plan` on this machine."""
    deadline = time.monotonic() + minutes * 60
    torch.set_num_threads(1)  # the benchmark's own reading of the grids takes as little of the class's CPU as it can
    right = check_grid_reading()
    n = LESSONS["fast"].config.n_samples
    with tempfile.TemporaryDirectory(prefix="classroom-pages-") as folder:
        env = {"GAN_ARENA_RUNS_DIR": str(Path(folder) / "runs"), "OMP_NUM_THREADS": "1"}
        if slots:
            env["GAN_ARENA_MAX_TRAININGS"] = str(slots)
        if threads:
            env["GAN_ARENA_WORKER_THREADS"] = str(threads)
        log = Path(folder) / "server.log"
        try:
            with served_app(env=env, log=log) as url, sync_playwright() as playwright:
                browser = launch_chromium(playwright, niced_chromium(Path(folder), browser_niceness))
                try:
                    pages, answers, idle, pressed = drive(browser, url, students, deadline, n)
                finally:
                    browser.close()
        except Exception:
            if log.exists():
                print(f"the server's log ends:\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            raise
    niced = f", Chromium at niceness {browser_niceness}" if browser_niceness else ""
    report(f"{students} Chromium pages (one browser, a context per student, {VIEWPORT['width']}x"
           f"{VIEWPORT['height']}, {LINK}{niced}) and the server on this machine", plan,
           [p.progress for p in pages], minutes)
    print(f"Start pressed on the {students} pages within {pressed * 1000:.0f} ms; each student's time counts from "
          f"their own click to the poll (every {POLL_S:g} s) that found ten digits on their page's grid "
          f"(grid reading checked on real digits: {right:.0%} right)")
    what = ("page answers while training (an 11th page, the Latent Explorer: a click on the other interpolation mode "
            "until its new strip shows)")
    idle_median = statistics.median(idle) if idle else None
    report_answers(what, answers, idle_median)
    if idle:
        print(f"the same click with the class's pages open and nobody training: median {idle_median * 1000:.0f} ms, "
              f"worst {max(idle) * 1000:.0f} ms ({sum(a > PAGE_ANSWER_S for a in idle)} of {len(idle)} over "
              f"{PAGE_ANSWER_S:g} s)")


def niced_chromium(folder: Path, niceness: int) -> str | None:
    """A launcher that runs the system Chromium at `niceness` (None: Chromium as it is)."""
    if not niceness:
        return None
    launcher = folder / "chromium"
    launcher.write_text(f'#!/bin/sh\nexec nice -n {niceness} "{CHROMIUM}" "$@"\n')
    launcher.chmod(0o755)
    return str(launcher)


def drive(browser, url: str, students: int, deadline: float,
          n: int) -> tuple[list[StudentPage], list[float], list[float], float]:
    """Open the observer and the students' pages, press Start on each, watch; (the students, the answers while
    training, the idle answers, seconds between the first and the last Start)."""
    observer_page = browser.new_context(viewport=VIEWPORT).new_page()
    observer_page.goto(url + "/explorer", wait_until="commit")
    pages = [browser.new_context(viewport=VIEWPORT).new_page() for _ in range(students)]
    for page in pages:
        page.goto(url + LINK, wait_until="commit")
    starts = [page.get_by_role("button", name="Start") for page in pages]
    for start in starts:  # each page waits for the training engine first
        expect(start).to_be_enabled(timeout=left(deadline))
    observer = Observer(observer_page, left(deadline) / 1000)
    idle = []
    for _ in range(IDLE_ANSWERS):
        idle.append(observer.answer())
        time.sleep(0.5)
    class_pages = []
    for i, (page, start) in enumerate(zip(pages, starts)):
        clicked = time.monotonic()
        start.click()
        class_pages.append(StudentPage(page, Progress(f"student {i + 1}", clicked)))
    pressed = class_pages[-1].progress.started - class_pages[0].progress.started
    answers = watch(class_pages, observer, deadline, n)
    return class_pages, answers, idle, pressed
