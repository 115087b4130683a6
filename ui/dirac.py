"""The 2-D Playground's Dirac-GAN section: the (theta, psi) plane with the update field, a trajectory with the
chosen settings and one without R1, and the distance to the equilibrium along both. Figures are pure functions;
`render_dirac_section` composes the widgets (its settings live in the address bar as `dirac.<field>`, so the link
shares them)."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gan.config import ConfigError
from gan.dirac import OBJECTIVES, UPDATES, DiracConfig, distance_to_equilibrium, simulate, vector_field
from gan.settings import settings_help
from ui.charts import COLORS, FONT_SIZE, LINE_WIDTH
from ui.keys import Playground
from ui.text import link_problems, single_values
from ui.train_form import share_url
from ui.playground import arrow_segments

EXTENT = 2.0  # the plane shown: [-2, 2]^2 around the equilibrium
FIELD_ARROW = 0.22  # the longest arrow of the field, in plane units
NO_R1 = "#9e9e9e"
FORM_FIELDS = ("objective", "r1", "updates", "lr", "steps", "theta")  # psi starts where theta does
INTRO = ("The smallest GAN there is (Mescheder et al., ICML 2018): the real data are one point, x = 0; G always "
         "draws θ; D is a line, D(x) = ψ·x. The only equilibrium is θ = 0 (G draws the data), ψ = 0 (D cannot tell). "
         "The arrows show where one step of both players moves each point of the plane: plain gradient steps go "
         "round the equilibrium instead of into it. R1 penalises D's slope at the real point (γ/2 · ψ²) and the "
         "spiral closes in.")


def plane_figure(config: DiracConfig, path: np.ndarray, plain_path: np.ndarray | None) -> go.Figure:
    points, directions = vector_field(config, EXTENT)
    tails, tips = arrow_segments(points, directions, length=FIELD_ARROW, scale=0.5)
    segments = np.stack([tails, tips, np.full_like(tails, np.nan)], axis=1).reshape(-1, 2)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=segments[:, 0], y=segments[:, 1], mode="lines", name="update field",
                             line=dict(color="#90a4ae", width=1.4), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=tips[:, 0], y=tips[:, 1], mode="markers", showlegend=False, hoverinfo="skip",
                             marker=dict(symbol="circle", size=3, color="#607d8b")))
    if plain_path is not None:
        fig.add_trace(go.Scatter(x=plain_path[:, 0], y=plain_path[:, 1], mode="lines", name="without R1",
                                 line=dict(color=NO_R1, width=LINE_WIDTH, dash="dot")))
    fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name=_label(config),
                             line=dict(color=COLORS["G"], width=LINE_WIDTH)))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="equilibrium (0, 0)",
                             marker=dict(symbol="star", size=16, color=COLORS["real"])))
    fig.add_trace(go.Scatter(x=[config.theta], y=[config.psi], mode="markers", name="start",
                             marker=dict(symbol="circle", size=10, color=COLORS["fake"])))
    axis = dict(range=[-EXTENT, EXTENT], zeroline=True, zerolinecolor="#e0e0e0", showgrid=False)
    fig.update_layout(height=480, margin=dict(l=40, r=10, t=40, b=30), font=dict(size=FONT_SIZE - 2),
                      title=dict(text="The game's parameters: G's θ and D's ψ", font=dict(size=FONT_SIZE)),
                      xaxis=dict(axis, title="θ (what G draws)"),
                      yaxis=dict(axis, title="ψ (D's slope)", scaleanchor="x", scaleratio=1),
                      plot_bgcolor="white", uirevision="dirac",
                      legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0))
    return fig


def distance_figure(config: DiracConfig, path: np.ndarray, plain_path: np.ndarray | None) -> go.Figure:
    fig = go.Figure()
    if plain_path is not None:
        fig.add_trace(go.Scatter(y=distance_to_equilibrium(plain_path), mode="lines", name="without R1",
                                 line=dict(color=NO_R1, width=LINE_WIDTH, dash="dot")))
    fig.add_trace(go.Scatter(y=distance_to_equilibrium(path), mode="lines", name=_label(config),
                             line=dict(color=COLORS["G"], width=LINE_WIDTH)))
    fig.update_layout(height=300, margin=dict(l=40, r=10, t=40, b=30), font=dict(size=FONT_SIZE - 2),
                      title=dict(text="Distance to the equilibrium", font=dict(size=FONT_SIZE)),
                      xaxis_title="step", yaxis_title="|(θ, ψ)|", uirevision="dirac",
                      legend=dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0))
    fig.update_yaxes(type="log")
    return fig


def _label(config: DiracConfig) -> str:
    return f"{config.objective}, R1 γ = {config.r1:g}" if config.r1 else f"{config.objective}, no penalty"


@st.cache_data(max_entries=64, show_spinner=False)
def trajectories(config: DiracConfig) -> tuple[np.ndarray, np.ndarray | None]:
    """The run with `config`, and, when it has R1, the same run without it for comparison."""
    return simulate(config), simulate(config.replace(r1=0.0)) if config.r1 else None


def _read_link() -> None:
    """`?dirac.r1=1&dirac.updates=alternating` opens the section with those settings (bad values are reported)."""
    if st.session_state.get(Playground.dirac("link_read")):
        return
    st.session_state[Playground.dirac("link_read")] = True
    params, problems = single_values(st.query_params)
    for field in fields(DiracConfig):
        if field.name not in FORM_FIELDS:
            continue
        text = params.get(Playground.dirac(field.name))
        if text is None:
            continue
        try:
            value = text if field.type == "str" else (int(text) if field.type == "int" else float(text))
            DiracConfig(**{field.name: value}).validate()
            st.session_state[Playground.dirac(field.name)] = value
        except (ValueError, ConfigError) as err:
            problems.append(f"{field.name}={text!r}: {err}")
    link_problems(problems)


def _form() -> DiracConfig:
    defaults = DiracConfig()
    for name in FORM_FIELDS:
        st.session_state.setdefault(Playground.dirac(name), getattr(defaults, name))
    key = Playground.dirac
    cols = st.columns(3)
    cols[0].selectbox("Objective", OBJECTIVES, key=key("objective"),
                      help="The losses of the Train page, played by these two scalars.")
    cols[1].slider("R1 penalty γ", 0.0, 3.0, step=0.1, key=key("r1"),
                   help="γ/2 · |dD/dx|² at the real point, i.e. γ/2 · ψ². 0 = the plain game.")
    cols[2].radio("Updates", UPDATES, key=key("updates"), horizontal=True,
                  help="Simultaneous: both move from the same point. Alternating: D moves, then G answers.")
    cols = st.columns(3)
    core_help = settings_help(DiracConfig)  # the knobs this page does not explain in its own words
    cols[0].slider("Learning rate", 0.01, 1.0, step=0.01, key=key("lr"), help=core_help["lr"])
    cols[1].slider("Steps", 50, 5000, step=50, key=key("steps"), help=core_help["steps"])
    cols[2].slider("Start θ = ψ", -2.0, 2.0, step=0.1, key=key("theta"),
                   help="Where both players start; the equilibrium is at 0.")
    state = st.session_state
    values = {name: state[key(name)] for name in FORM_FIELDS}
    return DiracConfig(**values, psi=values["theta"]).validate()


def render_dirac_section() -> None:
    _read_link()
    opened = any(name.startswith("dirac.") for name in st.query_params)
    with st.expander("The Dirac-GAN: why GANs circle, and what R1 does", expanded=opened, icon=":material/cyclone:"):
        st.caption(INTRO)
        config = _form()
        path, plain_path = trajectories(config)
        left, right = st.columns([3, 2], gap="large")
        left.plotly_chart(plane_figure(config, path, plain_path), key=Playground.chart("dirac"), width="stretch")
        with right:
            st.plotly_chart(distance_figure(config, path, plain_path), key=Playground.chart("dirac_distance"),
                            width="stretch")
            final = distance_to_equilibrium(path)[-1]
            st.metric("Final distance to the equilibrium", f"{final:.3g}",
                      delta=(f"{final - distance_to_equilibrium(plain_path)[-1]:+.3g} vs without R1"
                             if plain_path is not None else None), delta_color="inverse")
            params = {Playground.dirac(name): str(getattr(config, name)) for name in FORM_FIELDS}
            st.caption("Share these settings:")
            st.code(share_url(params), language=None)
