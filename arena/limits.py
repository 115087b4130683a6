"""The limits that make one student harmless on a shared server, judged before anything is built or started.

The teacher's settings (environment variables of the server), with defaults safe for a class on a small machine:
  GAN_ARENA_MAX_RUN_MEMORY_MB       memory one training may need (estimated from its config), default 2048
  GAN_ARENA_MAX_RUN_MINUTES         how long a training may hold its slot, paused or not, default 15
  GAN_ARENA_MAX_RUNS_PER_BROWSER    trainings running or waiting in line per browser (all its tabs), default 1
  GAN_ARENA_MAX_RUNS_MB             size of the runs folder, default 5120: past it, the oldest runs make room
  GAN_ARENA_KEEP_RUNS_PER_STUDENT   saved runs kept per student (their newest), default 20
  GAN_ARENA_MAX_GENERATOR_MB        memory of a generator the web server loads (an upload, a saved run), default 128
  GAN_ARENA_ALLOW_DOWNLOADS         1 lets a student's run download full MNIST / Fashion-MNIST into data/, default 0
  GAN_ARENA_MAX_UPLOAD_IMAGES       images one uploaded set may hold, default 2000
  GAN_ARENA_MAX_UPLOAD_MB           one uploaded set's size, its files together or a zip expanded, default 50

Each refusal says which limit stopped the request and the setting that changes it. What a request costs comes
from `gan.cost` (the networks built on the meta device: nothing is allocated to find out).
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from arena.scheduler import SERVER_RESERVE, env_number
from gan.config import Config, ConfigError
from gan.cost import MIB, Cost, generator_cost, mib, training_cost
from gan.fileio import folder_size
from gan.image_sets import ImageLimits

# Beyond its tensors, a training process holds PyTorch's kernels, the digit classifier and allocator slack:
# measured 190-250 MiB here for a run of the smallest nets.
RUN_OVERHEAD = 256 * MIB
# The web server keeps each run's timeline (up to 240 grids): 256 samples make ~46 MiB of it.
MAX_SHOWN_SAMPLES = 256
GIF_AND_CSV = 8 * MIB  # what a run writes beside its checkpoint (the progress GIF, the metrics)


class LimitExceeded(ConfigError):
    """A request over one of the server's limits; the message names the limit and the setting that raises it."""


@dataclass(frozen=True)
class ServerLimits:
    run_memory_mb: int = 2048
    run_minutes: float = 15.0
    runs_per_browser: int = 1
    runs_folder_mb: int = 5120
    keep_runs_per_student: int = 20
    generator_mb: int = 128
    allow_downloads: bool = False
    upload_images: int = 2000
    upload_mb: int = 50

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ServerLimits:
        env = os.environ if environ is None else environ
        defaults = cls()

        def number(name: str, default, kind: type = int, minimum: float = 1):
            value = env_number(name, kind, minimum, env)
            return default if value is None else value

        return cls(run_memory_mb=number("GAN_ARENA_MAX_RUN_MEMORY_MB", defaults.run_memory_mb),
                   run_minutes=number("GAN_ARENA_MAX_RUN_MINUTES", defaults.run_minutes, float, minimum=0.1),
                   runs_per_browser=number("GAN_ARENA_MAX_RUNS_PER_BROWSER", defaults.runs_per_browser),
                   runs_folder_mb=number("GAN_ARENA_MAX_RUNS_MB", defaults.runs_folder_mb),
                   keep_runs_per_student=number("GAN_ARENA_KEEP_RUNS_PER_STUDENT", defaults.keep_runs_per_student),
                   generator_mb=number("GAN_ARENA_MAX_GENERATOR_MB", defaults.generator_mb),
                   allow_downloads=env.get("GAN_ARENA_ALLOW_DOWNLOADS", "").strip().lower() in ("1", "true", "yes"),
                   upload_images=number("GAN_ARENA_MAX_UPLOAD_IMAGES", defaults.upload_images),
                   upload_mb=number("GAN_ARENA_MAX_UPLOAD_MB", defaults.upload_mb))

    @property
    def run_seconds(self) -> float:
        return self.run_minutes * 60

    @property
    def image_limits(self) -> ImageLimits:
        """What one uploaded set of images may cost (gan.image_sets judges it before decoding anything)."""
        total = self.upload_mb * MIB
        return ImageLimits(max_images=self.upload_images, max_total_bytes=total,
                           max_file_bytes=min(total, ImageLimits.max_file_bytes))

    # ------------------------------------------------------------------ what a config asks for
    def check_training(self, config: Config) -> Cost:
        """Refuse a training this server must not start, whatever the machine's state; its cost when allowed."""
        if config.download and not self.allow_downloads:
            raise LimitExceeded("download: this server does not download datasets for a student's run; the teacher "
                                "can allow it with GAN_ARENA_ALLOW_DOWNLOADS=1")
        if config.seconds is not None and config.seconds > self.run_seconds:
            raise LimitExceeded(f"seconds: this server ends every training after {self.run_minutes:g} minutes, so "
                                f"seconds must be at most {self.run_seconds:,.0f} (got {config.seconds:,g}); the "
                                "teacher can raise GAN_ARENA_MAX_RUN_MINUTES")
        if config.n_samples > MAX_SHOWN_SAMPLES:
            raise LimitExceeded(f"n_samples: the web server keeps every run's timeline of sample grids, so a run "
                                f"may show at most {MAX_SHOWN_SAMPLES} samples (got {config.n_samples})")
        return self.check_memory(cached_training_cost(config))

    def check_memory(self, cost: Cost) -> Cost:
        need = memory_need(cost)
        if need > self.run_memory_mb * MIB:
            raise LimitExceeded(f"this set-up needs about {mib(need)} of memory ({cost.describe()}); this server "
                                f"allows {self.run_memory_mb:,} MiB per training. Make the model, the batch or the "
                                "latent size smaller, or ask the teacher to raise GAN_ARENA_MAX_RUN_MEMORY_MB")
        return cost

    def check_generator(self, config: Config) -> Cost:
        """Refuse loading a generator (an upload, a saved run) that would need more than the web server allows."""
        cost = generator_cost(config)
        if cost.memory > self.generator_mb * MIB:
            raise LimitExceeded(f"its generator would need about {mib(cost.memory)} of the web server's memory "
                                f"({cost.parameters / 1e6:,.1f} M parameters); this server loads generators of up to "
                                f"{self.generator_mb:,} MiB (the teacher can raise GAN_ARENA_MAX_GENERATOR_MB)")
        return cost

    # ------------------------------------------------------------------ what the machine has now
    def check_room(self, cost: Cost, runs_dir: Path, memory_budget: int | None) -> None:
        """Refuse a start the machine cannot hold: more memory than `memory_budget` (what the scheduler gives all
        trainings together, arena.scheduler.SlotPlan.memory; None: not known), or no room in the runs folder or
        on the disk now. A run that fits the budget but not the memory left by the runs going waits in the
        scheduler's line instead (arena.gate)."""
        need = memory_need(cost)
        if memory_budget is not None and need > memory_budget:
            raise LimitExceeded(f"this set-up needs about {mib(need)} of memory, more than the {mib(memory_budget)} "
                                "this server gives all its trainings together (the memory it had free when it "
                                f"started, less {mib(SERVER_RESERVE)} for the web server), so it could never start: "
                                "make the model, the batch or the latent size smaller")
        write = run_writes(cost)
        used = folder_size(runs_dir)
        if used + write > self.runs_folder_mb * MIB:
            raise LimitExceeded(f"the runs folder holds {mib(used)} of the {self.runs_folder_mb:,} MiB this server "
                                f"keeps, and this run would write up to {mib(write)}: the teacher can delete old "
                                f"runs from {runs_dir}/ or raise GAN_ARENA_MAX_RUNS_MB")
        free = disk_free(runs_dir)
        if free is not None and write > free:
            raise LimitExceeded(f"the disk is nearly full ({mib(free)} free) and this run would write up to "
                                f"{mib(write)}: the teacher can free space or delete old runs from {runs_dir}/")


def memory_need(cost: Cost) -> int:
    """Bytes a training process of `cost` holds: its tensors and PyTorch's own (RUN_OVERHEAD)."""
    return cost.memory + RUN_OVERHEAD


@functools.lru_cache(maxsize=256)
def cached_training_cost(config: Config) -> Cost:
    """training_cost, once per config: the pages judge the form on every rerun."""
    return training_cost(config)


def run_writes(cost: Cost) -> int:
    """Bytes a run may write into the runs folder: its checkpoint twice (an autosave's temporary copy beside the
    last one), its GIF and its metrics."""
    return 2 * cost.checkpoint + GIF_AND_CSV


def disk_free(folder: Path) -> int | None:
    """Free bytes on the disk that holds `folder` (or its nearest existing parent)."""
    path = Path(folder).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


__all__ = ["LimitExceeded", "ServerLimits", "folder_size", "memory_need"]
