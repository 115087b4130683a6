"""Latent Explorer: walk a trained generator's latent space from A to B, and push z along principal directions.

It opens at once, also on a fresh server: a tab's first visit draws the bundled preview of the picture it opens on
(assets/pretrained/previews.json, written by scripts/build_pretrained.py with ui.explorer.default_picture) before
PyTorch is imported, and the live picture, the same PNG bytes, takes its place once the generator has run; the nearest
real digit and the classifier's verdict fill in then. The training engine is not waited for (app.py).
"""

from __future__ import annotations

import time

import streamlit as st

from ui.explorer_preview import bundled_preview
from ui.keys import Explorer

PREVIEW_SEND_S = 0.3
SLERP_NOTE = (
    "**Why slerp?** z ~ N(0, I) in 100 dimensions almost always has length close to √100 = 10: the samples the "
    "generator trained on live near a sphere. The straight line (lerp) between two of them cuts through the "
    "inside, where |z| ≈ 7 halfway, so midpoints can look faded or generic. slerp follows the sphere's great "
    "circle and keeps |z| near 10 all the way.")
CONDITIONAL_NOTE = (
    "**A conditional GAN** is told which digit to draw: G(z, y) multiplies z by the digit's learned *label "
    "embedding*. Here t moves that embedding from A's digit to B's in a straight line, so with the same z the "
    "style stays while the digit changes. The edits below act on z, with A's digit.")
COPY_NOTE = ("Does G copy its training digits? A real digit's nearest other training digit is typically 6 to 13 "
             "away; a distance far below that (under ~3) would be a copy.")


def show_verdict(slot, label: str, confidence: str) -> None:
    with slot.container():
        st.metric("Classifier says", label)
        st.metric("Confidence", confidence)
        st.caption(COPY_NOTE)


st.title("Latent Explorer")
st.caption("A generator turns a vector z of random numbers into an image: a digit, a shape, one of your pictures. "
           "Move through z-space and watch it morph. No training needed: three pretrained digit generators come with "
           "the app, and your saved runs open here too.")

notice = st.empty()  # what the link asked for that the widgets did not take, once they have been drawn
left, view = st.columns([2, 3], gap="large")
controls_slot = left.empty()  # "Loading…" beside a preview, then the controls
with view:
    with st.container():  # the picture, above the edits under it; filled last, once the edits are read
        generated, nearest, verdict = st.columns(3)
        image_slot, nearest_slot, verdict_slot = generated.empty(), nearest.empty(), verdict.empty()
        strip_slot = st.empty()

preview = bundled_preview()
if preview:
    controls_slot.caption(":material/hourglass_top: Loading the generator (PyTorch)…")
    image_slot.image(preview["image"], caption=preview["image_caption"], output_format="PNG")
    show_verdict(verdict_slot, "…", "…")  # the same height as the verdict to come: the strip stays where it is
    strip_slot.image(preview["strip"], caption=preview["strip_caption"], output_format="PNG")
    # The server sends the preview, and serves its images, before PyTorch's import takes the interpreter and a core
    # for seconds: on a busy 2-core machine the digit was on screen 0.4-0.9 s after it was drawn without this pause,
    # 0.25-0.5 s with one of 0.2-0.6 s. The live picture comes seconds later anyway.
    time.sleep(PREVIEW_SEND_S)

# PyTorch and the core, once the preview is on screen: seconds on a tab's first visit to a fresh server
from gan.imaging import grid_array  # noqa: E402
from gan.data import SHAPES, words_for  # noqa: E402
from gan.latent import MODES, is_conditional, nearest_real, raw_offset, training_images_of  # noqa: E402
from gan.quality import classify  # noqa: E402
from ui.explorer import (DEFAULT_FRAMES, DEFAULT_MODE, DEFAULT_T, EDIT_MODES, IMAGE_SCALE, LINKED,  # noqa: E402
                         conditional_endpoint_inputs, copy_spacing, describe, direction_sliders, directions,
                         endpoint_inputs, factor_plot, first_walk, grid_picker, ignored_link_values, linked_values,
                         raw_sliders, shape_reading, walk_gif, walk_picture)
from ui.generator_picker import generator_picker  # noqa: E402
from ui.text import link_problems  # noqa: E402

asked = linked_values(Explorer.LINKED) if not st.session_state.get(Explorer.LINK_CHECKED) else {}
controls = controls_slot.container()
with controls:
    loaded = generator_picker(Explorer.PICKER, linked=True)
if loaded is None:
    for slot in (image_slot, verdict_slot, strip_slot):
        slot.empty()
    st.stop()
G = loaded.G
conditional = is_conditional(G)
config = loaded.state["config"]

with controls:
    st.markdown(describe(loaded))
    if conditional:
        words = words_for(config.dataset)
        seed_a, seed_b, digits = conditional_endpoint_inputs(words.kinds, words.noun)
        st.caption(CONDITIONAL_NOTE.replace("digit", words.noun))
    else:
        (seed_a, seed_b), digits = endpoint_inputs(first_walk(loaded.key, G) if config.digits else (1, 2)), None
    t = st.slider("t: from A (0) to B (1)", 0.0, 1.0, DEFAULT_T, 0.01, key=Explorer.T, bind=LINKED)
    mode = st.radio("Interpolation", MODES, index=MODES.index(DEFAULT_MODE), horizontal=True, key=Explorer.MODE,
                    bind=LINKED,
                    format_func=lambda m: {"slerp": "slerp (spherical)", "lerp": "lerp (straight line)"}[m])
    st.caption(SLERP_NOTE)
    frames = st.slider("Frames in the strip", 4, 16, DEFAULT_FRAMES, key=Explorer.FRAMES)
if not st.session_state.get(Explorer.LINK_CHECKED):
    st.session_state[Explorer.LINK_CHECKED] = True
    with notice:
        link_problems(ignored_link_values(asked))

with view:
    edit_mode = st.radio("Edit z along", EDIT_MODES, horizontal=True, key=Explorer.EDIT_MODE)
    if edit_mode == EDIT_MODES[0]:
        found = directions(loaded.key, G, digits[0] if digits else None)
        offset = found.offset(direction_sliders(found))
        st.caption("GANSpace (Härkönen et al., 2020): PCA of the first layer's outputs over 5,000 random z, "
                   "mapped back to z by linear regression. The top directions change the most.")
        if config.dataset in SHAPES:  # every shape's factors are known: which of them does each direction move?
            factor_plot(loaded.key, G, found, rgb=config.channels == 3)
    else:
        offset = raw_offset(G.latent_dim, raw_sliders(G.latent_dim))

picture = walk_picture(G, seed_a, seed_b, t, frames, mode, offset, digits)
name = f"walk_{seed_a}_{seed_b}" + ("" if digits is None else f"_digits_{digits[0]}_{digits[1]}")
reals = training_images_of(config)
index, distance = nearest_real(picture.frame.image, reals)

image_slot.image(picture.image, caption=picture.image_caption, output_format="PNG")  # a preview's very bytes
if config.digits:
    label, confidence = classify(picture.frame.image)
    nearest_slot.image(grid_array(reals.images[index], scale=IMAGE_SCALE), output_format="PNG",
                       caption=f"Nearest training digit (a {reals.labels[index].item()}), "
                               f"L2 distance {distance.item():.1f}")
    show_verdict(verdict_slot, str(label.item()), f"{confidence.item():.0%}")
else:  # no digit classifier: what the factor network reads in a shape; for your own images, no verdict at all
    per_pixel = distance.item() / reals.flat.shape[1] ** 0.5  # the Train page's copy chart's units
    spacing = copy_spacing(config.dataset, config.image_size, config.image_folder)
    nearest_slot.image(grid_array(reals.images[index], scale=IMAGE_SCALE), output_format="PNG",
                       caption=f"Nearest training image: {per_pixel:.2f} per pixel away; training images sit "
                               f"{spacing:.2f} from their nearest other (far closer: a copy)")
    with verdict_slot.container():
        if config.dataset in SHAPES:
            shape_reading(picture.frame.image)
        else:
            st.caption("No classifier knows your images: compare G's picture with its nearest training image. "
                       "Nearly the same picture means G copies it.")
strip_slot.image(picture.strip, caption=picture.strip_caption, output_format="PNG")
with view:
    st.download_button("Download the walk as a GIF", lambda: walk_gif(G, seed_a, seed_b, mode, offset, digits=digits),
                       file_name=f"{name}_{mode}.gif", mime="image/gif", on_click="ignore",
                       icon=":material/download:", key=Explorer.GIF)
    with st.expander("Pick A and B from a random grid", icon=":material/grid_view:"):
        grid_picker(loaded, digits[0] if digits else None)
