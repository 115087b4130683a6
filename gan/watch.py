"""What a guided tour waits for in a live run, as pure functions of what the run has published so far.

Each check reads a `Seen` (the run's records, quality points and live changes, oldest first) and returns a
`Sighting`: whether the moment has come, and the numbers that describe it, for the step's sentence ("D(G(z))
stayed below 0.05 for 300 iterations"). When the moment has not come, the numbers describe the run as it stands,
so that a step whose time runs out can say what happened instead. The same checks run in the app (on the worker's
snapshot) and in the tests (on a trainer driven in the test's own process).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from gan.diagnose import D_WINS_ACCURACY, diagnose

SMOOTHING = 5  # records: a moment counts when the median of this many in a row shows it, not a one-record spike
KNOBS = ("lr_g", "lr_d", "d_steps", "g_loss")
ALERTS_FROM = 300  # gan.diagnose's min_iterations: the page's alerts judge a run from this iteration on  # the live changes a step can make (its "after the change" checks)


@dataclass(frozen=True)
class Seen:
    """What a run has published so far, oldest first."""

    records: Sequence[Mapping[str, Any]] = ()
    """`Record.metrics()` dicts: iteration, elapsed, d_loss, g_loss, d_real, d_fake, d_acc_real, d_acc_fake ..."""
    quality: Sequence[Mapping[str, Any]] = ()
    """The live quality points: classes_covered, class_histogram, fid ... (the 2-D playground: coverage, js)."""
    events: Sequence[Mapping[str, Any]] = ()
    """The live changes: {"iteration", "name", "old", "new"}."""

    @property
    def iteration(self) -> int:
        return int(self.records[-1]["iteration"]) if self.records else 0

    def changed_at(self) -> int | None:
        """The iteration of the newest live change of a knob (a cure applied), None when there was none."""
        changes = [e["iteration"] for e in self.events if e.get("name") in KNOBS]
        return int(changes[-1]) if changes else None


@dataclass(frozen=True)
class Sighting:
    reached: bool
    numbers: dict[str, Any] = field(default_factory=dict)
    """The moment's numbers when reached, else the run's latest; always with "iteration"."""


Check = Callable[..., Sighting]


def _smoothed(records: Sequence[Mapping[str, Any]], i: int, key: str) -> float:
    return median(r[key] for r in records[max(0, i - SMOOTHING + 1): i + 1])


def _latest(seen: Seen, *keys: str) -> dict[str, Any]:
    if not seen.records:
        return {"iteration": 0, **{k: 0.0 for k in keys}}
    last = len(seen.records) - 1
    return {"iteration": seen.iteration, **{k: _smoothed(seen.records, last, k) for k in keys}}


def d_tells_apart(seen: Seen, gap: float = 0.3, after: int = 50) -> Sighting:
    """D gives the real digits a clearly higher "real" score than the fakes: D(x) − D(G(z)) >= `gap`."""
    for i, r in enumerate(seen.records):
        d_real, d_fake = _smoothed(seen.records, i, "d_real"), _smoothed(seen.records, i, "d_fake")
        if r["iteration"] >= after and d_real - d_fake >= gap:
            return Sighting(True, {"iteration": r["iteration"], "d_real": d_real, "d_fake": d_fake})
    return Sighting(False, _latest(seen, "d_real", "d_fake"))


def d_fooled(seen: Seen, level: float = 0.3, after: int = 300) -> Sighting:
    """G's fakes fool D often: D(G(z)) climbs back to `level` or more after iteration `after`."""
    for i, r in enumerate(seen.records):
        d_fake = _smoothed(seen.records, i, "d_fake")
        if r["iteration"] >= after and d_fake >= level:
            return Sighting(True, {"iteration": r["iteration"], "d_real": _smoothed(seen.records, i, "d_real"),
                                   "d_fake": d_fake})
    return Sighting(False, _latest(seen, "d_real", "d_fake"))


def digits_drawn(seen: Seen, classes: int = 10, after_change: bool = False) -> Sighting:
    """The digit classifier finds at least `classes` of the ten digits among G's samples (after the newest live
    change, with `after_change`)."""
    since = (seen.changed_at() or 0) if after_change else 0
    points = [q for q in seen.quality if q["iteration"] > since]
    for q in points:
        if q["classes_covered"] >= classes:
            return Sighting(True, _quality_numbers(seen, q, since))
    if not points:
        return Sighting(False, {"iteration": seen.iteration, "classes": 0, "since": since,
                                "after": seen.iteration - since, "seconds": 0.0, "recognisable": 0.0})
    return Sighting(False, _quality_numbers(seen, points[-1], since))


def _quality_numbers(seen: Seen, point: Mapping[str, Any], since: int) -> dict[str, Any]:
    at = next((r for r in seen.records if r["iteration"] >= point["iteration"]), None)
    return {"iteration": point["iteration"], "classes": point["classes_covered"], "since": since,
            "after": point["iteration"] - since, "seconds": at["elapsed"] if at else 0.0,
            "recognisable": point.get("recognisable", 0.0)}


def d_wins(seen: Seen, after: int = ALERTS_FROM) -> Sighting:
    """D sorts practically every real and fake image correctly (the "D wins" alert's thresholds), from iteration
    `after` on (by default when the page's alerts start judging: the step's cure is then the alert's)."""
    for i, r in enumerate(seen.records):
        acc_real, acc_fake = _smoothed(seen.records, i, "d_acc_real"), _smoothed(seen.records, i, "d_acc_fake")
        if r["iteration"] >= after and acc_real >= D_WINS_ACCURACY and acc_fake >= D_WINS_ACCURACY:
            return Sighting(True, {"iteration": r["iteration"], "acc_real": acc_real, "acc_fake": acc_fake,
                                   "d_fake": _smoothed(seen.records, i, "d_fake")})
    latest = _latest(seen, "d_acc_real", "d_acc_fake", "d_fake")
    return Sighting(False, latest | {"acc_real": latest["d_acc_real"], "acc_fake": latest["d_acc_fake"]})


def d_fake_stays_below(seen: Seen, level: float = 0.05, iterations: int = 300) -> Sighting:
    """D(G(z)) stays below `level` for `iterations` iterations in a row: D rejects every fake, on and on."""
    start = None
    for r in seen.records:
        if r["d_fake"] < level:
            start = r["iteration"] if start is None else start
            if r["iteration"] - start >= iterations:
                return Sighting(True, {"iteration": r["iteration"], "start": start, "g_loss": r["g_loss"],
                                       "d_fake": r["d_fake"], "level": level, "span": r["iteration"] - start})
        else:
            start = None
    latest = _latest(seen, "d_fake", "g_loss")
    return Sighting(False, latest | {"start": start or latest["iteration"], "level": level,
                                     "span": latest["iteration"] - (start or latest["iteration"])})


def g_recovers(seen: Seen, level: float = 0.15) -> Sighting:
    """After the newest live change, D(G(z)) climbs back to `level`: G's fakes fool D again."""
    since = seen.changed_at()
    if since is None:
        return Sighting(False, _latest(seen, "d_fake") | {"since": None, "after": 0})
    for i, r in enumerate(seen.records):
        d_fake = _smoothed(seen.records, i, "d_fake")
        if r["iteration"] > since and d_fake >= level:
            return Sighting(True, {"iteration": r["iteration"], "d_fake": d_fake, "since": since,
                                   "after": r["iteration"] - since})
    return Sighting(False, _latest(seen, "d_fake") | {"since": since, "after": seen.iteration - since})


def collapsed(seen: Seen) -> Sighting:
    """The "mode collapse" alert: one digit takes over G's samples, or only a few digits appear."""
    for n in range(1, len(seen.quality) + 1):
        upto = seen.quality[:n]
        records = [dict(r) for r in seen.records if r["iteration"] <= upto[-1]["iteration"]]
        if any(alert.key == "mode_collapse" for alert in diagnose(records, [dict(q) for q in upto])):
            return Sighting(True, _collapse_numbers(upto[-1]))
    return Sighting(False, _collapse_numbers(seen.quality[-1]) if seen.quality else
                    {"iteration": seen.iteration, "digit": 0, "top_share": 0.0, "classes": 0})


def _collapse_numbers(point: Mapping[str, Any]) -> dict[str, Any]:
    histogram = list(point["class_histogram"])
    top = max(histogram)
    return {"iteration": point["iteration"], "digit": histogram.index(top), "top_share": top,
            "classes": point["classes_covered"]}


def modes_covered(seen: Seen, share: float = 0.75, modes: int = 8) -> Sighting:
    """The 2-D playground: G's points hold at least `share` of the data's `modes` modes."""
    for q in seen.quality:
        if q["coverage"] >= share:
            return Sighting(True, {"iteration": q["iteration"], "covered": round(q["coverage"] * modes),
                                   "modes": modes, "js": q["js"]})
    last = seen.quality[-1] if seen.quality else {"iteration": 0, "coverage": 0.0, "js": 1.0}
    return Sighting(False, {"iteration": last["iteration"], "covered": round(last["coverage"] * modes),
                            "modes": modes, "js": last["js"]})


CHECKS: dict[str, Check] = {check.__name__: check for check in (
    d_tells_apart, d_fooled, digits_drawn, d_wins, d_fake_stays_below, g_recovers, collapsed, modes_covered)}


def follow(watch: Any, seen: Seen, *, ended: bool, after_change: bool = False) -> tuple[str, str]:
    """Where a step's `watch` (gan.presets.tours.Watch) stands on the run `seen`: ("seen", what the student saw),
    ("instead", what happened instead: its iterations are spent, or the run ended) or ("waiting", how far).
    after_change: the step makes a live change, and its iterations count from there."""
    sighting = CHECKS[watch.check](seen, **watch.args)
    if sighting.reached:
        return "seen", watch.seen.format(**sighting.numbers)
    start = seen.changed_at() if after_change else 0
    if start is None:
        return "waiting", "Waiting for the change: press *Do it for me*."
    if ended or seen.iteration - start >= watch.within:
        return "instead", watch.instead.format(**sighting.numbers)
    return "waiting", (f"Watching the run: iteration {seen.iteration:,}. This step gives it until iteration "
                       f"{start + watch.within:,}.")
