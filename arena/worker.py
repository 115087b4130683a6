"""Each training in its own worker process: the server only talks to it.

Why: a training thread inside the web server shares its GIL and cores with every page rerun (the Train page open
cost 44 % of the headless speed), caps a classroom at one process's throughput, and takes every student's session
with it when it dies hard (out of memory, a crashing kernel).

How: `WorkerRunner` has the interface of `arena.runner.TrainingRunner` (start, pause, resume, step, live knobs, stop,
`snapshot()`, `timeline()`), so pages do not care where the training runs. Its *link thread* waits for a slot of
the server's gate, starts a child process (forkserver, PyTorch preloaded; spawn where there is no forkserver), and
every POLL_S seconds forwards the page's commands and fetches what changed: the records since the last poll, the
newest sample grid, new timeline grids, a job's extras (the SGAN's classifier curve, the Playground's picture).
Pages read the link's copy, so a page rerun never waits on the worker.

Inside the child the same `TrainingRunner` (or `RaceRunner`) runs the trainer in a thread, and the child's main
thread answers the link. A job (`TrainJob`, `ToyJob`, `RaceJob`) says what to build there; it is plain data, pickled
to the child. Messages are pickled with the standard pickle (tensors by value: no shared-memory file handles
to leak); both ends are this module.

A worker that dies is reported on its own page with its exit code or signal, and with the state it saved last
(`TrainJob` saves its run every AUTOSAVE_S seconds of training); nothing else in the server notices.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import queue
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from arena.background import BackgroundRun
from arena.class_runs import write_summary
from arena.classroom import OWNER_FILE, RunOwner, has_checkpoint, write_owner
from arena.runner import STEP_KINDS, RunnerSnapshot, save_failure
from arena.limits import LimitExceeded, ServerLimits
from arena.scheduler import WorkerSettings
from gan.cost import Cost

POLL_S = 0.25  # the link fetches news this often; a page polls the link's copy once a second
STOP_GRACE_S = 3.0  # after a stop, how long the worker may take to end its iteration and save before it is killed
REPLY_TIMEOUT_S = 60.0  # a worker silent for this long is taken for hung and killed
# The web server's copy of a run keeps at most this many metric records (~1 KB each), the newest NEWEST_KEPT whole.
MAX_KEPT_RECORDS = 20_000
NEWEST_KEPT = 5_000
AUTOSAVE_S = 30.0  # seconds of training between two saves of a Train page run (what a dead worker leaves)
# Imported once in the forkserver, so that each worker starts in a fraction of a second. torch._dynamo: the first
# torch.optim.Adam imports it (8 s on this machine's CPU), in every worker unless it is here. torchmetrics and prdc
# (scikit-learn): the first live score imports them (1-4 s), and a worker busy importing cannot obey a Pause.
PRELOAD = ["torch", "torch._dynamo", "gan.train", "gan.train.build", "gan.quality", "gan.train.toy", "gan.race",
           "arena.runner", "arena.race_runner", "arena.scoring", "arena.worker", "torchmetrics.image.kid", "prdc"]


# ---------------------------------------------------------------------------------------------- the process
# The start methods a worker may use (typeshed knows Process only on the concrete contexts).
WorkerContext = multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext


def worker_context(preload: list[str] | None = None) -> WorkerContext:
    """The start method for workers: forkserver (PyTorch imported once, then forked) where it exists, else spawn.

    Never plain fork: the server has threads (and maybe CUDA) that a forked child would inherit half-locked.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD + list(preload or []))
        return context
    return multiprocessing.get_context("spawn")


_CONTEXT: WorkerContext | None = None
_CONTEXT_LOCK = threading.Lock()


def context() -> WorkerContext:
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            _CONTEXT = worker_context()
        return _CONTEXT


def warm_up(preload: list[str] | None = None) -> None:
    """Start the forkserver now (it imports PyTorch, seconds), so that the first Start does not wait for it."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            _CONTEXT = worker_context(preload)
    probe = context().Process(target=_nothing, name="gan-arena-warmup", daemon=True)
    probe.start()
    probe.join(120)


def _nothing() -> None:
    pass


def _send(conn, message: Any) -> None:
    conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _receive(conn) -> Any:
    return pickle.loads(conn.recv_bytes())


class WorkerCore:
    """What a worker does wherever it runs (a local process, a Ray actor): build the job's runner, start it, and
    answer the link's calls and polls."""

    def __init__(self, job: Job, threads: int, gpu: int | None = None, niceness: int = 0):
        if niceness and hasattr(os, "nice"):  # the scheduler's: pages first where runs share the cores
            os.nice(niceness)
        if gpu is not None:  # before anything touches CUDA (CUDA reads it once): this worker sees its GPU as cuda:0
            os.environ["CUDA_VISIBLE_DEVICES"] = visible_gpu(gpu, os.environ.get("CUDA_VISIBLE_DEVICES"))
        import torch

        torch.set_num_threads(threads)  # the scheduler's share of the cores for this worker
        self.runner = job.build()
        self.feed = job.feed(self.runner)
        self.runner.start()

    def call(self, name: str, args: tuple) -> None:
        getattr(self.runner, name)(*args)

    def poll(self) -> dict[str, Any]:
        ended = not self.runner.alive  # read before the news: when it says ended, the news holds the final state
        return {"news": self.feed.news(), "ended": ended}

    def stop(self) -> None:
        self.runner.stop(wait=STOP_GRACE_S)


def visible_gpu(gpu: int, server_visible: str | None) -> str:
    """The CUDA_VISIBLE_DEVICES of a worker on the server's GPU number `gpu`. The scheduler counts the GPUs the
    server sees; where the teacher gave the server a list (CUDA_VISIBLE_DEVICES=2,3, or GPU UUIDs), its GPU 1 is the
    list's second entry, not the machine's GPU 1."""
    names = [name.strip() for name in (server_visible or "").split(",") if name.strip()]
    return names[gpu] if gpu < len(names) else str(gpu)


def worker_main(conn, job: Job, threads: int, gpu: int | None, niceness: int = 0) -> None:
    """The child process: a WorkerCore that answers the link over `conn` until the run has ended and been read."""
    core = WorkerCore(job, threads, gpu, niceness)
    while True:
        if not conn.poll(REPLY_TIMEOUT_S):  # the server stopped asking: it hung or went away
            core.stop()
            return
        try:
            kind, *args = _receive(conn)
        except (EOFError, OSError):  # the server is gone
            core.stop()
            return
        if kind == "poll":
            reply = core.poll()
            _send(conn, reply)
            if reply["ended"]:
                return
        elif kind == "call":
            core.call(*args)


class WorkerLost(RuntimeError):
    """The worker vanished or stopped answering; the message says how."""


class LocalWorker:
    """A worker process on this machine, and the pipe to it (the default backend)."""

    def __init__(self, job: Job, settings: WorkerSettings):
        parent_end, child_end = multiprocessing.Pipe()
        args = (child_end, job, settings.threads, settings.gpu, settings.niceness)
        self.process = context().Process(target=worker_main, args=args, name="gan-arena-worker", daemon=True)
        self.process.start()
        child_end.close()  # only the child holds it now: its death closes the pipe, which the link sees
        self._conn = parent_end

    def exchange(self, commands: list[tuple[str, tuple]], timeout: float) -> dict[str, Any]:
        """Send the commands, then a poll; return the worker's reply."""
        try:
            for name, args in commands:
                _send(self._conn, ("call", name, args))
            _send(self._conn, ("poll",))
            if not self._conn.poll(timeout):
                raise WorkerLost(f"did not answer for {timeout:.0f} s")
            return _receive(self._conn)
        except (EOFError, OSError):  # a broken pipe: the process is gone; close() tells how it ended
            raise WorkerLost("ended without a word") from None

    def close(self) -> int | None:
        """Make sure the process is gone (killed after STOP_GRACE_S); its exit code (negative: the signal)."""
        self.process.join(STOP_GRACE_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_GRACE_S)
        self._conn.close()
        return self.process.exitcode


# ---------------------------------------------------------------------------------------------- jobs
class Job:
    """What a worker runs: `build()` (in the child) returns a runner; `feed` and `mirror` carry its state across."""

    runs_dir: str  # where a job that saves reserves its run folders (the subclasses that save declare it)

    _folders: tuple[Path, ...] | list[Path] = ()  # run folders reserved by reserve()
    owner: RunOwner | None = None  # whose runs these are (arena.classroom), written into each folder it reserves
    ship_files: bool = False  # set by a cluster backend whose worker cannot reach the folders: see RunFiles
    _files: RunFiles | None = None  # in the worker, made by build(): where the run's saves go

    def build(self):
        raise NotImplementedError

    def run_labels(self) -> list[str]:
        """The names of the run folders this job saves into (none: it saves nothing)."""
        return []

    def reserve(self) -> list[Path]:
        """Reserve this job's run folders (once): by the server when the run gets its slot, before the worker starts,
        so that runs started together never share one and the server can give back the ones never saved into."""
        if not self._folders and self.run_labels():
            from gan.runs import new_run_dir

            self._folders = [new_run_dir(self.runs_dir, label) for label in self.run_labels()]
            if self.owner is not None:
                for folder in self._folders:
                    write_owner(folder, self.owner)
        return list(self._folders)

    @property
    def folders(self) -> list[Path]:
        """The run folders reserved so far."""
        return list(self._folders)

    def feed(self, runner) -> RunFeed | RaceFeed:
        return RunFeed(runner, self._files)

    def check(self, limits: ServerLimits) -> Cost | None:
        """Raise LimitExceeded when the server must not run this job; what it costs, when that is known."""
        return None

    def wind_up(self) -> None:
        """After the run has ended: give back the run folders it reserved but never saved into."""
        for folder in self._folders:
            if not has_checkpoint(folder):
                (folder / OWNER_FILE).unlink(missing_ok=True)
            try:
                folder.rmdir()  # only an empty folder goes: a saved run stays
            except OSError:
                pass

    def mirror(self) -> Mirror:
        return RunMirror()


@dataclass
class TrainJob(Job):
    """The Train page's run of `config`, saved under `runs_dir` (as `label`) when it ends, and every AUTOSAVE_S."""

    config: Any
    runs_dir: str
    label: str
    autosave_s: float = AUTOSAVE_S
    images: Any = None
    """The student's uploaded images (uint8, gan.image_sets; for a CycleGAN the pair (A, B)) for a run on its own
    images: kept in the run's folder when it is reserved, where the saved config then points (the Latent Explorer
    reads them back), and handed to the trainer as they are (a cluster node may not see that folder)."""

    def check(self, limits: ServerLimits) -> Cost | None:
        return limits.check_training(self.config)

    def run_labels(self) -> list[str]:
        return [self.label]  # one folder: the autosaves, then the final save

    def reserve(self) -> list[Path]:
        folders = super().reserve()
        if self.images is not None and folders and Path(self.config.image_folder).parent != folders[0].resolve():
            from gan.image_sets import IMAGES_B_FILE, IMAGES_FILE, save_image_set

            pair = isinstance(self.images, tuple)
            sets = zip(("image_folder", "image_folder_b"), (IMAGES_FILE, IMAGES_B_FILE),
                       self.images if pair else (self.images,))
            self.config = self.config.replace(**{field: str(save_image_set(images, folders[0], name).resolve())
                                                 for field, name, images in sets})
        return folders

    def build(self):
        from arena.runner import TrainingRunner
        from arena.scoring import live_scores, score_every
        from gan.train.build import build_trainer

        self._files = files = RunFiles(self.reserve(), ship=self.ship_files)
        given = {} if self.images is None else {"images": self.images}
        return TrainingRunner(lambda: build_trainer(self.config, **given), scorer=live_scores,
                              score_every=score_every(self.config), idle_timeout=math.inf,
                              on_end=lambda state: files.save_run(0, state),
                              autosave=lambda state: files.save_checkpoint(0, state),
                              autosave_s=self.autosave_s, config=self.config)


@dataclass
class ToyJob(Job):
    """A 2-D Playground run; its news carries the trainer's latest picture."""

    config: Any

    def build(self):
        from arena.runner import TrainingRunner
        from gan.train.toy import ToyTrainer

        return TrainingRunner(lambda: ToyTrainer(self.config), idle_timeout=math.inf, config=self.config)


@dataclass
class RaceJob(Job):
    """A Compare race of two configs; each side is saved under `runs_dir` when it ends."""

    labels: tuple[str, str]
    configs: list[Any]
    budget: Any
    runs_dir: str

    def check(self, limits: ServerLimits) -> Cost | None:
        """Each side within the limits, and both together: they train in one process, taking turns."""
        if self.budget.unit == "seconds" and 2 * self.budget.amount > limits.run_seconds:
            raise LimitExceeded(f"budget: this server ends every training after {limits.run_minutes:g} minutes, and "
                                f"a race takes both sides' time ({2 * self.budget.amount:,.0f} s); give each side at "
                                f"most {limits.run_seconds / 2:,.0f} s, or ask the teacher to raise "
                                "GAN_ARENA_MAX_RUN_MINUTES")
        costs = [limits.check_training(config) for config in self.configs]
        return limits.check_memory(Cost(*(sum(parts) for parts in zip(*(astuple(c) for c in costs)))))

    def run_labels(self) -> list[str]:
        return [f"race-{label}" for label in self.labels]  # one folder per side, even where the labels are equal

    def build(self):
        from arena.race_runner import RaceRunner
        from arena.scoring import race_scorer
        from gan.race import Race

        self._files = files = RunFiles(self.reserve(), ship=self.ship_files)
        return RaceRunner(lambda: Race(self.configs, self.budget, self.labels), idle_timeout=math.inf,
                          on_end=files.save_run, scorer=race_scorer(self.configs[0]))

    def feed(self, runner) -> RaceFeed:
        return RaceFeed(runner, self._files)

    def mirror(self) -> RaceMirror:
        return RaceMirror()


# ---------------------------------------------------------------------------------------------- what crosses
class RunFiles:
    """The worker's side of a job's run folders (`folders`: the app's paths, reserved by the app): its saves.

    A worker that sees the app's disk (a local process, or a cluster whose nodes share the runs folder) saves into the
    folders directly. A shipping worker (`ship`: an actor on a cluster node with a disk of its own) saves into a
    temporary folder, keeps the files' bytes for its feed's next news (`take`) and removes the folder; the app's
    mirror writes them into the reserved folder before it shows that news, whose `saved_to` and `autosaved_to` name
    the folder. A newer save of a file replaces one not yet sent: an autosave (the checkpoint) crosses at most once
    per autosave, and only once made (a paused run makes none); the final save sends all the run's files.
    """

    def __init__(self, folders: list[Path], ship: bool = False) -> None:
        self.folders = folders
        self.ship = ship
        self._lock = threading.Lock()
        self._unsent: dict[int, dict[str, bytes]] = {}  # folder index -> file name -> bytes

    def save_run(self, index: int, state: dict) -> str:
        """The final save of folder `index`: checkpoint, metrics and GIF (gan.runs.save_run); returns the folder."""
        from gan.runs import save_run

        return self._save(index, lambda folder: save_run(state, folder))

    def save_checkpoint(self, index: int, state: dict) -> str:
        """An autosave: the checkpoint only (30 ms; the run's GIF took 4 s to encode at 120 snapshots)."""
        from gan.checkpoint import save_checkpoint
        from gan.runs import CHECKPOINT_NAME

        return self._save(index, lambda folder: save_checkpoint(state, folder / CHECKPOINT_NAME))

    def _save(self, index: int, write: Callable[[Path], Path]) -> str:
        folder = self.folders[index]
        if not self.ship:
            write(folder)
            return str(folder)
        from gan.runs import read_run_files

        with tempfile.TemporaryDirectory(prefix="gan-arena-run-") as scratch:  # gone even if the save fails
            write(Path(scratch))
            files = read_run_files(scratch)
        with self._lock:
            self._unsent.setdefault(index, {}).update(files)
        return str(folder)

    def take(self) -> list[tuple[str, dict[str, bytes]]]:
        """The files saved since the last take, as (the app's folder, {file name: bytes}); empty when not shipping."""
        with self._lock:
            unsent, self._unsent = self._unsent, {}
        return [(str(self.folders[index]), files) for index, files in sorted(unsent.items())]


class RunFeed:
    """Child side of a TrainingRunner: what changed since the last poll."""

    def __init__(self, runner, files: RunFiles | None = None) -> None:
        self.runner = runner
        self.files = files
        self.records_sent = 0
        self.sample_iteration = None
        self.grid_iterations: list[int] = []
        self.view_sent = None
        self.live_sent = None
        self.round_sent = None

    def news(self) -> dict[str, Any]:
        snap = self.runner.snapshot(since=self.records_sent)
        self.records_sent += len(snap.records)
        news: dict[str, Any] = {"snap": snap, "samples_changed": snap.sample_iteration != self.sample_iteration}
        if news["samples_changed"]:
            self.sample_iteration = snap.sample_iteration
        else:
            snap.samples = None  # the link has it already
        if snap.game_round is self.round_sent:  # a round crosses once (13 KB), not with every poll
            snap.game_round = None
        else:
            self.round_sent = snap.game_round
        iterations, grids = self.runner.timeline()
        known = len(self.grid_iterations)
        if iterations[:known] == self.grid_iterations:  # only appended to since: send the new ones
            news["grids"] = (known, iterations[known:], grids[known:])
        else:  # the trainer thinned its timeline: send it whole
            news["grids"] = (0, iterations, grids)
        self.grid_iterations = list(iterations)
        news["extras"] = self._extras()
        news["files"] = self.files.take() if self.files else []  # after the snapshot: what it names has come
        return news

    def _extras(self) -> dict[str, Any]:
        """The optional capabilities of the trainer's contract (gan.train.protocol) that it offers and that changed."""
        trainer = self.runner.trainer
        extras: dict[str, Any] = {}
        if trainer is None:
            return extras
        if trainer.classifier_history is not None:  # the SGAN's classifier against its baseline
            extras["classifier_history"] = list(trainer.classifier_history)
        live = trainer.live_samples  # the live G's grid beside its moving average's
        if live is not None and live is not self.live_sent:
            extras["live_samples"] = live
            self.live_sent = live
        view = trainer.latest_view  # the Playground's picture
        if view is not None and view is not self.view_sent:  # a new picture (a D-only step keeps the iteration)
            extras["latest_view"] = view
            self.view_sent = view
        return extras


class Mirror:
    """Server side of a runner: the link's copy (`snap`, under `lock`), which the pages read."""

    def __init__(self, snap) -> None:
        self.lock = threading.Lock()
        self.snap = snap
        self.extras: dict[str, Any] = {}
        self.save_error: str | None = None  # a shipped file the app could not write

    def set(self, **changes: Any) -> None:
        with self.lock:
            for key, value in changes.items():
                setattr(self.snap, key, value)

    def merge(self, news: dict[str, Any]) -> None:
        """Take in the worker's news (what its feed sent)."""
        raise NotImplementedError

    def write_files(self, news: dict[str, Any]) -> None:
        """Write the run files a shipping worker sent (RunFiles) into the app's run folders, before the news that
        names them is shown; a write that fails is told on the run's page, like a save that failed in the worker."""
        from gan.runs import write_run_files

        for folder, files in news.get("files", ()):
            try:
                write_run_files(folder, files)
            except OSError as err:
                self.save_error = f"The run could not be saved: {save_failure(err)}"
        if self.save_error and not news["snap"].error:
            news["snap"].error = self.save_error

    def snapshot(self, since: int = 0) -> Any:
        """A consistent copy of the run, records from index `since` on."""
        raise NotImplementedError

    def timeline(self) -> tuple[list[int], list[Any]]:
        """(iterations, grids) of the fixed-noise snapshots, oldest first."""
        raise NotImplementedError


def thin_records(records: list, limit: int = MAX_KEPT_RECORDS, newest: int = NEWEST_KEPT) -> None:
    """Keep a live copy's metric records within `limit` (in place): the newest `newest` whole (the alerts read the
    recent ones), every other one of the older. The charts draw at most a few thousand points anyway; a tiny net
    logging every iteration for the whole run would otherwise grow the web server by a gigabyte."""
    if len(records) <= limit:
        return
    older = len(records) - newest
    records[:older] = records[:older:2]


class RunMirror(Mirror):
    """Server side of a TrainingRunner."""

    def __init__(self) -> None:
        super().__init__(RunnerSnapshot(status="queued"))
        self.records: list[dict[str, float]] = []
        self.iterations: list[int] = []
        self.grids: list[Any] = []

    def merge(self, news: dict[str, Any]) -> None:
        self.write_files(news)  # outside the lock: a page never waits on the disk
        snap = news["snap"]
        with self.lock:
            self.records.extend(snap.records)
            thin_records(self.records)
            if not news["samples_changed"]:
                snap.samples = self.snap.samples
            if snap.game_round is None:  # unchanged since the last news (RunFeed sends a new one only)
                snap.game_round = self.snap.game_round
            start, iterations, grids = news["grids"]
            self.iterations[start:] = iterations
            self.grids[start:] = grids
            self.extras.update(news["extras"])
            snap.records = self.records
            self.snap = snap

    def snapshot(self, since: int = 0) -> RunnerSnapshot:
        with self.lock:
            snap = self.snap
            return RunnerSnapshot(**{**snap.__dict__, "records": self.records[since:], "events": list(snap.events),
                                     "quality": list(snap.quality), "fake_probs": list(snap.fake_probs)})

    def timeline(self) -> tuple[list[int], list[Any]]:
        with self.lock:
            return list(self.iterations), list(self.grids)


class RaceFeed:
    """Child side of a RaceRunner: each side's records since the last poll, the rest whole (it is small)."""

    def __init__(self, runner, files: RunFiles | None = None) -> None:
        self.runner = runner
        self.files = files
        self.records_sent: list[int] = []

    def news(self) -> dict[str, Any]:
        snap = self.runner.snapshot()
        self.records_sent += [0] * (len(snap.sides) - len(self.records_sent))
        for index, side in enumerate(snap.sides):
            side.records, self.records_sent[index] = side.records[self.records_sent[index]:], len(side.records)
        return {"snap": snap, "files": self.files.take() if self.files else []}


class RaceMirror(Mirror):
    """Server side of a RaceRunner."""

    def __init__(self) -> None:
        from arena.race_runner import RaceSnapshot

        super().__init__(RaceSnapshot(status="queued"))
        self.records: list[list[dict[str, float]]] = []

    def merge(self, news: dict[str, Any]) -> None:
        self.write_files(news)
        snap = news["snap"]
        with self.lock:
            self.records += [[] for _ in range(len(snap.sides) - len(self.records))]
            for side, records in zip(snap.sides, self.records):
                records.extend(side.records)
                thin_records(records)
                side.records = records
            self.snap = snap

    def snapshot(self, since: int = 0):
        from arena.race_runner import RaceSnapshot, SideSnapshot

        with self.lock:
            snap = self.snap
            sides = [SideSnapshot(**{**s.__dict__, "records": list(s.records), "quality": list(s.quality)})
                     for s in snap.sides]
            return RaceSnapshot(**{**snap.__dict__, "sides": sides, "saved_to": list(snap.saved_to)})

    def timeline(self) -> tuple[list[int], list[Any]]:
        return [], []


# ---------------------------------------------------------------------------------------------- the link
@dataclass
class _Commands:
    queue: queue.Queue = field(default_factory=queue.Queue)

    def put(self, name: str, *args: Any) -> None:
        self.queue.put((name, args))

    def drain(self) -> list[tuple[str, tuple]]:
        items = []
        while True:
            try:
                items.append(self.queue.get_nowait())
            except queue.Empty:
                return items


class WorkerRunner(BackgroundRun):
    """One training in a worker process, driven from the server by a link thread (see the module docstring; the
    thread keeps arena.background's lifecycle).

    gate: the server's TrainingGate; the run waits as 'queued' (with its place in line) until it has a slot.
    max_seconds: the run is stopped (and saved) once it has held its slot this long, paused or not.
    settings: a WorkerSettings, or a callable returning one once the slot is granted (the scheduler's placement).
    idle_timeout: stop when nobody has called `snapshot()` or `touch()` for this many seconds (a closed tab).
    backend: what starts the worker: LocalWorker (a process here), or `arena.cluster.RayBackend()` (a Ray actor).
    memory_need: the bytes the worker will hold (arena.limits.memory_need of the job's cost; 0: not known): the gate
    starts it only when they fit beside the runs already going, and it waits in line, told why, until then.
    """

    def __init__(self, job: Job, *, gate=None, settings: WorkerSettings | Any = None, idle_timeout: float = 120.0,
                 backend=None, max_seconds: float = math.inf, memory_need: int = 0):
        super().__init__(gate=gate, idle_timeout=idle_timeout)
        self._max_seconds = max_seconds  # how long the run may hold its slot, paused or not (the server's limit)
        self.memory_need = memory_need
        self.job = job
        self.config = getattr(job, "config", None)  # what the run was started with, for the pages
        self._settings = settings or WorkerSettings()
        self._mirror = job.mirror()
        self._mirror.set(status="queued" if gate else "starting")
        self._commands = _Commands()
        self._stop_reason: str | None = None
        self._backend = backend or LocalWorker
        self.worker: Any = None  # a LocalWorker (or a cluster backend's worker) once the slot is granted
        self._slot_since = math.inf  # when the slot was granted
        self._lost: str | None = None  # set when the worker vanished or hung: how

    thread_name = "gan-arena-worker-link"

    # ------------------------------------------------------------------ commands (any thread)
    def pause(self) -> None:
        self._commands.put("pause")

    def resume(self) -> None:
        self._commands.put("resume")

    def stop(self, wait: float | None = 5.0, reason: str | None = None) -> None:
        """End the run after its current iteration (it is saved); wait up to `wait` s for the worker to be gone.

        reason: shown on the run's page (e.g. that the student started another training)."""
        if reason and self.alive:
            self._stop_reason = reason
        super().stop(wait)

    def step(self, kind: str = "iteration") -> None:
        if kind not in STEP_KINDS:
            raise ValueError(f"step kind must be one of {', '.join(STEP_KINDS)} (got {kind!r})")
        self._commands.put("step", kind)

    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        self._commands.put("set_lr", lr_g, lr_d)

    def set_d_steps(self, d_steps: int) -> None:
        self._commands.put("set_d_steps", d_steps)

    def set_g_loss(self, g_loss: str) -> None:
        self._commands.put("set_g_loss", g_loss)

    def game_round(self, seed: int) -> None:
        """Ask the worker for a round of "Be the discriminator" (TrainingRunner.game_round): it shows up as the
        snapshot's `game_round` with this seed, a poll or two later."""
        self._commands.put("game_round", seed)

    def snapshot(self, since: int = 0):
        """The link's latest copy of the run (records from index `since` on; a negative index counts from the end, as
        in a list); never waits on the worker."""
        self.touch()
        snap = self._mirror.snapshot(since)
        self._mark_place_in_line(snap)
        if self._stop_reason and not snap.active:
            snap.error = self._stop_reason
        return snap

    def peek(self, records: bool = True):
        """The link's latest copy of the run (without its records, where `records` is False), for someone other than
        its tab (the Class page): unlike snapshot(), it does not count as the tab watching, so a closed tab's run
        still ends."""
        return self._mirror.snapshot(0 if records else 2**62)

    def timeline(self) -> tuple[list[int], list[Any]]:
        """(iterations, uint8 grids) of every fixed-noise snapshot the worker has kept, oldest first."""
        return self._mirror.timeline()

    @property
    def extras(self) -> dict[str, Any]:
        """A job's extra live data: 'classifier_history' (SGAN), 'latest_view' (Playground)."""
        with self._mirror.lock:
            return dict(self._mirror.extras)

    # ------------------------------------------------------------------ the link thread
    def _acquire_slot(self, timeout: float) -> bool:
        return self._gate.acquire(timeout=timeout, need=self.memory_need)

    def _work(self) -> dict[str, Any]:
        self._set(status="starting")
        self._run_worker()
        return {}  # the worker's own news carried the end state

    def _wind_up(self, end: dict[str, Any]) -> dict[str, Any]:
        self._end_process()
        if hasattr(self._gate, "report_remaining"):
            self._gate.report_remaining(None)
        return {}

    def _set(self, **changes: Any) -> None:
        self._mirror.set(**changes)

    def _run_worker(self) -> None:
        settings = self._settings() if callable(self._settings) else self._settings
        self.job.reserve()  # now, in the server: a worker killed before it ends still has its folders given back
        self.worker = self._backend(self.job, settings)
        self._slot_since = time.monotonic()
        stopping = False
        while True:
            if not stopping and self._held_too_long():
                self._stop_reason = (f"Stopped after {self._max_seconds / 60:g} minutes: the longest a training may "
                                     "run on this server (the teacher can raise GAN_ARENA_MAX_RUN_MINUTES). It was "
                                     "saved; press Start to train again.")
                self._stop.set()
            if not stopping and (self._stop.is_set() or self._abandoned()):
                self._commands.put("stop", 0)
                stopping = True
            try:
                reply = self.worker.exchange(self._commands.drain(), STOP_GRACE_S if stopping else REPLY_TIMEOUT_S)
            except WorkerLost as lost:
                self._lost = str(lost)
                return
            self._mirror.merge(reply["news"])
            self._report_remaining()
            if reply["ended"]:
                return
            time.sleep(POLL_S)

    def _held_too_long(self) -> bool:
        return time.monotonic() - self._slot_since > self._max_seconds

    def _report_remaining(self) -> None:
        """The run's own estimate of the time it still needs its slot, which the server's limit cuts short."""
        if not hasattr(self._gate, "report_remaining"):
            return
        eta = getattr(self._mirror.snap, "eta_seconds", None)
        left = self._max_seconds - (time.monotonic() - self._slot_since)
        self._gate.report_remaining(left if eta is None and math.isfinite(left) else
                                    min(eta, left) if eta is not None else None)

    def _end_process(self) -> None:
        """Make sure the worker is gone; if it died on its own, say so on the page."""
        if self.worker is None:
            return
        exitcode = self.worker.close()
        if isinstance(self.job, TrainJob) and self.job.folders:  # what the Class page shows, without the checkpoint
            try:
                write_summary(self.job.folders[0], self._mirror.snap)
            except OSError:  # a full disk: the page then shows the run without its numbers
                pass
        self.job.wind_up()  # the worker is gone: folders it never saved into are given back
        if self._lost:
            self._mirror.set(status="failed", error=died_message(exitcode, self._lost, self._mirror.snap))

    @property
    def process(self):
        """The local worker's process (None before it starts, or on a cluster)."""
        return getattr(self.worker, "process", None)

    def _abandoned(self) -> bool:
        return time.monotonic() - self._last_seen > self._idle_timeout


def died_message(exitcode: int | None, how: str, snap) -> str:
    """What a student reads when their worker died: the cause we know, and what was kept."""
    if exitcode is None or exitcode == 0:
        cause = how
    elif exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        cause = f"was killed ({name})"
        if -exitcode == signal.SIGKILL:
            cause += " — usually the server ran out of memory, or someone ended it"
    else:
        cause = f"crashed (exit code {exitcode})"
    kept = getattr(snap, "autosaved_to", None)
    if kept:
        kept_text = (f" Its state at iteration {snap.autosaved_iteration:,} was saved in `{kept}`: the Latent "
                     "Explorer can open it, and Start trains afresh.")
    else:
        kept_text = " It had not saved a state yet; press Start to train again."
    return f"This training's worker process {cause}.{kept_text} Other students' trainings are not affected."


def run_folder(snap) -> Path | None:
    """Where a run's files are: its final save, or the last autosave of a run whose worker died."""
    folder = snap.saved_to or getattr(snap, "autosaved_to", None)
    return Path(folder) if folder else None
