import errno
import os
import pickle

import pytest
import torch

from gan import fileio
from gan.checkpoint import CheckpointError, generator_from_checkpoint, load_checkpoint, save_checkpoint
from gan.fileio import DiskFull
from gan.runs import save_run
from gan.train import GANTrainer
from tests.conftest import tiny_config


@pytest.fixture
def trained(digits):
    t = GANTrainer(tiny_config("dcgan", iterations=6), images=digits)
    run = t.run()
    for _ in range(3):
        next(run)
    return t


def test_round_trip_restores_the_generator_exactly(trained, tmp_path):
    path = save_checkpoint(trained.state_dict(), tmp_path / "run" / "checkpoint.pt")
    state = load_checkpoint(path)
    assert state["config"] == trained.config and state["iteration"] == 3
    G = generator_from_checkpoint(state)
    for (name, kept), saved in zip(G.state_dict().items(), trained.G.state_dict().values(), strict=True):
        assert torch.equal(kept, saved), name
    z = torch.randn(4, trained.config.latent_dim)
    trained.G.eval()
    with torch.no_grad():  # the trainer's channels-last layout may sum in another order than the loaded default
        assert torch.allclose(G(z), trained.G(z), atol=1e-6)


@pytest.mark.parametrize("arch, g_ema", [("mlp", 0.0), ("dcgan", 0.0), ("mlp", 0.9)])
def test_resuming_continues_the_same_run(arch, g_ema, digits, tmp_path):
    straight = GANTrainer(tiny_config(arch, iterations=6, g_ema=g_ema), images=digits)
    expected = [r.metrics() for r in straight.run()]

    first = GANTrainer(tiny_config(arch, iterations=3, g_ema=g_ema), images=digits)
    list(first.run())
    save_checkpoint(first.state_dict(), tmp_path / "c.pt")
    resumed = GANTrainer.from_checkpoint(load_checkpoint(tmp_path / "c.pt"), images=digits, iterations=6)
    list(resumed.run())

    assert resumed.iteration == 6
    for key in ("iteration", "d_loss", "g_loss", "d_acc_real", "d_fake"):
        assert resumed.history[key] == [m[key] for m in expected]
    for a, b in zip(resumed.shown_generator.state_dict().values(), straight.shown_generator.state_dict().values(),
                    strict=True):
        assert torch.equal(a, b)
    for a, b in zip(resumed.G.parameters(), straight.G.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_checkpoint_with_an_average_gives_the_averaged_generator(digits, tmp_path):
    trainer = GANTrainer(tiny_config(iterations=3, g_ema=0.9), images=digits)
    list(trainer.run())
    G = generator_from_checkpoint(load_checkpoint(save_checkpoint(trainer.state_dict(), tmp_path / "c.pt")))
    for name, weight in G.state_dict().items():
        assert torch.equal(weight, trainer.shown_generator.state_dict()[name]), name
    assert not torch.equal(G.net[0].weight, trainer.G.net[0].weight)


def test_a_resumed_run_keeps_its_hyperparameters(trained, tmp_path):
    save_checkpoint(trained.state_dict(), tmp_path / "c.pt")
    with pytest.raises(ValueError, match="keeps its hyperparameters"):
        GANTrainer.from_checkpoint(load_checkpoint(tmp_path / "c.pt"), lr_g=0.1)


def test_truncated_file_is_refused_clearly(trained, tmp_path):
    path = save_checkpoint(trained.state_dict(), tmp_path / "c.pt")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable GAN Arena checkpoint"):
        load_checkpoint(path)


def test_random_bytes_and_missing_files_are_refused(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(os.urandom(2048))
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(junk)
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "nope.pt")


def test_a_torch_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a GAN Arena checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch HACKED",))


def test_a_hostile_pickle_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, save in (("torch.pt", lambda p: torch.save({"x": Exploit()}, p)),
                       ("raw.pkl", lambda p: p.write_bytes(pickle.dumps(Exploit())))):
        save(tmp_path / name)
        # A bare pickle is no zip archive: refused before it is unpickled at all.
        with pytest.raises(CheckpointError, match="never loads" if name == "torch.pt" else "not a readable") as refused:
            load_checkpoint(tmp_path / name)
        assert "weights_only" not in str(refused.value)  # PyTorch's advice to load it unsafely is not passed on
    assert not (tmp_path / "HACKED").exists()


def test_no_refusal_suggests_unsafe_loading_and_each_says_what_is_expected(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"these bytes are no checkpoint")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    for name in ("junk.pt", "other.pt"):
        with pytest.raises(CheckpointError, match="Expected: a checkpoint.pt") as refused:
            load_checkpoint(tmp_path / name)
        assert "weights_only" not in str(refused.value) and "torch.load" not in str(refused.value)


def test_weights_of_another_architecture_are_refused(trained, tmp_path):
    state = trained.state_dict()
    state["config"] = tiny_config("mlp").to_dict()  # claims MLP, holds DCGAN weights
    save_checkpoint(state, tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="do not fit the architecture"):
        generator_from_checkpoint(load_checkpoint(tmp_path / "c.pt"))


def test_invalid_config_inside_a_checkpoint_is_refused(trained, tmp_path):
    state = trained.state_dict()
    state["config"]["lr_g"] = -1.0
    save_checkpoint(state, tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="invalid config: lr_g"):
        load_checkpoint(tmp_path / "c.pt")


def fill_the_disk(monkeypatch, code: int = errno.ENOSPC, after: str = ""):
    """The low-level write gets half its bytes out, then the disk is full (or the quota spent): for the file named
    `after`, or for every file."""
    real = fileio._write_file

    def full(path, data):
        if after and not path.name.startswith(f".{after}."):  # temp files are named .NAME.XXXX.tmp
            return real(path, data)
        path.write_bytes(bytes(data)[: len(data) // 2])
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(fileio, "_write_file", full)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_says_so_and_keeps_the_previous_checkpoint(code, trained, tmp_path, monkeypatch):
    path = save_checkpoint(trained.state_dict(), tmp_path / "c.pt")
    before = path.read_bytes()
    fill_the_disk(monkeypatch, code)
    with pytest.raises(DiskFull, match=r"^disk full: could not write .*c\.pt \(the previous version is kept\)$"):
        save_checkpoint(trained.state_dict(), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.pt"]  # no temp file left behind


def test_other_write_errors_pass_through_unchanged(trained, tmp_path, monkeypatch):
    def refused(path, data):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(fileio, "_write_file", refused)
    with pytest.raises(PermissionError) as failed:
        save_checkpoint(trained.state_dict(), tmp_path / "c.pt")
    assert not isinstance(failed.value, DiskFull) and os.listdir(tmp_path) == []


def test_save_run_keeps_the_previous_metrics_when_the_disk_is_full(trained, tmp_path, monkeypatch):
    save_run(trained.state_dict(), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    list(trained.run())  # three more iterations: new metrics and a new checkpoint to write
    fill_the_disk(monkeypatch, after="metrics.csv")
    with pytest.raises(DiskFull, match="disk full: could not write .*metrics.csv"):
        save_run(trained.state_dict(), tmp_path)
    assert (tmp_path / "metrics.csv").read_bytes() == before["metrics.csv"]
    assert sorted(os.listdir(tmp_path)) == sorted(before)  # no temp file left behind


def test_a_cyclegan_checkpoint_is_refused_where_a_noise_generator_is_needed(tmp_path):
    from gan.config import preset
    from gan.train.build import build_trainer

    trainer = build_trainer(preset("cyclegan", iterations=1, batch_size=8))
    path = save_checkpoint(trainer.state_dict(), tmp_path / "cycle.pt")
    with pytest.raises(CheckpointError, match="translate images"):
        generator_from_checkpoint(load_checkpoint(path))
