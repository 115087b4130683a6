"""What a run or a generator will cost, known before anything is allocated: parameters, memory, checkpoint size.

The networks are built on PyTorch's meta device (shapes without storage) and run once on a meta batch; every
module's output is counted. Training keeps those outputs for the backward pass and builds gradients of the same
size, so the estimate is generous rather than exact: it is for refusing a model that cannot fit, not for packing
runs to the last megabyte.
"""

from __future__ import annotations

import math

from dataclasses import dataclass

import torch
from torch import nn

from gan.config import Config
from gan.models.common import SAMPLE_BATCH

FLOAT_BYTES = 4  # weights, optimiser state and activations are float32 (bf16 autocast only shrinks activations)
# Training images held on the device, 28x28 float32 each; an unknown dataset is taken as large.
DATASET_IMAGES = {"mnist-embedded": 5_000, "mnist": 60_000, "fashion-mnist": 60_000, "shapes": 5_000,
                  "shapes-rgb": 5_000}  # your own images: at most ImageLimits.max_images, 5,000 by default
MIB = 2**20


@dataclass(frozen=True)
class Cost:
    """Bytes a run (or a loaded generator) needs, by part."""

    parameters: int
    weights: int  # the networks, their gradients and Adam's two moments (weights alone for a generator)
    activations: int  # one training batch through G and D and back (one sampling batch for a generator)
    data: int  # the training images on the device
    checkpoint: int  # the size of its checkpoint on disk

    @property
    def memory(self) -> int:
        return self.weights + self.activations + self.data

    def describe(self) -> str:
        return (f"{self.parameters / 1e6:,.1f} M parameters, about {mib(self.memory)} of memory "
                f"({mib(self.weights)} weights and optimiser, {mib(self.activations)} activations, "
                f"{mib(self.data)} data)")


def mib(n_bytes: float) -> str:
    return f"{n_bytes / MIB:,.0f} MiB"


def training_cost(config: Config) -> Cost:
    """What training `config` needs: G and D with gradients and Adam (plus G's moving average), one batch through
    both and back, the dataset on the device; its checkpoint holds the weights and the optimiser state."""
    with torch.device("meta"):
        nets, activations = _training_nets(config)
    params = sum(_count(net) for net in nets.values())
    g_params = _count(nets["G"])
    # weight + gradient + Adam's exp_avg and exp_avg_sq; the average of G is one more copy of G's weights
    weights = FLOAT_BYTES * (4 * params + (g_params if config.g_ema else 0))
    penalty = 2 if (config.r1 or config.r2 or config.gp) else 1  # a gradient penalty differentiates twice
    data = DATASET_IMAGES.get(config.dataset, 5_000) * math.prod(config.image_shape) * FLOAT_BYTES
    checkpoint = FLOAT_BYTES * (3 * params + (g_params if config.g_ema else 0))
    return Cost(parameters=params, weights=weights, activations=2 * penalty * FLOAT_BYTES * activations,
                data=data, checkpoint=checkpoint)


def generator_cost(config: Config) -> Cost:
    """What sampling a checkpoint's generator needs (the Latent Explorer, the live score): its weights, and the
    largest layers of one batch of SAMPLE_BATCH (the most anything draws at once) drawn without gradients."""
    from gan.models import build_generator

    with torch.device("meta"):
        G = build_generator(config)
        outputs = _outputs(G, lambda: G(*_inputs(G, config, SAMPLE_BATCH)))
    params = _count(G)
    peak = 2 * max(outputs, default=0)  # without autograd only a layer's input and output live at once
    return Cost(parameters=params, weights=FLOAT_BYTES * params, activations=FLOAT_BYTES * peak, data=0,
                checkpoint=FLOAT_BYTES * params)


def available_memory() -> int | None:
    """Bytes the kernel can still give out (MemAvailable), None where /proc/meminfo does not exist (macOS)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _training_nets(config: Config) -> tuple[dict[str, nn.Module], int]:
    """The run's networks on the meta device, and the elements of every module output of one iteration."""
    batch = config.batch_size
    if config.arch == "cyclegan":
        from gan.models.cyclegan import PatchDiscriminator, UNetGenerator

        c = config.channels
        nets = {"G": UNetGenerator(config.g_width, c), "G_BA": UNetGenerator(config.g_width, c),
                "D_A": PatchDiscriminator(config.d_width, c), "D_B": PatchDiscriminator(config.d_width, c)}
        image = torch.empty(batch, *config.image_shape)

        def iteration() -> None:  # A -> B -> A and B -> A -> B, each judged
            fake_b, fake_a = nets["G"](image), nets["G_BA"](image)
            nets["G_BA"](fake_b), nets["G"](fake_a)
            for d in ("D_A", "D_B"):
                nets[d](image), nets[d](fake_a)
    else:
        from gan.models import build_discriminator, build_generator

        nets = {"G": build_generator(config), "D": build_discriminator(config)}

        def iteration() -> None:  # G draws a batch; D judges it and a real batch
            inputs = _inputs(nets["G"], config, batch)
            fake = nets["G"](*inputs)
            nets["D"](torch.cat([fake, fake]), *(torch.cat([x, x]) for x in inputs[1:]))

    outputs = _outputs(nn.ModuleList(nets.values()), iteration)
    return nets, sum(outputs)


def _inputs(G: nn.Module, config: Config, n: int) -> tuple[torch.Tensor, ...]:
    sample_inputs = getattr(G, "sample_inputs", None)
    if sample_inputs is None:
        return (torch.empty(n, config.latent_dim),)
    return tuple(sample_inputs(n, None, device="meta"))


def _outputs(net: nn.Module, forward) -> list[int]:
    """The element count of every leaf module's output while `forward()` runs."""
    counts: list[int] = []

    def count(_module, _inputs, output) -> None:
        counts.append(output.numel() if torch.is_tensor(output) else 0)

    hooks = [m.register_forward_hook(count) for m in net.modules() if not list(m.children())]
    try:
        forward()
    finally:
        for hook in hooks:
            hook.remove()
    return counts


def _count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


__all__ = ["Cost", "available_memory", "generator_cost", "mib", "training_cost"]
