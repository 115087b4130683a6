"""A server-wide limit on concurrent trainings, first come first served, with visible places, waits and reasons.

Memory is a limit too. Each run tells the gate the bytes it will need (its estimate from `gan.cost`, see
arena.limits.memory_need), and the first in line starts only when a slot is free *and* its need fits in the memory
budget beside the needs of the runs already started. The budget is a number measured once, when the server's
scheduler is made (arena.scheduler.plan_slots: the memory free then, less what the web server keeps), and the runs'
declared needs are counted against it; the gate does not re-read the machine's free memory. A worker allocates its
memory seconds after it was admitted and its use rises and falls within a run (the live score's samples), so a
reading at one instant says little about what the admitted runs will take; their generous estimates say more, and
the line can keep its promise with them: a run waits for memory instead of being killed for the lack of it. What
another program on the machine takes later is not seen: the web server's reserve is the margin for it.

The line never lets a run overtake the one ahead: a big run waiting for memory holds the small ones behind it, so
that it is never starved.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque

# Until a run has ended here, a wait is estimated with this many seconds per run ahead (a default run's length).
TYPICAL_RUN_S = 120.0


def memory_words(n_bytes: float) -> str:
    """'2.1 GiB', or '600 MiB' under a GiB: memory as a student reads it."""
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:,.0f} MiB"


class TrainingGate:
    """Like a semaphore, but waiters are served in arrival order, within a memory budget, and can ask for their place
    in the queue, the estimated wait and what the line waits for.

    slots: runs at once. memory: bytes the started runs' needs may add up to (None: memory is not counted here)."""

    def __init__(self, slots: int, memory: int | None = None):
        if slots < 1:
            raise ValueError("a training gate needs at least one slot")
        if memory is not None and memory < 0:
            raise ValueError("a training gate's memory budget cannot be negative")
        self.slots = slots
        self.memory = memory
        self._running: dict[int, float] = {}  # holder -> when it got its slot
        self._remaining: dict[int, float] = {}  # holder -> its own estimate of the seconds it has left
        self._needs: dict[int, int] = {}  # waiter or holder -> the bytes its run declared
        self._durations: deque[float] = deque(maxlen=20)  # how long the last runs held their slots
        self._waiting: deque[int] = deque()
        self._cond = threading.Condition()

    def acquire(self, timeout: float | None = None, need: int = 0) -> bool:
        """Wait (in line) for a slot and `need` bytes of the memory budget for the calling thread; False if `timeout`
        passed first (it stays in line). A need over the whole budget raises ValueError: it would hold the line
        forever (arena.limits refuses such a run at its Start)."""
        if self.memory is not None and need > self.memory:
            raise ValueError(f"this run needs about {memory_words(need)} of memory, more than the "
                             f"{memory_words(self.memory)} this server gives all its trainings together")
        me = threading.get_ident()
        with self._cond:
            if me not in self._waiting:
                self._waiting.append(me)
            self._needs[me] = need
            granted = self._cond.wait_for(lambda: self._waiting[0] == me and self._holdup(need) is None, timeout)
            if granted:
                self._waiting.popleft()
                self._running[me] = time.monotonic()
                self._cond.notify_all()
            return granted

    def release(self) -> None:
        """Free the calling thread's slot and memory, or take it out of the line if it was still waiting."""
        me = threading.get_ident()
        with self._cond:
            granted = self._running.pop(me, None)
            self._remaining.pop(me, None)
            self._needs.pop(me, None)
            if granted is not None:
                self._durations.append(time.monotonic() - granted)
            if me in self._waiting:
                self._waiting.remove(me)
            self._cond.notify_all()

    def _holdup(self, need: int) -> str | None:
        """Why a run needing `need` bytes cannot start now, in a student's words; None when it can. Under the lock."""
        if len(self._running) >= self.slots:
            return f"all {self.slots} training slots are in use" if self.slots > 1 else "the training slot is in use"
        used = sum(self._needs.get(holder, 0) for holder in self._running)
        if self.memory is not None and used + need > self.memory:
            runs = len(self._running)
            return (f"waiting for memory: {runs} run{'s use' if runs != 1 else ' uses'} {memory_words(used)} of the "
                    f"{memory_words(self.memory)} this server gives trainings, and the run first in line needs "
                    f"{memory_words(need)}")
        return None

    def position(self, ident: int | None) -> int | None:
        """1 for the next in line, 2 for the one after, ...; None when not waiting."""
        with self._cond:
            return self._waiting.index(ident) + 1 if ident is not None and ident in self._waiting else None

    def queue_reason(self, ident: int | None) -> str | None:
        """What the line that `ident` waits in is waiting for: a free slot, or memory for the run first in line
        (None when `ident` is not waiting, or the line is about to move)."""
        with self._cond:
            if ident not in self._waiting:
                return None
            return self._holdup(self._needs.get(self._waiting[0], 0))

    def report_remaining(self, seconds: float | None) -> None:
        """A holder's own estimate of how long it still needs its slot (None: it cannot tell)."""
        me = threading.get_ident()
        with self._cond:
            if me in self._running and seconds is not None:
                self._remaining[me] = max(0.0, seconds)
            else:
                self._remaining.pop(me, None)

    def estimated_wait(self, ident: int | None) -> float | None:
        """Seconds until `ident` gets its slot: the line played forward, in order, each run starting at the first
        moment a slot and its memory are free. Running runs end when they say (else a typical run after they
        started), and each run ahead then holds its slot for a typical run."""
        with self._cond:
            if ident not in self._waiting:
                return None
            typical = statistics.median(self._durations) if self._durations else TYPICAL_RUN_S
            now = time.monotonic()
            runs = [(self._remaining.get(holder, max(0.0, typical - (now - granted))), self._needs.get(holder, 0))
                    for holder, granted in self._running.items()]  # (seconds until it ends, bytes)
            start = 0.0
            for waiter in self._waiting:
                need = self._needs.get(waiter, 0)
                start = self._first_room(runs, need, start)  # never before the run ahead: nobody overtakes
                if waiter == ident:
                    return start
                runs.append((start + typical, need))
            return None

    def _first_room(self, runs: list[tuple[float, int]], need: int, not_before: float) -> float:
        """The first moment from `not_before` on when a run needing `need` bytes fits beside `runs` (end, bytes)."""
        moments = sorted({not_before, *(end for end, _ in runs if end > not_before)})
        for moment in moments:
            going = [held for end, held in runs if end > moment]
            if len(going) < self.slots and (self.memory is None or sum(going) + need <= self.memory):
                return moment
        return moments[-1]  # every run has ended by then: a need within the budget fits

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)
