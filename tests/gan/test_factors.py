"""Tests for gan/factors.py: the bundled shapes factor network, the factor scores and what latent directions move."""

import pickle

import numpy as np
import pytest
import torch
from torch import nn

import gan.factors as factors
from gan.data import to_training_tensor
from gan.factors import (
    FACTOR_NET_PATH,
    FEATURES_NAME,
    POSITION_RANGE,
    FactorNet,
    direction_effects,
    factor_scores,
    held_out_errors,
    load_factor_net,
    predict_factors,
)
from gan.shapes import _draw, _hue_to_rgb, draw_shapes

FRESH_SEED = 11  # never drawn in training (seeds 1,000 up), nor the real reference (2) nor the held-out set (1)

# Mean absolute errors measured on 1,000 held-out shapes per size and colour mode (python -m gan.factors):
# scale 0.035-0.041, x and y 0.007-0.008, rotation 0.008-0.011 turns, hue 0.009-0.011 turns; about 2x as limits.
LIMITS = {"scale": 0.08, "x": 0.016, "y": 0.016, "rotation": 0.025, "hue": 0.025}


def test_the_bundled_net_is_small_loads_with_weights_only_and_is_cached():
    assert FACTOR_NET_PATH.stat().st_size < 300_000
    state = torch.load(FACTOR_NET_PATH, weights_only=True)
    assert all(value.dtype == torch.float16 for value in state.values() if value.is_floating_point())
    model = load_factor_net("cpu")
    assert model is load_factor_net(torch.device("cpu"))
    assert not model.training and all(p.dtype == torch.float32 for p in model.parameters())
    assert model.features(torch.zeros(2, 3, 32, 32)).shape == (2, 64)
    assert "factor network" in FEATURES_NAME


@pytest.fixture(scope="module")
def held_out():
    """Per (size, rgb): accuracy and errors on 300 fresh shapes at 28, 32 and 64, grey and colour."""
    return held_out_errors(sizes=(28, 32, 64), n=300, seed=FRESH_SEED)


@pytest.mark.parametrize("rgb", [False, True], ids=["grey", "colour"])
def test_the_net_reads_held_out_shapes_at_every_size(held_out, rgb):
    assert {size for size, _ in held_out} == {28, 32, 64}
    for (size, colour), errors in held_out.items():
        if colour != rgb:
            continue
        assert errors["shape_accuracy"] >= 0.95, (size, errors)
        for name, limit in LIMITS.items():
            if name in errors:
                assert errors[name] < limit, (size, name, errors)


def test_predict_factors_reads_grey_in_one_or_three_channels_alike():
    images, known = draw_shapes(50, size=64, seed=FRESH_SEED)
    grey = to_training_tensor(images, "cpu")
    one, three = predict_factors(grey), predict_factors(grey.expand(-1, 3, -1, -1))
    assert set(one) == {"shape", "shape_confidence", "scale", "rotation", "x", "y", "hue"}
    assert one["shape"].dtype == torch.int64 and one["shape"].shape == (50,)
    assert all(torch.equal(one[key], three[key]) for key in one)
    assert one["rotation"].min() >= 0 and one["rotation"].max() < 0.25
    assert (one["shape"].numpy() == np.round(known[:, 0] * 2)).all()


# ---------------------------------------------------------------------------------------------
# factor_scores


def _corner_shapes(n: int, rgb: bool, seed: int = 3) -> torch.Tensor:
    """n shapes of every kind, scale, turn and colour, all at the top left end of the range of positions."""
    rng = np.random.default_rng(seed)
    low = POSITION_RANGE[0]
    drawn = _draw(rng.integers(0, 3, n), rng.uniform(0.5, 1, n), rng.uniform(0, 1, n), rng.uniform(low, low + 0.02, n),
                  rng.uniform(low, low + 0.02, n), 32)
    if rgb:
        drawn = (drawn[..., None] * _hue_to_rgb(rng.uniform(0, 1, n))[:, None, None, :]).round().astype(np.uint8)
    return to_training_tensor(drawn, "cpu")


@pytest.mark.parametrize("rgb", [False, True], ids=["grey", "colour"])
def test_real_shapes_score_well_and_collapsed_sets_badly(rgb):
    images, known = draw_shapes(1_500, size=32, seed=FRESH_SEED, rgb=rgb)
    real = factor_scores(to_training_tensor(images[:500], "cpu"), rgb=rgb)
    assert real["fid"] < 5 and abs(real["kid"]) < 10
    assert real["shapes_covered"] == 3 and real["recognisable"] > 0.97
    assert all(abs(share - 1 / 3) < 0.08 for share in real["shape_histogram"])
    coverages = ["scale_coverage", "x_coverage", "y_coverage", *(["hue_coverage"] if rgb else [])]
    assert all(real[name] >= 0.9 for name in coverages) and ("hue_coverage" in real) == rgb

    squares = factor_scores(to_training_tensor(images[known[:, 0] == 0][:400], "cpu"), rgb=rgb)
    assert squares["shapes_covered"] == 1 and squares["shape_histogram"][0] > 0.95
    assert squares["fid"] > 20 * max(real["fid"], 1) and squares["kid"] > 100

    corner = factor_scores(_corner_shapes(500, rgb), rgb=rgb)
    assert corner["shapes_covered"] == 3
    assert corner["x_coverage"] <= 0.3 and corner["y_coverage"] <= 0.3 and corner["scale_coverage"] >= 0.9
    assert corner["fid"] > 10 * max(real["fid"], 1)


def test_noise_reads_as_no_shape():
    noise = torch.rand(300, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    scores = factor_scores(noise, rgb=False)
    assert scores["recognisable"] < 0.1 and scores["shapes_covered"] == 0 and scores["fid"] > 100


def test_factor_scores_refuses_too_few_images():
    with pytest.raises(ValueError, match="B >= 2"):
        factor_scores(torch.zeros(1, 1, 32, 32), rgb=False)


# ---------------------------------------------------------------------------------------------
# direction_effects


class DrawingGenerator(nn.Module):
    """A stand-in G whose latent axes are the factors: x, y, scale, rotation, shape and hue from z[:, 0..5]."""

    latent_dim = 6

    def __init__(self, rgb: bool):
        super().__init__()
        self.rgb = rgb

    def sample_inputs(self, n, generator=None, device="cpu"):
        return (torch.randn(n, self.latent_dim, generator=generator).to(device),)

    def forward(self, z):
        u = torch.sigmoid(z.double()).numpy()
        low, high = POSITION_RANGE
        shape = (z[:, 4] > -0.43).long() + (z[:, 4] > 0.43).long()
        drawn = _draw(shape.numpy(), 0.5 + 0.5 * u[:, 2], u[:, 3], low + (high - low) * u[:, 0],
                      low + (high - low) * u[:, 1], 32)
        if self.rgb:
            drawn = (drawn[..., None] * _hue_to_rgb(u[:, 5])[:, None, None, :]).round().astype(np.uint8)
        return to_training_tensor(drawn, "cpu")


@pytest.mark.parametrize("rgb", [False, True], ids=["grey", "colour"])
def test_direction_effects_finds_the_factor_each_axis_moves(rgb):
    G = DrawingGenerator(rgb).eval()
    result = direction_effects(G, torch.eye(6)[:3], n=64, span=2.0, seed=0, rgb=rgb)
    names = result["factors"]
    assert names == ["scale", "x", "y", "rotation", *(["hue"] if rgb else []), "shape"]
    effects, means = result["effects"], result["means"]
    assert effects.shape == (3, len(names)) and means.shape == (3, 5, len(names))
    assert result["steps"] == pytest.approx([-2.0, -1.0, 0.0, 1.0, 2.0])
    for row, moved in enumerate(["x", "y", "scale"]):
        j = names.index(moved)
        others = np.delete(effects[row], j)
        assert effects[row, j] > 0.3 and effects[row, j] > 4 * others.max(), (moved, dict(zip(names, effects[row])))
        assert np.all(np.diff(means[row, :, j]) > 0)  # the mean factor grows step by step along +d
    assert effects[:, names.index("shape")].max() < 0.1  # no axis of these three changes the shape


def test_direction_effects_sees_the_shape_axis():
    result = direction_effects(DrawingGenerator(False), torch.eye(6)[4:5], n=64, span=2.0, rgb=False)
    assert result["effects"][0, result["factors"].index("shape")] > 0.5


# ---------------------------------------------------------------------------------------------
# The file


def test_a_saved_net_round_trips(tmp_path, monkeypatch):
    model = FactorNet().eval()
    path = tmp_path / "shapes_factors.pt"
    factors.save_factor_net(model, path)
    monkeypatch.setattr(factors, "FACTOR_NET_PATH", path)
    loaded = load_factor_net("cpu")
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    with torch.inference_mode():
        assert torch.allclose(loaded(x), model(x), atol=0.05)


@pytest.mark.parametrize("content", [b"not a torch file", "truncated", "pickle"])
def test_an_unreadable_file_is_refused_by_name(tmp_path, monkeypatch, content):
    path = tmp_path / "shapes_factors.pt"
    if content == "truncated":
        content = FACTOR_NET_PATH.read_bytes()[:5_000]
    elif content == "pickle":
        content = pickle.dumps({"conv.0.weight": print})  # a Python object: weights_only refuses it
    path.write_bytes(content)
    monkeypatch.setattr(factors, "FACTOR_NET_PATH", path)
    with pytest.raises(ValueError, match="shapes_factors.pt is not a readable factor network"):
        load_factor_net("cpu")


def test_a_missing_file_says_how_to_rebuild_it(tmp_path, monkeypatch):
    monkeypatch.setattr(factors, "FACTOR_NET_PATH", tmp_path / "gone.pt")
    with pytest.raises(FileNotFoundError, match="python -m gan.factors --retrain"):
        load_factor_net("cpu")


class ConditionalDrawing(nn.Module):
    """A stand-in conditional G that draws the shape it is told (`obey`) or a shape of its own (the next one)."""

    latent_dim = 4

    def __init__(self, obey: bool):
        super().__init__()
        self.obey = obey
        self.anchor = nn.Parameter(torch.zeros(1))  # a device to be on

    def sample_inputs(self, n, generator=None, device="cpu"):
        return (torch.randn(n, self.latent_dim, generator=generator).to(device),
                torch.randint(0, 3, (n,), generator=generator).to(device))

    def forward(self, z, labels):
        u = torch.sigmoid(z.double()).numpy()
        low, high = POSITION_RANGE
        shape = labels if self.obey else (labels + 1) % 3
        drawn = _draw(shape.numpy(), 0.5 + 0.5 * u[:, 2], u[:, 3], low + (high - low) * u[:, 0],
                      low + (high - low) * u[:, 1], 32)
        return to_training_tensor(drawn, "cpu")


def test_a_conditional_gans_shapes_are_read_against_the_shape_asked_for():
    from gan.factors import shape_accuracy

    assert shape_accuracy(ConditionalDrawing(obey=True), n=120) > 0.9
    assert shape_accuracy(ConditionalDrawing(obey=False), n=120) < 0.1
