import pytest
import torch

from arena.gate import TrainingGate
from arena.runner import TrainingRunner
from gan.train import GANTrainer
from tests.conftest import tiny_config, wait_for


def make(digits, **overrides):
    return lambda: GANTrainer(tiny_config(**{"iterations": 10_000, **overrides}), images=digits)


def test_runs_in_the_background_and_stops_on_request(digits):
    runner = TrainingRunner(make(digits)).start()
    wait_for(lambda: runner.snapshot().iteration >= 3)
    snap = runner.snapshot()
    assert snap.status == "running" and snap.samples is not None and len(snap.records) >= 3
    runner.stop()
    assert not runner.alive and runner.snapshot().status == "stopped"
    assert runner.checkpoint_state()["iteration"] == runner.snapshot().iteration


def test_finishes_its_budget(digits):
    runner = TrainingRunner(make(digits, iterations=5)).start()
    runner.join(30)
    snap = runner.snapshot()
    assert (snap.status, snap.iteration, snap.progress) == ("finished", 5, 1.0)
    assert [r["iteration"] for r in snap.records] == [1, 2, 3, 4, 5]
    assert [r["iteration"] for r in runner.snapshot(since=3).records] == [4, 5]


def test_pause_then_step_each_player(digits):
    runner = TrainingRunner(make(digits), start_paused=True).start()
    wait_for(lambda: runner.snapshot().status == "paused")
    trainer = runner.trainer
    g_before = [p.detach().clone() for p in trainer.G.parameters()]
    d_before = [p.detach().clone() for p in trainer.D.parameters()]
    runner.step("d")
    wait_for(lambda: len(runner.snapshot().records) == 1)
    assert all(torch.equal(a, b) for a, b in zip(g_before, trainer.G.parameters(), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(d_before, trainer.D.parameters()))
    runner.step("g")
    wait_for(lambda: len(runner.snapshot().records) == 2)
    assert not all(torch.equal(a, b) for a, b in zip(g_before, trainer.G.parameters()))
    runner.step("iteration")
    wait_for(lambda: runner.snapshot().iteration == 1)
    assert runner.snapshot().status == "paused"
    with pytest.raises(ValueError):
        runner.step("both")
    runner.resume()
    wait_for(lambda: runner.snapshot().iteration > 3)
    runner.stop()


def test_learning_rate_changes_are_applied_live_and_marked(digits):
    runner = TrainingRunner(make(digits)).start()
    wait_for(lambda: runner.snapshot().iteration >= 1)
    runner.set_lr(lr_d=5e-5)
    runner.set_d_steps(3)
    wait_for(lambda: runner.snapshot().lr_d == 5e-5 and runner.snapshot().d_steps == 3)
    runner.stop()
    names = [e["name"] for e in runner.snapshot().events]
    assert names == ["lr_d", "d_steps"]


def test_divergence_is_reported_and_the_good_state_kept(digits):
    def exploding():
        trainer = GANTrainer(tiny_config(iterations=100), images=digits)
        original = trainer.d_step

        def d_step(*args, **kwargs):
            original(*args, **kwargs)
            if trainer.iteration == 4:
                with torch.no_grad():
                    next(iter(trainer.D.parameters())).fill_(float("inf"))

        trainer.d_step = d_step
        return trainer

    runner = TrainingRunner(exploding).start()
    runner.join(30)
    snap = runner.snapshot()
    assert snap.status == "diverged" and "NaN or infinite" in snap.error
    state = runner.checkpoint_state()
    assert all(torch.isfinite(v).all() for v in state["discriminator"].values() if v.is_floating_point())


def test_a_failure_in_the_thread_is_reported_not_swallowed():
    def broken():
        raise ValueError("no such dataset")

    runner = TrainingRunner(broken).start()
    runner.join(10)
    assert runner.snapshot().status == "failed" and "no such dataset" in runner.snapshot().error


def test_an_abandoned_run_stops_by_itself(digits):
    runner = TrainingRunner(make(digits), idle_timeout=0.3).start()
    runner.join(10)  # nobody polls: the run stops by itself (the join only bounds a hang)
    assert not runner.alive and runner._snap.status == "stopped"


def test_runs_wait_in_line_for_a_free_slot(digits):
    gate = TrainingGate(1)
    first = TrainingRunner(make(digits), gate=gate).start()
    wait_for(lambda: first.snapshot().status == "running")
    second = TrainingRunner(make(digits), gate=gate).start()
    third = TrainingRunner(make(digits), gate=gate).start()
    wait_for(lambda: gate.waiting == 2)
    assert (second.snapshot().status, second.snapshot().queue_position) == ("queued", 1)
    assert third.snapshot().queue_position == 2
    first.stop()
    wait_for(lambda: second.snapshot().status == "running")
    assert third.snapshot().queue_position == 1
    third.stop()  # leaving the line frees it
    assert gate.waiting == 0
    second.stop()
    assert gate.running == 0


def test_quality_is_scored_at_intervals(digits):
    calls = []

    def scorer(trainer):
        calls.append(trainer.iteration)
        return {"fid": 1.0}

    runner = TrainingRunner(make(digits, iterations=6), scorer=scorer, score_every=2).start()
    runner.join(30)
    assert [q["iteration"] for q in runner.snapshot().quality] == [2, 4, 6]


def test_a_run_that_ends_is_saved_once_and_says_where(digits, tmp_path):
    saved = []

    def save(state):
        saved.append(state["iteration"])
        return str(tmp_path / "run")

    runner = TrainingRunner(make(digits, iterations=6), on_end=save).start()
    runner.join(30)
    snap = runner.snapshot()
    assert saved == [6] and snap.saved_to == str(tmp_path / "run")
    iterations, grids = runner.timeline()
    assert iterations[0] == 0 and len(iterations) == len(grids) and grids[0].dtype == torch.uint8


def test_a_failed_save_is_reported_without_hiding_the_outcome(digits):
    def save(state):
        raise OSError("disk full")

    runner = TrainingRunner(make(digits, iterations=3), on_end=save).start()
    runner.join(30)
    snap = runner.snapshot()
    assert snap.status == "finished" and "disk full" in snap.error and snap.saved_to is None


def test_a_full_disk_is_named_in_plain_words_and_the_last_autosave_stays(digits, tmp_path):
    from gan.checkpoint import save_checkpoint
    from gan.fileio import DiskFull

    path = tmp_path / "run" / "checkpoint.pt"

    def autosave(state):
        return str(save_checkpoint(state, path).parent)

    def save_on_a_full_disk(state):
        raise DiskFull(28, f"disk full: could not write {path.name} (the previous version is kept)")

    runner = TrainingRunner(make(digits, iterations=40), on_end=save_on_a_full_disk, autosave=autosave,
                            autosave_s=0.0).start()
    runner.join(30)
    snap = runner.snapshot()
    assert snap.status == "finished" and snap.error.startswith("The run could not be saved: disk full")
    assert "Errno" not in snap.error and "OSError" not in snap.error and "teacher" in snap.error
    assert snap.autosaved_to == str(path.parent) and path.exists()  # the last good checkpoint is kept


def test_a_wind_up_that_fails_still_gives_the_slot_back():
    """A run whose tidying up raises (a summary written from scores it did not expect) kept its slot for ever: after
    ten such runs a class server queued every Start."""
    import threading

    from arena.background import BackgroundRun

    class Tidies(BackgroundRun):
        published: dict = {}

        def _work(self):
            return {"status": "finished"}

        def _wind_up(self, end):
            raise KeyError("classes_covered")

        def _set(self, **changes):
            self.published = changes

    gate = threading.BoundedSemaphore(1)
    run = Tidies(gate=gate).start()
    run.join(30)
    assert not run.alive and gate.acquire(blocking=False)  # the slot came back
    assert run.published["status"] == "finished" and "tidying up after it failed" in run.published["error"]


def test_a_run_on_shapes_is_diagnosed_without_digit_scores():
    from gan.diagnose import diagnose

    records = [{"iteration": i, "d_loss": 1.2, "g_loss": 0.8, "d_acc_real": 0.6, "d_acc_fake": 0.6, "d_real": 0.55,
                "d_fake": 0.45} for i in range(1, 2001)]
    shapes = [{"iteration": i, "fid": 90.0, "shape_histogram": [0.0, 0.0, 0.9], "shapes_covered": 1}
              for i in range(100, 2001, 100)]
    assert [a.key for a in diagnose(records, shapes)] == []
