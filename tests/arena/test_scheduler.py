"""The scheduler's plan for a machine, the teacher's settings, the estimated wait and where GPU workers go."""

from __future__ import annotations

import threading

import pytest

from arena.gate import TYPICAL_RUN_S
from arena.scheduler import Scheduler, SlotPlan, plan_slots
from tests.conftest import wait_for


@pytest.fixture(autouse=True)
def no_teacher_settings(monkeypatch):
    for name in ("GAN_ARENA_MAX_TRAININGS", "GAN_ARENA_WORKER_THREADS", "GAN_ARENA_WORKERS_PER_GPU"):
        monkeypatch.delenv(name, raising=False)


GIB = 2**30


@pytest.mark.parametrize("cores, gpus, memory_gib, slots, threads", [
    (1, 0, 8, 5, 1),  # a tiny machine still trains, and a few students share it
    (2, 0, 20, 10, 1),  # a class of ten shares two cores: each run starts at once (benchmarks.classroom)
    (2, 0, 3, 3, 1),  # ... as many as memory holds; the rest wait in line
    (16, 0, 120, 80, 1),
    (16, 1, 120, 4, 1),  # several workers share a GPU
    (4, 2, 120, 3, 1),  # ... as many as there are cores to feed them
])
def test_the_plan_follows_the_hardware(cores, gpus, memory_gib, slots, threads):
    plan = plan_slots(cores=cores, gpus=gpus, memory=memory_gib * GIB)
    assert (plan.slots, plan.threads, plan.gpus) == (slots, threads, gpus)


def test_the_teacher_can_change_the_plan(monkeypatch):
    monkeypatch.setenv("GAN_ARENA_WORKER_THREADS", "4")
    assert plan_slots(cores=16, gpus=0, memory=120 * GIB).slots == 20
    monkeypatch.setenv("GAN_ARENA_MAX_TRAININGS", "10")
    assert plan_slots(cores=16, gpus=0, memory=120 * GIB).slots == 10
    monkeypatch.setenv("GAN_ARENA_WORKERS_PER_GPU", "0")
    with pytest.raises(ValueError, match="GAN_ARENA_WORKERS_PER_GPU must be at least 1"):
        plan_slots(cores=16, gpus=1)
    monkeypatch.setenv("GAN_ARENA_MAX_TRAININGS", "many")
    with pytest.raises(ValueError, match="GAN_ARENA_MAX_TRAININGS must be a whole number"):
        plan_slots(cores=16, gpus=0)


def hold_slot(gate, remaining, ready, release):
    gate.acquire()
    gate.report_remaining(remaining)
    ready.set()
    release.wait(30)
    gate.release()


def test_the_wait_is_estimated_from_the_runs_ahead():
    gate = Scheduler(SlotPlan(slots=1, threads=1))
    ready, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_slot, args=(gate, 30.0, ready, release))
    holder.start()
    assert ready.wait(30), "the holder never got its slot"
    idents = []
    waiters = [threading.Thread(target=lambda: (idents.append(threading.get_ident()), gate.acquire(), gate.release()))
               for _ in range(2)]
    for waiter in waiters:  # one at a time, so that the line's order is known
        waiter.start()
        wait_for(lambda: gate.waiting == len(idents), what="the waiter in line")
    assert gate.estimated_wait(idents[0]) == pytest.approx(30.0)  # the runner's own estimate
    assert gate.estimated_wait(idents[1]) == pytest.approx(30.0 + TYPICAL_RUN_S)  # then a typical run
    assert gate.estimated_wait(threading.get_ident()) is None  # not in line
    release.set()
    for thread in (holder, *waiters):
        thread.join(30)
    assert (gate.running, gate.waiting) == (0, 0)


def test_gpu_workers_go_to_the_least_busy_gpu():
    gate = Scheduler(SlotPlan(slots=4, threads=1, gpus=2))
    placed, ready, release = [], threading.Barrier(4), threading.Event()

    def worker():
        gate.acquire()
        placed.append(gate.settings().gpu)
        ready.wait(30)
        release.wait(30)
        gate.release()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    ready.wait(30)
    assert sorted(placed) == [0, 0, 1]  # one each, then the third where there is one
    assert Scheduler(SlotPlan(slots=1, threads=2)).settings().gpu is None  # CPU workers see no GPU setting
    release.set()
    for thread in threads:
        thread.join(30)
