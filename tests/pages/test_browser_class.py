"""The class in real browsers (issue 27): the teacher's Class page behind its key, a link pushed to every student,
runs private to their student unless shared, and a challenge ranked. One server for the module; each student is a
browser context of their own (their own cookie), as on thirty machines.

The runs are laid out as a server keeps them across a restart: run folders with their owner, summary and thumbnail,
and the class's board (arena.classroom) in runs/.class.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from arena.classroom import Board, Challenge, RunOwner, student_id, write_owner
from benchmarks.live_app import ROOT, served_app
from ui.identity import COOKIE

ARTIFACTS = ROOT / "test-artifacts"
KEY = "correct horse battery staple"
ADA, BOB = "a1" * 16, "b2" * 16  # the private tokens in the students' cookies
PUSH_WAIT_MS = 30_000  # a pushed link shows within ui.class_banner.BOARD_POLL_S (3 s); the rest is a busy machine


def _saved(runs, name, token, nickname, fid, **owner):
    folder = runs / name
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "assets" / "pretrained" / "mlp.pt", folder / "checkpoint.pt")
    shutil.copy(ROOT / "assets" / "pretrained" / "mlp.preview.png", folder / "thumbnail.png")
    write_owner(folder, RunOwner(student_id(token), nickname, **owner))
    (folder / "summary.json").write_text(json.dumps({"status": "finished", "iteration": 1500,
                                                     "quality": {"fid": fid, "kid": 1.0}}))


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    runs = tmp_path_factory.mktemp("class") / "runs"
    _saved(runs, "ada-private", ADA, "Ada", 44.0)
    _saved(runs, "bob-shared", BOB, "Bob", 50.0, shared=True)
    _saved(runs, "ada-entry", ADA, "Ada", 30.0, challenge="c1", preset="fast")
    _saved(runs, "bob-entry", BOB, "Bob", 18.0, challenge="c1", preset="fast")
    Board(runs).set_challenge(Challenge("fast", 1500, ("lr_g",), "Fastest digits", params={"preset": "fast"},
                                        id="c1"))
    env = {"GAN_ARENA_RUNS_DIR": str(runs), "GAN_ARENA_TEACHER_KEY": KEY, "OMP_NUM_THREADS": "1"}
    with served_app(env=env) as url:
        yield url


def _student(browser, url, token):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_cookies([{"name": COOKIE, "value": token, "url": url}])
    return context.new_page()


def _teacher(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url + "/class")
    page.get_by_role("textbox", name="Teacher key").fill(KEY)
    page.get_by_role("button", name="Open the Class page").click()
    expect(page.get_by_text(re.compile(r"^\d+ runs? ·"))).to_be_visible(timeout=60_000)
    return page


def _picker_options(page, label: str) -> list[str]:
    box = page.get_by_role("combobox", name=re.compile(label))
    expect(box).to_be_visible(timeout=60_000)  # the Explorer draws its picker once PyTorch is loaded
    options = page.get_by_role("option")
    for _ in range(3):  # a click that lands while a busy page redraws can be lost: the student clicks again
        box.click()
        try:
            options.first.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    options.first.wait_for()
    texts = options.all_inner_texts()
    page.keyboard.press("Escape")
    return texts


def test_the_class_page_refuses_a_wrong_key_and_shows_every_run_with_the_right_one(browser, classroom):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(classroom + "/class")
    page.get_by_role("textbox", name="Teacher key").fill("guess")
    page.get_by_role("button", name="Open the Class page").click()
    expect(page.get_by_text("Wrong key.")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("The class's runs")).to_have_count(0)
    teacher = _teacher(browser, classroom)
    expect(teacher.get_by_text("4 runs ·")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    teacher.screenshot(path=str(ARTIFACTS / "class_page.png"))
    runs = _picker_options(teacher, "Run")
    assert sorted(option.split(" · ")[1] for option in runs) == ["ada-entry", "ada-private", "bob-entry",
                                                                  "bob-shared"]
    teacher.close()
    page.close()


def test_a_pushed_link_reaches_another_students_page_and_opens_with_one_click(browser, classroom):
    student = _student(browser, classroom, BOB)
    student.goto(classroom + "/explorer")
    expect(student.get_by_role("heading", name="Latent Explorer")).to_be_visible(timeout=60_000)
    teacher = _teacher(browser, classroom)
    teacher.get_by_role("tab", name="Hand out a link").click()
    teacher.get_by_role("textbox", name="Link to hand out").fill(classroom + "/train?preset=mode-collapse")
    teacher.get_by_role("textbox", name="Title the students see").fill("Watch the digits collapse")
    teacher.get_by_role("button", name="Push to every student").click()
    banner = student.locator(".st-key-class-lesson-banner")
    expect(banner.get_by_text("Watch the digits collapse")).to_be_visible(timeout=PUSH_WAIT_MS)
    student.screenshot(path=str(ARTIFACTS / "class_pushed_link.png"))
    banner.get_by_role("button", name="Open it").click()
    expect(student.get_by_role("heading", name="Train", exact=True)).to_be_visible(timeout=60_000)
    expect(student).to_have_url(re.compile(r"/train\?.*preset=mode-collapse"))
    expect(student.get_by_role("combobox", name=re.compile("Preset"))).to_have_value(re.compile("Mode collapse"))
    teacher.get_by_role("button", name="Take it down").click()
    expect(teacher.get_by_role("button", name="Take it down")).to_have_count(0)
    student.context.close()
    teacher.close()


def test_a_student_s_picker_lists_their_own_and_shared_runs_and_no_link_opens_another_s(browser, classroom):
    saved_runs = {"explorer.picker.source": "Saved run"}  # the picker's source is in the address bar
    bob = _student(browser, classroom, BOB)
    bob.goto(f"{classroom}/explorer?{urllib.parse.urlencode({**saved_runs, 'explorer.picker.run': 'ada-private'})}")
    seen = _picker_options(bob, "Saved run")
    assert sorted(option.split(" · ")[0] for option in seen) == ["bob-entry", "bob-shared"]
    expect(bob.get_by_text("ada-private")).to_have_count(0)
    bob.context.close()
    ada = _student(browser, classroom, ADA)
    ada.goto(f"{classroom}/explorer?{urllib.parse.urlencode(saved_runs)}")
    assert {option.split(" · ")[0] for option in _picker_options(ada, "Saved run")} == {
        "ada-private", "ada-entry", "bob-shared"}
    ada.context.close()


def test_a_challenge_ranks_two_runs_and_each_student_sees_their_place(browser, classroom):
    teacher = _teacher(browser, classroom)
    ranking = teacher.get_by_test_id("stTable")
    expect(ranking).to_contain_text("bob-entry", timeout=30_000)
    rows = [[cell.strip() for cell in row.locator("td, th").all_inner_texts()[:3]]
            for row in ranking.locator("tbody tr").all()]
    assert rows == [["1", "Bob", "bob-entry"], ["2", "Ada", "ada-entry"]]
    for token, place in ((BOB, "1 of 2"), (ADA, "2 of 2")):
        student = _student(browser, classroom, token)
        student.goto(classroom + "/")
        expect(student.locator(".st-key-class-challenge-banner")).to_contain_text(f"You are {place}",
                                                                                 timeout=PUSH_WAIT_MS)
