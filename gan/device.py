"""The hardware a run trains on: the device (CUDA, then Apple's MPS, then the CPU, which always works), the
precision it runs natively, and how many threads to give torch."""

from __future__ import annotations

import functools
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import torch


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' -> the best available device; an explicit name that is unavailable raises ValueError."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but PyTorch sees no CUDA GPU here; use 'auto' or 'cpu'")
    if name == "mps" and not _mps_available():
        raise ValueError("device 'mps' was asked for, but Apple's MPS is not available here; use 'auto' or 'cpu'")
    return torch.device(name)


def describe_device(device: torch.device | str) -> str:
    """A short label for the UI badge and the CLI: 'CUDA · NVIDIA H200', 'Apple MPS', 'CPU · 2 threads'."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA · {cuda_facts(device.index or 0).name}"
    if device.type == "mps":
        return "Apple MPS"
    threads = torch.get_num_threads()
    return f"CPU · {threads} thread{'s' if threads != 1 else ''}"


@dataclass(frozen=True)
class CudaFacts:
    name: str
    bf16: bool  # runs bf16 natively


# Asked in a child process, which initialises CUDA and exits.
_CUDA_FACTS_PROBE = ("import json, sys, torch; i = int(sys.argv[1]); torch.cuda.set_device(i); "
                     "print(json.dumps([torch.cuda.get_device_name(i), "
                     "torch.cuda.is_bf16_supported(including_emulation=False)]))")


def cuda_facts(index: int = 0) -> CudaFacts:
    """GPU `index`'s name and whether it runs bf16 natively, without initialising CUDA in this process.

    A process that forks workers (the web server, its forkserver) must never initialise CUDA: a forked child of one
    that did cannot use the GPU. Where this process has not initialised CUDA yet, a short-lived child asks for it."""
    if torch.cuda.is_initialized():
        return CudaFacts(torch.cuda.get_device_name(index), torch.cuda.is_bf16_supported(including_emulation=False))
    return _cuda_facts_from_a_child(index)


@functools.lru_cache(maxsize=8)
def _cuda_facts_from_a_child(index: int) -> CudaFacts:
    try:
        done = subprocess.run([sys.executable, "-c", _CUDA_FACTS_PROBE, str(index)], capture_output=True, text=True,
                              timeout=120, check=True)
        name, bf16 = json.loads(done.stdout.strip().splitlines()[-1])
        return CudaFacts(str(name), bool(bf16))
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return CudaFacts(f"CUDA GPU {index}", False)  # unknown: fp32 is the safe choice


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


# ---------------------------------------------------------------------------------------------- precision
@dataclass(frozen=True)
class PrecisionChoice:
    """The precision a run trains in, and the one line that says why (the CLI prints it, the Train page shows it)."""

    precision: str  # "fp32" or "bf16"
    reason: str
    warning: bool = False  # True when the user's explicit choice will be slow here


def choose_precision(requested: str, device: torch.device | str) -> PrecisionChoice:
    """Resolve a Config's `precision` ('auto', 'fp32' or 'bf16') for `device`.

    'auto' takes bf16 only where the hardware runs it natively (a CUDA GPU with bf16, a CPU whose bf16 matmul is
    measured faster than fp32); fp32 elsewhere. CPUs differ: with AVX-512 BF16 a bf16 matmul ran 2.4x fp32, without
    it bf16 is emulated and ran ~100x *slower*, so an explicit 'bf16' there comes with a warning that says so.
    """
    device = torch.device(device)
    if requested == "fp32":
        return PrecisionChoice("fp32", "fp32, as asked")
    native, why = bf16_support(device)
    if requested == "bf16":
        if native:
            return PrecisionChoice("bf16", f"bf16, as asked ({why})")
        return PrecisionChoice("bf16", f"bf16, as asked, but {why}: use precision 'auto' or 'fp32'", warning=True)
    return PrecisionChoice("bf16" if native else "fp32", f"{'bf16' if native else 'fp32'} chosen by auto: {why}")


def bf16_support(device: torch.device) -> tuple[bool, str]:
    """(does `device` run bf16 natively, a short reason)."""
    if device.type == "cuda":
        facts = cuda_facts(device.index or 0)
        return facts.bf16, f"{facts.name} {'runs bf16 natively' if facts.bf16 else 'has no native bf16'}"
    if device.type == "mps":
        return False, "bf16 autocast gains little on Apple's MPS"
    ratio = cpu_bf16_speedup()
    capability = torch.backends.cpu.get_cpu_capability()
    if ratio >= BF16_NATIVE_SPEEDUP:
        return True, f"this CPU ({capability}) runs a bf16 matmul {ratio:.1f}x as fast as fp32 (measured)"
    if ratio < 1:
        return False, f"this CPU ({capability}) emulates bf16: a bf16 matmul runs {1 / ratio:.0f}x slower than fp32 " \
                      "(measured)"
    return False, f"this CPU ({capability}) gains only {ratio:.1f}x from bf16 (measured)"


BF16_NATIVE_SPEEDUP = 1.3  # below this, autocast's casts eat what a faster matmul saves (measured on the MLP GAN)


@functools.cache
def cpu_bf16_speedup(size: int = 256, repeats: int = 3) -> float:
    """fp32 matmul time / bf16 matmul time on this CPU, measured once per process (~10 ms; ~0.2 s where emulated).

    torch reports the CPU's vector capability (AVX2, AVX512) but not whether bf16 is native (AVX512_BF16, AMX),
    and a timing says what matters: is it faster here.
    """
    generator = torch.Generator().manual_seed(0)
    a32 = torch.randn(size, size, generator=generator)
    b32 = torch.randn(size, size, generator=generator)
    a16, b16 = a32.bfloat16(), b32.bfloat16()
    with torch.inference_mode():
        fp32 = _best_time(lambda: a32 @ b32, repeats)
        bf16 = _best_time(lambda: a16 @ b16, 1)
        if bf16 < 5 * fp32:  # emulated bf16 is obvious from one run; spend more runs only on a close call
            bf16 = min(bf16, _best_time(lambda: a16 @ b16, repeats))
    return fp32 / max(bf16, 1e-9)


def _best_time(work: Callable[[], object], repeats: int) -> float:
    work()  # warm-up: first calls allocate and pick kernels
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def autocast(choice: PrecisionChoice, device: torch.device) -> AbstractContextManager:
    """The forward passes' context: bf16 autocast, or nothing for fp32."""
    if choice.precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


# ---------------------------------------------------------------------------------------------- threads
@dataclass(frozen=True)
class ThreadChoice:
    threads: int
    reason: str


def usable_cores() -> int:
    """Cores this process may run on (taskset and container CPU sets count, unlike os.cpu_count())."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def choose_threads(leave_free: int = 0) -> ThreadChoice:
    """torch's intra-op threads for training: every usable core but `leave_free`, unless OMP_NUM_THREADS is set.

    torch's threads wait for each other at every parallel op, so a core that something else needs (the web
    server's own thread, say) stalls every op: leaving it free trains faster than using it.
    """
    configured = os.environ.get("OMP_NUM_THREADS")
    if configured:
        return ThreadChoice(torch.get_num_threads(), f"OMP_NUM_THREADS={configured}")
    cores = usable_cores()
    threads = max(1, cores - leave_free)
    spared = f", {cores - threads} left to the web server" if threads < cores else ""
    return ThreadChoice(threads, f"{cores} usable core{'s' if cores != 1 else ''}{spared}")


def apply_threads(choice: ThreadChoice) -> ThreadChoice:
    torch.set_num_threads(choice.threads)
    return choice
