"""gan/latent.py: lerp and slerp, strips, GANSpace directions, nearest real digit, the bundled generators."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch
from torch import nn

from gan.checkpoint import CheckpointError
from gan.latent import (LatentDirections, bundled_generators, early_layer, explore, generate, interpolate,
                        interpolate_latents, is_conditional, label_embeddings, label_morph, latent, lerp,
                        load_generator, nearest_real, principal_directions, raw_offset, real_digits, slerp)
from gan.models import NoiseGenerator, build_generator
from gan.quality import SCORE_SAMPLES, conditional_accuracy, recognised_classes, score_samples

D = 100
ASSETS = Path(__file__).resolve().parents[2] / "assets"
ASSETS_README = ASSETS / "README.md"
BASELINE = ASSETS / "baselines" / "mlp.json"


def gaussian_pair(seed: int = 0, dim: int = D) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(dim, generator=g), torch.randn(dim, generator=g)


def tiny_generator(tiny, arch: str) -> nn.Module:
    torch.manual_seed(0)
    return build_generator(tiny(arch)).eval()


# ------------------------------------------------------------------------------------------ lerp / slerp
@pytest.mark.parametrize("interp", [lerp, slerp])
def test_endpoints_and_shapes(interp):
    z0, z1 = gaussian_pair()
    path = interp(z0, z1, torch.linspace(0, 1, 7))
    assert path.shape == (7, D)
    torch.testing.assert_close(path[0], z0)
    torch.testing.assert_close(path[-1], z1)
    assert interp(z0, z1, 0.25).shape == (D,)  # a float t gives one vector
    torch.testing.assert_close(interp(z0, z1, 0.25), interp(z0, z1, torch.tensor([0.25]))[0])


def test_slerp_keeps_the_norm_of_equal_norm_endpoints():
    z0, z1 = gaussian_pair()
    z1 = z1 / z1.norm() * z0.norm()
    norms = slerp(z0, z1, torch.linspace(0, 1, 11)).norm(dim=1)
    torch.testing.assert_close(norms, torch.full_like(norms, z0.norm().item()))


def test_lerp_midpoint_shrinks_gaussian_latents_and_slerp_does_not():
    z0, z1 = gaussian_pair(dim=400)
    lerp_mid, slerp_mid = lerp(z0, z1, 0.5).norm(), slerp(z0, z1, 0.5).norm()
    ends = (z0.norm() + z1.norm()) / 2
    assert lerp_mid < 0.8 * ends  # about 1/sqrt(2) for nearly orthogonal endpoints
    assert slerp_mid > 0.95 * ends
    assert not torch.allclose(lerp(z0, z1, 0.5), slerp(z0, z1, 0.5))


def test_slerp_moves_at_a_constant_angular_speed():
    z0, z1 = gaussian_pair()
    z0, z1 = z0 / z0.norm(), z1 / z1.norm()  # on the unit sphere: equal angles between successive frames
    path = slerp(z0, z1, torch.linspace(0, 1, 5))
    angles = [torch.arccos(torch.dot(a, b) / (a.norm() * b.norm())) for a, b in zip(path[:-1], path[1:])]
    torch.testing.assert_close(torch.stack(angles), torch.full((4,), angles[0].item()))


@pytest.mark.parametrize("factor", [2.0, -3.0, 1.0])
def test_slerp_falls_back_to_lerp_for_parallel_endpoints(factor):
    z0, _ = gaussian_pair()
    z1 = factor * z0
    t = torch.linspace(0, 1, 5)
    path = slerp(z0, z1, t)
    assert torch.isfinite(path).all()
    torch.testing.assert_close(path, lerp(z0, z1, t))


def test_interpolate_latents_rejects_unknown_mode():
    z0, z1 = gaussian_pair()
    with pytest.raises(ValueError, match="mode"):
        interpolate_latents(z0, z1, 0.5, "cubic")


# ------------------------------------------------------------------------------------------ strips
@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_interpolation_strip_and_frame(tiny, arch):
    G = tiny_generator(tiny, arch)
    z0, z1 = latent(G, 1), latent(G, 2)
    strip = interpolate(G, z0, z1, 6, "slerp")
    assert strip.shape == (6, 1, 28, 28) and strip.min() >= -1 and strip.max() <= 1
    torch.testing.assert_close(strip[0], generate(G, z0[None])[0])
    frame = explore(G, z0, z1, 1.0, 6, "slerp")
    assert frame.image.shape == (1, 1, 28, 28) and frame.strip.shape == (6, 1, 28, 28)
    torch.testing.assert_close(frame.image[0], frame.strip[-1], atol=1e-5, rtol=0)  # one batch, same result
    torch.testing.assert_close(frame.strip, strip, atol=1e-5, rtol=0)
    moved = explore(G, z0, z1, 1.0, 6, "slerp", offset=raw_offset(G.latent_dim, {0: 3.0}))
    torch.testing.assert_close(moved.z, z1 + raw_offset(G.latent_dim, {0: 3.0}))
    assert not torch.allclose(moved.image, frame.image)


# ------------------------------------------------------------------------------------------ conditional G
def test_label_morph_goes_from_digit_a_to_digit_b(tiny):
    G = tiny_generator(tiny, "cgan")
    assert is_conditional(G) and not is_conditional(tiny_generator(tiny, "dcgan"))
    z = latent(G, 1)
    ts = torch.linspace(0, 1, 5)
    images = label_morph(G, z, 3, 8, ts)
    assert images.shape == (5, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    with torch.inference_mode():
        at_3, at_8 = G(z.expand(2, -1), torch.tensor([3, 8]))
    torch.testing.assert_close(images[0], at_3, atol=1e-5, rtol=0)
    torch.testing.assert_close(images[-1], at_8, atol=1e-5, rtol=0)
    assert not torch.allclose(images[1], images[0]) and not torch.allclose(images[1], images[-1])
    # one z per frame; and the batch gives what the frames give one at a time
    zs = torch.stack([latent(G, s) for s in range(5)])
    per_frame = label_morph(G, zs, 3, 8, ts)
    assert per_frame.shape == (5, 1, 28, 28)
    torch.testing.assert_close(per_frame[2:3], label_morph(G, zs[2], 3, 8, ts[2:3]), atol=1e-5, rtol=0)
    weight = G.embed.weight.detach()
    torch.testing.assert_close(label_embeddings(G, 3, 8, 0.25), 0.75 * weight[3] + 0.25 * weight[8])


def test_explore_and_interpolate_a_conditional_generator(tiny):
    G = tiny_generator(tiny, "cgan")
    z = latent(G, 1)
    with pytest.raises(ValueError, match="label_embedding"):
        generate(G, z[None])
    frame = explore(G, z, z, 0.0, 4, "slerp", digits=(3, 8))  # same z: a pure digit morph
    torch.testing.assert_close(frame.strip, label_morph(G, z, 3, 8, torch.linspace(0, 1, 4)), atol=1e-5, rtol=0)
    torch.testing.assert_close(frame.image[0], frame.strip[0], atol=1e-5, rtol=0)
    strip = interpolate(G, z, latent(G, 2), 4, "slerp", digits=(3, 8))  # z walks too
    torch.testing.assert_close(strip[0], frame.strip[0], atol=1e-5, rtol=0)
    assert not torch.allclose(strip[-1], frame.strip[-1])
    offset = raw_offset(G.latent_dim, {0: 3.0})
    assert not torch.allclose(explore(G, z, z, 0.0, 4, "slerp", offset, (3, 8)).image, frame.image)
    found = principal_directions(G, k=2, n=200, digit=3)
    assert found.directions.shape == (2, G.latent_dim) and found.layer == "body.project"
    zero = principal_directions(G, k=2, n=200)  # no digit: digit 0's
    torch.testing.assert_close(zero.directions, principal_directions(G, k=2, n=200, digit=0).directions)
    assert not torch.allclose(zero.directions.abs(), found.directions.abs())
    torch.testing.assert_close(explore(G, z, z, 0.5, 4).strip, label_morph(G, z, 0, 0, torch.linspace(0, 1, 4)),
                               atol=1e-5, rtol=0)  # no digits: zeros


def test_latent_is_seeded():
    G = nn.Module()
    G.latent_dim = 16
    torch.testing.assert_close(latent(G, 5), latent(G, 5))
    assert not torch.equal(latent(G, 5), latent(G, 6))


def test_raw_offset():
    offset = raw_offset(6, {1: 2.0, 4: -1.5})
    torch.testing.assert_close(offset, torch.tensor([0.0, 2.0, 0.0, 0.0, -1.5, 0.0]))


# ------------------------------------------------------------------------------------------ directions
class LinearThenNet(NoiseGenerator):
    """A stand-in generator whose first Linear stretches z[0] most, then z[1]: PC1 must be z[0], PC2 z[1]."""

    def __init__(self, latent_dim: int = 8):
        super().__init__()
        self.latent_dim = latent_dim
        self.first = nn.Linear(latent_dim, 32)
        scales = torch.tensor([10.0, 5.0] + [1.0] * (latent_dim - 2))
        rotation, _ = torch.linalg.qr(torch.randn(32, latent_dim, generator=torch.Generator().manual_seed(3)))
        with torch.no_grad():
            self.first.weight.copy_(rotation * scales)  # orthonormal columns times scales: W^T W = diag(scales^2)
            self.first.bias.fill_(0.5)
        self.rest = nn.Tanh()

    def forward(self, z):
        return self.rest(self.first(z))

    def sample_inputs(self, n, generator=None, device="cpu"):
        return (torch.randn(n, self.latent_dim, generator=generator, device=device),)


def test_principal_directions_recover_the_stretched_dimensions():
    found = principal_directions(LinearThenNet(), k=3, n=4000)
    assert found.layer == "first"
    assert abs(found.directions[0, 0]) > 0.99 and abs(found.directions[1, 1]) > 0.99
    torch.testing.assert_close(found.stds[:2], torch.tensor([10.0, 5.0]), rtol=0.05, atol=0)
    torch.testing.assert_close(found.steps, torch.ones(3), rtol=0.05, atol=0)  # linear layer: 1 sd ≈ 1 in z
    assert found.explained[0] > found.explained[1] > found.explained[2]


@pytest.mark.parametrize("arch, layer", [("mlp", "net.0"), ("dcgan", "project")])
def test_principal_directions_of_both_architectures(tiny, arch, layer):
    G = tiny_generator(tiny, arch)
    assert early_layer(G)[0] == layer
    found = principal_directions(G, k=4, n=600)
    assert isinstance(found, LatentDirections) and found.layer == layer
    assert found.directions.shape == (4, G.latent_dim)
    torch.testing.assert_close(found.directions.norm(dim=1), torch.ones(4))
    assert (found.stds[:-1] >= found.stds[1:]).all() and (found.stds > 0).all()
    assert 0 < found.explained.sum() <= 1 + 1e-5
    again = principal_directions(G, k=4, n=600)
    torch.testing.assert_close(again.directions, found.directions)  # seeded, also inside pca_lowrank
    torch.testing.assert_close(found.offset([0.0] * 4), torch.zeros(G.latent_dim))
    torch.testing.assert_close(found.offset([2.0, 0, 0, 0]), 2 * found.steps[0] * found.directions[0])


def test_principal_directions_move_the_hooked_layer_along_its_component(tiny):
    G = tiny_generator(tiny, "dcgan")
    found = principal_directions(G, k=2, n=2000)
    z = latent(G, 0)
    with torch.no_grad():
        before = G.project(z)
        after_first = G.project(z + found.offset([1.0, 0.0]))
        after_second = G.project(z + found.offset([0.0, 1.0]))
    # One standard deviation of PC1 is a bigger move of the layer than one of PC2 (the stds are sorted)
    assert (after_first - before).norm() > (after_second - before).norm()


def test_principal_directions_check_k(tiny):
    with pytest.raises(ValueError, match="k must be"):
        principal_directions(tiny_generator(tiny, "mlp"), k=0)


# ------------------------------------------------------------------------------------------ nearest real digit
def test_nearest_real_finds_the_digit_itself():
    reals = real_digits()
    assert reals.images.shape == (5000, 1, 28, 28)
    picks = torch.tensor([0, 1234, 4999])
    noisy = (reals.images[picks] + 0.01 * torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    index, distance = nearest_real(noisy)
    assert index.tolist() == picks.tolist()
    assert distance.shape == (3,) and (distance < 0.5).all()
    index, distance = nearest_real(reals.images[picks])
    # Exactly zero: the winner's distance is computed as a direct difference, not by the matmul identity
    assert index.tolist() == picks.tolist() and distance.tolist() == [0.0, 0.0, 0.0]


def test_nearest_real_matches_a_brute_force_search():
    reals = real_digits()
    queries = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    index, distance = nearest_real(queries)
    brute = torch.cdist(queries.flatten(1), reals.flat).min(dim=1)
    assert index.tolist() == brute.indices.tolist()
    torch.testing.assert_close(distance, brute.values, rtol=1e-4, atol=1e-3)


# ------------------------------------------------------------------------------------------ loading
@pytest.mark.parametrize("name", list(bundled_generators()))
def test_bundled_generators_load_and_are_light(name):
    path = bundled_generators()[name]
    assert path.stat().st_size < 4 * 2**20
    G, state = load_generator(path)
    assert state["config"].arch in name.lower()
    assert state["quality"]["classes_covered"] == 10
    assert set(state["history"]) >= {"iteration", "d_loss", "g_loss"}
    assert all(p.dtype == torch.float32 for p in G.parameters())  # stored in fp16, explored in fp32
    z = torch.stack([latent(G, s) for s in range(4)])
    if is_conditional(G):
        assert state["quality"]["conditional_accuracy"] > 0.5
        images = label_morph(G, z, 3, 8, torch.linspace(0, 1, 4))
    else:
        images = generate(G, z)
    assert images.shape == (4, 1, 28, 28) and torch.isfinite(images).all()


# What a student sees first, scored now by the bundled classifier (never read from the file), held to bounds that do
# not come from the files: all ten digits, each recognisably (the benchmark's count: >= 2 % of 1,000 samples at
# confidence >= 0.9), three samples in four recognisable as some digit, and a FID better than the Train page's own
# seed MLP GAN reaches in its recorded 10,000-iteration run (assets/baselines/mlp.json, the same classifier): a file
# worse than a few minutes of training is not worth shipping. The conditional GAN draws the digit asked for. The FID
# is also checked against what the file and assets/README.md say, and against issue 14's targets (further down).
@pytest.fixture(scope="module")
def bundled_scores() -> dict[str, dict]:
    """arch -> G, its checkpoint's state, 1,000 eval-mode samples (noise seed 0, as `score_generator` draws) and
    their score."""
    scores = {}
    for path in bundled_generators().values():
        G, state = load_generator(path)
        with torch.inference_mode():
            images = G(*G.sample_inputs(1000, torch.Generator().manual_seed(0))).float()
        scores[state["config"].arch] = {"G": G, "state": state, "images": images, "score": score_samples(images)}
    assert sorted(scores) == ["cgan", "dcgan", "mlp"]
    return scores


def documented_fids() -> dict[str, float]:
    """The classifier FID that assets/README.md's build table gives for each bundled file: arch -> FID."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in ASSETS_README.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    header = next(row for row in rows if row[0] == "file" and "classifier FID" in row)
    column = header.index("classifier FID")
    return {row[0].removesuffix(".pt"): float(row[column]) for row in rows
            if row[0].endswith(".pt") and row[0].removesuffix(".pt") in ("mlp", "dcgan", "cgan")}


def seed_run_best_fid() -> float:
    """The best classifier FID of the seed MLP GAN's recorded run (assets/baselines/mlp.json)."""
    return min(point["fid"] for point in json.loads(BASELINE.read_text(encoding="utf-8"))["quality"])


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "cgan"])
def test_bundled_generators_draw_digits_a_teacher_is_proud_of(arch, bundled_scores):
    G, state, images, score = (bundled_scores[arch][key] for key in ("G", "state", "images", "score"))
    assert recognised_classes(images) == 10 and score.classes_covered == 10, score
    assert score.recognisable >= 0.75, score
    # the baseline's points score SCORE_SAMPLES samples (a FID of fewer samples reads higher): the same count here
    assert score_samples(images[:SCORE_SAMPLES]).fid < seed_run_best_fid(), score
    if arch == "cgan":
        assert conditional_accuracy(G, n=1000) >= 0.95  # draws the digit it is asked for
        assert min(score.class_histogram) >= 0.05
    # The file and its documentation say what it draws: a rebuild that changes it must change both.
    assert score.fid == pytest.approx(state["quality"]["fid"], rel=0.02)
    assert score.fid == pytest.approx(documented_fids()[arch], rel=0.02, abs=0.1), "assets/README.md's table"


# The FID targets: issue 14's (conditional 30, MLP 40) and issue 26's for the DCGAN a teacher shows as the better
# architecture (25). The MLP file misses its target (assets/README.md says what was tried on a 2-core CPU): strict, so
# that a file that reaches it turns this into a failure until the mark is dropped.
FID_TARGETS = {"cgan": 30.0, "dcgan": 25.0, "mlp": 40.0}
NOT_REACHED = "not reached by the bundled file (assets/README.md says what was tried); XPASS: it is now, drop the mark"


@pytest.mark.parametrize("arch", [
    "cgan",
    "dcgan",
    pytest.param("mlp", marks=pytest.mark.xfail(strict=True, reason=NOT_REACHED)),
])
def test_bundled_generators_reach_their_fid_targets(arch, bundled_scores):
    score = bundled_scores[arch]["score"]
    assert score.fid <= FID_TARGETS[arch], score


def test_load_generator_rejects_bad_files(tmp_path):
    junk = io.BytesIO(b"not a checkpoint at all")
    junk.name = "junk.pt"
    with pytest.raises(CheckpointError, match="junk.pt"):
        load_generator(junk)
    with pytest.raises(CheckpointError, match="no such file"):
        load_generator(tmp_path / "missing.pt")
    weightless = tmp_path / "weightless.pt"
    torch.save({"format": "gan-arena-checkpoint", "version": 1, "config": {"arch": "mlp"}}, weightless)
    with pytest.raises(CheckpointError, match="without generator weights"):
        load_generator(weightless)


def test_a_translators_checkpoint_is_refused_before_its_cost_is_judged(tmp_path):
    from gan.checkpoint import CheckpointError
    from gan.cost import generator_cost

    state = torch.load(bundled_generators()["MLP GAN (seed 001)"], weights_only=True)
    state["config"] = {**state["config"], "arch": "cyclegan"}
    torch.save(state, tmp_path / "cycle.pt")
    with pytest.raises(CheckpointError, match="translate images"):
        load_generator(tmp_path / "cycle.pt", vet=lambda config: generator_cost(config))
