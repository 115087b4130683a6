"""Checkpoints: one dict (config, both networks, both optimisers, step, history), written atomically and read
with `torch.load(weights_only=True)`, so a hostile file can never run code.

Loading also refuses, in one line each, what would cost too much to unpack (the zip archive is measured first) and
what would crash a page later (weights that are not finite tensors, a history or a score of the wrong shape).
"""

from __future__ import annotations

import io
import math
import os
import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn

from gan.config import NOISE_ARCHS, Config, ConfigError
from gan.fileio import write_bytes_atomic
from gan.models import NoiseGenerator, build_generator

FORMAT = "gan-arena-checkpoint"
VERSION = 1
MAX_BYTES = 512 * 2**20  # unpacked; what GAN Arena writes (weights, Adam moments, <= 240 grids) is tens of MiB
NETWORKS = ("generator", "generator_ema", "discriminator", "generator_ba", "discriminator_a", "baseline")
CURVES = ("iteration", "d_loss", "g_loss", "d_acc_real", "d_acc_fake")  # of a history, what the Compare page draws
SCORES = ("fid", "recognisable", "classes_covered")  # of a quality score, what the Explorer's caption prints


class CheckpointError(ValueError):
    """A file that is not a usable GAN Arena checkpoint; the message says why, in a user's words."""


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write a trainer's `state_dict()` to `path` atomically (temp file + rename).

    Raises gan.fileio.DiskFull when the disk is full; the previous checkpoint at `path` is then kept.
    """
    path = Path(path)
    # Serialised in memory first: torch's zip writer turns a full disk into a vague RuntimeError, a plain write
    # reports ENOSPC.
    buf = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **state}, buf)
    write_bytes_atomic(path, buf.getbuffer())
    return path


EXPECTED = "Expected: a checkpoint.pt saved by the Train page, the Compare page or `python -m gan train`."


def load_checkpoint(source, map_location: str | torch.device = "cpu", max_bytes: int = MAX_BYTES,
                    max_history_rows: int | None = None) -> dict:
    """Read and check a checkpoint from a path or a binary file object (an upload).

    Raises CheckpointError for a corrupt file, a file that is not a checkpoint, one that would unpack to more than
    `max_bytes`, a checkpoint whose config is invalid, or one whose contents a page could not read.
    max_history_rows: for a reader that only draws the curves, the history thinned evenly to at most this many rows
    before anything reads it (a pickle stores a list repeated five times once: 20 million rows fit in 43 MB).
    """
    name = getattr(source, "name", None) or str(source)
    _check_archive(source, name, max_bytes)
    try:
        state = torch.load(source, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{name}: no such file") from None
    except pickle.UnpicklingError:
        # weights_only refused Python objects other than tensors and plain containers. PyTorch's own message
        # suggests loading with weights_only=False: never pass that on to a user who uploaded a file.
        raise CheckpointError(f"{name} is not a readable GAN Arena checkpoint: it holds Python objects that "
                              f"GAN Arena never loads (only tensors and plain data). {EXPECTED}") from None
    except (zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError, KeyError, AttributeError, TypeError,
            IndexError):  # a truncated or foreign file
        raise CheckpointError(_unreadable(name)) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{name} is a PyTorch file but not a GAN Arena checkpoint. {EXPECTED}")
    if state.get("version", 0) > VERSION:
        raise CheckpointError(f"{name} was written by a newer GAN Arena (format {state['version']}); update the app")
    if not isinstance(state.get("config"), dict):  # a string listed each character as an unknown field
        raise CheckpointError(f"{name} holds no config (a table of settings). {EXPECTED}")
    try:
        state["config"] = Config.from_dict(state["config"]).validate()
    except (ConfigError, KeyError, TypeError) as err:
        raise CheckpointError(f"{name} holds an invalid config: {err}") from None
    if max_history_rows is not None and isinstance(state.get("history"), dict):
        state["history"] = _thinned(state["history"], max_history_rows)
    problem = _contents_problem(state)
    if problem:
        raise CheckpointError(f"{name} is not a usable GAN Arena checkpoint: {problem}. {EXPECTED}")
    return state


def _unreadable(name: str) -> str:
    return f"{name} is not a readable GAN Arena checkpoint: it is damaged, cut short or not a PyTorch file. {EXPECTED}"


# ---------------------------------------------------------------------------------------------------- the archive
def _check_archive(source, name: str, max_bytes: int) -> None:
    """Refuse, from the zip's central directory alone, a file that is no zip archive, that would unpack to more
    than `max_bytes`, or whose entries are compressed (torch.save stores them as they are: a compressed entry is
    someone else's archive, or a bomb). A file object is left where it was."""
    start = source.tell() if hasattr(source, "read") else None
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except FileNotFoundError:
        raise CheckpointError(f"{name}: no such file") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):  # PyTorch's pre-1.6 pickle format lands here too
        raise CheckpointError(_unreadable(name)) from None
    finally:
        if start is not None:
            source.seek(start)
    # A stored entry's two sizes agree; the larger one bounds what a lying directory could make the reader take.
    total = sum(max(e.file_size, e.compress_size) for e in entries)
    if total > max_bytes:
        raise CheckpointError(f"{name} would unpack to {_mib(total)}, more than the {_mib(max_bytes)} a checkpoint "
                              f"may hold. {EXPECTED}")
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries):
        raise CheckpointError(f"{name} is a compressed zip archive, which torch.save never writes. {EXPECTED}")


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


# ---------------------------------------------------------------------------------------------------- the contents
def _contents_problem(state: dict) -> str | None:
    """What in a checkpoint would crash a page or a resume that reads it, in a user's words; None if nothing.

    Tolerant where the readers are: iteration, elapsed, history and quality may be missing (bundled files hold no
    elapsed), but what is there must have the type the readers use."""
    if not isinstance(state.get("generator"), dict):
        return "it comes without generator weights"
    for key in NETWORKS:
        problem = _weights_problem(state[key]) if key in state else None
        if problem:
            return f"its {key} weights {problem}"
    iteration = state.get("iteration", 0)
    if not (_is_number(iteration) and isinstance(iteration, int) and iteration >= 0):
        return f"its iteration count is {_shown(iteration)}, not a whole number"
    elapsed = state.get("elapsed")
    if elapsed is not None and not (_is_number(elapsed) and math.isfinite(elapsed) and elapsed >= 0):
        return f"its training time is {_shown(elapsed)}, not a number of seconds"
    return _history_problem(state.get("history", {})) or _quality_problem(state.get("quality"))


def _weights_problem(weights) -> str | None:
    if not isinstance(weights, dict):
        return "are not a table of named tensors"
    for name, value in weights.items():
        if not isinstance(value, torch.Tensor) or value.layout != torch.strided:
            return f"hold {_shown(name)}, which is not a tensor but {_shown(value)}"
        # A view may claim far more elements than its storage holds (stride 0): converting it would allocate them.
        if value.numel() * value.element_size() > value.untyped_storage().nbytes():
            return f"hold {_shown(name)}, a tensor larger than the data stored for it"
    return None


def _thinned(history: dict, max_rows: int) -> dict:
    """Every k-th row of each list (the same k for all, the last row kept), so that at most `max_rows` remain."""
    longest = max((len(v) for v in history.values() if isinstance(v, (list, tuple))), default=0)
    if longest <= max_rows:
        return history
    stride = -(-longest // max_rows)
    return {key: (list(values[::stride]) if isinstance(values, (list, tuple)) else values)
            for key, values in history.items()}


def _history_problem(history) -> str | None:
    if not isinstance(history, dict) or not all(isinstance(v, (list, tuple)) for v in history.values()):
        return "its metric history is not a table of number lists"
    for key, values in history.items():
        if not all(_is_number(v) for v in values):
            return f"its metric history's {_shown(key)} holds something other than numbers"
    missing = [key for key in CURVES if key not in history]
    if missing and any(history.values()):  # empty lists draw nothing; rows without these keys crash the charts
        return f"its metric history lacks {', '.join(missing)}"
    return None


def _quality_problem(quality) -> str | None:
    if not quality:  # absent or empty: the Explorer shows no score
        return None
    if not isinstance(quality, dict):
        return f"its quality score is {_shown(quality)}, not a table of numbers"
    wanted = [*SCORES, *({"conditional_accuracy"} & quality.keys())]
    wrong = [key for key in wanted if not _is_number(quality.get(key))]
    if wrong:
        return f"its quality score lacks a number for {', '.join(wrong)}"
    # What the pages print ("FID nan, inf% recognisable, 10000/10 digits" is no score): each within its range.
    ranges = {"fid": (0, math.inf), "recognisable": (0, 1), "classes_covered": (0, 10),
              "conditional_accuracy": (0, 1)}
    wrong = [key for key in wanted
             if not (math.isfinite(quality[key]) and ranges[key][0] <= quality[key] <= ranges[key][1])]
    if wrong:
        return f"its quality score's {', '.join(wrong)} is out of range"
    return None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(value) -> str:
    text = repr(value) if isinstance(value, (str, int, float, type(None))) else f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------------------------------------------- the generator
def generator_from_checkpoint(state: dict, device: str | torch.device = "cpu") -> NoiseGenerator:
    """Rebuild the checkpoint's generator in eval mode, in float32 (bundled ones may be stored in half)."""
    cfg: Config = state["config"]
    if cfg.arch not in NOISE_ARCHS:
        raise CheckpointError(f"this is a {cfg.arch} checkpoint: its generators translate images instead of drawing "
                              "from noise, so it cannot be sampled, explored or raced")
    G = build_generator(cfg)
    weights = {k: v.float() if v.is_floating_point() else v for k, v in shown_weights(state).items()}
    _check_finite(weights)
    load_weights(G, weights, "generator", f"{cfg.arch}, latent {cfg.latent_dim}")
    return G.to(device).eval()


def _check_finite(weights: dict) -> None:
    """NaN or inf weights draw blank images and break the Explorer's PCA: refuse them where G is rebuilt."""
    bad = next((k for k, v in weights.items() if v.is_floating_point() and not torch.isfinite(v).all()), None)
    if bad is not None:
        raise CheckpointError(f"the generator weight {bad} holds NaN or infinite values (saved after the run "
                              "diverged?), so it cannot draw digits")


def shown_weights(state: dict) -> dict:
    """The generator weights that drew a run's samples: the moving average of G's when the run kept one (`g_ema`),
    G's own otherwise."""
    averaged = state.get("generator_ema")
    if isinstance(averaged, dict):  # an AveragedModel's state: the copy's weights under "module.", and a counter
        return {k.removeprefix("module."): v for k, v in averaged.items() if k.startswith("module.")}
    return state["generator"]


def load_weights(net: nn.Module, weights: dict, which: str, architecture: str) -> None:
    """load_state_dict with a message a user understands when the shapes belong to another architecture.

    which: the network, in words ("generator"); architecture: the config's, in words ("dcgan, latent 100")."""
    try:
        net.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(
            f"the {which} weights do not fit the architecture in the checkpoint's config "
            f"({architecture}): {_first_line(err)}") from None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
