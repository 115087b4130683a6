"""The server's view of who is who: every tab of one browser counts as one student."""

from __future__ import annotations

import os
import threading
import time
from types import SimpleNamespace

from ui import state
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


class StoppingRun:
    """A run whose thread ends as soon as it is asked to stop, or never (`hangs`). `join` notes whether every run in
    `peers` had been asked to stop by then."""

    def __init__(self, hangs: bool = False, peers: tuple = ()):
        self.asked = threading.Event()
        self.reason = None
        self.peers = peers
        self.peers_asked_when_joined: list[bool] = []
        never = threading.Event()
        self._thread = threading.Thread(target=lambda: (never if hangs else self.asked).wait(), daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, wait=None, reason=None):
        self.reason = reason
        self.asked.set()
        if wait:
            self.join(wait)

    def join(self, timeout=None):
        self.peers_asked_when_joined.append(all(peer.asked.is_set() for peer in self.peers))
        self._thread.join(timeout)


def test_a_start_stops_the_tabs_other_runs_all_at_once_and_waits_for_their_end():
    slot = SessionSlot("browser:a")
    runs = []
    first, second = StoppingRun(peers=runs), StoppingRun(peers=runs)
    runs += [first, second]
    slot.runners.update(train=first, playground=second)
    new = StoppingRun()
    assert slot.replace("train", new, page_title="Train") is new
    assert not first.alive and not second.alive  # ended (saved, slot free) before the new run is owned
    # waited for together: neither wait began before both were asked to stop (one after the other, they added up)
    assert first.peers_asked_when_joined == second.peers_asked_when_joined == [True]
    assert first.reason is None and "started a training on the Train page" in second.reason
    assert slot.runners == {"train": new, "playground": second}


def test_a_run_that_does_not_end_delays_a_start_or_a_closing_tab_by_the_bound_only(monkeypatch):
    monkeypatch.setattr(state, "TAB_STOP_WAIT_S", 0.2)
    slot = SessionSlot("browser:a")
    hung = StoppingRun(hangs=True)
    slot.runners["train"] = hung
    begun = time.monotonic()
    new = StoppingRun()
    assert slot.replace("train", new) is new and hung.asked.is_set() and hung.alive
    slot.runners["other"] = StoppingRun(hangs=True)
    slot.shutdown()
    assert new.asked.is_set() and not new.alive and slot.runners == {}
    assert time.monotonic() - begun < 5  # two bounds of 0.2 s; with no bound, a hang


def test_live_views_poll_less_often_while_trainings_outnumber_the_cores(monkeypatch):
    gate = SimpleNamespace(running=1, plan=SimpleNamespace(threads=1, cores=2))
    monkeypatch.setattr(state, "training_gate", lambda: gate)
    assert state.paced(2.0) == 2.0  # a core to spare: as often as ever
    gate.running = 10
    assert state.paced(2.0) == 10.0  # ten runs on two cores: a fifth as often
