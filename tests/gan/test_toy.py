"""The 2-D playground's core: toy data, the picture's grids and arrows, the distances, and ToyTrainer's game."""

from __future__ import annotations

import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from gan.config import ConfigError
from gan.losses import generator_loss, least_squares_discriminator_loss
from arena.runner import TrainingRunner
from gan.presets.playground import LESSONS
from gan.toy import (BOX, DATASETS, ToyConfig, coverage_modes, dataset_modes, heat_grid, js_divergence, mode_counts,
                     mode_coverage, toy_points)
from gan.train.toy import ToyTrainer, mesh_density
from gan.train import TrainingDiverged
from tests.conftest import wait_for
from ui.playground import LAYERS, apply_selection, arrow_segments, draw_candidates, plane_figure


def tiny(**overrides) -> ToyConfig:
    small = dict(g_width=16, d_width=16, batch_size=64, n_real=256, iterations=20, view_every_s=0.0)
    return ToyConfig(**{**small, **overrides})


def rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------------- toy data
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_dataset_gives_finite_points_inside_the_plane(dataset):
    points = toy_points(dataset, 500, 0.1, rng(), points=((0.5, -1.0), (1.5, 2.0)))
    assert points.shape == (500, 2) and points.dtype == torch.float32
    assert torch.isfinite(points).all()
    assert points.abs().max() < BOX  # 0.1 noise never reaches the border in 500 draws
    assert torch.equal(points, toy_points(dataset, 500, 0.1, rng(), points=((0.5, -1.0), (1.5, 2.0))))


def test_without_noise_the_ring_is_its_eight_centres_evenly_used():
    points = toy_points("ring", 8000, 0.0, rng()).numpy()
    centres = dataset_modes("ring")
    assert np.allclose(np.linalg.norm(points, axis=1), 2.0, atol=1e-5)
    counts = mode_counts(points, centres, 1e-4)
    assert counts.sum() == 8000 and counts.min() > 850  # ~1000 each
    assert len(dataset_modes("grid")) == 25


def test_noise_is_the_standard_deviation_around_each_mode():
    points = toy_points("ring", 20000, 0.1, rng()).numpy()
    centres = dataset_modes("ring")
    nearest = centres[np.linalg.norm(points[:, None] - centres[None], axis=-1).argmin(axis=1)]
    assert np.std(points - nearest) == pytest.approx(0.1, rel=0.05)


def test_a_drawn_dataset_is_its_points_plus_noise():
    drawn = ((1.0, 1.0), (-2.0, 0.4))
    points = toy_points("custom", 1000, 0.05, rng(), points=drawn).numpy()
    distances = np.linalg.norm(points[:, None] - np.array(drawn)[None], axis=-1).min(axis=1)
    assert distances.max() < 0.3
    with pytest.raises(ValueError, match="at least one point"):
        toy_points("custom", 10, 0.0, rng())


@pytest.mark.parametrize(("changes", "message"), [
    (dict(noise=-0.1), "noise must be in [0, 1]"),
    (dict(g_layers=6), "g_layers must be in [0, 5]"),
    (dict(d_width=0), "d_width must be in [1, 512]"),
    (dict(lr_d=0.0), "lr_d must be in"),
    (dict(lr_g=float("nan")), "lr_g must be in [1e-06, 1] (got nan)"),
    (dict(z_dim=2.5), "z_dim must be an integer"),
    (dict(dataset="swiss-roll"), "dataset must be one of ring, grid"),
    (dict(g_loss="hinge"), "g_loss must be one of non-saturating, minimax, least-squares"),
    (dict(optimizer="rmsprop"), "optimizer must be one of adam, sgd"),
    (dict(iterations=None), "iterations or seconds"),
    (dict(dataset="custom"), "points must hold 1 to 2000 points"),
    (dict(dataset="custom", points=((0.0, 9.0),)), "points must be (x, y) pairs in [-3, 3]"),
])
def test_validation_names_the_field_and_its_range(changes, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        ToyConfig(**changes).validate()


def test_config_round_trips_through_a_plain_dict():
    config = ToyConfig(dataset="custom", points=((0.2, 0.4), (1.0, -1.0)), z_dim=3)
    assert ToyConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="unknown config field"):
        ToyConfig.from_dict({"colour": "red"})


def test_every_lesson_is_valid():
    for slug, lesson in LESSONS.items():
        assert lesson.config.validate() is lesson.config, slug
        assert lesson.name and lesson.summary


# ---------------------------------------------------------------------------------------------- the grids
def test_heat_grid_is_laid_out_like_a_plotly_heatmap():
    ticks, points = heat_grid(5, box=2.0)
    assert np.allclose(ticks, [-2, -1, 0, 1, 2])
    grid = points.reshape(5, 5, 2)
    i, j = 1, 3  # row i is y = ticks[i], column j is x = ticks[j]
    assert tuple(grid[i, j]) == (ticks[j], ticks[i])


def test_the_view_heatmap_is_d_of_each_grid_point():
    trainer = ToyTrainer(tiny())
    view = trainer.view()
    assert view.d_heat.shape == (len(view.ticks), len(view.ticks))
    assert 0 <= view.d_heat.min() and view.d_heat.max() <= 1
    i, j = 7, 30
    with torch.no_grad():
        expected = torch.sigmoid(trainer.D(torch.tensor([[view.ticks[j], view.ticks[i]]]))).item()
    assert view.d_heat[i, j] == pytest.approx(expected, abs=1e-5)


def test_the_view_has_every_layer_of_the_picture():
    view = ToyTrainer(tiny(z_dim=3)).view()
    assert view.real.shape[1] == view.fake.shape[1] == 2
    rows, cols, _ = view.mesh.shape
    assert rows == cols > 2 and view.mesh_density.shape == (rows - 1, cols - 1)
    assert view.push.shape[1] == 2 and len(view.push) <= len(view.fake)
    assert view.modes.shape == (8, 2) and view.discrete_modes
    curve = ToyTrainer(tiny(z_dim=1, z_dist="gaussian")).view()
    assert curve.mesh.shape[0] == 1 and curve.mesh_density.shape == (curve.mesh.shape[1] - 1,)


def test_mesh_density_is_one_over_the_area_of_each_cell():
    ticks = np.linspace(-1, 1, 5)
    mesh = np.stack(np.meshgrid(ticks, ticks), axis=-1)  # (5, 5, 2), square cells
    assert np.allclose(mesh_density(mesh * 3.0), 1.0)  # an even stretch: every cell alike
    squeezed = mesh.copy()
    squeezed[:2, :, 1] *= 0.25  # the two bottom rows' y squeezed towards 0: the cells between them are 4x denser
    density = mesh_density(squeezed)
    assert density[0].mean() > 3 * density[-1].mean()


def test_arrows_point_where_d_says_real():
    trainer = ToyTrainer(tiny())
    x = trainer.view().fake[:len(trainer.view().push)]
    push = trainer.view().push
    xs = torch.tensor(x, requires_grad=True)
    (towards_real,) = torch.autograd.grad(trainer.D(xs).sum(), xs)
    cosine = (push * towards_real.numpy()).sum(axis=1) / (
        np.linalg.norm(push, axis=1) * np.linalg.norm(towards_real.numpy(), axis=1) + 1e-12)
    assert np.all(cosine > 0.999)  # -d(-log D)/dx is a positive multiple of d logit / dx


def test_arrow_lengths_are_absolute_so_a_vanishing_gradient_shows_as_none():
    origins = np.zeros((3, 2), np.float32)
    tails, tips = arrow_segments(origins, np.array([[1e-4, 0], [0, 1.0], [50.0, 0]], np.float32))
    lengths = np.linalg.norm(tips - tails, axis=1)
    assert lengths[0] < 1e-3 and 0.2 < lengths[1] < lengths[2] <= 0.45 + 1e-6


# ---------------------------------------------------------------------------------------------- distances
def test_mode_coverage_counts_the_modes_that_hold_fakes():
    modes = dataset_modes("ring")
    on_three = np.repeat(modes[:3], 100, axis=0) + 0.01
    assert mode_coverage(on_three, modes, 0.3) == pytest.approx(3 / 8)
    everywhere = np.repeat(modes, 50, axis=0)
    assert mode_coverage(everywhere, modes, 0.3) == 1.0
    # three stray fakes on a fourth mode are not "covering" it; far-away fakes count for no mode at all
    strays = np.concatenate([on_three, np.repeat(modes[3:4], 3, axis=0), np.full((500, 2), 0.0)])
    assert mode_coverage(strays, modes, 0.3) == pytest.approx(3 / 8)
    assert mode_coverage(np.empty((0, 2)), modes, 0.3) == 0.0


def test_continuous_datasets_use_the_cells_the_data_fill_as_modes():
    reference = toy_points("line", 8000, 0.05, rng()).numpy()
    cells, radius = coverage_modes("line", 0.05, reference)
    assert 5 <= len(cells) <= 20
    assert mode_coverage(reference, cells, radius) == 1.0
    half = reference[reference[:, 0] < 0]
    assert 0.3 < mode_coverage(half, cells, radius) < 0.7
    ring, ring_radius = coverage_modes("ring", 0.1, reference)
    assert len(ring) == 8 and ring_radius == pytest.approx(0.3)


def test_js_divergence_is_zero_for_the_same_sample_and_near_one_for_disjoint_ones():
    a = toy_points("ring", 4000, 0.1, rng(0)).numpy()
    b = toy_points("ring", 4000, 0.1, rng(1)).numpy()
    far = toy_points("custom", 4000, 0.1, rng(), points=((0.0, 0.0),)).numpy()
    assert js_divergence(a, a) == pytest.approx(0.0, abs=1e-12)
    assert js_divergence(a, b) < 0.05
    assert js_divergence(a, far) > 0.8
    assert js_divergence(a, far) == pytest.approx(js_divergence(far, a))


# ---------------------------------------------------------------------------------------------- the trainer
def test_least_squares_losses():
    d_real, d_fake = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    assert least_squares_discriminator_loss(d_real, d_fake).item() == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)
    assert least_squares_discriminator_loss(torch.ones(3), torch.zeros(3)).item() == 0.0
    assert generator_loss(torch.tensor([1.0, -1.0]), "least-squares").item() == pytest.approx(0.5 * 2)


@pytest.mark.parametrize("changes", [dict(), dict(g_loss="minimax", optimizer="sgd"),
                                     dict(g_loss="least-squares", z_dim=1, z_dist="gaussian"),
                                     dict(g_layers=0, d_layers=0, d_steps=2, g_activation="tanh"),
                                     dict(dataset="custom", points=((0.0, 1.0), (1.0, 0.0)))])
def test_run_yields_the_records_the_runner_expects(changes):
    trainer = ToyTrainer(tiny(log_every=5, **changes))
    records = list(trainer.run())
    assert [r.iteration for r in records] == [5, 10, 15, 20]
    for record in records:
        assert all(math.isfinite(v) for v in record.metrics().values())
        assert 0 <= record.d_real <= 1 and 0 <= record.d_acc_fake <= 1
    assert trainer.finished() and trainer.progress() == 1.0
    assert len(trainer.history["d_loss"]) == 4


def test_the_live_picture_is_refreshed_while_training_and_after_single_steps():
    trainer = ToyTrainer(tiny(iterations=200, view_every_s=0.001))
    first = trainer.latest_view
    assert first is not None and first.iteration == 0
    list(trainer.run())
    assert trainer.latest_view.iteration == 200
    assert len(trainer.latest_view.metrics) > 2
    heat = trainer.latest_view.d_heat
    trainer.d_step()
    trainer.flush()  # what the runner calls after a Step button
    assert not np.array_equal(trainer.latest_view.d_heat, heat)  # D moved, G did not
    fake = trainer.latest_view.fake
    trainer.g_step()
    trainer.flush()
    assert not np.array_equal(trainer.latest_view.fake, fake)


def test_live_knobs_are_logged_as_events():
    trainer = ToyTrainer(tiny())
    trainer.set_lr(lr_g=0.01)
    trainer.set_d_steps(3)
    assert trainer.lr_g == 0.01 and trainer.d_steps == 3
    assert [e["name"] for e in trainer.events] == ["lr_g", "d_steps"]
    with pytest.raises(ValueError, match="lr_d"):
        trainer.set_lr(lr_d=2.0)


def test_a_nan_raises_training_diverged_and_keeps_a_good_state():
    trainer = ToyTrainer(tiny())
    with torch.no_grad():
        trainer.D.net[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged):
        list(trainer.run())
    assert trainer.good_state()["iteration"] == 0


def test_state_dict_resumes_the_same_run(tmp_path):
    a = ToyTrainer(tiny(iterations=30))
    for _ in range(10):
        a.iteration_step()
    path = tmp_path / "toy.pt"
    torch.save(a.state_dict(), path)
    b = ToyTrainer(tiny(iterations=30))
    b.load_state_dict(torch.load(path, weights_only=True))
    list(a.run()), list(b.run())
    for p, q in zip(a.G.parameters(), b.G.parameters()):
        assert torch.equal(p, q)


def test_the_training_runner_drives_a_toy_trainer_unchanged():
    runner = TrainingRunner(lambda: ToyTrainer(tiny(iterations=10**6, view_every_s=0.05))).start()
    try:
        wait_for(lambda: runner.snapshot().iteration >= 30, what="30 iterations")
        runner.pause()
        wait_for(lambda: runner.snapshot().status == "paused", what="paused")
        iteration = runner.snapshot().iteration
        n_records = len(runner.snapshot().records)
        runner.step("d")
        runner.step("g")
        runner.step("iteration")
        wait_for(lambda: len(runner.snapshot().records) >= n_records + 3, what="three steps recorded")
        snap = runner.snapshot()
        assert snap.iteration == iteration + 1 and len(snap.records) == n_records + 3
        assert runner.trainer.latest_view.iteration == iteration + 1
        runner.set_lr(lr_d=5e-4)
        runner.resume()
        wait_for(lambda: runner.snapshot().lr_d == 5e-4, what="the new lr_d")
        assert runner.snapshot().events[-1]["name"] == "lr_d"
    finally:
        runner.stop()
    assert runner.snapshot().status == "stopped"


def test_the_plane_figure_is_valid_plotly_with_every_layer():
    for config in (tiny(), tiny(z_dim=1, dataset="spiral")):
        view = ToyTrainer(config).view()
        figure = plane_figure(view)
        go.Figure(figure.to_dict())  # the unvalidated build must still validate
        names = {trace.name for trace in figure.data}
        assert {"D(x)", "real", "fake G(z)", "G's push", "G manifold"} <= names
        assert len(plane_figure(view, layers=[l for l in LAYERS if l != "D(x) heatmap"]).data) == len(figure.data) - 1


def test_a_selection_adds_or_erases_points_on_the_canvas():
    canvas = draw_candidates()
    assert canvas.shape[1] == 2 and np.abs(canvas).max() < BOX
    drawn = apply_selection([], [{"x": 0.2, "y": 0.4, "point_index": 3}, {"x": 1.0, "y": -1.0}])
    assert drawn == [(0.2, 0.4), (1.0, -1.0)]
    assert apply_selection(drawn, [{"x": 0.2, "y": 0.4}]) == drawn  # no repeats
    assert apply_selection(drawn, [{"x": 0.2, "y": 0.4}], erase=True) == [(1.0, -1.0)]


# ---------------------------------------------------------------------------------------------- the lessons
def test_a_short_run_spreads_over_the_eight_modes_of_the_ring():
    """The default ring preset covers all 8 modes by ~1,500 iterations (seeds 0-2); the test allows some slack."""
    trainer = ToyTrainer(LESSONS["ring"].config.replace(iterations=2000, view_every_s=0.0))
    list(trainer.run())
    view = trainer.view()
    assert view.coverage >= 0.75, view.mode_counts
    assert view.js < 0.5


def test_the_mode_collapse_lesson_collapses():
    trainer = ToyTrainer(LESSONS["mode-collapse"].config.replace(iterations=2000, view_every_s=0.0))
    list(trainer.run())
    assert trainer.view().coverage <= 0.25
