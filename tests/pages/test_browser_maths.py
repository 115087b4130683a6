"""The maths beside the curves, in a real browser: a paused run's formulas end in the very number its charts show at
that iteration; then one iteration is walked through in its four parts on the graph of the game. Saves screenshots
to test-artifacts/."""

from __future__ import annotations

import base64
import re
import time

import numpy as np
import pytest
from playwright.sync_api import expect

from benchmarks.live_app import ROOT, served_app
from ui.game_graph import LIT, PARTS

ARTIFACTS = ROOT / "test-artifacts"
SHOWN = re.compile(r"= (-?\d+\.\d+)$")  # a worked line's last number


@pytest.fixture
def env(tmp_path):
    return {"GAN_ARENA_RUNS_DIR": str(tmp_path / "runs"), "OMP_NUM_THREADS": "1", "GAN_ARENA_MAX_TRAININGS": "2"}


def _values(array) -> np.ndarray:
    """A trace's x or y as plotly.js holds it: a list, or a typed array sent base64-encoded ({dtype, bdata})."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array, dtype=np.float64)


def _chart_value(page, title: str, curve: str, iteration: int) -> str:
    """What the chart titled `title` shows for `curve` at `iteration`, in its hover label's format."""
    chart = page.locator(".js-plotly-plot").filter(has_text=title)
    traces = chart.evaluate("gd => gd.data.map(t => ({name: t.name, x: t.x, y: t.y, format: t.yhoverformat}))")
    trace = next(t for t in traces if t["name"] == curve)
    at = np.flatnonzero(_values(trace["x"]) == iteration)
    assert len(at), f"{title}: no point at iteration {iteration}"
    return format(float(_values(trace["y"])[at[-1]]), trace["format"])


def _shown(popover, symbol: str) -> tuple[int, str]:
    """The iteration the open popover names, and the number its worked line for `symbol` ends in (read from the
    formula's TeX source, which KaTeX keeps beside what it draws)."""
    heading = popover.get_by_text(re.compile(r"^Iteration [\d,]+")).first.inner_text()
    iteration = int(re.match(r"Iteration ([\d,]+)", heading).group(1).replace(",", ""))
    sources = popover.locator("annotation[encoding='application/x-tex']").all_text_contents()
    line = next(s.strip() for s in sources if s.strip().startswith(symbol + " =") and SHOWN.search(s.strip()))
    return iteration, SHOWN.search(line).group(1)


def test_a_paused_runs_maths_ends_in_the_charts_numbers_and_one_iteration_is_walked_in_parts(browser, env):
    ARTIFACTS.mkdir(exist_ok=True)
    checks = (("Losses", "D loss", "L_D"), ("What D believes", "mean D(x), real", "\\overline{D(x)}"))
    with served_app(env=env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/train?preset=fast")
        page.get_by_role("button", name="Start").click()
        status = page.get_by_test_id("stProgress").first
        expect(status).to_contain_text("Training", timeout=120_000)
        page.get_by_role("button", name="Pause").click()
        expect(status).to_contain_text("Paused", timeout=20_000)  # the numbers stop moving
        for title, curve, symbol in checks:
            page.get_by_role("button", name=f"The maths: {title}").click()
            popover = page.get_by_test_id("stPopoverBody")
            expect(popover.get_by_text(re.compile(r"^Iteration [\d,]+"))).to_be_visible(timeout=10_000)
            # The popover and its chart are drawn by one fragment run; a run redrawn between the two reads (every
            # 2 s while paused) is read again, until a deadline.
            deadline = time.monotonic() + 10
            while True:
                iteration, shown = _shown(popover, symbol)
                expected = _chart_value(page, title, curve, iteration)
                if shown == expected or time.monotonic() > deadline:
                    break
            assert shown == expected, f"{title}: the maths says {shown} at iteration {iteration}, the chart {expected}"
            if title == "Losses":
                page.screenshot(path=str(ARTIFACTS / "train_maths_losses.png"))
            page.keyboard.press("Escape")
            expect(popover).to_have_count(0, timeout=5_000)
        _walk_one_iteration_in_parts(page)


def _lit_nodes(page) -> set[str]:
    """The graph's nodes drawn in the highlight colour (Graphviz's SVG names each node in its <title>)."""
    return set(page.locator(".stGraphVizChart svg g.node").evaluate_all(
        f"nodes => nodes.filter(n => n.querySelector('[stroke=\"{LIT}\"]')).map(n => n.querySelector('title')"
        ".textContent)"))


def _walk_one_iteration_in_parts(page) -> None:
    page.get_by_role("button", name="Play one iteration in parts").click()
    for number, (part, (title, nodes, _)) in enumerate(PARTS.items(), start=1):
        page.get_by_text(f"{number}. {title}", exact=True).click()
        caption = page.get_by_text(re.compile(rf"^Iteration [\d,]+, part {number} of 4: {re.escape(title)}"))
        expect(caption).to_be_visible(timeout=20_000)
        expect(page.locator(".stGraphVizChart svg g.node").first).to_be_attached(timeout=10_000)
        deadline = time.monotonic() + 10
        while _lit_nodes(page) != nodes and time.monotonic() < deadline:
            time.sleep(0.2)  # the graph is drawn in the browser, after the element arrives
        assert _lit_nodes(page) == nodes, (part, _lit_nodes(page))
        if part == "judge":  # the graph's D(x) is the batch's mean score, and each shown digit has its own
            edge = page.locator(".stGraphVizChart svg g.edge text").filter(has_text="D(x) =").text_content()
            mean = page.get_by_text(re.compile(r"batch mean D\(x\) = ")).inner_text()
            assert edge.split("= ")[1] == mean.split("= ")[1].rstrip(")"), (edge, mean)
            scores = page.get_by_test_id("stImageCaption").filter(has_text=re.compile(r"^[01]\.\d\d$"))
            expect(scores).to_have_count(16, timeout=10_000)
            page.mouse.move(1270, 710)
            page.screenshot(path=str(ARTIFACTS / "train_iteration_parts.png"))
