"""Speed benchmark: `python -m gan.bench` prints figures; it asserts nothing (targets live in the issue notes).

It measures GAN Arena's loop against a plain loop written the way the common references are (the seeds' PyTorch
translations and pytorch/examples): a DataLoader with shuffle over the same images, fresh noise for the D and the
G update, a sigmoid on D's output with BCELoss, and `.item()` on every step. Same models, same data, same device,
same run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from gan.config import Config, preset
from gan.data import load_images, to_training_tensor
from gan.device import describe_device, resolve_device
from gan.models import build_discriminator, build_generator
from gan.train import GANTrainer


def plain_loop(cfg: Config, images, device: torch.device) -> Callable[[int], None]:
    """The reference loop; returns `run(n_iterations)`."""
    torch.manual_seed(cfg.seed)
    G = build_generator(cfg).to(device)
    D = nn.Sequential(build_discriminator(cfg), nn.Sigmoid()).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    criterion = nn.BCELoss()
    data = TensorDataset(to_training_tensor(images, "cpu"))
    loader = DataLoader(data, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    batches = iter(loader)

    def next_batch() -> torch.Tensor:
        nonlocal batches
        try:
            return next(batches)[0]
        except StopIteration:
            batches = iter(loader)
            return next(batches)[0]

    def run(n: int) -> None:
        for _ in range(n):
            real = next_batch().to(device)
            b = real.size(0)
            ones, zeros = torch.ones(b, device=device), torch.zeros(b, device=device)
            # (1) Update D
            opt_d.zero_grad()
            fake = G(torch.randn(b, cfg.latent_dim, device=device))
            loss_d = criterion(D(real).view(-1), ones) + criterion(D(fake.detach()).view(-1), zeros)
            loss_d.backward()
            opt_d.step()
            # (2) Update G, with fresh noise
            opt_g.zero_grad()
            fake = G(torch.randn(b, cfg.latent_dim, device=device))
            loss_g = criterion(D(fake).view(-1), ones)
            loss_g.backward()
            opt_g.step()
            loss_d.item(), loss_g.item()

    return run


def arena_loop(cfg: Config, images, device: torch.device) -> Callable[[int], None]:
    trainer = GANTrainer(cfg.replace(iterations=10**7, sample_every=10**7), images=images, device=device)
    records = trainer.run()

    def run(n: int) -> None:
        target = trainer.iteration + n
        while trainer.iteration < target:
            next(records)

    return run


def iterations_per_second(run: Callable[[int], None], device: torch.device, seconds: float) -> float:
    """Warm up, then time whole batches of iterations for about `seconds`."""
    run(5)
    _sync(device)
    n, spent, chunk = 0, 0.0, 5
    while spent < seconds:
        started = time.perf_counter()
        run(chunk)
        _sync(device)
        spent += time.perf_counter() - started
        n += chunk
        chunk = min(chunk * 2, 200)
    return n / spent


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def speed_table(device: torch.device, seconds: float, archs: tuple[str, ...] = ("mlp", "dcgan")) -> None:
    images, _ = load_images("mnist-embedded")
    print(f"{'loop':34s} {'it/s':>9s} {'images/s':>10s} {'vs plain':>9s}")
    for arch in archs:
        cfg = preset(arch)  # MLP at batch 64, DCGAN at batch 128 (the seeds' settings)
        variants = [("plain reference loop", cfg, plain_loop), ("GAN Arena fp32", cfg, arena_loop)]
        if device.type in ("cpu", "cuda"):
            variants.append(("GAN Arena bf16 autocast", cfg.replace(precision="bf16"), arena_loop))
        baseline = None
        for name, variant_cfg, make in variants:
            its = iterations_per_second(make(variant_cfg, images, device), device, seconds)
            baseline = baseline or its
            label = f"{arch} b{cfg.batch_size} {name}"
            print(f"{label:34s} {its:9.1f} {its * cfg.batch_size:10.0f} {its / baseline:8.2f}x", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gan.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seconds", type=float, default=8.0, help="timing window per loop")
    parser.add_argument("--arch", choices=("mlp", "dcgan"), action="append", help="default: both")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    print(f"device: {describe_device(device)}; torch {torch.__version__}")
    speed_table(device, args.seconds, tuple(args.arch or ("mlp", "dcgan")))


if __name__ == "__main__":
    main()
