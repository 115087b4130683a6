"""The user's own images: every bad input gets its one message, the good ones are squared and sized, and nothing is
written anywhere but the run's folder."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from gan.image_sets import ImageLimits, ImageSetRejected, read_image_folder, read_image_set, save_image_set

FEW = ImageLimits(min_images=4)


def _png(width: int = 40, height: int = 30, mode: str = "RGB", seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    shape = (height, width, 3) if mode == "RGB" else (height, width)
    image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8))
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, format="PNG")
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tree(folder) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), folder) for d, _, files in os.walk(folder) for f in files}


def test_mixed_sizes_and_modes_are_squared_to_the_training_size_in_grey_or_colour():
    files = [(f"{i}.png", _png(40 + i, 30 + 2 * i, mode, seed=i)) for i, mode in enumerate(["RGB", "L", "RGBA", "P"])]
    grey = read_image_set(files, size=32, limits=FEW)
    colour = read_image_set(files, size=64, rgb=True, limits=FEW)
    assert grey.images.shape == (4, 32, 32) and colour.images.shape == (4, 64, 64, 3)
    assert grey.images.dtype == np.uint8 and not grey.skipped


def test_each_bad_file_is_left_out_with_its_reason():
    good = [(f"ok{i}.png", _png(seed=i)) for i in range(4)]
    cut = _png(seed=9)[:200]
    bomb = io.BytesIO()
    Image.new("1", (5000, 5000)).save(bomb, format="PNG")  # 25 million pixels in a few kB
    files = good + [("notes.png", b"just some text"), ("cut.png", cut), ("bomb.png", bomb.getvalue()),
                    ("again.png", good[0][1]), ("huge.png", b"\0" * (2 * 2**20))]
    found = read_image_set(files, size=28, limits=ImageLimits(min_images=4, max_file_bytes=2**20))
    assert found.names == [name for name, _ in good]
    assert dict(found.skipped) == {"notes.png": "not an image", "cut.png": "damaged or cut short",
                                   "bomb.png": "5000x5000 pixels, more than 16,777,216",
                                   "again.png": "the same image as another one", "huge.png": "larger than 1 MiB"}
    assert "5 left out" in found.summary()


def test_too_few_images_say_how_many_are_needed():
    with pytest.raises(ImageSetRejected, match=r"^3 usable images \(1 left out: x.txt.png: not an image\): a GAN "
                                               r"needs at least 64"):
        read_image_set([(f"{i}.png", _png(seed=i)) for i in range(3)] + [("x.txt.png", b"hello")], size=28)


def test_a_zip_is_opened_in_place_of_the_files_and_its_other_entries_are_ignored():
    archive = _zip({**{f"set/{i}.png": _png(seed=i) for i in range(5)}, "set/README.md": b"hi", "set/": b""})
    found = read_image_set([("mine.zip", archive)], size=28, limits=FEW)
    assert found.names == [f"set/{i}.png" for i in range(5)] and not found.skipped


@pytest.mark.parametrize("name", ["../escape.png", "/etc/evil.png", "a/../../b.png", "C:/windows/x.png",
                                  "..\\up.png"])
def test_a_zip_entry_whose_path_leaves_its_folder_refuses_the_whole_zip(tmp_path, name):
    archive = _zip({"fine.png": _png(), name: _png(seed=1)})
    before = _tree(tmp_path)
    os.chdir(tmp_path)  # a careless extraction would write here, or above
    with pytest.raises(ImageSetRejected, match="leaves its folder"):
        read_image_set([("class.zip", archive)], size=28, limits=FEW)
    assert _tree(tmp_path) == before and not (tmp_path.parent / "escape.png").exists()


def test_a_zip_that_would_expand_past_the_limit_is_refused_before_expanding():
    archive = _zip({f"{i}.png": b"\0" * 2**20 for i in range(3)})  # 3 MiB of zeros, a few kB zipped
    assert len(archive) < 50_000
    with pytest.raises(ImageSetRejected, match=r"would expand to 3 MiB, more than 2 MiB"):
        read_image_set([("bomb.zip", archive)], size=28, limits=ImageLimits(min_images=1, max_total_bytes=2 * 2**20))


def test_too_many_bytes_of_files_are_refused():
    files = [(f"{i}.png", _png(seed=i)) for i in range(10)]
    with pytest.raises(ImageSetRejected, match=r"the files come to more than \d+ KiB: upload fewer"):
        read_image_set(files, size=28, limits=ImageLimits(min_images=1, max_total_bytes=len(files[0][1]) * 3))


def test_a_folder_is_read_without_following_links_out_of_it(tmp_path):
    inside, outside = tmp_path / "mine", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    for i in range(4):
        (inside / f"{i}.png").write_bytes(_png(seed=i))
    (outside / "secret.png").write_bytes(_png(seed=99))
    (inside / "link.png").symlink_to(outside / "secret.png")
    found = read_image_folder(inside, size=28, limits=FEW)
    assert sorted(found.names) == [f"{i}.png" for i in range(4)]
    with pytest.raises(ImageSetRejected, match="not a folder"):
        read_image_folder(tmp_path / "missing", size=28)


def test_the_set_is_saved_in_the_run_folder_and_nowhere_else(tmp_path):
    run = tmp_path / "runs" / "run-1"
    run.mkdir(parents=True)
    found = read_image_set([(f"{i}.png", _png(seed=i)) for i in range(4)], size=32, limits=FEW)
    path = save_image_set(found.images, run)
    assert _tree(tmp_path) == {"runs/run-1/images.npz"} and path == run / "images.npz"
    with np.load(path, allow_pickle=False) as saved:
        assert np.array_equal(saved["images"], found.images)
