"""The Train page's hyperparameter form: grouped widgets built from the core Config, presets, and share links.

The current Config lives in session_state (`keys.Train.CONFIG`) and is the single source of truth; each widget's key
is `keys.Train.field(<field>)`. A link carries `preset`, the fields that differ from it, and `hide` / `show` lists of
controls.
"""

from __future__ import annotations

import dataclasses
import typing
import urllib.parse
from collections.abc import Mapping

import streamlit as st

from gan.config import (ARCHS, DATASETS, DEVICES, DIFFAUGMENT, G_LOSSES, OBJECTIVES, PRECISIONS, Config, ConfigError,
                        field_help)
from gan.data import OWN_IMAGES, channels_of
from gan.device import choose_precision, resolve_device
from gan.presets.train import LESSONS, lesson
from ui.controls import lr_input
from ui.keys import Train
from ui.state import server_limits
from ui.text import link_problems, single_values, tour_link
from ui.uploads import NEED_UPLOAD, render_image_upload, uploaded_images

CHOICES = {"arch": ARCHS, "dataset": DATASETS, "g_loss": G_LOSSES, "device": DEVICES, "precision": PRECISIONS,
           "objective": OBJECTIVES, "diffaugment": DIFFAUGMENT}

GROUPS: dict[str, tuple[str, ...]] = {
    "Model": ("arch", "latent_dim", "g_width", "d_width", "leaky_slope", "bn_momentum"),
    "Optimisation": ("lr_g", "lr_d", "beta1", "beta2", "batch_size", "d_steps", "g_ema"),
    "Losses": ("g_loss", "label_smoothing", "d_pretrain_steps"),
    "Stabilisers": ("objective", "spectral_norm", "r1", "r2", "gp", "diffaugment"),
    "Data": ("dataset", "image_size", "download", "data_fraction"),
    "Run": ("iterations", "epochs", "seconds", "seed", "device", "precision", "sample_every", "n_samples",
            "log_every"),
}
# Not on the form: data_dir and checkpoint_every are the server's business (the page saves every run at its end).
FORM_FIELDS = tuple(name for group in GROUPS.values() for name in group)
LINK_KEYS = {"preset", "hide", "show", "view"}  # what a Train link holds besides the form's fields
PROJECTOR_VIEW = "projector"  # ?view=projector opens the projector view

# What each knob does to the game: appended to the core's one-line help in the tooltips.
TEACHING = {
    "latent_dim": "More numbers in z give G more room for variety; very few (2-5) make the latent space easy to map.",
    "lr_g": "How big the forger's steps are. Too big and G overshoots; too small and D runs away with the game.",
    "lr_d": "How fast the detective learns. Much larger than lr_g and D wins: its accuracy sticks at 100 % and G "
            "stops learning.",
    "beta1": "Momentum carries old gradients into new steps; in a two-player game it makes the players circle "
             "each other, which is why GANs use 0.5.",
    "batch_size": "Bigger batches give smoother gradients and steadier curves, but fewer updates per second.",
    "d_steps": "k > 1 lets D catch up before each G move (seed 000's algorithm); too many and D wins outright.",
    "g_loss": "Early on D(G(z)) ≈ 0. There log(1 − D) is flat, so G gets almost no gradient; −log D is steep there. "
              "See the 'Why −log D?' chart.",
    "label_smoothing": "Real targets of 0.9 instead of 1 stop D from becoming over-confident, so G keeps a gradient.",
    "g_ema": "G's weights jitter from step to step as the two players chase each other; their running average "
             "draws cleaner digits sooner. Only what you see changes: training goes on with G itself.",
    "objective": "The seeds' cross-entropy game lets D grow ever more confident. The hinge stops pushing once a "
                 "verdict is safe; the Wasserstein critic measures a distance that shrinks as G improves; the "
                 "relativistic D only says which of a real and a fake looks more real.",
    "spectral_norm": "A D that can change its verdict sharply gives G useless, exploding gradients; capping each "
                     "layer's gain at 1 keeps its verdicts smooth, without touching the learning rates.",
    "r1": "Penalising D's slope at the real digits stops the two players circling the equilibrium forever (see the "
          "Dirac-GAN in the 2-D Playground). Too large and D goes flat and blind.",
    "r2": "The same penalty at the fakes: with R1, it is what lets R3GAN drop the old tricks.",
    "gp": "The Wasserstein critic must not be steeper than 1; the penalty pulls its gradient norm towards 1 on the "
          "lines between real and fake digits.",
    "diffaugment": "D sees shifted, cut-out, re-lit versions of every image, real and fake alike: it can no longer "
                   "memorise a few training digits, and G is not taught to draw the augmentations.",
    "data_fraction": "Few training digits (try 0.01: 50 of them) let D memorise them; the held-out digits show it.",
    "dataset": "The digits are where GANs are learnt. Shapes have known factors (which shape, how big, where): the "
               "Latent Explorer shows which of them each direction of z moves. Your own images: upload them below.",
    "image_size": "Bigger images are sharper but slower to learn: 32 is quick, 64 asks minutes more. The DCGAN "
                  "draws 28, 32 or 64 pixels.",
    "d_pretrain_steps": "A head start for D: it first learns real digits vs noise (seed 002).",
    "leaky_slope": "A leaky ReLU lets a little gradient through negative inputs, so no unit goes silent.",
    "bn_momentum": "How fast BatchNorm's running statistics (used to draw the samples) follow the training batches.",
    "seed": "The same seed gives the same run: use it to compare one change at a time.",
    "precision": "auto uses bf16 where this machine runs it natively (faster, results differ slightly) and fp32 "
                 "elsewhere; on a CPU without native bf16, forcing bf16 makes training many times slower.",
}

DOWNLOADABLE = ("mnist", "fashion-mnist")
UPLOADED = "uploaded"  # a run on the images uploaded in this tab: its folder gets their copy when it starts
_FLOAT_FORMATS = {"lr_g": "%.1e", "lr_d": "%.1e", "beta2": "%.4f", "g_ema": "%.3f", "data_fraction": "%.3f"}
_STEPS = {"lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.05, "beta2": 0.001, "g_ema": 0.001, "label_smoothing": 0.05,
          "leaky_slope": 0.01, "bn_momentum": 0.05, "epochs": 1.0, "seconds": 30.0, "r1": 0.1, "r2": 0.1,
          "gp": 1.0, "data_fraction": 0.01}
_TYPES = typing.get_type_hints(Config)


def help_text(name: str) -> str:
    teaching = TEACHING.get(name)
    return field_help()[name] + (f"\n\n{teaching}" if teaching else "")


def upload_domains(arch: str) -> tuple[str, ...]:
    """The image sets a run on the student's own images needs: two (A, B) for the CycleGAN, one for the others."""
    return ("A", "B") if arch == "cyclegan" else ("",)


def form_images(config: Config):
    """What a run of `config` trains on from this tab's uploads: the set, the CycleGAN's (A, B), or None."""
    if config.dataset not in OWN_IMAGES:
        return None
    sets = tuple(uploaded_images(domain) for domain in upload_domains(config.arch))
    return sets if len(sets) > 1 else sets[0]


def current_config() -> Config:
    if Train.CONFIG not in st.session_state:
        st.session_state[Train.CONFIG] = next(iter(LESSONS.values())).config
        st.session_state[Train.PRESET] = next(iter(LESSONS))
    return st.session_state[Train.CONFIG]


def apply_config(config: Config) -> None:
    """Make `config` the current one and put its values into the widgets."""
    st.session_state[Train.CONFIG] = config
    for name in FORM_FIELDS:
        st.session_state[Train.field(name)] = getattr(config, name)


def on_preset_change() -> None:
    apply_config(lesson(st.session_state[Train.PRESET]).config)


def render_preset_picker() -> None:
    current_config()
    st.selectbox("Preset", list(LESSONS), key=Train.PRESET, on_change=on_preset_change,
                 format_func=lambda slug: LESSONS[slug].name,
                 help="The seed defaults, and lessons that show a failure on purpose.")
    st.caption(LESSONS[st.session_state[Train.PRESET]].summary)


def render_form_fields(hidden: frozenset[str] = frozenset()) -> None:
    """The grouped widgets (inside the caller's st.form); hidden fields keep their current values."""
    config = current_config()
    groups = {title: [n for n in names if n not in hidden] for title, names in GROUPS.items()}
    groups = {title: names for title, names in groups.items() if names}
    if not groups:  # st.tabs needs at least one tab
        st.caption("This lesson's link fixes every setting: press Start.")
        return
    for tab, (title, names) in zip(st.tabs(list(groups)), groups.items()):
        with tab:
            cols = st.columns(3)
            for i, name in enumerate(names):
                with cols[i % 3]:
                    _field_widget(name, getattr(config, name))
            dataset = st.session_state.get(Train.field("dataset"), config.dataset)
            if title == "Data" and dataset in OWN_IMAGES:
                size = st.session_state.get(Train.field("image_size"), config.image_size)
                for domain in upload_domains(st.session_state.get(Train.field("arch"), config.arch)):
                    render_image_upload(size, rgb=channels_of(dataset) == 3, domain=domain)


def _field_widget(name: str, value) -> None:
    key = Train.field(name)
    if key not in st.session_state:
        st.session_state[key] = value
    label = name.replace("_", " ")
    kind = _TYPES[name]
    if name in ("lr_g", "lr_d"):
        lr_input(label, key, help=help_text(name), bounded=False, stacked=True)
    elif name in CHOICES:
        st.selectbox(label, CHOICES[name], key=key, help=help_text(name))
        if name == "precision":
            _precision_note(st.session_state[key], st.session_state.get(Train.field("device"), "auto"))
    elif name == "download":  # only full MNIST and Fashion-MNIST are ever downloaded
        dataset = st.session_state.get(Train.field("dataset"), current_config().dataset)
        st.toggle(label, key=key, help=help_text(name), disabled=dataset not in DOWNLOADABLE)
    elif kind is bool:
        st.toggle(label, key=key, help=help_text(name))
    elif kind in (int, int | None):
        st.number_input(label, step=1, min_value=None, key=key, help=help_text(name),
                        placeholder="not set" if kind is not int else None)
    else:
        st.number_input(label, step=_STEPS.get(name, 0.1), key=key, help=help_text(name),
                        format=_FLOAT_FORMATS.get(name, "%g"), placeholder="not set")


def _precision_note(precision: str, device: str) -> None:
    """What 'auto' picks on this machine and why; a warning when a forced bf16 will be slow here."""
    try:
        choice = choose_precision(precision, resolve_device(device))
    except ValueError:  # a device this machine lacks: the form's validation says so on Start
        return
    (st.warning if choice.warning else st.caption)(choice.reason[0].upper() + choice.reason[1:])


def config_from_form() -> Config:
    """The form's values on top of the current config; raises ConfigError with the core's message."""
    config = current_config()
    state = st.session_state
    values = {name: state[Train.field(name)] for name in FORM_FIELDS if Train.field(name) in state}
    for name, value in values.items():
        if _TYPES[name] in (float, float | None) and isinstance(value, int) and not isinstance(value, bool):
            values[name] = float(value)
    if values.get("dataset", config.dataset) in OWN_IMAGES:
        domains = upload_domains(values.get("arch", config.arch))
        if any(uploaded_images(domain) is None for domain in domains):
            raise ConfigError(NEED_UPLOAD + (" (both domains, A and B, for the CycleGAN)" if len(domains) > 1 else ""))
        # The run's own copies, once it has a folder (arena.worker.TrainJob)
        values.update(image_folder=UPLOADED, image_folder_b=UPLOADED if len(domains) > 1 else "")
    else:
        values.update(image_folder="", image_folder_b="")
    config = config.replace(**values).validate()
    server_limits().check_training(config)  # the server's limits (a LimitExceeded is a ConfigError)
    return config


# ---------------------------------------------------------------------------------------------- share links
def link_params(config: Config, preset_slug: str, hide: tuple[str, ...] = (), projector: bool = False
                ) -> dict[str, str]:
    """Query parameters that rebuild `config`: the preset, the fields that differ from it, the hidden controls, and
    the projector view where it is on."""
    base = lesson(preset_slug).config
    params = {"preset": preset_slug}
    for field in dataclasses.fields(Config):
        value = getattr(config, field.name)
        if field.name in FORM_FIELDS and value != getattr(base, field.name):
            params[field.name] = "" if value is None else str(value)
    if hide:
        params["hide"] = ",".join(hide)
    if projector:
        params["view"] = PROJECTOR_VIEW
    return params


def config_from_params(params: Mapping[str, str]) -> tuple[str, Config, frozenset[str], list[str]]:
    """(preset slug, config, hidden fields, problems) from a link; bad parts are reported and ignored."""
    problems = []
    slug = params.get("preset", next(iter(LESSONS)))
    if slug not in LESSONS:
        problems.append(f"unknown preset {slug!r}")
        slug = next(iter(LESSONS))
    config = lesson(slug).config
    for name in FORM_FIELDS:
        if name not in params:
            continue
        try:
            config = config.replace(**{name: _parse(name, params[name])}).validate()
        except (ValueError, ConfigError) as err:
            problems.append(f"{name}={params[name]!r}: {err}")
    hidden = _field_list(params.get("hide", ""), problems)
    if "show" in params:  # a lesson about one knob: everything else is hidden
        shown = _field_list(params["show"], problems)
        if shown:
            hidden |= frozenset(FORM_FIELDS) - shown
        else:  # a misspelt knob must not leave the students an empty form
            problems.append("show names no control, so every control is shown")
    return slug, config, hidden, problems


def _field_list(text: str, problems: list[str]) -> frozenset[str]:
    names = {n.strip() for n in text.split(",") if n.strip()}
    unknown = names - set(FORM_FIELDS)
    if unknown:
        problems.append(f"unknown control(s) {', '.join(sorted(unknown))}")
    return frozenset(names & set(FORM_FIELDS))


def _parse(name: str, text: str):
    kind = _TYPES[name]
    if not text.isascii():  # int("１") and int("١٢") are 1 and 12: a link of lookalike digits must not pass unseen
        raise ValueError("expected a number in plain digits 0-9")
    if text == "" and kind in (int | None, float | None):
        return None
    if kind is bool:
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError("expected true or false")
        return text.lower() in ("true", "1")
    if kind in (int, int | None):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number (got {text!r})") from None
    if kind in (float, float | None):
        return float(text)
    return text


def read_link_once() -> None:
    """On a tab's first visit, open the set-up its link describes."""
    if st.session_state.get(Train.LINK_READ):
        return
    st.session_state[Train.LINK_READ] = True
    if not st.query_params:
        return
    params, ambiguous = single_values(st.query_params)
    unknown = sorted(set(params) - set(FORM_FIELDS) - LINK_KEYS)
    if unknown:
        ambiguous.append(f"unknown setting(s) {', '.join(unknown)}")
    slug, config, hidden, problems = config_from_params(params)
    st.session_state[Train.PRESET] = slug
    apply_config(config)
    st.session_state[Train.HIDDEN] = hidden
    view = params.get("view")
    if view == PROJECTOR_VIEW:
        st.session_state[Train.PROJECTOR] = True
    elif view is not None:
        problems.append(f"view={view!r}: the one view a link can ask for is {PROJECTOR_VIEW!r}")
    link_problems(ambiguous + problems)


def write_link(config: Config, hide: tuple[str, ...] = ()) -> dict[str, str]:
    """Keep the address bar in step with the form, so copying it shares the set-up; returns the link's parameters."""
    params = link_params(config, st.session_state.get(Train.PRESET, next(iter(LESSONS))), hide,
                         projector=st.session_state.get(Train.PROJECTOR, False))
    if st.query_params.to_dict() != params | tour_link():
        st.query_params.from_dict(params | tour_link())  # the tour's place stays in the address bar
    return params


def share_url(params: Mapping[str, str]) -> str:
    """The whole link to this page with `params`: the address the browser opened, with the set-up's query."""
    page = (st.context.url or "").split("?")[0]
    return f"{page}?{urllib.parse.urlencode(params, safe=',')}"


def hidden_fields() -> frozenset[str]:
    return st.session_state.get(Train.HIDDEN, frozenset())
