"""The maths beside the curves: each chart's definition, for the objective the run plays, with the run's own numbers
put in, so that a student can recompute the number on the chart.

The pure functions here turn a config and one record (or one quality point) into `Curve`s: LaTeX and plain
sentences, no Streamlit. `render_maths` draws them in a popover under a chart. Every number is written with
HOVER_DECIMALS decimals, as the charts' hover labels show them (ui.charts.HOVER_FORMAT).

The records are window means (gan.train.loop): each point is the average over the updates since the point before.
A mean of logs is not the log of a mean, so D's loss cannot be rebuilt from the mean D(x); the trainer records the
loss's parts instead (d_loss = d_loss_real + d_loss_fake, to float rounding), and the maths adds those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from gan.config import Config
from gan.quality import (FEATURE_DIM, KID_SUBSETS, PRDC_MAX_SAMPLES, PRDC_NEAREST_K, RECOGNISABLE_CONFIDENCE,
                         SCORE_SAMPLES)
from gan.train.gan import SHIFT_INVARIANT  # their D(x) and accuracy are read against the batch's middle score
from ui.charts import HOVER_DECIMALS

NOT_RECORDED = "This run did not record this number (it was saved before the maths beside the curves existed)."


@dataclass(frozen=True)
class Curve:
    """One curve's maths: what it measures, its formula, its symbols, and the run's numbers put in."""

    name: str
    """The curve, as the chart's legend names it, e.g. "D loss" (the penalty and the gradients' norms: no curve)."""
    definition: str
    """The formula, LaTeX."""
    symbols: tuple[str, ...]
    """One short line per symbol (Markdown with inline $LaTeX$)."""
    worked: tuple[str, ...]
    """LaTeX lines with the run's numbers; the first starts with `symbol` and ends in "= <the chart's value>"."""
    symbol: str = ""
    """What the first worked line is about, e.g. "L_D" (a test finds the line by it)."""
    notes: tuple[str, ...] = ()
    """Plain sentences: what the numbers mean, or why one is missing."""


# ------------------------------------------------------------------------------------------ numbers
def number(value: float) -> str:
    """`value` as the chart's hover label writes it: the float32 the chart holds, HOVER_DECIMALS decimals."""
    return f"{float(np.float32(value)):.{HOVER_DECIMALS}f}"


def _term(value: float) -> str:
    """A number inside a sum: negative ones in brackets, "0.312 + (-0.110)"."""
    return number(value) if value >= 0 else f"({number(value)})"


def _sum(*values: float) -> str:
    return " + ".join([number(values[0]), *(_term(v) for v in values[1:])])


def record_at(rows: Sequence[Mapping], iteration: int | None) -> Mapping | None:
    """The row a student asked for: the newest one at `iteration` (a Step adds rows without advancing it), else the
    newest before it (else the first); the newest row when `iteration` is None."""
    if not rows:
        return None
    if iteration is None:
        return rows[-1]
    before = [row for row in rows if row["iteration"] <= iteration]
    return before[-1] if before else rows[0]


def _has(row: Mapping, *keys: str) -> bool:
    return all(row.get(key) is not None for key in keys)


# ------------------------------------------------------------------------------------------ shared symbols
def _batch_symbols(config: Config) -> tuple[str, ...]:
    lines = [f"$B$: the batch size, the {config.batch_size} images D judges in one step.",
             "$x_i$: the $i$-th real digit of the batch.",
             "$z_i$: a list of random numbers (noise); $G(z_i)$ is the fake digit G draws from it."]
    if config.diffaugment != "off":
        lines.append(f"DiffAugment is on ({config.diffaugment}): D sees every image, real or fake, randomly changed.")
    return tuple(lines)


def _d_symbol(config: Config) -> str:
    if config.objective == "bce":
        return ("$D(\\cdot)$: D's probability that an image is real, between 0 and 1: "
                "$D = \\sigma(s) = 1/(1 + e^{-s})$ of its raw score $s$.")
    return "$D(\\cdot)$: D's raw score for an image, any number; higher means \"more real\"."


LOG_SYMBOL = "$\\log$: the natural logarithm (ln on a calculator)."
SIGMA_SYMBOL = "$\\sigma(s) = 1/(1 + e^{-s})$: squashes any score $s$ into a probability between 0 and 1."
MEAN_SYMBOL = "$\\frac{1}{B}\\sum_{i=1}^{B}$: add up over the batch and divide by $B$: the batch's average."
NORM_SYMBOL = ("$\\lVert\\cdot\\rVert$: the length of a list of numbers: square each, add them up, take the square "
               "root.")
WINDOW_NOTE = "Each point on the chart is the average of this formula over all the updates since the point before."
ROUNDING_NOTE = "Every number is rounded to 3 decimals, so a sum you redo by hand may be off by 1 in the last digit."


# ------------------------------------------------------------------------------------------ D's loss
def _d_parts_latex(config: Config) -> tuple[str, str]:
    """(L_real, L_fake) of the config's objective, LaTeX; relativistic: (the whole loss, "")."""
    mean = "\\frac{1}{B}\\sum_{i=1}^{B}"
    kind = config.objective
    if kind == "bce":
        s = config.label_smoothing
        real = (f"-{mean}\\log D(x_i)" if not s else
                f"-{mean}\\bigl[{1 - s:g}\\,\\log D(x_i) + {s:g}\\,\\log\\bigl(1 - D(x_i)\\bigr)\\bigr]")
        return real, f"-{mean}\\log\\bigl(1 - D(G(z_i))\\bigr)"
    if kind == "hinge":
        return f"{mean}\\max\\bigl(0,\\ 1 - D(x_i)\\bigr)", f"{mean}\\max\\bigl(0,\\ 1 + D(G(z_i))\\bigr)"
    if kind == "wasserstein":
        return f"-{mean}D(x_i)", f"{mean}D(G(z_i))"
    return f"{mean}\\log\\bigl(1 + e^{{D(G(z_i)) - D(x_i)}}\\bigr)", ""


def d_loss_curve(config: Config, row: Mapping) -> Curve:
    """D's loss: its formula for the objective, and the two parts the run recorded adding up to the curve's value."""
    if config.arch == "cyclegan":
        return _cyclegan_d_loss(row)
    real, fake = _d_parts_latex(config)
    if fake:  # one line each: the sum, then its two parts
        definition = (f"\\begin{{aligned}} L_D &= L_{{\\text{{real}}}} + L_{{\\text{{fake}}}} \\\\ "
                      f"L_{{\\text{{real}}}} &= {real} \\\\ L_{{\\text{{fake}}}} &= {fake} \\end{{aligned}}")
    else:
        definition = f"L_D = {real}"
    symbols = _batch_symbols(config) + (_d_symbol(config), MEAN_SYMBOL) + _objective_symbols(config)
    worked, notes = _d_loss_worked(config, row)
    return Curve("D loss", definition, symbols, worked, symbol="L_D", notes=notes + _penalty_notes(config))


def _objective_symbols(config: Config) -> tuple[str, ...]:
    kind = config.objective
    if kind == "bce":
        return (LOG_SYMBOL,) + ((f"Label smoothing {config.label_smoothing:g}: D aims at "
                                 f"{1 - config.label_smoothing:g}, not 1, for real digits.",)
                                if config.label_smoothing else ())
    if kind == "hinge":
        return ("$\\max(0, v)$: $v$ when it is positive, 0 otherwise. A digit D already judges beyond the margin "
                "of 1 costs nothing.",)
    if kind == "wasserstein":
        return ("D (the critic) wants high scores for real digits and low ones for fakes; the loss is the gap, "
                "turned round.",)
    return (LOG_SYMBOL, "Each real digit $x_i$ is compared with one fake $G(z_i)$: D wants the real one to score "
            "higher.")


def _d_loss_worked(config: Config, row: Mapping) -> tuple[tuple[str, ...], tuple[str, ...]]:
    value = number(row["d_loss"])
    if not _has(row, "d_loss_real", "d_loss_fake"):
        return (f"L_D = {value}",), (NOT_RECORDED.replace("this number", "the two parts of D's loss"),)
    if config.objective == "relativistic":
        return (f"L_D = {value}",), ("The relativistic loss has no separate real and fake parts: each term "
                                     "compares a real digit with a fake.",)
    worked = [f"L_D = L_{{\\text{{real}}}} + L_{{\\text{{fake}}}} = {_sum(row['d_loss_real'], row['d_loss_fake'])} "
              f"= {value}"]
    notes = [WINDOW_NOTE, ROUNDING_NOTE]
    if config.objective == "bce" and not config.label_smoothing and _has(row, "d_real", "d_fake"):
        worked.append(_jensen_check(row))
        notes.append("A check with the averages from the chart \"What D believes\": the log of an average is not "
                     "the average of the logs, so the averages give a smaller number than the real loss.")
    return tuple(worked), tuple(notes)


def _jensen_check(row: Mapping) -> str:
    """-[log mean D(x) + log(1 - mean D(G(z)))] <= L_D: -log is convex (Jensen's inequality)."""
    d_real, d_fake = row["d_real"], row["d_fake"]
    estimate = -(np.log(max(d_real, 1e-12)) + np.log(max(1 - d_fake, 1e-12)))
    return (f"-\\bigl[\\log {number(d_real)} + \\log(1 - {number(d_fake)})\\bigr] = {number(estimate)} "
            f"\\le {number(row['d_loss'])}")


def _penalty_notes(config: Config) -> tuple[str, ...]:
    """What the penalties add to D's update (the curve leaves them out)."""
    if not (config.r1 or config.r2 or config.gp):
        return ()
    names = [n for n, on in (("R1", config.r1), ("R2", config.r2), ("WGAN-GP", config.gp)) if on]
    text = (f"D also pays a penalty ({', '.join(names)}) that the curve leaves out; its update goes downhill on "
            "$L_D + P$ (see the penalty below).")
    return (text,)


def penalty_curve(config: Config, row: Mapping) -> Curve | None:
    """The gradient penalties D's update adds to its loss; None when the run has none."""
    terms, symbols = [], []
    mean = "\\frac{1}{B}\\sum_{i=1}^{B}"
    if config.r1:
        terms.append(f"{config.r1 / 2:g}\\,{mean}\\lVert\\nabla_x D(x_i)\\rVert^2")
        symbols.append(f"R1 (weight $\\gamma = {config.r1:g}$, halved): D's slope at the real digits, squared.")
    if config.r2:
        terms.append(f"{config.r2 / 2:g}\\,{mean}\\lVert\\nabla_x D(G(z_i))\\rVert^2")
        symbols.append(f"R2 (weight $\\gamma = {config.r2:g}$, halved): the same at the fakes.")
    if config.gp:
        terms.append(f"{config.gp:g}\\,{mean}\\bigl(\\lVert\\nabla_x D(\\hat x_i)\\rVert - 1\\bigr)^2")
        symbols.append(f"WGAN-GP (weight $\\lambda = {config.gp:g}$): D's slope should be 1 at "
                       "$\\hat x_i = \\epsilon x_i + (1 - \\epsilon) G(z_i)$, a random mix of a real and a fake "
                       "($\\epsilon$ between 0 and 1).")
    if not terms:
        return None
    symbols += ["$\\nabla_x D(x)$: D's slope: how fast its score changes when the pixels of $x$ change.", NORM_SYMBOL,
                "A penalty keeps D's verdicts smooth, so that G gets useful directions."]
    if not _has(row, "d_penalty"):
        return Curve("penalty", "P = " + " + ".join(terms), tuple(symbols), (), symbol="P", notes=(NOT_RECORDED,))
    worked: tuple[str, ...] = (f"P = {number(row['d_penalty'])}",)
    if _has(row, "d_loss"):
        total = row["d_loss"] + row["d_penalty"]
        worked += (f"L_D + P = {_sum(row['d_loss'], row['d_penalty'])} = {number(total)}",)
    return Curve("penalty", "P = " + " + ".join(terms), tuple(symbols), worked, symbol="P",
                 notes=("Not on the chart: the curve shows $L_D$ alone.",))


# ------------------------------------------------------------------------------------------ G's loss
def _g_loss_latex(config: Config) -> str:
    mean = "\\frac{1}{B}\\sum_{i=1}^{B}"
    kind = config.objective
    if kind == "bce":
        if config.g_loss == "minimax":
            return f"L_G = {mean}\\log\\bigl(1 - D(G(z_i))\\bigr)"
        return f"L_G = -{mean}\\log D(G(z_i))"
    if kind in ("hinge", "wasserstein"):
        return f"L_G = -{mean}D(G(z_i))"
    return f"L_G = {mean}\\log\\bigl(1 + e^{{D(x_i) - D(G(z_i))}}\\bigr)"


def _g_meaning(config: Config) -> str:
    if config.objective == "bce" and config.g_loss == "minimax":
        return ("Minimax: G makes D's own loss on the fakes bigger. Nearly flat while D spots every fake, so G "
                "learns slowly at first.")
    if config.objective == "bce":
        return "Non-saturating: G wants $D(G(z_i))$ near 1, and gets a strong push while D still spots its fakes."
    if config.objective == "relativistic":
        return "G wants its fakes to score higher than the real digits they are paired with."
    return "G wants D to give its fakes high scores."


def g_loss_curve(config: Config, row: Mapping) -> Curve:
    if config.arch == "cyclegan":
        return _cyclegan_g_loss(row)
    symbols = (_d_symbol(config), MEAN_SYMBOL) + ((LOG_SYMBOL,) if config.objective != "wasserstein" else ()) + (
        _g_meaning(config), "D is frozen while G learns: only G's weights move.")
    return Curve("G loss", _g_loss_latex(config), symbols, (f"L_G = {number(row['g_loss'])}",), symbol="L_G",
                 notes=(WINDOW_NOTE,))


# ------------------------------------------------------------------------------------------ the gradients' norms
def grad_norm_curve(row: Mapping) -> Curve:
    """How hard each update pushed: the length of the gradient of all of a player's weights together."""
    definition = ("\\lVert g_D\\rVert = \\sqrt{\\textstyle\\sum_j \\bigl(\\partial (L_D + P) / \\partial w_j"
                  "\\bigr)^2}, \\quad \\lVert g_G\\rVert = \\sqrt{\\textstyle\\sum_j \\bigl(\\partial L_G / "
                  "\\partial w_j\\bigr)^2}")
    symbols = ("$w_j$: one of the network's weights (the numbers it learns).",
               "$\\partial L / \\partial w_j$: how much the loss changes when $w_j$ changes a little: the gradient.",
               NORM_SYMBOL,
               "Adam then moves each weight a step of about the learning rate, the way that makes the loss smaller.")
    if not _has(row, "d_grad_norm", "g_grad_norm"):
        return Curve("gradient norms", definition, symbols, (), symbol="\\lVert g_D\\rVert", notes=(NOT_RECORDED,))
    worked = (f"\\lVert g_D\\rVert = {number(row['d_grad_norm'])}, \\quad "
              f"\\lVert g_G\\rVert = {number(row['g_grad_norm'])}",)
    return Curve("gradient norms", definition, symbols, worked, symbol="\\lVert g_D\\rVert",
                 notes=("Not on this chart: how hard the last updates pushed each network.",))


def loss_maths(config: Config, row: Mapping) -> list[Curve]:
    """The Losses chart: D's loss, the penalty (if any), G's loss, and how hard each update pushed."""
    curves = [d_loss_curve(config, row)]
    penalty = penalty_curve(config, row) if config.arch != "cyclegan" else None
    curves += [penalty] if penalty else []
    curves.append(g_loss_curve(config, row))
    if config.arch != "cyclegan":
        curves.append(grad_norm_curve(row))
    return curves


def _cyclegan_d_loss(row: Mapping) -> Curve:
    mean = "\\operatorname{mean}"
    definition = (f"L_D = \\tfrac{{1}}{{2}}\\bigl(L_{{D_A}} + L_{{D_B}}\\bigr), \\quad L_{{D_A}} = \\tfrac{{1}}{{2}}"
                  f"\\,{mean}\\bigl(D_A(a) - 1\\bigr)^2 + \\tfrac{{1}}{{2}}\\,{mean}\\,D_A(G_{{BA}}(b))^2")
    symbols = ("$a$, $b$: a plain and a thick digit; $G_{AB}$, $G_{BA}$: the two translators.",
               "$D_A(\\cdot)$: a score for each patch of the image: 1 means real, 0 fake.",
               "$\\operatorname{mean}$: the average over the batch and the patches. $L_{D_B}$ is the same for B.")
    return Curve("D loss", definition, symbols, (f"L_D = {number(row['d_loss'])}",), symbol="L_D",
                 notes=(WINDOW_NOTE, NOT_RECORDED.replace("this number", "the parts of D's loss")))


def _cyclegan_g_loss(row: Mapping) -> Curve:
    definition = "L_G = L_{\\text{adv}} + \\lambda_{\\text{cyc}} L_{\\text{cyc}} + \\lambda_{\\text{id}} L_{\\text{id}}"
    symbols = ("$L_{\\text{adv}}$: how far D's scores of the translations are from 1, squared.",
               "$L_{\\text{cyc}}$: how far a round trip A → B → A lands from where it started.",
               "$L_{\\text{id}}$: how much a translator changes an image already in its target style.",
               "$\\lambda$: how much each part counts.")
    return Curve("G loss", definition, symbols, (f"L_G = {number(row['g_loss'])}",), symbol="L_G",
                 notes=(WINDOW_NOTE,))


# ------------------------------------------------------------------------------------------ D's accuracy and beliefs
def _threshold(config: Config) -> tuple[str, str]:
    """(the line between "real" and "fake" in LaTeX, what it means) as the trainer counts it."""
    if config.arch == "cyclegan":
        return "0.5", ("D calls a patch of an image real when its score is above 0.5 (halfway from fake, 0, to "
                       "real, 1); the share counts patches.")
    if config.objective in SHIFT_INVARIANT:
        return "m", ("$m$: halfway between D's average score of the real batch and of the fake batch. This objective "
                     "only cares about differences of scores, so there is no fixed line.")
    if config.objective == "bce":
        return "0.5", "D calls an image real when its probability is above 0.5."
    return "0", "D calls an image real when its raw score is above 0."


def accuracy_maths(config: Config, row: Mapping) -> list[Curve]:
    line, words = _threshold(config)
    mean = "\\frac{1}{B}\\sum_{i=1}^{B}"
    symbols = (f"$B$: the batch size, {config.batch_size}.",
               "$\\mathbf{1}[\\ldots]$: 1 when the statement holds, 0 when not.", words)
    curves = []
    for key, name, symbol, test, calls in (
            ("d_acc_real", "D right on real", "\\text{acc}_{\\text{real}}", f"D(x_i) > {line}", "real"),
            ("d_acc_fake", "D right on fakes", "\\text{acc}_{\\text{fake}}", f"D(G(z_i)) < {line}", "fake")):
        share = row[key]
        count = "" if config.arch == "cyclegan" else (
            f": on average {share * config.batch_size:.1f} of the {config.batch_size} in a batch")
        curves.append(Curve(name, f"{symbol} = {mean}\\mathbf{{1}}\\bigl[{test}\\bigr]", symbols,
                            (f"{symbol} = {number(share)}",), symbol=symbol,
                            notes=(f"The share of {calls} images D calls {calls}{count}.", WINDOW_NOTE)))
    return curves


def belief_maths(config: Config, row: Mapping) -> list[Curve]:
    """What D believes: the batch's average probability 'real', for the reals and for the fakes."""
    mean = "\\frac{1}{B}\\sum_{i=1}^{B}"
    symbols: tuple[str, ...]
    if config.arch == "cyclegan":
        inner, symbols = "\\operatorname{{clip}}\\bigl(s({})\\bigr)", (
            "$s$: D's patch score, clipped to between 0 and 1, averaged over the patches.",)
    elif config.objective in SHIFT_INVARIANT:
        inner = "\\sigma\\bigl(s({}) - m\\bigr)"
        symbols = (SIGMA_SYMBOL, "$s$: D's raw score; $m$: halfway between the real and the fake batch's average "
                   "scores (this objective only cares about differences).")
    else:
        inner, symbols = "\\sigma\\bigl(s({})\\bigr)", (SIGMA_SYMBOL, "$s$: D's raw score for the image.")
    symbols = (f"$B$: the batch size, {config.batch_size}.",) + symbols + (MEAN_SYMBOL,)
    return [Curve(name, f"{symbol} = {mean}{inner.format(image)}", symbols,
                  (f"{symbol} = {number(row[key])}",), symbol=symbol, notes=(note, WINDOW_NOTE))
            for key, name, symbol, image, note in (
                ("d_real", "mean D(x), real", "\\overline{D(x)}", "x_i",
                 "D's average probability that a real digit is real: near 1 when D is sure."),
                ("d_fake", "mean D(G(z)), fake", "\\overline{D(G(z))}", "G(z_i)",
                 "D's average probability that a fake is real: near 0 when D spots every fake, 0.5 when it "
                 "cannot tell."))]


# ------------------------------------------------------------------------------------------ sample quality
QUALITY_NOTE = (f"Scored on {SCORE_SAMPLES} digits G draws from the same fixed noise each time, with a small digit "
                "classifier that comes with the app (not the Inception network of papers).")
FEATURES_SYMBOL = (f"Features: the {FEATURE_DIM} numbers the classifier computes for an image just before it decides "
                   "which digit it is.")


def quality_maths(point: Mapping) -> list[Curve]:
    """The Sample quality chart: the classifier FID and the share of recognisable digits."""
    fid = Curve("classifier FID (lower is better)",
                "\\text{FID} = \\lVert \\mu_r - \\mu_g \\rVert^2 + \\operatorname{tr}\\bigl(\\Sigma_r + \\Sigma_g - "
                "2\\,(\\Sigma_r \\Sigma_g)^{1/2}\\bigr)",
                (FEATURES_SYMBOL + " (FID uses them after the classifier's ReLU.)",
                 "$\\mu_r$, $\\mu_g$: the average features of 5,000 real digits and of G's digits.",
                 "$\\Sigma_r$, $\\Sigma_g$: how the features spread and vary together (covariance matrices).",
                 "$\\operatorname{tr}$: the trace, the sum of a matrix's diagonal.",
                 "0 means G's digits look like the real ones on average and vary as much; lower is better."),
                (f"\\text{{FID}} = {number(point['fid'])}",), symbol="\\text{FID}", notes=(QUALITY_NOTE,))
    share = point["recognisable"] * 100
    recognisable = Curve("% recognisable",
                         f"\\%\\,\\text{{recognisable}} = \\frac{{100}}{{N}}\\sum_{{k=1}}^{{N}}\\mathbf{{1}}\\bigl["
                         f"p_{{\\max}}(k) \\ge {RECOGNISABLE_CONFIDENCE:g}\\bigr]",
                         (f"$N$: the {SCORE_SAMPLES} samples scored.",
                          "$p_{\\max}(k)$: the classifier's confidence in its best guess for sample $k$.",
                          "$\\mathbf{1}[\\ldots]$: 1 when the statement holds, 0 when not."),
                         (f"\\%\\,\\text{{recognisable}} = {number(share)}",), symbol="\\%\\,\\text{recognisable}",
                         notes=(QUALITY_NOTE,))
    return [fid, recognisable]


def kid_maths(point: Mapping) -> list[Curve]:
    kid = point.get("kid")
    worked = (f"1000 \\cdot \\text{{KID}} = {number(max(kid, 0.1))}",) if kid is not None else ()
    notes = [QUALITY_NOTE]
    if kid is not None and kid < 0.1:
        notes.append(f"The estimate was {number(kid)}; the chart's log scale cannot show numbers this small, so it "
                     "draws 0.1.")
    return [Curve("KID × 1000",
                  "\\text{KID} = \\overline{k(r, r')} + \\overline{k(g, g')} - 2\\,\\overline{k(r, g)}, \\quad "
                  f"k(a, b) = \\Bigl(\\frac{{a \\cdot b}}{{{FEATURE_DIM}}} + 1\\Bigr)^3",
                  (FEATURES_SYMBOL + " (KID uses them before the ReLU, rescaled to about 1.)",
                   "$r, r'$: features of two different real digits; $g, g'$: of two of G's digits.",
                   "$k(a, b)$: how alike two feature lists are ($a \\cdot b$: multiply entry by entry, add up).",
                   "The bars: averages over all pairs, in "
                   f"{KID_SUBSETS} random subsets. 0 means no difference; lower is better.",
                   "Unlike the FID it has no bias at small samples, so early points can be trusted."),
                  worked, symbol="1000 \\cdot \\text{KID}", notes=tuple(notes) if worked else (NOT_RECORDED,))]


def fidelity_maths(point: Mapping) -> list[Curve]:
    """Precision, density (fidelity), recall and coverage (diversity) in the classifier's feature space."""
    k = PRDC_NEAREST_K
    ball = (f"Ball of a digit: everything closer to its features than its {k}-th nearest neighbour of the same kind "
            "(real or fake).")
    n = min(SCORE_SAMPLES, PRDC_MAX_SAMPLES)
    shared = (FEATURES_SYMBOL + " (measured before the ReLU.)", ball,
              f"$N_g$: {n} of G's digits; $N_r$: as many real digits, of every kind.")
    curves = []
    for key, name, definition, meaning in (
            ("precision", "precision (fidelity)", "\\frac{1}{N_g}\\#\\{g : g \\text{ inside some real ball}\\}",
             "The share of G's digits that look real. Low precision: odd-looking samples."),
            ("density", "density (fidelity)", f"\\frac{{1}}{{{k} N_g}}\\sum_g \\#\\{{r : g \\text{{ inside }} r"
                                              "\\text{'s ball}\\}",
             "Like precision, but counts how many real balls hold each sample; about 1 for real digits."),
            ("recall", "recall (diversity)", "\\frac{1}{N_r}\\#\\{r : r \\text{ inside some fake ball}\\}",
             "The share of real digits G's samples reach. Mode collapse lowers it."),
            ("coverage", "coverage (diversity)", "\\frac{1}{N_r}\\#\\{r : \\text{some } g \\text{ inside } r"
                                                 "\\text{'s ball}\\}",
             "Like recall, but robust to a few odd samples.")):
        symbol = f"\\text{{{key}}}"
        worked = (f"{symbol} = {number(point[key])}",) if point.get(key) is not None else ()
        curves.append(Curve(name, f"{symbol} = {definition}", shared + ("$\\#$: how many.", meaning), worked,
                            symbol=symbol, notes=(QUALITY_NOTE,) if worked else (NOT_RECORDED,)))
    return curves


# ------------------------------------------------------------------------------------------ drawing
def render_maths(chart: str, rows: Sequence[Mapping], build: Callable[[Mapping], list[Curve]], key: str,
                 unit: str = "record") -> None:
    """A small "The maths: <chart>" popover: pick a recorded iteration (the newest by default) and read each curve's
    formula with that iteration's numbers put in."""
    with st.popover(f"The maths: {chart}", icon=":material/calculate:", key=key):
        if not rows:
            st.caption(f"No {unit} yet: the numbers come with the first point on the chart.")
            return
        chosen = st.number_input("Iteration", min_value=0, value=None, step=1, key=f"{key}.iteration",
                                 placeholder=f"newest: {rows[-1]['iteration']:,}",
                                 help="Type an iteration to see its numbers; empty means the newest point.")
        row = record_at(rows, None if chosen is None else int(chosen)) or rows[-1]  # rows is not empty: never None
        newest = " (the newest point)" if row is rows[-1] else ""
        st.markdown(f"**Iteration {row['iteration']:,}**{newest}")
        for curve in build(row):
            _render_curve(curve)


def _render_curve(curve: Curve) -> None:
    """The formula with the numbers right under it (a popover scrolls: the two belong on one screen), then what
    each symbol means."""
    st.markdown(f"##### {curve.name}")
    st.latex(curve.definition)
    for line in curve.worked:
        st.latex(line)
    st.markdown("\n".join(f"- {line}" for line in curve.symbols))
    for note in curve.notes:
        st.caption(note)
