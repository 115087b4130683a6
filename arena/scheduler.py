"""The scheduler: how many trainings run at once on this machine, where each worker runs, and the line for the rest.

A worker process trains one run. On CPUs the class shares the cores: every student's run starts at once, with one
torch thread each, and they progress side by side instead of waiting whole lessons in a line (measured with
`python -m benchmarks.classroom --students 10` on 2 cores, the fast classroom preset: in a line of one the students
saw ten digits from 21 s to past 5 minutes, 4 of 10 not within 5; sharing, all ten at 143-148 s, and a page's work
never took 0.2 s). Sharing workers run niced (SHARING_NICENESS): the web server and the pages come first. Up to
SHARED_RUNS_PER_CORE runs per core, and no more than memory holds (WORKER_MEMORY each); the rest wait in line with
their place and an estimated wait. On a GPU server several workers share each GPU: small GANs leave a GPU mostly
idle, and the limit is then the CPU cores that feed them.

Memory is counted too (arena.gate): the plan's `memory` is the budget of all trainings together, the memory free
when the scheduler is made less SERVER_RESERVE, and a run whose estimated need does not fit beside the runs already
going waits in line, told why, instead of starting into an out-of-memory kill.

The teacher's settings (environment variables of the server):
  GAN_ARENA_MAX_TRAININGS    trainings at once (default: from the hardware and memory, below)
  GAN_ARENA_WORKER_THREADS   torch threads of each worker (default 1)
  GAN_ARENA_WORKERS_PER_GPU  workers sharing one GPU (default 4)
  GAN_ARENA_WORKER_NICENESS  niceness of each worker (default 10 where trainings outnumber the cores, else 0)
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from arena.gate import TrainingGate

WORKERS_PER_GPU = 4  # not yet measured on a GPU here: a guess for MLP/DCGAN-sized nets, the teacher can change it
SHARED_RUNS_PER_CORE = 5  # 10 on 2 cores: a class of ten trained side by side, each reaching ten digits in 2.3 min
# Where more trainings than cores share the machine, the workers yield to the web server: with ten runs on 2 cores a
# page's work took a median 97 ms (worst 0.78 s) at equal priority, 20 ms (worst 0.18 s) at 10.
SHARING_NICENESS = 10
WORKER_MEMORY = 2**30  # what one worker may hold (PyTorch ~0.4 GiB, a lesson's nets and data), with a margin
# Memory the trainings leave to the web server (its pages, every run's live copy) and to the rest of the machine.
SERVER_RESERVE = 512 * 2**20


@dataclass(frozen=True)
class WorkerSettings:
    """Where one worker runs: its torch threads, its niceness, and (on a GPU server) the one GPU it sees."""

    threads: int = 1
    gpu: int | None = None
    niceness: int = 0


@dataclass(frozen=True)
class SlotPlan:
    """How the machine is shared: `slots` workers at once, each with `threads` torch threads, over `gpus` GPUs, and
    `memory` bytes that the runs' estimated needs may add up to (None: not known, not counted)."""

    slots: int
    threads: int
    gpus: int = 0
    memory: int | None = None
    niceness: int = 0  # of every worker: above 0 where they share the cores, so that the pages come first
    cores: int = 1  # the machine's, which the trainings share

    def describe(self) -> str:
        where = f"{self.gpus} GPU{'s' if self.gpus != 1 else ''}" if self.gpus else f"{self.threads} CPU thread" + (
            "s" if self.threads != 1 else "") + " each"
        return f"{self.slots} training{'s' if self.slots != 1 else ''} at once ({where})"


def env_int(name: str, minimum: int = 1) -> int | None:
    return env_number(name, int, minimum)


def env_number(name: str, kind: type = int, minimum: float = 1, environ: Mapping[str, str] | None = None):
    """A teacher's setting from the environment (`environ`: another mapping), None when unset; a value that is not
    a number of `kind`, or is below `minimum`, is an error that names the variable."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be a {'whole ' if kind is int else ''}number (got {raw!r})") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g} (got {value:g})")
    return value


def plan_slots(cores: int | None = None, gpus: int | None = None, memory: int | None = None) -> SlotPlan:
    """The plan for this machine (or for `cores` CPU cores, `gpus` GPUs and `memory` bytes available), after the
    teacher's settings. The app makes it once (ui.state.training_gate), after the engine's warm-up: the memory it
    measures is what is left beside the web server with PyTorch and the pages' helpers loaded."""
    if cores is None or gpus is None:
        import torch  # here, not at the top: app.py's first paint imports this module before torch is loaded

        from gan.device import usable_cores

        cores = usable_cores() if cores is None else cores
        gpus = torch.cuda.device_count() if gpus is None else gpus
    if memory is None:
        from gan.cost import available_memory

        memory = available_memory()
    threads = env_int("GAN_ARENA_WORKER_THREADS") or 1
    if gpus:
        per_gpu = env_int("GAN_ARENA_WORKERS_PER_GPU") or WORKERS_PER_GPU
        slots = min(gpus * per_gpu, max(1, (cores - 1) // threads))  # one core stays with the web server
    else:  # the class shares the cores
        slots = max(1, SHARED_RUNS_PER_CORE * cores // threads)
    budget = None
    if memory is not None:
        slots = max(1, min(slots, memory // WORKER_MEMORY))
        budget = max(0, memory - SERVER_RESERVE)
    slots = env_int("GAN_ARENA_MAX_TRAININGS") or slots
    niceness = env_number("GAN_ARENA_WORKER_NICENESS", int, minimum=0)
    if niceness is None:
        niceness = SHARING_NICENESS if slots * threads > cores else 0
    return SlotPlan(slots=slots, threads=threads, gpus=gpus, memory=budget, niceness=niceness, cores=cores)


class Scheduler(TrainingGate):
    """The server's FIFO line for training slots (a TrainingGate) that also places each worker it admits."""

    def __init__(self, plan: SlotPlan):
        super().__init__(plan.slots, memory=plan.memory)
        self.plan = plan
        self._gpu_of: dict[int, int] = {}
        self._placing = threading.Lock()

    def settings(self) -> WorkerSettings:
        """For the calling slot holder: its threads and, on a GPU server, the least busy GPU."""
        if not self.plan.gpus:
            return WorkerSettings(threads=self.plan.threads, niceness=self.plan.niceness)
        me = threading.get_ident()
        with self._placing:
            if me not in self._gpu_of:
                load = Counter(self._gpu_of.values())
                self._gpu_of[me] = min(range(self.plan.gpus), key=lambda gpu: load[gpu])
            return WorkerSettings(threads=self.plan.threads, gpu=self._gpu_of[me], niceness=self.plan.niceness)

    def release(self) -> None:
        with self._placing:
            self._gpu_of.pop(threading.get_ident(), None)
        super().release()
