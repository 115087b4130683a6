"""CUDA and the worker processes: nothing the web server or the forkserver does before a worker forks initialises
CUDA (a forked child of a process that did cannot use its GPU), and each worker sees only the GPU it was given.

This machine has no GPU, where `torch.cuda.is_initialized()` is false whatever the code does. So each check runs in a
fresh interpreter that makes PyTorch believe two GPUs are there and records every call of `torch.cuda._lazy_init`,
the one door to CUDA's initialisation: `torch.cuda.init()`, `current_device()`, a tensor created on "cuda" (from
C++) all go through it. `test_the_probe_sees_cuda_being_initialised` proves the probe catches it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from arena.worker import Job, WorkerCore, visible_gpu

ROOT = Path(__file__).resolve().parents[2]

# Runs each of `sys.argv[1:]` (what a process does before a worker forks) in turn, in one interpreter with two fake
# GPUs; prints, for each, what reached CUDA. An import that initialised CUDA is caught in the first block that makes
# it: the forkserver's preload runs first, as in a fresh forkserver.
FAKE_GPUS = '''
import json, sys, traceback
import torch

initialisations = []
real_lazy_init = torch.cuda._lazy_init


def recording_lazy_init():
    initialisations.append("".join(traceback.format_stack(limit=10)[:-1]))
    raise RuntimeError("CUDA initialised here")  # there is no GPU: going on would only fail further down


for module in list(sys.modules.values()):  # torch.cuda and the submodules that imported the name
    if getattr(module, "_lazy_init", None) is real_lazy_init:
        module._lazy_init = recording_lazy_init
torch.cuda.is_available = lambda: True
torch.cuda.device_count = lambda: 2

found = []
for code in sys.argv[1:]:
    initialisations = []
    try:
        exec(code)
    except RuntimeError as err:
        if "CUDA initialised here" not in str(err):
            raise
    found.append({"initialisations": initialisations, "initialized": torch.cuda.is_initialized()})
print(json.dumps(found))
'''

WEB_SERVER = '''
import importlib
from ui.engine import MODULES
for name in MODULES:  # the engine warm-up's imports: what the pages import
    importlib.import_module(name)
from arena.scheduler import Scheduler, plan_slots
gate = Scheduler(plan_slots())  # ui.state.training_gate
gate.acquire()
placed = gate.settings()  # a run's link thread, once it has its slot
gate.release()
assert placed.gpu == 0, placed  # the two fake GPUs were seen
'''

FORKSERVER = '''
import importlib
from arena.worker import PRELOAD
from ui.engine import WORKER_PRELOAD
for name in PRELOAD + WORKER_PRELOAD:  # what arena.worker.worker_context has the forkserver import
    importlib.import_module(name)
'''

# The rest of the engine warm-up (ui.engine.EngineWarmup._run), the forkserver's start left out (tested above).
ENGINE_WARM_UP = '''
import arena.worker
from ui.engine import EngineWarmup
arena.worker.warm_up = lambda preload=None: None
EngineWarmup()._run()
'''


SELF_CHECK = '''
for touch in (lambda: torch.zeros(1, device="cuda"), torch.cuda.current_device, torch.cuda.init):
    try:
        touch()
    except RuntimeError:
        pass
'''
BLOCKS = {"forkserver": FORKSERVER, "web server": WEB_SERVER, "engine warm-up": ENGINE_WARM_UP,
          "self-check": SELF_CHECK}


@pytest.fixture(scope="module")
def cuda_initialisations() -> dict[str, dict]:
    """What each block did to CUDA, run in order in one fresh interpreter with two fake GPUs (one start of PyTorch
    for the module's tests)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    done = subprocess.run([sys.executable, "-c", FAKE_GPUS, *BLOCKS.values()], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(zip(BLOCKS, json.loads(done.stdout.strip().splitlines()[-1]), strict=True))


def assert_no_cuda(found: dict) -> None:
    assert not found["initialisations"], "CUDA was initialised:\n" + "\n".join(found["initialisations"])
    assert found["initialized"] is False


def test_the_probe_sees_cuda_being_initialised(cuda_initialisations):
    # a tensor on the GPU (from C++), the current device, an explicit init
    assert len(cuda_initialisations["self-check"]["initialisations"]) == 3


def test_the_forkserver_initialises_no_cuda_before_it_forks_a_worker(cuda_initialisations):
    assert_no_cuda(cuda_initialisations["forkserver"])


def test_the_web_server_initialises_no_cuda_before_a_worker_forks(cuda_initialisations):
    assert_no_cuda(cuda_initialisations["web server"])


def test_the_engine_warm_up_initialises_no_cuda_in_the_web_server(cuda_initialisations):
    assert_no_cuda(cuda_initialisations["engine warm-up"])


class CudaJob(Job):
    """A job whose build touches CUDA first thing, as a trainer on a GPU does."""

    def build(self):
        torch.cuda.init()
        return StartedRunner()

    def feed(self, runner):
        return None


class StartedRunner:
    def start(self) -> None:
        pass


@pytest.mark.parametrize("server_visible, gpu, worker_visible", [
    (None, 1, "1"),
    ("2,3", 1, "3"),  # the teacher gave the server GPUs 2 and 3: its second one is the machine's GPU 3
    ("GPU-aa, GPU-bb", 0, "GPU-aa"),
])
def test_a_worker_sees_only_its_gpu_before_cuda_starts(monkeypatch, server_visible, gpu, worker_visible):
    # monkeypatch restores CUDA_VISIBLE_DEVICES afterwards, whatever the worker set.
    if server_visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", server_visible)
    at_cuda_init = []
    monkeypatch.setattr(torch.cuda, "_lazy_init", lambda: at_cuda_init.append(os.environ.get("CUDA_VISIBLE_DEVICES")))
    WorkerCore(CudaJob(), threads=torch.get_num_threads(), gpu=gpu)  # what worker_main does first in the child
    assert at_cuda_init == [worker_visible]
    assert visible_gpu(gpu, server_visible) == worker_visible
