"""Datasets beyond the digits: shapes and the user's own images in the config, the models and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gan.__main__ import main
from gan.checkpoint import generator_from_checkpoint, load_checkpoint
from gan.config import Config, ConfigError, preset
from gan.data import load_dataset, to_training_tensor
from gan.models import build_discriminator, build_generator
from gan.shapes import draw_shapes

SMALL = dict(g_width=32, d_width=16, latent_dim=8, batch_size=8)


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
@pytest.mark.parametrize("dataset, size", [("shapes", 28), ("shapes", 32), ("shapes-rgb", 32), ("shapes-rgb", 64)])
def test_the_models_follow_the_data(arch, dataset, size):
    cfg = preset(arch, dataset=dataset, image_size=size, **SMALL).validate()
    G, D = build_generator(cfg), build_discriminator(cfg)
    fake = G(*G.sample_inputs(4))
    assert fake.shape == (4, *cfg.image_shape) == (4, 3 if dataset == "shapes-rgb" else 1, size, size)
    assert D(fake).shape == (4,)


def test_the_digits_dcgan_keeps_the_books_layers():
    """The bundled generators' files name these layers: the 28x28 DCGAN is the book's, untouched."""
    G = build_generator(preset("dcgan"))
    assert G.project.out_features == 256 * 7 * 7
    assert [type(m).__name__ for m in G.net][:3] == ["ConvTranspose2d", "BatchNorm2d", "LeakyReLU"]
    assert G.net[0].in_channels == 256 and G.net[0].out_channels == 128


@pytest.mark.parametrize("changes, says", [
    (dict(dataset="mnist-embedded", image_size=32), "28x28"),
    (dict(arch="sgan", dataset="shapes"), "labelled 28x28 digits"),
    (dict(arch="cgan", dataset="images"), "has none"),
    (dict(arch="dcgan", dataset="shapes", image_size=48), "28, 32, 64"),
    (dict(dataset="shapes", image_size=200), "image_size"),
])
def test_data_a_model_cannot_train_on_is_refused_by_name(changes, says):
    arch = changes.pop("arch", "mlp")
    with pytest.raises(ConfigError, match=says):
        preset(arch, **changes).validate()


def test_the_mlp_takes_any_size_and_old_configs_are_digits():
    assert preset("mlp", dataset="shapes", image_size=48).validate().image_shape == (1, 48, 48)
    old = Config.from_dict({k: v for k, v in preset("dcgan").to_dict().items() if k not in ("image_size",
                                                                                             "image_folder")})
    assert old.image_shape == (1, 28, 28) and old.digits


def test_shapes_are_labelled_by_their_shape_and_colour_is_channels_last():
    images, labels = load_dataset("shapes-rgb", image_size=32)
    assert images.shape == (5000, 32, 32, 3) and images.dtype == np.uint8
    assert sorted(np.unique(labels)) == [0, 1, 2]
    x = to_training_tensor(images[:4], "cpu")
    assert x.shape == (4, 3, 32, 32) and -1 <= x.min() < x.max() <= 1
    assert torch.equal(x[0, :, 10, 20], torch.from_numpy(images[0, 10, 20].astype(np.float32)) / 127.5 - 1)


def _train(tmp_path, *flags: str) -> dict:
    out = tmp_path / "run"
    assert main(["train", *flags, "--iterations", "4", "--sample-every", "2", "--batch-size", "8", "--g-width", "32",
                 "--d-width", "16", "--latent-dim", "8", "--out", str(out), "--no-progress", "--device", "cpu",
                 "--precision", "fp32"]) == 0
    return load_checkpoint(out / "checkpoint.pt")


@pytest.mark.parametrize("flags, shape", [
    (("--dataset", "shapes"), (1, 28, 28)),
    (("--dataset", "shapes-rgb", "--image-size", "64", "--arch", "dcgan"), (3, 64, 64)),
])
def test_the_cli_trains_on_shapes_and_the_checkpoint_draws_them(tmp_path, flags, shape):
    state = _train(tmp_path, *flags)
    G = generator_from_checkpoint(state, "cpu")
    assert G(*G.sample_inputs(2)).shape == (2, *shape)
    assert state["config"].dataset == flags[1]


def test_the_cli_trains_on_a_folder_and_the_run_keeps_its_images(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    images, _ = draw_shapes(70, size=40, seed=1, rgb=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i}.png")
    (folder / "notes.txt").write_text("not an image")
    state = _train(tmp_path, "--dataset", str(folder), "--image-size", "32")
    config = state["config"]
    assert config.dataset == "images" and config.image_folder == str((tmp_path / "run" / "images.npz").resolve())
    kept, labels = load_dataset(config.dataset, config.image_size, config.image_folder)
    assert kept.shape == (70, 32, 32) and labels is None  # grey, as asked; every image, the text file left out
    folder.rename(tmp_path / "moved")  # the run no longer needs the folder it was read from
    G = generator_from_checkpoint(state, "cpu")
    assert G(*G.sample_inputs(2)).shape == (2, 1, 32, 32)


def test_own_images_without_a_folder_say_where_to_give_them(tmp_path, capsys):
    assert main(["train", "--dataset", "images", "--out", str(tmp_path / "run"), "--iterations", "2"]) == 2
    assert "no folder given" in capsys.readouterr().err


def test_a_folder_with_too_few_images_is_one_clear_error(tmp_path, capsys):
    folder = tmp_path / "few"
    folder.mkdir()
    for i in range(3):
        Image.new("L", (16, 16), i * 40).save(folder / f"{i}.png")
    assert main(["train", "--dataset", str(folder), "--out", str(tmp_path / "run"), "--iterations", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: your own images:") and "Traceback" not in err
    assert not (tmp_path / "run" / "images.npz").exists()


def _folder(path, n: int, seed: int, rgb: bool = True):
    path.mkdir()
    for i, image in enumerate(draw_shapes(n, size=36, seed=seed, rgb=rgb)[0]):
        Image.fromarray(image).save(path / f"{i}.png")
    return path


def test_the_cycle_gan_translates_between_two_folders_of_your_images_and_keeps_both(tmp_path):
    a, b = _folder(tmp_path / "a", 70, seed=1), _folder(tmp_path / "b", 80, seed=2)
    out = tmp_path / "run"
    assert main(["train", "--arch", "cyclegan", "--dataset", "images-rgb", "--image-folder", str(a),
                 "--image-folder-b", str(b), "--image-size", "32", "--iterations", "3", "--batch-size", "4",
                 "--out", str(out), "--no-progress", "--device", "cpu"]) == 0
    config = load_checkpoint(out / "checkpoint.pt")["config"]
    assert (config.image_folder, config.image_folder_b) == (str((out / "images.npz").resolve()),
                                                            str((out / "images_b.npz").resolve()))
    assert load_dataset("images-rgb", 32, config.image_folder_b)[0].shape == (80, 32, 32, 3)
    from gan.train.build import trainer_from_checkpoint

    trainer = trainer_from_checkpoint(load_checkpoint(out / "checkpoint.pt"), device="cpu")
    assert trainer.real_a.shape == (70, 3, 32, 32) and trainer.real_b.shape == (80, 3, 32, 32)
    assert trainer.G_AB(trainer.real_a[:2]).shape == (2, 3, 32, 32)


@pytest.mark.parametrize("changes, says", [
    (dict(dataset="shapes"), "two domains"),
    (dict(dataset="images", image_size=30), "multiple of 4"),
])
def test_a_cycle_gan_on_data_it_cannot_translate_is_refused(changes, says):
    with pytest.raises(ConfigError, match=says):
        preset("cyclegan", **changes).validate()


@pytest.mark.parametrize("dataset, size", [("shapes", 32), ("shapes-rgb", 64)])
def test_the_conditional_gan_draws_the_shape_it_is_told(dataset, size):
    """The shapes are labelled: the conditional GAN is told which of the three to draw, one grid row per shape."""
    cfg = preset("cgan", dataset=dataset, image_size=size, **SMALL).validate()
    G, D = build_generator(cfg), build_discriminator(cfg)
    z, labels = G.sample_inputs(6, torch.Generator().manual_seed(0))
    assert set(labels.tolist()) <= {0, 1, 2} and G.n_classes == 3
    fake = G(z, labels)
    assert fake.shape == (6, *cfg.image_shape) and D(fake, labels).shape == (6,)
    grid_z, grid_labels = G.grid_inputs(2)
    assert grid_labels.tolist() == [0, 0, 1, 1, 2, 2]


def test_the_bundled_conditional_gan_keeps_its_digits():
    G = build_generator(preset("cgan"))
    assert G.n_classes == 10 and G.embed.weight.shape == (10, 100)
