"""Every run of the class at a glance, for the teacher's Class page: the trainings going on in any tab of the server,
and the runs saved by the app (which outlive the tabs and a restart of the server). No Streamlit here.

A run that ends writes `summary.json` (its status, iteration, last quality point, the alerts it ended with) and
`thumbnail.png` (its last fixed-noise grid) beside its checkpoint, so that the Class page never opens a checkpoint.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arena.classroom import RunOwner, display_name, has_checkpoint, read_owner
from gan.fileio import write_bytes_atomic

SUMMARY_FILE = "summary.json"
THUMBNAIL_FILE = "thumbnail.png"
ALERT_STATUS = {"mode_collapse": "collapsed", "diverged": "diverged"}  # alerts that name a run's status


@dataclass
class ClassRun:
    """One row of the Class page."""

    name: str
    owner: RunOwner | None
    status: str
    iteration: int
    fid: float | None
    kid: float | None
    thumbnail: bytes | None  # PNG
    folder: Path | None
    runner: Any = None  # the live WorkerRunner, while its tab holds it

    @property
    def nickname(self) -> str:
        if self.owner is None:
            return "(saved outside the app)"
        return display_name(self.owner.student, self.owner.nickname)

    @property
    def live(self) -> bool:
        return self.runner is not None and self.runner.alive


def write_summary(folder: Path, snap) -> None:
    """After a run ended: what the Class page shows of it, beside its checkpoint (nothing if it never saved)."""
    if not has_checkpoint(folder):
        return
    summary = {"status": status_of(snap), "iteration": snap.iteration, "elapsed": snap.elapsed,
               "quality": snap.quality[-1] if snap.quality else None}
    write_bytes_atomic(folder / SUMMARY_FILE, json.dumps(summary, default=float).encode())
    if snap.samples is not None:
        from gan.imaging import grid_image, png_bytes  # the core's imaging: torch, only where a run ended

        write_bytes_atomic(folder / THUMBNAIL_FILE, png_bytes(grid_image(snap.samples)))


def status_of(snap) -> str:
    """The run's status as the class sees it: a collapsed or diverged run says so while it trains."""
    from gan.diagnose import diagnose

    for alert in diagnose(snap.records, snap.quality, g_loss=snap.g_loss):
        if alert.key in ALERT_STATUS:
            return ALERT_STATUS[alert.key]
    return snap.status


def live_run(runner, thumbnail=None) -> ClassRun | None:
    """A row for a training of some tab; `thumbnail(samples) -> PNG bytes`, or None for a brief row (no picture, no
    diagnosis: what a ranking needs). None for runs that save nothing."""
    folders = runner.job.folders
    owner = getattr(runner.job, "owner", None)
    if owner is None:
        return None
    snap = runner.peek(records=thumbnail is not None)
    fid, kid = _scores(snap.quality[-1] if snap.quality else None)
    folder = folders[0] if folders else None
    picture = thumbnail(snap.samples) if thumbnail is not None and snap.samples is not None else None
    return ClassRun(name=folder.name if folder else f"(waiting) {runner.job.run_labels()[0]}", owner=owner,
                    status=status_of(snap) if thumbnail is not None else snap.status, iteration=snap.iteration,
                    fid=fid, kid=kid, thumbnail=picture, folder=folder, runner=runner)


def saved_run(folder: Path, thumbnail: bool = True) -> ClassRun:
    """A row for a run saved in `folder` (by a tab, maybe one that has gone, or before a restart)."""
    summary = _read_summary(folder)
    fid, kid = _scores(summary.get("quality"))
    thumbnail_path = folder / THUMBNAIL_FILE
    return ClassRun(name=folder.name, owner=read_owner(folder), status=summary.get("status", "saved"),
                    iteration=int(summary.get("iteration", 0)), fid=fid, kid=kid,
                    thumbnail=thumbnail_path.read_bytes() if thumbnail and thumbnail_path.exists() else None,
                    folder=folder)


def class_runs(runners: Iterable[Any], runs_dir: Path, thumbnail=None) -> list[ClassRun]:
    """The live trainings first (with their newest numbers), then every saved run not among them."""
    live = [row for runner in runners if runner.job.run_labels() and (row := live_run(runner, thumbnail))]
    seen = {row.folder.resolve() for row in live if row.folder is not None}
    saved = [saved_run(path.parent, thumbnail is not None) for path in Path(runs_dir).glob("*/checkpoint.pt")
             if path.parent.resolve() not in seen]
    return live + saved


SORTS = {
    "Best FID first": lambda row: (row.fid is None, row.fid if row.fid is not None else math.inf, -row.iteration),
    "Most iterations first": lambda row: (-row.iteration, row.nickname.casefold()),
    "By nickname": lambda row: (row.nickname.casefold(), row.name),
    "Live first": lambda row: (not row.live, row.nickname.casefold()),
}


def ranked(rows: Iterable[ClassRun], challenge: str) -> list[ClassRun]:
    """The challenge's entries, best (lowest classifier FID) first; entries not yet scored last."""
    entries = [row for row in rows if row.owner is not None and row.owner.challenge == challenge]
    return sorted(entries, key=SORTS["Best FID first"])


def _scores(quality: dict | None) -> tuple[float | None, float | None]:
    """The classifier FID and KID of a digit run's quality point; none for other data (a shapes run's FID is the
    factor network's: ranked among the digits', it would mislead)."""
    if not quality or "shape_histogram" in quality:
        return None, None
    fid, kid = quality.get("fid"), quality.get("kid")
    return (float(fid) if fid is not None else None), (float(kid) if kid is not None else None)


def _read_summary(folder: Path) -> dict:
    try:
        data = json.loads((folder / SUMMARY_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
