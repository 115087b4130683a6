"""A server-wide limit on concurrent trainings, first come first served, with visible places and waits."""

from __future__ import annotations

import heapq
import statistics
import threading
import time
from collections import deque

# Until a run has ended here, a wait is estimated with this many seconds per run ahead (a default run's length).
TYPICAL_RUN_S = 120.0


class TrainingGate:
    """Like a semaphore, but waiters are served in arrival order and can ask for their place in the queue."""

    def __init__(self, slots: int):
        if slots < 1:
            raise ValueError("a training gate needs at least one slot")
        self.slots = slots
        self._running: dict[int, float] = {}  # holder -> when it got its slot
        self._remaining: dict[int, float] = {}  # holder -> its own estimate of the seconds it has left
        self._durations: deque[float] = deque(maxlen=20)  # how long the last runs held their slots
        self._waiting: deque[int] = deque()
        self._cond = threading.Condition()

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait (in line) for a slot for the calling thread; False if `timeout` passed first (it stays in line)."""
        me = threading.get_ident()
        with self._cond:
            if me not in self._waiting:
                self._waiting.append(me)
            granted = self._cond.wait_for(lambda: self._waiting[0] == me and len(self._running) < self.slots,
                                          timeout)
            if granted:
                self._waiting.popleft()
                self._running[me] = time.monotonic()
                self._cond.notify_all()
            return granted

    def release(self) -> None:
        """Free the calling thread's slot, or take it out of the line if it was still waiting."""
        me = threading.get_ident()
        with self._cond:
            granted = self._running.pop(me, None)
            self._remaining.pop(me, None)
            if granted is not None:
                self._durations.append(time.monotonic() - granted)
            if me in self._waiting:
                self._waiting.remove(me)
            self._cond.notify_all()

    def position(self, ident: int | None) -> int | None:
        """1 for the next in line, 2 for the one after, ...; None when not waiting."""
        with self._cond:
            return self._waiting.index(ident) + 1 if ident is not None and ident in self._waiting else None

    def report_remaining(self, seconds: float | None) -> None:
        """A holder's own estimate of how long it still needs its slot (None: it cannot tell)."""
        me = threading.get_ident()
        with self._cond:
            if me in self._running and seconds is not None:
                self._remaining[me] = max(0.0, seconds)
            else:
                self._remaining.pop(me, None)

    def estimated_wait(self, ident: int | None) -> float | None:
        """Seconds until `ident` gets a slot: the running runs' own estimates, then a typical run per run ahead."""
        with self._cond:
            if ident not in self._waiting:
                return None
            typical = statistics.median(self._durations) if self._durations else TYPICAL_RUN_S
            now = time.monotonic()
            frees = [self._remaining.get(holder, max(0.0, typical - (now - granted)))
                     for holder, granted in self._running.items()]
            frees += [0.0] * (self.slots - len(frees))  # free slots (a waiter is about to take them)
            heapq.heapify(frees)
            for waiter in self._waiting:
                free_at = heapq.heappop(frees)
                if waiter == ident:
                    return free_at
                heapq.heappush(frees, free_at + typical)
            return None

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)
