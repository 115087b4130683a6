"""Latent Explorer: walk a trained generator's latent space from A to B, and push z along principal directions."""

from __future__ import annotations

import streamlit as st

from gan.imaging import grid_array
from gan.latent import MODES, explore, is_conditional, latent, nearest_real, raw_offset, real_digits
from gan.quality import classify
from ui.explorer import (EDIT_MODES, LINKED, conditional_endpoint_inputs, describe, direction_sliders, directions,
                         endpoint_inputs, first_walk, grid_picker, ignored_link_values, linked_values, raw_sliders,
                         walk_gif)
from ui.generator_picker import generator_picker
from ui.keys import Explorer
from ui.text import link_problems


IMAGE_SCALE = 8  # 28 px -> 224 px, nearest neighbour
STRIP_SCALE = 3
SLERP_NOTE = (
    "**Why slerp?** z ~ N(0, I) in 100 dimensions almost always has length close to √100 = 10: the samples the "
    "generator trained on live near a sphere. The straight line (lerp) between two of them cuts through the "
    "inside, where |z| ≈ 7 halfway, so midpoints can look faded or generic. slerp follows the sphere's great "
    "circle and keeps |z| near 10 all the way.")
CONDITIONAL_NOTE = (
    "**A conditional GAN** is told which digit to draw: G(z, y) multiplies z by the digit's learned *label "
    "embedding*. Here t moves that embedding from A's digit to B's in a straight line, so with the same z the "
    "style stays while the digit changes. The edits below act on z, with A's digit.")

st.title("Latent Explorer")
st.caption("A generator turns a vector z of random numbers into a digit. Move through z-space and watch the digit "
           "morph. No training needed: three pretrained generators come with the app.")

notice = st.empty()  # what the link asked for that the widgets did not take, once they have been drawn
asked = linked_values(Explorer.LINKED) if not st.session_state.get(Explorer.LINK_CHECKED) else {}
controls, view = st.columns([2, 3], gap="large")
with controls:
    loaded = generator_picker(Explorer.PICKER, linked=True)
if loaded is None:
    st.stop()
G = loaded.G
conditional = is_conditional(G)

with controls:
    st.markdown(describe(loaded))
    if conditional:
        seed_a, seed_b, digits = conditional_endpoint_inputs()
        st.caption(CONDITIONAL_NOTE)
    else:
        (seed_a, seed_b), digits = endpoint_inputs(first_walk(loaded.key, G)), None
    t = st.slider("t: from A (0) to B (1)", 0.0, 1.0, 0.5, 0.01, key=Explorer.T, bind=LINKED)
    mode = st.radio("Interpolation", MODES, horizontal=True, key=Explorer.MODE, bind=LINKED,
                    format_func=lambda m: {"slerp": "slerp (spherical)", "lerp": "lerp (straight line)"}[m])
    st.caption(SLERP_NOTE)
    frames = st.slider("Frames in the strip", 4, 16, 10, key=Explorer.FRAMES)
if not st.session_state.get(Explorer.LINK_CHECKED):
    st.session_state[Explorer.LINK_CHECKED] = True
    with notice:
        link_problems(ignored_link_values(asked))

with view:
    picture = st.container()  # filled below, once the edits under it are read: the image stays above its sliders
    edit_mode = st.radio("Edit z along", EDIT_MODES, horizontal=True, key=Explorer.EDIT_MODE)
    if edit_mode == EDIT_MODES[0]:
        found = directions(loaded.key, G, digits[0] if digits else None)
        offset = found.offset(direction_sliders(found))
        st.caption("GANSpace (Härkönen et al., 2020): PCA of the first layer's outputs over 5,000 random z, "
                   "mapped back to z by linear regression. The top directions change the most.")
    else:
        offset = raw_offset(G.latent_dim, raw_sliders(G.latent_dim))

frame = explore(G, latent(G, seed_a), latent(G, seed_b), t, frames, mode, offset, digits)
walk = (f"from A (seed {seed_a}) to B (seed {seed_b})" if digits is None else
        f"from A (seed {seed_a}, digit {digits[0]}) to B (seed {seed_b}, digit {digits[1]})")
name = f"walk_{seed_a}_{seed_b}" + ("" if digits is None else f"_digits_{digits[0]}_{digits[1]}")
index, distance = nearest_real(frame.image)
label, confidence = classify(frame.image)
reals = real_digits()

with picture:
    generated, nearest, verdict = st.columns(3)
    generated.image(grid_array(frame.image, scale=IMAGE_SCALE), output_format="PNG",
                    caption=f"G(z) at t = {t:.2f}, |z| = {frame.z.norm():.2f}"
                            + ("" if digits is None else f", label embedding {digits[0]} → {digits[1]}"))
    nearest.image(grid_array(reals.images[index], scale=IMAGE_SCALE), output_format="PNG",
                  caption=f"Nearest training digit (a {reals.labels[index].item()}), L2 distance {distance.item():.1f}")
    verdict.metric("Classifier says", str(label.item()))
    verdict.metric("Confidence", f"{confidence.item():.0%}")
    verdict.caption("Does G copy its training digits? A real digit's nearest other training digit is typically "
                    "6 to 13 away; a distance far below that (under ~3) would be a copy.")
    st.image(grid_array(frame.strip, nrow=frames, scale=STRIP_SCALE), output_format="PNG",
             caption=f"The walk {walk}, {mode}, {frames} frames")
with view:
    st.download_button("Download the walk as a GIF", lambda: walk_gif(G, seed_a, seed_b, mode, offset, digits=digits),
                       file_name=f"{name}_{mode}.gif", mime="image/gif", on_click="ignore",
                       icon=":material/download:", key=Explorer.GIF)
    with st.expander("Pick A and B from a random grid", icon=":material/grid_view:"):
        grid_picker(loaded, digits[0] if digits else None)
