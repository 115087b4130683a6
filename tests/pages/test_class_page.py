"""The class in the app's own pages (AppTest): the Class page without a key, nicknames, and a Start that enters the
teacher's challenge (or says why it does not). The browser tests (test_browser_class.py) do the rest."""

from __future__ import annotations

import json

import pytest

from arena.classroom import Board, Challenge
from tests.conftest import button, wait_for
from tests.pages.conftest import isolated_runs, open_page  # noqa: F401 - a fixture
from ui import keys


def test_without_a_teacher_key_the_class_page_says_how_to_enable_it(monkeypatch):
    monkeypatch.delenv("GAN_ARENA_TEACHER_KEY", raising=False)
    at = open_page("app_pages/classroom.py")
    assert any("GAN_ARENA_TEACHER_KEY" in info.value for info in at.info)
    assert not at.main.text_input and not at.dataframe  # no key to try, no runs shown


def test_with_a_key_the_class_page_asks_for_it_and_a_wrong_one_shows_nothing(monkeypatch):
    monkeypatch.setenv("GAN_ARENA_TEACHER_KEY", "sesame")
    at = open_page("app_pages/classroom.py")
    at.text_input(key=keys.Class.KEY).input("open").run()
    button(at, "Open the Class page").click().run()
    assert [e.value for e in at.error] == ["Wrong key."] and not at.tabs
    at.text_input(key=keys.Class.KEY).input("sesame").run()
    button(at, "Open the Class page").click().run()
    assert not at.error and [tab.label for tab in at.tabs][0] == "The class's runs"


def _owners(runs) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(runs.glob("*/owner.json"))]


def test_a_start_that_keeps_the_challenge_s_rules_enters_it_under_the_student_s_nickname(isolated_runs, tmp_path):
    runs = tmp_path / "runs"
    Board(runs).set_challenge(Challenge("fast", 100_000, ("lr_g",), "Quick digits", id="c1"))
    at = open_page("app_pages/train.py", preset="fast", iterations="100000", seconds="")
    at.sidebar.text_input(key=keys.Class.NICKNAME).input("Ada").run()
    next(b for b in at.sidebar.button if b.label == "Save").click().run()
    at.number_input(key=keys.Train.field("lr_g")).set_value(4e-4).run()  # a knob the challenge allows
    button(at, "Start").click().run()
    wait_for(lambda: len(_owners(runs)) == 1, what="the run's folder and its owner")
    [owner] = _owners(runs)
    assert (owner["nickname"], owner["challenge"], owner["preset"]) == ("Ada", "c1", "fast")
    at.number_input(key=keys.Train.field("lr_d")).set_value(1e-4).run()  # a knob it does not
    button(at, "Restart").click().run()
    assert any("not in the challenge" in w.value and "lr_d" in w.value for w in at.warning)
    wait_for(lambda: any(o["challenge"] is None for o in _owners(runs)), what="the second run's folder")
    button(at, "Stop").click().run()


@pytest.mark.parametrize("nickname", ["<script>", "[me](http://e.x)"])
def test_a_nickname_that_cannot_be_one_is_refused_and_said_why(nickname):
    at = open_page("app_pages/home.py")
    at.sidebar.text_input(key=keys.Class.NICKNAME).input(nickname).run()
    next(b for b in at.sidebar.button if b.label == "Save").click().run()
    assert any("Not saved" in e.value for e in at.sidebar.error)
