"""The engine warm-up: PyTorch, the core and the pages' helpers are imported in a background thread, once per
server process, after Home has drawn.

Importing them takes seconds (torch alone ~2.5 s here). Home needs none of it, so a fresh server paints Home at
once and warms up behind it; a page that trains waits for the warm-up under a spinner instead of a blank screen.
Light on purpose: app.py imports this before anything is drawn.
"""

from __future__ import annotations

import importlib
import threading
import time

# What the pages import, heaviest first; importing them here means a page's own imports are already done.
MODULES = ("torch", "arena.worker", "gan.train", "gan.train.build", "gan.quality", "gan.latent", "arena.race_runner",
           "gan.train.toy",
           "gan.diagnose", "plotly.graph_objects", "ui.session", "ui.charts", "ui.train_form", "ui.controls",
           "ui.explorer", "ui.compare", "ui.compare_form", "ui.playground", "ui.playground_form")

# A worker process imports app.py again (as __mp_main__, which draws nothing): these are what that import needs.
WORKER_PRELOAD = ["streamlit", "ui.state", "ui.sidebar", "ui.engine"]


class EngineWarmup:
    """One background thread that imports MODULES and sets torch's threads; `ready()` says when it is done."""

    def __init__(self, modules: tuple[str, ...] = MODULES):
        self._modules = modules
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self.error: BaseException | None = None
        self.seconds: float | None = None
        self.device_label = ""
        self.torch_version = ""

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="gan-arena-warmup", daemon=True)
                self._thread.start()

    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self) -> None:
        """Start if needed and block until done; re-raises what made the warm-up fail (an install problem)."""
        self.start()
        self._done.wait()
        if self.error is not None:
            raise RuntimeError(f"GAN Arena's engine could not start: {self.error}") from self.error

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            for name in self._modules:
                importlib.import_module(name)
            from gan.device import apply_threads, choose_precision, choose_threads, describe_device, resolve_device

            apply_threads(choose_threads(leave_free=1))  # training leaves one core to the web server
            device = resolve_device("auto")
            choose_precision("auto", device)  # the bf16 probe, measured now rather than at the first Start
            from gan.quality import load_classifier, real_feature_stats

            # The classifier the pages use (on the CPU, with the generators they load) and the real digits' feature
            # statistics. Never on a GPU here: a web server that initialised CUDA forks workers that cannot use it.
            load_classifier("cpu")
            real_feature_stats("cpu")
            from arena.worker import warm_up

            warm_up(preload=WORKER_PRELOAD)  # the workers' forkserver: PyTorch imported once, then forked per run
            self.device_label = describe_device(device)
            self.torch_version = importlib.import_module("torch").__version__.split("+")[0]
        except BaseException as err:  # noqa: BLE001 - kept for the pages to report; the server stays up
            self.error = err
        finally:
            self.seconds = time.perf_counter() - started
            self._done.set()


# One per server process, like the imports it warms: a module global on purpose (st.cache_resource could not
# say "not started yet" without starting it).
ENGINE = EngineWarmup()
