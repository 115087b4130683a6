"""Train the bundled generators of the Latent Explorer: `make pretrained` (= python scripts/build_pretrained.py).

Trains the seeds' MLP GAN, DCGAN and conditional GAN generators on the 5,000 embedded digits with
`gan.train.GANTrainer` (the plans below), scores the moving average of G with the bundled classifier every few hundred
iterations, keeps the best-scoring one (lowest classifier FID, for the conditional GAN weighed by how often it draws the
digit asked for; GAN training oscillates, so the last iterate is not always the best), and writes
assets/pretrained/{mlp,dcgan,cgan}.pt atomically: a small checkpoint that `gan.checkpoint.load_checkpoint` accepts,
holding only the generator (fp16), the config, the metric history, the iteration and the quality score. Each score
line also gives G's own FID beside its average's.

On a 2-core CPU the whole build takes about twenty minutes (assets/README.md has each file's figures). The same seed
on the same kind of CPU gives the same files.

Then it writes the Latent Explorer's previews of every bundled generator (`ui.explorer.write_previews`: the picture a
new tab opens on, drawn before PyTorch has loaded); `--previews-only` writes just those, from the files there are.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gan.checkpoint import save_checkpoint  # noqa: E402
from gan.config import CONDITIONAL_ARCHS, Config, preset  # noqa: E402
from gan.quality import QualityScore, conditional_accuracy, score_generator  # noqa: E402
from gan.train import GANTrainer  # noqa: E402

OUT_DIR = ROOT / "assets" / "pretrained"
SCORE_SAMPLES = 1000

# arch -> (config overrides, score every k iterations). log_every 20 keeps the stored history small. Every plan keeps
# its seed's generator (the Explorer rebuilds it from the config) and saves the moving average of its weights
# (g_ema). The DCGAN trains with the lab's own stabilisers (issue 26): the relativistic objective with R1 and R2
# (R3GAN's recipe), Adam 2e-4 with beta2 0.99, at the conditional GAN's batch of 32 against a D as wide as the
# conditional GAN's (only G is saved); assets/README.md records what else was tried and what each reached.
QUIET = dict(log_every=20, sample_every=10**6)
PLANS: dict[str, tuple[dict, int]] = {
    "mlp": (dict(iterations=24_000, g_ema=0.999, **QUIET), 1000),
    "dcgan": (dict(iterations=12_000, batch_size=32, d_width=64, g_ema=0.999, objective="relativistic", r1=1.0,
                   r2=1.0, lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.99, **QUIET), 500),
    # The conditional GAN of the explorer's digit morphs (chapter 8's networks).
    "cgan": (dict(iterations=8_000, g_ema=0.999, **QUIET), 500),
}


def build(arch: str, device: str, iterations: int | None, seconds: float | None) -> Path:
    overrides, score_every = PLANS[arch]
    overrides = {**overrides, "device": device}
    if iterations is not None:
        overrides["iterations"] = iterations
    if seconds is not None:
        overrides["seconds"] = seconds
    config = preset(arch, **overrides)
    trainer = GANTrainer(config)
    conditional = arch in CONDITIONAL_ARCHS
    best: tuple[float, QualityScore, float | None, int, dict] | None = None
    started = time.perf_counter()
    for record in trainer.run():
        last = trainer.finished()
        if record.iteration % score_every and not last:
            continue
        shown = trainer.shown_generator
        score = score_generator(shown, n=SCORE_SAMPLES)
        accuracy = conditional_accuracy(shown, n=SCORE_SAMPLES) if conditional else None
        live = score_generator(trainer.G, n=SCORE_SAMPLES).fid if shown is not trainer.G else score.fid
        print(f"{arch} it {record.iteration:6d}  {record.elapsed:6.1f} s  FID {score.fid:7.2f} (G itself {live:7.2f})  "
              f"recognisable {score.recognisable:.2f}  classes {score.classes_covered}"
              + (f"  right digit {accuracy:.2f}" if conditional else ""), flush=True)
        # A conditional G must draw the digit asked for: FID inflated by the share of wrong digits.
        rank = score.fid * (2 - accuracy) if conditional else score.fid
        if best is None or rank < best[0]:
            weights = {k: v.detach().cpu().clone() for k, v in shown.state_dict().items()}
            best = (rank, score, accuracy, record.iteration, weights)
    _, score, accuracy, iteration, weights = best
    path = OUT_DIR / f"{arch}.pt"
    write_pretrained(path, config, weights, trainer.history, iteration, score, accuracy)
    print(f"{arch}: kept iteration {iteration} (FID {score.fid:.2f}, recognisable {score.recognisable:.2f}, "
          f"classes {score.classes_covered}" + (f", right digit {accuracy:.3f}" if conditional else "")
          + f"); trained {time.perf_counter() - started:.0f} s; "
          f"wrote {path} ({path.stat().st_size / 2**20:.2f} MiB)", flush=True)
    return path


def write_pretrained(path: Path, config: Config, generator: dict, history: dict, iteration: int,
                     score: QualityScore, accuracy: float | None = None) -> None:
    """A generator-only checkpoint: fp16 floating-point weights (BatchNorm's counter stays int64).

    `accuracy` (conditional generators): the share of samples the classifier reads as the digit asked for.
    """
    weights = {k: v.half() if v.is_floating_point() else v for k, v in generator.items()}
    save_checkpoint({
        "config": config.replace(device="auto").to_dict(),
        "generator": weights,
        "history": history,
        "iteration": iteration,
        "quality": asdict(score) | ({} if accuracy is None else {"conditional_accuracy": accuracy}),
    }, path)
    path.chmod(0o644)  # mkstemp creates 0600


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=tuple(PLANS), action="append", help="default: all")
    parser.add_argument("--device", default="cpu", help="torch device to train on (default cpu)")
    parser.add_argument("--iterations", type=int, help="override the iteration budget (for a quick try)")
    parser.add_argument("--seconds", type=float, help="override the time budget, in seconds")
    parser.add_argument("--previews-only", action="store_true",
                        help="train nothing: write the Latent Explorer's previews of the bundled generators there are")
    args = parser.parse_args(argv)
    if not args.previews_only:
        for arch in args.arch or tuple(PLANS):
            build(arch, args.device, args.iterations, args.seconds)
    write_previews_of(OUT_DIR)


def write_previews_of(directory: Path) -> None:
    """The previews of every bundled generator (a rebuilt one's old preview would no longer match its checkpoint)."""
    from ui.explorer import write_previews  # Streamlit's caches; its runtime is not needed

    manifest = write_previews(directory)
    for name, entry in json.loads(manifest.read_text(encoding="utf-8")).items():
        print(f"{name}: {entry['image']} and {entry['strip']} ({entry['strip_caption']})", flush=True)


if __name__ == "__main__":
    main()
