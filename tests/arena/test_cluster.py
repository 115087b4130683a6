"""The optional Ray backend against a Ray started on this machine: `make test-cluster` (needs the cluster extra).

Deselected from `make test` by the `cluster` marker (pyproject.toml), not skipped: without Ray it cannot run."""

from __future__ import annotations

import pytest

from arena.scheduler import Scheduler
from arena.worker import TrainJob, WorkerRunner
from tests.conftest import tiny_config, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def backend():
    import ray

    from arena.cluster import RayBackend

    made = RayBackend("local")
    yield made
    ray.shutdown()


def test_a_run_trains_as_a_ray_actor_and_is_saved(backend, tmp_path):
    gate = Scheduler(backend.plan())
    runner = WorkerRunner(TrainJob(tiny_config(iterations=30, sample_every=10), str(tmp_path), "ray"),
                          gate=gate, settings=gate.settings, backend=backend).start()
    runner.join(300)
    snap = runner.snapshot()
    assert snap.status == "finished", snap.error
    assert [r["iteration"] for r in snap.records] == list(range(1, 31))
    assert runner.timeline()[0][-1] == 30 and list(tmp_path.glob("*/checkpoint.pt"))
    assert gate.running == 0


def test_a_lost_actor_is_reported_and_the_other_run_goes_on(backend, tmp_path):
    import ray

    gate = Scheduler(backend.plan())
    runners = [WorkerRunner(TrainJob(tiny_config(iterations=10**6), str(tmp_path), f"ray-{i}"), gate=gate,
                            settings=gate.settings, backend=backend).start() for i in range(2)]
    for runner in runners:
        wait_for(lambda r=runner: r.snapshot().status == "running", 300, "a training actor")
    victim, other = runners
    ray.kill(victim.worker.actor, no_restart=True)
    victim.join(60)
    assert victim.snapshot().status == "failed" and "lost on the cluster" in victim.snapshot().error
    going = other.snapshot().iteration
    wait_for(lambda: other.snapshot().iteration > going + 5, what="the other actor still training")
    other.stop(wait=30)
    assert other.snapshot().status == "stopped" and gate.running == 0
