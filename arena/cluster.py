"""Beyond one machine: the same worker as a Ray actor, on a cluster that several app replicas share.

Optional: `pip install '.[cluster]'` and set GAN_ARENA_RAY_ADDRESS (e.g. `ray://head:10001`, or `auto` on a node of
the cluster; `local` starts a Ray on this machine, for trying it out). Each training is then one actor holding a
`WorkerCore`, with `GAN_ARENA_WORKER_THREADS` CPUs and, where the cluster has GPUs, 1 / GAN_ARENA_WORKERS_PER_GPU of
one (small GANs share a GPU well). The app's link thread talks to the actor exactly as to a local worker process:
calls in order, then a poll. Ray places the actors; the app's scheduler still keeps the line and the slot count
(GAN_ARENA_MAX_TRAININGS, default: the cluster's CPUs / threads per worker).

The app reserves each run's folders on its own disk. An actor on another node cannot write there: it saves into a
temporary folder of its node and sends the files back in its news (autosaves: the checkpoint), which the app writes
into the run's folder (arena.worker.RunFiles), so the run is listed wherever the app lists runs. Where the runs folder
is on storage that every node mounts at the same path, name that path in GAN_ARENA_SHARED_RUNS_DIR (and make
GAN_ARENA_RUNS_DIR an absolute path under it): the actors then write there directly. On `local` (this machine) they
always do.

Sessions live in one replica's memory: put the replicas behind a load balancer with sticky sessions.
"""

from __future__ import annotations

import os
from typing import Any

from arena.scheduler import SlotPlan, WorkerSettings, env_int
from arena.worker import Job, WorkerCore, WorkerLost

ADDRESS_VARIABLE = "GAN_ARENA_RAY_ADDRESS"
SHARED_VARIABLE = "GAN_ARENA_SHARED_RUNS_DIR"


def _ray():
    try:
        import ray
    except ImportError:
        raise RuntimeError(f"{ADDRESS_VARIABLE} is set but Ray is not installed: pip install '.[cluster]' "
                           "(or make test-cluster)") from None
    return ray


class TrainingActor:
    """The Ray actor: a WorkerCore, its calls and polls as remote methods."""

    def __init__(self, job: Job, threads: int):
        self.core = WorkerCore(job, threads)  # Ray sets CUDA_VISIBLE_DEVICES for the GPU share it granted

    def call(self, name: str, args: tuple) -> None:
        self.core.call(name, args)

    def poll(self) -> dict[str, Any]:
        return self.core.poll()


class RayBackend:
    """Starts workers as Ray actors on the cluster at `address` (connects once, when made).

    shared_runs_dir: a path that every node mounts (default: GAN_ARENA_SHARED_RUNS_DIR); actors write the run folders
    under it themselves, and send back the files of any other. ship_files: True or False overrides that choice (a
    test makes an actor on this machine send its files)."""

    def __init__(self, address: str | None = None, *, shared_runs_dir: str | None = None,
                 ship_files: bool | None = None):
        ray = _ray()
        self.address = address = address or os.environ.get(ADDRESS_VARIABLE) or "local"
        self.shared_runs_dir = shared_runs_dir or os.environ.get(SHARED_VARIABLE) or None
        self._ship_files = ship_files
        if not ray.is_initialized():  # "local" starts a Ray here even where another one runs
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        resources = ray.cluster_resources()
        self.cpus = int(resources.get("CPU", 1))
        self.gpus = int(resources.get("GPU", 0))
        self.gpu_share = 1 / (env_int("GAN_ARENA_WORKERS_PER_GPU") or 4) if self.gpus else 0
        self._actor_class = ray.remote(TrainingActor)

    def plan(self) -> SlotPlan:
        threads = env_int("GAN_ARENA_WORKER_THREADS") or 1
        slots = env_int("GAN_ARENA_MAX_TRAININGS") or max(1, self.cpus // threads)
        # Ray, not the scheduler, picks each actor's GPU; the trainings share the cluster's cores, not the app's
        return SlotPlan(slots=slots, threads=threads, gpus=0, cores=self.cpus)

    def ships_files(self, job: Job) -> bool:
        """Whether the actor must send the job's files back: unless Ray runs on this machine only, or every folder
        the job reserved is under the shared runs dir (a relative path is not: the actor's working folder is not the
        app's)."""
        if self._ship_files is not None:
            return self._ship_files
        if self.address == "local":
            return False
        shared = self.shared_runs_dir
        return not (shared and all(folder.is_absolute() and folder.is_relative_to(shared) for folder in job.folders))

    def __call__(self, job: Job, settings: WorkerSettings) -> RayWorker:
        job.ship_files = self.ships_files(job)  # the app reserved its folders already: they travel with the job
        actor = self._actor_class.options(num_cpus=settings.threads, num_gpus=self.gpu_share,
                                          max_restarts=0).remote(job, settings.threads)
        return RayWorker(actor)


class RayWorker:
    """One actor, seen by the link as a worker: `exchange` and `close`, like arena.worker.LocalWorker."""

    def __init__(self, actor):
        self.actor = actor

    def exchange(self, commands: list[tuple[str, tuple]], timeout: float) -> dict[str, Any]:
        ray = _ray()
        try:
            for name, args in commands:  # one caller's calls to an actor run in order, before the poll
                self.actor.call.remote(name, args)
            return ray.get(self.actor.poll.remote(), timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            raise WorkerLost(f"did not answer for {timeout:.0f} s") from None
        except ray.exceptions.RayActorError as err:
            raise WorkerLost(f"was lost on the cluster ({type(err).__name__})") from None

    def close(self) -> int | None:
        _ray().kill(self.actor, no_restart=True)  # ends the actor's process and frees its CPUs and GPU share
        return None


def backend_from_environment() -> RayBackend | None:
    """The Ray backend when GAN_ARENA_RAY_ADDRESS is set, else None (local worker processes)."""
    if not os.environ.get(ADDRESS_VARIABLE):
        return None
    return RayBackend()
