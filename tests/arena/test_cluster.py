"""The optional Ray backend against a Ray started on this machine: `make test-cluster` (needs the cluster extra).

Deselected from `make test` by the `cluster` marker (pyproject.toml), not skipped: without Ray it cannot run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arena import cluster
from arena.scheduler import Scheduler
from arena.worker import TrainJob, WorkerRunner
from gan.checkpoint import load_checkpoint
from gan.runs import RUN_FILES, list_runs
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


def on_another_node(node: Path) -> type:
    """A training actor whose disk is not the app's: it works in `node`, where the app's runs folder (a relative
    path, like the default runs/) names a folder that the app never sees. Defined here, Ray ships it by value."""

    class ActorOnAnotherNode(cluster.TrainingActor):
        def __init__(self, job, threads):
            os.chdir(node)
            super().__init__(job, threads)

    return ActorOnAnotherNode


def test_a_run_on_another_node_reaches_the_app_runs_folder(backend, tmp_path, monkeypatch):
    app, node = tmp_path / "app", tmp_path / "node"
    app.mkdir()
    node.mkdir()
    monkeypatch.chdir(app)
    monkeypatch.setattr(cluster, "TrainingActor", on_another_node(node))
    far = cluster.RayBackend("local", ship_files=True)  # joins the fixture's Ray; its actors live in `node`
    gate = Scheduler(far.plan())
    runner = WorkerRunner(TrainJob(tiny_config(iterations=10**6), "runs", "far", autosave_s=0.2), gate=gate,
                          settings=gate.settings, backend=far).start()
    wait_for(lambda: runner.snapshot().autosaved_to is not None, 300, "an autosave")
    kept = Path(runner.snapshot().autosaved_to)
    assert kept.parent == Path("runs") and (kept / "checkpoint.pt").is_file()  # named once it is in the app folder
    runner.stop(wait=30)
    snap = runner.snapshot()
    assert snap.status == "stopped" and snap.error is None, snap.error
    assert snap.saved_to == str(kept) and set(RUN_FILES) <= {p.name for p in kept.iterdir()}
    assert load_checkpoint(kept / "checkpoint.pt")["iteration"] == snap.iteration > 0
    assert [run.path for run in list_runs("runs")] == [kept / "checkpoint.pt"]  # the Latent Explorer lists it
    assert not any(node.iterdir())  # the actor left nothing on its node
    assert gate.running == 0


def test_actors_off_this_machine_send_the_files_unless_the_runs_folder_is_shared(backend, tmp_path, monkeypatch):
    monkeypatch.delenv(cluster.SHARED_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    absolute, relative = (TrainJob(tiny_config(), runs_dir, "where") for runs_dir in (str(tmp_path / "runs"), "runs"))
    absolute.reserve()
    relative.reserve()
    remote = cluster.RayBackend("ray://head:10001")  # Ray is up: it only takes the address
    shared = cluster.RayBackend("ray://head:10001", shared_runs_dir=str(tmp_path))
    assert not backend.ships_files(absolute)  # local: the actors run on this machine
    assert remote.ships_files(absolute) and remote.ships_files(relative)
    assert not shared.ships_files(absolute) and shared.ships_files(relative)  # relative: the actor's folder is not ours
