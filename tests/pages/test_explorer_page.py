"""AppTest of the Latent Explorer: a new user opens it, moves sliders, and digits morph, with no training first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gan.checkpoint import save_checkpoint
from gan.train import GANTrainer
from ui import keys
from tests.conftest import rerun, shown
from tests.pages.conftest import open_page

PAGE = "app_pages/explorer.py"

pytestmark = pytest.mark.usefixtures("isolated_runs")


def open_explorer(**state) -> AppTest:
    return open_page(PAGE, state=state)


def generated(at: AppTest) -> str:
    """URL of the image G(z) at t (media URLs are content hashes: a new image gets a new URL)."""
    return next(image for image in at.image if image.captions[0].startswith("G(z) at t")).value[0]


def strip(at: AppTest) -> str:
    return next(image for image in at.image if image.captions[0].startswith("The walk")).value[0]


def slider(at: AppTest, key: str):
    return at.slider(key=key)


def test_bundled_generator_loads_and_shows_everything():
    at = open_explorer()
    assert not at.error
    assert any("MLP GAN" in m.value and "FID" in m.value for m in at.markdown)
    captions = [image.captions[0] for image in at.image]
    assert any(c.startswith("G(z) at t = 0.50") for c in captions)
    assert any(c.startswith("Nearest training digit") for c in captions)
    assert any(re.match(r"The walk from A \(seed \d+\) to B \(seed \d+\)", c) for c in captions)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Classifier says"] in [str(d) for d in range(10)]
    assert metrics["Confidence"].endswith("%")
    directions = [keys.Explorer.direction(i) for i in range(5)]
    assert [s.key for s in at.slider if s.key.startswith("explorer.direction")] == directions
    assert at.download_button(key=keys.Explorer.GIF).label == "Download the walk as a GIF"


def test_moving_t_changes_the_image_but_not_the_strip():
    at = open_explorer()
    image, walk = generated(at), strip(at)
    slider(at, keys.Explorer.T).set_value(0.1)
    rerun(at)
    assert generated(at) != image
    assert strip(at) == walk
    assert any(image.captions[0].startswith("G(z) at t = 0.10") for image in at.image)


def test_slerp_and_lerp_differ():
    at = open_explorer()
    assert at.radio(key=keys.Explorer.MODE).value == "slerp"
    slerp_image, slerp_strip = generated(at), strip(at)
    at.radio(key=keys.Explorer.MODE).set_value("lerp")
    rerun(at)
    assert generated(at) != slerp_image and strip(at) != slerp_strip
    assert any("|z|" in image.captions[0] for image in at.image)


def test_direction_and_raw_sliders_edit_the_image():
    at = open_explorer()
    image = generated(at)
    slider(at, keys.Explorer.direction(0)).set_value(2.0)
    rerun(at)
    edited = generated(at)
    assert edited != image
    at.button(key=keys.Explorer.RESET_DIRECTIONS).click()
    rerun(at)
    assert slider(at, keys.Explorer.direction(0)).value == 0.0 and generated(at) == image
    at.radio(key=keys.Explorer.EDIT_MODE).set_value("Raw dimensions")
    rerun(at)
    slider(at, keys.Explorer.dim(0)).set_value(-3.0)
    rerun(at)
    assert generated(at) != image


def test_grid_cell_picks_an_endpoint():
    at = open_explorer()
    at.button(key=keys.Explorer.pick("a", 0)).click()
    rerun(at)
    assert at.number_input(key=keys.Explorer.SEED_A).value == 100
    at.button(key=keys.Explorer.pick("b", 3)).click()
    rerun(at)
    assert at.number_input(key=keys.Explorer.SEED_B).value == 103
    assert any(c.captions[0].startswith("The walk from A (seed 100) to B (seed 103)") for c in at.image)


def test_the_bundled_dcgan_loads_and_morphs():
    at = open_explorer()
    at.selectbox(key=keys.Picker.bundled(keys.Explorer.PICKER)).set_value("DCGAN (GANs in Action, ch. 4)")
    rerun(at)
    assert not at.error and any("DCGAN" in m.value for m in at.markdown)
    image = generated(at)
    slider(at, keys.Explorer.T).set_value(0.9)
    rerun(at)
    assert generated(at) != image


def test_a_bad_upload_shows_a_clear_error():
    at = open_explorer(**{keys.Picker.source(keys.Explorer.PICKER): "Upload"})
    at.file_uploader(key=keys.Picker.upload(keys.Explorer.PICKER)).upload("broken.pt", b"these bytes are no checkpoint")
    rerun(at)
    assert len(at.error) == 1
    message = shown(at.error[0].value)
    assert message.startswith("Cannot explore this file") and "broken.pt" in message
    assert not at.image  # nothing to explore


def test_a_good_upload_and_a_saved_run_load(tmp_path, tiny, digits):
    trainer = GANTrainer(tiny("dcgan", iterations=2), images=digits, device="cpu")
    for _ in trainer.run():
        pass
    runs = tmp_path / "runs"
    checkpoint = save_checkpoint(trainer.state_dict(), runs / "tiny-dcgan" / "checkpoint.pt")
    at = open_explorer(**{keys.Picker.source(keys.Explorer.PICKER): "Upload"})
    at.file_uploader(key=keys.Picker.upload(keys.Explorer.PICKER)).upload("tiny.pt", checkpoint.read_bytes())
    rerun(at)
    assert not at.error and generated(at)
    at.segmented_control(key=keys.Picker.source(keys.Explorer.PICKER)).set_value("Saved run")
    rerun(at)
    assert at.selectbox(key=keys.Picker.run(keys.Explorer.PICKER)).value.name == "tiny-dcgan"
    assert not at.error and generated(at)


def test_the_walk_exports_as_an_animated_gif(tiny):
    import io

    import torch
    from PIL import Image

    from gan.models import build_generator
    from ui.explorer import walk_gif

    torch.manual_seed(0)
    G = build_generator(tiny("dcgan")).eval()
    data = walk_gif(G, 1, 2, "slerp", None, frames=12)
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF" and gif.n_frames == 12 and gif.size == (28 * 6, 28 * 6)


CGAN = "Conditional GAN (CGAN, GANs in Action, ch. 8)"


def test_the_bundled_cgan_morphs_between_digits_with_the_same_z():
    at = open_explorer(**{keys.Picker.bundled(keys.Explorer.PICKER): CGAN})
    assert not at.error and any("CGAN" in m.value and "digit asked for" in m.value for m in at.markdown)
    assert at.checkbox(key=keys.Explorer.SAME_Z).value
    assert at.number_input(key=keys.Explorer.SEED_B).disabled  # same z: B's seed is A's
    at.selectbox(key=keys.Explorer.DIGIT_A).set_value(3)
    at.selectbox(key=keys.Explorer.DIGIT_B).set_value(8)
    slider(at, keys.Explorer.T).set_value(0.0)
    rerun(at)
    assert {m.label: m.value for m in at.metric}["Classifier says"] == "3"
    assert any(c.captions[0].startswith("The walk from A (seed 1, digit 3) to B (seed 1, digit 8)") for c in at.image)
    image, walk = generated(at), strip(at)
    slider(at, keys.Explorer.T).set_value(1.0)
    rerun(at)
    assert generated(at) != image and strip(at) == walk
    assert {m.label: m.value for m in at.metric}["Classifier says"] == "8"
    at.checkbox(key=keys.Explorer.SAME_Z).uncheck()  # z walks to seed 2 as well
    rerun(at)
    assert strip(at) != walk
    assert any(c.captions[0].startswith("The walk from A (seed 1, digit 3) to B (seed 2, digit 8)") for c in at.image)
    slider(at, keys.Explorer.direction(0)).set_value(2.0)  # directions act on z, with A's digit
    rerun(at)
    assert not at.error and not at.exception


def test_the_conditional_walk_exports_as_a_gif(tiny):
    import io

    import torch
    from PIL import Image

    from gan.models import build_generator
    from ui.explorer import walk_gif

    torch.manual_seed(0)
    G = build_generator(tiny("cgan")).eval()
    data = walk_gif(G, 1, 1, "slerp", None, frames=6, digits=(3, 8))
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF" and gif.n_frames == 6


def test_a_new_tab_opens_on_a_walk_that_visibly_morphs():
    import torch

    from gan.latent import bundled_generators, generate, interpolate_latents, latent, load_generator
    from gan.quality import classify

    at = open_explorer()
    seeds = at.number_input(key=keys.Explorer.SEED_A).value, at.number_input(key=keys.Explorer.SEED_B).value
    G, _ = load_generator(bundled_generators()["MLP GAN (seed 001)"])
    z_a, z_b = (latent(G, int(seed)) for seed in seeds)
    walk = interpolate_latents(z_a, z_b, torch.tensor([0.25, 0.75]), "slerp")
    labels, _ = classify(generate(G, walk))
    assert labels[0] != labels[1], seeds  # a quarter and three quarters of the way: two different digits


# ------------------------------------------------------------------------------------------ the bundled previews
MLP = "MLP GAN (seed 001)"
DCGAN = "DCGAN (GANs in Action, ch. 4)"
STANDALONE = "../../app_pages/explorer.py"  # the page alone keeps a link's values (AppTest drops them on a switch)


def previews() -> dict:
    import json

    from ui.explorer import PREVIEWS

    return json.loads(PREVIEWS.read_text(encoding="utf-8"))


def preview_bytes(entry: dict, part: str) -> bytes:
    from ui.explorer import PREVIEWS

    return (PREVIEWS.parent / entry[part]).read_bytes()


def assert_same_picture(shown: bytes, expected: bytes) -> None:
    """Pixel for pixel (here byte for byte), give or take one grey level on a few pixels: another CPU's matrix
    products round differently. A preview of other weights or another walk differs far more."""
    import io

    import numpy as np
    from PIL import Image

    a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16) for png in (shown, expected))
    assert a.shape == b.shape
    off = np.abs(a - b)
    assert off.max() <= 1 and (off > 0).mean() < 0.01, f"{(off > 0).sum()} values differ, by up to {off.max()}"


@pytest.fixture
def media(monkeypatch) -> dict[str, bytes]:
    """The bytes behind the media URLs the page draws (AppTest keeps only the URLs): {URL's file name stem: bytes}."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    served: dict[str, bytes] = {}
    load = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        file_id = load(self, path_or_data, mimetype, kind, filename)
        served[file_id] = self._files_by_id[file_id].content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return served


def test_every_bundled_preview_is_the_picture_its_generator_opens_on_now():
    """A rebuilt generator with a stale preview fails here: `python scripts/build_pretrained.py --previews-only`
    writes them again (the full build does too)."""
    from gan.latent import bundled_generators, load_generator
    from ui.explorer import default_picture, file_sha256

    manifest = previews()
    assert list(manifest) == list(bundled_generators())  # the picker's order: its default is the first
    for name, path in bundled_generators().items():
        entry = manifest[name]
        assert entry["checkpoint"] == path.name
        assert entry["sha256"] == file_sha256(path), f"{path.name} was rebuilt since its preview was drawn"
        G, _ = load_generator(path)
        picture = default_picture(f"test:{path}", G)
        assert_same_picture(picture.image, preview_bytes(entry, "image"))
        assert_same_picture(picture.strip, preview_bytes(entry, "strip"))
        assert (picture.image_caption, picture.strip_caption) == (entry["image_caption"], entry["strip_caption"])


def test_a_new_tab_draws_the_very_picture_of_the_bundled_preview(media):
    """The page's live picture replaces the preview in place: the same pixels, the same captions."""
    at = open_explorer()
    entry = previews()[MLP]
    image = next(image for image in at.image if image.captions[0].startswith("G(z) at t"))
    walk = next(image for image in at.image if image.captions[0].startswith("The walk"))
    assert (image.captions[0], walk.captions[0]) == (entry["image_caption"], entry["strip_caption"])
    assert_same_picture(media[Path(image.value[0]).stem], preview_bytes(entry, "image"))
    assert_same_picture(media[Path(walk.value[0]).stem], preview_bytes(entry, "strip"))
    assert {m.label: m.value for m in at.metric}["Classifier says"] != "…"  # the verdict filled in


def test_the_preview_comes_before_pytorch_and_only_for_what_the_tab_opens_on(monkeypatch):
    """With the live picture broken, what stays on the page is what was drawn before it: the preview, if any."""
    import hashlib

    import ui.explorer

    def broken(*args, **kwargs):
        raise RuntimeError("no live picture in this test")

    monkeypatch.setattr(ui.explorer, "walk_picture", broken)

    def left_on_the_page(state: dict | None = None, **link) -> list[str]:
        at = AppTest.from_file(STANDALONE, default_timeout=60)
        at.query_params.update(link)
        for key, value in (state or {}).items():
            at.session_state[key] = value
        at.run()
        return [image.captions[0] for image in at.image] + [m.value for m in at.metric]

    manifest = previews()
    mlp, dcgan = manifest[MLP], manifest[DCGAN]
    assert left_on_the_page() == [mlp["image_caption"], mlp["strip_caption"], "…", "…"]
    assert left_on_the_page(**{keys.Picker.bundled(keys.Explorer.PICKER): DCGAN}) == [
        dcgan["image_caption"], dcgan["strip_caption"], "…", "…"]
    assert left_on_the_page(**{keys.Explorer.SEED_B: "5"}) == []  # another walk than the preview's
    assert left_on_the_page(**{keys.Picker.source(keys.Explorer.PICKER): "Upload"}) == []
    assert left_on_the_page(state={keys.Explorer.LINK_CHECKED: True}) == []  # not the tab's first visit

    class Other:
        def hexdigest(self) -> str:
            return "0" * 64

    monkeypatch.setattr(hashlib, "file_digest", lambda *args, **kwargs: Other())
    assert left_on_the_page() == []  # a rebuilt generator's stale preview is never shown


def test_a_shapes_generator_shows_the_factors_each_direction_moves_and_no_digit_verdict(tmp_path, tiny):
    """A run on shapes: the factor network's reading instead of the digit classifier's, the nearest drawn shape, and
    the plot of the factors each principal direction moves, the very numbers of gan.factors.direction_effects (whose
    test shows it finds the factor a direction moves)."""
    import json

    import numpy as np

    from gan.factors import direction_effects
    from gan.latent import principal_directions
    from ui.explorer import FACTOR_SPAN, N_DIRECTIONS

    trainer = GANTrainer(tiny("dcgan", dataset="shapes", image_size=32, iterations=2), device="cpu")
    for _ in trainer.run():
        pass
    save_checkpoint(trainer.state_dict(), tmp_path / "runs" / "tiny-shapes" / "checkpoint.pt")
    at = open_explorer(**{keys.Picker.source(keys.Explorer.PICKER): "Saved run"})
    assert not at.error and generated(at)
    assert [m.label for m in at.metric][:2] == ["Factor network reads", "Confidence"]
    assert at.metric[0].value in ("square", "ellipse", "heart")
    assert any(image.captions[0].startswith("Nearest training image: ") and "per pixel away" in image.captions[0]
               for image in at.image)
    [chart] = [c for c in at.get("plotly_chart") if keys.Explorer.FACTORS in c.proto.id]
    [heatmap] = json.loads(chart.proto.spec)["data"]
    assert heatmap["x"] == ["scale", "x", "y", "rotation", "shape"]
    assert heatmap["y"] == [f"PC{i + 1}" for i in range(min(N_DIRECTIONS, 8))]
    G = trainer.G.eval()
    found = principal_directions(G, k=min(N_DIRECTIONS, 8), n=5000)
    expected = direction_effects(G, found.directions * found.steps[:, None], n=64, span=FACTOR_SPAN, rgb=False)
    assert np.allclose(heatmap["z"], expected["effects"] * 100, atol=1e-6)


def test_a_conditional_gan_of_shapes_morphs_between_shapes_by_name(tmp_path, tiny):
    trainer = GANTrainer(tiny("cgan", dataset="shapes", iterations=2), device="cpu")
    for _ in trainer.run():
        pass
    save_checkpoint(trainer.state_dict(), tmp_path / "runs" / "tiny-cgan-shapes" / "checkpoint.pt")
    at = open_explorer(**{keys.Picker.source(keys.Explorer.PICKER): "Saved run",
                          keys.Explorer.DIGIT_A: 7})  # a digit picked for another generator: out of this G's range
    assert not at.error and not at.exception and generated(at)
    a, b = at.selectbox(key=keys.Explorer.DIGIT_A), at.selectbox(key=keys.Explorer.DIGIT_B)
    assert (a.label, b.label) == ("A: shape", "B: shape")
    assert a.options == ["square", "ellipse", "heart"] and (a.value, b.value) == (0, 1)
    before = generated(at)
    b.set_value(2).run()  # halfway from a square to a heart now: another label embedding, another picture
    assert not at.exception and generated(at) != before
