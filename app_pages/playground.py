"""2-D Playground: the whole game in one picture — real and fake points, D's map of the plane, G's manifold, and
the arrows that push the fakes — on the same engine, controls and step modes as the Train page."""

from __future__ import annotations

import streamlit as st

from gan.config import ConfigError
from arena.runner import RunnerSnapshot
from arena.worker import ToyJob, WorkerRunner
from gan.toy import ToyConfig, ToyView
from gan.train.toy import ToyTrainer
from ui.controls import status_text, forget_live_knobs, render_run_controls
from ui.dirac import render_dirac_section
from ui.charts import compact
from ui.playground import LAYERS, distance_figure, loss_figure, plane_figure
from ui.playground_form import (
    check_form,
    config_from_form,
    current_config,
    render_data_fields,
    render_model_fields,
    render_preset_picker,
    render_training_fields,
)
from ui.keys import Playground
from ui.session import start_worker
from ui.iteration_parts import live_game_graph
from ui.tour import autostart
from ui.state import session_slot
from ui.text import unused_link_keys

STEP_HELP = "While paused, see each player move on its own: a D step redraws the map, a G step moves the fakes."
# Streamlit forces a full garbage collection after every script run, fragment reruns included (the hidden option
# runner.postScriptGC); with torch and plotly loaded it walks ~400k objects, 150-250 ms holding the GIL. Five of those
# a second starve the training thread (~20 it/s instead of ~700), so the picture comes five times a second only on a
# server configured with `[runner] postScriptGC = false`, and once a second otherwise (benchmarks/playground.py).
REFRESH_S = 1.0 if st.get_option("runner.postScriptGC") else 0.2
CURVES_REFRESH_S = 1.0  # the curves change slowly; redrawing them costs more than the plane
WAITING = ("queued", "starting")  # a run waiting for its slot: the picture does not move, poll once a second
STATUS_TEXT = {"queued": "Waiting for a free training slot", "starting": "Starting", "running": "Training",
               "paused": "Paused", "finished": "Finished", "stopped": "Stopped", "diverged": "Diverged",
               "failed": "Failed"}


def runner() -> WorkerRunner | None:
    return session_slot().runner(Playground.RUNNER)


@st.cache_data(max_entries=32, show_spinner=False)
def preview(config: ToyConfig) -> ToyView:
    """The picture before training: the data, an untrained G's points and an untrained D's map."""
    return ToyTrainer(config.replace(view_every_s=0.0)).view()


# ------------------------------------------------------------------------------------------ button callbacks
def on_start() -> None:
    try:
        config = config_from_form()
    except ConfigError as err:
        st.session_state[Playground.ERROR] = str(err)
        return
    st.session_state[Playground.ERROR] = None
    st.session_state[Playground.RUN_CONFIG] = config
    forget_live_knobs(Playground.RUNNER)
    start_worker(Playground.RUNNER, ToyJob(config), "2-D Playground")


# ------------------------------------------------------------------------------------------ page sections
def render_form() -> None:
    with st.expander("Data and noise", expanded=runner() is None, icon=":material/scatter_plot:"):
        render_data_fields()
    with st.expander("Models", icon=":material/account_tree:"):
        render_model_fields()
    with st.expander("Training", icon=":material/tune:"):
        render_training_fields()
    st.session_state[Playground.ERROR] = check_form()
    if st.session_state[Playground.ERROR]:
        st.error(f"Cannot start: {st.session_state[Playground.ERROR]}", icon=":material/error:")


def live_view(numbers: bool = True) -> None:
    """The fast part: status, the plane and its numbers (`numbers`), five times a second."""
    r = runner()
    snap = r.snapshot() if r is not None else None
    if snap is not None and snap.status != st.session_state.get(Playground.SEEN_STATUS):
        # Redraw the whole page once: the buttons (Pause -> Resume, the Steps), or the rate of a run that started.
        st.session_state[Playground.SEEN_STATUS] = snap.status
        st.rerun()
    view = current_view(r, snap)
    if snap is not None:
        render_status(snap)
    layers = st.session_state.get(Playground.LAYERS, LAYERS)
    # theme=None: Streamlit's theming pass over the figure in the browser would halve the pictures per second
    st.plotly_chart(plane_figure(view, layers), key=Playground.chart("plane"), width="stretch", theme=None)
    if numbers:
        render_numbers(view, snap)


def live_curves(stacked: bool = False) -> None:
    """The slow part: the loss and distance curves, once a second; `stacked` (the projector view): one above the
    other, small, in a narrow column."""
    r = runner()
    snap = r.snapshot() if r is not None else None
    records, events = (snap.records, snap.events) if snap is not None else ([], [])
    losses, distance = loss_figure(records, events), distance_figure(current_view(r, snap).metrics, events)
    if stacked:
        st.plotly_chart(compact(losses, PROJECTOR_CHART_PX), key=Playground.chart("projector_losses"), width="stretch")
        st.plotly_chart(compact(distance, PROJECTOR_CHART_PX), key=Playground.chart("projector_distance"),
                        width="stretch")
        return
    left, right = st.columns(2)
    left.plotly_chart(losses, key=Playground.chart("losses"), width="stretch")
    right.plotly_chart(distance, key=Playground.chart("distance"), width="stretch")


def current_view(r: WorkerRunner | None, snap: RunnerSnapshot | None) -> ToyView:
    """The worker's latest picture, or (before it has one) the untrained set-up's."""
    view = r.extras.get("latest_view") if r is not None else None
    if view is not None:
        return view
    run_config = st.session_state.get(Playground.RUN_CONFIG) if snap is not None else None
    try:
        return preview(run_config or config_from_form())
    except ConfigError:  # the form holds an impossible value (its error shows above): the last valid set-up
        return preview(current_config())


def render_status(snap: RunnerSnapshot) -> None:
    text = status_text(snap, STATUS_TEXT)
    budget = st.session_state[Playground.RUN_CONFIG].iterations if Playground.RUN_CONFIG in st.session_state else None
    parts = [text, f"iteration {snap.iteration:,}" + (f" of {budget:,}" if budget else "")]
    if snap.its_per_sec:
        parts.append(f"{snap.its_per_sec:,.0f} it/s")
    st.progress(min(1.0, snap.progress), text=" · ".join(parts))
    if snap.error:
        (st.error if snap.status in ("diverged", "failed") else st.warning)(snap.error, icon=":material/error:")


def render_numbers(view: ToyView, snap: RunnerSnapshot | None) -> None:
    last = snap.records[-1] if snap is not None and snap.records else None
    cols = [*st.columns(2), *st.columns(2)]  # two by two: four in a row cut their labels at 1280 px
    covered = int(round(view.coverage * len(view.modes)))
    cols[0].metric("Modes covered" if view.discrete_modes else "Regions covered", f"{covered} / {len(view.modes)}",
                   help="Modes (for datasets without separate modes: cells of the data) holding at least a tenth "
                        "of their even share of the fakes. Mode collapse shows here as a number.")
    cols[1].metric("JS divergence", f"{view.js:.2f} bits",
                   help="Jensen-Shannon divergence between the real and the fake points' histograms on a grid: "
                        "0 the same, 1 disjoint.")
    cols[2].metric("mean D(x), real", f"{last['d_real']:.2f}" if last else "–")
    cols[3].metric("mean D(G(z)), fake", f"{last['d_fake']:.2f}" if last else "–")


# ------------------------------------------------------------------------------------------ the projector view
PROJECTOR_CHART_PX = 190
PROJECTOR_HELP = ("The game on one screen, for a class: the plane, the two curves, the status and the run buttons; "
                  "the set-up one click away. The address bar keeps it (?view=projector).")


def projector_view(snap: RunnerSnapshot | None) -> None:
    """On one 1280x720 screen: the run buttons and the two curves on the left, the status and the plane on the
    right; the set-up and the numbers one click away (the projector view off)."""
    polling = snap is not None and snap.active
    left, right = st.columns([2, 3], gap="large")
    with left:
        render_run_controls(Playground.RUNNER, snap, on_start, step_help=STEP_HELP, compact=True, knobs=False)
        st.fragment(live_curves, run_every=CURVES_REFRESH_S if polling else None)(stacked=True)
    with right:
        waiting = polling and snap.status in WAITING
        st.fragment(live_view, run_every=(CURVES_REFRESH_S if waiting else REFRESH_S) if polling else None)(
            numbers=False)


# ------------------------------------------------------------------------------------------ the page
if not st.session_state.get(Playground.VIEW_READ):
    st.session_state[Playground.VIEW_READ] = True
    st.session_state[Playground.PROJECTOR] = st.query_params.get("view") == "projector"
projector = st.session_state.get(Playground.PROJECTOR, False)
if projector:
    st.query_params["view"] = "projector"  # the address bar keeps the view
    st.toggle("Projector view", key=Playground.PROJECTOR, help=PROJECTOR_HELP)
    r = runner()
    snapshot = r.snapshot() if r is not None else None
    st.session_state[Playground.SEEN_STATUS] = snapshot.status if snapshot else None
    projector_view(snapshot)
    st.stop()
st.query_params.pop("view", None)
st.title("2-D Playground")
unused_link_keys("playground", takes=("dirac.", "view"))
if autostart("playground"):  # a guided tour's step pressed Start
    on_start()
st.caption("The whole game in one picture: green points are real, orange ones are G's fakes, the background is D's "
           "opinion of every point, the mesh is where G sends a grid of noise, and the arrows show where G's loss "
           "pushes each fake.")
r = runner()
snapshot = r.snapshot() if r is not None else None
st.session_state[Playground.SEEN_STATUS] = snapshot.status if snapshot else None

st.toggle("Projector view", key=Playground.PROJECTOR, help=PROJECTOR_HELP)
# The knobs on the left, the picture on the right: at 1280x720 the picture is on screen from the start.
knobs, picture = st.columns([2, 3], gap="large")
with knobs:
    render_preset_picker()
    render_run_controls(Playground.RUNNER, snapshot, on_start, step_help=STEP_HELP, compact=True)
    render_form()

with picture:
    st.pills("Show", LAYERS, selection_mode="multi", default=list(LAYERS), key=Playground.LAYERS)
    polling = snapshot is not None and snapshot.active
    waiting = polling and snapshot.status in WAITING
    if polling:
        st.toggle("Live updates", value=True, key=Playground.LIVE_UPDATES,
                  help="Turn off to study the picture (zoom, hover) while training goes on in the background.")
        polling = st.session_state[Playground.LIVE_UPDATES]
    st.fragment(live_view, run_every=(CURVES_REFRESH_S if waiting else REFRESH_S) if polling else None)()
    st.fragment(live_curves, run_every=CURVES_REFRESH_S if polling else None)()

if snapshot is not None and snapshot.records:
    st.subheader("The game as a graph")
    st.fragment(live_game_graph, run_every=CURVES_REFRESH_S if polling else None)(Playground.RUNNER)

render_dirac_section()
