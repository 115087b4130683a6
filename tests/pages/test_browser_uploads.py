"""Your own images in a real browser at 1280x720: a zip of 200 pictures uploaded on the Train page, previewed with
its count and what was left out, trained on, and kept in the run's folder (the checkpoint points there, so the Latent
Explorer reads them back). Saves screenshots to test-artifacts/."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
from PIL import Image
from playwright.sync_api import expect

from benchmarks.live_app import ROOT, served_app
from gan.checkpoint import load_checkpoint
from gan.shapes import draw_shapes

ARTIFACTS = ROOT / "test-artifacts"


def _zip_of_pictures(path, n: int = 200) -> None:
    images, _ = draw_shapes(n, size=40, seed=7, rgb=True)
    with zipfile.ZipFile(path, "w") as archive:
        for i, image in enumerate(images):
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="PNG")
            archive.writestr(f"pictures/{i:03d}.png", buffer.getvalue())
            if i == 0:
                archive.writestr("pictures/copy_of_000.png", buffer.getvalue())  # a duplicate: left out, said so
        archive.writestr("pictures/broken.png", b"\x89PNG\r\n\x1a\n not really")  # damaged: left out, said so


def test_a_zip_of_200_images_is_previewed_trained_on_and_kept_with_the_run(browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    upload = tmp_path / "pictures.zip"
    _zip_of_pictures(upload)
    runs = tmp_path / "runs"
    with served_app(env={"GAN_ARENA_RUNS_DIR": str(runs), "OMP_NUM_THREADS": "1"}) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/train")
        page.get_by_role("tab", name="Data").click()
        page.get_by_label("dataset", exact=True).click()
        page.get_by_role("option", name="images-rgb", exact=True).click()
        size = page.get_by_label("image size", exact=True)
        size.fill("32")
        size.press("Enter")
        expect(page.get_by_text(re.compile("To start: upload them first"))).to_be_visible(timeout=30_000)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
        expect(page.get_by_text("200 images, 32×32 colour (the first 32)")).to_be_visible(timeout=60_000)
        left_out = page.get_by_text(re.compile(r"^2 of 202 files left out: "))
        expect(left_out).to_contain_text("copy_of_000.png")
        expect(left_out).to_contain_text("broken.png")
        expect(page.get_by_text(re.compile("(Cannot|To) start"))).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "upload_preview.png"), full_page=True)

        page.get_by_role("button", name="Start").click()
        expect(page.get_by_test_id("stProgress").first).to_contain_text("Training", timeout=120_000)
        expect(page.get_by_text(re.compile(r"^Fixed noise, iteration"))).to_be_visible(timeout=120_000)
        # The scores that mean something for pictures no classifier knows, not the digit classifier's.
        expect(page.locator(".gtitle").filter(has_text="Does G copy?")).to_have_count(1, timeout=120_000)
        expect(page.locator(".gtitle").filter(has_text="bundled digit classifier")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "upload_training.png"))
        page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
        expect(page.get_by_text(re.compile(r"^Saved as"))).to_be_visible(timeout=60_000)

    [checkpoint] = list(runs.rglob("checkpoint.pt"))
    config = load_checkpoint(checkpoint)["config"]
    kept = checkpoint.parent / "images.npz"
    assert (config.dataset, config.image_size, config.image_folder) == ("images-rgb", 32, str(kept.resolve()))
    with np.load(kept) as saved:
        assert saved["images"].shape == (200, 32, 32, 3)
    assert not list(tmp_path.glob("**/pictures")) and not list(ROOT.glob("pictures"))  # nothing expanded to disk
