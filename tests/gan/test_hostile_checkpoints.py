"""Crafted checkpoints: each is refused with one CheckpointError that names what is wrong, before a page reads it;
and what loading a file may cost is bounded before anything is unpacked."""

import io
import math
import zipfile
from dataclasses import asdict

import pytest
import torch

from gan.checkpoint import FORMAT, VERSION, CheckpointError, load_checkpoint, save_checkpoint
from gan.latent import bundled_generators, load_generator
from gan.quality import QualityScore
from gan.train import GANTrainer
from tests.conftest import tiny_config


@pytest.fixture(scope="module")
def state():
    """A tiny MLP run's checkpoint state, one iteration in (a fresh copy per use: see `crafted`)."""
    trainer = GANTrainer(tiny_config("mlp", iterations=1))
    list(trainer.run())
    return trainer.state_dict()


def crafted(state, tmp_path, **changes):
    path = tmp_path / "crafted.pt"
    changed = {**state, **changes}
    torch.save({"format": FORMAT, "version": VERSION, **changed}, path)
    return path


def with_weight(state, value):
    """The generator's weights with the first one replaced by `value`."""
    weights = dict(state["generator"])
    weights[next(iter(weights))] = value
    return weights


def poisoned(state, bad: float):
    weights = dict(state["generator"])
    name = next(iter(weights))
    weights[name] = weights[name].clone()
    weights[name].view(-1)[0] = bad
    return weights


# -------------------------------------------------------------------------------- contents that would crash a page
HOSTILE = {
    "NaN weight": (lambda s: {"generator": poisoned(s, math.nan)}, "NaN or infinite"),
    "infinite weight": (lambda s: {"generator": poisoned(s, math.inf)}, "NaN or infinite"),
    "string weight": (lambda s: {"generator": with_weight(s, "weights")}, "not a tensor"),
    "nested-list weight": (lambda s: {"generator": with_weight(s, [[0.1, 0.2], [0.3]])}, "not a tensor"),
    "generator a list": (lambda s: {"generator": [torch.zeros(3)]}, "generator weights"),
    "no generator": (lambda s: {"generator": None}, "generator weights"),
    "stride-0 giant weight": (lambda s: {"generator": with_weight(s, torch.zeros(1).expand(10**9))},
                              "larger than the data"),
    "iteration a string": (lambda s: {"iteration": "many"}, "iteration count"),
    "iteration negative": (lambda s: {"iteration": -3}, "iteration count"),
    "elapsed a string": (lambda s: {"elapsed": "an hour"}, "training time"),
    "elapsed NaN": (lambda s: {"elapsed": math.nan}, "training time"),
    "quality a string": (lambda s: {"quality": "excellent"}, "quality score"),
    "quality a list": (lambda s: {"quality": [1, 2, 3]}, "quality score"),
    "quality without numbers": (lambda s: {"quality": {"fid": "low", "recognisable": 0.9}}, "quality score"),
    "history a string": (lambda s: {"history": "long"}, "metric history"),
    "history of strings": (lambda s: {"history": {**s["history"], "d_loss": ["high"]}}, "metric history"),
    "history of non-lists": (lambda s: {"history": {**s["history"], "g_loss": 0.5}}, "metric history"),
    "history missing curves": (lambda s: {"history": {"d_loss": [0.7]}}, "lacks iteration"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_crafted_checkpoint_is_refused_in_one_line_naming_the_problem(case, state, tmp_path):
    change, reason = HOSTILE[case]
    path = crafted(state, tmp_path, **change(state))
    with pytest.raises(CheckpointError, match=reason) as refused:
        load_generator(path)  # what the Explorer and the Compare page call
    assert len(str(refused.value).splitlines()) == 1


# -------------------------------------------------------------------------------- what stays welcome
def test_the_bundled_generators_load():
    for name, path in bundled_generators().items():
        G, state = load_generator(path)
        assert state["iteration"] > 0 and state["quality"]["fid"] > 0, name


def test_what_the_trainers_and_the_race_write_loads(state, tmp_path):
    from gan.config import preset
    from gan.train.build import build_trainer

    quality = asdict(QualityScore(fid=12.0, confidence=0.9, class_histogram=(0.1,) * 10, classes_covered=10,
                                  recognisable=0.8))  # what the race's runner adds; kid etc. None
    ema = GANTrainer(tiny_config("mlp", iterations=1, g_ema=0.9))
    list(ema.run())
    states = {"race": {**state, "quality": quality}, "g_ema": ema.state_dict(),
              "sgan": build_trainer(tiny_config("sgan", iterations=1)).state_dict(),
              "cyclegan": build_trainer(preset("cyclegan", iterations=1, batch_size=8)).state_dict()}
    for name, written in states.items():
        assert load_checkpoint(save_checkpoint(written, tmp_path / f"{name}.pt"))["config"], name


def test_a_half_precision_generator_with_partial_extras_loads(state, tmp_path):
    half = {k: v.half() if v.is_floating_point() else v for k, v in state["generator"].items()}
    for extras in ({}, {"history": {}, "quality": {}}, {"quality": None, "elapsed": None, "iteration": 0},
                   {"history": {"iteration": [], "d_loss": []}}):
        path = tmp_path / "half.pt"
        torch.save({"format": FORMAT, "version": VERSION, "config": state["config"], "generator": half, **extras},
                   path)
        G, _ = load_generator(path)
        assert next(G.parameters()).dtype == torch.float32


# -------------------------------------------------------------------------------- the cost of loading
def zip_bomb(mib: int = 600) -> bytes:
    """A deflated archive of `mib` MiB of zeros: under 3 MB on disk."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("archive/data.pkl", "w", force_zip64=True) as entry:
            for _ in range(mib):
                entry.write(bytes(1 << 20))
    return buf.getvalue()


@pytest.fixture
def no_unpacking(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("torch.load was reached")

    monkeypatch.setattr(torch, "load", refuse)


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path, no_unpacking):
    bomb = zip_bomb()
    assert len(bomb) < 4 * 2**20
    (tmp_path / "bomb.pt").write_bytes(bomb)
    upload = io.BytesIO(bomb)
    upload.name = "upload.pt"
    for source in (tmp_path / "bomb.pt", upload):
        with pytest.raises(CheckpointError, match=r"600\.0 MiB.*more than the 512\.0 MiB"):
            load_checkpoint(source)


def test_the_size_bound_is_a_parameter(state, tmp_path):
    path = save_checkpoint(state, tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="more than the 0.0 MiB"):
        load_checkpoint(path, max_bytes=1000)
    assert load_checkpoint(path)["iteration"] == 1


def test_a_compressed_archive_is_refused(state, tmp_path, no_unpacking):
    path = save_checkpoint(state, tmp_path / "c.pt")
    squeezed = tmp_path / "squeezed.pt"
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(squeezed, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in original.infolist():
            copy.writestr(entry.filename, original.read(entry))
    with pytest.raises(CheckpointError, match="compressed"):
        load_checkpoint(squeezed)


def test_a_file_that_is_not_a_zip_archive_is_refused_unread(state, tmp_path, no_unpacking):
    legacy = tmp_path / "legacy.pt"  # PyTorch's pre-1.6 format: a bare pickle stream, never written by GAN Arena
    with open(legacy, "wb") as f:
        f.write(b"\x80\x02}q\x00.")
    with pytest.raises(CheckpointError, match="not a readable GAN Arena checkpoint"):
        load_checkpoint(legacy)


def test_a_legacy_torch_file_is_refused(state, tmp_path):
    path = tmp_path / "legacy.pt"
    torch.save({"format": FORMAT, "version": VERSION, **state}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="not a readable GAN Arena checkpoint"):
        load_checkpoint(path)


def test_an_upload_is_rewound_after_the_archive_is_read(state, tmp_path):
    upload = io.BytesIO(save_checkpoint(state, tmp_path / "c.pt").read_bytes())
    upload.name = "mine.pt"
    assert load_checkpoint(upload)["iteration"] == 1


def test_a_history_of_millions_of_rows_is_thinned_before_a_page_reads_it(tmp_path):
    from gan.latent import HISTORY_ROWS_SHOWN  # noqa: PLC0415 - the one test that needs it

    state = torch.load(bundled_generators()["MLP GAN (seed 001)"], weights_only=True)
    rows = [0] * 5_000_000  # pickled once, referenced five times: a 13 MB file
    state["history"] = {key: rows for key in ("iteration", "d_loss", "g_loss", "d_acc_real", "d_acc_fake")}
    path = tmp_path / "long.pt"
    torch.save(state, path)
    _, loaded = load_generator(path)  # the page then builds one dict per row on every rerun: 500 MB per million
    assert all(len(values) <= HISTORY_ROWS_SHOWN for values in loaded["history"].values())
    assert loaded["history"]["iteration"] and len(loaded["history"]["d_loss"]) == len(loaded["history"]["iteration"])


@pytest.mark.parametrize("change, words", [
    ({"config": "not a table"}, "holds no config"),
    ({"quality": {"fid": float("nan"), "recognisable": 0.5, "classes_covered": 10}}, "out of range"),
    ({"quality": {"fid": 12.0, "recognisable": float("inf"), "classes_covered": 10}}, "out of range"),
    ({"quality": {"fid": 12.0, "recognisable": 0.5, "classes_covered": 10_000}}, "out of range"),
])
def test_a_config_or_score_a_page_would_print_as_nonsense_is_refused(change, words, tmp_path):
    state = torch.load(bundled_generators()["MLP GAN (seed 001)"], weights_only=True)
    torch.save({**state, **change}, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(tmp_path / "odd.pt")
