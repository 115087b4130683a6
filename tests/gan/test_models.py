import pytest
import torch

from gan.config import preset
from gan.models import build_discriminator, build_generator, count_parameters

# Trainable parameters as Keras' model.summary() prints them for the seed models (BatchNorm's moving mean and
# variance are not trainable there and are buffers here).
SEED_PARAMETERS = {
    "mlp": (1_489_936, 533_505),  # seed 001
    "dcgan": (1_636_737, 95_105),  # GANs in Action, ch. 4
    "sgan": (1_636_737, 113_546),  # ch. 7: the ch. 4 generator, a D with a 10-class head
}


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "sgan"])
def test_seed_architectures_have_the_books_parameter_counts(arch):
    cfg = preset(arch)
    assert (count_parameters(build_generator(cfg)), count_parameters(build_discriminator(cfg))) == \
        SEED_PARAMETERS[arch]


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_generator_draws_28x28_images_in_tanh_range_and_d_gives_one_logit_each(arch):
    cfg = preset(arch)
    G, D = build_generator(cfg), build_discriminator(cfg)
    (z,) = G.sample_inputs(5, torch.Generator().manual_seed(0))
    assert z.shape == (5, 100)
    x = G(z)
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (5,)


def test_dcgan_intermediate_maps_follow_the_book():
    G = build_generator(preset("dcgan"))
    h = G.project(torch.randn(2, 100)).view(-1, 256, 7, 7)
    sizes = []
    for layer in G.net:
        h = layer(h)
        if isinstance(layer, torch.nn.ConvTranspose2d):
            sizes.append(tuple(h.shape[1:]))
    assert sizes == [(128, 14, 14), (64, 14, 14), (1, 28, 28)]


def test_widths_latent_size_and_slope_are_configurable():
    cfg = preset("dcgan", latent_dim=16, g_width=64, d_width=8, leaky_slope=0.3)
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert G(torch.randn(3, 16)).shape == (3, 1, 28, 28)
    assert D.net[0].out_channels == 8
    assert D.net[1].negative_slope == 0.3
    mlp = build_generator(preset("mlp", g_width=32))
    assert [m.out_features for m in mlp.net if isinstance(m, torch.nn.Linear)] == [32, 64, 128, 784]


def test_cgan_matches_chapter_8_and_conditions_both_players_on_the_label():
    cfg = preset("cgan")
    G, D = build_generator(cfg), build_discriminator(cfg)
    # ch. 4 generator + a 10x100 embedding; 64-64-128 discriminator + a 10x784 embedding (trainable, as Keras counts)
    assert (count_parameters(G), count_parameters(D)) == (1_636_737 + 1_000, 122_273)
    z, labels = G.sample_inputs(6, torch.Generator().manual_seed(0))
    assert z.shape == (6, 100) and labels.dtype == torch.long and 0 <= labels.min() and labels.max() <= 9
    x = G.eval()(z, labels)
    assert x.shape == (6, 1, 28, 28) and D(x, labels).shape == (6,)
    # the label changes what G draws from the same z, and what D thinks of the same image
    assert not torch.allclose(G(z, (labels + 1) % 10), x)
    assert not torch.allclose(D.eval()(x, (labels + 1) % 10), D(x, labels))


def test_cgan_live_grid_has_one_row_per_digit():
    G = build_generator(preset("cgan"))
    z, labels = G.grid_inputs(per_class=10, generator=torch.Generator().manual_seed(0))
    assert labels.view(10, 10).tolist() == [[d] * 10 for d in range(10)]
