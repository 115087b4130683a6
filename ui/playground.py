"""Plotly figures of the 2-D playground. Pure functions of a `gan.toy.ToyView` and plain data: no Streamlit here.

The plane shows, back to front: D's opinion of every point (green = "real", orange = "fake", white = unsure), the
generator's manifold (the image of a grid of z, its cells shaded by how densely G puts points there), the mode
circles, the real points, the fakes, and on some fakes an arrow: where the generator's loss pushes that point.
Arrays go out as float32 (plotly sends them base64-encoded); one update is a few thousand numbers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import plotly.graph_objects as go

from gan.toy import BOX, ToyView
from ui.charts import COLORS, FONT_SIZE, series_figure

LAYERS = ("D(x) heatmap", "G manifold", "gradient arrows", "real points", "fake points", "modes")
ARROW_LENGTH = 0.45  # the longest arrow, in plane units
ARROW_SCALE = 1.0  # |gradient| at which an arrow reaches 76 % (tanh(1)) of ARROW_LENGTH
HEAT_COLORS = [[0.0, "#f6b980"], [0.5, "#ffffff"], [1.0, "#9ccc9c"]]  # D(x) = 0: fake (orange) ... 1: real (green)
MESH_LINE = "rgba(120, 60, 0, 0.35)"
# Opacity of a manifold cell by log2 of its density relative to the median cell: stretched cells fade out.
DENSITY_LEVELS = ((-np.inf, 0.02), (-1.0, 0.07), (0.0, 0.14), (1.0, 0.24), (2.0, 0.36))
PLANE_HEIGHT = 520  # the square plane plus its title and legend in the picture column (~450 px at 1280)
FONT_FAMILY = "Source Sans, Source Sans Pro, sans-serif"  # Streamlit's: the plane is drawn without its theme
DRAW_SPACING = 0.2  # distance between two candidate points of the drawing canvas


def arrow_segments(origins: np.ndarray, push: np.ndarray, length: float = ARROW_LENGTH,
                   scale: float = ARROW_SCALE) -> tuple[np.ndarray, np.ndarray]:
    """Arrow tails and tips, (k, 2) each: along `push`, length * tanh(|push| / scale).

    tanh keeps huge gradients on the picture while a vanishing one (the saturating loss) stays a dot: the length
    is absolute, never rescaled to the longest arrow, so a stalled generator shows as no arrows at all.
    """
    norm = np.linalg.norm(push, axis=1, keepdims=True)
    direction = np.divide(push, norm, out=np.zeros_like(push), where=norm > 0)
    return origins, origins + direction * length * np.tanh(norm / scale)


def _gapped(parts: np.ndarray | Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Polylines, (n, m, 2) or a list of (m_i, 2) -> one x, y pair with NaN gaps, for a single scatter trace."""
    if len(parts) == 0:
        return np.empty(0, np.float32), np.empty(0, np.float32)
    if isinstance(parts, np.ndarray):
        gaps = np.full((len(parts), 1, 2), np.nan, dtype=parts.dtype)
        joined = np.concatenate([parts, gaps], axis=1).reshape(-1, 2)
    else:
        gap = np.full((1, 2), np.nan)
        joined = np.concatenate([np.concatenate([p, gap]) for p in parts])
    return joined[:, 0].astype(np.float32), joined[:, 1].astype(np.float32)


def _manifold_traces(mesh: np.ndarray, density: np.ndarray) -> list[dict]:
    color = COLORS["fake"]
    traces = []
    log_density = np.log2(np.maximum(density, 1e-12))
    bounds = [level for level, _ in DENSITY_LEVELS[1:]] + [np.inf]
    if mesh.shape[0] == 1:  # a 1-D z: the curve, each segment as opaque as it is dense
        curve = mesh[0]
        traces.append(dict(type="scatter", x=curve[:, 0], y=curve[:, 1], mode="lines", name="G manifold",
                           line=dict(color=MESH_LINE, width=1), hoverinfo="skip"))
        for (low, opacity), high in zip(DENSITY_LEVELS, bounds):
            index = np.nonzero((log_density >= low) & (log_density < high))[0]
            x, y = _gapped(np.stack([curve[index], curve[index + 1]], axis=1))
            traces.append(dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=color, width=6),
                               opacity=min(1.0, opacity * 2), hoverinfo="skip", showlegend=False))
        return traces
    for (low, opacity), high in zip(DENSITY_LEVELS, bounds):
        rows, cols = np.nonzero((log_density >= low) & (log_density < high))
        if len(rows) == 0:
            continue
        corner_rows = rows[:, None] + np.array([0, 0, 1, 1, 0])
        corner_cols = cols[:, None] + np.array([0, 1, 1, 0, 0])
        x, y = _gapped(mesh[corner_rows, corner_cols])  # (cells, 5, 2): each quad, closed
        traces.append(dict(type="scatter", x=x, y=y, mode="lines", fill="toself", fillcolor=color, opacity=opacity,
                           line=dict(width=0), hoverinfo="skip", showlegend=False))
    lines = [mesh[r] for r in range(mesh.shape[0])] + [mesh[:, c] for c in range(mesh.shape[1])]
    x, y = _gapped(lines)
    traces.append(dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=MESH_LINE, width=1),
                       hoverinfo="skip", name="G manifold"))
    return traces


def _circles(centres: np.ndarray, radius: float, points: int = 33) -> tuple[np.ndarray, np.ndarray]:
    angles = np.linspace(0, 2 * np.pi, points)
    ring = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return _gapped(centres[:, None, :] + ring[None])


def plane_figure(view: ToyView, layers: Collection[str] = LAYERS, *, revision: str = "live") -> go.Figure:
    """The whole game in one picture (see the module docstring); `layers` picks what to draw."""
    data: list[dict] = []
    if "D(x) heatmap" in layers:
        data.append(dict(type="heatmap", x=view.ticks, y=view.ticks, z=view.d_heat, zmin=0, zmax=1, zsmooth="fast",
                         colorscale=HEAT_COLORS, name="D(x)", hovertemplate="D(x) = %{z:.2f}<extra></extra>",
                         colorbar=dict(title=dict(text="D(x)", side="right"), thickness=12, len=0.6,
                                       tickvals=[0, 0.5, 1], ticktext=["0 fake", "0.5", "1 real"])))
    if "G manifold" in layers:
        data += _manifold_traces(view.mesh, view.mesh_density)
    if "modes" in layers and view.discrete_modes:
        needed = max(1.0, 0.1 * view.mode_counts.sum() / max(len(view.modes), 1))
        covered = view.mode_counts >= needed
        for mask, name, color, dash in ((covered, "covered mode", COLORS["real"], "solid"),
                                        (~covered, "empty mode", "#9e9e9e", "dot")):
            x, y = _circles(view.modes[mask], view.mode_radius)
            data.append(dict(type="scatter", x=x, y=y, mode="lines", name=name, hoverinfo="skip",
                             line=dict(color=color, width=1.5, dash=dash)))
    if "real points" in layers:
        data.append(dict(type="scatter", x=view.real[:, 0], y=view.real[:, 1], mode="markers", name="real",
                         marker=dict(color=COLORS["real"], size=5, opacity=0.8), hoverinfo="skip"))
    if "fake points" in layers:
        data.append(dict(type="scatter", x=view.fake[:, 0], y=view.fake[:, 1], mode="markers", name="fake G(z)",
                         marker=dict(color=COLORS["fake"], size=6, line=dict(color="#5d2a00", width=0.6)),
                         hoverinfo="skip"))
    if "gradient arrows" in layers and len(view.push):
        tails, tips = arrow_segments(view.fake[:len(view.push)], view.push)
        x, y = _gapped(np.stack([tails, tips], axis=1))
        data.append(dict(type="scatter", x=x, y=y, mode="lines", name="G's push", hoverinfo="skip",
                         line=dict(color=COLORS["G"], width=1.6), legendgroup="push"))
        # the heads: one marker per tip, turned along its shaft (the markers are what costs a browser most)
        angles = np.degrees(np.arctan2(tips[:, 0] - tails[:, 0], tips[:, 1] - tails[:, 1])).astype(np.float32)
        data.append(dict(type="scatter", x=tips[:, 0], y=tips[:, 1], mode="markers", hoverinfo="skip",
                         showlegend=False, legendgroup="push",
                         marker=dict(symbol="triangle-up", size=7, angle=angles, color=COLORS["G"])))
    axis = dict(range=[-BOX, BOX], zeroline=False, showgrid=False, constrain="domain")
    layout = dict(
        height=PLANE_HEIGHT, margin=dict(l=40, r=10, t=40, b=30), font=dict(size=FONT_SIZE - 2, family=FONT_FAMILY),
        title=dict(text=f"Iteration {view.iteration:,}", font=dict(size=FONT_SIZE), x=0.01, xanchor="left"),
        # A square plane at the top of its box (a narrow column leaves the spare height under it, not above).
        xaxis=axis, yaxis=dict(axis, scaleanchor="x", scaleratio=1, constraintoward="top"), plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="top", y=-0.02, xanchor="left", x=0), uirevision=revision,
    )
    return unvalidated_figure(data, layout)


def unvalidated_figure(data: list[dict], layout: dict) -> go.Figure:
    """A Figure from plain dicts, skipping plotly's property validation.

    Validation costs ~30 ms for the plane's dozen traces, five times a second, holding the GIL that the training
    thread needs; without it the build takes ~2 ms. tests/gan/test_toy.py checks that the same dicts validate.
    """
    try:
        return go.Figure(dict(data=data, layout=layout), _validate=False)
    except TypeError:  # a plotly without the (private) switch: validate after all
        return go.Figure(dict(data=data, layout=layout))


def distance_figure(metrics: Sequence[dict[str, float]], events: Sequence[dict] = (),
                    revision: str = "live") -> go.Figure:
    """Mode coverage (higher is better) and the JS divergence on a grid (lower is better), both in [0, 1]."""
    fig = series_figure(metrics, [("coverage", "mode coverage", COLORS["real"]),
                                  ("js", "JS divergence (bits)", COLORS["quality"])],
                        title="How close the fakes are", yaxis="0 … 1", events=events, yrange=(-0.02, 1.02),
                        revision=revision)
    fig.update_layout(height=300)
    return fig


def loss_figure(records: Sequence[dict[str, float]], events: Sequence[dict] = (),
                revision: str = "live") -> go.Figure:
    fig = series_figure(records, [("d_loss", "D loss", COLORS["D"]), ("g_loss", "G loss", COLORS["G"])],
                        title="Losses", yaxis="loss", events=events, revision=revision)
    fig.update_layout(height=300)
    return fig


# ---------------------------------------------------------------------------------------------- drawing
def draw_candidates(spacing: float = DRAW_SPACING, extent: float = BOX - 0.2) -> np.ndarray:
    """The canvas: a dense grid of points (n, 2) a user clicks, boxes or lassoes to draw a dataset."""
    ticks = np.round(np.arange(-extent, extent + 1e-9, spacing), 3)
    xs, ys = np.meshgrid(ticks, ticks)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def draw_figure(candidates: np.ndarray, drawn: Sequence[tuple[float, float]]) -> go.Figure:
    """The drawing canvas: faint candidate points (trace 0, the one selections refer to) and the drawn ones."""
    drawn_array = np.asarray(drawn, dtype=np.float32).reshape(-1, 2)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=candidates[:, 0].astype(np.float32), y=candidates[:, 1].astype(np.float32),
                             mode="markers", name="canvas", marker=dict(color="#cfd8dc", size=6),
                             hovertemplate="(%{x:.1f}, %{y:.1f})<extra></extra>"))
    fig.add_trace(go.Scatter(x=drawn_array[:, 0], y=drawn_array[:, 1], mode="markers", name="your data",
                             marker=dict(color=COLORS["real"], size=9), hoverinfo="skip"))
    axis = dict(range=[-BOX, BOX], zeroline=False, showgrid=False, constrain="domain")
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=10, b=10), xaxis=axis,
                      yaxis=dict(axis, scaleanchor="x", scaleratio=1), plot_bgcolor="white", showlegend=False,
                      dragmode="lasso", uirevision="draw", font=dict(size=FONT_SIZE - 2))
    return fig


def apply_selection(drawn: Sequence[tuple[float, float]], selected: Sequence[dict],
                    erase: bool = False) -> list[tuple[float, float]]:
    """The drawn points after a selection event: its points added (or erased), rounded to the canvas, no repeats.

    `selected` is a plotly selection's point list (dicts with "x" and "y", as Streamlit's `selection.points`).
    """
    picked = {(round(float(p["x"]), 3), round(float(p["y"]), 3)) for p in selected if "x" in p and "y" in p}
    if erase:
        return [p for p in drawn if (round(p[0], 3), round(p[1], 3)) not in picked]
    current = [(float(x), float(y)) for x, y in drawn]
    seen = set(current)
    return current + sorted(p for p in picked if p not in seen)
