"""Train: pick a preset or tweak the knobs, press Start, and watch (and steer) the two networks' game live."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import streamlit as st

from gan.config import Config, ConfigError
from gan.data import OWN_IMAGES, SHAPES, words_for
from gan.shapes import SHAPES as SHAPE_KINDS
from gan.image_scores import FEATURES_NAME
from gan.diagnose import Alert, diagnose
from gan.imaging import grid_array, grid_image, png_bytes
from gan.presets.baseline import compares_with_baseline, load_baseline
from gan.presets.train import LESSONS
from arena.runner import RunnerSnapshot
from arena.worker import WorkerRunner, run_folder
from gan.train.build import live_grid_columns
from ui import charts, maths
from ui.controls import (
    apply_cure,
    forget_live_knobs,
    render_live_knobs,
    render_run_controls,
    status_text,
    step_headline,
    step_meaning,
)
from ui import keys
from ui.keys import Train
from ui.session import start_training
from ui.iteration_parts import render_game_section
from ui.tour import autostart
from ui.state import paced, session_slot
from ui.uploads import NEED_UPLOAD
from ui.train_form import (
    FORM_FIELDS,
    config_from_form,
    current_config,
    form_images,
    hidden_fields,
    read_link_once,
    render_form_fields,
    render_preset_picker,
    share_url,
    write_link,
)

GRID_SCALE = 4  # 28-px digits enlarged for a projector
STATUS_TEXT = {"queued": "Waiting for a free training slot", "starting": "Starting", "running": "Training",
               "paused": "Paused", "finished": "Finished", "stopped": "Stopped", "diverged": "Diverged",
               "failed": "Failed"}


WAITING = ("queued", "starting")
STATUS_EVERY_S = 1.0  # the status line: the iteration count ticks every second
# The samples and the curves: every redraw of the page's plotly charts costs the browser (at 1 s, 0.8 of a core
# here; on a laptop that both serves and shows the app, that came out of the training). A new sample grid comes
# every few seconds anyway.
CHARTS_EVERY_S = 2.0


def runner() -> WorkerRunner | None:
    return session_slot().runner(Train.RUNNER)


def run_config() -> Config:
    """The config the current run was started with (the form may have moved on since)."""
    r = runner()
    return r.config if r is not None and r.config is not None else current_config()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


# ------------------------------------------------------------------------------------------ button callbacks
def on_start() -> None:
    try:
        config = config_from_form()
    except ConfigError as err:
        st.session_state[Train.ERROR] = str(err)
        return
    st.session_state[Train.ERROR] = None
    set_follow(True)
    forget_live_knobs(Train.RUNNER)
    st.session_state[Train.RUN_PRESET] = st.session_state.get(Train.PRESET)
    label = config.arch if config.digits else f"{config.arch}-{config.dataset}"  # the run pickers tell them apart
    start_training(Train.RUNNER, config, label=label, preset=st.session_state.get(Train.PRESET),
                   images=form_images(config))


def set_follow(follow: bool) -> None:
    """Follow the run or hold the grid; each change gives the timeline and the switch new widgets (render_samples)."""
    if st.session_state.get(Train.FOLLOW, True) != follow:
        st.session_state[Train.FOLLOW_TURNS] = st.session_state.get(Train.FOLLOW_TURNS, 0) + 1
    st.session_state[Train.FOLLOW] = follow


def on_timeline_move(key: str, turn: int, last: int, drawn_at: int) -> None:
    """The user moved the timeline: the grid stays where they put it (back at the end, it follows again)."""
    chosen = st.session_state[key]
    if turn != st.session_state.get(Train.FOLLOW_TURNS, 0) or chosen == drawn_at:
        return  # a widget from before the last change, or the page's own value sent back (see render_samples)
    st.session_state[Train.TIMELINE_AT] = chosen
    set_follow(chosen >= last)


def on_follow_toggle(key: str, turn: int) -> None:
    if turn == st.session_state.get(Train.FOLLOW_TURNS, 0):
        set_follow(st.session_state[key])


# ------------------------------------------------------------------------------------------ page sections
def render_form() -> None:
    """The grouped knobs; the core's validation message shows right under them as soon as a value is impossible."""
    hidden = hidden_fields()
    with st.expander("Hyperparameters", expanded=runner() is None, icon=":material/tune:"):
        render_form_fields(hidden)
        if hidden:
            st.caption(f"This lesson's link hides {len(hidden)} of {len(FORM_FIELDS)} controls.")
    try:
        st.session_state[Train.CONFIG] = config_from_form()
        st.session_state[Train.ERROR] = None
    except ConfigError as err:
        st.session_state[Train.ERROR] = str(err)
    error = st.session_state.get(Train.ERROR)
    if error and error.startswith(NEED_UPLOAD):  # the next step of a run on your own images, not a mistake
        st.info(f"To start: {error[len('your own images: '):]}.", icon=":material/upload:")
    elif error:
        st.error(f"Cannot start: {error}", icon=":material/error:")


def render_share(link: str) -> None:
    with st.expander("Share this set-up", icon=":material/link:"):
        st.multiselect("Hide these controls from the students who open the link", FORM_FIELDS, key=Train.SHARE_HIDE,
                       help="A lesson about one knob: hide the rest.")
        st.code(link, language=None, wrap_lines=True)
        st.caption("Copy this link (the button at its right) and hand it out: it opens the same preset and values. "
                   "The address bar holds it too.")


def shared_hidden() -> tuple[str, ...]:
    """The controls the share link hides: those this tab's link hid, and those the teacher picked to hide."""
    return tuple(sorted(hidden_fields() | set(st.session_state.get(Train.SHARE_HIDE, ()))))


def run_header(snap: RunnerSnapshot | None, polling: bool) -> None:
    """The run buttons beside the status (every STATUS_EVERY_S) and its newest message: the top of a run's screen."""
    controls, status = st.columns([2, 3], gap="medium")
    with controls:
        render_run_controls(Train.RUNNER, snap, on_start, hidden=hidden_fields(), knobs=False, compact=True)
    with status:
        if snap is None:
            st.info("Press **Start**: the fixed-noise samples turn from static into digits.", icon=":material/info:")
        else:
            st.fragment(live_status, run_every=paced(STATUS_EVERY_S) if polling else None)()


def live_view(snap: RunnerSnapshot, polling: bool) -> None:
    """A run, its first screen at 1280x720: the buttons, the status and its message, then the grid beside the losses
    (every CHARTS_EVERY_S); under them the live knobs and every other chart."""
    run_header(snap, polling)
    if snap.status in WAITING:  # cheap while waiting: a class of queued pages must not load the server
        return
    st.fragment(live_grid_and_losses, run_every=paced(CHARTS_EVERY_S) if polling else None)()
    if offers_baseline():
        st.toggle(f"Before and after: the {charts.BASELINE_NAME}'s curves, dotted (the same seed without this "
                  "lesson's change)", key=Train.BASELINE,
                  help="Recorded once from the seed preset (seed 0) and cut at this run's iteration: the difference "
                       "between the lines is what the lesson's change did.")
    render_live_knobs(Train.RUNNER, snap, hidden_fields())  # outside the fragments: a rerun never cuts a typed value
    st.fragment(live_charts, run_every=paced(CHARTS_EVERY_S) if polling else None)()
    if run_config().arch != "cyclegan":  # the translator's game has two of each player: not this graph's
        render_game_section(Train.RUNNER, snap, live=polling, every_s=paced(CHARTS_EVERY_S))


def live_status() -> None:
    """The status line and its newest message, short enough for the first screen: the last step's numbers, or the
    first alert's advice with its one-click cure. What they mean comes under the grid (explain_status)."""
    snap = runner().snapshot()
    if snap.status != st.session_state.get(Train.SEEN_STATUS):
        # Redraw the whole page once: the buttons (Pause -> Resume), or the charts of a run that started.
        st.session_state[Train.SEEN_STATUS] = snap.status
        st.rerun()
    render_status(snap)
    if snap.status == "paused" and snap.last_step:
        st.info(step_headline(snap.last_step), icon=":material/footprint:")
    elif snap.status in WAITING:
        st.info("Your run starts as soon as a training slot is free; the samples and the curves appear then. "
                "Meanwhile, the Latent Explorer's bundled generators are ready to play with.",
                icon=":material/hourglass_top:")
    else:
        render_first_alert(snap)


def explain_status(snap: RunnerSnapshot) -> None:
    """Under the grid, in the normal view: what the last step's numbers mean, and why each alert happens."""
    if snap.status == "paused" and snap.last_step:
        st.caption(step_meaning(snap.last_step))
        return
    for alert in current_alerts(snap):
        st.caption(f"**{alert.title}:** {alert.explanation} **Try:** {alert.fix}")


def offers_baseline() -> bool:
    """Whether the run differs from the seed MLP GAN only in its lesson's focus (and budget), and the seed's curves
    are bundled."""
    lesson = LESSONS.get(st.session_state.get(Train.RUN_PRESET, ""))
    return lesson is not None and compares_with_baseline(run_config(), lesson.focus) and load_baseline() is not None


def baseline_for(snap: RunnerSnapshot) -> tuple[list[dict], list[dict]]:
    """The seed run's records and quality points up to this run's iteration, when the overlay is on."""
    baseline = load_baseline() if st.session_state.get(Train.BASELINE) and offers_baseline() else None
    if baseline is None:
        return [], []
    seen = baseline.until(snap.iteration)
    return seen.records, seen.quality


def live_grid_and_losses() -> None:
    """The grid beside the loss curves; at 1280x720 the grid ends on the first screen, under the buttons."""
    r = runner()
    snap = r.snapshot()
    left, right = st.columns([2, 3], gap="medium")
    with left:
        render_samples(r, snap)
    with right:
        before, _ = baseline_for(snap)
        st.plotly_chart(charts.loss_figure(snap.records, snap.events, baseline=before), key=Train.chart("loss"),
                        width="stretch")
        maths.render_maths("Losses", snap.records, partial(maths.loss_maths, run_config()), Train.maths("loss"))
    explain_status(snap)


def live_charts() -> None:
    """Every other chart: what D believes, the quality points, the lesson's own."""
    r = runner()
    snap = r.snapshot()
    before, quality_before = baseline_for(snap)
    left, right = st.columns(2, gap="medium")
    left.plotly_chart(charts.accuracy_figure(snap.records, snap.events, baseline=before), key=Train.chart("acc"),
                      width="stretch")
    right.plotly_chart(charts.d_output_figure(snap.records, snap.events, baseline=before), key=Train.chart("dout"),
                       width="stretch")
    with left:
        maths.render_maths("Discriminator accuracy", snap.records, partial(maths.accuracy_maths, run_config()),
                           Train.maths("acc"))
    with right:
        maths.render_maths("What D believes", snap.records, partial(maths.belief_maths, run_config()),
                           Train.maths("dout"))
    if run_config().arch == "cyclegan":  # a translator: its score is how well A -> B -> A gives A back
        st.plotly_chart(charts.reconstruction_figure(snap.quality), key=Train.chart("cycle"), width="stretch")
        return
    if run_config().arch == "sgan":
        render_semi_supervised(r)
    if run_config().digits:
        render_quality(snap, quality_before)
    else:
        render_data_scores(snap)
    render_why_log_d(snap)


def render_semi_supervised(r: WorkerRunner) -> None:
    """Ch. 7's lesson: D's class head, helped by the game, beats the same net trained on the 100 labels alone."""
    points = r.extras.get("classifier_history", [])
    left, right = st.columns([3, 1], gap="medium")
    left.plotly_chart(charts.semi_supervised_figure(points), key=Train.chart("sgan"), width="stretch")
    if points:
        gap = points[-1]["sgan_accuracy"] - points[-1]["baseline_accuracy"]
        right.metric("SGAN accuracy on 1,000 unseen digits", f"{points[-1]['sgan_accuracy']:.1%}",
                     delta=f"{gap * 100:+.1f} points vs 100 labels alone")


FIDELITY_CAPTION = ("Precision and density ask whether the samples look like real digits; recall and coverage ask "
                    "whether every kind of real digit gets drawn: mode collapse lowers recall, not precision.")
KID_CAPTION = ("KID measures the same gap as the FID, but without its bias at small samples, so the early points "
               "can be trusted too.")
MEMORISATION_CAPTION = ("A D that memorises its few training digits keeps calling them real while it starts to call "
                        "real digits it has never seen fake: the gap between the lines.")
WASSERSTEIN_CAPTION = ("Unlike the losses of the other objectives, the critic's estimate means something: it falls "
                       "as the samples get better, along with the classifier FID.")


def render_quality(snap: RunnerSnapshot, before: list[dict]) -> None:
    left, right = st.columns(2, gap="medium")
    left.plotly_chart(charts.quality_figure(snap.quality, baseline=before), key=Train.chart("quality"),
                      width="stretch")
    with left:
        maths.render_maths("Sample quality", snap.quality, maths.quality_maths, Train.maths("quality"),
                           unit="quality score")
    latest = snap.quality[-1]["class_histogram"] if snap.quality else None
    right.plotly_chart(charts.histogram_figure(latest), key=Train.chart("hist"), width="stretch")
    if snap.quality and "label_accuracy" in snap.quality[-1]:
        right.metric("Samples the classifier reads as the digit G was asked for",
                     f"{snap.quality[-1]['label_accuracy']:.0%}", help="Chance is 10 %.")
    left, right = st.columns(2, gap="medium")
    with left:
        st.plotly_chart(charts.fidelity_diversity_figure(snap.quality), key=Train.chart("prdc"), width="stretch")
        maths.render_maths("Fidelity and diversity", snap.quality, maths.fidelity_maths, Train.maths("prdc"),
                           unit="quality score")
        st.caption(FIDELITY_CAPTION)
    with right:
        st.plotly_chart(charts.kid_figure(snap.quality), key=Train.chart("kid"), width="stretch")
        maths.render_maths("KID", snap.quality, maths.kid_maths, Train.maths("kid"), unit="quality score")
        st.caption(KID_CAPTION)
    memorising = any("d_acc_held_out" in p for p in snap.quality)
    wasserstein = run_config().objective == "wasserstein"
    if memorising or wasserstein:
        left, right = st.columns(2, gap="medium")
        if memorising:
            left.plotly_chart(charts.memorisation_figure(snap.quality), key=Train.chart("memo"), width="stretch")
            left.caption(MEMORISATION_CAPTION)
        if wasserstein:
            right.plotly_chart(charts.wasserstein_figure(snap.records, snap.quality), key=Train.chart("w"),
                               width="stretch")
            right.caption(WASSERSTEIN_CAPTION)


OWN_IMAGES_CAPTION = ("No classifier knows what your images show, so these scores judge the look and copying only. "
                      f"KID here uses {FEATURES_NAME}: it falls as samples take on the training images' colours, "
                      "edges and layout, not whether they make sense. Under the green line, samples sit closer to a "
                      "training image than those images sit to each other: G is copying them.")
SHAPES_CAPTION = ("Every drawn shape's factors are known, so a small network trained on them (bundled, like the "
                  "digit classifier) reads each sample: which shape, how big, where{colour}. The dotted line is the "
                  "real shapes' share, a third each; 'unclear' counts the samples it cannot read as any shape (blobs, "
                  "early on). A missing shape is mode collapse; a G that draws everything in one place covers little "
                  "of x or y. Its FID is on a scale of its own: compare it along this run, or with other runs on "
                  "shapes, never with the digits' FID.")
NO_SCORE_CAPTION = ("No quality score for {dataset}: the bundled classifier knows digits only, and a score on "
                    "features that mean nothing here would mislead. Judge the samples by eye.")


def render_data_scores(snap: RunnerSnapshot) -> None:
    """The scores that mean something for a run on other images than digits (render_quality's digit scores do not)."""
    config = run_config()
    left, right = st.columns(2, gap="medium")
    if config.dataset in OWN_IMAGES:
        left.plotly_chart(charts.random_kid_figure(snap.quality), key=Train.chart("kid_random"), width="stretch")
        right.plotly_chart(charts.copies_figure(snap.quality), key=Train.chart("copies"), width="stretch")
        st.caption(OWN_IMAGES_CAPTION)
    elif config.dataset in SHAPES:
        latest = snap.quality[-1] if snap.quality else None
        left.plotly_chart(charts.quality_figure(snap.quality, features="shapes factor network",
                                                fid_name="factor-network FID"),
                          key=Train.chart("quality"), width="stretch")
        right.plotly_chart(charts.histogram_figure(latest["shape_histogram"] if latest else None, kinds=SHAPE_KINDS,
                                                   kind="shape", unclear=True), key=Train.chart("hist"),
                           width="stretch")
        if latest and "label_accuracy" in latest:
            right.metric("Samples the factor network reads as the shape G was asked for",
                         f"{latest['label_accuracy']:.0%}", help="Chance is a third.")
        left, right = st.columns(2, gap="medium")
        left.plotly_chart(charts.coverage_figure(latest), key=Train.chart("coverage"), width="stretch")
        right.caption(SHAPES_CAPTION.format(colour=", what colour" if config.channels == 3 else ""))
    else:
        st.caption(NO_SCORE_CAPTION.format(dataset=config.dataset))
    if any("d_acc_held_out" in p for p in snap.quality):
        plural = words_for(config.dataset).plural
        left, _ = st.columns(2, gap="medium")
        left.plotly_chart(charts.memorisation_figure(snap.quality, plural=plural), key=Train.chart("memo"),
                          width="stretch")
        left.caption(MEMORISATION_CAPTION.replace("digits", plural))


def render_status(snap: RunnerSnapshot) -> None:
    parts = [status_text(snap, STATUS_TEXT), *budget_parts(snap, run_config())]
    if snap.its_per_sec:
        parts.append(f"{snap.its_per_sec:,.0f} it/s")
    if snap.eta_seconds is not None and snap.active:
        parts.append(f"ETA {_duration(snap.eta_seconds)}")
    st.progress(min(1.0, snap.progress), text=" · ".join(parts))
    if snap.status in ("diverged", "failed"):
        st.error(snap.error, icon=":material/error:")
    elif snap.error:
        st.warning(snap.error)
    if snap.saved_to:
        st.success(f"Saved as **{Path(snap.saved_to).name}**: open it in the Latent Explorer or Compare.",
                   icon=":material/save:")


def budget_parts(snap: RunnerSnapshot, config: Config) -> list[str]:
    """Where the run stands against the budget that will end it: "iteration 3,305 of 30,000" only where the
    iterations end it first; a lesson that ends on time says "1 min 10 s of 4 min of training" (the bar follows the
    same budget)."""
    budget = config.iterations
    by_time = config.seconds is not None and (not budget or snap.elapsed / config.seconds >= snap.iteration / budget)
    if by_time:
        return [f"iteration {snap.iteration:,}", f"{_duration(snap.elapsed)} of {_duration(config.seconds)} of training"]
    return [f"iteration {snap.iteration:,}" + (f" of {budget:,}" if budget else ""),
            f"{_duration(snap.elapsed)} of training"]


def current_alerts(snap: RunnerSnapshot) -> list[Alert]:
    """The failures the run shows now, each with its cure from the run's live settings."""
    digit_scores = snap.quality if run_config().arch != "cyclegan" and run_config().digits else None
    knobs = {"lr_g": snap.lr_g, "lr_d": snap.lr_d, "d_steps": snap.d_steps}
    return diagnose(snap.records, digit_scores, g_loss=snap.g_loss, knobs=knobs)


def render_first_alert(snap: RunnerSnapshot) -> None:
    """The first failure the run shows (errors come first) and, where a live change cures it, that change as one
    click; why, and what else to try, come under the grid (explain_status)."""
    alerts = current_alerts(snap)
    if not alerts:
        return
    alert = alerts[0]
    show = st.error if alert.severity == "error" else st.warning
    # A lesson's link that hides a knob keeps it for the class to find: no button turns it for them.
    offered = (snap.status in ("running", "paused") and alert.remedy
               and not {name for name, _ in alert.remedy} & hidden_fields())
    # With the cure as a button, the title and the button fit the first screen (with the advice too, the grid was
    # pushed below the fold).
    show(f"**{alert.title}.**" if offered else f"**{alert.title}.** **Try:** {alert.fix}", icon=":material/school:")
    if offered and st.button(f"Apply: {alert.remedy_text()}", key=keys.remedy(Train.RUNNER, alert.key),
                             on_click=apply_cure, args=(Train.RUNNER, alert.remedy), icon=":material/healing:",
                             help="Make these changes to the running game now; each is marked on the curves."):
        st.rerun()  # the whole page: the live knobs show the new values


def render_samples(r: WorkerRunner, snap: RunnerSnapshot) -> None:
    iterations, grids = r.timeline()
    columns = live_grid_columns(run_config(), len(grids[-1]) if grids else 0)
    if not grids:
        if snap.samples is not None:
            st.image(grid_array(snap.samples, scale=GRID_SCALE), output_format="PNG", width="stretch")
        return
    # The follow state lives in plain session keys: a widget that Streamlit re-creates (the timeline's range grows
    # with every snapshot) or cleans up must not reset it. The browser's run_every timers send the values it holds
    # even while a run is under way: over a slow link a value the page had just drawn came back as the old one, as if
    # the user had moved it, and the grid jumped between held and following. So the page never writes to a widget:
    # each change of the follow state draws the widgets under new keys, a callback from an older one is ignored, and
    # so is a value equal to the one the page drew.
    follow = st.session_state.setdefault(Train.FOLLOW, True)
    turn = st.session_state.get(Train.FOLLOW_TURNS, 0)
    last = len(grids) - 1
    index = last if follow else min(st.session_state.get(Train.TIMELINE_AT, last), last)
    what = ("Rows: plain digits A, translated to thick (A → B), and back (A → B → A)"
            if run_config().arch == "cyclegan" else "Fixed noise")
    step = snap.last_step
    after = ", after a G step" if step and step["kind"] == "g" and step["iteration"] == iterations[index] else ""
    where = ("following the run" if follow else
             "not following the run: move the timeline to the end or turn on Follow live to catch up")
    # G itself beside its average only where that is the lesson: elsewhere (the fast preset) it halved the grid.
    run_lesson = LESSONS.get(st.session_state.get(Train.RUN_PRESET, ""))
    live = r.extras.get("live_samples") if follow and run_lesson and run_lesson.shows_live_g else None
    if live is not None:  # the EMA lesson: the average's grid beside the live G's, the same noise
        averaged, alive = st.columns(2, gap="small")
        averaged.image(grid_array(grids[index], nrow=columns, scale=GRID_SCALE), output_format="PNG",
                       width="stretch", caption=f"Moving average of G's weights (shown and saved), iteration "
                                            f"{iterations[index]:,}")
        alive.image(grid_array(live, nrow=columns, scale=GRID_SCALE), output_format="PNG", width="stretch",
                    caption="G itself, the same noise: the average smooths out its step-to-step jitter")
    else:
        st.image(grid_array(grids[index], nrow=columns, scale=GRID_SCALE), output_format="PNG", width="stretch",
                 caption=f"{what}, iteration {iterations[index]:,}{after} — {where}")
    if last > 0:  # picks a snapshot by its index, labelled with its iteration
        key = Train.timeline(turn, last if follow else None)
        st.select_slider("Timeline (iteration)", range(last + 1), value=index, key=key,
                         format_func=lambda i: f"{iterations[i]:,}", on_change=on_timeline_move,
                         args=(key, turn, last, index), help="Scrub back through earlier snapshots of the same noise.")
    key = Train.follow_toggle(turn)
    st.toggle("Follow live", value=follow, key=key, on_change=on_follow_toggle, args=(key, turn))


def render_why_log_d(snap: RunnerSnapshot) -> None:
    g_loss = run_config().g_loss
    left, right = st.columns([3, 2], gap="medium")
    left.plotly_chart(charts.why_log_d_figure(snap.fake_probs, g_loss), key=Train.chart("whylogd"), width="stretch")
    with right:
        st.markdown(
            "#### Why −log D?\n"
            "The generator wants D(G(z)) → 1. Early on, D easily spots fakes: D(G(z)) ≈ 0, at the left.\n\n"
            "There the **minimax** loss log(1 − D) is almost flat: its slope, the gradient G learns from, is "
            "tiny, so G stalls. The **non-saturating** loss −log D is steepest exactly there, so G gets a strong "
            "push while it is worst (seed 000).\n\n"
            f"The dots are this batch's fakes on the loss in use (**{g_loss}**)."
        )


def render_downloads(r: WorkerRunner, snap: RunnerSnapshot) -> None:
    if snap.active:
        return
    st.subheader("Downloads")
    cols = st.columns(4)
    if snap.samples is not None:
        samples = snap.samples
        cols[0].download_button("Sample grid (PNG)", lambda: png_bytes(grid_image(samples, scale=GRID_SCALE)),
                                file_name="samples.png", mime="image/png", on_click="ignore",
                                icon=":material/image:")
    folder = run_folder(snap)  # the final save, or what a worker that died had saved
    if folder is not None:
        for col, name, label, mime in ((cols[1], "checkpoint.pt", "Checkpoint", "application/octet-stream"),
                                       (cols[2], "progress.gif", "Progress GIF", "image/gif"),
                                       (cols[3], "metrics.csv", "Metrics CSV", "text/csv")):
            path = folder / name
            if path.exists():
                col.download_button(label, path.read_bytes, file_name=f"{folder.name}_{name}", mime=mime,
                                    on_click="ignore", icon=":material/download:")


# ------------------------------------------------------------------------------------------ the projector view
PROJECTOR_CHART_PX = 190  # two charts stacked beside the grid: the grid's height at 1280 px wide


def projector_view(r: WorkerRunner | None, snap: RunnerSnapshot | None) -> None:
    """What a class watches, on one 1280x720 screen: the run buttons, the status and its message, the grid (large)
    and the two curves every lesson reads (the losses, and what D believes of real and fake); the rest one click
    away under them."""
    polling = snap is not None and snap.active
    run_header(snap, polling)
    if r is not None and snap.status not in WAITING:
        st.fragment(projector_charts, run_every=paced(CHARTS_EVERY_S) if polling else None)()
    with st.expander("Set-up, live knobs and every chart: switch the projector view off", icon=":material/tune:"):
        render_preset_picker()
        render_form()


def projector_charts() -> None:
    r = runner()
    snap = r.snapshot()
    iterations, grids = r.timeline()
    grid, curves = st.columns(2, gap="medium")
    with grid:
        shown = grids[-1] if grids else snap.samples
        if shown is not None:
            columns = live_grid_columns(run_config(), len(shown))
            at = iterations[-1] if grids else snap.sample_iteration
            st.image(grid_array(shown, nrow=columns, scale=GRID_SCALE), output_format="PNG", width="stretch",
                     caption=f"Fixed noise, iteration {at:,}")
    with curves:
        st.plotly_chart(charts.compact(charts.loss_figure(snap.records, snap.events), PROJECTOR_CHART_PX),
                        key=Train.chart("projector_loss"), width="stretch")
        st.plotly_chart(charts.compact(charts.d_output_figure(snap.records, snap.events), PROJECTOR_CHART_PX),
                        key=Train.chart("projector_dout"), width="stretch")
        # Just under the first screen (it has no room left): one row that wraps, so no label is cut.
        with st.container(horizontal=True, gap="small"):
            maths.render_maths("Losses", snap.records, partial(maths.loss_maths, run_config()),
                               Train.maths("projector_loss"))
            maths.render_maths("What D believes", snap.records, partial(maths.belief_maths, run_config()),
                               Train.maths("projector_dout"))


# ------------------------------------------------------------------------------------------ the page
read_link_once()
if autostart("train"):  # a guided tour's step pressed Start
    on_start()
projector = st.session_state.get(Train.PROJECTOR, False)
r = runner()
if not projector and r is None:  # during a run the first screen is the run's (the sidebar still says Train)
    st.title("Train")
snapshot = r.snapshot() if r is not None else None
st.session_state[Train.SEEN_STATUS] = snapshot.status if snapshot else None
st.toggle("Projector view", key=Train.PROJECTOR,
          help="Everything the class watches on one screen, in large type: the grid, two curves, the status and its "
               "message, the run buttons. The address bar keeps it (?view=projector).")
if projector:
    projector_view(r, snapshot)
    write_link(current_config(), shared_hidden())
    st.stop()

if r is None:  # the set-up first: a preset, the knobs, then Start
    top_left, top_right = st.columns([1, 2], gap="large")
    with top_left:
        render_preset_picker()
    with top_right:
        render_run_controls(Train.RUNNER, snapshot, on_start, hidden=hidden_fields())
    render_form()
    params = write_link(current_config(), shared_hidden())
    render_share(share_url(params))
    st.info(f"Pick a preset, then press **Start**. The fixed-noise samples will turn from static into "
            f"{words_for(current_config().dataset).plural}.", icon=":material/info:")
else:  # a run: its buttons, status, message and grid first, on the first screen; the set-up under them
    polling = snapshot.active and st.session_state.get(Train.LIVE_UPDATES, True)
    live_view(snapshot, polling)
    if snapshot.active:
        st.toggle("Live updates", value=True, key=Train.LIVE_UPDATES,
                  help="Turn off to study a chart (zoom, hover) while training goes on in the background.")
    render_downloads(r, snapshot)
    st.subheader("Set-up")
    render_preset_picker()
    render_form()
    params = write_link(current_config(), shared_hidden())
    render_share(share_url(params))
