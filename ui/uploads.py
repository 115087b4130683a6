"""The student's own images on the Train page: uploaded files (or one zip), read safely, previewed with their count.

The reading is gan.image_sets' (every check made before anything is decoded), under the server's upload limits
(arena.limits: GAN_ARENA_MAX_UPLOAD_IMAGES, GAN_ARENA_MAX_UPLOAD_MB). A set is read once per choice of files, size and
colour; the run takes its pixels (arena.worker.TrainJob keeps them in the run's folder). File names come from
outside: they are shown as text, never rendered.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch  # the Train page has it already (gan.imaging): app.py never imports this module

from gan.image_sets import IMAGE_SUFFIXES, ImageSet, ImageSetRejected, read_image_set
from gan.imaging import grid_array
from ui.keys import Train
from ui.state import server_limits
from ui.text import plain

PREVIEWED = 32  # images in the preview grid: two rows at the page's width
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in (*IMAGE_SUFFIXES, ".zip")]
CYCLE_HELP = (" The CycleGAN learns to turn domain A's pictures into domain B's and back, from unpaired examples: "
              "say, summer and winter landscapes, or apples and oranges.")
NEED_UPLOAD = ("your own images: upload them first (Hyperparameters, Data tab: several image files or one zip), or "
               "pick another dataset")


def render_image_upload(size: int, rgb: bool, domain: str = "") -> None:
    """The uploader, then the set as read: a preview grid and its count, or why it was refused. `domain`: 'A' or 'B'
    for the CycleGAN's two sets, '' for one set."""
    limits = server_limits().image_limits
    label = f"Your images, domain {domain}" if domain else "Your images"
    files = st.file_uploader(
        label, type=UPLOAD_TYPES, accept_multiple_files=True, key=Train.upload(domain),
        help=f"Several image files or one zip of them, {limits.min_images}–{limits.max_images:,} images, up to "
             f"{limits.max_total_bytes // 2**20:,} MB in all. Each is cropped to its centre square and resized to "
             "the image size; duplicates and files that are not images are left out."
             + (CYCLE_HELP if domain else ""))
    image_set = _read(files or [], size, rgb, domain)
    if isinstance(image_set, str):
        st.error(f"These images cannot be used: {plain(image_set, 400)}", icon=":material/error:")  # names: as text
        return
    if image_set is None:
        if domain != "B":
            st.caption("A GAN needs many pictures of one kind of thing (faces, leaves, letters): a few hundred at "
                       "least.")
        return
    shown = min(PREVIEWED, len(image_set.names))
    colour = "colour" if rgb else "grey"
    st.image(grid_array(_as_nchw(image_set.images[:PREVIEWED]), nrow=16, scale=2), output_format="PNG",
             caption=f"{len(image_set.names):,} images, {size}×{size} {colour} (the first {shown})")
    if image_set.skipped:
        st.text(image_set.left_out())  # names from outside: text, never Markdown


def uploaded_images(domain: str = "") -> np.ndarray | None:
    """The uint8 images of the set read last (of `domain`), None when there is none (or it was refused)."""
    read = st.session_state.get(Train.image_set(domain))
    image_set = read[1] if read else None
    return image_set.images if isinstance(image_set, ImageSet) else None


def _read(files: list, size: int, rgb: bool, domain: str) -> ImageSet | str | None:
    """The set of `files` at `size`, read once per choice (a refusal as its message); None without files."""
    key = Train.image_set(domain)
    if not files:
        st.session_state.pop(key, None)
        return None
    choice = (tuple(f.file_id for f in files), size, rgb)
    read = st.session_state.get(key)
    if read is None or read[0] != choice:
        try:
            result: ImageSet | str = read_image_set(((f.name, f.getvalue()) for f in files), size=size, rgb=rgb,
                                                    limits=server_limits().image_limits)
        except ImageSetRejected as err:
            result = str(err)
        st.session_state[key] = read = (choice, result)
    return read[1]


def _as_nchw(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, S, S) or (N, S, S, 3) -> (N, C, S, S), as the grid draws them."""
    x = torch.from_numpy(images)
    return x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
