"""Trainings in worker processes: the server's copy follows the worker, commands reach it, a dead worker is
reported on its own run, and every way a run ends frees its slot."""

from __future__ import annotations

import os
import pickle
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from arena.scheduler import Scheduler, SlotPlan
from arena.worker import Job, RaceJob, ToyJob, TrainJob, WorkerCore, WorkerRunner
from gan.checkpoint import load_checkpoint
from tests.conftest import tiny_config, wait_for


def train_job(tmp_path, autosave_s: float = 30.0) -> TrainJob:
    return TrainJob(tiny_config(iterations=100_000), str(tmp_path), "worker-test", autosave_s=autosave_s)


def start(job, gate=None, **kwargs) -> WorkerRunner:
    gate = gate or Scheduler(SlotPlan(slots=2, threads=1))
    return WorkerRunner(job, gate=gate, settings=gate.settings, **kwargs).start()


def test_a_run_trains_in_another_process_and_the_server_copy_follows_it(tmp_path):
    runner = start(TrainJob(tiny_config(iterations=40, sample_every=10), str(tmp_path), "finished"))
    runner.join(120)
    snap = runner.snapshot()
    assert snap.status == "finished", snap.error
    assert runner.process.pid != os.getpid() and runner.process.exitcode == 0
    assert [r["iteration"] for r in snap.records] == list(range(1, 41))  # every record, once, in order
    assert [r["iteration"] for r in runner.snapshot(since=35).records] == list(range(36, 41))
    iterations, grids = runner.timeline()
    assert iterations[-1] == 40 and len(iterations) == len(grids) and grids[-1].shape == (4, 1, 28, 28)
    assert snap.samples is not None and snap.quality  # the sample grid and the live score crossed too
    assert (tmp_path / os.path.basename(snap.saved_to) / "checkpoint.pt").exists()


def test_commands_reach_the_worker(tmp_path):
    runner = start(train_job(tmp_path))
    wait_for(lambda: runner.snapshot().status == "running", 120, "a running worker")
    runner.pause()
    wait_for(lambda: runner.snapshot().status == "paused", what="a paused worker")
    before = runner.snapshot().iteration
    runner.step("iteration")
    wait_for(lambda: runner.snapshot().iteration == before + 1, what="one stepped iteration")
    runner.set_lr(lr_g=0.005)
    wait_for(lambda: runner.snapshot().lr_g == pytest.approx(0.005), what="the new learning rate")
    assert any(e["name"] == "lr_g" and e["new"] == pytest.approx(0.005) for e in runner.snapshot().events)
    with pytest.raises(ValueError, match="step kind"):
        runner.step("both")
    runner.resume()
    wait_for(lambda: runner.snapshot().iteration > before + 5, what="training again after resume")
    runner.stop(wait=10)
    assert runner.snapshot().status == "stopped" and not runner.process.is_alive()


def test_a_killed_worker_is_reported_with_its_last_save_and_the_other_run_goes_on(tmp_path):
    gate = Scheduler(SlotPlan(slots=2, threads=1))
    victim = start(train_job(tmp_path / "victim", autosave_s=0.2), gate)
    other = start(train_job(tmp_path / "other"), gate)
    wait_for(lambda: victim.snapshot().autosaved_to is not None, 120, "an autosave")
    wait_for(lambda: other.snapshot().status == "running", 120, "the other run training")
    os.kill(victim.process.pid, signal.SIGKILL)
    victim.join(30)
    snap = victim.snapshot()
    assert snap.status == "failed" and "SIGKILL" in snap.error and "not affected" in snap.error
    assert f"iteration {snap.autosaved_iteration:,}" in snap.error and snap.autosaved_iteration > 0
    kept = Path(snap.autosaved_to)  # the state the error names is on disk, in the run's folder, and loads
    assert kept.parent == tmp_path / "victim" and (kept / "checkpoint.pt").is_file(), kept
    assert load_checkpoint(kept / "checkpoint.pt")["iteration"] >= snap.autosaved_iteration
    going = other.snapshot().iteration
    wait_for(lambda: other.snapshot().iteration > going + 5, what="the other run still training")
    assert gate.running == 1  # the dead worker's slot is free
    other.stop(wait=10)
    assert gate.running == 0


def test_a_closed_tab_ends_its_worker_and_frees_the_slot_within_5_s(tmp_path):
    gate = Scheduler(SlotPlan(slots=1, threads=1))
    runner = start(train_job(tmp_path), gate)
    wait_for(lambda: runner.snapshot().status == "running", 120, "a running worker")
    runner.stop(wait=5.0)  # what the session slot's on_release does
    assert not runner.alive and not runner.process.is_alive() and gate.running == 0


def test_an_unwatched_run_stops_by_itself(tmp_path):
    gate = Scheduler(SlotPlan(slots=1, threads=1))
    runner = start(train_job(tmp_path), gate, idle_timeout=0.5)
    runner.join(120)  # nobody polls: the link stops the worker
    assert runner._mirror.snap.status == "stopped" and gate.running == 0


def test_runs_wait_in_line_and_are_told_their_place(tmp_path):
    gate = Scheduler(SlotPlan(slots=1, threads=1))
    first = start(train_job(tmp_path), gate)
    wait_for(lambda: first.snapshot().status == "running", 120, "the first run training")
    second, third = start(train_job(tmp_path), gate), start(train_job(tmp_path), gate)
    wait_for(lambda: gate.waiting == 2, what="two runs in line")
    assert (second.snapshot().queue_position, third.snapshot().queue_position) == (1, 2)
    assert 0 < second.snapshot().queue_wait_s < third.snapshot().queue_wait_s
    third.stop()  # leaving the line frees its place
    first.stop()
    wait_for(lambda: second.snapshot().status == "running", 120, "the second run training")
    second.stop()
    assert (gate.running, gate.waiting) == (0, 0)


def test_the_playground_picture_crosses_from_the_worker():
    from gan.toy import ToyConfig

    runner = start(ToyJob(ToyConfig(iterations=300, view_every_s=0.01)))
    runner.join(120)
    assert runner.snapshot().status == "finished"
    view = runner.extras["latest_view"]
    assert 0 < view.iteration <= 300 and len(view.fake) > 0


def test_a_race_runs_in_a_worker_with_each_side_complete(tmp_path):
    from gan.race import RaceBudget

    budget = RaceBudget("iterations", 20)
    configs = [budget.apply(tiny_config(arch)) for arch in ("mlp", "dcgan")]
    runner = start(RaceJob(("A", "B"), configs, budget, str(tmp_path)))
    runner.join(180)
    snap = runner.snapshot()
    assert snap.status == "finished", snap.error
    assert [side.iteration for side in snap.sides] == [20, 20]
    assert [side.records[-1]["iteration"] for side in snap.sides] == [20, 20]
    assert all(len({r["iteration"] for r in side.records}) == len(side.records) for side in snap.sides)
    assert snap.verdict and len(snap.saved_to) == 2


def test_a_worker_that_cannot_see_the_app_disk_ships_its_files_and_the_app_writes_them(tmp_path):
    from gan.runs import list_runs, write_run_files

    job = TrainJob(tiny_config(iterations=100_000), str(tmp_path), "shipped", autosave_s=0.0)
    folder = job.reserve()[0]  # by the app, on its disk
    job.ship_files = True  # what a cluster backend sets for an actor on another node
    core = WorkerCore(pickle.loads(pickle.dumps(job)), threads=1)  # the actor's copy of the job
    mirror = job.mirror()
    try:
        wait_for(lambda: core.runner.snapshot().autosaved_to is not None, 120, "an autosave")
        core.call("pause", ())
        wait_for(lambda: core.runner.snapshot().status == "paused", what="a paused worker")
        news = core.poll()["news"]
        assert not (folder / "checkpoint.pt").exists()  # the worker wrote nothing into the app's folder
        assert [(f, sorted(files)) for f, files in news["files"]] == [(str(folder), ["checkpoint.pt"])]
        mirror.merge(news)
        snap = mirror.snapshot()
        assert snap.autosaved_to == str(folder) and snap.autosaved_iteration > 0
        assert load_checkpoint(folder / "checkpoint.pt")["iteration"] >= snap.autosaved_iteration
        assert core.poll()["news"]["files"] == []  # paused: nothing new, nothing sent again
    finally:
        core.stop()  # the final save: every file of the run
    reply = core.poll()
    assert reply["ended"] and sorted(reply["news"]["files"][0][1]) == ["checkpoint.pt", "metrics.csv", "progress.gif"]
    mirror.merge(reply["news"])
    snap = mirror.snapshot()
    assert snap.status == "stopped" and snap.saved_to == str(folder) and snap.error is None
    assert sorted(p.name for p in folder.iterdir()) == ["checkpoint.pt", "metrics.csv", "progress.gif"]  # no temp
    assert load_checkpoint(folder / "checkpoint.pt")["iteration"] == snap.iteration
    assert [run.path for run in list_runs(tmp_path)] == [folder / "checkpoint.pt"]  # the Latent Explorer lists it
    with pytest.raises(ValueError, match="holds only"):  # a message names a run's files, never another path
        write_run_files(folder, {"../elsewhere.pt": b""})


def test_a_local_worker_writes_its_files_itself_and_ships_none(tmp_path):

    job = TrainJob(tiny_config(iterations=20), str(tmp_path), "local", autosave_s=0.0)
    folder = job.reserve()[0]
    core = WorkerCore(job, threads=1)
    wait_for(lambda: not core.runner.alive, 120, "the end of the run")
    reply = core.poll()
    assert reply["ended"] and reply["news"]["files"] == []
    assert load_checkpoint(folder / "checkpoint.pt")["iteration"] == 20


class _NothingJob(Job):
    def build(self):
        return SimpleNamespace(start=lambda: None)

    def feed(self, runner):
        return None


def test_a_worker_takes_the_niceness_the_scheduler_gave_it(monkeypatch):
    asked = []
    monkeypatch.setattr(os, "nice", asked.append)  # the test process keeps its own priority
    WorkerCore(_NothingJob(), threads=torch.get_num_threads(), niceness=10)  # what worker_main does in the child
    WorkerCore(_NothingJob(), threads=torch.get_num_threads(), niceness=0)
    assert asked == [10]


@pytest.mark.parametrize("cycle", [False, True])
def test_a_run_on_uploaded_images_keeps_them_in_its_folder_when_reserved(tmp_path, cycle):
    import numpy as np

    a, b = np.zeros((70, 32, 32, 3), np.uint8), np.full((80, 32, 32, 3), 255, np.uint8)
    config = tiny_config("cyclegan" if cycle else "mlp", dataset="images-rgb", image_size=32,
                         image_folder="uploaded", image_folder_b="uploaded" if cycle else "")
    job = TrainJob(config, str(tmp_path), "mine", images=(a, b) if cycle else a)
    [folder] = job.reserve()
    assert job.config.image_folder == str((folder / "images.npz").resolve())
    assert job.config.image_folder_b == (str((folder / "images_b.npz").resolve()) if cycle else "")
    with np.load(folder / "images.npz") as kept:
        assert kept["images"].shape == a.shape
    assert job.reserve() == [folder] and sorted(p.name for p in folder.iterdir() if p.suffix == ".npz") == \
        (["images.npz", "images_b.npz"] if cycle else ["images.npz"])
