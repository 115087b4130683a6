"""A server-wide limit on concurrent trainings, first come first served, with visible queue positions."""

from __future__ import annotations

import os
import threading
from collections import deque


def default_slots() -> int:
    """How many trainings may run at once: GAN_ARENA_MAX_TRAININGS, else 1 per GPU, else 1 per 2 CPU cores.

    Two trainings on the same cores do not each go half as fast: their thread pools fight and both crawl.
    """
    configured = os.environ.get("GAN_ARENA_MAX_TRAININGS")
    if configured:
        value = int(configured)
        if value < 1:
            raise ValueError(f"GAN_ARENA_MAX_TRAININGS must be at least 1 (got {value})")
        return value
    import torch  # here, not at the top: the app's first paint imports this module before torch is loaded

    from gan.device import usable_cores

    if torch.cuda.is_available():
        return torch.cuda.device_count()
    return max(1, usable_cores() // 2)


class TrainingGate:
    """Like a semaphore, but waiters are served in arrival order and can ask for their place in the queue."""

    def __init__(self, slots: int):
        if slots < 1:
            raise ValueError("a training gate needs at least one slot")
        self.slots = slots
        self._running: set[int] = set()
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
                self._running.add(me)
                self._cond.notify_all()
            return granted

    def release(self) -> None:
        """Free the calling thread's slot, or take it out of the line if it was still waiting."""
        me = threading.get_ident()
        with self._cond:
            self._running.discard(me)
            if me in self._waiting:
                self._waiting.remove(me)
            self._cond.notify_all()

    def position(self, ident: int | None) -> int | None:
        """1 for the next in line, 2 for the one after, ...; None when not waiting."""
        with self._cond:
            return self._waiting.index(ident) + 1 if ident in self._waiting else None

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)
