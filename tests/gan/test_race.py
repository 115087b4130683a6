"""The race engine: fairness (same data order, same noise, same budget), budgets, divergence, the runner."""

import math

import pytest
import torch

from gan.config import ConfigError
from arena.gate import TrainingGate
from gan.quality import QualityScore
from gan.presets.races import RACES
from gan.race import Contender, Race, RaceBudget, VerdictRow, check_shared, contender_from_checkpoint, verdict
from arena.race_runner import RaceRunner
from gan.train import GANTrainer
from tests.conftest import tiny_config, wait_for


def record_batches(trainer: GANTrainer) -> list[list[int]]:
    """Make the trainer's sampler log every index batch it hands out."""
    drawn, draw = [], trainer.sampler.next

    def logged():
        batch = draw()
        drawn.append(batch.tolist())
        return batch

    trainer.sampler.next = logged
    return drawn


def tiny_race(budget: RaceBudget, digits, **overrides) -> Race:
    return Race([tiny_config("mlp", **overrides), tiny_config("dcgan", **overrides)], budget, ("MLP", "DCGAN"),
                images=digits)


# ---------------------------------------------------------------------------------------------- the same data
def test_two_architectures_with_the_same_seed_draw_identical_index_batches(digits):
    # Different latent sizes and a D pre-training: the two draw different amounts of noise, yet see the same data.
    mlp = GANTrainer(tiny_config("mlp", latent_dim=8, d_pretrain_steps=2, iterations=40), images=digits)
    dcgan = GANTrainer(tiny_config("dcgan", latent_dim=32, iterations=40), images=digits)
    drawn_mlp, drawn_dcgan = record_batches(mlp), record_batches(dcgan)
    list(mlp.run())
    list(dcgan.run())
    assert len(drawn_mlp) == 42 and len(drawn_dcgan) == 40  # 40 iterations cross an epoch (512 / 16 = 32 batches)
    assert drawn_mlp[:40] == drawn_dcgan
    assert not torch.equal(mlp.rng.get_state(), dcgan.rng.get_state())  # their noise streams did part ways


def test_different_batch_sizes_still_visit_the_digits_in_the_same_order(digits):
    small = GANTrainer(tiny_config("mlp", batch_size=16), images=digits)
    large = GANTrainer(tiny_config("dcgan", batch_size=32), images=digits)
    assert torch.equal(torch.cat([small.sampler.next(), small.sampler.next()]), large.sampler.next())


def test_the_data_order_survives_a_checkpoint_round_trip(digits):
    straight = GANTrainer(tiny_config(iterations=6), images=digits)
    drawn = record_batches(straight)
    list(straight.run())
    first = GANTrainer(tiny_config(iterations=3), images=digits)
    list(first.run())
    resumed = GANTrainer.from_checkpoint(first.state_dict(), images=digits, iterations=6)
    resumed_drawn = record_batches(resumed)
    list(resumed.run())
    assert resumed_drawn == drawn[3:]


def test_a_race_shows_both_sides_the_same_fixed_noise_when_latent_sizes_match(digits):
    race = tiny_race(RaceBudget("iterations", 1), digits)
    assert torch.equal(race.trainers[0].fixed_inputs[0], race.trainers[1].fixed_inputs[0])


def test_both_sides_must_share_seed_and_data(digits):
    with pytest.raises(ConfigError, match="same seed"):
        Race([tiny_config("mlp", seed=1), tiny_config("dcgan", seed=2)], RaceBudget("iterations", 2), images=digits)
    with pytest.raises(ConfigError, match="same dataset"):
        check_shared([tiny_config("mlp"), tiny_config("mlp", dataset="mnist")])


# ---------------------------------------------------------------------------------------------- the same budget
def test_an_iteration_race_moves_the_two_sides_in_lockstep(digits):
    race = tiny_race(RaceBudget("iterations", 5), digits)
    moves = [(side, record.iteration) for side, record in race.run()]
    assert moves == [(side, i) for i in range(1, 6) for side in (0, 1)]
    assert [t.iteration for t in race.trainers] == [5, 5] and race.finished() and race.progress() == 1.0


def test_a_seconds_race_gives_both_sides_the_same_training_time(digits):
    # The DCGAN side is made much slower per iteration: equal time must mean many more MLP iterations.
    race = Race([tiny_config("mlp"), tiny_config("dcgan", g_width=64, d_width=32, batch_size=64)],
                RaceBudget("seconds", 0.6), images=digits)
    longest_step = 0.0
    while not race.finished():
        before = [race.clock(0), race.clock(1)]
        side, _ = race.step()
        other = 1 - side
        assert before[side] <= before[other] or race.done(other)  # only the side behind (or left alone) moves
        longest_step = max(longest_step, race.clock(side) - before[side])
    mlp, dcgan = race.trainers
    assert mlp.elapsed >= 0.6 and dcgan.elapsed >= 0.6
    assert abs(mlp.elapsed - dcgan.elapsed) <= longest_step + 1e-6
    assert mlp.iteration > dcgan.iteration


def test_budgets_are_validated():
    for unit, amount, message in (("minutes", 1, "unit"), ("iterations", 2.5, "whole number"),
                                  ("seconds", 0, "in \\(0"), ("seconds", math.nan, "finite")):
        with pytest.raises(ConfigError, match=message):
            RaceBudget(unit, amount).validate()
    config = RaceBudget("seconds", 30).apply(tiny_config(iterations=100, epochs=2.0))
    assert (config.iterations, config.epochs, config.seconds) == (None, None, 30.0)


def test_every_race_preset_is_a_fair_valid_race():
    for race in RACES.values():
        configs = [race.budget.validate().apply(c).validate() for c in race.configs]
        check_shared(configs)
    assert RACES["architecture"].budget.unit == "iterations" and RACES["architecture-time"].budget.unit == "seconds"
    assert [c.arch for c in RACES["architecture"].configs] == ["mlp", "dcgan"]


def test_a_diverging_side_stops_with_its_last_good_weights_and_the_other_finishes(digits):
    race = tiny_race(RaceBudget("iterations", 8), digits)
    dcgan = race.trainers[1]
    calls = {"n": 0}

    def poison(module, inputs, output):
        calls["n"] += 1
        return output * math.nan if calls["n"] > 6 else output

    dcgan.D.register_forward_hook(poison)
    list(race.run())
    assert race.trainers[0].iteration == 8 and race.finished()
    assert "diverged" in race.errors[1] and race.errors[0] is None
    assert dcgan.iteration < 8
    assert all(torch.isfinite(p).all() for p in dcgan.G.parameters())


# ---------------------------------------------------------------------------------------------- the verdict
def quality(fid: float, classes: int = 10) -> QualityScore:
    return QualityScore(fid=fid, confidence=0.8, class_histogram=(0.1,) * 10, classes_covered=classes,
                        recognisable=0.5)


def test_the_verdict_names_the_better_side_of_each_row():
    a = Contender("A", tiny_config(), quality(120.0, 6), params_g=1000, params_d=500, iteration=900, elapsed=3.0)
    b = Contender("B", tiny_config("dcgan"), quality(40.0, 10), params_g=300, params_d=500, iteration=30,
                  elapsed=3.0)
    rows = {row.criterion.split(" (")[0].split(",")[0]: row for row in verdict(a, b)}
    assert rows["Classifier FID"].winner == 1
    assert rows["Digit classes covered"].winner == 1
    assert rows["Speed"].winner == 0 and rows["Speed"].values == (300.0, 10.0)
    assert rows["Classifier confidence"].winner is None  # a tie
    assert rows["Iterations"].winner is None  # informative only
    assert rows["Classifier FID"].formatted() == ("120.0", "40.0")
    assert VerdictRow("x", (None, 1.0), "lower", "{:.1f}").formatted() == ("—", "1.0")


def test_a_checkpoint_is_a_contender(digits):
    trainer = GANTrainer(tiny_config(iterations=3), images=digits)
    list(trainer.run())
    c = contender_from_checkpoint("saved", trainer.state_dict())
    assert (c.iteration, c.params_g) == (3, sum(p.numel() for p in trainer.G.parameters()))
    assert c.elapsed == pytest.approx(trainer.elapsed) and c.images_seen == 3 * 16
    assert contender_from_checkpoint("bundled", {"config": tiny_config(), "iteration": 5}).its_per_sec is None


# ---------------------------------------------------------------------------------------------- the runner

def test_the_runner_races_both_sides_to_a_verdict_and_saves_both(digits):
    saved, labels = [], ("MLP", "DCGAN")
    runner = RaceRunner(lambda: tiny_race(RaceBudget("iterations", 6), digits), quality_points=2,
                        sample_interval=0.0, on_end=lambda side, state: saved.append((labels[side], state)) or labels[side])
    runner.start().join(60)
    snap = runner.snapshot()
    assert snap.status == "finished" and snap.progress == 1.0 and not snap.active
    for side in snap.sides:
        assert side.iteration == 6 and side.done and len(side.records) == 6 and side.samples is not None
        assert [q["iteration"] for q in side.quality] == [0, 3, 6]  # the start, then every half of the race
        assert side.params_g > 0 and side.params_d > 0
    assert snap.verdict[0].criterion.startswith("Classifier FID") and None not in snap.verdict[0].values
    assert [label for label, _ in saved] == ["MLP", "DCGAN"] and snap.saved_to == ["MLP", "DCGAN"]
    assert saved[0][1]["iteration"] == 6 and "fid" in saved[0][1]["quality"]


def test_the_runner_stops_on_request_and_still_gives_a_verdict(digits):
    runner = RaceRunner(lambda: tiny_race(RaceBudget("iterations", 100_000), digits), scorer=None).start()
    wait_for(lambda: all(s.iteration >= 2 for s in runner.snapshot().sides))
    runner.stop()
    snap = runner.snapshot()
    assert snap.status == "stopped" and not runner.alive
    assert abs(snap.sides[0].iteration - snap.sides[1].iteration) <= 1
    assert snap.verdict is not None and snap.verdict[0].values == (None, None)  # not scored


def test_a_race_takes_one_gate_slot_and_a_second_race_waits(digits):
    gate = TrainingGate(1)
    first = RaceRunner(lambda: tiny_race(RaceBudget("iterations", 100_000), digits), gate=gate, scorer=None).start()
    wait_for(lambda: first.snapshot().status == "running")
    assert gate.running == 1
    second = RaceRunner(lambda: tiny_race(RaceBudget("iterations", 2), digits), gate=gate, scorer=None).start()
    wait_for(lambda: second.snapshot().queue_position == 1)
    first.stop()
    second.join(30)
    assert second.snapshot().status == "finished" and gate.running == 0


def test_a_failure_in_the_race_is_reported():
    def broken():
        raise ValueError("no such dataset here")

    runner = RaceRunner(broken).start()
    runner.join(10)
    snap = runner.snapshot()
    assert snap.status == "failed" and "no such dataset here" in snap.error
