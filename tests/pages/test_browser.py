"""The real thing: `streamlit run app.py` in a subprocess, driven by the system Chromium through Playwright.

Saves screenshots to test-artifacts/.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import deque

import pytest
from playwright.sync_api import expect

from benchmarks.layout_check import layout_problems
from benchmarks.live_app import ROOT, descendants, served_app, serving

ARTIFACTS = ROOT / "test-artifacts"
PAGES = {"Home": "GAN Arena", "Train": "Train", "Latent Explorer": "Latent Explorer", "Compare": "Compare",
         "2-D Playground": "2-D Playground", "Be the discriminator": "Be the discriminator",
         "Class": "Class"}  # sidebar entry -> the page's heading
# The first paint's target (1 s) lives in `python -m benchmarks.first_paint`; this deadline only has to hold on a
# busy CI machine and to fail the old app, which stayed blank for 12-14 s while PyTorch imported.
HOME_DEADLINE_S = 8.0


@pytest.fixture
def runs_env(tmp_path):
    return {"GAN_ARENA_RUNS_DIR": str(tmp_path / "runs"), "OMP_NUM_THREADS": "1"}


def test_a_fresh_server_draws_home_at_once_and_every_page_opens_from_the_sidebar(browser, runs_env):
    ARTIFACTS.mkdir(exist_ok=True)
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        started = time.monotonic()
        page.goto(url + "/", wait_until="commit")
        heading = page.get_by_role("heading", name="GAN Arena")
        heading.wait_for(timeout=60_000)
        painted = time.monotonic() - started
        assert painted < HOME_DEADLINE_S, f"Home's heading took {painted:.1f} s on a fresh server"
        nav = page.get_by_test_id("stSidebarNav")
        # titles only, never file names (each link's text starts with its icon's ligature name, e.g. "homeHome")
        expect(nav.get_by_role("link")).to_have_text([re.compile(f"{re.escape(entry)}$") for entry in PAGES])
        page.screenshot(path=str(ARTIFACTS / "home.png"))
        for entry, title in PAGES.items():
            nav.get_by_role("link", name=entry, exact=True).click()
            expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stException")).to_have_count(0)
        # once warm, the sidebar names the device instead of "Starting the training engine"
        expect(page.get_by_test_id("stSidebar").get_by_text("Trainings on this server")).to_be_visible(timeout=60_000)


# Issue 26: the Latent Explorer's first digit within 2 s of opening it on a fresh server (it waited 6-14 s for the
# training engine). Measured on a 2-core machine already running other work: 1.7-2.4 s, most of it Chromium loading
# Streamlit's front end (a one-line Streamlit app's first paint: 1.1-1.5 s there). The deadline adds a margin for a
# busy CI machine and still fails the old page.
EXPLORER_TARGET_S = 2.0
EXPLORER_DEADLINE_S = 2 * EXPLORER_TARGET_S
LOADED_JS = "img => img.complete && img.naturalWidth > 0"


def test_a_fresh_server_shows_the_explorers_first_digit_at_once_and_the_live_view_takes_its_place(browser, runs_env):
    ARTIFACTS.mkdir(exist_ok=True)
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        started = time.monotonic()
        page.goto(url + "/explorer", wait_until="commit")
        digit = page.get_by_test_id("stImage").filter(has_text=re.compile(r"^G\(z\) at t = ")).locator("img")
        digit.wait_for(timeout=60_000)
        page.wait_for_function(LOADED_JS, arg=digit.element_handle(), timeout=60_000)
        shown = time.monotonic() - started
        print(f"the Explorer's first digit on a fresh server: {shown:.2f} s after the request")
        # Drawn before the page's own PyTorch import is done, and long before the training engine's warm-up
        loading = page.get_by_text("Loading the generator (PyTorch)")
        warming = page.get_by_test_id("stSidebar").get_by_text("Starting the training engine")
        assert loading.is_visible() and warming.is_visible(), "the first digit waited for PyTorch"
        page.screenshot(path=str(ARTIFACTS / "explorer_first_paint.png"))
        preview = digit.get_attribute("src")
        assert shown < EXPLORER_DEADLINE_S, f"the first digit took {shown:.1f} s on a fresh server"

        trainer = browser.new_page(viewport={"width": 1280, "height": 720})  # a page that trains still waits
        trainer.goto(url + "/train")
        expect(trainer.get_by_text("Starting the training engine (PyTorch, the models")).to_be_visible(
            timeout=30_000)

        expect(page.get_by_text(re.compile(r"^Nearest training digit \(a \d\)"))).to_be_visible(timeout=120_000)
        expect(page.get_by_test_id("stMetricValue").first).to_have_text(re.compile(r"^\d$"))
        expect(loading).to_have_count(0)
        expect(page.get_by_label("Pretrained generator")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "explorer_live.png"))
        # The live picture in the preview's place: the same bytes (so the same URL), and on the first screen
        assert digit.get_attribute("src") == preview
        box = digit.bounding_box()
        assert box and box["y"] + box["height"] <= 720, box
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(trainer.get_by_role("button", name="Start")).to_be_visible(timeout=120_000)
        expect(trainer.get_by_test_id("stException")).to_have_count(0)


def test_start_on_the_train_page_shows_live_curves_and_samples(browser, runs_env):
    ARTIFACTS.mkdir(exist_ok=True)
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1600, "height": 1400})
        # A small MLP so that the CI machine trains it quickly; the deep link also exercises shareable set-ups.
        page.goto(f"{url}/train?preset=mlp&iterations=400&g_width=64&d_width=128&sample_every=25")
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


# A run that outlasts the test: the deep link keeps it small enough for a slow CI machine.
LONG_RUN = "/train?preset=mlp&iterations=1000000&g_width=64&d_width=128&sample_every=200"
TRAINING_OR_QUEUED = re.compile(r"Training|in line")


def test_a_classroom_presses_start_at_once_and_closing_the_tabs_frees_every_slot(browser, runs_env):
    students, slots = 6, 1  # the line's order and the freeing show with six (the bench runs ten)
    with served_app(env={**runs_env, "GAN_ARENA_MAX_TRAININGS": str(slots)}) as url:
        tabs = [browser.new_context(viewport={"width": 1280, "height": 720}) for _ in range(students)]
        pages = [tab.new_page() for tab in tabs]
        for page in pages:
            page.goto(url + LONG_RUN)
        for page in pages:
            expect(page.get_by_role("button", name="Start")).to_be_enabled(timeout=120_000)
        for page in pages:
            page.get_by_role("button", name="Start").click()
        for page in pages:  # every page renders, and says whether it trains or where it stands in line
            expect(page.get_by_test_id("stProgress").first).to_contain_text(TRAINING_OR_QUEUED, timeout=120_000)
            expect(page.get_by_test_id("stException")).to_have_count(0)
        texts = [page.get_by_test_id("stProgress").first.inner_text() for page in pages]
        assert sum("in line" in text for text in texts) >= students - slots, texts
        places = sorted(int(m.group(1)) for t in texts if (m := re.search(r"number (\d+) in line", t)))
        assert places == list(range(1, len(places) + 1)), texts  # one line, first come first served
        pages[0].screenshot(path=str(ARTIFACTS / "classroom_first_tab.png"))
        pages[-1].screenshot(path=str(ARTIFACTS / "classroom_last_tab.png"))
        for tab in tabs:
            tab.close()
        closed = time.monotonic()
        watcher = browser.new_page()
        sidebar = watcher.get_by_test_id("stSidebar")
        while True:  # reload until the sidebar says every slot is free again
            watcher.goto(url + "/")
            expect(sidebar.get_by_text("Trainings on this server")).to_be_visible(timeout=60_000)
            if f"0 running of {slots}" in sidebar.inner_text() and "waiting" not in sidebar.inner_text():
                break
            assert time.monotonic() - closed < 30, sidebar.inner_text()
        freed = time.monotonic() - closed
        # The target is 5 s (measured and reported by the bench); the margin is for a loaded CI machine.
        assert freed < 15, f"slots freed {freed:.1f} s after the tabs closed"


def test_a_killed_worker_is_reported_on_its_page_while_another_student_trains_on(browser, runs_env):
    with serving(env={**runs_env, "GAN_ARENA_MAX_TRAININGS": "2"}) as (url, server):
        survivor, victim = (browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
                            for _ in range(2))
        for page in (survivor, victim):
            page.goto(url + LONG_RUN)
            page.get_by_role("button", name="Start").click()
            expect(page.get_by_test_id("stProgress").first).to_contain_text("Training", timeout=120_000)
        os.kill(descendants(server.pid)[-1], signal.SIGKILL)  # the newest worker: the victim's
        expect(victim.get_by_text("SIGKILL")).to_be_visible(timeout=60_000)
        expect(victim.get_by_test_id("stProgress").first).to_contain_text("Failed")
        victim.screenshot(path=str(ARTIFACTS / "killed_worker.png"))
        progress = survivor.get_by_test_id("stProgress").first
        before = progress.inner_text()
        expect(progress).not_to_have_text(before, timeout=30_000)  # still training
        expect(progress).to_contain_text("Training")
        expect(survivor.get_by_test_id("stException")).to_have_count(0)


def test_the_explorer_keeps_its_walk_in_the_address_bar_and_a_copied_link_opens_it(browser, runs_env):
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/explorer")
        page.get_by_label("Pretrained generator").wait_for(timeout=60_000)
        page.get_by_label("Pretrained generator").click()
        page.get_by_role("option", name=re.compile("DCGAN")).click()
        seed_b = page.get_by_label("B: seed")
        seed_b.wait_for(timeout=60_000)
        seed_b.fill("42")
        seed_b.press("Enter")
        expect(page.get_by_text("The walk from A (seed 1) to B (seed 42)")).to_be_visible(timeout=30_000)
        page.wait_for_url(re.compile(r"explorer\.seed_b=42"), timeout=10_000)
        link = page.url

        student = browser.new_page(viewport={"width": 1280, "height": 720})
        student.goto(link)
        expect(student.get_by_text("The walk from A (seed 1) to B (seed 42)")).to_be_visible(timeout=60_000)
        expect(student.get_by_label("B: seed")).to_have_value("42")
        expect(student.get_by_text(re.compile(r"DCGAN, latent"))).to_be_visible()
        # the walk's parameters belong to the Explorer: another page opens clean, without a complaint about them
        student.get_by_test_id("stSidebarNav").get_by_role("link", name="Train", exact=True).click()
        expect(student.get_by_role("heading", name="Train", exact=True)).to_be_visible(timeout=60_000)
        expect(student.get_by_text("Parts of this link were ignored")).to_have_count(0)
        assert "explorer." not in student.url


FAST_SNAPSHOTS = "/train?preset=mlp&iterations=1000000&sample_every=50"
GRID_CAPTION = re.compile(r"Fixed noise, iteration ([\d,]+)")
FOLLOWING = re.compile(r"— following the run")  # not the "— not following the run" of a held timeline


class SlowLink:
    """The app's websocket with the server's messages to the page held back `delay_s` (a classroom's Wi-Fi).

    The page's run_every timers (every 1 and 2 s) then send the widget values the browser holds while newer ones
    from the server are still on their way. `wait` pumps the held messages: every wait of a test over the link
    goes through it, never through Playwright's own waits, which would stall the page's side of the link.
    """

    def __init__(self, page, delay_s: float):
        self.page, self.delay_s, self.held = page, delay_s, deque()
        if delay_s:
            page.route_web_socket(re.compile(r"/_stcore/stream"), self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()
        ws.on_message(server.send)  # the page's messages go at once
        server.on_message(lambda message: self.held.append((time.monotonic(), ws, message)))

    def _pump(self) -> None:
        while self.held and time.monotonic() - self.held[0][0] >= self.delay_s:
            _, ws, message = self.held.popleft()
            ws.send(message)

    def wait(self, seconds: float, until=None, what: str = "") -> None:
        """Wait `seconds`, or until `until()` holds (AssertionError naming `what` if it does not in time)."""
        deadline = time.monotonic() + seconds
        while not (until and until()):
            if time.monotonic() > deadline:
                assert until is None, f"{what} not within {seconds:.0f} s"
                return
            self._pump()
            self.page.wait_for_timeout(50)


def _grid_iteration(page) -> int | None:
    caption = page.get_by_text(GRID_CAPTION)
    if caption.count() == 0:
        return None
    match = GRID_CAPTION.search(caption.first.inner_text())
    return int(match.group(1).replace(",", "")) if match else None


# Over a slow link the old page took the values it had written itself, echoed back by the browser's timers before
# they had arrived, for the user's: the grid snapped back to following right after the timeline was moved, and so on.
# Only over the slow link: a local one goes through the same states, with less time for a stale echo (its own run cost
# the suite 46 s of a CI budget of 20 minutes).
SLOW_LINK_S = 1.5


def test_the_sample_grid_follows_the_run_until_the_timeline_is_moved(browser, runs_env):
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        link = SlowLink(page, SLOW_LINK_S)
        page.goto(url + FAST_SNAPSHOTS)
        start = page.get_by_role("button", name="Start")
        link.wait(120, until=lambda: start.count() and start.is_enabled(), what="the Start button")
        start.click()
        link.wait(120, until=lambda: _grid_iteration(page) is not None, what="the sample grid")
        follow = page.get_by_role("switch", name="Follow live", exact=True)
        following = page.get_by_text(FOLLOWING)
        seen: list[int] = []
        deadline = time.monotonic() + 120
        while len(set(seen)) < 5:  # five new snapshots: five new ends of the timeline
            assert time.monotonic() < deadline, seen
            iteration = _grid_iteration(page)
            if iteration is not None:
                seen.append(iteration)
            link.wait(0.25)
        assert seen == sorted(seen), f"the grid went back on its own: {seen}"
        assert follow.is_checked() and following.count() == 1

        page.get_by_role("slider", name="Timeline").focus()
        page.keyboard.press("Home")  # a person drags the timeline back to the start
        link.wait(10, until=lambda: _grid_iteration(page) == 0 and following.count() == 0 and not follow.is_checked(),
                  what="the held grid")  # a rerun draws the grid, then the timeline and the switch
        held = []
        for _ in range(16):  # 4 s of new snapshots (one every ~0.5 s): the grid stays where the user put it
            link.wait(0.25)
            held.append((_grid_iteration(page), following.count(), follow.is_checked()))
        held = [shown for shown in held if shown[0] is not None]  # None: between two draws of a rerun
        assert set(held) == {(0, 0, False)}, f"the grid left the user's snapshot: {held}"

        follow.click(force=True)  # its label takes the click
        link.wait(15, until=lambda: following.count() == 1 and (_grid_iteration(page) or 0) > seen[-1],
                  what="the grid back at the newest snapshot")
        went = []
        for _ in range(16):  # and it keeps following
            link.wait(0.25)
            went.append((_grid_iteration(page), following.count()))
        went = [shown for shown in went if shown[0] is not None]
        assert went and all(count == 1 for _, count in went) and went == sorted(went), f"it stopped following: {went}"
        assert follow.is_checked()


# The buttons must follow the run's state at once, not after a second click or 20 s (both happened): the bound leaves
# room for a full-page rerun of a live page with one core kept busy (up to ~3 s measured), not for a lost click.
OBEYED_MS = 10_000


def test_pause_turns_into_resume_and_the_steps_show_what_moved(browser, runs_env):
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + LONG_RUN)
        page.get_by_role("button", name="Start").click()
        for _ in range(2):  # it used to take a second click, or 20 s
            page.get_by_role("button", name="Pause").click(timeout=120_000)
            expect(page.get_by_role("button", name="Resume")).to_be_visible(timeout=OBEYED_MS)
            expect(page.get_by_role("button", name="D step")).to_be_enabled(timeout=OBEYED_MS)
            page.get_by_role("button", name="Resume").click()
            expect(page.get_by_role("button", name="Pause")).to_be_visible(timeout=OBEYED_MS)
            # Enabled while running too (a Step pauses first): switching it on as Pause redrew lost clicks.
            expect(page.get_by_role("button", name="D step")).to_be_enabled(timeout=OBEYED_MS)
        page.get_by_role("button", name="Pause").click()
        expect(page.get_by_role("button", name="D step")).to_be_enabled(timeout=OBEYED_MS)
        page.get_by_role("button", name="D step").click()
        expect(page.get_by_text(re.compile(r"D step at iteration [\d,]+, on one batch: D's loss"))).to_be_visible(
            timeout=5_000)
        page.get_by_role("button", name="G step").click()
        expect(page.get_by_text(re.compile(r"G step at iteration [\d,]+, on one batch: G's loss"))).to_be_visible(
            timeout=5_000)
        expect(page.get_by_text(re.compile(r"Fixed noise, iteration [\d,]+, after a G step"))).to_be_visible(
            timeout=5_000)
        page.screenshot(path=str(ARTIFACTS / "train_paused_after_steps.png"))


def test_a_garbage_upload_says_it_is_not_a_checkpoint_and_never_suggests_unsafe_loading(browser, runs_env, tmp_path):
    garbage = tmp_path / "holiday-photos.pt"
    garbage.write_bytes(b"these bytes are no checkpoint" * 100)
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/explorer")
        page.get_by_role("radio", name="Upload").or_(page.get_by_role("button", name="Upload")).first.click(
            timeout=60_000)
        page.locator("input[type=file]").set_input_files(str(garbage))
        error = page.get_by_test_id("stAlertContentError")
        expect(error).to_contain_text("holiday-photos.pt is not a readable GAN Arena checkpoint", timeout=30_000)
        expect(error).to_contain_text("Expected: a checkpoint.pt")
        assert "weights_only" not in error.inner_text()


def test_the_share_link_holds_every_change_at_once_in_the_address_bar_and_a_box_to_copy(browser, runs_env):
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/train")
        page.get_by_text("Share this set-up").click(timeout=60_000)
        page.get_by_role("tab", name="Optimisation").click()
        lr_d = page.get_by_label("lr d", exact=True)
        for value in ("0.0005", "0.0007", "0.0009"):  # each change shows at once, never one change behind
            lr_d.fill(value)
            lr_d.press("Enter")
            page.wait_for_url(re.compile(rf"lr_d={re.escape(value)}(&|$)"), timeout=10_000)
            expect(page.get_by_test_id("stCode")).to_contain_text(f"lr_d={value}", timeout=10_000)
        link = page.get_by_test_id("stCode").inner_text().strip()
        assert link.startswith(url + "/train?preset=")
        student = browser.new_page(viewport={"width": 1280, "height": 720})
        student.goto(link)
        student.get_by_role("tab", name="Optimisation").click(timeout=60_000)
        expect(student.get_by_label("lr d", exact=True)).to_have_value(re.compile(r"^9\.0e-0?4$"), timeout=60_000)


CHARTS_DRAWN_JS = """charts => {
  const drawn = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return drawn.length >= charts && drawn.every(chart => chart.querySelector('.main-svg')
                                                       && chart.getBoundingClientRect().height > 0);
}"""


def _projector_problems(page, name: str, charts: int) -> list[str]:
    """What a person would see wrong at 1280x720 (benchmarks/layout_check.py): labels and widget values cut short,
    chart text cut at the chart's edge or drawn over other text, legends on titles; each named with its page.

    Checked once the page shows at least `charts` charts, each drawn (a live page redraws them every poll)."""
    page.wait_for_function(CHARTS_DRAWN_JS, arg=charts, timeout=60_000)
    page.mouse.move(1270, 715)  # no tooltip or hover label over the page
    page.screenshot(path=str(ARTIFACTS / f"projector_{name}.png"))
    return [f"{name}: {problem}" for problem in layout_problems(page)]


def test_every_page_fits_a_1280x720_projector_with_nothing_cut_or_overlapping(browser, runs_env):
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []  # every page's, then one assertion: a run names every defect at once
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + LONG_RUN)
        page.get_by_role("button", name="Start").click(timeout=120_000)
        page.get_by_role("button", name="Pause").click(timeout=120_000)
        expect(page.get_by_role("button", name="D step")).to_be_enabled(timeout=5_000)
        expect(page.get_by_text(GRID_CAPTION)).to_be_visible(timeout=60_000)
        problems += _projector_problems(page, "train", charts=2)

        page.goto(url + "/explorer")
        # the live view, not the bundled preview drawn before it (which shows "G(z) at t = …" too)
        expect(page.get_by_text(re.compile(r"^Nearest training digit"))).to_be_visible(timeout=60_000)
        problems += _projector_problems(page, "explorer", charts=0)

        page.goto(url + "/compare")
        page.get_by_role("button", name="Start race").click(timeout=60_000)
        expect(page.get_by_test_id("stProgress").first).to_contain_text("Racing", timeout=120_000)
        problems += _projector_problems(page, "compare", charts=1)

        page.goto(url + "/playground")
        page.get_by_role("button", name="Start").wait_for(timeout=60_000)
        problems += _projector_problems(page, "playground_setup", charts=1)  # its set-up shows more than a running game
        page.get_by_role("button", name="Start").click(timeout=60_000)
        expect(page.get_by_test_id("stProgress").first).to_contain_text("Training", timeout=120_000)
        problems += _projector_problems(page, "playground", charts=2)
    assert not problems, "seen at 1280x720:\n" + "\n".join(problems)


def _minutes(text: str) -> float:
    minutes = re.search(r"(\d+) min", text)
    seconds = re.search(r"(\d+) s\b", text)
    return (int(minutes.group(1)) if minutes else 0) + (int(seconds.group(1)) / 60 if seconds else 0)


def test_the_default_runs_fit_a_lesson_and_their_time_to_go_comes_from_the_measured_speed(browser, runs_env):
    with served_app(env=runs_env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/train")  # the seed preset, untouched
        page.get_by_role("button", name="Start").click(timeout=120_000)
        status = page.get_by_test_id("stProgress").first
        expect(status).to_contain_text("ETA", timeout=120_000)
        eta = re.search(r"ETA ([^·]+)", status.inner_text()).group(1)
        assert _minutes(eta) <= 4.1, f"the seed preset promises {eta}"  # it used to say 25 to 58 min

        page.goto(url + "/compare")  # the default race
        page.get_by_role("button", name="Start race").click(timeout=60_000)
        expect(page.get_by_test_id("stProgress").first).to_contain_text("90 s of training each", timeout=120_000)
        expect(page.get_by_test_id("stProgress").first).to_contain_text("to go", timeout=120_000)
        to_go = re.search(r"about ([^·]+) to go", page.get_by_test_id("stProgress").first.inner_text()).group(1)
        # 2 x 90 s of training plus scoring; the pace of the first seconds (building four nets, the first scores)
        # makes the estimate pessimistic on a loaded machine: 5 min with one core kept busy. A bound, not a target.
        assert _minutes(to_go) <= 8, f"the default race promises {to_go} more"
