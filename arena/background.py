"""The one lifecycle of everything the app runs in the background: a thread that waits for a slot in the server's
line, does its run's work, and ends on `stop()` or when nobody has looked for `idle_timeout` seconds (a closed tab).

`TrainingRunner` (a training in this process), `RaceRunner` (a race in this process) and `WorkerRunner` (either, in
a worker process, driven by a link thread) are this lifecycle with different work.
"""

from __future__ import annotations

import threading
import time
from typing import Any

SLOT_POLL_S = 0.25  # how often a run waiting in line checks whether it was stopped or abandoned


class BackgroundRun:
    """Subclasses do their work in `_work()`, which returns the state to publish at the end ({"status": ...}), and
    publish with `_set(**changes)`; `_failed(err)` says what an exception means, `_wind_up(end)` runs last in the
    thread before the slot is given back (saving, cleaning up) and may add to the end state."""

    thread_name = "gan-arena-run"

    def __init__(self, *, gate=None, idle_timeout: float = 120.0):
        self._gate = gate
        self._idle_timeout = idle_timeout
        self._stop = threading.Event()
        self._last_seen = time.monotonic()
        self._thread = threading.Thread(target=self._main, name=self.thread_name, daemon=True)

    # ------------------------------------------------------------------ any thread
    def start(self):
        self._thread.start()
        return self

    def stop(self, wait: float | None = 5.0) -> None:
        """Ask the run to end at its next chance; wait up to `wait` seconds for the thread."""
        self._request_stop()
        if wait and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    def touch(self) -> None:
        """Heartbeat from the UI: somebody is still watching."""
        self._last_seen = time.monotonic()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _mark_place_in_line(self, snap) -> None:
        """While `snap` is queued, its place in the server's line, the estimated wait and what the line waits for
        (a slot, or memory), where the gate knows."""
        if snap.status != "queued" or not hasattr(self._gate, "position"):
            return
        snap.queue_position = self._gate.position(self._thread.ident)
        if hasattr(self._gate, "estimated_wait"):
            snap.queue_wait_s = self._gate.estimated_wait(self._thread.ident)
        if hasattr(self._gate, "queue_reason") and hasattr(snap, "queue_reason"):  # a race's snapshot has no reason
            snap.queue_reason = self._gate.queue_reason(self._thread.ident)

    # ------------------------------------------------------------------ the thread
    def _main(self) -> None:
        acquired = False
        end: dict[str, Any] = {"status": "failed", "error": f"the {self.thread_name} thread ended unexpectedly"}
        try:
            if self._gate is not None:
                acquired = self._wait_for_slot()
                if not acquired:
                    end = {"status": "stopped"}
                    return
            end = self._work()
        except Exception as err:  # shown on the page instead of dying silently in a thread
            end = self._failed(err)
        finally:
            try:
                end = {**end, **self._wind_up(end)}
            except Exception as err:  # a wind-up that fails must not keep the server's slot: the release comes next
                end = {**end, "error": f"the run ended, but tidying up after it failed ({type(err).__name__}: {err})"}
            # A TrainingGate's release also takes a run that gave up waiting out of the line.
            if acquired or hasattr(self._gate, "position"):
                self._gate.release()
            # Published last: whoever sees the run ended also sees it saved and its slot free.
            if end:
                self._set(**end)

    def _wait_for_slot(self) -> bool:
        while not self._stop.is_set():
            if self._acquire_slot(SLOT_POLL_S):
                return True
            if self._abandoned():
                return False
        return False

    def _acquire_slot(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds in the gate's line (a run that knows its memory need also asks for that)."""
        return self._gate.acquire(timeout=timeout)

    def _abandoned(self) -> bool:
        return time.monotonic() - self._last_seen > self._idle_timeout

    # ------------------------------------------------------------------ what subclasses fill in
    def _request_stop(self) -> None:
        self._stop.set()

    def _work(self) -> dict[str, Any]:
        raise NotImplementedError

    def _failed(self, err: Exception) -> dict[str, Any]:
        return {"status": "failed", "error": f"{type(err).__name__}: {err}"}

    def _wind_up(self, end: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _set(self, **changes: Any) -> None:
        raise NotImplementedError
