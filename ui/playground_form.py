"""The 2-D playground's widgets: preset picker, data (with the drawing canvas), models, training knobs.

Each knob's widget key is `keys.Playground.field(<field>)` of `gan.toy.ToyConfig`; the drawn points live under
`keys.Playground.DRAWN`. The
functions draw widgets and return plain values; `config_from_form()` turns the widgets into a validated ToyConfig.
"""

from __future__ import annotations

import streamlit as st

from gan.config import ConfigError
from gan.presets.playground import LESSONS, lesson
from gan.toy import ACTIVATIONS, DATASETS, G_LOSSES, OPTIMIZERS, Z_DISTS, ToyConfig, field_help
from ui.keys import Playground
from ui.playground import apply_selection, draw_candidates, draw_figure


WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256)
DATASET_NAMES = {"ring": "Ring of 8 Gaussians", "grid": "5x5 grid", "moons": "Two moons", "spiral": "Spiral",
                 "line": "A line", "gaussian": "One Gaussian", "custom": "Drawn by you"}
TEACHING = {
    "noise": "Wider modes are easier to hit; very narrow ones make D's map sharp and G's job harder.",
    "z_dim": "With a 1-D z the generator can only draw a curve through the plane (see the manifold).",
    "g_layers": "Each layer lets G bend and fold the z grid once more.",
    "d_layers": "A deeper D draws more intricate borders between real and fake; 0 layers: a straight line.",
    "lr_d": "Much larger than lr_g and D wins: it spots every fake and G stops making progress.",
    "lr_g": "Much larger than lr_d and G rushes all its points to wherever D says 'real' right now: mode collapse.",
    "d_steps": "k > 1 lets D catch up before each G move; too many and D wins outright.",
    "g_loss": "Minimax log(1 − D) is flat where D rejects the fakes: the arrows vanish. −log D is steep there.",
    "optimizer": "Adam rescales each step, so small gradients still move the weights; SGD shows their true size.",
}


def help_text(name: str) -> str:
    teaching = TEACHING.get(name)
    return field_help()[name] + (f"\n\n{teaching}" if teaching else "")


def current_config() -> ToyConfig:
    if Playground.CONFIG not in st.session_state:
        slug = next(iter(LESSONS))
        st.session_state[Playground.PRESET] = slug
        apply_config(LESSONS[slug].config)
    return st.session_state[Playground.CONFIG]


def apply_config(config: ToyConfig) -> None:
    """Make `config` the current one and put its values into the widgets (and its points on the canvas)."""
    st.session_state[Playground.CONFIG] = config
    for name in FORM_FIELDS:
        st.session_state[Playground.field(name)] = getattr(config, name)
    if config.points:
        st.session_state[Playground.DRAWN] = list(config.points)


def on_preset_change() -> None:
    apply_config(lesson(st.session_state[Playground.PRESET]).config)


def render_preset_picker() -> None:
    current_config()
    st.selectbox("Preset", list(LESSONS), key=Playground.PRESET, on_change=on_preset_change,
                 format_func=lambda slug: LESSONS[slug].name,
                 help="A healthy game on the ring, and lessons that break it on purpose.")
    st.caption(LESSONS[st.session_state[Playground.PRESET]].summary)


# ---------------------------------------------------------------------------------------------- widgets
def _select(name: str, options, col=st, **kwargs):
    return col.selectbox(name.replace("_", " "), options, key=Playground.field(name), help=help_text(name), **kwargs)


def _slider(name: str, low, high, step, col=st, **kwargs):
    return col.slider(name.replace("_", " "), low, high, step=step, key=Playground.field(name), help=help_text(name),
                      **kwargs)


def _number(name: str, col=st, **kwargs):
    return col.number_input(name.replace("_", " "), key=Playground.field(name), help=help_text(name), **kwargs)


def render_data_fields() -> None:
    # The dataset's own row: beside the noise slider, "Ring of 8 Gaussians" read "Ring of 8 (" at 1280 px.
    _select("dataset", DATASETS, st, format_func=DATASET_NAMES.get)
    _slider("noise", 0.0, 0.5, 0.01, st)
    left, right = st.columns(2)
    _select("z_dist", Z_DISTS, left)
    _number("z_dim", right, min_value=1, max_value=16, step=1)
    if st.session_state[Playground.field("dataset")] == "custom":
        render_canvas()


def render_model_fields() -> None:
    for player, title in (("g", "Generator G"), ("d", "Discriminator D")):
        st.markdown(f"**{title}**")
        cols = st.columns(3)
        _slider(f"{player}_layers", 0, 5, 1, cols[0])
        cols[1].select_slider(f"{player} width", WIDTHS, key=Playground.field(f"{player}_width"),
                              help=help_text(f"{player}_width"))
        _select(f"{player}_activation", ACTIVATIONS, cols[2])


def render_training_fields() -> None:
    cols = st.columns(3)
    _select("g_loss", G_LOSSES, cols[0])
    _select("optimizer", OPTIMIZERS, cols[1])
    _number("beta1", cols[2], min_value=0.0, max_value=0.999, step=0.05,
            disabled=st.session_state[Playground.field("optimizer")] != "adam")
    cols = st.columns(3)
    _number("lr_g", cols[0], min_value=1e-6, max_value=1.0, step=1e-4, format="%.1e")
    _number("lr_d", cols[1], min_value=1e-6, max_value=1.0, step=1e-4, format="%.1e")
    _number("d_steps", cols[2], min_value=1, max_value=100, step=1)
    cols = st.columns(3)
    _number("r1", cols[0], min_value=0.0, max_value=100.0, step=0.1)
    # A row of its own: in a third of this column, 1280x720 cut the label to "s...".
    st.toggle("spectral norm of D", key=Playground.field("spectral_norm"), help=help_text("spectral_norm"))
    cols = st.columns(3)
    _number("batch_size", cols[0], min_value=1, max_value=4096, step=32)
    _number("iterations", cols[1], min_value=1, max_value=10_000_000, step=1000)
    _number("seed", cols[2], min_value=0, step=1)


FORM_FIELDS = ("dataset", "noise", "z_dist", "z_dim", "g_layers", "g_width", "g_activation", "d_layers", "d_width",
               "d_activation", "g_loss", "optimizer", "beta1", "lr_g", "lr_d", "d_steps", "r1", "spectral_norm",
               "batch_size", "iterations", "seed")


def drawn_points() -> list[tuple[float, float]]:
    return st.session_state.setdefault(Playground.DRAWN, [])


def config_from_form() -> ToyConfig:
    """The widgets' values (and the drawn points, for a custom dataset); ConfigError with the core's message."""
    state = st.session_state
    values = {name: state[Playground.field(name)] for name in FORM_FIELDS if Playground.field(name) in state}
    for name in ("noise", "lr_g", "lr_d", "beta1"):
        if name in values:
            values[name] = float(values[name])
    points = tuple(drawn_points()) if values.get("dataset") == "custom" else ()
    return current_config().replace(**values, points=points).validate()


def check_form() -> str | None:
    """Validate the widgets: remember a valid config as the current one, or return the core's error message."""
    try:
        st.session_state[Playground.CONFIG] = config_from_form()
    except ConfigError as err:
        return str(err)
    return None


# ---------------------------------------------------------------------------------------------- drawing
def on_canvas_select() -> None:
    """A click, box or lasso on the canvas: add its points to the drawing (or erase them)."""
    event = st.session_state.get(Playground.CANVAS)
    selected = event["selection"]["points"] if event else []
    erase = st.session_state.get(Playground.BRUSH) == "Erase"
    st.session_state[Playground.DRAWN] = apply_selection(drawn_points(), selected, erase=erase)


def on_clear() -> None:
    st.session_state[Playground.DRAWN] = []


def render_canvas() -> None:
    """The drawing canvas: every selection adds its points to the real data (or erases them)."""
    cols = st.columns([2, 1, 1])
    cols[0].segmented_control("Brush", ("Add", "Erase"), key=Playground.BRUSH, default="Add",
                              help="Click a point, or pick the box or lasso tool in the chart's toolbar and drag.")
    cols[1].button("Clear", on_click=on_clear, icon=":material/delete:", width="stretch")
    cols[2].metric("Points", len(drawn_points()))
    st.plotly_chart(draw_figure(draw_candidates(), drawn_points()), key=Playground.CANVAS, on_select=on_canvas_select,
                    selection_mode=("points", "box", "lasso"), width="stretch")
    st.caption("Each drawn point becomes a small Gaussian (its width is the noise knob).")
