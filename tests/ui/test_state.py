"""The server's view of who is who: every tab of one browser counts as one student."""

from __future__ import annotations

import os

from ui.state import SessionSlot, SlotRegistry, browser_of


def xsrf_cookie(token: bytes) -> str:
    """The cookie as Streamlit writes it: the token masked with 4 fresh random bytes, then the time."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{mask.hex()}|{masked.hex()}|1764940000"


def test_every_page_load_of_one_browser_is_the_same_browser():
    token, other = os.urandom(16), os.urandom(16)
    assert browser_of(xsrf_cookie(token)) == browser_of(xsrf_cookie(token)) is not None
    assert browser_of(xsrf_cookie(token)) != browser_of(xsrf_cookie(other))
    for junk in ("", "2|zz|00|1", "1|abcd|ef", "2|0102|0304|1", "no cookie at all"):
        assert browser_of(junk) is None, junk


class FakeRun:
    def __init__(self, alive: bool):
        self.alive = alive


def test_the_registry_counts_the_runs_of_the_same_browsers_other_tabs():
    registry = SlotRegistry()
    tab1, tab2, stranger = SessionSlot("browser:a"), SessionSlot("browser:a"), SessionSlot("browser:b")
    for slot in (tab1, tab2, stranger):
        registry.add(slot)
    tab1.runners["train"] = FakeRun(alive=True)
    tab1.runners["compare"] = FakeRun(alive=False)  # ended: holds no place
    stranger.runners["train"] = FakeRun(alive=True)
    assert registry.runs_of("browser:a", besides=tab2) == 1
    assert registry.runs_of("browser:a", besides=tab1) == 0
    registry.discard(tab1)
    assert registry.runs_of("browser:a", besides=tab2) == 0


class UnstartedRun(FakeRun):
    def __init__(self):
        super().__init__(alive=False)
        self.started = False

    def start(self):
        self.started = True
        return self


def test_a_start_that_finishes_after_the_tab_closed_is_not_owned_or_started():
    slot = SessionSlot("browser:a")
    slot.shutdown()  # the tab went while a Start's callback was still stopping the old run
    run = UnstartedRun()
    assert slot.replace("train", run) is None and not run.started and slot.runners == {}
