"""A set of the user's own images, read safely: uploaded files, one zip, or a folder (the CLI's `--dataset PATH`).

Everything is judged before it costs anything: a file's size before it is read, a zip's entries (their names and
their expanded sizes) before any is expanded, an image's pixel count from its header before it is decoded. A file
that is not an image, is truncated, or repeats another is left out with its reason; a set that is then too small,
or an archive that would expand past the limit, is refused as a whole, with one message. Images are converted to
grey or colour, centre-cropped to a square and resized to the training size. Nothing is written anywhere but where
`save_image_set` is told to write (the run's folder), atomically.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, UnidentifiedImageError

from gan.fileio import write_bytes_atomic

IMAGES_FILE = "images.npz"  # a run's own copy of the images it trains on
IMAGES_B_FILE = "images_b.npz"  # and, for a CycleGAN, of its domain B
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class ImageLimits:
    """What one set may cost; the server's settings choose them (sane defaults for a class)."""

    min_images: int = 64
    """Fewer usable images than this and the set is refused: a GAN needs many (DiffAugment helps from ~100)."""
    max_images: int = 5_000
    max_file_bytes: int = 10 * 2**20
    """One image file, as uploaded."""
    max_total_bytes: int = 100 * 2**20
    """All files together as uploaded, or a zip's expanded entries together."""
    max_pixels: int = 4096 * 4096
    """One image's width x height, read from its header before it is decoded (a decompression bomb is refused)."""


class ImageSetRejected(ValueError):
    """The whole set is refused; the message says why and what would do."""


@dataclass
class ImageSet:
    images: np.ndarray
    """uint8 (N, size, size) for grey, (N, size, size, 3) for colour."""
    names: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(file name, why it was left out), in the order met."""

    def left_out(self) -> str:
        """'3 of 153 files left out: a.png: not an image; …' (the first reasons), '' when none was."""
        if not self.skipped:
            return ""
        reasons = "; ".join(f"{name}: {why}" for name, why in self.skipped[:3])
        more = f" and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
        total = len(self.names) + len(self.skipped)
        return f"{len(self.skipped)} of {total} files left out: {reasons}{more}"

    def summary(self) -> str:
        """One line: how many images were taken, and how many were left out and why (the first reasons)."""
        text = f"{len(self.names)} images"
        if self.skipped:
            reasons = "; ".join(f"{name}: {why}" for name, why in self.skipped[:3])
            more = f" and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
            text += f" ({len(self.skipped)} left out: {reasons}{more})"
        return text


def read_image_set(files: Iterable[tuple[str, bytes]], *, size: int, rgb: bool = False,
                   limits: ImageLimits = ImageLimits()) -> ImageSet:
    """The images among `files` ((name, content) pairs; one zip among them is opened), checked and converted."""
    entries = list(_expanded(files, limits))
    images, names, skipped, seen = [], [], [], set()
    for name, data in entries:
        try:
            image = _decode(data, limits)
        except ValueError as err:
            skipped.append((name, str(err)))
            continue
        pixels = _square(image, size, rgb)
        digest = hashlib.sha256(pixels.tobytes()).hexdigest()
        if digest in seen:
            skipped.append((name, "the same image as another one"))
            continue
        seen.add(digest)
        images.append(pixels)
        names.append(name)
        if len(images) >= limits.max_images:
            break
    if len(images) < limits.min_images:
        found = f"{len(images)} usable image{'s' if len(images) != 1 else ''}"
        why = f" ({len(skipped)} left out: {'; '.join(f'{n}: {w}' for n, w in skipped[:3])})" if skipped else ""
        raise ImageSetRejected(f"{found}{why}: a GAN needs at least {limits.min_images} to learn anything.")
    return ImageSet(np.stack(images), names, skipped)


def read_image_folder(folder: str | Path, *, size: int, rgb: bool = False,
                      limits: ImageLimits = ImageLimits()) -> ImageSet:
    """The images in `folder` and the folders under it (links are not followed), as read_image_set."""
    root = Path(folder)
    if not root.is_dir():
        raise ImageSetRejected(f"{folder} is not a folder of images")
    return read_image_set(_folder_files(root, limits), size=size, rgb=rgb, limits=limits)


def save_image_set(images: np.ndarray, folder: str | Path, name: str = IMAGES_FILE) -> Path:
    """The set as `folder`/images.npz (or `name`; written atomically): the run keeps the very pixels it trained on."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=images)
    path = Path(folder) / name
    write_bytes_atomic(path, buffer.getvalue())
    return path


# ------------------------------------------------------------------------------------------------ reading
def _expanded(files: Iterable[tuple[str, bytes]], limits: ImageLimits) -> Iterator[tuple[str, bytes]]:
    """The files, a zip's entries in place of the zip; the sizes judged before anything is read or expanded."""
    total = 0
    for name, data in files:
        if zipfile.is_zipfile(io.BytesIO(data)):
            yield from _zip_entries(name, data, limits)
            continue
        total += len(data)
        if total > limits.max_total_bytes:
            raise ImageSetRejected(f"the files come to more than {_mib(limits.max_total_bytes)}: upload fewer")
        yield name, data


def _zip_entries(name: str, data: bytes, limits: ImageLimits) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as err:
        raise ImageSetRejected(f"{name} is not a readable zip ({err})") from err
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in member.filename:
            raise ImageSetRejected(f"{name} holds an entry whose path leaves its folder ({member.filename[:80]!r}): "
                                   "refused as a whole")
    expanded = sum(m.file_size for m in members)  # what the archive says; each read below is bounded too
    if expanded > limits.max_total_bytes:
        raise ImageSetRejected(f"{name} would expand to {_mib(expanded)}, more than {_mib(limits.max_total_bytes)}")
    budget = limits.max_total_bytes
    for member in members:
        path = PurePosixPath(member.filename)
        if path.suffix.lower() not in IMAGE_SUFFIXES or _resource_fork(path):
            continue  # a README, or a Mac's __MACOSX/._picture.png: not an image, not worth a message
        if member.file_size > limits.max_file_bytes:
            yield member.filename, b""  # left out below, with its reason
            continue
        with archive.open(member) as entry:
            content = entry.read(min(budget, limits.max_file_bytes) + 1)  # a header that lies is caught here
        if len(content) > min(budget, limits.max_file_bytes):
            raise ImageSetRejected(f"{name} expands past what its entries declare: refused as a whole")
        budget -= len(content)
        yield member.filename, content


def _resource_fork(path: PurePosixPath) -> bool:
    """A Mac's zip keeps each file's metadata beside it as __MACOSX/.../._name: not the user's picture."""
    return "__MACOSX" in path.parts or path.name.startswith("._")


def _folder_files(root: Path, limits: ImageLimits) -> Iterator[tuple[str, bytes]]:
    total = 0
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            yield str(path.relative_to(root)), b""
            continue
        total += size
        if total > limits.max_total_bytes:
            raise ImageSetRejected(f"{root} holds more than {_mib(limits.max_total_bytes)} of images")
        yield str(path.relative_to(root)), path.read_bytes()


def _decode(data: bytes, limits: ImageLimits) -> Image.Image:
    """The image in `data`, fully decoded; ValueError with the reason where it is not one, or too large."""
    if not data:
        raise ValueError(f"larger than {_mib(limits.max_file_bytes)}")
    if len(data) > limits.max_file_bytes:
        raise ValueError(f"larger than {_mib(limits.max_file_bytes)}")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
    except (UnidentifiedImageError, OSError):
        raise ValueError("not an image") from None
    width, height = image.size
    if width * height > limits.max_pixels:  # before decoding: a small file can hold a huge image
        raise ValueError(f"{width}x{height} pixels, more than {limits.max_pixels:,}")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValueError("damaged or cut short") from None
    return image


def _square(image: Image.Image, size: int, rgb: bool) -> np.ndarray:
    """The image in grey or colour, its centre square resized to `size` (whatever its own size and mode)."""
    if image.mode in ("RGBA", "LA", "P"):  # transparent parts on black, as the shapes are drawn
        image = image.convert("RGBA")
        backdrop = Image.new("RGBA", image.size, (0, 0, 0, 255))
        image = Image.alpha_composite(backdrop, image)
    image = image.convert("RGB" if rgb else "L")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"
