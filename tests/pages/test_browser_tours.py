"""A guided tour in a real browser at 1280x720, as a class follows it from the teacher's link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from benchmarks.live_app import ROOT, served_app
from gan.presets.tours import TOURS

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def env(tmp_path):
    return {"GAN_ARENA_RUNS_DIR": str(tmp_path / "runs"), "OMP_NUM_THREADS": "1", "GAN_ARENA_MAX_TRAININGS": "2"}


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720


def test_a_tour_opens_from_its_link_and_is_walked_to_the_end_seeing_each_live_moment(browser, env):
    tour = TOURS["d-wins"]
    ARTIFACTS.mkdir(exist_ok=True)
    with served_app(env=env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/train?tour=d-wins&step=2")  # a link to a step
        panel = page.locator(".st-key-tour-panel")
        expect(panel).to_contain_text(f"Step 2 of {len(tour.steps)}", timeout=90_000)
        expect(panel).to_contain_text(tour.steps[1].title)
        page.get_by_role("button", name="Back").click()
        expect(panel).to_contain_text("Step 1 of", timeout=30_000)
        assert "step=1" in page.url
        for index, step in enumerate(tour.steps, start=1):
            expect(panel).to_contain_text(f"Step {index} of {len(tour.steps)}", timeout=30_000)
            expect(panel).to_contain_text(step.title)
            forward = page.get_by_role("button", name="Next" if index < len(tour.steps) else "Finish")
            assert _in_view(page, forward), f"step {index}: the tour's button is below the first screen"
            if step.setup:
                page.get_by_role("button", name="Do it for me").click()
            if step.watch is not None:
                # The moment comes in the live run, and the panel says it with the run's own numbers.
                seen = panel.get_by_test_id("stAlertContentSuccess")
                expect(seen).to_be_visible(timeout=120_000)
                first_words = step.watch.seen.split("{")[0]
                expect(seen).to_contain_text(re.compile(r"\d"))
                if first_words.strip():
                    expect(seen).to_contain_text(first_words.strip())
                page.screenshot(path=str(ARTIFACTS / f"tour_d_wins_step{index}.png"))
            assert f"step={index}" in page.url
            forward.click()
        expect(panel).to_have_count(0, timeout=30_000)  # finished: the sidebar is the page's again
        assert "tour=" not in page.url
        page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
