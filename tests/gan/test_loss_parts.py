"""The numbers behind the maths beside the curves: each record carries the parts of D's loss (they add up to the
recorded loss, for every objective), the penalty D's update adds, and how long each player's gradient was."""

import pytest
import torch

from gan.losses import OBJECTIVES, d_objective, d_objective_parts, gradient_penalty
from gan.train import GANTrainer
from gan.train.loop import DETAIL_METRICS
from gan.train.toy import ToyTrainer
from gan.toy import ToyConfig
from tests.conftest import tiny_config

D_REAL, D_FAKE = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-3.0, 0.2, 1.5])


@pytest.mark.parametrize("kind", OBJECTIVES)
def test_the_two_parts_add_up_to_ds_objective(kind):
    real, fake = d_objective_parts(kind, D_REAL, D_FAKE, 0.0)
    assert (real + fake).item() == d_objective(kind, D_REAL, D_FAKE).item()
    if kind == "relativistic":  # one paired term: nothing to split
        assert fake.item() == 0
    else:  # the real part depends on the reals alone
        assert d_objective_parts(kind, D_REAL, D_FAKE + 1)[0].item() == real.item()


GAMES = [dict(), dict(g_loss="minimax", label_smoothing=0.1, r1=1.0), dict(objective="hinge", spectral_norm=True),
         dict(objective="wasserstein", gp=10.0), dict(objective="relativistic", r1=1.0, r2=1.0),
         dict(arch="dcgan", d_steps=2)]


@pytest.mark.parametrize("game", GAMES, ids=lambda g: "-".join(f"{k}={v}" for k, v in g.items()) or "seed")
def test_every_record_holds_ds_loss_as_its_parts_and_the_penalty_beside_it(game, digits):
    game = dict(game)
    trainer = GANTrainer(tiny_config(game.pop("arch", "mlp"), iterations=4, log_every=2, **game), images=digits)
    records = [r.metrics() for r in trainer.run()]
    assert len(records) == 2
    penalised = any(game.get(k) for k in ("r1", "r2", "gp"))
    for r in records:
        assert r["d_loss"] == pytest.approx(r["d_loss_real"] + r["d_loss_fake"], abs=1e-6)
        assert (r["d_penalty"] > 0) == penalised and r["d_penalty"] >= 0
        assert r["d_grad_norm"] > 0 and r["g_grad_norm"] > 0
        if game.get("objective") == "relativistic":
            assert r["d_loss_fake"] == 0
    for key in DETAIL_METRICS:  # in the history too (metrics.csv, a page that reopens the run)
        assert trainer.history[key] == [r[key] for r in records]


def test_the_recorded_penalty_and_gradient_norms_are_those_of_the_update(digits):
    trainer = GANTrainer(tiny_config(r1=2.0, precision="fp32"), images=digits)
    batch = trainer._draw_batch()
    x = trainer.real[batch[0]].clone().requires_grad_(True)
    expected_penalty = 2.0 / 2 * gradient_penalty(trainer.D(x).float(), x).item()  # R1 with the weights D steps from
    trainer.d_step(batch=batch)
    d_grads = torch.cat([p.grad.flatten() for p in trainer.D.parameters() if p.grad is not None])
    after_d = trainer.flush().metrics()
    assert after_d["d_penalty"] == pytest.approx(expected_penalty, rel=1e-4)
    assert after_d["d_grad_norm"] == pytest.approx(torch.linalg.vector_norm(d_grads).item(), rel=1e-5)
    trainer.g_step()
    g_grads = torch.cat([p.grad.flatten() for p in trainer.G.parameters() if p.grad is not None])
    after_g = trainer.flush().metrics()
    assert after_g["g_grad_norm"] == pytest.approx(torch.linalg.vector_norm(g_grads).item(), rel=1e-5)
    # G stepped alone: D's numbers carry over from the last record, as the curves' other numbers do
    assert {k: after_g[k] for k in ("d_loss_real", "d_penalty", "d_grad_norm")} == {
        k: after_d[k] for k in ("d_loss_real", "d_penalty", "d_grad_norm")}


def test_a_checkpoint_from_before_the_parts_resumes_and_records_them_from_then_on(digits):
    half = GANTrainer(tiny_config(iterations=2), images=digits)
    list(half.run())
    state = half.state_dict()
    state["history"] = {k: v for k, v in state["history"].items() if k not in DETAIL_METRICS}  # an older save
    resumed = GANTrainer.from_checkpoint(state, images=digits, iterations=4)
    records = [r.metrics() for r in resumed.run()]
    assert all(key in r for r in records for key in DETAIL_METRICS)
    lengths = {len(v) for v in resumed.history.values()}
    assert lengths == {4}  # the history stays a table: the old rows have no parts, so it keeps none


def test_a_trainer_that_does_not_measure_the_parts_records_none(digits):
    trainer = ToyTrainer(ToyConfig(g_width=16, d_width=16, batch_size=64, n_real=256, iterations=3, view_every_s=0.0))
    records = [r.metrics() for r in trainer.run()]
    assert records and not any(key in r for r in records for key in DETAIL_METRICS)
