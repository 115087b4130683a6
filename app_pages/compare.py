"""Compare: race two GAN configurations on the same digits, seed and budget, live; or compare two saved generators."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from gan.config import ConfigError
from gan.data import DataWords, words_for
from gan.imaging import grid_array
from gan.race import contender_from_checkpoint, same_noise_samples, verdict
from arena.race_runner import RaceSnapshot, SideSnapshot
from ui import compare as figures
from ui.charts import compact
from ui.controls import status_text
from ui.keys import Compare
from ui.session import show_refusal
from ui.state import paced
from ui.text import unused_link_keys
from ui.compare_form import (
    SIDES,
    budget_ui,
    checkpoint_picker,
    init_race_state,
    noise_seed_input,
    quality,
    race_picker,
    race_runner,
    race_setup,
    side_ui,
    start_race,
)


MODES = ("Race two configurations", "Two saved generators")
GRID_SCALE = 3  # 28-px digits enlarged for a projector
MEASURED_PROGRESS = 0.03  # the time-to-go is estimated once this much of the race has run, from its own pace
STATUS_TEXT = {"queued": "Waiting for a free training slot", "starting": "Building both sides",
               "running": "Racing", "finished": "Finished", "stopped": "Stopped", "failed": "Failed"}


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


PROJECTOR_HELP = ("The race on one screen, for a class: both grids, the classifier FID and the losses of both, the "
                  "status and the buttons; the set-up one click away. The address bar keeps it (?view=projector).")


# ------------------------------------------------------------------------------------------ button callbacks
def on_start() -> None:
    try:
        labels, configs, budget = race_setup()
    except ConfigError as err:
        st.session_state[Compare.ERROR] = str(err)
        return
    st.session_state[Compare.ERROR] = None
    st.session_state[Compare.X_AXIS] = "elapsed" if budget.unit == "seconds" else "iteration"
    start_race(labels, configs, budget)


def on_stop() -> None:
    race_runner().stop(wait=5.0)


# ------------------------------------------------------------------------------------------ the race
def render_setup(snap: RaceSnapshot | None) -> None:
    active = snap is not None and snap.active
    top_left, top_right = st.columns([3, 1], gap="large")
    with top_left:
        race_picker()
    with top_right:
        st.button("Start race" if not active else "Restart race", type="primary", on_click=on_start,
                  width="stretch", icon=":material/sports_score:", help="Train both sides with the set-up below.")
        st.button("Stop", on_click=on_stop, disabled=not active, width="stretch", icon=":material/stop:")
    show_refusal(Compare.RUNNER)
    clock = st.empty()  # filled once the set-up below is read: the race's length before it starts
    with st.expander("Set-up: the budget, the shared data and the two sides", expanded=snap is None,
                     icon=":material/tune:"):
        budget_ui()
        columns = st.columns(2, gap="large")
        for column, side in zip(columns, SIDES):
            with column:
                st.markdown(f"**Side {side.upper()}**")
                side_ui(side)
    wall = st.session_state.get(Compare.WALL_TIME)
    if not active:
        clock.caption(f"This race takes about {_duration(wall)} on the clock: both sides train on one worker, taking "
                      "turns." if wall else "A race by iterations lasts as long as the slower side needs; the page "
                      "estimates the time to go once it runs.")
    try:
        race_setup()
        st.session_state[Compare.ERROR] = None
    except ConfigError as err:
        st.session_state[Compare.ERROR] = str(err)
    if st.session_state.get(Compare.ERROR):
        st.error(f"Cannot start: {st.session_state[Compare.ERROR]}", icon=":material/error:")


def live_view(projector: bool = False) -> None:
    """The race as it runs; `projector`: only the status, both grids and two curves, on one 1280x720 screen."""
    r = race_runner()
    if r is None:
        st.info(f"Press **Start race**: both sides train on the same {race_words(None).plural}, in the same order, "
                "for the same budget, and their samples of the same noise appear side by side.",
                icon=":material/info:")
        return
    snap = r.snapshot()
    if not snap.active and st.session_state.get(Compare.SEEN_STATUS) != snap.status:  # just ended: redraw the page once
        st.session_state[Compare.SEEN_STATUS] = snap.status
        st.rerun()
    render_status(snap)
    if not snap.sides:
        return
    if projector:
        projector_race(snap)
        return
    for column, side in zip(st.columns(2, gap="large"), snap.sides):
        with column:
            render_side(side)
    x = st.session_state.get(Compare.X_AXIS, "elapsed")
    curves = [(s.label, s.records) for s in snap.sides]
    scores = [(s.label, s.quality) for s in snap.sides]
    words = race_words(r)
    if words.scorer:  # no score where none means anything (the verdict leaves its quality rows out too)
        left, right = st.columns(2, gap="medium")
        left.plotly_chart(figures.fid_overlay(scores, x, words), key=Compare.chart("fid"), width="stretch")
        right.plotly_chart(figures.recognisable_overlay(scores, x), key=Compare.chart("recognisable"),
                           width="stretch")
        left, right = st.columns(2, gap="medium")
        left.plotly_chart(figures.kid_overlay(scores, x), key=Compare.chart("kid"), width="stretch")
        if words.noun == "digit":  # precision and recall: the classifier's features of the real digits
            right.plotly_chart(figures.fidelity_diversity_overlay(scores, x), key=Compare.chart("prdc"),
                               width="stretch")
            right.caption("Precision: do the samples look like real digits? Recall: are all kinds of digits drawn? "
                          "Mode collapse lowers recall, not precision.")
    if any("d_acc_held_out" in p for _, points in scores for p in points):
        st.plotly_chart(figures.memorisation_overlay(scores, x, words), key=Compare.chart("memo"), width="stretch")
    left, right = st.columns(2, gap="medium")
    left.plotly_chart(figures.loss_overlay(curves, x), key=Compare.chart("loss"), width="stretch")
    right.plotly_chart(figures.accuracy_overlay(curves, x), key=Compare.chart("acc"), width="stretch")
    if snap.verdict:
        render_verdict(snap)


PROJECTOR_CHART_PX = 190


def projector_race(snap: RaceSnapshot) -> None:
    """Both sides' grids of the same noise, then the classifier FID and the losses of both, side by side."""
    x = st.session_state.get(Compare.X_AXIS, "elapsed")
    *grids, curves = st.columns([1, 1, 1.3], gap="medium")
    for column, side in zip(grids, snap.sides):
        if side.samples is not None:
            column.image(grid_array(side.samples, scale=GRID_SCALE), output_format="PNG", width="stretch",
                         caption=f"{side.label}{' ✓' if side.done and not side.error else ''}: iteration "
                                 f"{side.iteration:,}")
    with curves:
        scores = [(s.label, s.quality) for s in snap.sides]
        words = race_words(race_runner())
        if words.scorer:
            st.plotly_chart(compact(figures.fid_overlay(scores, x, words), PROJECTOR_CHART_PX),
                            key=Compare.chart("p_fid"), width="stretch")
        st.plotly_chart(compact(figures.loss_overlay([(s.label, s.records) for s in snap.sides], x),
                                PROJECTOR_CHART_PX), key=Compare.chart("p_loss"), width="stretch")


def race_words(r) -> DataWords:
    """How to speak of the race's images: from the race's own configs (the form may have moved on since)."""
    configs = getattr(getattr(r, "job", None), "configs", None)
    return words_for(configs[0].dataset if configs else st.session_state.get(Compare.DATASET, "mnist-embedded"))


def render_status(snap: RaceSnapshot) -> None:
    text = status_text(snap, STATUS_TEXT)
    parts = [text]
    if snap.budget:
        parts.append(snap.budget)
    parts.append(f"{_duration(snap.wall_elapsed)} on the clock")
    if snap.status == "running" and snap.progress >= MEASURED_PROGRESS:  # from the pace this machine keeps
        parts.append(f"about {_duration(snap.wall_elapsed * (1 - snap.progress) / snap.progress)} to go")
    st.progress(min(1.0, snap.progress), text=" · ".join(parts))
    if snap.status == "failed":
        st.error(snap.error, icon=":material/error:")
    elif snap.error:
        st.warning(snap.error)


def render_side(side: SideSnapshot) -> None:
    st.subheader(side.label + (" ✓" if side.done and not side.error else ""))
    metrics = [*st.columns(2), *st.columns(2)]  # two by two: four in half the page cut their values
    metrics[0].metric("Iterations", f"{side.iteration:,}")
    metrics[1].metric("it/s", f"{side.its_per_sec:,.1f}", help="Iterations per second of training, on average.")
    metrics[2].metric("Trained", _duration(side.elapsed), help="Seconds of training so far (scoring excluded).")
    metrics[3].metric("Params", f"{(side.params_g + side.params_d) / 1e6:.1f} M",
                      help=f"generator {side.params_g:,} + discriminator {side.params_d:,}")
    if side.samples is not None:
        latest = side.quality[-1] if side.quality else None
        caption = f"{side.arch.upper()}, fixed noise, iteration {side.iteration:,}"
        if latest:
            caption += f" · {race_words(race_runner()).scorer} FID {latest['fid']:.0f} at iteration " \
                       f"{latest['iteration']:,}"
        st.image(grid_array(side.samples, scale=GRID_SCALE), output_format="PNG", width="stretch", caption=caption)
    if side.error:
        st.error(side.error, icon=":material/error:")


def render_verdict(snap: RaceSnapshot) -> None:
    st.subheader("Verdict")
    if snap.status == "stopped":
        st.caption("Stopped early: these are the numbers of the moment it stopped.")
    labels = figures.unique_labels([c.label for c in snap.contenders])
    render_table(snap.contenders, snap.verdict, labels)
    if snap.saved_to:
        names = " and ".join(f"**{Path(p).name}**" for p in snap.saved_to)
        st.success(f"Saved as {names}: compare them again under *{MODES[1]}*, or open them in the Latent Explorer.",
                   icon=":material/save:")


def render_table(contenders, rows, labels) -> None:
    text = figures.headline(contenders)
    if text:
        st.markdown(f"#### {text}")
    st.table(figures.verdict_table(rows, labels))
    histograms = [(label, c.quality.class_histogram if c.quality else None) for label, c in zip(labels, contenders)]
    words = words_for(contenders[0].config.dataset)
    if words.scorer:
        st.plotly_chart(figures.histogram_pair(histograms, words), key=Compare.chart("hist"), width="stretch")


def race_section() -> None:
    init_race_state()
    r = race_runner()
    snap = r.snapshot() if r is not None else None
    st.session_state[Compare.SEEN_STATUS] = snap.status if snap else None
    render_setup(snap)
    polling = snap is not None and snap.active
    left, right = st.columns([3, 1])
    left.radio("Curves against", list(figures.X_AXES), format_func=figures.X_AXES.get, horizontal=True,
               key=Compare.X_AXIS,
               help="Training time is the fair clock of a race by time; iterations that of a race by iterations.")
    if polling:
        right.toggle("Live updates", value=True, key=Compare.LIVE_UPDATES,
                     help="Turn off to study a chart (zoom, hover) while the race goes on in the background.")
        polling = st.session_state[Compare.LIVE_UPDATES]
    st.fragment(live_view, run_every=paced(1.0) if polling else None)()


# ------------------------------------------------------------------------------------------ two checkpoints
def checkpoints_section() -> None:
    loaded = []
    for column, side in zip(st.columns(2, gap="large"), SIDES):
        with column:
            st.markdown(f"**Side {side.upper()}**")
            loaded.append(checkpoint_picker(side))
    if None in loaded:
        return
    seed = noise_seed_input()
    if loaded[0].G.latent_dim != loaded[1].G.latent_dim:
        st.caption("The two latent sizes differ, so the grids cannot show the same z; both come from the same seed.")
    labels = figures.unique_labels([x.label for x in loaded])
    configs = [x.state["config"] for x in loaded]
    same_data = configs[0].dataset == configs[1].dataset
    if not same_data:
        st.warning(f"These two generators learnt different images ({configs[0].dataset} and {configs[1].dataset}): "
                   "their quality scores do not compare, so the verdict leaves them out.", icon=":material/warning:")
    contenders = [contender_from_checkpoint(label, x.state, quality(x.key, x.G, x.state["config"]) if same_data
                                            else None) for label, x in zip(labels, loaded)]
    for column, x, c in zip(st.columns(2, gap="large"), loaded, contenders):
        with column:
            st.subheader(c.label)
            metrics = [*st.columns(2), *st.columns(2)]
            metrics[0].metric("Iterations", f"{c.iteration:,}")
            metrics[1].metric("Training time", "—" if c.elapsed is None else _duration(c.elapsed))
            metrics[2].metric("Generator parameters", f"{c.params_g / 1e6:.2f} M")
            st.image(grid_array(same_noise_samples(x.G, 64, seed), scale=GRID_SCALE), output_format="PNG",
                     width="stretch", caption=f"{c.config.arch.upper()}, noise seed {seed}")
    st.subheader("Verdict")
    render_table(contenders, verdict(*contenders), labels)
    curves = [(label, figures.history_records(x.state.get("history", {}))) for label, x in zip(labels, loaded)]
    left, right = st.columns(2, gap="medium")
    left.plotly_chart(figures.loss_overlay(curves, "iteration"), key=Compare.chart("checkpoints_loss"), width="stretch")
    right.plotly_chart(figures.accuracy_overlay(curves, "iteration"), key=Compare.chart("checkpoints_acc"),
                       width="stretch")


# ------------------------------------------------------------------------------------------ the page
if not st.session_state.get(Compare.VIEW_READ):
    st.session_state[Compare.VIEW_READ] = True
    st.session_state[Compare.PROJECTOR] = st.query_params.get("view") == "projector"
if st.session_state.get(Compare.PROJECTOR):
    st.query_params["view"] = "projector"  # the address bar keeps the view
    st.toggle("Projector view", key=Compare.PROJECTOR, help=PROJECTOR_HELP)
    init_race_state()
    r = race_runner()
    snap = r.snapshot() if r is not None else None
    st.session_state[Compare.SEEN_STATUS] = snap.status if snap else None
    start, stop, _ = st.columns([1, 1, 2])
    active = snap is not None and snap.active
    start.button("Start race" if not active else "Restart race", type="primary", on_click=on_start,
                 width="stretch", help="Train both sides with the set-up the normal view shows.")
    stop.button("Stop", on_click=on_stop, disabled=not active, width="stretch")
    show_refusal(Compare.RUNNER)
    st.fragment(live_view, run_every=paced(1.0) if active else None)(projector=True)
    st.stop()
st.query_params.pop("view", None)
st.title("Compare")
unused_link_keys("compare")
st.toggle("Projector view", key=Compare.PROJECTOR, help=PROJECTOR_HELP)
_plural = race_words(race_runner()).plural
st.caption(f"Two GANs, the same {_plural} in the same order, the same seed and the same budget: which one draws "
           f"better {_plural}, and at what cost?")
mode = st.segmented_control("What to compare", MODES, default=MODES[0], key=Compare.MODE) or MODES[0]
if mode == MODES[0]:
    race_section()
else:
    checkpoints_section()
