"""The Compare page's widgets, caches and session_state keys (all prefixed "compare.").

The race set-up: a race preset fills two sides' key fields, a shared seed and dataset, and the budget; each side
is its architecture's classroom config (`gan.presets.races.base_config`) with those fields overridden. The checkpoint
pickers: bundled, saved or uploaded checkpoints, validated by `gan.checkpoint.load_checkpoint`. Functions draw
widgets and return plain values (Configs, a RaceBudget, loaded generators); the maths is in gan/.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch
from torch import nn

from gan.checkpoint import CheckpointError, generator_from_checkpoint, load_checkpoint
from gan.config import DATASETS, G_LOSSES, NOISE_ARCHS, PRECISIONS, Config, ConfigError, field_help
from gan.quality import QualityScore, score_generator
from arena.worker import RaceJob, WorkerRunner
from gan.presets.races import RACES, base_config
from gan.race import BUDGET_UNITS, RaceBudget
from gan.runs import list_runs
from ui.session import runs_dir, start_worker
from ui.state import session_slot

RACE_ARCHS = tuple(a for a in NOISE_ARCHS if a != "sgan")  # a race trains plain GANTrainers
RUNNER = "compare"  # this page's runner in the tab's session slot
MODE = "compare.mode"
RACE = "compare.race"
UNIT = "compare.unit"
SECONDS = "compare.seconds"
ITERATIONS = "compare.iterations"
SEED = "compare.seed"
DATASET = "compare.dataset"
ERROR = "compare.error"
SEEN_STATUS = "compare.seen_status"  # the race's status at the last full rerun: the fragment reruns on a change
RUN_LABELS = "compare.run_labels"
X_AXIS = "compare.x_axis"
LIVE = "compare.live"
NOISE_SEED = "compare.noise_seed"
SAVED_SETUP = "compare.saved_setup"  # a copy of the race widgets' values (see init_race_state)

SIDES = ("a", "b")
SIDE_FIELDS = ("arch", "g_loss", "lr_g", "lr_d", "beta1", "d_steps", "batch_size", "label_smoothing", "precision")
FLOAT_FIELDS = {"lr_g", "lr_d", "beta1", "label_smoothing"}
UNIT_NAMES = {"seconds": "Equal training time", "iterations": "Equal iterations"}
CKPT_SOURCES = ("Bundled", "Saved run", "Upload")
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "assets" / "pretrained"


def side_key(side: str, name: str) -> str:
    return f"compare.{side}.{name}"


def ckpt_key(side: str, name: str) -> str:
    return f"compare.ckpt.{side}.{name}"


# ------------------------------------------------------------------------------------------ the race set-up
def _fill_side(side: str, config: Config) -> None:
    for name in SIDE_FIELDS:
        value = getattr(config, name)
        st.session_state[side_key(side, name)] = float(value) if name in FLOAT_FIELDS else value


def _race_keys() -> list[str]:
    return [RACE, UNIT, SECONDS, ITERATIONS, SEED, DATASET,
            *(side_key(side, name) for side in SIDES for name in ("label", *SIDE_FIELDS))]


def apply_race(slug: str) -> None:
    """Put a race preset's labels, side fields and budget into the widgets."""
    race = RACES[slug]
    for side, label, config in zip(SIDES, race.labels, race.configs):
        st.session_state[side_key(side, "label")] = label
        _fill_side(side, config)
    st.session_state[UNIT] = race.budget.unit
    st.session_state[SECONDS if race.budget.unit == "seconds" else ITERATIONS] = (
        float(race.budget.amount) if race.budget.unit == "seconds" else int(race.budget.amount))
    st.session_state[SEED] = race.configs[0].seed
    st.session_state[DATASET] = race.configs[0].dataset


def init_race_state() -> None:
    """Start from the default race (MLP GAN vs DCGAN) on the first visit; later, keep the set-up.

    Streamlit drops a widget's value once a run does not draw it (another page, the checkpoint view), so the
    set-up is mirrored under SAVED_SETUP and put back from there.
    """
    saved = st.session_state.setdefault(SAVED_SETUP, {})
    if not saved and RACE not in st.session_state:
        st.session_state[RACE] = next(iter(RACES))
        st.session_state[SECONDS] = 90.0
        st.session_state[ITERATIONS] = 3000
        apply_race(st.session_state[RACE])
    for key in _race_keys():
        if key in st.session_state:
            saved[key] = st.session_state[key]
        elif key in saved:
            st.session_state[key] = saved[key]


def _on_race_change() -> None:
    apply_race(st.session_state[RACE])


def _on_arch_change(side: str) -> None:
    """A new architecture brings its own defaults (a DCGAN's d_width and lr are not an MLP's)."""
    _fill_side(side, base_config(st.session_state[side_key(side, "arch")]))


def race_picker() -> str:
    st.selectbox("Race", list(RACES), key=RACE, format_func=lambda slug: RACES[slug].name, on_change=_on_race_change,
                 help="A ready-made pair of configurations; change any field of either side below.")
    st.caption(RACES[st.session_state[RACE]].summary)
    return st.session_state[RACE]


def budget_ui() -> RaceBudget:
    """The budget, the same for both sides, and the shared seed and data."""
    unit = st.radio("Budget", BUDGET_UNITS, key=UNIT, horizontal=True, format_func=UNIT_NAMES.get,
                    help="Equal training time is fair between architectures of different speed (on a CPU the "
                         "DCGAN does ~1 iteration for the MLP's 20). Equal iterations suits two runs of one "
                         "architecture.")
    left, mid, right = st.columns(3)
    if unit == "seconds":
        amount = left.number_input("Seconds of training per side", 1.0, 3600.0, step=15.0, format="%.0f",
                                   key=SECONDS, help="Both sides share the CPU and take turns: the race takes "
                                                     "about twice this in wall time.")
    else:
        amount = left.number_input("Iterations per side", 1, 1_000_000, step=100, key=ITERATIONS)
    mid.number_input("Seed (both sides)", 0, 2**31 - 1, step=1, key=SEED, help=field_help()["seed"])
    right.selectbox("Data (both sides)", DATASETS, key=DATASET, help=field_help()["dataset"])
    return RaceBudget(unit, float(amount) if unit == "seconds" else int(amount))


def side_ui(side: str) -> None:
    """One side's name, architecture and key fields."""
    st.text_input("Name", key=side_key(side, "label"), max_chars=40)
    st.selectbox("Architecture", RACE_ARCHS, key=side_key(side, "arch"), on_change=_on_arch_change, args=(side,),
                 help=field_help()["arch"] + " Changing it loads that architecture's defaults below.")
    left, right = st.columns(2)
    help_ = field_help()
    left.number_input("lr_g", 1e-6, 1.0, step=1e-4, format="%.1e", key=side_key(side, "lr_g"), help=help_["lr_g"])
    right.number_input("lr_d", 1e-6, 1.0, step=1e-4, format="%.1e", key=side_key(side, "lr_d"), help=help_["lr_d"])
    left.number_input("beta1", 0.0, 0.999, step=0.05, key=side_key(side, "beta1"), help=help_["beta1"])
    right.number_input("d_steps", 1, 100, step=1, key=side_key(side, "d_steps"), help=help_["d_steps"])
    left.number_input("batch_size", 1, 4096, step=16, key=side_key(side, "batch_size"), help=help_["batch_size"])
    right.number_input("label_smoothing", 0.0, 0.49, step=0.05, key=side_key(side, "label_smoothing"),
                       help=help_["label_smoothing"])
    left.selectbox("g_loss", G_LOSSES, key=side_key(side, "g_loss"), help=help_["g_loss"])
    right.selectbox("precision", PRECISIONS, key=side_key(side, "precision"), help=help_["precision"])


def race_setup() -> tuple[tuple[str, str], list[Config], RaceBudget]:
    """The two labelled configs and the budget the widgets describe. Raises ConfigError naming side and field."""
    state = st.session_state
    labels = tuple(state[side_key(side, "label")].strip() or side.upper() for side in SIDES)
    budget = RaceBudget(state[UNIT], float(state[SECONDS]) if state[UNIT] == "seconds" else int(state[ITERATIONS]))
    budget.validate()
    sides = [{name: state[side_key(side, name)] for name in SIDE_FIELDS} for side in SIDES]
    # Shared, so that the grids show the same noise: the larger of the two architectures' sample batches.
    n_samples = max(base_config(fields["arch"]).n_samples for fields in sides)
    configs = []
    for label, fields in zip(labels, sides):
        fields.update(d_steps=int(fields["d_steps"]), batch_size=int(fields["batch_size"]))
        try:
            config = base_config(fields["arch"]).replace(**fields, seed=int(state[SEED]), dataset=state[DATASET],
                                                         n_samples=n_samples)
            configs.append(budget.apply(config).validate())
        except ConfigError as err:
            raise ConfigError(f"{label}: {err}") from None
    return labels, configs, budget


def start_race(labels: tuple[str, str], configs: list[Config], budget: RaceBudget) -> WorkerRunner:
    """Start a race owned by this tab, in a worker process; each side is saved under runs_dir() when it ends."""
    return start_worker(RUNNER, RaceJob(labels, configs, budget, str(runs_dir())), "Compare")


def race_runner() -> WorkerRunner | None:
    return session_slot().runner(RUNNER)


# ------------------------------------------------------------------------------------------ checkpoints
@dataclass(frozen=True)
class LoadedCheckpoint:
    """A checkpoint's generator, ready to sample and score, and the checkpoint without its weights."""

    G: nn.Module
    key: str
    """Identifies the weights (path and mtime, or the upload's id): the cache key of the quality score."""
    label: str
    state: dict
    """config, iteration, elapsed, history (and quality, for the bundled ones)."""


def bundled_checkpoints() -> dict[str, Path]:
    """The pretrained generators shipped with the app: display name -> path (only those that exist)."""
    try:
        from gan.latent import bundled_generators
        found = bundled_generators()
    except ImportError:  # the Latent Explorer's module is not there: take whatever assets/pretrained holds
        found = {path.stem: path for path in sorted(PRETRAINED_DIR.glob("*.pt"))}
    return {name: path for name, path in found.items() if Path(path).exists()}


def _load(source) -> tuple[nn.Module, dict]:
    state = load_checkpoint(source, map_location="cpu")
    if not isinstance(state.get("generator"), dict):
        name = getattr(source, "name", None) or str(source)
        raise CheckpointError(f"{name} is a GAN Arena checkpoint without generator weights")
    G = generator_from_checkpoint(state, "cpu").requires_grad_(False)
    return G, {k: v for k, v in state.items() if k in ("config", "iteration", "elapsed", "history", "quality")}


@st.cache_resource(show_spinner="Loading the checkpoint…", max_entries=8)
def _load_file(path: str, mtime: float) -> tuple[nn.Module, dict]:
    """Loaded once per process per file version (mtime in the key: a re-saved run reloads)."""
    return _load(path)


@st.cache_resource(show_spinner="Loading the checkpoint…", max_entries=4)
def _load_upload(file_id: str, _data: io.BytesIO) -> tuple[nn.Module, dict]:
    return _load(_data)


@st.cache_resource(show_spinner="Scoring the samples with the digit classifier…", max_entries=16)
def quality(key: str, _G: nn.Module) -> QualityScore:
    """The generator's quality (cached per weights: `key` names them)."""
    with torch.inference_mode():
        return score_generator(_G)


def _default_index(names: list[str], side: str) -> int:
    wanted = "mlp" if side == "a" else "dcgan"
    return next((i for i, name in enumerate(names) if wanted in name.lower()), min(SIDES.index(side), len(names) - 1))


def checkpoint_picker(side: str) -> LoadedCheckpoint | None:
    """Source + the matching selector for one side. None (after saying why) when there is nothing to compare."""
    source = st.segmented_control("Source", CKPT_SOURCES, default=CKPT_SOURCES[0], key=ckpt_key(side, "source"))
    source = source or CKPT_SOURCES[0]
    try:
        if source == "Bundled":
            choices = bundled_checkpoints()
            if not choices:
                st.info("No pretrained generators in assets/pretrained/ yet: pick a saved run or upload one.")
                return None
            names = list(choices)
            name = st.selectbox("Pretrained generator", names, index=_default_index(names, side),
                                key=ckpt_key(side, "bundled"))
            return _from_file(choices[name], name)
        if source == "Saved run":
            runs = list_runs(runs_dir())
            if not runs:
                st.info("No saved runs yet: train one on the Train page, race two here, or pick a bundled one.")
                return None
            run = st.selectbox("Saved run", runs, format_func=lambda r: r.name, key=ckpt_key(side, "run"))
            return _from_file(run.path, run.name)
        upload = st.file_uploader("GAN Arena checkpoint (.pt)", type=["pt"], key=ckpt_key(side, "upload"))
        if upload is None:
            st.info("Upload a `checkpoint.pt` written by the Train page or `python -m gan train`.")
            return None
        data = io.BytesIO(upload.getvalue())
        data.name = upload.name  # load_checkpoint names the file in its messages
        G, state = _load_upload(upload.file_id, data)
        return LoadedCheckpoint(G, f"upload:{upload.file_id}", Path(upload.name).stem, state)
    except CheckpointError as err:
        st.error(f"Cannot compare this file: {err}", icon=":material/error:")
        return None


def _from_file(path: Path, label: str) -> LoadedCheckpoint:
    mtime = Path(path).stat().st_mtime
    G, state = _load_file(str(path), mtime)
    return LoadedCheckpoint(G, f"{path}:{mtime}", label, state)


def noise_seed_input() -> int:
    st.session_state.setdefault(NOISE_SEED, 0)
    return int(st.number_input("Noise seed", 0, 2**31 - 1, step=1, key=NOISE_SEED,
                               help="Both generators draw their grid from this seed: the same z where the latent "
                                    "sizes match."))
