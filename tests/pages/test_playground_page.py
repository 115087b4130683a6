"""AppTest tests of the 2-D playground: what a teacher and a class do with it."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import button, poll, shown
from tests.pages.conftest import (APP, TIMEOUT, iteration, open_page, paused_with_steps_enabled,
                                  status_text)
from ui import keys

PAGE = "app_pages/playground.py"

pytestmark = pytest.mark.usefixtures("isolated_runs")


def open_playground(preset: str | None = None, **fields) -> AppTest:
    at = open_page(PAGE)
    if preset is not None:
        at.selectbox(key=keys.Playground.PRESET).set_value(preset).run()
    for name, value in fields.items():
        at.session_state[keys.Playground.field(name)] = value
    if fields:
        at.run()
    return at


def plane(at: AppTest) -> dict:
    """The plane figure's spec (the first chart on the page)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name") == name)


def values(array) -> np.ndarray:
    """A trace's x, y or z: plotly 7 sends numpy arrays base64-encoded."""
    if isinstance(array, dict):
        data = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
        shape = [int(n) for n in str(array.get("shape", len(data))).split(",")]  # e.g. "48, 48"
        return data.reshape(shape)
    return np.asarray(array, dtype=np.float64)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_page_shows_the_untrained_game_on_the_ring():
    at = open_playground()
    assert at.selectbox(key=keys.Playground.PRESET).value == "ring"
    spec = plane(at)
    names = {t.get("name") for t in spec["data"]}
    assert {"D(x)", "G manifold", "real", "fake G(z)", "G's push", "empty mode"} <= names
    assert metric(at, "Modes covered").endswith("/ 8")
    assert not at.error


def test_a_lesson_preset_fills_the_form():
    at = open_playground("mode-collapse")
    assert at.number_input(key=keys.Playground.field("lr_g")).value == pytest.approx(2e-3)
    assert at.number_input(key=keys.Playground.field("lr_d")).value == pytest.approx(5e-5)
    at.selectbox(key=keys.Playground.PRESET).set_value("saturating").run()
    assert at.selectbox(key=keys.Playground.field("g_loss")).value == "minimax"
    assert at.selectbox(key=keys.Playground.field("optimizer")).value == "sgd"


def test_start_trains_live_the_picture_moves_then_stop_ends_the_thread():
    at = open_playground(iterations=10**6)
    fake_before = values(trace(plane(at), "fake G(z)")["x"])
    button(at, "Start").click().run()
    poll(at, lambda at: iteration(at) >= 100 and "Iteration 0" not in plane(at)["layout"]["title"]["text"])
    assert "Training" in status_text(at) or "Paused" in status_text(at)
    assert not np.array_equal(values(trace(plane(at), "fake G(z)")["x"]), fake_before)
    losses = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert len(losses["data"]) == 2  # D and G loss curves
    button(at, "Stop").click().run()
    poll(at, lambda at: "Stopped" in status_text(at))
    assert button(at, "Start")  # the page was redrawn once the run ended


def test_pause_then_step_d_only_g_only_and_both():
    at = open_playground(iterations=10**6)
    button(at, "Start").click().run()
    poll(at, lambda at: iteration(at) >= 20)
    button(at, "Pause").click().run()
    poll(at, paused_with_steps_enabled)
    before = iteration(at)
    heat, fake = values(trace(plane(at), "D(x)")["z"]), values(trace(plane(at), "fake G(z)")["x"])

    button(at, "D step").click().run()
    poll(at, lambda at: not np.array_equal(values(trace(plane(at), "D(x)")["z"]), heat))
    assert np.array_equal(values(trace(plane(at), "fake G(z)")["x"]), fake)  # a D step moves D's map only
    button(at, "G step").click().run()
    poll(at, lambda at: not np.array_equal(values(trace(plane(at), "fake G(z)")["x"]), fake))
    assert iteration(at) == before  # half-moves are not iterations
    button(at, "Step").click().run()
    poll(at, lambda at: iteration(at) == before + 1)
    button(at, "Stop").click().run()


def test_a_live_learning_rate_change_is_marked_on_the_curves():
    at = open_playground(iterations=10**6)
    button(at, "Start").click().run()
    poll(at, lambda at: iteration(at) >= 20)
    at.number_input(key=keys.live("playground", "lr_d")).set_value(5e-4).run()
    poll(at, lambda at: "lr_d" in json.dumps(json.loads(at.get("plotly_chart")[1].proto.spec)["layout"]))
    button(at, "Stop").click().run()


def test_a_drawn_dataset_is_what_the_game_is_played_on():
    at = open_playground(dataset="custom")
    at.session_state[keys.Playground.DRAWN] = []
    at.run()
    assert any("points must hold" in e.value for e in at.error)  # nothing drawn yet: cannot start
    button(at, "Start").click().run()
    assert status_text(at) == ""  # no run started (each test starts from an empty session slot)

    drawn = [(-2.0, 2.0), (-1.8, 2.0), (2.0, -2.0)]
    at.session_state[keys.Playground.DRAWN] = drawn
    at.run()
    assert not at.error
    assert metric(at, "Points") == "3"
    canvas = json.loads(at.get("plotly_chart")[0].proto.spec)  # the drawing canvas comes first
    assert len(values(canvas["data"][1]["x"])) == 3
    button(at, "Start").click().run()
    poll(at, lambda at: iteration(at) >= 10)
    real = np.stack([values(trace(plane_after_canvas(at), "real")[k]) for k in ("x", "y")], axis=1)
    distances = np.linalg.norm(real[:, None] - np.array(drawn)[None], axis=-1).min(axis=1)
    assert distances.max() < 0.6  # every real point is a drawn point plus a little noise
    button(at, "Stop").click().run()


def plane_after_canvas(at: AppTest) -> dict:
    return next(spec for spec in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
                if any(t.get("name") == "real" for t in spec["data"]))


def test_layers_can_be_hidden():
    at = open_playground()
    at.session_state[keys.Playground.LAYERS] = ["real points", "fake points"]
    at.run()
    names = {t.get("name") for t in plane(at)["data"]}
    assert names == {"real", "fake G(z)"}


def test_the_dirac_gan_section_shows_r1_closing_the_spiral_and_shares_its_settings():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params[keys.Playground.dirac("r1")] = "1.0"
    at.query_params[keys.Playground.dirac("updates")] = "sideways"
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    assert any("updates" in shown(w.value) for w in at.warning)  # the bad part of the link is named and ignored
    assert at.slider(key=keys.Playground.dirac("r1")).value == pytest.approx(1.0)
    distance = next(m for m in at.metric if "equilibrium" in m.label)
    assert float(distance.value) < 0.01 and distance.delta.startswith("-")  # closer than the plain game
    names = {t.get("name") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]}
    assert {"update field", "without R1", "equilibrium (0, 0)"} <= names
    assert any(f"{keys.Playground.dirac('r1')}=1.0" in c.value for c in at.code)
    at.slider(key=keys.Playground.dirac("r1")).set_value(0.0).run()
    distance = next(m for m in at.metric if "equilibrium" in m.label)
    assert float(distance.value) > 0.3  # without R1 the players circle


def test_a_link_opens_the_playgrounds_projector_view():
    from tests.pages.conftest import open_page

    at = open_page("app_pages/playground.py", view="projector")
    assert at.toggle(key=keys.Playground.PROJECTOR).value is True and not at.title and not at.warning
    at.toggle(key=keys.Playground.PROJECTOR).set_value(False).run()
    assert at.title and "view" not in at.query_params
