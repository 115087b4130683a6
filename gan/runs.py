"""Saved runs: a folder per run with checkpoint.pt, metrics.csv and progress.gif (the CLI and the pages agree)."""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

from gan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from gan.fileio import write_bytes_atomic
from gan.imaging import gif_bytes, grid_image

CHECKPOINT_NAME = "checkpoint.pt"
RUN_FILES = (CHECKPOINT_NAME, "metrics.csv", "progress.gif")  # what save_run writes (the GIF once there are grids)


@dataclass(frozen=True)
class SavedRun:
    name: str
    path: Path  # the checkpoint file
    modified: float


def save_run(state: dict, out_dir: str | Path) -> Path:
    """Write checkpoint.pt, metrics.csv and progress.gif into `out_dir`, each atomically; return the checkpoint.

    Raises gan.fileio.DiskFull on a full disk: each file then keeps its previous version (they may disagree by a
    few iterations, each whole)."""
    out_dir = Path(out_dir)
    checkpoint = save_checkpoint(state, out_dir / CHECKPOINT_NAME)
    write_bytes_atomic(out_dir / "metrics.csv", metrics_csv(state["history"]).encode())
    if len(state["snapshots"]):
        write_bytes_atomic(out_dir / "progress.gif", progress_gif(state["snapshots"]))
    return checkpoint


def read_run_files(folder: str | Path, names: tuple[str, ...] = RUN_FILES) -> dict[str, bytes]:
    """The bytes of a run's files in `folder` (those of `names` that exist), e.g. to send them to another machine."""
    folder = Path(folder)
    return {name: (folder / name).read_bytes() for name in names if (folder / name).is_file()}


def write_run_files(folder: str | Path, files: dict[str, bytes]) -> None:
    """Write a run's files (read_run_files' answer) into `folder`, each atomically; only the names of RUN_FILES.

    Raises gan.fileio.DiskFull on a full disk, each file then keeping its previous version."""
    unknown = sorted(set(files) - set(RUN_FILES))
    if unknown:
        raise ValueError(f"files: a run folder holds only {', '.join(RUN_FILES)} (got {', '.join(unknown)})")
    for name, data in files.items():
        write_bytes_atomic(Path(folder) / name, data)


def metrics_csv(history: dict[str, list[float]]) -> str:
    """The metric history as CSV, one row per logged iteration."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(history)
    writer.writerows(zip(*history.values()))
    return buf.getvalue()


def progress_gif(snapshots, scale: int = 2) -> bytes:
    """The fixed-noise grids from the first to the last snapshot, as a looping GIF."""
    return gif_bytes([grid_image(s, scale=scale) for s in snapshots])


def new_run_dir(runs_dir: str | Path, label: str) -> Path:
    """Reserve a fresh, readable folder: runs/2026-11-24_140210_mlp, with a suffix (-2, -3, ...) if taken.

    The folder is created here, with `mkdir` that fails if it exists: a class pressing Start in the same second
    gets one folder each (a check for existence and a later save let the last writer take every run).
    """
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    base = runs_dir / f"{time.strftime('%Y-%m-%d_%H%M%S')}_{_slug(label)}"
    path, n = base, 1
    while True:
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1
            path = base.with_name(f"{base.name}-{n}")


def list_runs(runs_dir: str | Path) -> list[SavedRun]:
    """Saved runs, newest first (folders holding a checkpoint.pt)."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    found = [SavedRun(p.parent.name, p, p.stat().st_mtime) for p in runs_dir.glob(f"*/{CHECKPOINT_NAME}")]
    return sorted(found, key=lambda r: r.modified, reverse=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "run"


__all__ = ["CheckpointError", "RUN_FILES", "SavedRun", "list_runs", "load_checkpoint", "metrics_csv", "new_run_dir",
           "progress_gif", "read_run_files", "save_run", "write_run_files"]
