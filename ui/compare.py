"""Figures and tables for the Compare page: two runs overlaid on shared axes. Pure functions of plain data.

Side A is drawn in teal, side B in orange; within a figure the line style tells the series apart (e.g. D loss
solid, G loss dashed), so the legend reads "MLP GAN · D loss". Like ui/charts.py: bin means down to at most
MAX_POINTS points per trace, float32 arrays, a fixed `uirevision`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from gan.data import DataWords, words_for
from gan.race import Contender, VerdictRow
from ui.charts import (
    EVENT_COLOR,
    FONT_SIZE,
    LINE_WIDTH,
    columns,
    downsample,
    legend_below,
    log_axis,
    wrapped_title,
)

SIDE_COLORS = ("#00897b", "#f4511e")  # A teal, B deep orange: apart from the Train page's D blue / G pink
# Points per curve. Fewer than the Train page's: in a race by time the MLP logs ~20x more records than the DCGAN,
# and bins of equal count make its curve as smooth as the other's instead of a band of noise.
MAX_POINTS = 300
X_AXES = {"elapsed": "training time (s)", "iteration": "iteration"}

Side = tuple[str, Sequence[dict]]  # (label, records or quality points)


def overlay_figure(sides: Sequence[Side], traces: Sequence[tuple[str, str, str]], *, x: str, title: str,
                   yaxis: str, yrange: Sequence[float] | None = None, log_y: bool = False,
                   markers: bool = False, revision: str = "compare") -> go.Figure:
    """For each side and each (key, name, dash) in `traces`: the line of records[key] against records[x]."""
    fig = go.Figure()
    for color, (label, records) in zip(SIDE_COLORS, sides):
        if not records:
            continue
        data = columns(records, x, *(key for key, _, _ in traces))
        for key, name, dash in traces:
            xs, ys = downsample(data[x], data[key], MAX_POINTS)
            fig.add_trace(go.Scatter(x=xs, y=ys, name=f"{label} · {name}" if name else label,
                                     mode="lines+markers" if markers else "lines",
                                     line=dict(color=color, width=LINE_WIDTH, dash=dash)))
    text, top = wrapped_title(title)
    fig.update_layout(
        title=dict(text=text, font=dict(size=FONT_SIZE + 2)),
        font=dict(size=FONT_SIZE),
        height=300 + top,
        margin=dict(l=10, r=10, t=top, b=10),
        xaxis_title=X_AXES.get(x, x),
        yaxis_title=yaxis,
        uirevision=revision,
        hovermode="x unified",
    )
    if log_y:
        log_axis(fig)
    if yrange is not None:
        fig.update_yaxes(range=list(yrange))
    return legend_below(fig, FONT_SIZE)


def loss_overlay(sides: Sequence[Side], x: str = "elapsed") -> go.Figure:
    return overlay_figure(sides, [("d_loss", "D loss", "solid"), ("g_loss", "G loss", "dash")], x=x,
                          title="Losses", yaxis="loss")


def accuracy_overlay(sides: Sequence[Side], x: str = "elapsed") -> go.Figure:
    fig = overlay_figure(sides, [("d_acc_real", "D right on real", "solid"),
                                 ("d_acc_fake", "D right on fakes", "dash")],
                         x=x, title="Discriminator accuracy", yaxis="accuracy", yrange=(-0.02, 1.02))
    fig.add_hline(y=0.5, line=dict(color=EVENT_COLOR, dash="dot", width=1))
    return fig


DIGITS = words_for("mnist-embedded")


def fid_overlay(sides: Sequence[Side], x: str = "elapsed", words: DataWords = DIGITS) -> go.Figure:
    """Classifier FID on a log axis: it falls from ~1,000 (noise) by orders of magnitude."""
    title = f"{words.scorer[0].upper()}{words.scorer[1:]} FID (lower is better)"
    return overlay_figure(sides, [("fid", "", "solid")], x=x, title=title, yaxis=f"{words.scorer} FID", log_y=True,
                          markers=True)


def recognisable_overlay(sides: Sequence[Side], x: str = "elapsed") -> go.Figure:
    percent = [(label, [{**p, "recognisable": p["recognisable"] * 100} for p in points]) for label, points in sides]
    return overlay_figure(percent, [("recognisable", "", "solid")], x=x, title="Recognisable samples",
                          yaxis="% confidence ≥ 0.9", yrange=(-2, 102), markers=True)


def _with(sides: Sequence[Side], *keys: str) -> list[Side]:
    return [(label, [p for p in points if all(p.get(k) is not None for k in keys)]) for label, points in sides]


def kid_overlay(sides: Sequence[Side], x: str = "elapsed") -> go.Figure:
    """KID x 1000 on a log axis, clipped at 0.1 (its unbiased estimate can dip below 0 for a near-perfect G)."""
    clipped = [(label, [{**p, "kid": max(p["kid"], 0.1)} for p in points]) for label, points in _with(sides, "kid")]
    return overlay_figure(clipped, [("kid", "", "solid")], x=x, title="KID × 1000 (lower is better)",
                          yaxis="KID × 1000", log_y=True, markers=True)


def fidelity_diversity_overlay(sides: Sequence[Side], x: str = "elapsed") -> go.Figure:
    """Precision (fidelity, solid) against recall (diversity, dashed) for each side."""
    return overlay_figure(_with(sides, "precision", "recall"), [("precision", "precision", "solid"),
                                                                ("recall", "recall", "dash")],
                          x=x, title="Fidelity (precision) and diversity (recall)", yaxis="share",
                          yrange=(-0.02, 1.02), markers=True)


def memorisation_overlay(sides: Sequence[Side], x: str = "elapsed", words: DataWords = DIGITS) -> go.Figure:
    """D's share of held-out real digits called real (solid) against its training digits (dashed)."""
    return overlay_figure(_with(sides, "d_acc_held_out", "d_acc_trained_on"),
                          [("d_acc_held_out", f"held-out {words.plural}", "solid"),
                           ("d_acc_trained_on", f"training {words.plural}", "dash")],
                          x=x, title=f"Does D memorise? Real {words.plural} D calls real", yaxis="share called real",
                          yrange=(-0.02, 1.02), markers=True)


def histogram_pair(histograms: Sequence[tuple[str, Sequence[float] | None]], words: DataWords = DIGITS
                   ) -> go.Figure:
    """Which digits the classifier sees in each side's samples, bars side by side (mode collapse: one tall bar)."""
    fig = go.Figure()
    kinds = list(words.kinds)
    for color, (label, histogram) in zip(SIDE_COLORS, histograms):
        shares = np.zeros(len(kinds)) if histogram is None else np.asarray(histogram, dtype=np.float64)
        fig.add_trace(go.Bar(x=kinds, y=shares * 100, name=label, marker_color=color))
    fig.add_hline(y=100 / len(kinds), line=dict(color=EVENT_COLOR, dash="dot", width=1))  # the real data's share
    fig.update_layout(title=dict(text=f"{words.plural.capitalize()} in the samples", font=dict(size=FONT_SIZE + 2)),
                      font=dict(size=FONT_SIZE), height=340, margin=dict(l=10, r=10, t=50, b=10), barmode="group",
                      xaxis_title=words.noun, yaxis_title="% of samples", uirevision="compare",
                      xaxis_type="category")
    return legend_below(fig, FONT_SIZE)


def verdict_table(rows: Sequence[VerdictRow], labels: Sequence[str]) -> list[dict[str, str]]:
    """The verdict as table rows: criterion, each side's value, and who does better."""
    table = []
    for row in rows:
        a, b = row.formatted()
        winner = row.winner
        table.append({"": row.criterion, labels[0]: a, labels[1]: b,
                      "Better": "" if winner is None else labels[winner]})
    return table


def headline(contenders: Sequence[Contender]) -> str | None:
    """One sentence: who draws better digits, by how much, and at what cost. None without quality scores."""
    a, b = contenders
    if a.quality is None or b.quality is None:
        return None
    words = words_for(a.config.dataset)
    if a.quality.fid == b.quality.fid:
        return f"A draw: both reach a {words.scorer} FID of {a.quality.fid:.1f}."
    win, lose = (a, b) if a.quality.fid < b.quality.fid else (b, a)
    if (win.quality.recognisable < lose.quality.recognisable
            and win.quality.classes_covered < lose.quality.classes_covered):  # the measures disagree: say so
        return (f"Mixed: **{win.label}** has the lower {words.scorer} FID ({win.quality.fid:.1f} against "
                f"{lose.quality.fid:.1f}), but **{lose.label}** draws more recognisable {words.plural} "
                f"({lose.quality.recognisable:.0%} against {win.quality.recognisable:.0%}) of more kinds "
                f"({lose.quality.classes_covered} against {win.quality.classes_covered} of {len(words.kinds)}).")
    text = (f"**{win.label}** draws better {words.plural}: {words.scorer} FID **{win.quality.fid:.1f}** against "
            f"{lose.quality.fid:.1f}, {win.quality.recognisable:.0%} against {lose.quality.recognisable:.0%} "
            f"recognisable, {win.quality.classes_covered} against {lose.quality.classes_covered} of "
            f"{len(words.kinds)} {words.plural}")
    if win.its_per_sec and lose.its_per_sec:
        ratio = lose.its_per_sec / win.its_per_sec
        if ratio >= 1.5:
            text += f", while doing {_times(ratio)} fewer iterations per second"
        elif ratio <= 1 / 1.5:
            text += f", and {_times(1 / ratio)} as many iterations per second"
    return text + "."


def _times(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def unique_labels(labels: Sequence[str]) -> tuple[str, str]:
    """Two labels that can head two table columns: equal ones get ' (A)' and ' (B)'."""
    a, b = labels
    return (a, b) if a != b else (f"{a} (A)", f"{b} (B)")


def history_records(history: dict[str, Sequence[float]]) -> list[dict[str, float]]:
    """A checkpoint's metric history (one list per metric) as records (one dict per logged iteration)."""
    return [dict(zip(history, row)) for row in zip(*history.values())]
