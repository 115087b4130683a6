"""The contract every trainer keeps, so that the runner, the worker, the race, the CLI and the pages never ask which
one runs.

GANTrainer (MLP, DCGAN, conditional), SGANTrainer, CycleGANTrainer and the playground's ToyTrainer keep it; the type
checker (`make typecheck`, part of `make test`) holds each to these signatures wherever a `Trainer` is expected, and
`tests/gan/test_train.py` builds every one through `build_trainer` and drives it only through this interface.

Capabilities that only some trainers have are part of the contract too, as attributes that are None where a trainer
lacks them (TrainingLoop's defaults), never discovered with `hasattr`:
- `live_samples`: the live G's grid of the fixed noise, when the samples shown come from a moving average of G;
- `classifier_history`: the SGAN's held-out accuracy of its classifier and of its supervised baseline;
- `latest_view`: the 2-D playground's picture of the game.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import torch

from gan.device import PrecisionChoice
from gan.train.loop import Record


class Trainer(Protocol):
    """One run: two players, their optimisers, the data, the budget and the run's history."""

    config: Any  # gan.config.Config, or the playground's gan.toy.ToyConfig
    device: torch.device
    iteration: int
    elapsed: float  # seconds of training so far
    d_steps: int
    history: dict[str, list[float]]  # metric name -> one value per logged iteration
    events: list[dict]  # live knob changes: {iteration, name, old, new}
    snapshots: list[torch.Tensor]  # the fixed noise's samples, oldest first (thinned when long)
    snapshot_iterations: list[int]
    last_fake_logits: torch.Tensor  # D's logits on the last G step's fakes
    precision: PrecisionChoice  # what the forward passes run in, and why

    # optional capabilities: None where the trainer has none
    @property
    def live_samples(self) -> torch.Tensor | None: ...
    @property
    def classifier_history(self) -> list[dict] | None: ...
    @property
    def latest_view(self) -> Any | None: ...

    @property
    def G(self) -> torch.nn.Module: ...  # the generator (the CycleGAN's A -> B translator)
    @property
    def D(self) -> torch.nn.Module: ...  # the discriminator (the CycleGAN's judge of B)
    @property
    def lr_g(self) -> float: ...
    @property
    def lr_d(self) -> float: ...

    # the run
    def run(self) -> Iterator[Record]: ...
    def iteration_step(self) -> None: ...
    def d_step(self, keep_fake_for_g: bool = False) -> None: ...
    def g_step(self) -> None: ...
    def measured_step(self, kind: str) -> dict[str, dict[str, float]] | None: ...
    def flush(self) -> Record | None: ...
    def iteration_budget(self) -> int | None: ...
    def progress(self) -> float: ...
    def finished(self) -> bool: ...

    # live knobs
    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None: ...
    def set_d_steps(self, d_steps: int) -> None: ...
    def set_g_loss(self, g_loss: str) -> None: ...

    # samples and state
    def take_snapshot(self) -> torch.Tensor: ...
    def sample_fixed(self) -> torch.Tensor: ...
    def state_dict(self) -> dict: ...
    def load_state_dict(self, state: dict) -> None: ...
    def good_state(self) -> dict: ...
