"""Plotly figures for the live pages. Pure functions of plain data: no Streamlit here, so they are easy to test.

Figures are built for a projector (thick lines, large fonts) and for a live feed: at most MAX_POINTS points per
trace (older points are averaged in bins), float32 arrays (plotly sends them base64-encoded), and a fixed
`uirevision` so that a refresh keeps the user's legend choices.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from gan.diagnose import format_rate

MAX_POINTS = 1500
FONT_SIZE = 16
TEXT_COLOR = "#1a1a1a"  # a projector washes out grey axis text: near-black, and no smaller than the legend
GRID_COLOR = "#d9d9d9"
LINE_WIDTH = 2.5
COLORS = {"D": "#1f77b4", "G": "#c2185b", "real": "#2e7d32", "fake": "#ef6c00", "quality": "#6a1b9a"}
EVENT_COLOR = "#757575"
# The hover label's numbers: a fixed number of decimals, the same the maths beside the curves (ui.maths) writes, so a
# student can match the two (Plotly's own choice varied with the axis: 0.4227589 on one chart, 0.42 on another).
HOVER_DECIMALS = 3
HOVER_FORMAT = f".{HOVER_DECIMALS}f"


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Average consecutive points in equal bins so that at most `max_points` remain; the newest point is kept as is.

    Bin means (not every n-th point) keep the trend of noisy GAN losses honest.
    """
    n = len(x)
    if n <= max_points:
        return x.astype(np.float32), y.astype(np.float32)
    bins = max_points - 1
    edges = np.linspace(0, n - 1, bins + 1).astype(int)  # the last point gets a bin of its own
    counts = np.diff(edges)
    x_binned = np.add.reduceat(x[:-1], edges[:-1]) / counts
    y_binned = np.add.reduceat(y[:-1], edges[:-1]) / counts
    return (np.append(x_binned, x[-1]).astype(np.float32), np.append(y_binned, y[-1]).astype(np.float32))


def columns(records: Sequence[dict[str, float]], *keys: str) -> dict[str, np.ndarray]:
    """Records (dicts) -> one float64 array per key."""
    return {key: np.fromiter((r[key] for r in records), dtype=np.float64, count=len(records)) for key in keys}


def robust_range(values: np.ndarray, quantile: float = 0.99, pad: float = 0.08) -> tuple[float, float] | None:
    """A y range that shows the bulk of a curve: the 1st to 99th percentile, padded. None when nothing sticks out
    (then plotly's own range, which includes every point, is the right one).

    One loss spike (a divergence averted, a live change of lr) otherwise rescales the axis so far that the rest of
    the curve reads as a flat line; the spike is drawn off the scale and the chart says so."""
    values = values[np.isfinite(values)]
    if len(values) < 20:
        return None
    low, high = np.quantile(values, [1 - quantile, quantile])
    span = max(high - low, 1e-6)
    if values.max() <= high + span and values.min() >= low - span:
        return None
    return float(low - pad * span), float(high + pad * span)


TITLE_CHARS = 34  # a chart in half of a 1280-px page fits this many characters of title per line


def wrapped_title(title: str, width: int = TITLE_CHARS) -> tuple[str, int]:
    """The title broken into lines of at most `width` characters (Plotly cuts a long one at the chart's edge, with
    no ellipsis: "(KID, lower is b"), and the top margin those lines need."""
    lines = textwrap.wrap(title, width) or [""]
    return "<br>".join(lines), 16 + 26 * len(lines)


def _layout(fig: go.Figure, title: str, yaxis: str, *, yrange: Sequence[float] | None = None,
            revision: str) -> go.Figure:
    text, top = wrapped_title(title)
    fig.update_layout(
        title=dict(text=text, font=dict(size=FONT_SIZE + 2, color=TEXT_COLOR), x=0, xanchor="left"),
        font=dict(size=FONT_SIZE, color=TEXT_COLOR),
        height=336 + top,
        margin=dict(l=10, r=10, t=top, b=10),
        xaxis_title="iteration",
        yaxis_title=yaxis,
        uirevision=revision,
        hovermode="x unified",
    )
    fig.update_xaxes(tickfont=dict(size=FONT_SIZE - 1, color=TEXT_COLOR), gridcolor=GRID_COLOR, title_standoff=4)
    fig.update_yaxes(tickfont=dict(size=FONT_SIZE - 1, color=TEXT_COLOR), gridcolor=GRID_COLOR)
    if yrange is not None:
        fig.update_yaxes(range=list(yrange))
    return legend_below(fig, FONT_SIZE)


# Under the x axis: ticks and the axis title take this much of the bottom margin, a legend row this much more.
X_AXIS_PX = 52
LEGEND_ROW_PX = 24
NARROWEST_CHART_PX = 360  # half the main column at 1280 px, less the margins: legend rows are counted for this


def legend_below(fig: go.Figure, font_size: int, axis_px: int = X_AXIS_PX, per_row: int | None = None) -> go.Figure:
    """The legend in rows at the figure's bottom edge, under the x axis's ticks and title, with the bottom margin its
    rows need. Never on the title (a legend at the top right ran into long titles at 1280 px); never on the axis
    title (placed at y=-0.2 of the plot, it ran into it on charts of another height). `per_row`: exactly this many
    entries a row (a narrow chart: Plotly stacked four entries in four rows and squashed the plot to 40 px)."""
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    shown = bool(names) and fig.layout.showlegend is not False
    rows = (-(-len(names) // per_row) if per_row else _legend_rows(names, font_size)) if shown else 0
    legend = dict(orientation="h", yref="container", yanchor="bottom", y=0, xref="container", xanchor="left", x=0,
                  font=dict(size=font_size))
    if per_row:
        legend.update(entrywidth=1 / per_row, entrywidthmode="fraction")
    fig.update_layout(legend=legend, margin=dict(b=axis_px + rows * LEGEND_ROW_PX * font_size // FONT_SIZE))
    return fig


def _legend_rows(names: Sequence[str], font_size: int) -> int:
    """How many rows Plotly wraps a horizontal legend into on the narrowest chart (0.55 em a character, plus the
    symbol and the gap: ~40 px an entry)."""
    rows, used = 1, 0.0
    for name in names:
        width = 0.55 * font_size * len(name) + 40
        if used and used + width > NARROWEST_CHART_PX:
            rows, used = rows + 1, 0.0
        used += width
    return rows


def _add_events(fig: go.Figure, events: Sequence[dict]) -> None:
    """Dashed vertical lines where a knob was changed live (labelled with the change) or one player stepped alone;
    one line and one label per iteration (D steps do not advance the count: several labels piled up there). Each
    change on a line of its own, side by side: a cure's three changes in one vertical line ran down into the ticks of
    a 250-px chart."""
    for iteration, labels in event_labels(events).items():
        fig.add_vline(x=iteration, line=dict(color=EVENT_COLOR, dash="dash", width=1.5),
                      annotation=dict(text="<br>".join(labels), textangle=-90,
                                      font=dict(size=FONT_SIZE - 3, color=EVENT_COLOR)),
                      annotation_position="top left")


def compact(fig: go.Figure, height: int) -> go.Figure:
    """The figure at `height` px, for a view that shows several charts beside a large grid on one screen: the
    x axis unnamed (at this height its title ran into the legend under it)."""
    fig.update_layout(height=height)
    fig.update_xaxes(title=None)
    for trace in fig.data:  # "MLP GAN · D loss" under a chart titled "Losses": "MLP GAN · D" fits two to a row
        if trace.name:
            trace.name = trace.name.removesuffix(" loss")
    return legend_below(fig, FONT_SIZE - 4, axis_px=26, per_row=2)


def event_labels(events: Sequence[dict]) -> dict[int, list[str]]:
    """Iteration -> the changes made there, in order; a repeated step is counted ("D step ×3"), a knob changed
    twice shows its first and last value."""
    grouped: dict[int, dict[str, list]] = {}
    for event in events:
        grouped.setdefault(event["iteration"], {}).setdefault(event["name"], []).append(event)
    labels = {}
    for iteration, by_name in grouped.items():
        labels[iteration] = []
        for name, same in by_name.items():
            if "old" in same[0]:
                labels[iteration].append(f"{name} {_fmt(same[0]['old'])}→{_fmt(same[-1]['new'])}")
            else:
                labels[iteration].append(name + (f" ×{len(same)}" if len(same) > 1 else ""))
    return labels


def log_axis(fig: go.Figure, **where) -> None:
    """A log y axis labelled at 1, 2 and 5 times the powers of ten (Plotly's default labels 2, 3 … 9 and crowds;
    the powers alone left a curve between 100 and 1,000 with one number to read it by)."""
    fig.update_yaxes(type="log", dtick="D2", minor=dict(ticks="inside", showgrid=False), **where)


def _fmt(value) -> str:
    if isinstance(value, float) and 0 < value < 0.01:
        return format_rate(value)  # 2e-4, not 0.0002
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


BASELINE_NAME = "seed MLP GAN"  # a lesson's baseline in the legends: the seed run without the lesson's change
BASELINE_LINE = dict(width=LINE_WIDTH - 0.5, dash="dot")


def _with_baseline(run: Sequence[dict], baseline: Sequence[dict]) -> tuple[tuple[Sequence[dict], dict, str], ...]:
    """The run's rows and the baseline's, each with its line style and legend suffix."""
    return (run, dict(width=LINE_WIDTH), ""), (baseline, BASELINE_LINE, f" · {BASELINE_NAME}")


def series_figure(records: Sequence[dict[str, float]], traces: Sequence[tuple[str, str, str]], *, title: str,
                  yaxis: str, events: Sequence[dict] = (), yrange: Sequence[float] | None = None,
                  revision: str = "live", baseline: Sequence[dict[str, float]] = ()) -> go.Figure:
    """Lines of `records[key]` against iteration; `traces` holds (key, legend name, color) triples. `baseline`:
    the seed run's records, drawn dotted in the same colours ("before" beside the run's "after")."""
    fig = go.Figure()
    for rows, line, suffix in _with_baseline(records, baseline):
        if not rows:
            continue
        data = columns(rows, "iteration", *(key for key, _, _ in traces))
        for key, name, color in traces:
            x, y = downsample(data["iteration"], data[key])
            fig.add_trace(go.Scatter(x=x, y=y, name=name + suffix, mode="lines", line=dict(color=color, **line),
                                     yhoverformat=HOVER_FORMAT))
    _add_events(fig, events)
    return _layout(fig, title, yaxis, yrange=yrange, revision=revision)


def loss_figure(records, events=(), revision: str = "live", baseline: Sequence[dict] = ()) -> go.Figure:
    """D's and G's losses; a spike is drawn off the scale (see robust_range) so the rest stays readable."""
    fig = series_figure(records, [("d_loss", "D loss", COLORS["D"]), ("g_loss", "G loss", COLORS["G"])],
                        title="Losses", yaxis="loss", events=events, revision=revision, baseline=baseline)
    if records:
        data = columns(records, "d_loss", "g_loss")
        yrange = robust_range(np.concatenate([data["d_loss"], data["g_loss"]]))
        if yrange is not None:
            fig.update_yaxes(range=list(yrange))
            fig.add_annotation(text="spikes beyond the scale are cut off", xref="paper", yref="paper", x=1, y=1,
                               xanchor="right", yanchor="bottom", showarrow=False,
                               font=dict(size=FONT_SIZE - 3, color=EVENT_COLOR))
    return fig


def accuracy_figure(records, events=(), revision: str = "live", baseline: Sequence[dict] = ()) -> go.Figure:
    fig = series_figure(records, [("d_acc_real", "D right on real", COLORS["real"]),
                                  ("d_acc_fake", "D right on fakes", COLORS["fake"])],
                        title="Discriminator accuracy", yaxis="accuracy", events=events, yrange=(-0.02, 1.02),
                        revision=revision, baseline=baseline)
    fig.add_hline(y=0.5, line=dict(color=EVENT_COLOR, dash="dot", width=1))  # a coin flip: the game's equilibrium
    return fig


def d_output_figure(records, events=(), revision: str = "live", baseline: Sequence[dict] = ()) -> go.Figure:
    return series_figure(records, [("d_real", "mean D(x), real", COLORS["real"]),
                                   ("d_fake", "mean D(G(z)), fake", COLORS["fake"])],
                         title="What D believes", yaxis="probability 'real'", events=events, yrange=(-0.02, 1.02),
                         revision=revision, baseline=baseline)


def quality_figure(quality: Sequence[dict], revision: str = "live", baseline: Sequence[dict] = (),
                   features: str = "bundled digit classifier", fid_name: str = "classifier FID") -> go.Figure:
    """Classifier FID (lower is better) and the share of confidently recognised samples, on two axes; `baseline`:
    the seed run's points, dotted. `features`: the network whose features and verdicts these are."""
    fig = go.Figure()
    for points, line, suffix in _with_baseline(quality, baseline):
        if not points:
            continue
        data = columns(points, "iteration", "fid", "recognisable")
        fig.add_trace(go.Scatter(x=data["iteration"], y=data["fid"], name=f"{fid_name} (lower is better)" + suffix,
                                 mode="lines+markers", line=dict(color=COLORS["quality"], **line),
                                 yhoverformat=HOVER_FORMAT))
        fig.add_trace(go.Scatter(x=data["iteration"], y=data["recognisable"] * 100, name="% recognisable" + suffix,
                                 mode="lines+markers", yaxis="y2", line=dict(color=COLORS["real"], **line),
                                 yhoverformat=HOVER_FORMAT))
    fig.update_layout(yaxis2=dict(overlaying="y", side="right", range=[0, 100], title="% recognisable",
                                  showgrid=False, tickmode="linear", tick0=0, dtick=20))
    return _layout(fig, f"Sample quality ({features})", fid_name, revision=revision)


def _points_with(points: Sequence[dict], *keys: str) -> list[dict]:
    """The quality points that carry every key (older checkpoints' points have no KID or precision / recall)."""
    return [p for p in points if all(p.get(key) is not None for key in keys)]


FIDELITY_DIVERSITY = [("precision", "precision (fidelity)", COLORS["real"]),
                      ("density", "density (fidelity)", "#81c784"),
                      ("recall", "recall (diversity)", COLORS["G"]),
                      ("coverage", "coverage (diversity)", "#f48fb1")]


def fidelity_diversity_figure(quality: Sequence[dict], revision: str = "live") -> go.Figure:
    """Precision and density (do the samples look like digits?) apart from recall and coverage (are all kinds of
    digits drawn?): mode collapse lowers the second pair, not the first."""
    points = _points_with(quality, *(key for key, _, _ in FIDELITY_DIVERSITY))
    top = max([1.02] + [p["density"] * 1.05 for p in points])  # density may exceed 1
    return series_figure(points, FIDELITY_DIVERSITY, title="Fidelity and diversity (classifier features)",
                         yaxis="share", yrange=(-0.02, top), revision=revision)


def kid_figure(quality: Sequence[dict], revision: str = "live") -> go.Figure:
    """KID x 1000 on a log axis (clipped at 0.1: the unbiased estimate of a near-perfect G can dip below 0)."""
    points = [{**p, "kid": max(p["kid"], 0.1)} for p in _points_with(quality, "kid")]
    fig = series_figure(points, [("kid", "KID × 1000", COLORS["quality"])],
                        title="Kernel distance to the real digits (KID, lower is better)", yaxis="KID × 1000",
                        revision=revision)
    log_axis(fig)
    return fig


def memorisation_figure(quality: Sequence[dict], revision: str = "live", plural: str = "digits") -> go.Figure:
    """D's share of real digits (or other `plural`) called real: those it trains on against held-out ones. A gap
    means D memorises."""
    points = _points_with(quality, "d_acc_trained_on", "d_acc_held_out")
    fig = series_figure(points, [("d_acc_trained_on", f"its training {plural}", COLORS["D"]),
                                 ("d_acc_held_out", f"held-out {plural} it never saw", COLORS["real"])],
                        title=f"Does D memorise? Real {plural} D calls real", yaxis="share called real",
                        yrange=(-0.02, 1.02), revision=revision)
    return fig


def coverage_figure(point: dict | None, revision: str = "live") -> go.Figure:
    """How much of each factor's range the samples span, as the factor network reads them (1: as the real shapes)."""
    names = [name for name in ("scale", "x", "y", "hue") if point and f"{name}_coverage" in point]
    shares = np.array([point[f"{name}_coverage"] for name in names]) if point else np.zeros(0)
    fig = go.Figure(go.Bar(x=names or ["scale", "x", "y"], y=shares * 100 if names else [0, 0, 0],
                           marker_color=COLORS["real"], text=[f"{s:.0%}" for s in shares], textposition="outside"))
    fig = _layout(fig, "How much of each factor G covers", "% of the real shapes' range", revision=revision)
    fig.update_layout(xaxis_title="factor", showlegend=False, hovermode=False, xaxis_type="category")
    fig.update_yaxes(range=[0, 115])
    return fig


def factor_effects_figure(effects: np.ndarray, factors: Sequence[str], directions: Sequence[str],
                          revision: str = "static") -> go.Figure:
    """Directions (rows) against the shapes' factors (columns): how far each direction moves each factor, as a share
    of its range (for the shape, the share of samples whose shape changes). One bright cell in a row: untangled."""
    shares = np.asarray(effects, dtype=np.float64) * 100
    fig = go.Figure(go.Heatmap(z=shares.tolist(), x=list(factors), y=list(directions), zmin=0, zmax=100,
                               colorscale="Purples", showscale=False, texttemplate="%{text}", hoverinfo="skip",
                               text=[[f"{v:.0f} %" for v in row] for row in shares]))
    fig = _layout(fig, "Which factors each direction moves", "direction", revision=revision)
    fig.update_layout(xaxis_title="factor (as the factor network reads it)", showlegend=False, hovermode=False)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="bottom")
    return fig


def copies_figure(quality: Sequence[dict], revision: str = "live") -> go.Figure:
    """A run on the user's images: how close G's samples come to a training image, against how far the training
    images lie from one another. Far below that line, G copies."""
    points = _points_with(quality, "copy_distance", "copy_spacing")
    return series_figure(points, [("copy_distance", "samples to their nearest training image", COLORS["fake"]),
                                  ("copy_spacing", "training images to their nearest other", COLORS["real"])],
                         title="Does G copy? Distance to the nearest training image", yaxis="pixel distance (RMS)",
                         revision=revision)


def random_kid_figure(quality: Sequence[dict], revision: str = "live") -> go.Figure:
    """KID x 1000 on random-feature embeddings (gan.image_scores), log axis: the look, not the meaning."""
    points = [{**p, "kid_random": max(p["kid_random"], 0.1)} for p in _points_with(quality, "kid_random")]
    fig = series_figure(points, [("kid_random", "KID × 1000", COLORS["quality"])],
                        title="Looks like the training images? KID on random features (lower is better)",
                        yaxis="KID × 1000",
                        revision=revision)
    log_axis(fig)
    return fig


def wasserstein_figure(records: Sequence[dict], quality: Sequence[dict], revision: str = "live") -> go.Figure:
    """WGAN's promise: the critic's estimate of the Wasserstein distance, mean D(x) - mean D(G(z)) (= -D loss, the
    penalty left out), falls as the samples improve; the classifier FID on the right axis is the check."""
    estimate = [{**r, "w_estimate": -r["d_loss"]} for r in records]
    fig = series_figure(estimate, [("w_estimate", "critic's Wasserstein estimate", COLORS["D"])],
                        title="The critic's Wasserstein estimate tracks sample quality",
                        yaxis="mean D(x) − mean D(G(z))",
                        revision=revision)
    if quality:
        data = columns(quality, "iteration", "fid")
        fig.add_trace(go.Scatter(x=data["iteration"], y=data["fid"], name="classifier FID (right axis)",
                                 mode="lines+markers", yaxis="y2", line=dict(color=COLORS["quality"],
                                                                             width=LINE_WIDTH, dash="dot")))
    fig.update_layout(yaxis2=dict(overlaying="y", side="right", type="log", dtick=1, title="classifier FID",
                                  showgrid=False))
    return fig


def reconstruction_figure(points: Sequence[dict], revision: str = "live") -> go.Figure:
    """A CycleGAN's cycle consistency: how far A -> B -> A (and B -> A -> B) land from where they started."""
    traces = [("cycle_error_a", "A → B → A", COLORS["real"]), ("cycle_error_b", "B → A → B", COLORS["fake"])]
    fig = series_figure(points, traces, title="Cycle reconstruction error (lower is better)",
                        yaxis="mean |x − round trip|", revision=revision)
    fig.update_yaxes(rangemode="tozero")
    return fig


def semi_supervised_figure(points: Sequence[dict], revision: str = "live") -> go.Figure:
    """The semi-supervised GAN's classifier against the same network trained on the 100 labels alone."""
    traces = [("sgan_accuracy", "SGAN: 100 labels + unlabelled digits + fakes", COLORS["real"]),
              ("baseline_accuracy", "the same D on the 100 labels alone", COLORS["fake"])]
    return series_figure(points, traces, title="Held-out accuracy (1,000 digits never trained on)",
                         yaxis="accuracy", yrange=(0, 1), revision=revision)


def histogram_figure(histogram: Sequence[float] | None, revision: str = "live",
                     kinds: Sequence[str] = tuple(str(d) for d in range(10)), kind: str = "digit",
                     unclear: bool = False) -> go.Figure:
    """Which digits (or other `kinds` of image) the classifier sees in the samples: a healthy run fills every bar.
    `unclear`: one more bar, grey, for the samples read as no kind at all (the bars then add up to 100 %)."""
    shares = np.zeros(len(kinds)) if histogram is None else np.asarray(histogram, dtype=np.float64)
    even = 100 / len(kinds)  # the real data's share of each kind
    labels, colours = list(kinds), [COLORS["quality"]] * len(kinds)
    if unclear:
        shares = np.append(shares, max(0.0, 1 - shares.sum()) if histogram is not None else 0.0)
        labels, colours = labels + ["unclear"], colours + [EVENT_COLOR]
    fig = go.Figure(go.Bar(x=labels, y=shares * 100, marker_color=colours,
                           text=[f"{s:.0%}" for s in shares], textposition="outside"))
    fig.add_hline(y=even, line=dict(color=EVENT_COLOR, dash="dot", width=1))
    fig = _layout(fig, f"Which {kind}s G draws", "% of samples (recognisable)", revision=revision)
    # Categories: Plotly reads "0".."9" as numbers and labelled only 0 and 5.
    fig.update_layout(xaxis_title=kind, showlegend=False, hovermode=False, xaxis_type="category")
    fig.update_yaxes(range=[0, max(40.0, float(shares.max(initial=0)) * 110)])
    return fig


def generator_loss_curves(points: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D(G(z)) in (0, 1) and the two generator losses along it: log(1 - D) (minimised) and -log D."""
    d = np.linspace(0.001, 0.999, points)
    return d, np.log1p(-d), -np.log(d)


def why_log_d_figure(fake_probs: Sequence[float], g_loss: str, revision: str = "live") -> go.Figure:
    """Seed 000's lesson: early on D(G(z)) ≈ 0, where log(1 - D) is flat (no gradient) and -log D is steep."""
    d, saturating, non_saturating = generator_loss_curves()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=d, y=saturating, name="minimax: log(1 − D(G(z)))", mode="lines",
                             line=dict(color=COLORS["D"], width=LINE_WIDTH + (1.5 if g_loss == "minimax" else 0))))
    fig.add_trace(go.Scatter(x=d, y=non_saturating, name="non-saturating: −log D(G(z))", mode="lines",
                             line=dict(color=COLORS["G"],
                                       width=LINE_WIDTH + (1.5 if g_loss == "non-saturating" else 0))))
    probs = np.clip(np.asarray(fake_probs, dtype=np.float64), 0.001, 0.999)
    if len(probs):
        curve = np.log1p(-probs) if g_loss == "minimax" else -np.log(probs)
        fig.add_trace(go.Scatter(x=probs, y=curve, name="this batch's fakes", mode="markers",
                                 marker=dict(color=COLORS["fake"], size=9, opacity=0.7,
                                             line=dict(color="white", width=1))))
    fig = _layout(fig, "Why −log D? Where the current fakes sit on the generator's loss", "generator loss",
                  yrange=(-7, 7), revision=revision)
    fig.update_layout(xaxis_title="D(G(z)): D's probability that a fake is real", hovermode="closest")
    return fig


def game_figure(points: Sequence[dict], x_title: str, height: int = 320, revision: str = "game") -> go.Figure:
    """"Be the discriminator": the student's and D's share of right answers per round; `points` hold x (G's
    iteration, or the round's number where G does not train), you, and d (None where no D judged)."""
    fig = go.Figure()
    x = [p["x"] for p in points]
    fig.add_trace(go.Scatter(x=x, y=[p["you"] * 100 for p in points], name="You", mode="lines+markers",
                             line=dict(color=COLORS["G"], width=LINE_WIDTH), marker=dict(size=9)))
    judged = [p for p in points if p.get("d") is not None]
    if judged:
        fig.add_trace(go.Scatter(x=[p["x"] for p in judged], y=[p["d"] * 100 for p in judged], name="D",
                                 mode="lines+markers", line=dict(color=COLORS["D"], width=LINE_WIDTH),
                                 marker=dict(size=9, symbol="square")))
    fig.add_hline(y=50, line=dict(color=EVENT_COLOR, dash="dot", width=1))  # guessing: a coin flip
    fig = _layout(fig, "Right answers per round", "% right", yrange=(-3, 103), revision=revision)
    fig.update_layout(xaxis_title=x_title, hovermode="closest", height=height)
    fig.update_yaxes(tickmode="linear", tick0=0, dtick=25)
    if x_title == "round":  # whole rounds, never 1.5
        fig.update_xaxes(tickmode="linear", tick0=1, dtick=1 if len(points) <= 12 else 5)
    return fig
