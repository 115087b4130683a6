"""The Compare page's widgets and caches (its session_state keys are ui.keys.Compare).

The race set-up: a race preset fills two sides' key fields, a shared seed and dataset, and the budget; each side
is its architecture's classroom config (`gan.presets.races.base_config`) with those fields overridden. The checkpoint
pickers: ui.generator_picker, one per side. Functions draw widgets and return plain values (Configs, a RaceBudget,
loaded generators); the maths is in gan/.
"""

from __future__ import annotations

import streamlit as st
import torch
from torch import nn

from arena.worker import RaceJob, WorkerRunner
from gan.data import FIXED_28, SHAPES
from gan.config import (DIFFAUGMENT, G_LOSSES, NOISE_ARCHS, OBJECTIVES, PRECISIONS, Config, ConfigError,
                        field_help)
from gan.presets.races import RACES, base_config
from arena.scoring import race_scorer
from gan.quality import QualityScore
from gan.race import BUDGET_UNITS, RaceBudget
from ui.controls import lr_input
from ui.generator_picker import LoadedGenerator, generator_picker
from ui.keys import Compare
from ui.session import runs_dir, start_worker
from ui.state import server_limits
from ui.state import session_slot

RACE_ARCHS = tuple(a for a in NOISE_ARCHS if a != "sgan")  # a race trains plain GANTrainers

SIDES = ("a", "b")
SIDE_FIELDS = ("arch", "g_loss", "lr_g", "lr_d", "beta1", "d_steps", "batch_size", "label_smoothing", "precision",
               "objective", "spectral_norm", "r1", "r2", "gp", "diffaugment", "data_fraction", "g_ema")
FLOAT_FIELDS = {"lr_g", "lr_d", "beta1", "label_smoothing", "r1", "r2", "gp", "data_fraction", "g_ema"}
UNIT_NAMES = {"seconds": "Equal training time", "iterations": "Equal iterations"}
# The set-up outlives a visit to another page or to the checkpoint view, where its widgets are not drawn.
KEEP = {"persist_state": "session"}


# ------------------------------------------------------------------------------------------ the race set-up
def _fill_side(side: str, config: Config) -> None:
    for name in SIDE_FIELDS:
        value = getattr(config, name)
        st.session_state[Compare.side(side, name)] = float(value) if name in FLOAT_FIELDS else value


def apply_race(slug: str) -> None:
    """Put a race preset's labels, side fields and budget into the widgets."""
    race = RACES[slug]
    for side, label, config in zip(SIDES, race.labels, race.configs):
        st.session_state[Compare.side(side, "label")] = label
        _fill_side(side, config)
    st.session_state[Compare.UNIT] = race.budget.unit
    st.session_state[Compare.SECONDS if race.budget.unit == "seconds" else Compare.ITERATIONS] = (
        float(race.budget.amount) if race.budget.unit == "seconds" else int(race.budget.amount))
    st.session_state[Compare.SEED] = race.configs[0].seed
    st.session_state[Compare.DATASET] = race.configs[0].dataset


def init_race_state() -> None:
    """Start from the default race (MLP GAN vs DCGAN) on a tab's first visit; later the set-up's widgets keep their
    values across pages by themselves (`persist_state="session"`)."""
    if Compare.RACE not in st.session_state:
        st.session_state[Compare.RACE] = next(iter(RACES))
        st.session_state[Compare.SECONDS] = 90.0
        st.session_state[Compare.ITERATIONS] = 3000
        apply_race(st.session_state[Compare.RACE])


def _on_race_change() -> None:
    apply_race(st.session_state[Compare.RACE])


def _on_arch_change(side: str) -> None:
    """A new architecture brings its own defaults (a DCGAN's d_width and lr are not an MLP's)."""
    _fill_side(side, base_config(st.session_state[Compare.side(side, "arch")]))


def race_picker() -> str:
    st.selectbox("Race", list(RACES), key=Compare.RACE, format_func=lambda slug: RACES[slug].name,
                 on_change=_on_race_change, help="A ready-made pair of configurations; change any field of either "
                 "side below.", **KEEP)
    st.caption(RACES[st.session_state[Compare.RACE]].summary)
    return st.session_state[Compare.RACE]


def budget_ui() -> RaceBudget:
    """The budget, the same for both sides, and the shared seed and data."""
    unit = st.radio("Budget", BUDGET_UNITS, key=Compare.UNIT, horizontal=True, format_func=UNIT_NAMES.get, **KEEP,
                    help="Equal training time is fair between architectures of different speed (on a CPU the "
                         "DCGAN does ~1 iteration for the MLP's 20). Equal iterations suits two runs of one "
                         "architecture.")
    left, mid, right = st.columns(3)
    if unit == "seconds":
        amount = left.number_input("Seconds of training per side", 1.0, 3600.0, step=15.0, format="%.0f",
                                   key=Compare.SECONDS, help="Both sides share the CPU and take turns: the race "
                                   "takes a little over twice this on the clock.", **KEEP)
    else:
        amount = left.number_input("Iterations per side", 1, 1_000_000, step=100, key=Compare.ITERATIONS, **KEEP)
    wall = RaceBudget(unit, float(amount) if unit == "seconds" else int(amount)).wall_seconds()
    st.session_state[Compare.WALL_TIME] = wall
    mid.number_input("Seed (both sides)", 0, 2**31 - 1, step=1, key=Compare.SEED, help=field_help()["seed"], **KEEP)
    right.selectbox("Data (both sides)", RACE_DATASETS, key=Compare.DATASET, help=RACE_DATA_HELP, **KEEP)
    return RaceBudget(unit, float(amount) if unit == "seconds" else int(amount))


RACE_DATASETS = (*FIXED_28, *SHAPES)  # your own images are uploaded on the Train page, for one run
RACE_DATA_HELP = ("The images both sides train on: the 5,000 embedded digits (offline), full MNIST or Fashion-MNIST "
                  "(downloaded only where the teacher allows), or shapes drawn with known factors (grey or colour, "
                  "28x28), scored by the bundled factor network.")


def side_ui(side: str) -> None:
    """One side's name, architecture and key fields."""
    key = lambda name: Compare.side(side, name)  # noqa: E731
    help_ = field_help()
    st.text_input("Name", key=key("label"), max_chars=40, **KEEP)
    st.selectbox("Architecture", RACE_ARCHS, key=key("arch"), on_change=_on_arch_change, args=(side,),
                 help=help_["arch"] + " Changing it loads that architecture's defaults below.", **KEEP)
    left, right = st.columns(2)
    with left:
        lr_input("lr_g", key("lr_g"), help=help_["lr_g"], stacked=True, **KEEP)
    with right:
        lr_input("lr_d", key("lr_d"), help=help_["lr_d"], stacked=True, **KEEP)
    left.number_input("beta1", 0.0, 0.999, step=0.05, key=key("beta1"), help=help_["beta1"], **KEEP)
    right.number_input("d_steps", 1, 100, step=1, key=key("d_steps"), help=help_["d_steps"], **KEEP)
    left.number_input("batch_size", 1, 4096, step=16, key=key("batch_size"), help=help_["batch_size"], **KEEP)
    right.number_input("label_smoothing", 0.0, 0.49, step=0.05, key=key("label_smoothing"),
                       help=help_["label_smoothing"], **KEEP)
    left.selectbox("g_loss", G_LOSSES, key=key("g_loss"), help=help_["g_loss"], **KEEP)
    right.selectbox("precision", PRECISIONS, key=key("precision"), help=help_["precision"], **KEEP)
    with st.expander("Stabilisers (2017-2024)", expanded=_stabilised(side)):
        st.selectbox("objective", OBJECTIVES, key=key("objective"), help=help_["objective"], **KEEP)
        st.toggle("spectral norm of D", key=key("spectral_norm"), help=help_["spectral_norm"], **KEEP)
        left, right = st.columns(2)
        left.number_input("r1", 0.0, 1000.0, step=0.1, key=key("r1"), help=help_["r1"], **KEEP)
        right.number_input("r2", 0.0, 1000.0, step=0.1, key=key("r2"), help=help_["r2"], **KEEP)
        left.number_input("gp", 0.0, 1000.0, step=1.0, key=key("gp"), help=help_["gp"], **KEEP)
        right.number_input("g_ema", 0.0, 0.9999, step=0.001, format="%.3f", key=key("g_ema"), help=help_["g_ema"],
                           **KEEP)
        left.selectbox("diffaugment", DIFFAUGMENT, key=key("diffaugment"), help=help_["diffaugment"], **KEEP)
        right.number_input("data_fraction", 0.001, 1.0, step=0.01, format="%.3f", key=key("data_fraction"),
                           help=help_["data_fraction"], **KEEP)


def _stabilised(side: str) -> bool:
    """Open the stabilisers where the side uses one (a race about them), closed for the seeds' plain games."""
    defaults = Config()
    return any(st.session_state.get(Compare.side(side, name)) != getattr(defaults, name)
               for name in ("objective", "spectral_norm", "r1", "r2", "gp", "diffaugment", "data_fraction"))


def race_setup() -> tuple[tuple[str, str], list[Config], RaceBudget]:
    """The two labelled configs and the budget the widgets describe. Raises ConfigError naming side and field."""
    state = st.session_state
    labels = tuple(state[Compare.side(side, "label")].strip() or side.upper() for side in SIDES)
    seconds = state[Compare.UNIT] == "seconds"
    amount = float(state[Compare.SECONDS]) if seconds else int(state[Compare.ITERATIONS])
    budget = RaceBudget(state[Compare.UNIT], amount)
    budget.validate()
    sides = [{name: state[Compare.side(side, name)] for name in SIDE_FIELDS} for side in SIDES]
    # Shared, so that the grids show the same noise: the larger of the two architectures' sample batches.
    n_samples = max(base_config(fields["arch"]).n_samples for fields in sides)
    configs = []
    for label, fields in zip(labels, sides):
        fields.update(d_steps=int(fields["d_steps"]), batch_size=int(fields["batch_size"]))
        try:
            config = base_config(fields["arch"]).replace(**fields, seed=int(state[Compare.SEED]),
                                                         dataset=state[Compare.DATASET], n_samples=n_samples)
            configs.append(budget.apply(config).validate())
        except ConfigError as err:
            raise ConfigError(f"{label}: {err}") from None
    RaceJob(labels, configs, budget, str(runs_dir())).check(server_limits())  # LimitExceeded is a ConfigError
    return labels, configs, budget


def start_race(labels: tuple[str, str], configs: list[Config], budget: RaceBudget) -> WorkerRunner | None:
    """Start a race owned by this tab, in a worker process; each side is saved under runs_dir() when it ends."""
    return start_worker(Compare.RUNNER, RaceJob(labels, configs, budget, str(runs_dir())), "Compare")


def race_runner() -> WorkerRunner | None:
    return session_slot().runner(Compare.RUNNER)


# ------------------------------------------------------------------------------------------ checkpoints
@st.cache_resource(show_spinner="Scoring the samples…", max_entries=16)
def quality(key: str, _G: nn.Module, _config: Config) -> QualityScore | None:
    """The generator's quality on its own data's scorer (the digit classifier, the shapes' factor network), None
    where none means anything (cached per weights: `key` names them)."""
    scorer = race_scorer(_config)
    if scorer is None:
        return None
    with torch.inference_mode():
        return scorer(_G)


def checkpoint_picker(side: str) -> LoadedGenerator | None:
    """One side's generator: the MLP GAN on the left and the DCGAN on the right, to begin with."""
    return generator_picker(Compare.picker(side), label="Source", prefer="mlp" if side == "a" else "dcgan",
                            purpose="compare")


def noise_seed_input() -> int:
    st.session_state.setdefault(Compare.NOISE_SEED, 0)
    return int(st.number_input("Noise seed", 0, 2**31 - 1, step=1, key=Compare.NOISE_SEED,
                               help="Both generators draw their grid from this seed: the same z where the latent "
                                    "sizes match."))
