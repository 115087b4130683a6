"""AppTest of the Train page's uploads: the CycleGAN on your own images asks for two sets, A and B, and starts only
with both; a bad file is refused by name as text, never rendered."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from gan.shapes import draw_shapes
from tests.pages.conftest import open_page
from ui import keys

pytestmark = pytest.mark.usefixtures("isolated_runs")


def _zip(n: int, seed: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, image in enumerate(draw_shapes(n, size=36, seed=seed, rgb=True)[0]):
            png = io.BytesIO()
            Image.fromarray(image).save(png, format="PNG")
            archive.writestr(f"{i}.png", png.getvalue())
    return buffer.getvalue()


def _cannot_start(at) -> list[str]:
    """What the page says stands between the form and Start: an error, or the upload still to make."""
    return [e.value for e in [*at.error, *at.info] if str(e.value).startswith(("Cannot start", "To start"))]


def test_the_cycle_gan_on_your_images_takes_two_sets_and_starts_only_with_both():
    at = open_page("app_pages/train.py", preset="cyclegan", dataset="images-rgb", image_size="32")
    assert {"Your images, domain A", "Your images, domain B"} <= {u.proto.label for u in at.get("file_uploader")}
    assert "both domains, A and B" in _cannot_start(at)[0]
    at.file_uploader(key=keys.Train.upload("A")).upload("a.zip", _zip(70, seed=1), "application/zip").run()
    assert "both domains, A and B" in _cannot_start(at)[0]  # B is still missing
    at.file_uploader(key=keys.Train.upload("B")).upload("b.zip", _zip(80, seed=2), "application/zip").run()
    assert not _cannot_start(at) and not at.exception
    config = at.session_state[keys.Train.CONFIG]
    assert config.image_folder == config.image_folder_b == "uploaded"  # the run's folder gets their copies
    sets = [at.session_state[keys.Train.image_set(domain)][1].images for domain in ("A", "B")]
    assert [s.shape for s in sets] == [(70, 32, 32, 3), (80, 32, 32, 3)]


def test_a_file_that_is_no_image_is_refused_by_name_as_text():
    at = open_page("app_pages/train.py", preset="own-images")
    at.file_uploader(key=keys.Train.upload()).upload("**bold**.png", b"not an image", "image/png").run()
    [refusal] = [e.value for e in at.error if "cannot be used" in str(e.value)]
    assert "`" in refusal and "**bold**.png" in refusal  # the name as a code span: shown, never rendered
