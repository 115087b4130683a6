"""The server's limits: what a request will cost is judged before anything is built, and a refusal names the limit
and the setting that raises it."""

from __future__ import annotations

import pytest
import torch

import gan.models
from arena.limits import LimitExceeded, ServerLimits, memory_need
from arena.scheduler import Scheduler, SlotPlan
from arena.worker import RaceJob, TrainJob, WorkerRunner
from gan.config import preset
from gan.cost import generator_cost, training_cost
from gan.models import build_discriminator, build_generator
from gan.presets.races import RACES
from gan.presets.train import LESSONS
from gan.race import RaceBudget
from tests.conftest import tiny_config, wait_for

GIB = 2**30
# The attack of issue 24: the widest nets and the biggest batch the config allows.
HUGE = preset("dcgan", latent_dim=4096, g_width=4096, d_width=4096, batch_size=4096, d_steps=100, seconds=600)


def test_the_estimate_counts_the_real_parameters_and_grows_with_the_batch():
    for arch in ("mlp", "dcgan", "cgan", "sgan", "cyclegan"):
        config = preset(arch)
        cost = training_cost(config)
        if arch != "cyclegan":
            real = sum(p.numel() for net in (build_generator(config), build_discriminator(config))
                       for p in net.parameters())
            assert cost.parameters == real, arch
        doubled = training_cost(config.replace(batch_size=2 * config.batch_size))
        assert doubled.activations == pytest.approx(2 * cost.activations, rel=0.01), arch
        assert doubled.weights == cost.weights, arch


def test_the_huge_config_is_refused_before_anything_is_allocated(monkeypatch):
    def no_real_model(*args, **kwargs):
        if torch.empty(0).device.type != "meta":
            raise AssertionError("a model was built for real")
        return build(*args, **kwargs)

    build = gan.models.build_generator
    monkeypatch.setattr(gan.models, "build_generator", no_real_model)
    cost = training_cost(HUGE)
    assert cost.memory > 30 * GIB  # ~36 GiB of weights and Adam state alone
    with pytest.raises(LimitExceeded, match="GAN_ARENA_MAX_RUN_MEMORY_MB"):
        ServerLimits().check_training(HUGE)


def test_every_lesson_and_race_fits_the_default_limits():
    limits = ServerLimits()
    for slug, item in LESSONS.items():
        limits.check_training(item.config)  # raises if a preset the app offers were refused
    for slug, race in RACES.items():
        RaceJob(race.labels, [race.budget.apply(c) for c in race.configs], race.budget, "runs").check(limits)


def test_a_run_longer_than_the_limit_and_a_download_are_refused():
    limits = ServerLimits(run_minutes=15)
    with pytest.raises(LimitExceeded, match="GAN_ARENA_MAX_RUN_MINUTES"):
        limits.check_training(preset("mlp", seconds=604_800))
    with pytest.raises(LimitExceeded, match="GAN_ARENA_ALLOW_DOWNLOADS"):
        limits.check_training(preset("mlp", dataset="mnist", download=True, seconds=60))
    ServerLimits(allow_downloads=True).check_training(preset("mlp", dataset="mnist", download=True, seconds=60))
    with pytest.raises(LimitExceeded, match="budget"):  # a race holds one slot for both sides' time
        RaceJob(("A", "B"), [tiny_config(), tiny_config()], RaceBudget("seconds", 600), "runs").check(limits)


def test_a_full_runs_folder_refuses_a_new_run(tmp_path):
    runs = tmp_path / "runs"
    (runs / "old").mkdir(parents=True)
    (runs / "old" / "checkpoint.pt").write_bytes(b"\0" * (3 * 2**20))
    cost = ServerLimits().check_training(preset("mlp", seconds=60))
    ServerLimits(runs_folder_mb=100).check_room(cost, runs, memory_budget=None)
    with pytest.raises(LimitExceeded, match="GAN_ARENA_MAX_RUNS_MB"):
        ServerLimits(runs_folder_mb=3).check_room(cost, runs, memory_budget=None)


def test_a_run_that_needs_more_than_all_the_trainings_memory_is_refused_at_once(tmp_path):
    cost = ServerLimits().check_training(preset("mlp", seconds=60))
    need = memory_need(cost)
    # Memory that the runs going hold is no reason to refuse: the run waits in line for it (the next test).
    ServerLimits().check_room(cost, tmp_path / "runs", memory_budget=need)
    with pytest.raises(LimitExceeded, match="more than the .* this server gives all its trainings together"):
        ServerLimits().check_room(cost, tmp_path / "runs", memory_budget=need - 1)  # it could never start


def test_a_run_queues_for_memory_with_a_reason_then_starts_when_the_memory_is_given_back(tmp_path):
    need = memory_need(training_cost(tiny_config()))
    gate = Scheduler(SlotPlan(slots=2, threads=1, memory=need + need // 2))  # a free slot, memory for one run

    def start(label: str) -> WorkerRunner:
        job = TrainJob(tiny_config(iterations=10_000_000), str(tmp_path), label)
        return WorkerRunner(job, gate=gate, settings=gate.settings, memory_need=need).start()

    first = start("first")
    wait_for(lambda: first.snapshot().status == "running", 120, "the first run training")
    second = start("second")
    wait_for(lambda: gate.waiting == 1, what="the second run in line")
    snap = second.snapshot()
    assert (snap.status, snap.queue_position, gate.running) == ("queued", 1, 1)
    assert snap.queue_reason.startswith("waiting for memory: 1 run uses") and snap.queue_wait_s > 0
    first.stop()  # its worker ends: its memory is given back
    wait_for(lambda: second.snapshot().status == "running", 120, "the second run training")
    assert second.snapshot().queue_reason is None
    second.stop()
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_generator_too_big_for_the_web_server_is_refused():
    limits = ServerLimits()
    for arch in ("mlp", "dcgan", "cgan"):
        limits.check_generator(preset(arch))  # the bundled generators' sizes load
    with pytest.raises(LimitExceeded, match="GAN_ARENA_MAX_GENERATOR_MB"):
        limits.check_generator(preset("dcgan", latent_dim=4096, g_width=4096))
    assert generator_cost(preset("dcgan", latent_dim=4096, g_width=4096)).memory > 1 * GIB


def test_limits_come_from_the_environment_and_bad_values_are_named():
    limits = ServerLimits.from_environment({"GAN_ARENA_MAX_RUN_MEMORY_MB": "512", "GAN_ARENA_MAX_RUN_MINUTES": "2.5",
                                            "GAN_ARENA_ALLOW_DOWNLOADS": "1"})
    assert (limits.run_memory_mb, limits.run_seconds, limits.allow_downloads) == (512, 150, True)
    assert ServerLimits.from_environment({}) == ServerLimits()
    with pytest.raises(ValueError, match="GAN_ARENA_MAX_RUNS_PER_BROWSER"):
        ServerLimits.from_environment({"GAN_ARENA_MAX_RUNS_PER_BROWSER": "lots"})


def test_a_run_that_holds_its_slot_too_long_is_stopped_saved_and_told_why(tmp_path):
    gate = Scheduler(SlotPlan(slots=1, threads=1))
    job = TrainJob(tiny_config(iterations=10_000_000), str(tmp_path), "forever")
    runner = WorkerRunner(job, gate=gate, settings=gate.settings, max_seconds=3600.0).start()
    wait_for(lambda: runner.snapshot().iteration > 0, what="the run training")
    runner._max_seconds = 0.0  # the hour is up (waiting for it on the clock would make the test a race)
    runner.join(120)
    snap = runner.snapshot()
    assert snap.status == "stopped" and "GAN_ARENA_MAX_RUN_MINUTES" in snap.error
    assert snap.saved_to and (tmp_path / snap.saved_to.split("/")[-1] / "checkpoint.pt").exists()
    wait_for(lambda: gate.running == 0, what="the slot given back")


def test_a_huge_sample_grid_is_refused_and_the_servers_copy_of_the_records_stays_bounded():
    from arena.worker import thin_records

    with pytest.raises(LimitExceeded, match="n_samples"):
        ServerLimits().check_training(preset("mlp", n_samples=1024, seconds=60))
    records = [{"iteration": i} for i in range(1, 100_001)]
    while len(records) > 20_000:  # what merging a long run's news does, a poll at a time
        thin_records(records, limit=20_000, newest=5_000)
    assert len(records) <= 20_000 and records[-5_000:] == [{"iteration": i} for i in range(95_001, 100_001)]
    assert records[0] == {"iteration": 1} and [r["iteration"] for r in records] == sorted(r["iteration"] for r in records)
