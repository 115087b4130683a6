"""The class's rounds of "Be the discriminator": one line per checked round in runs/.class/game.jsonl, and the class's
combined score against D, for the teacher's Class page (and a line on the game page).

Appended one short line at a time (a crash loses at most the last, and concurrent appends of one line do not mix);
when the file outgrows MAX_BYTES its newest half is kept, written atomically. No Streamlit here.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from arena.classroom import CLASS_FOLDER, display_name
from gan.fileio import write_bytes_atomic

MAX_BYTES = 4 * 2**20  # ~200 bytes a round: ~20,000 rounds, a term of lessons, before the oldest half goes


@dataclass(frozen=True)
class RoundResult:
    """One checked round: who played, against what, and how many of its images they and D got right."""

    student: str
    nickname: str | None
    opponent: str  # "live run", or the bundled generator's name
    iteration: int  # G's iteration when the round was drawn
    total: int
    student_right: int
    d_right: int | None  # None: no D judged the round (a bundled generator comes without one)
    when: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.total < 1 or not 0 <= self.student_right <= self.total:
            raise ValueError(f"student_right must be within 0..total (got {self.student_right} of {self.total})")
        if self.d_right is not None and not 0 <= self.d_right <= self.total:
            raise ValueError(f"d_right must be within 0..total (got {self.d_right} of {self.total})")


@dataclass(frozen=True)
class Tally:
    """Rounds added up: the players' right answers on every image, and on the images D judged too beside D's."""

    rounds: int = 0
    players: int = 0
    images: int = 0
    right: int = 0
    judged_images: int = 0  # images of the rounds D judged
    right_on_judged: int = 0  # the players' right answers on those images
    d_right: int = 0  # D's on the same images

    @property
    def accuracy(self) -> float | None:
        return self.right / self.images if self.images else None

    @property
    def accuracy_on_judged(self) -> float | None:
        return self.right_on_judged / self.judged_images if self.judged_images else None

    @property
    def d_accuracy(self) -> float | None:
        return self.d_right / self.judged_images if self.judged_images else None


def describe_tally(t: Tally, who: str = "The class") -> str:
    """The tally in one sentence for the pages: the players against D on the images D judged too, then everything."""
    if not t.rounds:
        return f"{who}: no rounds played yet."
    counts = f"{t.players} player{'s' if t.players != 1 else ''}, {t.rounds} round{'s' if t.rounds != 1 else ''}"
    if not t.judged_images:
        return f"{who}: {t.accuracy:.0%} right on {t.images:,} images ({counts}); no D judged them."
    text = (f"{who}: {t.accuracy_on_judged:.0%} right on {t.judged_images:,} images; D: {t.d_accuracy:.0%} right on "
            f"the same images ({counts})")
    if t.images > t.judged_images:
        text += f". With the bundled generators' rounds too: {t.accuracy:.0%} right on {t.images:,} images"
    return text + "."


def tally(results: Iterable[RoundResult]) -> Tally:
    rounds = images = right = judged = right_on_judged = d_right = 0
    players = set()
    for result in results:
        rounds += 1
        players.add(result.student)
        images += result.total
        right += result.student_right
        if result.d_right is not None:
            judged += result.total
            right_on_judged += result.student_right
            d_right += result.d_right
    return Tally(rounds, len(players), images, right, judged, right_on_judged, d_right)


def by_player(results: Iterable[RoundResult]) -> dict[str, Tally]:
    """Each player's tally, under the name the pages call them (their newest nickname), best first."""
    rounds: dict[str, list[RoundResult]] = {}
    for result in results:
        rounds.setdefault(result.student, []).append(result)
    named = {display_name(student, theirs[-1].nickname): tally(theirs) for student, theirs in rounds.items()}
    return dict(sorted(named.items(), key=lambda item: -(item[1].accuracy or 0.0)))


class GameLog:
    """The class's rounds (runs/.class/game.jsonl)."""

    def __init__(self, runs_dir: str | Path, max_bytes: int = MAX_BYTES):
        self.path = Path(runs_dir) / CLASS_FOLDER / "game.jsonl"
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int], list[RoundResult]] = ((-1, -1), [])

    def record(self, result: RoundResult) -> None:
        line = json.dumps(dataclasses.asdict(result)) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as log:  # one write of one short line
                log.write(line)
            if self.path.stat().st_size > self.max_bytes:
                self._keep_newest_half()

    def results(self) -> list[RoundResult]:
        """Every round kept, oldest first; re-read only when the file changed (the Class page asks every 2 s)."""
        try:
            stat = self.path.stat()
        except OSError:
            return []
        version = (stat.st_mtime_ns, stat.st_size)
        if version != self._cache[0]:
            self._cache = (version, _parse(self.path.read_text(errors="replace").splitlines()))
        return list(self._cache[1])

    def tally(self) -> Tally:
        return tally(self.results())

    def clear(self) -> None:
        """The teacher starts the count afresh (a new lesson)."""
        with self._lock:
            self.path.unlink(missing_ok=True)

    def _keep_newest_half(self) -> None:
        lines = self.path.read_bytes().splitlines(keepends=True)
        write_bytes_atomic(self.path, b"".join(lines[len(lines) // 2:]))


def _parse(lines: list[str]) -> list[RoundResult]:
    """The rounds of the log's lines; a line cut short by a crash, or not a round, is skipped."""
    known = {f.name for f in dataclasses.fields(RoundResult)}
    results = []
    for line in lines:
        try:
            data = json.loads(line)
            results.append(RoundResult(**{key: value for key, value in data.items() if key in known}))
        except (ValueError, TypeError, AttributeError):
            continue
    return results
