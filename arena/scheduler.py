"""The scheduler: how many trainings run at once on this machine, where each worker runs, and the line for the rest.

A worker process trains one run. On CPUs each worker gets a few cores of its own (two PyTorch processes on the same
cores slow each other down many times over), and one core stays with the web server. On a GPU server several
workers share each GPU: small GANs leave a GPU mostly idle, and the limit is then the CPU cores that feed them.

The teacher's settings (environment variables of the server):
  GAN_ARENA_MAX_TRAININGS    trainings at once (default: from the hardware, below)
  GAN_ARENA_WORKER_THREADS   torch threads of each worker (default 2 on CPUs, fewer on a small machine; 1 on GPUs)
  GAN_ARENA_WORKERS_PER_GPU  workers sharing one GPU (default 4)
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from arena.gate import TrainingGate

WORKERS_PER_GPU = 4  # not yet measured on a GPU here: a guess for MLP/DCGAN-sized nets, the teacher can change it


@dataclass(frozen=True)
class WorkerSettings:
    """Where one worker runs: its torch threads and (on a GPU server) the one GPU it sees."""

    threads: int = 1
    gpu: int | None = None


@dataclass(frozen=True)
class SlotPlan:
    """How the machine is shared: `slots` workers at once, each with `threads` torch threads, over `gpus` GPUs."""

    slots: int
    threads: int
    gpus: int = 0

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


def plan_slots(cores: int | None = None, gpus: int | None = None) -> SlotPlan:
    """The plan for this machine (or for `cores` CPU cores and `gpus` GPUs), after the teacher's settings."""
    if cores is None or gpus is None:
        import torch  # here, not at the top: app.py's first paint imports this module before torch is loaded

        from gan.device import usable_cores

        cores = usable_cores() if cores is None else cores
        gpus = torch.cuda.device_count() if gpus is None else gpus
    spare = max(1, cores - 1)  # one core stays with the web server
    if gpus:
        threads = env_int("GAN_ARENA_WORKER_THREADS") or 1
        per_gpu = env_int("GAN_ARENA_WORKERS_PER_GPU") or WORKERS_PER_GPU
        slots = min(gpus * per_gpu, max(1, spare // threads))
    else:
        threads = env_int("GAN_ARENA_WORKER_THREADS") or min(2, spare)
        slots = max(1, spare // threads)
    return SlotPlan(slots=env_int("GAN_ARENA_MAX_TRAININGS") or slots, threads=threads, gpus=gpus)


class Scheduler(TrainingGate):
    """The server's FIFO line for training slots (a TrainingGate) that also places each worker it admits."""

    def __init__(self, plan: SlotPlan):
        super().__init__(plan.slots)
        self.plan = plan
        self._gpu_of: dict[int, int] = {}
        self._placing = threading.Lock()

    def settings(self) -> WorkerSettings:
        """For the calling slot holder: its threads and, on a GPU server, the least busy GPU."""
        if not self.plan.gpus:
            return WorkerSettings(threads=self.plan.threads)
        me = threading.get_ident()
        with self._placing:
            if me not in self._gpu_of:
                load = Counter(self._gpu_of.values())
                self._gpu_of[me] = min(range(self.plan.gpus), key=lambda gpu: load[gpu])
            return WorkerSettings(threads=self.plan.threads, gpu=self._gpu_of[me])

    def release(self) -> None:
        with self._placing:
            self._gpu_of.pop(threading.get_ident(), None)
        super().release()
