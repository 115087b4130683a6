"""Run folders: every run started gets a folder of its own, however many start in the same second."""

from __future__ import annotations

import threading

from arena.worker import RaceJob, TrainJob
from gan.race import RaceBudget
from gan.runs import new_run_dir
from tests.conftest import tiny_config


def test_runs_started_in_the_same_second_get_a_folder_each(tmp_path):
    # A class pressing Start together: the folders must differ before anything is saved into them.
    folders, start = [], threading.Barrier(8)

    def reserve():
        start.wait()
        folders.append(new_run_dir(tmp_path / "runs", "fast"))

    threads = [threading.Thread(target=reserve) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(folders)) == 8 and all(folder.is_dir() for folder in folders)
    assert {folder.parent for folder in folders} == {tmp_path / "runs"}


def test_a_train_job_reserves_its_folder_when_it_starts_and_gives_an_unused_one_back(tmp_path):
    jobs = [TrainJob(tiny_config(iterations=10), str(tmp_path), "same-label") for _ in range(3)]
    reserved = [folder for job in jobs for folder in job.reserve()]
    for job in jobs:
        job.build()  # the runner is not started: nothing is saved yet; it saves into the reserved folder
    assert [folder for job in jobs for folder in job.reserve()] == reserved
    assert len(set(reserved)) == 3 and all(folder.is_dir() for folder in reserved)
    (reserved[0] / "checkpoint.pt").write_bytes(b"saved")
    for job in jobs:
        job.wind_up()
    assert [folder.exists() for folder in reserved] == [True, False, False]  # a saved run stays


def test_a_race_reserves_one_folder_per_side_even_with_equal_labels(tmp_path):
    job = RaceJob(("MLP", "MLP"), [tiny_config(), tiny_config()], RaceBudget("iterations", 4), str(tmp_path))
    folders = job.reserve()
    assert len(set(folders)) == 2 and all(folder.is_dir() for folder in folders)


def test_a_killed_workers_unused_folder_is_given_back_by_the_server(tmp_path):
    import os
    import signal

    from arena.scheduler import Scheduler, SlotPlan
    from arena.worker import WorkerRunner
    from tests.conftest import wait_for

    gate = Scheduler(SlotPlan(slots=1, threads=1))
    job = TrainJob(tiny_config(iterations=10_000_000), str(tmp_path), "killed", autosave_s=3600)
    runner = WorkerRunner(job, gate=gate, settings=gate.settings).start()
    wait_for(lambda: runner.snapshot().iteration > 0, what="the run training")
    folder = job.reserve()[0]  # the server's copy of the job knows the folder the worker saves into
    assert folder.is_dir() and not any(folder.iterdir())
    os.kill(runner.process.pid, signal.SIGKILL)  # no autosave yet: nothing in the folder
    runner.join(60)
    assert runner.snapshot().status == "failed" and not folder.exists()
