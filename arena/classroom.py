"""The class on one server, without Streamlit: who is who, whose runs are whose, what the teacher pushed to every
page, and how long runs are kept.

- A student is the hash of a private token their browser keeps (ui.identity puts it in a cookie, never in a link):
  the server stores only the hash. A nickname is held by one student (the roster) until the teacher frees it.
- Each run folder the app saves into holds `owner.json`: the student, their nickname, whether the run is shared with
  the class, and the challenge it entered. A student sees their own runs and the shared ones; a folder without the
  file was saved outside the app (the CLI, the teacher) and belongs to the class.
- The board: the lesson link and the challenge the teacher pushed to every student's page.
- Retention: each student's newest runs are kept, and the runs folder stays within its size; what goes is logged.

Everything is kept in files under the runs folder (`.class/`), written atomically: a server restart keeps it all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import math
import re
import secrets
import shutil
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gan.fileio import folder_size, write_bytes_atomic

CLASS_FOLDER = ".class"  # beside the runs; list_runs sees only folders with a checkpoint, so never this one
OWNER_FILE = "owner.json"
NICKNAME = re.compile(r"^[\w][\w .'-]{0,19}$")  # letters of any alphabet, digits, and a few joiners; 1-20 long
TOKEN = re.compile(r"^[0-9a-f]{32,64}$")
# Settings a challenge run may set freely: its budget (checked apart) and what only changes what is shown.
BUDGET_AND_DISPLAY = ("iterations", "seconds", "epochs", "sample_every", "n_samples", "log_every", "checkpoint_every",
                      "device")
PAGES = ("train", "explorer", "compare", "playground")  # the pages a lesson link may open


class ClassError(ValueError):
    """A request about the class that cannot be granted; the message says why, for the page."""


# ---------------------------------------------------------------------------------------------- students
def new_token() -> str:
    return secrets.token_hex(16)


def valid_token(token: object) -> bool:
    return isinstance(token, str) and TOKEN.match(token) is not None


def student_id(token: str) -> str:
    """What the server keeps of a student: the token's hash (a leaked roster gives nobody a student's token)."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def display_name(student: str, nickname: str | None) -> str:
    """How the pages call a student: their nickname, or a guest name from their id."""
    return nickname or f"Guest {student[:4].upper()}"


def check_nickname(nickname: str) -> str:
    """The nickname, trimmed; ClassError when it cannot be one."""
    nickname = " ".join(nickname.split())
    if not NICKNAME.match(nickname):
        raise ClassError("a nickname is 1 to 20 letters or digits (spaces, - . ' and _ may join them)")
    return nickname


class Roster:
    """Nicknames held by students (runs/.class/roster.json): one student per nickname, whatever its case."""

    def __init__(self, runs_dir: str | Path):
        self.path = Path(runs_dir) / CLASS_FOLDER / "roster.json"
        self._lock = threading.Lock()

    def nickname_of(self, student: str) -> str | None:
        return next((entry["nickname"] for entry in self._read().values() if entry["student"] == student), None)

    def claim(self, student: str, nickname: str) -> str:
        """Give `nickname` to `student` (giving up the one they held); ClassError if another student holds it."""
        nickname = check_nickname(nickname)
        with self._lock:
            held = self._read()
            holder = held.get(nickname.casefold())
            if holder is not None and holder["student"] != student:
                raise ClassError(f"the nickname {nickname!r} is taken: pick another one")
            held = {key: entry for key, entry in held.items() if entry["student"] != student}
            held[nickname.casefold()] = {"nickname": nickname, "student": student, "since": time.time()}
            self._write(held)
        return nickname

    def release(self, nickname: str) -> None:
        """The teacher frees a nickname (its runs stay, under the student who made them)."""
        with self._lock:
            held = self._read()
            if held.pop(nickname.casefold(), None) is not None:
                self._write(held)

    def nicknames(self) -> dict[str, str]:
        """nickname -> student."""
        return {entry["nickname"]: entry["student"] for entry in self._read().values()}

    def _read(self) -> dict[str, dict[str, Any]]:
        return _read_json(self.path, {})

    def _write(self, held: dict) -> None:
        _write_json(self.path, held)


# ---------------------------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class RunOwner:
    """Who a run belongs to (its folder's owner.json)."""

    student: str
    nickname: str | None = None
    shared: bool = False
    challenge: str | None = None
    preset: str | None = None


def write_owner(folder: str | Path, owner: RunOwner) -> None:
    _write_json(Path(folder) / OWNER_FILE, dataclasses.asdict(owner))


def read_owner(folder: str | Path) -> RunOwner | None:
    """The run's owner; None for a folder the app did not save (the CLI's, the teacher's): the class's."""
    data = _read_json(Path(folder) / OWNER_FILE, None)
    if not isinstance(data, dict) or not isinstance(data.get("student"), str):
        return None
    known = {f.name for f in dataclasses.fields(RunOwner)}
    return RunOwner(**{key: value for key, value in data.items() if key in known})


def visible_to(owner: RunOwner | None, student: str | None) -> bool:
    """Whether `student` may open a run of `owner` (read_owner): their own, a shared one, or one saved outside the
    app."""
    return owner is None or owner.shared or (student is not None and owner.student == student)


def set_shared(folder: str | Path, shared: bool) -> RunOwner:
    owner = read_owner(folder)
    if owner is None:
        raise ClassError("this run was saved outside the app: every student sees it already")
    owner = dataclasses.replace(owner, shared=shared)
    write_owner(folder, owner)
    return owner


def has_checkpoint(folder: Path) -> bool:
    return (folder / "checkpoint.pt").exists()


# ---------------------------------------------------------------------------------------------- the board
@dataclass(frozen=True)
class Lesson:
    """A link the teacher pushed to every page: a page of the app and its query (a preset, a share link)."""

    page: str
    params: dict[str, str]
    title: str
    id: str = field(default_factory=lambda: secrets.token_hex(4))

    @classmethod
    def from_link(cls, link: str, title: str = "") -> Lesson:
        """A lesson from a link the teacher pasted (a share link, or `train?preset=...`); ClassError if it does not
        open a page of this app. Only the page and its query are kept: the link cannot send students elsewhere."""
        parts = urllib.parse.urlsplit(link.strip())
        page = parts.path.strip("/").rsplit("/", 1)[-1] or "train"
        if page not in PAGES:
            raise ClassError(f"a lesson link opens one of the pages {', '.join(PAGES)} (got {link[:80]!r})")
        params = dict(urllib.parse.parse_qsl(parts.query))
        return cls(page, params, title.strip()[:80] or _describe(page, params))

    @property
    def query(self) -> str:
        return urllib.parse.urlencode(self.params, safe=",")


def _describe(page: str, params: dict[str, str]) -> str:
    preset = params.get("preset")
    return f"{page.capitalize()}: {preset}" if preset else page.capitalize()


@dataclass(frozen=True)
class Challenge:
    """A contest on one preset: every student's run of it (changing only `knobs`, within `iterations`) is ranked by
    its classifier FID at the end (lower is better)."""

    preset: str
    iterations: int
    knobs: tuple[str, ...]
    title: str
    params: dict[str, str] = field(default_factory=dict)  # the Train link that opens it (preset, budget, knobs)
    id: str = field(default_factory=lambda: secrets.token_hex(4))

    def why_not(self, config, preset_config) -> str | None:
        """Why a run of `config` cannot enter (None: it can): only the allowed knobs changed, within the budget."""
        changed = [f.name for f in dataclasses.fields(config)
                   if f.name not in self.knobs + BUDGET_AND_DISPLAY
                   and getattr(config, f.name) != getattr(preset_config, f.name)]
        if changed:
            allowed = ", ".join(self.knobs) or "nothing but the budget"
            return f"it changes {', '.join(changed)}: this challenge lets you change {allowed}"
        if config.seconds is not None or config.epochs is not None or config.iterations > self.iterations:
            return f"its budget is at most {self.iterations:,} iterations"
        return None


class Board:
    """What the teacher pushed to every student's page (runs/.class/board.json): a lesson link, a challenge."""

    def __init__(self, runs_dir: str | Path):
        self.path = Path(runs_dir) / CLASS_FOLDER / "board.json"
        self._lock = threading.Lock()
        self._cache: tuple[float, dict] = (-1.0, {})

    def lesson(self) -> Lesson | None:
        data = self._read().get("lesson")
        return Lesson(**data) if data else None

    def challenge(self) -> Challenge | None:
        data = self._read().get("challenge")
        return Challenge(**{**data, "knobs": tuple(data["knobs"])}) if data else None

    def push_lesson(self, lesson: Lesson | None) -> None:
        self._update(lesson=dataclasses.asdict(lesson) if lesson else None)

    def set_challenge(self, challenge: Challenge | None) -> None:
        self._update(challenge=dataclasses.asdict(challenge) if challenge else None)

    def _update(self, **changes: Any) -> None:
        with self._lock:
            _write_json(self.path, {**_read_json(self.path, {}), **changes})

    def _read(self) -> dict:
        """The board, re-read only when its file changed: every student's page asks every few seconds."""
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return {}
        if mtime != self._cache[0]:
            self._cache = (mtime, _read_json(self.path, {}))
        return self._cache[1]


# ---------------------------------------------------------------------------------------------- the teacher's key
class KeyGuard:
    """Checks the teacher's key; after `free_tries` wrong keys from one browser, it waits before the next try,
    doubling each time, and says how long. A browser can shed its cookies, so the whole server also takes at most
    `server_tries` wrong keys a minute (a long key then takes longer than a school's life to guess)."""

    def __init__(self, key: str | None, free_tries: int = 3, first_wait_s: float = 5.0, server_tries: int = 30,
                 clock=time.monotonic):
        self.key = key or None
        self.free_tries = free_tries
        self.first_wait_s = first_wait_s
        self.server_tries = server_tries
        self._clock = clock
        self._wrong: dict[str, tuple[int, float]] = {}  # browser -> (wrong tries, when the next may come)
        self._recent: deque[float] = deque()  # when the server's wrong keys of the last minute came
        self._lock = threading.Lock()

    def wait_s(self, browser: str) -> float:
        """Seconds before `browser` may try again (0: now)."""
        now = self._clock()
        with self._lock:
            _tries, next_try = self._wrong.get(browser, (0, 0.0))
            while self._recent and self._recent[0] <= now - 60:
                self._recent.popleft()
            server_wait = self._recent[0] + 60 - now if len(self._recent) >= self.server_tries else 0.0
        return max(0.0, next_try - now, server_wait)

    def check(self, browser: str, given: str) -> bool:
        """Whether `given` is the key; ClassError while this browser must wait."""
        if self.key is None:
            raise ClassError("the Class page is not enabled on this server")
        wait = self.wait_s(browser)
        if wait > 0:
            raise ClassError(f"too many wrong keys: try again in {math.ceil(wait)} s")
        if hmac.compare_digest(given.encode(), self.key.encode()):
            with self._lock:
                self._wrong.pop(browser, None)
            return True
        with self._lock:
            tries = self._wrong.get(browser, (0, 0.0))[0] + 1
            delay = 0.0 if tries < self.free_tries else self.first_wait_s * 2 ** (tries - self.free_tries)
            self._wrong[browser] = (tries, self._clock() + min(delay, 86_400.0))
            self._recent.append(self._clock())
        return False


# ---------------------------------------------------------------------------------------------- retention
@dataclass(frozen=True)
class Pruned:
    """A run the retention rule removed, and why."""

    name: str
    student: str | None
    nickname: str | None
    why: str
    when: float


def prune_runs(runs_dir: str | Path, *, student: str | None, keep_per_student: int, max_bytes: int,
               making_room_for: int = 0, busy: Iterable[Path] = ()) -> list[Pruned]:
    """Apply the retention rule before a new run of `student` (which will write up to `making_room_for` bytes):
    the student's runs beyond their newest `keep_per_student - 1`, then the oldest runs of the class until the
    folder and the new run fit in `max_bytes`. Shared runs, runs saved outside the app and `busy` folders (runs
    still training) stay. Returns what went, also logged in runs/.class/pruned.jsonl for the pages."""
    runs_dir = Path(runs_dir)
    busy = {Path(path).resolve() for path in busy}
    saved = sorted((p.parent for p in runs_dir.glob("*/checkpoint.pt")), key=_modified, reverse=True)
    candidates = [(folder, owner) for folder in saved
                  if folder.resolve() not in busy and (owner := read_owner(folder)) is not None and not owner.shared]
    pruned: list[Pruned] = []
    if student is not None:
        own = [(folder, owner) for folder, owner in candidates if owner.student == student]
        for folder, owner in own[max(0, keep_per_student - 1):]:
            pruned.append(_remove(folder, owner, f"only your newest {keep_per_student} runs are kept"))
    total = folder_size(runs_dir)
    for folder, owner in reversed(candidates):  # oldest first
        if total + making_room_for <= max_bytes:
            break
        if not folder.exists():
            continue
        size = folder_size(folder)
        pruned.append(_remove(folder, owner, "the runs folder was full: the oldest runs make room"))
        total -= size
    _log_pruned(runs_dir, pruned)
    return pruned


def recently_pruned(runs_dir: str | Path, student: str | None = None, limit: int = 20) -> list[Pruned]:
    """The newest entries of the retention log (of `student` only, if given), newest first."""
    path = Path(runs_dir) / CLASS_FOLDER / "pruned.jsonl"
    try:
        lines = path.read_text().splitlines()[-500:]
    except OSError:
        return []
    entries = []
    for line in reversed(lines):
        try:
            entry = Pruned(**json.loads(line))
        except (ValueError, TypeError):
            continue
        if student is None or entry.student == student:
            entries.append(entry)
        if len(entries) == limit:
            break
    return entries


def _remove(folder: Path, owner: RunOwner, why: str) -> Pruned:
    shutil.rmtree(folder, ignore_errors=True)
    return Pruned(folder.name, owner.student, owner.nickname, why, time.time())


def _log_pruned(runs_dir: Path, pruned: list[Pruned]) -> None:
    if not pruned:
        return
    path = runs_dir / CLASS_FOLDER / "pruned.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as log:  # appended lines: a crash loses at most the last
        for entry in pruned:
            log.write(json.dumps(dataclasses.asdict(entry)) + "\n")


def _modified(folder: Path) -> float:
    try:
        return (folder / "checkpoint.pt").stat().st_mtime
    except OSError:
        return 0.0


# ---------------------------------------------------------------------------------------------- files
def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, json.dumps(data, indent=1).encode())
