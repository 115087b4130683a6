"""The Latent Explorer's widgets and caches: endpoints, direction sliders, the walk's picture and GIF (the generator
comes from ui.generator_picker), and the bundled previews of the picture a new tab opens on.

Every function here draws widgets and returns plain values (or a loaded generator); the maths is in gan/latent.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch
from torch import nn

from gan.fileio import write_bytes_atomic
from gan.imaging import gif_bytes, grid_array, grid_image, png_bytes
from gan.latent import (MODES, PRETRAINED_DIR, Frame, LatentDirections, bundled_generators, explore, generate,
                        interpolate, interpolate_latents, is_conditional, label_embeddings, latent, load_generator,
                        principal_directions)
from gan.quality import RECOGNISABLE_CONFIDENCE, classify
from ui.explorer_preview import PREVIEWS, file_sha256
from ui.generator_picker import LoadedGenerator
from ui.keys import Explorer

EDIT_MODES = ("Principal directions", "Raw dimensions")
N_DIRECTIONS = 5
GRID_CELLS = 12
GRID_COLUMNS = 4
SLIDER_RANGE = 3.0  # direction sliders span +-3 standard deviations
DIRECTION_SAMPLES = 5000  # random z behind the PCA
DIGITS = tuple(range(10))
# What a new tab opens on (the widgets' defaults, and the bundled previews drawn before PyTorch has loaded)
DEFAULT_DIGITS = (3, 8)  # a conditional G's first morph
DEFAULT_SEEDS = (1, 2)  # A and B: a conditional G's, and an unconditional one's where first_walk finds no morph
DEFAULT_T = 0.5
DEFAULT_MODE = MODES[0]  # slerp
DEFAULT_FRAMES = 10
IMAGE_SCALE = 8  # 28 px -> 224 px, nearest neighbour
STRIP_SCALE = 3
# The walk's end points and position live in the address bar too (Streamlit keeps it in step): copying it shares
# the walk on screen.
LINKED = "query-params"


# ------------------------------------------------------------------------------------------ caches
@st.cache_resource(show_spinner="Finding principal directions (PCA of 5,000 random z)…", max_entries=16)
def directions(key: str, _G: nn.Module, digit: int | None = None) -> LatentDirections:
    """`digit`: for a conditional G, the digit whose directions are found (those of endpoint A)."""
    return principal_directions(_G, k=min(N_DIRECTIONS, _G.latent_dim), n=DIRECTION_SAMPLES, digit=digit)


@st.cache_resource(show_spinner=False, max_entries=32)
def _grid_images(key: str, _G: nn.Module, seeds: tuple[int, ...], digit: int | None = None) -> list:
    z = torch.stack([latent(_G, s) for s in seeds])
    embedding = None if digit is None else label_embeddings(_G, digit, digit, 0.0)
    images = generate(_G, z, embedding)
    return [grid_array(image.unsqueeze(0), scale=3, padding=0) for image in images]


def describe(loaded: LoadedGenerator) -> str:
    """One line about the generator: architecture, training, and its quality when known."""
    cfg = loaded.state["config"]
    iterations = loaded.state.get("iteration", 0)
    text = f"**{loaded.label}**: {cfg.arch.upper()}, latent {cfg.latent_dim}, {iterations:,} iterations"
    if not cfg.digits:  # the run pickers' names may not say which images it learnt
        text += f", on {cfg.dataset} at {cfg.image_size}×{cfg.image_size}"
    quality = loaded.state.get("quality")
    if quality:
        text += (f"; classifier FID {quality['fid']:.1f}, {quality['recognisable']:.0%} recognisable, "
                 f"{quality['classes_covered']}/10 digits")
        if "conditional_accuracy" in quality:
            text += f", {quality['conditional_accuracy']:.0%} drawn as the digit asked for"
    return text


# ------------------------------------------------------------------------------------------ the link
def linked_values(bound: tuple[str, ...]) -> dict[str, str]:
    """The link's values for the widgets bound to the address bar, read before the widgets are drawn: a widget that
    cannot take its value (a digit of 11, a t of nan, an unknown generator) drops it without a word."""
    return {key: st.query_params[key] for key in bound if key in st.query_params}


def ignored_link_values(given_values: dict[str, str]) -> list[str]:
    """Those of `given_values` (from linked_values) that the drawn widgets did not take."""
    problems = []
    for key, given in given_values.items():
        if key not in st.session_state:
            continue
        if not _same(given, st.session_state[key]):
            problems.append(f"{key}={given!r} is not one of its choices or in its range")
    return problems


def _same(text: str, value) -> bool:
    if isinstance(value, bool):
        return text.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    return text == str(value)


# ------------------------------------------------------------------------------------------ endpoints
def _default(key: str, value) -> None:
    """A widget's starting value, set through session state (so callbacks may change it without a warning)."""
    st.session_state.setdefault(key, value)


def _pick(key: str, seed: int) -> None:
    st.session_state[key] = seed


def _pick_b(seed: int) -> None:
    st.session_state[Explorer.SEED_B] = seed
    st.session_state[Explorer.SAME_Z] = False  # a conditional G's B seed counts only when z walks too


def _next_grid() -> None:
    st.session_state[Explorer.GRID_PAGE] = st.session_state.get(Explorer.GRID_PAGE, 0) + 1


@st.cache_resource(show_spinner=False, max_entries=16)
def first_walk(key: str, _G: nn.Module, candidates: int = 32) -> tuple[int, int]:
    """Seeds for a new tab's walk that visibly morphs: from seed 1 to the first seed B whose walk a quarter of the way
    still draws A's digit and three quarters of the way B's, another one (seeds 1 and 2 of the bundled MLP GAN walked
    from a faint 3 into a strip of 0s). A stays 1, so that a shared link that leaves A out opens the same walk.
    Judged by the classifier's confident verdicts; (1, 2) if no such B is among the first `candidates` seeds."""
    seeds = list(range(1, candidates + 1))
    z = torch.stack([latent(_G, s) for s in seeds])
    labels, confidences = classify(generate(_G, z))
    for b in range(1, len(seeds)):
        if labels[b] == labels[0] or confidences[b] < RECOGNISABLE_CONFIDENCE:
            continue
        quarter, three_quarters = interpolate_latents(z[0], z[b], torch.tensor([0.25, 0.75]), "slerp")
        walk, walk_confidence = classify(generate(_G, torch.stack([quarter, three_quarters])))
        if walk.tolist() == [labels[0], labels[b]] and bool((walk_confidence >= RECOGNISABLE_CONFIDENCE).all()):
            return 1, seeds[b]
    return DEFAULT_SEEDS


def endpoint_inputs(first: tuple[int, int] = DEFAULT_SEEDS) -> tuple[int, int]:
    """Seeds of A and B (z ~ N(0, I) drawn from each seed); `first`: where a new tab's walk starts."""
    _default(Explorer.SEED_A, first[0])
    _default(Explorer.SEED_B, first[1])
    left, right = st.columns(2)
    seed_a = left.number_input("A: seed", 0, 2**31 - 1, step=1, key=Explorer.SEED_A, bind=LINKED)
    seed_b = right.number_input("B: seed", 0, 2**31 - 1, step=1, key=Explorer.SEED_B, bind=LINKED)
    return int(seed_a), int(seed_b)


def conditional_endpoint_inputs(kinds: tuple[str, ...] = tuple(map(str, DIGITS)), noun: str = "digit"
                                ) -> tuple[int, int, tuple[int, int]]:
    """For a conditional G: the class (digit, shape) at A and at B, and the seeds (B's = A's unless "same z" is
    unticked). `kinds`: the classes' names."""
    classes = tuple(range(len(kinds)))
    for key, default in zip((Explorer.DIGIT_A, Explorer.DIGIT_B), DEFAULT_DIGITS if len(kinds) == 10 else (0, 1)):
        if st.session_state.get(key) not in classes:  # a G of another kind of data had these picked
            st.session_state[key] = default
    _default(Explorer.SAME_Z, True)
    _default(Explorer.SEED_A, DEFAULT_SEEDS[0])
    _default(Explorer.SEED_B, DEFAULT_SEEDS[1])
    left, right = st.columns(2)
    name = kinds.__getitem__
    digit_a = left.selectbox(f"A: {noun}", classes, key=Explorer.DIGIT_A, bind=LINKED, format_func=name)
    digit_b = right.selectbox(f"B: {noun}", classes, key=Explorer.DIGIT_B, bind=LINKED, format_func=name)
    same_z = st.checkbox("Same z at A and B", key=Explorer.SAME_Z, bind=LINKED,
                         help=f"Morph between the two {noun}s with the same z: t then moves only the label "
                              f"embedding, from A's {noun} to B's. Untick to walk z from A's seed to B's as well.")
    seed_a = left.number_input("A: seed", 0, 2**31 - 1, step=1, key=Explorer.SEED_A, bind=LINKED)
    seed_b = right.number_input("B: seed", 0, 2**31 - 1, step=1, key=Explorer.SEED_B, disabled=same_z, bind=LINKED)
    return int(seed_a), int(seed_a if same_z else seed_b), (int(digit_a), int(digit_b))


def grid_picker(loaded: LoadedGenerator, digit: int | None = None) -> None:
    """A random grid of samples (of `digit`, for a conditional G); each cell's A / B button makes it that endpoint."""
    page = st.session_state.get(Explorer.GRID_PAGE, 0)
    seeds = tuple(range(100 + page * GRID_CELLS, 100 + (page + 1) * GRID_CELLS))
    cells = _grid_images(loaded.key, loaded.G, seeds, digit)
    columns = st.columns(GRID_COLUMNS)
    for i, (seed, cell) in enumerate(zip(seeds, cells)):
        with columns[i % len(columns)]:
            st.image(cell, caption=f"seed {seed}", output_format="PNG")
            a, b = st.columns(2, gap=None)
            a.button("A", key=Explorer.pick("a", i), on_click=_pick, args=(Explorer.SEED_A, seed), width="stretch",
                     help=f"Make seed {seed} endpoint A")
            b.button("B", key=Explorer.pick("b", i), on_click=_pick_b, args=(seed,), width="stretch",
                     help=f"Make seed {seed} endpoint B")
    st.button("New grid", key=Explorer.NEW_GRID, on_click=_next_grid, icon=":material/casino:")


# ------------------------------------------------------------------------------------------ edits
def _reset(keys: list[str]) -> None:
    for key in keys:
        st.session_state[key] = 0.0


def direction_sliders(found: LatentDirections) -> list[float]:
    """One slider per principal direction, in standard deviations of its principal coordinate."""
    keys = [Explorer.direction(i) for i in range(len(found.directions))]
    amounts = []
    for i, key in enumerate(keys):
        _default(key, 0.0)
        amounts.append(st.slider(
            f"PC{i + 1} ({found.explained[i]:.0%} of the variance)", -SLIDER_RANGE, SLIDER_RANGE, step=0.1,
            key=key, help=f"Moves z along the direction that shifts the generator's `{found.layer}` layer along "
                          f"its principal component {i + 1}; in standard deviations over random z."))
    st.button("Reset directions", key=Explorer.RESET_DIRECTIONS, on_click=_reset, args=(keys,))
    return amounts


def raw_sliders(latent_dim: int) -> dict[int, float]:
    """Sliders on individual latent dimensions the user picks: {dimension: offset added to z}."""
    dims = st.multiselect("Dimensions of z", list(range(latent_dim)), default=list(range(min(4, latent_dim))),
                          max_selections=8, key=Explorer.DIMS)
    offsets = {}
    for d in dims:
        _default(Explorer.dim(d), 0.0)
        offsets[d] = st.slider(f"z[{d}] offset", -SLIDER_RANGE, SLIDER_RANGE, step=0.1, key=Explorer.dim(d))
    st.button("Reset dimensions", key=Explorer.RESET_DIMS, on_click=_reset, args=([Explorer.dim(d) for d in dims],))
    return offsets


# ------------------------------------------------------------------------------------------ export
def walk_gif(G: nn.Module, seed_a: int, seed_b: int, mode: str, offset: torch.Tensor | None,
             frames: int = 24, digits: tuple[int, int] | None = None) -> bytes:
    """The walk A -> B as a looping GIF (built only when the download button is pressed)."""
    images = interpolate(G, latent(G, seed_a), latent(G, seed_b), frames, mode, offset, digits)
    return gif_bytes([grid_image(image.unsqueeze(0), scale=6) for image in images], duration_ms=80)


# ------------------------------------------------------------------------------------------ the picture
@dataclass(frozen=True)
class Picture:
    """What the page shows of a walk: G(z) at t and the strip, as PNG bytes (which st.image serves unchanged, so a
    bundled preview of the same picture has the same URL and pixels), with their captions."""

    frame: Frame
    image: bytes
    image_caption: str
    strip: bytes
    strip_caption: str


def walk_picture(G: nn.Module, seed_a: int, seed_b: int, t: float, frames: int, mode: str,
                 offset: torch.Tensor | None = None, digits: tuple[int, int] | None = None) -> Picture:
    """The walk from seed A to seed B (for a conditional G, from digit A to digit B) at t, rendered for the page."""
    frame = explore(G, latent(G, seed_a), latent(G, seed_b), t, frames, mode, offset, digits)
    walk = (f"from A (seed {seed_a}) to B (seed {seed_b})" if digits is None else
            f"from A (seed {seed_a}, digit {digits[0]}) to B (seed {seed_b}, digit {digits[1]})")
    return Picture(
        frame=frame,
        image=png_bytes(grid_image(frame.image, scale=IMAGE_SCALE)),
        image_caption=(f"G(z) at t = {t:.2f}, |z| = {frame.z.norm():.2f}"
                       + ("" if digits is None else f", label embedding {digits[0]} → {digits[1]}")),
        strip=png_bytes(grid_image(frame.strip, nrow=frames, scale=STRIP_SCALE)),
        strip_caption=f"The walk {walk}, {mode}, {frames} frames")


def default_endpoints(key: str, G: nn.Module) -> tuple[int, int, tuple[int, int] | None]:
    """Where a new tab's walk starts: seeds A and B, and (a conditional G's) digits A and B, with the same z."""
    if is_conditional(G):
        return DEFAULT_SEEDS[0], DEFAULT_SEEDS[0], DEFAULT_DIGITS
    return (*first_walk(key, G), None)


def default_picture(key: str, G: nn.Module) -> Picture:
    """The picture a new tab opens on with this generator, every widget at its default."""
    seed_a, seed_b, digits = default_endpoints(key, G)
    return walk_picture(G, seed_a, seed_b, DEFAULT_T, DEFAULT_FRAMES, DEFAULT_MODE, None, digits)


def write_previews(directory: Path = PRETRAINED_DIR) -> Path:
    """The first paint of the Latent Explorer: for each bundled generator, the picture a new tab opens on
    (default_picture) as `<name>.preview.png` (G(z)) and `<name>.walk.png` (the strip), their captions in
    previews.json with the checkpoint's SHA-256, which the page checks (a rebuilt generator's stale preview is never
    shown), and so does tests/pages/test_explorer_page.py. The page draws a preview before PyTorch has loaded and
    then puts the live picture, the same bytes, in its place."""
    manifest: dict[str, dict] = {}
    for name, checkpoint in bundled_generators().items():
        checkpoint = directory / checkpoint.name
        if not checkpoint.exists():  # listed all the same: the page's default is the first generator there is
            manifest[name] = {"checkpoint": checkpoint.name}
            continue
        G, _ = load_generator(checkpoint)
        picture = default_picture(f"preview:{checkpoint}", G)
        stem = checkpoint.stem
        files = {"image": f"{stem}.preview.png", "strip": f"{stem}.walk.png"}
        for field, file in files.items():
            write_bytes_atomic(directory / file, getattr(picture, field))
            (directory / file).chmod(0o644)  # mkstemp creates 0600
        manifest[name] = {"checkpoint": checkpoint.name, "sha256": file_sha256(checkpoint),
                          **files, "image_caption": picture.image_caption, "strip_caption": picture.strip_caption}
    path = directory / PREVIEWS.name
    write_bytes_atomic(path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    path.chmod(0o644)
    return path


# ------------------------------------------------------------------------------------------ shapes' factors
FACTOR_SPAN = 2.0  # the factor plot pushes z this many standard deviations either way along each direction
FACTOR_NOTE = ("Each row pushes 64 random z two standard deviations either way along one direction; the factor "
               "network reads the shapes G draws at both ends. A row with one strong cell is a direction that moves "
               "one factor alone (the GAN untangled it); a row lit across moves several together. Shape: the share "
               "of samples that change shape. Rotation and shape mean something once G draws clean outlines: on "
               "blobs the network's reading of them is a guess, and every row shows some.")


@st.cache_resource(show_spinner="Reading the factors each direction moves…", max_entries=8)
def _factor_effects(key: str, _G: nn.Module, _found: LatentDirections, rgb: bool) -> dict:
    from gan.factors import direction_effects

    one_std = _found.directions * _found.steps[:, None]  # a one-standard-deviation move along each direction
    return direction_effects(_G, one_std, n=64, span=FACTOR_SPAN, rgb=rgb)


def factor_plot(key: str, G: nn.Module, found: LatentDirections, rgb: bool) -> None:
    """The heatmap of which factors each principal direction moves, for a generator of shapes."""
    from ui import charts

    effects = _factor_effects(key, G, found, rgb)
    rows = [f"PC{i + 1}" for i in range(len(found.directions))]
    st.plotly_chart(charts.factor_effects_figure(effects["effects"], effects["factors"], rows),
                    key=Explorer.FACTORS, width="stretch")
    st.caption(FACTOR_NOTE)


@st.cache_data(show_spinner=False, max_entries=8)
def copy_spacing(dataset: str, image_size: int, image_folder: str) -> float:
    """How far (per pixel) a run's training image sits from its nearest other: the yardstick of the nearest-image
    distance, as the Train page's 'Does G copy?' chart draws it."""
    from gan.image_scores import ImageReference
    from gan.latent import training_images

    images = training_images(dataset, image_size, image_folder).images
    step = max(1, len(images) // 2000)  # the Train page's reference: up to 2,000 of the training images
    return ImageReference(images[::step]).spacing


def shape_reading(image: torch.Tensor) -> None:
    """What the factor network reads in one drawn shape: which shape, how sure, how big and where."""
    from gan.factors import predict_factors
    from gan.shapes import SHAPES

    read = predict_factors(image)
    st.metric("Factor network reads", SHAPES[int(read["shape"][0])])
    st.metric("Confidence", f"{read['shape_confidence'][0].item():.0%}")
    st.caption(f"size {read['scale'][0].item():.2f}, at x {read['x'][0].item():.2f}, y {read['y'][0].item():.2f}"
               " (0 to 1 across the image)")
