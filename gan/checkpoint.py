"""Checkpoints: one dict (config, both networks, both optimisers, step, history), written atomically and read
with `torch.load(weights_only=True)`, so a hostile file can never run code.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn

from gan.config import NOISE_ARCHS, Config, ConfigError
from gan.fileio import atomic_path
from gan.models import build_generator

FORMAT = "gan-arena-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a usable GAN Arena checkpoint; the message says why, in a user's words."""


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write a trainer's `state_dict()` to `path` atomically (temp file + rename)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
    return path


EXPECTED = "Expected: a checkpoint.pt saved by the Train page, the Compare page or `python -m gan train`."


def load_checkpoint(source, map_location: str | torch.device = "cpu") -> dict:
    """Read and check a checkpoint from a path or a binary file object (an upload).

    Raises CheckpointError for a corrupt file, a file that is not a checkpoint, or a checkpoint whose
    config is invalid.
    """
    name = getattr(source, "name", None) or str(source)
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
        raise CheckpointError(f"{name} is not a readable GAN Arena checkpoint: it is damaged, cut short or not a "
                              f"PyTorch file. {EXPECTED}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{name} is a PyTorch file but not a GAN Arena checkpoint. {EXPECTED}")
    if state.get("version", 0) > VERSION:
        raise CheckpointError(f"{name} was written by a newer GAN Arena (format {state['version']}); update the app")
    try:
        state["config"] = Config.from_dict(state["config"]).validate()
    except (ConfigError, KeyError, TypeError) as err:
        raise CheckpointError(f"{name} holds an invalid config: {err}") from None
    return state


def generator_from_checkpoint(state: dict, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the checkpoint's generator in eval mode, in float32 (bundled ones may be stored in half)."""
    cfg: Config = state["config"]
    if cfg.arch not in NOISE_ARCHS:
        raise CheckpointError(f"this is a {cfg.arch} checkpoint: its generators translate images instead of drawing "
                              "from noise, so it cannot be sampled, explored or raced")
    G = build_generator(cfg)
    weights = {k: v.float() if v.is_floating_point() else v for k, v in shown_weights(state).items()}
    load_weights(G, weights, cfg, "generator")
    return G.to(device).eval()


def shown_weights(state: dict) -> dict:
    """The generator weights that drew a run's samples: the moving average of G's when the run kept one (`g_ema`),
    G's own otherwise."""
    averaged = state.get("generator_ema")
    if isinstance(averaged, dict):  # an AveragedModel's state: the copy's weights under "module.", and a counter
        return {k.removeprefix("module."): v for k, v in averaged.items() if k.startswith("module.")}
    return state["generator"]


def load_weights(net: nn.Module, weights: dict, cfg: Config, which: str) -> None:
    """load_state_dict with a message a user understands when the shapes belong to another architecture."""
    try:
        net.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(
            f"the {which} weights do not fit the architecture in the checkpoint's config "
            f"({cfg.arch}, latent {cfg.latent_dim}): {_first_line(err)}") from None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
