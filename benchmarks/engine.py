"""Speed benchmark: `python -m benchmarks.engine` (`make bench`) prints one table; it asserts nothing.

It measures GAN Arena's loop against a plain loop written the way the common references are (the seeds' PyTorch
translations and pytorch/examples): a DataLoader with shuffle over the same images, fresh noise for the D and the
G update, a sigmoid on D's output with BCELoss, and `.item()` on every step. Same models, same data, same device,
same run.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from gan.config import Config, preset
from gan.data import load_dataset, load_images, to_training_tensor
from gan.device import apply_threads, choose_precision, choose_threads, describe_device, resolve_device
from gan.models import build_discriminator, build_generator
from gan.presets.train import lesson
from gan.quality import NUM_CLASSES, conditional_accuracy, recognised_classes, score_generator
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


@dataclass
class Row:
    """One line of the bench's table: a measure for the plain loop and for GAN Arena, and the issue's target."""

    measure: str
    plain: float | None
    arena: float | None
    unit: str
    target: str = ""
    ratio: float | None = None  # filled from plain and arena when both are known

    def __post_init__(self):
        if self.ratio is None and self.plain and self.arena:
            self.ratio = self.arena / self.plain


def print_table(rows: list[Row]) -> None:
    """The whole bench as one Markdown table, ready to paste into a note."""
    def cell(value: float | None) -> str:
        return "—" if value is None else f"{value:,.1f}"

    print("\n| measure | plain loop | GAN Arena | ratio | target |\n| --- | ---: | ---: | ---: | --- |")
    for row in rows:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
        print(f"| {row.measure} ({row.unit}) | {cell(row.plain)} | {cell(row.arena)} | {ratio} | {row.target} |")


SPEED_TARGETS = {"mlp": "≥ 2× in fp32", "dcgan": "≥ 1.5× in fp32"}


def speed_rows(device: torch.device, seconds: float, archs: tuple[str, ...] = ("mlp", "dcgan")) -> list[Row]:
    """Iterations per second of the plain loop and of GAN Arena in fp32 and in the precision 'auto' picks."""
    images, _ = load_images("mnist-embedded")
    rows = []
    for arch in archs:
        cfg = preset(arch)  # MLP at batch 64, DCGAN at batch 128 (the seeds' settings)
        plain = iterations_per_second(PlainLoop(cfg.replace(precision="fp32"), images, device), device, seconds)
        for precision in _precisions(device):
            loop = ArenaLoop(cfg.replace(precision=precision), images, device)
            its = iterations_per_second(loop, device, seconds)
            label = f"{arch} b{cfg.batch_size}, {_precision_label(precision, device)}"
            rows.append(Row(label, plain, its, "it/s", SPEED_TARGETS[arch] if precision == "fp32" else ""))
            print(f"{label}: plain {plain:.1f} it/s, GAN Arena {its:.1f} it/s", flush=True)
    return rows


# Beyond the digits: the DCGAN of the shapes lessons at 32x32 in colour, and at 64x64 (issue 29).
IMAGE_SIZES = {"dcgan 32x32 RGB": dict(dataset="shapes-rgb", image_size=32),
               "dcgan 64x64 RGB": dict(dataset="shapes-rgb", image_size=64)}


def image_size_rows(device: torch.device, seconds: float) -> list[Row]:
    """Iterations per second of the DCGAN on colour shapes at 32 and 64 pixels, plain loop against GAN Arena."""
    rows = []
    for name, data in IMAGE_SIZES.items():
        cfg = preset("dcgan", **data)
        images, _ = load_dataset(cfg.dataset, cfg.image_size)
        plain = iterations_per_second(PlainLoop(cfg.replace(precision="fp32"), images, device), device, seconds)
        for precision in _precisions(device):
            its = iterations_per_second(ArenaLoop(cfg.replace(precision=precision), images, device), device, seconds)
            label = f"{name} b{cfg.batch_size}, {_precision_label(precision, device)}"
            rows.append(Row(label, plain, its, "it/s", SPEED_TARGETS["dcgan"] if precision == "fp32" else ""))
            print(f"{label}: plain {plain:.1f} it/s, GAN Arena {its:.1f} it/s", flush=True)
    return rows


def compute_ceiling(device: torch.device) -> str:
    """How far a same-maths MLP loop could go here: the arithmetic each loop does per iteration (counted by
    torch's FlopCounterMode) against this CPU's matmul rate (a large fp32 matmul, measured now)."""
    images, _ = load_images("mnist-embedded")
    cfg = preset("mlp", precision="fp32")
    flops = {}
    for name, make in (("plain", PlainLoop), ("arena", ArenaLoop)):
        loop = make(cfg, images, device)
        loop.run(2)
        with FlopCounterMode(display=False) as counter:
            loop.run(1)
        flops[name] = counter.get_total_flops()
    size = 2048
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    peak = 2 * size ** 3 / _best_seconds(lambda: a @ b, device)
    ceiling = peak / flops["arena"]
    return (f"MLP b64 fp32 arithmetic per iteration: plain {flops['plain'] / 1e9:.2f} GFLOP, GAN Arena "
            f"{flops['arena'] / 1e9:.2f} GFLOP (plain does {flops['plain'] / flops['arena']:.2f}× as much). This "
            f"device's fp32 matmul rate: {peak / 1e9:.0f} GFLOP/s, so no loop that keeps the maths exceeds "
            f"{ceiling:.0f} it/s here, even with every other cost gone.")


def _best_seconds(work, device: torch.device, repeats: int = 5) -> float:
    work()
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        started = time.perf_counter()
        work()
        _sync(device)
        best = min(best, time.perf_counter() - started)
    return best


def _precisions(device: torch.device) -> tuple[str, ...]:
    """fp32, and the precision 'auto' picks when that is not fp32."""
    auto = choose_precision("auto", device).precision
    return ("fp32",) if auto == "fp32" else ("fp32", "auto")


def _precision_label(precision: str, device: torch.device) -> str:
    return "fp32" if precision == "fp32" else f"auto ({choose_precision('auto', device).precision})"


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


DIGITS_TARGETS = {"mlp": "≤ 0.4× the plain loop", "fast": "≤ 0.25× the plain loop"}


def digits_rows(device: torch.device, budget: float, seeds: int) -> list[Row]:
    """Training seconds until 1,000 samples show all ten digits recognisably (classifier confidence >= 0.9, each
    digit >= 2 % of the samples): the plain loop, the seed defaults, and the fast classroom preset.

    When a run gets there is a matter of its seed as much as of speed (one seed of the plain loop took 60 s, another
    100 s on the same machine), so each figure is the median over `seeds` seeds; a run out of budget counts as
    never.
    """
    images, _ = load_images("mnist-embedded")
    plain = _median_seconds("plain loop", lambda seed: PlainLoop(preset("mlp", precision="fp32", seed=seed),
                                                                  images, device), device, budget, seeds)
    rows = []
    for slug in ("mlp", "fast"):
        for precision in _precisions(device):
            cfg = lesson(slug).config.replace(precision=precision, seconds=None)
            label = f"{'seed MLP GAN' if slug == 'mlp' else 'fast preset'}, {_precision_label(precision, device)}"
            seconds = _median_seconds(label, lambda seed: ArenaLoop(cfg.replace(seed=seed), images, device),
                                      device, budget, seeds)
            rows.append(Row(f"{label}: seconds to ten digits, median of {seeds} seeds", plain, seconds, "s",
                            DIGITS_TARGETS[slug]))
    return rows


def _median_seconds(label: str, make, device: torch.device, budget: float, seeds: int) -> float | None:
    times = []
    for seed in range(seeds):
        seconds, classes = seconds_to_digits(make(seed), device, budget)
        print(f"{label}, seed {seed}: {_shown_seconds(seconds, classes)}", flush=True)
        times.append(math.inf if seconds is None else seconds)
    median = statistics.median(times)
    return None if math.isinf(median) else median


def _shown_seconds(seconds: float | None, classes: int) -> str:
    return f"{seconds:.1f} s" if seconds is not None else f"not within budget ({classes}/10 digits)"


def bundled_rows() -> list[Row]:
    """The bundled generators' scores, measured now by the project's classifier on 1,000 samples."""
    from gan.latent import bundled_generators, load_generator

    rows = []
    for name, path in bundled_generators().items():
        G, state = load_generator(path)
        arch = state["config"].arch
        score = score_generator(G, n=1000)
        target = {"dcgan": "≤ 30", "mlp": "≤ 40"}.get(arch, "")
        rows.append(Row(f"bundled {arch}: classifier FID", None, score.fid, "lower is better", target))
        if arch == "cgan":
            accuracy = conditional_accuracy(G, n=1000)
            rows.append(Row("bundled cgan: samples read as the digit asked for", None, 100 * accuracy, "%", "≥ 95 %"))
            rows.append(Row("bundled cgan: rarest digit's share", None, 100 * min(score.class_histogram), "%",
                            "≥ 5 %"))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seconds", type=float, default=8.0, help="timing window per loop")
    parser.add_argument("--arch", choices=("mlp", "dcgan"), action="append", help="default: both")
    parser.add_argument("--digits-budget", type=float, default=150.0,
                        help="training seconds allowed per loop in the time-to-digits race (0 skips it)")
    parser.add_argument("--digits-seeds", type=int, default=3, help="seeds per loop in the time-to-digits race")
    parser.add_argument("--no-image-sizes", dest="image_sizes", action="store_false",
                        help="skip the DCGAN at 32x32 RGB and 64x64 RGB (colour shapes)")
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
    rows = speed_rows(device, args.seconds, tuple(args.arch or ("mlp", "dcgan")))
    if args.image_sizes:
        rows += image_size_rows(device, args.seconds)
    if args.digits_budget > 0:
        rows += digits_rows(device, args.digits_budget, args.digits_seeds)
    rows += bundled_rows()
    print_table(rows)
    print("\n" + compute_ceiling(device))


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
