import pytest

from gan.config import Config, ConfigError, field_help, preset


def test_presets_are_the_seed_defaults_and_valid():
    mlp, dcgan = preset("mlp").validate(), preset("dcgan").validate()
    assert (mlp.latent_dim, mlp.lr_g, mlp.lr_d, mlp.beta1, mlp.leaky_slope) == (100, 2e-4, 2e-4, 0.5, 0.2)
    assert (dcgan.batch_size, dcgan.lr_g, dcgan.beta1, dcgan.leaky_slope) == (128, 1e-3, 0.9, 0.01)
    assert dcgan.iterations == 20_000 and dcgan.sample_every == 1000  # GANs in Action's train() call


@pytest.mark.parametrize("field, value, message", [
    ("arch", "transformer", "arch must be one of mlp, dcgan"),
    ("batch_size", 0, r"batch_size must be in \[1, 4096\]"),
    ("batch_size", 3.5, "batch_size must be an integer"),
    ("lr_d", 0.0, r"lr_d must be in \(0, 1\]"),
    ("lr_g", float("nan"), "lr_g must be finite"),
    ("beta1", 1.0, r"beta1 must be in \[0, 1\)"),
    ("d_steps", 0, r"d_steps must be in \[1, 100\]"),
    ("label_smoothing", 0.7, r"label_smoothing must be in \[0, 0.5\)"),
    ("g_loss", "hinge", "g_loss must be one of non-saturating, minimax"),
    ("latent_dim", -4, "latent_dim must be in"),
    ("seconds", -1.0, r"seconds must be in \(0,"),
    ("epochs", float("inf"), "epochs must be finite"),
    ("iterations", 2.0, "iterations must be an integer"),
    ("device", "tpu", "device must be one of"),
])
def test_validation_names_the_field_and_its_range(field, value, message):
    with pytest.raises(ConfigError, match=message):
        preset("mlp").replace(**{field: value}).validate()


def test_a_run_needs_a_budget():
    with pytest.raises(ConfigError, match="budget"):
        Config(iterations=None, epochs=None, seconds=None).validate()


def test_epochs_convert_to_iterations_as_seed_000_does():
    cfg = Config(batch_size=10, iterations=None, epochs=500)
    assert cfg.iterations_for(100) == 5_000  # floor(100 / 10) * 500
    assert Config(batch_size=10, iterations=20, epochs=500).iterations_for(100) == 20  # the nearer budget wins


def test_config_round_trips_through_a_dict_and_rejects_unknown_keys():
    cfg = preset("dcgan", seed=7)
    assert Config.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown config field"):
        Config.from_dict({**cfg.to_dict(), "momentum": 0.9})


def test_every_field_has_help_text():
    help_text = field_help()
    assert set(help_text) == set(Config.__dataclass_fields__)
    assert "discriminator updates per generator update" in help_text["d_steps"]
