import errno
import os
import subprocess
import sys

import numpy as np
import torch
import pytest

import gan.__main__ as cli
from gan import fileio
from gan.__main__ import main
from gan.checkpoint import load_checkpoint
from gan.presets.train import lesson
from tests.conftest import ROOT

TINY = ["--g-width", "16", "--d-width", "32", "--latent-dim", "8", "--batch-size", "16", "--n-samples", "4",
        "--device", "cpu", "--no-progress"]


def test_train_writes_checkpoint_metrics_grids_and_gif_then_sample_reads_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--arch", "mlp", "--iters", "4", "--sample-every", "2", "--out", str(out), *TINY]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint.pt", "metrics.csv", "progress.gif", "samples_000002.png", "samples_000004.png"]
    header, *rows = (out / "metrics.csv").read_text().splitlines()
    assert header.startswith("iteration,epoch,d_loss,g_loss,d_acc_real,d_acc_fake") and len(rows) == 4

    assert main(["sample", "--checkpoint", str(out / "checkpoint.pt"), "--n", "10", "--out", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (10, 1, 28, 28) and samples.dtype == np.float32
    assert samples.min() >= -1 and samples.max() <= 1
    assert main(["sample", "--checkpoint", str(out / "checkpoint.pt"), "--n", "9", "--out", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_a_preset_of_the_train_page_starts_the_run_and_options_change_it(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--preset", "fast", "--iters", "3", "--lr-d", "4e-4", "--out", str(out), *TINY]) == 0
    config = load_checkpoint(out / "checkpoint.pt")["config"]
    fast = lesson("fast").config
    assert (config.g_ema, config.lr_g, config.lr_d, config.iterations) == (fast.g_ema, fast.lr_g, 4e-4, 3)
    assert config.seconds is None  # a budget on the command line replaces the preset's, as with --arch


def test_resume_continues_the_count(tmp_path):
    out = str(tmp_path / "run")
    main(["train", "--arch", "dcgan", "--iters", "2", "--out", out, *TINY])
    assert main(["train", "--resume", f"{out}/checkpoint.pt", "--iters", "3", "--out", out, "--no-progress"]) == 0
    assert len((tmp_path / "run" / "metrics.csv").read_text().splitlines()) == 1 + 3


@pytest.mark.parametrize("argv, reason", [
    (["train", "--lr-d", "-0.1"], "lr_d must be in (0, 1]"),
    (["train", "--arch", "vae"], "invalid choice: 'vae'"),
    (["train", "--batch-size", "many"], "invalid int value"),
    (["train", "--dataset", "mnist", "--data-dir", "{tmp}", "--out", "{tmp}/run"],
     "Nothing is downloaded unless you ask"),
    (["sample", "--checkpoint", "{tmp}/missing.pt", "--out", "{tmp}/x.npy"], "no such file"),
    (["sample", "--checkpoint", "x.pt", "--out", "x.jpg"], "must end in .npy or .png"),
    (["fly"], "invalid choice"),
    (["train", "--preset", "fast", "--arch", "dcgan"], "--preset sets the architecture"),
    (["train", "--preset", "wgan"], "invalid choice: 'wgan'"),
])
def test_bad_arguments_exit_non_zero_with_one_line(argv, reason, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert reason in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_resume_refuses_a_different_architecture(tmp_path, capsys):
    out = str(tmp_path / "run")
    main(["train", "--arch", "mlp", "--iters", "1", "--out", out, *TINY])
    assert main(["train", "--resume", f"{out}/checkpoint.pt", "--arch", "dcgan", "--out", out]) == 2
    assert "differs in: arch" in capsys.readouterr().err


def test_module_entry_point_prints_help():
    result = subprocess.run([sys.executable, "-m", "gan", "train", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "--label-smoothing" in result.stdout and "--resume" in result.stdout


def test_a_conditional_gan_trains_and_samples_the_asked_digit(tmp_path):
    out = tmp_path / "cgan"
    assert main(["train", "--arch", "cgan", "--iters", "3", "--g-width", "16", "--d-width", "8", "--batch-size", "8",
                 "--no-progress", "--out", str(out)]) == 0
    assert main(["sample", "--checkpoint", str(out / "checkpoint.pt"), "--n", "5", "--digit", "7",
                 "--out", str(tmp_path / "sevens.npy")]) == 0
    assert np.load(tmp_path / "sevens.npy").shape == (5, 1, 28, 28)


def test_digit_is_refused_for_an_unconditional_gan(tmp_path, capsys):
    out = tmp_path / "mlp"
    assert main(["train", "--arch", "mlp", "--iters", "2", "--g-width", "16", "--d-width", "16", "--no-progress",
                 "--out", str(out)]) == 0
    assert main(["sample", "--checkpoint", str(out / "checkpoint.pt"), "--digit", "3",
                 "--out", str(tmp_path / "x.npy")]) == 2
    assert "conditional" in capsys.readouterr().err


def test_a_cyclegan_trains_from_the_cli_and_sample_says_why_it_cannot(tmp_path, capsys):
    out = tmp_path / "cycle"
    assert main(["train", "--arch", "cyclegan", "--iters", "3", "--batch-size", "8", "--sample-every", "3",
                 "--no-progress", "--out", str(out)]) == 0
    assert (out / "checkpoint.pt").exists() and (out / "samples_000003.png").exists()
    assert main(["sample", "--checkpoint", str(out / "checkpoint.pt"), "--out", str(tmp_path / "x.npy")]) == 2
    assert "translates images" in capsys.readouterr().err


def test_the_semi_supervised_gan_trains_from_the_cli_and_samples(tmp_path):
    out = tmp_path / "sgan"
    assert main(["train", "--arch", "sgan", "--iters", "2", "--g-width", "16", "--d-width", "8",
                 "--no-progress", "--out", str(out)]) == 0
    assert main(["sample", "--checkpoint", str(out / "checkpoint.pt"), "--n", "3",
                 "--out", str(tmp_path / "s.npy")]) == 0


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a trainer was built")

    monkeypatch.setattr(cli, "build_trainer", refuse)
    monkeypatch.setattr(cli, "trainer_from_checkpoint", refuse)


@pytest.mark.parametrize("out, reason", [("file/run", "Not a directory"), ("file", "is a file, not a folder")])
def test_a_bad_out_folder_is_refused_before_training(out, reason, tmp_path, capsys, no_training):
    (tmp_path / "file").write_text("not a folder")
    assert main(["train", "--arch", "mlp", "--iters", "2", "--out", str(tmp_path / out), *TINY]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --out ") and reason in err and len(err.splitlines()) == 1


def test_resuming_a_bundled_generator_says_it_holds_only_a_generator(tmp_path, capsys, no_training):
    bundled = ROOT / "assets" / "pretrained" / "dcgan.pt"
    assert main(["train", "--resume", str(bundled), "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "holds only a generator" in err and "not resumed" in err and len(err.splitlines()) == 1


def test_resuming_a_cut_down_training_state_is_one_line(tmp_path, capsys):
    import torch

    out = tmp_path / "run"
    assert main(["train", "--arch", "mlp", "--iters", "1", "--out", str(out), *TINY]) == 0
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    del state["opt_g"]
    torch.save(state, tmp_path / "cut.pt")
    assert main(["train", "--resume", str(tmp_path / "cut.pt"), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot be resumed" in err and "opt_g" in err and len(err.splitlines()) == 1


def test_a_full_disk_says_so_in_one_line_and_keeps_the_last_checkpoint(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main(["train", "--arch", "mlp", "--iters", "2", "--out", str(out), *TINY]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()

    def full(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(fileio, "_write_file", full)
    assert main(["train", "--resume", str(out / "checkpoint.pt"), "--iters", "4", "--out", str(out),
                 "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: disk full") and "Traceback" not in err and len(err.splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temp file, nothing overwritten


def test_sample_refuses_what_the_machine_cannot_hold_before_allocating(tmp_path, capsys, monkeypatch):
    import gan.checkpoint
    from gan.latent import bundled_generators

    assert main(["sample", "--checkpoint", str(bundled_generators()["MLP GAN (seed 001)"]), "--n", "3000000",
                 "--out", str(tmp_path / "b.npy")]) == 2
    assert "--n: at most 100,000" in capsys.readouterr().err
    state = torch.load(bundled_generators()["DCGAN (GANs in Action, ch. 4)"], weights_only=True)
    state["config"] = {**state["config"], "latent_dim": 4096, "g_width": 4096}
    torch.save(state, tmp_path / "huge.pt")
    monkeypatch.setattr("gan.__main__.available_memory", lambda: 2 * 2**30)  # a machine with 2 GiB free
    monkeypatch.setattr(gan.checkpoint, "build_generator", lambda *a: pytest.fail("built before judged"))
    assert main(["sample", "--checkpoint", str(tmp_path / "huge.pt"), "--out", str(tmp_path / "h.png")]) == 2
    assert "needs about" in capsys.readouterr().err
