"""AppTest of "Be the discriminator": a round against a bundled generator and one against the tab's live training,
each scored as marked for the student and for D, and the class's combined score on the teacher's Class page."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from arena.game_scores import GameLog, RoundResult
from gan.game import GameRound
from tests.conftest import button, poll, rerun
from tests.pages.conftest import open_page, status_text
from ui import keys
from ui.game import LIVE, Round

PAGE = "app_pages/game.py"
MARKED = (1, 4, 6, 11, 15)

pytestmark = pytest.mark.usefixtures("isolated_runs")


def shown(at: AppTest) -> Round:
    return at.session_state[keys.Game.ROUND]


def play(at: AppTest, marked=MARKED) -> GameRound:
    """Tick `marked` as fake and press Check; the round that was played."""
    played = shown(at)
    for i in marked:
        at.checkbox(key=keys.Game.mark(played.number, i)).check()
    rerun(at)
    button(at, "Check").click()
    rerun(at)
    return played.game


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def expected_right(game: GameRound, marked=MARKED) -> int:
    return sum((i in marked) != real for i, real in enumerate(game.real))


def _values(data) -> list[float]:
    """A trace's numbers, also where plotly 7 sent them as a typed array."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def log_lines(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "runs" / ".class" / "game.jsonl").read_text().splitlines()]


def test_a_round_against_a_bundled_generator_is_scored_as_marked_and_counts_for_the_class(tmp_path):
    at = open_page(PAGE)
    assert at.segmented_control(key=keys.Game.OPPONENT).options == ["MLP GAN", "DCGAN", "CGAN"]  # no run: no live D
    assert [c.label for c in at.checkbox] == ["Fake?"] * 16
    assert "without its discriminator" in at.markdown[0].value  # no D to beat: the question is the student's alone
    assert len(at.image) == 16 and not at.checkbox[0].value
    game = play(at)
    assert sum(game.real) == 8 and game.d_real is None
    assert metric(at, "You got right") == f"{expected_right(game)} of 16"
    assert metric(at, "D got right") == "no D"
    tiles = [m.value for m in at.markdown if "you " in m.value and m.value.startswith(":")]
    assert len(tiles) == 16 and not at.checkbox  # the verdicts in place of the tick boxes
    assert [t.startswith(":green[**Real**]") for t in tiles] == list(game.real)
    assert [t.endswith("you ✓") for t in tiles] == [(i in MARKED) != real for i, real in enumerate(game.real)]
    [logged] = log_lines(tmp_path)
    assert (logged["opponent"], logged["student_right"], logged["d_right"]) == ("MLP GAN", expected_right(game), None)
    assert at.get("plotly_chart")  # this tab's rounds, one point so far
    assert at.button(key=keys.Game.CHECK).disabled  # a round counts once
    button(at, "New round").click()
    rerun(at)
    assert shown(at).number == 2 and len(at.checkbox) == 16 and not any(c.value for c in at.checkbox)
    at.segmented_control(key=keys.Game.OPPONENT).set_value("CGAN")
    rerun(at)
    assert (shown(at).opponent, shown(at).number) == ("CGAN", 3)  # a new opponent deals a new round at once


def test_a_round_against_the_live_training_shows_ds_score_on_the_same_images(tmp_path):
    at = open_page("app_pages/train.py", preset="mlp", iterations="100000", g_width="32", d_width="64")
    button(at, "Start").click()
    rerun(at)
    poll(at, lambda at: "Training" in status_text(at))
    at.switch_page(PAGE)
    rerun(at)
    assert at.segmented_control(key=keys.Game.OPPONENT).value == LIVE  # the tab's run is the first opponent
    assert shown(at).opponent == LIVE and shown(at).game.iteration > 0
    game = play(at)
    assert game.d_real is not None and game.d_says_real is not None
    d_right = sum(says == real for says, real in zip(game.d_says_real, game.real))
    assert metric(at, "You got right") == f"{expected_right(game)} of 16"
    assert metric(at, "D got right") == f"{d_right} of 16"
    tiles = [m.value for m in at.markdown if "you " in m.value and m.value.startswith(":")]
    assert [t.endswith("D ✓") for t in tiles] == [says == real for says, real in zip(game.d_says_real, game.real)]
    [logged] = log_lines(tmp_path)
    assert (logged["opponent"], logged["iteration"], logged["d_right"]) == ("live run", game.iteration, d_right)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)  # both players over G's iteration
    assert [trace["name"] for trace in chart["data"]] == ["You", "D"]
    assert chart["layout"]["xaxis"]["title"]["text"] == "G's iteration"
    assert _values(chart["data"][1]["y"]) == [100 * d_right / 16] and _values(chart["data"][1]["x"]) == [game.iteration]
    button(at, "New round").click()
    rerun(at)
    assert shown(at).number == 2 and shown(at).game.seed != game.seed and shown(at).opponent == LIVE
    at.switch_page("app_pages/train.py")
    rerun(at)
    button(at, "Stop").click()
    rerun(at)


def test_the_class_page_shows_the_class_against_d(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_ARENA_TEACHER_KEY", "sesame")
    log = GameLog(tmp_path / "runs")
    log.record(RoundResult("a" * 32, "Ada", "live run", 300, 16, 12, 10))
    log.record(RoundResult("b" * 32, None, "live run", 500, 16, 10, 12))
    log.record(RoundResult("b" * 32, None, "MLP GAN", 15_000, 16, 8, None))
    at = open_page("app_pages/classroom.py", state={keys.Class.TEACHER: True})
    assert "Be the discriminator" in [tab.label for tab in at.tabs]
    assert metric(at, "The class got right") == "69%"  # 22 of the 32 images D judged too
    assert metric(at, "D got right") == "69%"  # 22 of the same 32
    assert metric(at, "Images judged by the class") == "48"
    assert any("With the bundled generators' rounds too: 62% right on 48 images" in m.value for m in at.markdown)
    players = at.dataframe[-1].value
    assert list(players["Player"]) == ["Ada", "Guest BBBB"] and list(players["Rounds"]) == [1, 2]
    assert list(players["Right, all rounds"]) == ["75%", "56%"]
    assert list(players["D on the same images"]) == ["62%", "75%"]
    button(at, "Start the count afresh").click()
    rerun(at)
    assert not log.results() and any("No rounds played yet" in c.value for c in at.caption)
