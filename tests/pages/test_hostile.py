"""What a student could try on a shared server, through links, uploads and the Start button: each is refused in
one clear line, nothing is built that the server's limits forbid, and nothing from outside is rendered."""

from __future__ import annotations

import io
import re

import pytest
import torch
from streamlit.testing.v1 import AppTest

import gan.checkpoint
from gan.latent import bundled_generators
from tests.conftest import button, rerun, shown
from tests.pages.conftest import APP, TIMEOUT, open_page
from ui import keys

PHISH = "[Session expired - log in again](https://evil.example/login)"
TRACKER = "![t](http://127.0.0.1:9/track.png)"
pytestmark = pytest.mark.usefixtures("isolated_runs")


def messages(at: AppTest) -> list[str]:
    return [m.value for m in (*at.warning, *at.error, *at.info, *at.caption, *at.markdown)]


def outside_code(markdown: str, pattern: str) -> bool:
    """Whether `pattern` occurs outside the message's code spans (whose contents Markdown never parses)."""
    return re.search(pattern, re.sub(r"(`+).*?\1", "", markdown)) is not None


def test_link_values_are_shown_as_text_never_rendered():
    at = open_page("app_pages/train.py", lr_d=PHISH, preset=TRACKER)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "evil.example" in shown(warnings[0]) and "track.png" in shown(warnings[0])
    for text in messages(at):  # no link, no image: every bracket and parenthesis from the link is escaped
        assert not any(outside_code(text, pattern) for pattern in (r"\]\(", r"!\[", "https://", "evil"))


def test_a_link_that_hides_every_control_still_gives_a_form():
    from ui.train_form import FORM_FIELDS

    at = open_page("app_pages/train.py", preset="fast", hide=",".join(FORM_FIELDS))
    assert any("fixes every setting" in c.value for c in at.caption)
    assert button(at, "Start")


def form_controls(at: AppTest) -> set[str]:
    """The Train form's controls the page draws (their field names)."""
    from ui.train_form import FORM_FIELDS

    drawn = {getattr(widget, "key", None) for kind in ("number_input", "selectbox", "select_slider", "slider",
                                                       "checkbox", "toggle", "radio", "text_input")
             for widget in at.get(kind)}
    return {name for name in FORM_FIELDS if keys.Train.field(name) in drawn}


def test_a_misspelt_show_keeps_every_control_and_says_so():
    at = open_page("app_pages/train.py", preset="fast", show="lr_dd")
    assert any("lr_dd" in shown(w.value) and "every control is shown" in shown(w.value) for w in at.warning)
    every = form_controls(open_page("app_pages/train.py", preset="fast"))
    assert "lr_d" in every and form_controls(at) == every
    assert form_controls(open_page("app_pages/train.py", preset="fast", show="lr_d")) == {"lr_d"}  # spelt right


def test_a_key_given_twice_is_reported_and_not_used():
    at = open_page("app_pages/train.py", preset="fast", lr_d=["0.001", "0.1"])
    assert any("lr_d is given 2 times" in shown(w.value) for w in at.warning)
    assert at.session_state[keys.Train.CONFIG].lr_d == 5e-4  # the preset's


def test_a_link_cannot_make_the_server_download():
    at = open_page("app_pages/train.py", preset="fast", dataset="mnist", download="true")
    assert any("GAN_ARENA_ALLOW_DOWNLOADS" in shown(e.value) for e in at.error)
    button(at, "Start").click()
    rerun(at)
    assert not started(at)


def test_a_model_over_the_memory_limit_is_refused_at_the_form_and_never_started():
    at = open_page("app_pages/train.py", preset="dcgan", latent_dim="4096", g_width="4096", d_width="4096",
                   batch_size="4096", d_steps="100")
    assert any("GAN_ARENA_MAX_RUN_MEMORY_MB" in shown(e.value) for e in at.error)
    button(at, "Start").click()
    rerun(at)
    assert not started(at)


def test_a_full_runs_folder_refuses_start_and_says_which_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_ARENA_MAX_RUNS_MB", "1")
    (tmp_path / "runs" / "old").mkdir(parents=True)
    (tmp_path / "runs" / "old" / "checkpoint.pt").write_bytes(b"\0" * 2**20)
    at = open_page("app_pages/train.py", preset="fast")
    button(at, "Start").click()
    rerun(at)
    assert not started(at)
    assert any("GAN_ARENA_MAX_RUNS_MB" in shown(e.value) for e in at.error)


def test_an_upload_claiming_a_huge_generator_is_refused_before_it_is_built(monkeypatch):
    state = torch.load(bundled_generators()["DCGAN (GANs in Action, ch. 4)"], weights_only=True)
    state["config"] = {**state["config"], "latent_dim": 4096, "g_width": 4096}
    buf = io.BytesIO()
    torch.save(state, buf)

    def never(*args, **kwargs):
        raise AssertionError("the generator was built")

    monkeypatch.setattr(gan.checkpoint, "build_generator", never)
    at = open_page("app_pages/explorer.py", **{keys.Picker.source(keys.Explorer.PICKER): "Upload"})
    at.file_uploader(key=keys.Picker.upload(keys.Explorer.PICKER)).upload("big.pt", buf.getvalue())
    rerun(at)
    assert len(at.error) == 1 and "GAN_ARENA_MAX_GENERATOR_MB" in shown(at.error[0].value)


def test_a_crashing_page_shows_one_line_and_no_traceback(monkeypatch):
    import ui.explorer

    def broken(*args, **kwargs):
        raise RuntimeError("/srv/secret/path/explorer.py exploded")

    monkeypatch.setattr(ui.explorer, "describe", broken)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("app_pages/explorer.py")
    at.run()
    assert not at.exception
    assert any("Something went wrong" in e.value for e in at.error)
    assert not any("secret" in text for text in messages(at))


def started(at: AppTest) -> bool:
    """Whether the page shows a run (its status bar), queued or training."""
    return bool(at.get("progress"))


def test_link_values_a_page_cannot_use_are_named_never_dropped_silently():
    at = open_page("app_pages/train.py", preset="fast", lr="0.1", foo="bar", iterations="1e99", seed="１")
    warning = " ".join(shown(w.value) for w in at.warning)
    assert "unknown setting(s) foo, lr" in warning and "iterations" in warning and "plain digits" in warning
    at = open_page("app_pages/explorer.py")  # AppTest drops a link's values on a page switch: a new tab's link then
    at.session_state[keys.Explorer.LINK_CHECKED] = False
    at.query_params.update({keys.Explorer.T: "nan", keys.Explorer.MODE: "sideways"})
    rerun(at)
    warning = " ".join(shown(w.value) for w in at.warning)
    assert keys.Explorer.T in warning and keys.Explorer.MODE in warning and not at.exception


def test_pages_without_link_settings_name_what_they_ignore():
    at = open_page("app_pages/compare.py")
    at.session_state[keys.link_checked("compare")] = False  # AppTest drops a link's values on a page switch
    at.query_params.update({"lr_d": "0.1"})
    rerun(at)
    assert any("compare page takes no setting lr_d" in shown(w.value) for w in at.warning)
