"""Speed benchmark: `python -m benchmarks.engine` prints figures; it asserts nothing (targets live in the issue notes).

It measures GAN Arena's loop against a plain loop written the way the common references are (the seeds' PyTorch
translations and pytorch/examples): a DataLoader with shuffle over the same images, fresh noise for the D and the
G update, a sigmoid on D's output with BCELoss, and `.item()` on every step. Same models, same data, same device,
same run.
"""

from __future__ import annotations

import argparse
import time
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from gan.config import Config, preset
from gan.data import load_images, to_training_tensor
from gan.device import apply_threads, choose_precision, choose_threads, describe_device, resolve_device
from gan.models import build_discriminator, build_generator
from gan.quality import NUM_CLASSES, recognised_classes
from gan.train import GANTrainer


class PlainLoop:
    """The reference loop, `run(n)` iterations at a time; `G` is its generator."""

    def __init__(self, cfg: Config, images, device: torch.device):
        torch.manual_seed(cfg.seed)
        self.cfg, self.device = cfg, device
        self.G = build_generator(cfg).to(device)
        self.D = nn.Sequential(build_discriminator(cfg), nn.Sigmoid()).to(device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        self.criterion = nn.BCELoss()
        data = TensorDataset(to_training_tensor(images, "cpu"))
        self.loader = DataLoader(data, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
        self.batches = iter(self.loader)

    def next_batch(self) -> torch.Tensor:
        try:
            return next(self.batches)[0]
        except StopIteration:
            self.batches = iter(self.loader)
            return next(self.batches)[0]

    def run(self, n: int) -> None:
        G, D, criterion, device, nz = self.G, self.D, self.criterion, self.device, self.cfg.latent_dim
        for _ in range(n):
            real = self.next_batch().to(device)
            b = real.size(0)
            ones, zeros = torch.ones(b, device=device), torch.zeros(b, device=device)
            # (1) Update D
            self.opt_d.zero_grad()
            fake = G(torch.randn(b, nz, device=device))
            loss_d = criterion(D(real).view(-1), ones) + criterion(D(fake.detach()).view(-1), zeros)
            loss_d.backward()
            self.opt_d.step()
            # (2) Update G, with fresh noise
            self.opt_g.zero_grad()
            fake = G(torch.randn(b, nz, device=device))
            loss_g = criterion(D(fake).view(-1), ones)
            loss_g.backward()
            self.opt_g.step()
            loss_d.item(), loss_g.item()


class ArenaLoop:
    """GAN Arena's trainer behind the same `run(n)` / `G` interface."""

    def __init__(self, cfg: Config, images, device: torch.device):
        self.trainer = GANTrainer(cfg.replace(iterations=10**7, sample_every=10**7), images=images, device=device)
        self.G = self.trainer.shown_generator  # what the Train page shows: the average of G when g_ema is on
        self.records = self.trainer.run()

    def run(self, n: int) -> None:
        target = self.trainer.iteration + n
        while self.trainer.iteration < target:
            next(self.records)


def iterations_per_second(loop: PlainLoop | ArenaLoop, device: torch.device, seconds: float) -> float:
    """Warm up, then time whole batches of iterations for about `seconds`."""
    run = loop.run
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
        variants = _arena_variants(cfg, device)
        baseline = None
        for name, variant_cfg, make in variants:
            its = iterations_per_second(make(variant_cfg, images, device), device, seconds)
            baseline = baseline or its
            label = f"{arch} b{cfg.batch_size} {name}"
            print(f"{label:34s} {its:9.1f} {its * cfg.batch_size:10.0f} {its / baseline:8.2f}x", flush=True)


def _arena_variants(cfg: Config, device: torch.device) -> list[tuple[str, Config, type]]:
    """The plain loop, GAN Arena in fp32, and GAN Arena in the precision 'auto' picks (when that is not fp32)."""
    variants = [("plain reference loop", cfg.replace(precision="fp32"), PlainLoop),
                ("GAN Arena fp32", cfg.replace(precision="fp32"), ArenaLoop)]
    auto = choose_precision("auto", device).precision
    if auto != "fp32":
        variants.append((f"GAN Arena auto ({auto})", cfg.replace(precision="auto"), ArenaLoop))
    return variants


def seconds_to_digits(loop: PlainLoop | ArenaLoop, device: torch.device, budget: float, n: int = 1000,
                      check_every: float = 2.5) -> tuple[float | None, int]:
    """Training seconds until `n` samples show recognisable digits of all ten classes (bundled classifier).

    Only training time counts: the clock stops while the samples are drawn and scored. Returns (seconds or
    None if the budget ran out, classes recognised at the last check).
    """
    noise = torch.randn(n, loop.G.latent_dim, generator=torch.Generator().manual_seed(0)).to(device)
    trained, classes = 0.0, 0
    while trained < budget:
        started = time.perf_counter()
        while time.perf_counter() - started < check_every:
            loop.run(10)
        _sync(device)
        trained += time.perf_counter() - started
        classes = recognised_classes(_eval_samples(loop.G, noise))
        if classes == NUM_CLASSES:
            return trained, classes
    return None, classes


@torch.inference_mode()
def _eval_samples(G: nn.Module, noise: torch.Tensor) -> torch.Tensor:
    G.eval()
    try:
        return G(noise).float()
    finally:
        G.train()


def digits_table(device: torch.device, budget: float) -> None:
    images, _ = load_images("mnist-embedded")
    cfg = preset("mlp")
    print(f"\nMLP GAN defaults: training seconds until 1,000 samples show all ten digits recognisably "
          f"(classifier confidence >= 0.9, each digit >= 2 % of samples); budget {budget:.0f} s")
    for name, variant_cfg, make in _arena_variants(cfg, device):
        seconds, classes = seconds_to_digits(make(variant_cfg, images, device), device, budget)
        shown = f"{seconds:6.1f} s" if seconds is not None else f"not within budget ({classes}/10 digits)"
        print(f"{'mlp b64 ' + name:34s} {shown}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seconds", type=float, default=8.0, help="timing window per loop")
    parser.add_argument("--arch", choices=("mlp", "dcgan"), action="append", help="default: both")
    parser.add_argument("--digits-budget", type=float, default=150.0,
                        help="training seconds allowed per loop in the time-to-digits race (0 skips it)")
    parser.add_argument("--latency", action="store_true",
                        help="only time one Latent Explorer slider move per bundled generator (CPU), then exit")
    args = parser.parse_args(argv)
    if args.latency:
        latency_table()
        return
    device = resolve_device(args.device)
    threads = apply_threads(choose_threads())
    print(f"device: {describe_device(device)}; torch {torch.__version__}; CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}")
    print(f"threads: {threads.threads} ({threads.reason})")
    print(f"precision: {choose_precision('auto', device).reason}\n")
    speed_table(device, args.seconds, tuple(args.arch or ("mlp", "dcgan")))
    if args.digits_budget > 0:
        digits_table(device, args.digits_budget)



def slider_latency(path, frames: int = 10, repeats: int = 50) -> dict[str, float]:
    """Milliseconds of one Latent Explorer slider move on the CPU, as the page computes it.

    One move = the image at t and the strip of `frames` frames in one forward pass (with a direction offset),
    the nearest of the 5,000 embedded digits, and the classifier's label. Loading the model, finding the
    directions and loading the digits happen once per process (cached in the app) and are timed apart.
    Returns median and 90th-percentile ms of a move, and the one-off costs in ms.
    """
    from gan.latent import explore, latent, load_generator, nearest_real, principal_directions, real_digits
    from gan.quality import classify, load_classifier

    started = time.perf_counter()
    G, _ = load_generator(path)
    loaded = time.perf_counter()
    found = principal_directions(G, k=5)
    found_at = time.perf_counter()
    real_digits(), load_classifier("cpu")
    z0, z1 = latent(G, 1), latent(G, 2)
    offset = found.offset([1.0, -0.5, 0.0, 0.0, 0.0])

    def move(t: float) -> None:
        frame = explore(G, z0, z1, t, frames, "slerp", offset)
        nearest_real(frame.image)
        classify(frame.image)

    for t in (0.1, 0.2, 0.3):  # warm-up
        move(t)
    times = []
    for i in range(repeats):
        begun = time.perf_counter()
        move(i / repeats)
        times.append((time.perf_counter() - begun) * 1000)
    times = torch.tensor(times)
    return {"median_ms": times.median().item(), "p90_ms": times.quantile(0.9).item(),
            "load_ms": (loaded - started) * 1000, "directions_ms": (found_at - loaded) * 1000}


def latency_table(frames: int = 10) -> None:
    from gan.latent import bundled_generators

    print(f"Latent Explorer, one slider move on the CPU ({torch.get_num_threads()} threads): image at t + strip of "
          f"{frames} frames in one forward pass, nearest real digit, classifier label")
    print(f"{'generator':34s} {'median':>8s} {'p90':>8s} {'load':>8s} {'directions':>11s}")
    for name, path in bundled_generators().items():
        r = slider_latency(path, frames)
        print(f"{name:34s} {r['median_ms']:6.1f}ms {r['p90_ms']:6.1f}ms {r['load_ms']:6.0f}ms "
              f"{r['directions_ms']:9.0f}ms", flush=True)


if __name__ == "__main__":
    main()
