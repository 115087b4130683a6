"""Device, precision and thread choices: decided from this machine's hardware, never assumed."""

from __future__ import annotations

import pytest
import torch

from gan import device as hw
from gan.train import GANTrainer
from tests.conftest import tiny_config


@pytest.fixture
def cpu_bf16(monkeypatch):
    """Pretend this CPU's measured bf16 / fp32 matmul speed ratio is `ratio`."""
    def pretend(ratio: float) -> None:
        monkeypatch.setattr(hw, "cpu_bf16_speedup", lambda: ratio)
    return pretend


def test_auto_takes_bf16_only_where_the_cpu_runs_it_natively(cpu_bf16):
    cpu_bf16(2.4)  # AVX-512 BF16: bf16 matmul 2.4x fp32
    choice = hw.choose_precision("auto", torch.device("cpu"))
    assert choice.precision == "bf16" and not choice.warning and "2.4x" in choice.reason
    cpu_bf16(0.01)  # emulated bf16: ~100x slower
    choice = hw.choose_precision("auto", torch.device("cpu"))
    assert choice.precision == "fp32" and not choice.warning and "emulates bf16" in choice.reason
    cpu_bf16(1.1)  # faster, but not by enough to pay for autocast's casts
    assert hw.choose_precision("auto", torch.device("cpu")).precision == "fp32"


def test_forced_bf16_on_an_emulating_cpu_says_how_much_slower_in_one_line(cpu_bf16):
    cpu_bf16(0.01)
    choice = hw.choose_precision("bf16", torch.device("cpu"))
    assert choice.precision == "bf16" and choice.warning
    assert "100x slower" in choice.reason and "'auto'" in choice.reason and "\n" not in choice.reason
    assert hw.choose_precision("fp32", torch.device("cpu")) == hw.PrecisionChoice("fp32", "fp32, as asked")


def test_the_trainer_runs_the_precision_auto_chose(cpu_bf16, digits):
    cpu_bf16(0.01)
    fp32 = GANTrainer(tiny_config(), images=digits)
    assert fp32.precision.precision == "fp32"
    with fp32._autocast:
        assert not torch.is_autocast_enabled("cpu")
    cpu_bf16(3.0)
    bf16 = GANTrainer(tiny_config(), images=digits)
    assert bf16.precision.precision == "bf16"
    with bf16._autocast:
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    bf16.iteration_step()  # and it trains


def test_the_measured_probe_is_a_positive_ratio_cached_per_process():
    ratio = hw.cpu_bf16_speedup()
    assert ratio > 0 and hw.cpu_bf16_speedup() == ratio


def test_threads_leave_a_core_to_the_server_unless_omp_num_threads_decides(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(hw, "usable_cores", lambda: 8)
    assert hw.choose_threads() == hw.ThreadChoice(8, "8 usable cores")
    assert hw.choose_threads(leave_free=1).threads == 7
    monkeypatch.setattr(hw, "usable_cores", lambda: 1)
    assert hw.choose_threads(leave_free=1).threads == 1  # never zero
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    choice = hw.choose_threads(leave_free=1)
    assert choice.threads == torch.get_num_threads() and "OMP_NUM_THREADS=3" in choice.reason


def test_an_unavailable_device_is_a_clear_error():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            hw.resolve_device("cuda")
    assert hw.resolve_device("cpu") == torch.device("cpu")
