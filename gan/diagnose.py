"""Spot the classic GAN failures in a run's recent numbers and say what to try: the Train page's teaching alerts.

`diagnose(records, quality)` reads the plain records of `GANTrainer.run()` (`Record.metrics()`) and the live quality
points (`QualityScore` as a dict, plus its iteration), and returns an `Alert` per failure it sees: the discriminator
winning outright, the generator stalling (the saturating minimax loss above all), mode collapse, and divergence.
Pure Python on floats: no torch, no UI.

The window's numbers are judged by their median, not their mean: a game that has tipped over has one-iteration
spikes (a strong D that is fooled once reads d_loss 318 and d_acc_fake 0 for a single record) that would hide it.
The thresholds below were set against short CPU runs of the lessons in `gan/presets/train.py`: a healthy MLP GAN sits at
d_acc_real ≈ d_acc_fake ≈ 0.7, d_loss ≈ 1.2 (2 log 2 ≈ 1.39 at the game's equilibrium) and D(G(z)) ≈ 0.43.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import fmean, median
from typing import Any

SEVERITIES = ("error", "warning")  # most severe first: the order alerts come back in

# D wins: D sorts practically every real and every fake correctly and its loss is near 0, i.e. D(x) ≈ 1 and
# D(G(z)) ≈ 0 on whole batches. A healthy game keeps both accuracies around 0.6-0.8.
D_WINS_ACCURACY = 0.98
D_WINS_LOSS = 0.1  # -log D(x) - log(1 - D(G(z))) <= 0.1 needs both within ~5% of 1 and 0 (healthy: ~1.2)

# G stalls: D rejects practically every fake. At D(G(z)) = 0.02 the minimax loss log(1 - D) has a slope 50x smaller
# than the non-saturating -log D (d/dlogit is -D vs -(1 - D)), so G barely moves. Healthy runs stay near 0.3-0.5.
G_STALL_D_FAKE = 0.02

# Mode collapse, judged by the bundled digit classifier on G's samples (one quality point every few seconds). A fresh
# generator's smudges also land in one or two classes (a healthy MLP run shows 2 classes, 95% "8", at iteration 600),
# and early coverage is noisy (8, 6, then 4 classes on another seed), so one low point is not enough: the variety
# must have been there and be gone for two points in a row, or the few classes must persist while the classifier
# recognises the samples.
COLLAPSE_MAX_CLASSES = 3  # at most this many digits hold >= 2% of the samples (quality.COVERAGE_THRESHOLD)
COLLAPSE_TOP_SHARE = 0.5  # or one digit takes at least half of the samples
COLLAPSE_FROM_CLASSES = 6  # a drop to <= 3 classes counts if G had drawn at least this many before ...
COLLAPSE_FROM_TOP_SHARE = 0.3  # ... a digit taking half counts if no digit had exceeded this share before ...
COLLAPSE_CONFIRM = 2  # ... once this many quality points in a row show it
COLLAPSE_PATIENCE = 3  # otherwise: this many quality points in a row with <= 3 classes ...
COLLAPSE_RECOGNISABLE = 0.5  # ... whose samples the classifier recognises (confidence >= 0.9) this often on average

# The learning rate each one-click cure sets (DCGAN's 2e-4): every failure lesson recovers from its alert at it, with
# the lesson's seed, well within the lesson's time (tests/gan/test_lessons.py applies each cure when its alert shows).
# Lowering lr_d alone did not: against the strong-D lesson's lr_g of 5e-5, G was still noise 80 s later.
STEADY_LR = 2e-4


@dataclass(frozen=True)
class Alert:
    """One failure the run shows, worded to teach: what happens in the game, and which knobs to turn."""

    key: str
    """Stable id: 'diverged', 'd_wins', 'g_stalls' or 'mode_collapse'."""
    title: str
    """Short heading, e.g. 'The discriminator is winning'."""
    explanation: str
    """One or two sentences on what is happening between the two players."""
    fix: str
    """Concrete suggestions naming Config fields."""
    severity: str
    """'error' (the run is lost) or 'warning' (it is going wrong, and can still be steered)."""
    remedy: tuple[tuple[str, Any], ...] = ()
    """The cure as live changes, (setting, value) pairs among lr_g, lr_d, d_steps and g_loss, that the page offers as
    one click; empty when nothing live would help (a diverged run must restart) or the run already has them."""

    def remedy_text(self) -> str:
        """The cure in a button's words, e.g. 'lr_d 2e-4 · lr_g 2e-4 · d_steps 1'."""
        return " · ".join(f"{name} {format_rate(value) if isinstance(value, float) else value}" for name, value in self.remedy)


def diagnose(records: Sequence[dict[str, float]], quality: Sequence[dict] | None = None, *,
             g_loss: str = "non-saturating", knobs: Mapping[str, Any] | None = None, window: int = 200,
             min_iterations: int = 300) -> list[Alert]:
    """The alerts for a run, errors first; none for a healthy run or before `min_iterations` iterations.

    records: `Record.metrics()` dicts, oldest first; the last `window` of them are judged.
    quality: the live quality points (`QualityScore` fields plus 'iteration'), oldest first.
    g_loss: the run's generator loss ('non-saturating' or 'minimax'); it changes the diagnosis of a stalled G.
    knobs: the run's live settings now (lr_g, lr_d, d_steps); with them each alert carries its one-click `remedy`.
    """
    alerts = _alerts(records, quality, g_loss, window, min_iterations)
    if knobs is None:
        return alerts
    return [replace(alert, remedy=_remedy(alert.key, {**knobs, "g_loss": g_loss})) for alert in alerts]


def _alerts(records: Sequence[dict[str, float]], quality: Sequence[dict] | None, g_loss: str, window: int,
            min_iterations: int) -> list[Alert]:
    if not records:
        return []
    alerts = []
    if not all(math.isfinite(v) for v in records[-1].values() if isinstance(v, (int, float))):
        alerts.append(_diverged(records[-1]))
    elif records[-1]["iteration"] >= min_iterations:
        recent = records[-window:]
        d_wins, g_stalls = _d_wins(recent), _g_stalls(recent, g_loss)
        # One cause, one alert: with the minimax loss a winning D is the saturation lesson (the cure is the loss);
        # with the non-saturating loss a G that loses is a symptom of the winning D (the cure is D's pace).
        if g_stalls and (g_loss == "minimax" or not d_wins):
            alerts.append(g_stalls)
        elif d_wins:
            alerts.append(d_wins)
    # A stalled G draws whatever D rejects: its class histogram says nothing about variety yet. Mode collapse is
    # judged on the digit classifier's points only (ten classes); other data's points carry other scores.
    digit_points = [q for q in quality or () if "classes_covered" in q and "class_histogram" in q]
    if records[-1]["iteration"] >= min_iterations and digit_points and not any(a.key == "g_stalls" for a in alerts):
        collapse = _mode_collapse(digit_points)
        if collapse:
            alerts.append(collapse)
    return sorted(alerts, key=lambda a: SEVERITIES.index(a.severity))


# --------------------------------------------------------------------------------------------- the failures


def _diverged(last: dict[str, float]) -> Alert:
    bad = ", ".join(k for k, v in last.items() if isinstance(v, (int, float)) and not math.isfinite(v))
    return Alert(
        key="diverged",
        title="Training diverged",
        explanation=(f"{bad} became NaN or infinite: a weight update was so large that the networks' numbers blew "
                     "up, and nothing can be learned from here."),
        fix=("restart with lower learning rates (lr_d and lr_g, e.g. 2e-4), keep beta1 at 0.5, and add "
             "label_smoothing 0.1 so that D's logits stay bounded."),
        severity="error",
    )


def _d_wins(recent: Sequence[dict[str, float]]) -> Alert | None:
    acc_real, acc_fake = _typical(recent, "d_acc_real"), _typical(recent, "d_acc_fake")
    d_loss = _typical(recent, "d_loss")
    if not (acc_real >= D_WINS_ACCURACY and acc_fake >= D_WINS_ACCURACY and d_loss <= D_WINS_LOSS):
        return None
    return Alert(
        key="d_wins",
        title="The discriminator is winning",
        explanation=(f"In a typical iteration D sorts {acc_real:.0%} of real and {acc_fake:.0%} of fake images "
                     f"correctly (d_loss {d_loss:.3f}): it has learned faster than G. Once D rejects every fake "
                     "with certainty, its verdict no longer tells G which way to improve."),
        fix=("slow D down and let G keep pace: lr_d 2e-4, lr_g at least as high, d_steps 1 (lowering lr_d alone "
             "leaves a slow G behind). For a restart, label_smoothing 0.1 also keeps D from growing certain."),
        severity="warning",
    )


def _g_stalls(recent: Sequence[dict[str, float]], g_loss: str) -> Alert | None:
    d_fake = _typical(recent, "d_fake")
    if d_fake > G_STALL_D_FAKE:
        return None
    third = max(1, len(recent) // 3)
    first, last = _typical(recent[:third], "g_loss"), _typical(recent[-third:], "g_loss")
    rising = last > first
    high = _typical(recent, "g_loss") >= _generator_loss_at(G_STALL_D_FAKE, g_loss)  # as bad as D(G(z)) = 2%
    if not (rising or high):
        return None  # G's loss is falling: it is climbing out by itself
    if g_loss == "minimax":
        return Alert(
            key="g_stalls",
            title="The generator's loss has saturated",
            explanation=(f"D(G(z)) has sunk to {d_fake:.3f}: D rejects every fake. With g_loss 'minimax' G "
                         "minimises log(1 − D(G(z))), which is flat near D(G(z)) = 0: exactly where G is, it gets "
                         "almost no gradient, so it stops improving while D keeps winning."),
            fix=("switch g_loss to 'non-saturating' (maximise log D(G(z)) instead: steep where D rejects the "
                 "fakes), and lower lr_d to 2e-4 so that D does not run away again."),
            severity="warning",
        )
    return Alert(
        key="g_stalls",
        title="The generator has stalled",
        explanation=(f"D(G(z)) has sunk to {d_fake:.3f} and G's loss is not coming down: G is losing the game. "
                     "The non-saturating loss still has gradient here, so the usual cause is a D that learns "
                     "faster than G can follow."),
        fix=("slow D down and let G keep pace: lr_d 2e-4, lr_g at least as high, d_steps 1; for a restart, "
             "label_smoothing 0.1 too."),
        severity="warning",
    )


def _mode_collapse(quality: Sequence[dict]) -> Alert | None:
    confirm, streak = quality[-COLLAPSE_CONFIRM:], quality[-COLLAPSE_PATIENCE:]
    before = quality[:-COLLAPSE_CONFIRM]
    lost_variety = (any(q["classes_covered"] >= COLLAPSE_FROM_CLASSES for q in before)
                    and all(q["classes_covered"] <= COLLAPSE_MAX_CLASSES for q in confirm))
    one_took_over = (any(max(q["class_histogram"]) <= COLLAPSE_FROM_TOP_SHARE for q in before)
                     and all(max(q["class_histogram"]) >= COLLAPSE_TOP_SHARE for q in confirm))
    stuck_on_few = (len(streak) == COLLAPSE_PATIENCE
                    and all(q["classes_covered"] <= COLLAPSE_MAX_CLASSES for q in streak)
                    and fmean(q["recognisable"] for q in streak) >= COLLAPSE_RECOGNISABLE)
    if not (lost_variety or one_took_over or stuck_on_few):
        return None
    classes, histogram = quality[-1]["classes_covered"], tuple(quality[-1]["class_histogram"])
    top_share = max(histogram)
    digit = histogram.index(top_share)
    return Alert(
        key="mode_collapse",
        title="Mode collapse",
        explanation=(f"{top_share:.0%} of G's samples look like {digit}s, and only {classes} of the ten digits "
                     "appear at all. G has found a few images that fool D and maps most noise vectors z onto them; "
                     "when D catches on, G hops to another few instead of learning them all."),
        fix=("put both players at one pace, lr_g = lr_d = 2e-4: G stops hopping faster than D can follow, and D "
             "learns to reject the few shapes. For a restart, beta1 0.5 and label_smoothing 0.1 help too."),
        severity="warning",
    )


# --------------------------------------------------------------------------------------------- the cures


def apply_remedy(game: Any, remedy: Sequence[tuple[str, Any]]) -> None:
    """Make an alert's live changes on `game`: a trainer, or a runner that passes them on to one (both steer with
    `set_g_loss`, `set_lr` and `set_d_steps`, between iterations)."""
    changes = dict(remedy)
    if "g_loss" in changes:
        game.set_g_loss(changes["g_loss"])
    if "lr_g" in changes or "lr_d" in changes:
        game.set_lr(lr_g=changes.get("lr_g"), lr_d=changes.get("lr_d"))
    if "d_steps" in changes:
        game.set_d_steps(int(changes["d_steps"]))


def _remedy(key: str, knobs: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The live changes that cure `key`'s failure from the run's settings `knobs`, leaving out what it already has.

    A winning D or a stalled G: D slowed to STEADY_LR and G at least as fast, one D step per G step (with the minimax
    loss, the non-saturating loss first: the flat loss is the lesson). Mode collapse: both players at STEADY_LR."""
    lr_g, lr_d = knobs["lr_g"], knobs["lr_d"]
    if key in ("d_wins", "g_stalls"):
        steady_d = min(lr_d, STEADY_LR)
        wanted: dict[str, Any] = {"lr_d": steady_d, "lr_g": max(lr_g, steady_d), "d_steps": 1}
        if knobs["g_loss"] == "minimax":
            wanted = {"g_loss": "non-saturating", **wanted}
    elif key == "mode_collapse":
        wanted = {"lr_g": STEADY_LR, "lr_d": STEADY_LR}
    else:  # diverged: the weights are lost, only a restart helps
        return ()
    return tuple((name, value) for name, value in wanted.items() if knobs.get(name) != value)


# --------------------------------------------------------------------------------------------- helpers


def format_rate(value: float) -> str:
    """A learning rate as people write it: 2e-4, 2.5e-4 (Python's 'g' gives 0.0002)."""
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def _typical(records: Sequence[dict[str, float]], key: str) -> float:
    """The median over the records: robust to the one-iteration spikes of a game that has tipped over."""
    return median(r[key] for r in records)


def _generator_loss_at(d_fake: float, g_loss: str) -> float:
    """The generator loss of a batch whose fakes all get D(G(z)) = d_fake (see gan/losses.py)."""
    return math.log(1 - d_fake) if g_loss == "minimax" else -math.log(d_fake)


__all__ = ["Alert", "apply_remedy", "diagnose", "format_rate"]
