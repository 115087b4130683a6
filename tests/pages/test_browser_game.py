"""Be the discriminator in a real browser at 1280x720: one round played with the keyboard alone against a bundled
generator (no training to wait for: CI is tight), its score checked against the tiles' truth and against the class's
log the server wrote, and the whole round on the projector's one screen. The live run's D is played in
tests/pages/test_game_page.py. Saves screenshots to test-artifacts/."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from benchmarks.layout_check import layout_problems
from benchmarks.live_app import ROOT, served_app

ARTIFACTS = ROOT / "test-artifacts"
MARKED = (0, 2, 5, 9, 12)  # the tiles the student ticks as fake


def test_one_round_is_played_with_the_keyboard_and_scored_as_marked(browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    runs = tmp_path / "runs"
    with served_app(env={"GAN_ARENA_RUNS_DIR": str(runs), "OMP_NUM_THREADS": "1"}) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/game")
        expect(page.get_by_role("checkbox", name="Fake?", exact=True)).to_have_count(16, timeout=60_000)
        expect(page.get_by_test_id("stImage")).to_have_count(16)
        for i in MARKED:  # the keyboard alone: focus a box, Space ticks it
            box = page.get_by_role("checkbox", name="Fake?", exact=True).nth(i)
            box.focus()
            page.keyboard.press("Space")
            expect(box).to_be_checked()
        page.screenshot(path=str(ARTIFACTS / "game_marked.png"))
        page.get_by_role("button", name="Check").focus()
        page.keyboard.press("Enter")
        you = page.get_by_test_id("stMetric").filter(has_text="You got right").get_by_test_id("stMetricValue")
        d = page.get_by_test_id("stMetric").filter(has_text="D got right").get_by_test_id("stMetricValue")
        expect(you).to_have_text(re.compile(r"^\d+ of 16$"), timeout=30_000)
        expect(page.get_by_role("button", name="Check")).to_be_disabled()
        page.screenshot(path=str(ARTIFACTS / "game_checked.png"))

        tiles = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"^(Real|Fake)\s+you [✓✗]"))
        expect(tiles).to_have_count(16)
        texts = tiles.all_inner_texts()  # "Real\nyou ✓": what it was, then whether the student got it right
        real = [text.startswith("Real") for text in texts]
        assert sum(real) == 8  # half real, half fake
        right = [(i in MARKED) != is_real for i, is_real in enumerate(real)]
        assert ["you ✓" in text for text in texts] == right
        expect(you).to_have_text(f"{sum(right)} of 16")
        expect(d).to_have_text("no D")  # a bundled generator comes without its D
        [logged] = [json.loads(line) for line in (runs / ".class" / "game.jsonl").read_text().splitlines()]
        assert (logged["student_right"], logged["d_right"], logged["total"]) == (sum(right), None, 16)
        assert logged["opponent"] == "MLP GAN"
        new_round = page.get_by_role("button", name="New round")
        for element in (you, d, tiles.last, new_round):  # the round and its score on the projector's one screen
            box = element.bounding_box()
            assert box is not None and box["y"] + box["height"] <= 720 and box["x"] + box["width"] <= 1280, box
        expect(page.locator(".js-plotly-plot")).to_have_count(1)  # the rounds so far, under the fold
        assert layout_problems(page) == []  # nothing cut or overlapping, the chart's text included
        new_round.focus()
        page.keyboard.press("Enter")  # the next round: new digits, every box unticked
        expect(page.get_by_role("checkbox", name="Fake?", exact=True)).to_have_count(16)
        expect(page.get_by_role("checkbox", checked=True)).to_have_count(0)
