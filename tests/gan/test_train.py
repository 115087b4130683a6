import itertools
import math

import numpy as np
import pytest
import torch

from gan.train import GANTrainer, Trainer, TrainingDiverged, train
from gan.train.gan import WarmingUpEMA
from tests.conftest import tiny_config


def params(net: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def changed(before: list[torch.Tensor], net: torch.nn.Module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_each_phase_moves_only_its_own_player(arch, digits):
    t = GANTrainer(tiny_config(arch), images=digits)
    g0, d0 = params(t.G), params(t.D)
    t.d_step()
    assert changed(d0, t.D) and not changed(g0, t.G)
    g1, d1 = params(t.G), params(t.D)
    t.g_step()
    assert changed(g1, t.G) and not changed(d1, t.D)
    assert all(p.requires_grad for p in t.D.parameters())  # D is unfrozen again after the G step


def test_one_iteration_runs_k_discriminator_updates_then_one_generator_update(digits):
    t = GANTrainer(tiny_config(d_steps=3), images=digits)
    t.iteration_step()
    assert t.opt_d.state[next(iter(t.D.parameters()))]["step"].item() == 3
    assert t.opt_g.state[next(iter(t.G.parameters()))]["step"].item() == 1
    assert t.iteration == 1


def test_records_carry_the_four_classic_numbers_and_samples_at_intervals(digits):
    records = list(train(tiny_config(iterations=4, sample_every=2), images=digits))
    assert [r.iteration for r in records] == [1, 2, 3, 4]
    assert [r.samples is not None for r in records] == [False, True, False, True]
    r = records[-1]
    assert r.samples.shape == (4, 1, 28, 28) and r.samples.abs().max() <= 1
    for value in (r.d_acc_real, r.d_acc_fake, r.d_real, r.d_fake):
        assert 0 <= value <= 1
    assert r.d_loss > 0 and math.isfinite(r.g_loss) and r.its_per_sec > 0
    assert r.epoch == pytest.approx(4 / (512 // 16))


def test_metrics_are_means_over_the_logging_window(digits):
    every = GANTrainer(tiny_config(iterations=6), images=digits)
    per_iteration = [r.d_loss for r in every.run()]
    windowed = [r.d_loss for r in train(tiny_config(iterations=6, log_every=3), images=digits)]
    assert windowed == pytest.approx([sum(per_iteration[:3]) / 3, sum(per_iteration[3:]) / 3], rel=1e-5)


def test_same_seed_same_losses_other_seed_other_losses(digits):
    def losses(seed):
        return [(r.d_loss, r.g_loss) for r in train(tiny_config("dcgan", seed=seed, iterations=3), images=digits)]

    assert losses(1) == losses(1)
    assert losses(1) != losses(2)


def test_budget_in_epochs_and_in_seconds(digits):
    by_epochs = GANTrainer(tiny_config(iterations=None, epochs=0.25), images=digits)
    list(by_epochs.run())
    assert by_epochs.iteration == 8  # floor(512 / 16) * 0.25
    by_time = GANTrainer(tiny_config(iterations=None, seconds=0.3), images=digits)
    list(by_time.run())
    assert by_time.elapsed >= 0.3 and by_time.iteration >= 1 and by_time.finished()


def test_time_between_records_is_not_counted_as_training(digits):
    import time

    t = GANTrainer(tiny_config(iterations=3), images=digits)
    started = time.perf_counter()
    for _ in t.run():
        time.sleep(0.5)  # a paused UI
    wall = time.perf_counter() - started
    assert t.elapsed <= wall - 3 * 0.5 + 0.01


def test_learning_rates_and_d_steps_change_between_iterations_and_are_logged(digits):
    t = GANTrainer(tiny_config(iterations=10), images=digits)
    run = t.run()
    next(run)
    t.set_lr(lr_d=1e-5)
    t.set_d_steps(2)
    next(run)
    assert t.opt_d.param_groups[0]["lr"] == 1e-5 and t.lr_g == pytest.approx(2e-4)
    assert [(e["name"], e["iteration"], e["new"]) for e in t.events] == [("lr_d", 1, 1e-5), ("d_steps", 1, 2)]
    with pytest.raises(ValueError, match="lr_g"):
        t.set_lr(lr_g=-1)


def test_discriminator_pretraining_moves_d_before_the_game(digits):
    t = GANTrainer(tiny_config(d_pretrain_steps=5, iterations=1), images=digits)
    g0, d0 = params(t.G), params(t.D)
    t.pretrain_d(5)
    assert changed(d0, t.D) and not changed(g0, t.G) and t.iteration == 0


def test_a_diverging_run_stops_with_an_explanation_and_keeps_the_last_good_state(digits):
    t = GANTrainer(tiny_config(iterations=20, sample_every=1), images=digits)
    t.good_state_every_s = 0  # remember every snapshot, not only every few seconds
    run = t.run()
    for _ in range(3):
        next(run)
    with torch.no_grad():
        next(iter(t.D.parameters())).fill_(float("nan"))  # what an exploding update leaves behind
    with pytest.raises(TrainingDiverged, match="lower lr_d") as err:
        next(run)
    good = t.good_state()
    assert err.value.last_good_iteration == good["iteration"] == 3
    assert all(torch.isfinite(v).all() for v in good["discriminator"].values() if v.is_floating_point())
    assert good["snapshot_iterations"][-1] <= 3


def test_fixed_noise_samples_do_not_disturb_training(digits):
    plain = [r.d_loss for r in train(tiny_config(iterations=4, sample_every=100), images=digits)]
    sampled = [r.d_loss for r in train(tiny_config(iterations=4, sample_every=1), images=digits)]
    assert plain == sampled


def test_snapshots_start_with_the_untrained_generator(digits):
    t = GANTrainer(tiny_config(iterations=4, sample_every=2), images=digits)
    list(t.run())
    assert t.snapshot_iterations == [0, 2, 4]
    assert t.snapshots[0].dtype == torch.uint8 and t.snapshots[0].shape == (4, 1, 28, 28)


def test_the_average_of_g_lags_the_live_weights_and_draws_the_samples_shown(digits):
    decay = 0.75
    t = GANTrainer(tiny_config(g_ema=decay), images=digits)
    live = []
    for _ in range(3):
        t.iteration_step()
        live.append(t.G.net[0].weight.detach().clone())
    # The first update copies G; the k-th later one keeps d_k = min(0.75, (1 + k) / (10 + k)) of the average.
    d1, d2 = 2 / 11, 3 / 12
    expected = d2 * (d1 * live[0] + (1 - d1) * live[1]) + (1 - d2) * live[2]
    assert [WarmingUpEMA.decay_at(k, decay) for k in (1, 2, 20, 10**6)] == pytest.approx([d1, d2, 21 / 30, decay])
    averaged = t.shown_generator.net[0].weight
    assert torch.allclose(averaged, expected, atol=1e-6)
    assert not torch.allclose(averaged, live[-1], atol=1e-6)
    assert all(not p.requires_grad or p.grad is None for p in t.shown_generator.parameters())
    t.shown_generator.eval()
    with torch.no_grad():
        assert torch.equal(t.sample_fixed(), t.shown_generator(*t.fixed_inputs))
    plain = GANTrainer(tiny_config(), images=digits)
    assert plain.shown_generator is plain.G and plain.G_ema is None  # off: G itself


def test_batch_larger_than_the_data_is_refused(digits):
    with pytest.raises(ValueError, match="larger than the dataset"):
        GANTrainer(tiny_config(batch_size=1024), images=digits)


def test_bf16_precision_trains(digits):
    records = list(train(tiny_config("dcgan", precision="bf16", iterations=2), images=digits))
    assert all(math.isfinite(r.d_loss) for r in records)


def test_a_single_d_or_g_step_carries_the_other_players_numbers_over(digits):
    trainer = GANTrainer(tiny_config(), images=digits)
    trainer.iteration_step()
    first = trainer.flush()
    trainer.d_step()
    after_d = trainer.flush()
    trainer.g_step()
    after_g = trainer.flush()
    assert after_d.g_loss == first.g_loss and after_d.d_loss != first.d_loss
    assert after_g.d_loss == after_d.d_loss and after_g.g_loss != after_d.g_loss


def test_conditional_gan_trains_both_players_and_needs_labels(digits):
    from gan.data import load_images

    images, labels = load_images("mnist-embedded")
    cfg = tiny_config("dcgan").replace(arch="cgan", d_width=8, n_samples=20)
    trainer = GANTrainer(cfg, images=images[:512], labels=labels[:512])
    g_before, d_before = params(trainer.G), params(trainer.D)
    records = list(trainer.run())
    assert changed(g_before, trainer.G) and changed(d_before, trainer.D)
    assert records[-1].iteration == cfg.iterations
    assert trainer.fixed_inputs[1].tolist() == [d for d in range(10) for _ in range(2)]  # a row per digit
    with pytest.raises(ValueError, match="needs the images' labels"):
        GANTrainer(cfg, images=images[:512])


# Which optional capabilities of the contract each trainer offers (gan.train.protocol): the others are None.
CAPABILITIES = {"mlp": set(), "dcgan": {"live_samples"}, "cgan": set(), "sgan": {"classifier_history"},
                "cyclegan": set(), "toy": {"latest_view"}}


def _contract_config(arch):
    from gan.toy import ToyConfig

    if arch == "toy":
        return ToyConfig(iterations=400, log_every=1)  # a live picture at the start, then every 0.2 s
    return tiny_config(arch, iterations=4, sample_every=2, **({"g_ema": 0.9} if arch == "dcgan" else {}))


def _fresh_trainer(arch):
    from gan.train import build_trainer
    from gan.train.toy import ToyTrainer

    config = _contract_config(arch)
    return ToyTrainer(config) if arch == "toy" else build_trainer(config)


@pytest.mark.parametrize("arch", sorted(CAPABILITIES))
def test_every_trainer_is_driven_through_the_contract_alone(arch):
    """The runner, worker and race use only what gan.train.protocol.Trainer declares: drive each trainer through it
    (the type checker holds the signatures), and resume its state in a fresh one through the one state reader."""
    trainer: Trainer = _fresh_trainer(arch)
    records = list(itertools.islice(trainer.run(), 2))
    assert 0 < records[0].iteration < records[1].iteration == trainer.iteration
    trainer.set_lr(lr_g=3e-4, lr_d=4e-4)
    trainer.set_d_steps(2)
    assert (trainer.lr_g, trainer.lr_d, trainer.d_steps) == (3e-4, 4e-4, 2)
    trainer.measured_step("d")
    trainer.iteration_step()
    assert trainer.flush() is not None and trainer.iteration == records[1].iteration + 1
    trainer.take_snapshot()
    offered = {name for name in ("live_samples", "classifier_history", "latest_view")
               if getattr(trainer, name) is not None}
    assert offered == CAPABILITIES[arch]

    state = trainer.state_dict()
    resumed: Trainer = _fresh_trainer(arch)
    resumed.load_state_dict(state)
    assert (resumed.iteration, resumed.d_steps, resumed.lr_g, resumed.lr_d) == (trainer.iteration, 2, 3e-4, 4e-4)
    assert resumed.history == trainer.history and resumed.events == trainer.events
    assert resumed.snapshot_iterations == trainer.snapshot_iterations
    for key, value in trainer.G.state_dict().items():
        assert torch.equal(resumed.G.state_dict()[key], value), key
    assert resumed.good_state()["iteration"] == trainer.iteration


def test_a_measured_step_leaves_the_thread_out_of_bf16_autocast():
    """A measured step judges its batch inside the trainer's autocast and calls the judge, which enters it again: one
    torch.autocast object entered twice left autocast on, and the next net the thread ran computed in bf16."""
    trainer = GANTrainer(tiny_config(precision="bf16", iterations=2))
    trainer.measured_step("d")
    assert not torch.is_autocast_enabled("cpu")


def test_the_sgan_trainer_is_built_through_the_gan_trainers_constructor(monkeypatch):
    """SGANTrainer once set some 40 attributes by hand instead of running GANTrainer.__init__ (and so lacked
    live_samples): now it runs it, once."""
    from gan.train.sgan import SGANTrainer

    calls = []
    original = GANTrainer.__init__
    def counted(self, *args, **kwargs):
        calls.append(type(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(GANTrainer, "__init__", counted)
    SGANTrainer(tiny_config("sgan", iterations=1))
    assert calls == [SGANTrainer]


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "cgan"])
@pytest.mark.parametrize("kind", ["d", "g"])
def test_a_single_step_is_measured_on_its_own_batch_before_and_after(arch, kind, digits):
    labels = {"labels": np.arange(len(digits)) % 10} if arch == "cgan" else {}
    trainer = GANTrainer(tiny_config(arch, iterations=100, lr_d=1e-3, lr_g=1e-3), images=digits, **labels)
    run = trainer.run()
    for _ in range(3):
        next(run)
    moved = trainer.measured_step(kind)
    record = trainer.flush()
    loss = "d_loss" if kind == "d" else "g_loss"
    # "before" is the very loss the step trained on: the same batch, judged the same way (the previous record was
    # another batch, which made a step that helped read as one that hurt)
    assert moved["before"][loss] == pytest.approx(getattr(record, loss), rel=1e-4)
    assert moved["after"][loss] < moved["before"][loss]  # one small step on a batch lowers the loss on that batch


def test_judging_a_batch_leaves_the_running_statistics_alone(digits):
    trainer = GANTrainer(tiny_config("dcgan", iterations=100), images=digits)
    next(trainer.run())
    buffers = [b.clone() for net in (trainer.G, trainer.D) for b in net.buffers()]
    trainer._judge_batch(trainer._draw_batch())
    assert all(torch.equal(a, b) for a, b in zip(buffers, (b for net in (trainer.G, trainer.D) for b in net.buffers())))
