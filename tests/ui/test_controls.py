"""The run controls' callbacks: Pause, Resume and the Steps return as soon as the link's copy of the run shows them
obeyed (so that the rerun draws it), and never hold the page longer than their bound."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from ui import controls


class LinkCopy:
    """A runner as the controls see it: the link's copy, which changes only between two looks (`snapshot`).

    After a Step, its record arrives at the `record_at`-th look and its report (`last_step`) at the `report_at`-th;
    `thinned`: the record arrives in a long run whose older records the copy has just thinned."""

    def __init__(self, record_at: int = 1, report_at: int = 1, thinned: bool = False, status: str = "paused"):
        self.status, self.records, self.last_step = status, [{"iteration": i} for i in range(1, 101)], None
        self.record_at, self.report_at, self.thinned = record_at, report_at, thinned
        self.looks = 0
        self.stepped_at: int | None = None
        self.obeys: str | None = None  # the status a pause or resume turns into at the next look

    def snapshot(self, since: int = 0):
        self.looks += 1
        if self.stepped_at is not None:
            after = self.looks - self.stepped_at
            if after == self.record_at:
                self.records = (self.records[::2] if self.thinned else self.records) + [{"iteration": 101}]
            if after == self.report_at:
                self.last_step = {"kind": "d", "iteration": 100, "before": 0.7, "after": 0.6}
        if self.obeys:
            self.status, self.obeys = self.obeys, None
        return SimpleNamespace(status=self.status, active=True, last_step=self.last_step, records=self.records[since:])

    def step(self, kind: str) -> None:
        self.stepped_at = self.looks

    def pause(self) -> None:
        self.obeys = "paused"

    def resume(self) -> None:
        self.obeys = "running"


@pytest.fixture
def runner(monkeypatch):
    def use(copy: LinkCopy) -> LinkCopy:
        monkeypatch.setattr(controls, "session_slot", lambda: SimpleNamespace(runner=lambda name: copy))
        return copy
    return use


@pytest.mark.parametrize("thinned", [False, True], ids=["short-run", "thinned-records"])
def test_a_step_returns_at_the_first_look_that_shows_its_report(runner, thinned):
    copy = runner(LinkCopy(record_at=1, report_at=3, thinned=thinned))
    controls.step_once("train", "d")
    # not at its record (the report, which the rerun draws, came two looks later), not at the bound
    assert copy.last_step is not None and copy.looks - copy.stepped_at == 3


def test_pause_and_resume_return_once_the_run_says_it_obeyed(runner):
    copy = runner(LinkCopy(status="running"))
    controls._pause_or_resume("train", "pause")
    assert copy.status == "paused" and copy.looks == 1
    controls._pause_or_resume("train", "resume")
    assert copy.status == "running" and copy.looks == 2


def test_a_run_that_does_not_obey_holds_the_callback_for_the_bound_only(runner, monkeypatch):
    monkeypatch.setattr(controls, "OBEY_WAIT_S", 0.2)
    copy = runner(LinkCopy(record_at=10**9, report_at=10**9))
    begun = time.monotonic()
    controls.step_once("train", "g")
    assert copy.last_step is None and copy.looks >= 2  # it looked again until the bound, then gave up
    assert time.monotonic() - begun < 5
