"""The command line: `python -m gan train ...` and `python -m gan sample ...` (see --help).

Bad arguments exit with status 2 and a one-line reason; a run that diverges exits with status 3 and keeps its
last good checkpoint; a full disk exits with status 1 and keeps the last checkpoint written. Nothing here prints a
traceback for a user's mistake.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import tempfile
import typing
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from gan.checkpoint import CheckpointError, generator_from_checkpoint, load_checkpoint
from gan.config import (
    ARCHS,
    DATASETS,
    DEVICES,
    G_LOSSES,
    NOISE_ARCHS,
    PRECISIONS,
    Config,
    ConfigError,
    field_help,
    preset,
)
from gan.cost import available_memory, generator_cost, mib
from gan.data import OWN_IMAGES, DatasetUnavailable, read_own_images
from gan.image_sets import IMAGES_B_FILE, IMAGES_FILE, save_image_set
from gan.device import apply_threads, choose_threads, describe_device
from gan.fileio import DiskFull, write_bytes_atomic
from gan.imaging import grid_image, png_bytes
from gan.presets.train import LESSONS, lesson
from gan.models.common import draw_in_batches
from gan.runs import save_run
from gan.train import Record, Trainer, TrainingDiverged
from gan.train.build import build_trainer, live_grid_columns, trainer_from_checkpoint

CHOICES = {"arch": ARCHS, "g_loss": G_LOSSES, "device": DEVICES, "precision": PRECISIONS}
FLAG_ALIASES = {"iterations": ("--iters", "--iterations")}
MAX_SAMPLES = {".npy": 100_000, ".png": 10_000}  # 100,000 digits are 314 MB of float32; a 10,000-digit grid is 100 x 100
FLOAT_BYTES = 4
RESUMABLE = ("iterations", "epochs", "seconds", "sample_every", "log_every", "checkpoint_every", "device")


class UsageError(Exception):
    """A mistake in the command line; printed as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> typing.NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


# ---------------------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m gan", description="GAN Arena: train GANs on MNIST and sample them.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    train = commands.add_parser("train", help="train a GAN and write checkpoint, metrics, sample grids and a GIF",
                                description="Train a GAN. Unset options take the seed defaults of --arch.")
    train.add_argument("--preset", choices=tuple(LESSONS), metavar="PRESET",
                       help="start from one of the Train page's presets and lessons instead of --arch's seed "
                            f"defaults ({', '.join(LESSONS)}); other options change it")
    _add_config_flags(train)
    train.add_argument("--out", default="runs/latest", help="output folder (default: runs/latest)")
    train.add_argument("--resume", metavar="CKPT", help="continue the run saved in this checkpoint")
    train.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")

    sample = commands.add_parser("sample", help="draw images from a trained generator")
    sample.add_argument("--checkpoint", required=True, help="a checkpoint written by 'train' (or a bundled one)")
    sample.add_argument("--n", type=_positive_int, default=64, help="how many images (default 64)")
    sample.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    sample.add_argument("--digit", type=int, choices=range(10), metavar="0-9",
                        help="conditional GANs only: draw this digit (default: every digit, at random)")
    sample.add_argument("--out", required=True,
                        help="FILE.npy: float32 (N,C,H,W) in [-1,1], (N,1,28,28) for digits; FILE.png: a grid")
    sample.add_argument("--device", choices=DEVICES, default="cpu")
    return parser


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    docs = field_help()
    for f in fields(Config):
        flags = FLAG_ALIASES.get(f.name, ("--" + f.name.replace("_", "-"),))
        kind = _base_type(f.name)
        help_text = docs[f.name]  # every field declares its help (tests/gan/test_settings.py)
        if kind is bool:
            parser.add_argument(*flags, dest=f.name, action="store_true", default=None, help=help_text)
        elif f.name == "dataset":  # a name, or the folder (or zip) of the user's own images
            parser.add_argument(*flags, dest=f.name, default=None, metavar="{" + ",".join(DATASETS) + "} or PATH",
                                help=help_text + " A folder or zip of images here means 'images' with that "
                                "image_folder (add --dataset images-rgb --image-folder PATH for colour).")
        else:
            parser.add_argument(*flags, dest=f.name, type=kind, choices=CHOICES.get(f.name), default=None,
                                help=help_text, metavar=None if f.name in CHOICES else f.name.upper())


def _base_type(name: str) -> type:
    """'int | None' -> int, 'float' -> float (the dataclass annotations are strings under PEP 563)."""
    hint = typing.get_type_hints(Config)[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


# ---------------------------------------------------------------------------------------------------- train
def config_from_args(args: argparse.Namespace) -> Config:
    given = {f.name: getattr(args, f.name) for f in fields(Config) if getattr(args, f.name) is not None}
    if given.get("dataset") not in (None, *DATASETS):  # --dataset path/to/folder
        if "image_folder" in given:
            raise UsageError("--dataset PATH is the folder of your images: leave out --image-folder, or give "
                             "--dataset images (or images-rgb) with it")
        given.update(dataset="images", image_folder=given["dataset"])
    budget_given = {"iterations", "epochs", "seconds"} & set(given)
    if args.preset:
        if "arch" in given:
            raise UsageError("--preset sets the architecture: leave out --arch (see python -m gan train --help)")
        cfg = lesson(args.preset).config.replace(**given)
    else:
        cfg = preset(given.pop("arch", "mlp"), **given)
    if budget_given:  # a budget on the command line replaces the preset's iteration count, not adds to it
        cfg = cfg.replace(**{k: given.get(k) for k in ("iterations", "epochs", "seconds")})
    return cfg.validate()


def run_train(args: argparse.Namespace) -> int:
    out = Path(args.out)
    apply_threads(choose_threads())  # every usable core (or OMP_NUM_THREADS): nothing else runs beside the CLI
    trainer = _resumed_trainer(args, out) if args.resume else _new_trainer(args, out)
    print(f"GAN Arena · {trainer.config.arch} · {describe_device(trainer.device)} · writing to {out}/", flush=True)
    print(f"{'warning: ' if trainer.precision.warning else ''}precision {trainer.precision.reason}", flush=True)
    bar = _progress_bar(trainer, disabled=args.no_progress)
    try:
        for record in trainer.run():
            _report(bar, trainer, record)
            if record.samples is not None:
                _write_image(out / f"samples_{record.iteration:06d}.png", record.samples,
                             live_grid_columns(trainer.config, len(record.samples)))
            if trainer.config.checkpoint_every and record.iteration % trainer.config.checkpoint_every == 0:
                save_run(trainer.state_dict(), out)
    except TrainingDiverged as err:
        bar.close()
        save_run(trainer.good_state(), out)
        print(f"error: {err} Checkpoint: {out / 'checkpoint.pt'}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        bar.close()
        save_run(trainer.state_dict(), out)
        print(f"stopped at iteration {trainer.iteration}; resume with --resume {out / 'checkpoint.pt'}",
              file=sys.stderr)
        return 130
    bar.close()
    save_run(trainer.state_dict(), out)
    print(f"done: {trainer.iteration} iterations in {trainer.elapsed:.1f} s -> {out / 'checkpoint.pt'}")
    return 0


def _new_trainer(args: argparse.Namespace, out: Path) -> Trainer:
    config = config_from_args(args)
    _prepare_out(out)
    if config.dataset in OWN_IMAGES:  # the run keeps the very pixels it trains on, and its checkpoint points there
        copies = {"image_folder": IMAGES_FILE}
        if config.arch == "cyclegan":  # and domain B
            copies["image_folder_b"] = IMAGES_B_FILE
        for field, name in copies.items():
            source = getattr(config, field)
            images = read_own_images(source, config.image_size, rgb=config.channels == 3)
            print(f"{len(images):,} images from {source}, {config.image_size}x{config.image_size}", flush=True)
            config = config.replace(**{field: str(save_image_set(images, out, name).resolve())})
    return build_trainer(config)


def _resumed_trainer(args: argparse.Namespace, out: Path) -> Trainer:
    """The trainer of the run saved in --resume, with a new budget; any other changed setting is refused."""
    state = load_checkpoint(args.resume)
    saved: Config = state["config"]
    if "discriminator" not in state:  # what the bundled files and exports hold: G only, no D or optimisers
        raise CheckpointError(f"{args.resume} holds only a generator (a bundled or exported checkpoint): it can be "
                              "sampled or explored, not resumed")
    changed = {f.name for f in fields(Config) if getattr(args, f.name) is not None} - set(RESUMABLE)
    clashing = sorted(n for n in changed if getattr(args, n) != getattr(saved, n))
    if clashing:
        raise UsageError(f"--resume keeps the saved run's settings; {saved.arch} checkpoint differs in: "
                         f"{', '.join(clashing)}")
    budget = {n: getattr(args, n) for n in RESUMABLE if getattr(args, n) is not None}
    if {"iterations", "epochs", "seconds"} & set(budget):
        budget = {"iterations": None, "epochs": None, "seconds": None, **budget}
    _prepare_out(out)
    try:
        return trainer_from_checkpoint(state, **budget)
    except KeyError as err:  # a crafted or cut-down file: the trainer reads every part of its saved state
        raise CheckpointError(f"{args.resume} cannot be resumed: its training state lacks {err}") from None


def _prepare_out(out: Path) -> None:
    """Create --out and prove it writable before any training: a bad folder used to lose the run at its end."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        raise UsageError(f"--out {out}: {err.strerror or err}") from None


def _progress_bar(trainer: Trainer, disabled: bool):
    from tqdm import tqdm

    budget = trainer.iteration_budget()
    total = budget if budget is not None else None
    return tqdm(total=total, initial=trainer.iteration, unit="it", disable=disabled, dynamic_ncols=True)


def _report(bar, trainer: Trainer, record: Record) -> None:
    bar.update(record.iteration - bar.n)
    bar.set_postfix_str(f"D {record.d_loss:.3f} G {record.g_loss:.3f} acc real {record.d_acc_real:.0%} "
                        f"fake {record.d_acc_fake:.0%}", refresh=False)


def _write_image(path: Path, samples: torch.Tensor, nrow: int | None = None) -> None:
    write_bytes_atomic(path, png_bytes(grid_image(samples, nrow=nrow)))


# ---------------------------------------------------------------------------------------------------- sample
def run_sample(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix not in (".npy", ".png"):
        raise UsageError(f"--out must end in .npy or .png (got {out.name})")
    most = MAX_SAMPLES[out.suffix]
    if args.n > most:
        raise UsageError(f"--n: at most {most:,} samples into a {out.suffix} file (got {args.n:,}); run it again "
                         "with another --seed for more")
    state = load_checkpoint(args.checkpoint)
    if state["config"].arch not in NOISE_ARCHS:
        raise UsageError(f"sample draws from noise; a {state['config'].arch} translates images (see its progress.gif)")
    image_bytes = math.prod(state["config"].image_shape) * FLOAT_BYTES
    _check_room(generator_cost(state["config"]).memory + args.n * image_bytes * 3)  # images, the float32 copy, the file
    G = generator_from_checkpoint(state, args.device)
    rng = torch.Generator().manual_seed(args.seed)
    with torch.inference_mode():
        inputs = [t.to(args.device) for t in G.sample_inputs(args.n, rng)]
        if args.digit is not None:
            if len(inputs) < 2:
                raise UsageError(f"--digit needs a conditional GAN; this checkpoint is a {state['config'].arch}")
            inputs[1] = torch.full_like(inputs[1], args.digit)
        images = draw_in_batches(G, inputs).cpu()
    if out.suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, images.numpy().astype(np.float32))
        write_bytes_atomic(out, buf.getvalue())
    else:
        _write_image(out, images)
    print(f"wrote {args.n} samples to {out}")
    return 0


def _check_room(need: int) -> None:
    """Refuse, before allocating, what this machine has not the memory for (a crafted config, a huge --n)."""
    free = available_memory()
    if free is not None and need > free:
        raise UsageError(f"this needs about {mib(need)} of memory and the machine has {mib(free)} free")


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return run_train(args) if args.command == "train" else run_sample(args)
    except (UsageError, ConfigError, CheckpointError, DatasetUnavailable, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except DiskFull as err:  # not the user's mistake: status 1, and the last checkpoint written is kept
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
