"""How the server's memory estimate of a training (gan.cost + arena.limits' overhead) compares with what training
really takes: each config trains a few iterations in a fresh process, which reports its peak resident memory above
what it held once PyTorch and the core were imported. The estimate must be at least the measurement (it refuses
runs that cannot fit) and not many times more (it would refuse runs that can).

    python -m benchmarks.cost
"""

from __future__ import annotations

import json
import subprocess
import sys

from arena.limits import RUN_OVERHEAD
from gan.config import preset
from gan.cost import MIB, training_cost

CASES = {  # name: (arch, overrides)
    "seed MLP GAN (b64)": ("mlp", {}),
    "seed DCGAN (b128)": ("dcgan", {}),
    "conditional GAN (b32)": ("cgan", {}),
    "MLP GAN, g_width 1024, b1024": ("mlp", {"g_width": 1024, "batch_size": 1024}),
    "DCGAN, g_width 512, b512": ("dcgan", {"g_width": 512, "batch_size": 512}),
}

CHILD = """
import json, resource, sys
import torch
torch.set_num_threads(1)
import gan.quality
from gan.config import preset
from gan.train.build import build_trainer
arch, overrides = json.loads(sys.argv[1])
config = preset(arch, iterations=3, precision="fp32", device="cpu", **overrides)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
for _ in build_trainer(config).run():
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before)
"""


def measured_bytes(arch: str, overrides: dict) -> int:
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps([arch, overrides])], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print("| training | measured peak (MiB) | estimate (MiB) | estimate / measured |")
    print("| --- | ---: | ---: | ---: |")
    for name, (arch, overrides) in CASES.items():
        estimate = training_cost(preset(arch, **overrides)).memory + RUN_OVERHEAD
        measured = measured_bytes(arch, overrides)
        print(f"| {name} | {measured / MIB:,.0f} | {estimate / MIB:,.0f} | {estimate / measured:.2f}x |")


if __name__ == "__main__":
    main()
