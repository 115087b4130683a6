"""The scheduler's plan for a machine, the teacher's settings, the estimated wait, the line for memory and where GPU
workers go."""

from __future__ import annotations

import threading

import pytest

from arena.gate import TYPICAL_RUN_S
from arena.scheduler import SERVER_RESERVE, Scheduler, SlotPlan, plan_slots
from tests.conftest import wait_for


@pytest.fixture(autouse=True)
def no_teacher_settings(monkeypatch):
    for name in ("GAN_ARENA_MAX_TRAININGS", "GAN_ARENA_WORKER_THREADS", "GAN_ARENA_WORKERS_PER_GPU",
                 "GAN_ARENA_WORKER_NICENESS"):
        monkeypatch.delenv(name, raising=False)


GIB = 2**30
MIB = 2**20


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


def test_workers_that_share_the_cores_yield_to_the_web_server(monkeypatch):
    sharing = plan_slots(cores=2, gpus=0, memory=20 * GIB)  # ten runs on two cores
    assert sharing.niceness == 10 and Scheduler(sharing).settings().niceness == 10
    monkeypatch.setenv("GAN_ARENA_MAX_TRAININGS", "2")
    assert plan_slots(cores=2, gpus=0, memory=20 * GIB).niceness == 0  # a core each: nobody to yield to
    monkeypatch.setenv("GAN_ARENA_WORKER_NICENESS", "3")
    assert plan_slots(cores=2, gpus=0, memory=20 * GIB).niceness == 3  # the teacher's choice
    monkeypatch.setenv("GAN_ARENA_WORKER_NICENESS", "-5")
    with pytest.raises(ValueError, match="GAN_ARENA_WORKER_NICENESS must be at least 0"):
        plan_slots(cores=2, gpus=0)


def test_the_trainings_memory_is_what_was_free_less_the_web_servers_reserve():
    assert plan_slots(cores=2, gpus=0, memory=3 * GIB).memory == 3 * GIB - SERVER_RESERVE
    assert plan_slots(cores=2, gpus=0, memory=SERVER_RESERVE // 2).memory == 0
    assert Scheduler(SlotPlan(slots=1, threads=1)).memory is None  # a cluster's plan: memory not counted here


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


def join_line(gate, need: int, release: threading.Event) -> threading.Thread:
    """A run that asks `gate` for a slot and `need` bytes, and holds them until `release`; returned once it holds
    its slot or waits in line (its `ident` is what the gate knows it by)."""
    def run():
        gate.acquire(need=need)
        release.wait(30)
        gate.release()

    before = gate.running + gate.waiting
    thread = threading.Thread(target=run)
    thread.start()
    wait_for(lambda: gate.running + gate.waiting == before + 1, what="the run in the gate")
    return thread


def test_a_run_waits_for_memory_with_a_reason_and_starts_when_the_memory_is_given_back():
    gate = Scheduler(SlotPlan(slots=5, threads=1, memory=1000 * MIB))  # slots to spare: memory is the limit here
    release_first, release_rest = threading.Event(), threading.Event()
    first = join_line(gate, 600 * MIB, release_first)
    big, small = join_line(gate, 600 * MIB, release_rest), join_line(gate, 100 * MIB, release_rest)
    # The small run would fit now, but it does not overtake: the big one would starve behind a stream of small ones.
    assert (gate.running, gate.position(big.ident), gate.position(small.ident)) == (1, 1, 2)
    reason = ("waiting for memory: 1 run uses 600 MiB of the 1,000 MiB this server gives trainings, and the run first "
              "in line needs 600 MiB")
    assert gate.queue_reason(big.ident) == gate.queue_reason(small.ident) == reason
    # Both will start when the first run ends (a typical run after it started), the small one beside the big one.
    assert gate.estimated_wait(big.ident) == pytest.approx(TYPICAL_RUN_S, abs=5)
    assert gate.estimated_wait(small.ident) == pytest.approx(gate.estimated_wait(big.ident), abs=1)
    release_first.set()  # the first run ends: its memory is given back
    wait_for(lambda: gate.running == 2, what="both runs started once the memory was given back")
    assert (gate.waiting, gate.queue_reason(big.ident)) == (0, None)
    release_rest.set()
    for thread in (first, big, small):
        thread.join(30)
    assert (gate.running, gate.waiting) == (0, 0)


def test_the_line_says_when_it_waits_for_a_slot():
    gate = Scheduler(SlotPlan(slots=2, threads=1, memory=1000 * MIB))
    release = threading.Event()
    runs = [join_line(gate, 10 * MIB, release) for _ in range(3)]
    assert gate.queue_reason(runs[2].ident) == "all 2 training slots are in use"
    assert gate.queue_reason(runs[0].ident) is None  # it is not waiting
    release.set()
    for thread in runs:
        thread.join(30)
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_need_larger_than_the_whole_budget_is_refused_at_once():
    gate = Scheduler(SlotPlan(slots=5, threads=1, memory=1000 * MIB))
    with pytest.raises(ValueError, match="more than the 1,000 MiB this server gives all its trainings together"):
        gate.acquire(timeout=0, need=1001 * MIB)  # it would hold the line forever, even with nothing running
    assert (gate.running, gate.waiting) == (0, 0)
    assert gate.acquire(timeout=0, need=1000 * MIB)  # the whole budget, with nothing running: it starts
    gate.release()
