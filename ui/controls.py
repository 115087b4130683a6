"""The run controls the Train page and the 2-D playground share: Start, Pause/Resume, Stop, the three Steps, and
the knobs that can change while training. Callbacks act on the tab's runner named `runner_name`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from arena.runner import RunnerSnapshot
from gan.diagnose import apply_remedy
from ui import keys
from ui.session import show_refusal
from ui.state import NO_RECORDS, session_slot

LIVE_KNOBS = ("lr_g", "lr_d", "d_steps")
# Pause, Resume and the Steps wait for the run to say it obeyed, so that the rerun their click triggers draws the new
# buttons, or the step's message and grid, at once. What they wait on is the run's state in the link's copy, which
# the link thread refreshes every arena.worker.POLL_S (0.25 s) and which offers nothing to block on (no event or
# condition), so the wait looks at it OBEY_POLL_S apart and returns as soon as the state is there: the worker obeys
# within a poll or one iteration. The bound only keeps a callback from holding the page when a run is slower (a
# DCGAN iteration on a busy CPU); the page's status fragment then draws the new state when it comes.
OBEY_WAIT_S = 1.5
OBEY_POLL_S = 0.05
# Stop waits for the run to end: `stop(wait=...)` joins the link thread, which returns the moment the run has been
# saved, has given its slot back and has published "stopped", in that order, so that the rerun draws the saved run
# and its downloads. The bound is for a worker that does not answer, which the link kills after
# arena.worker.STOP_GRACE_S (3 s): the status fragment shows its end when it comes.
STOP_WAIT_S = 5.0
STEP_HELP = ("See each player move on its own (a running game pauses first): Step plays one whole iteration, D step "
             "trains only the discriminator on one batch, G step only the generator.")


def forget_live_knobs(runner_name: str) -> None:
    """Call when a new run starts: the live knobs then show the new run's values."""
    for name in LIVE_KNOBS:
        st.session_state.pop(live_key(runner_name, name), None)


def live_key(runner_name: str, name: str) -> str:
    """The live knob `name`'s widget key now (it changes each time a cure sets the knobs: see apply_cure)."""
    return keys.live(runner_name, name, st.session_state.get(keys.live_generation(runner_name), 0))


def status_text(snap, words: dict[str, str]) -> str:
    """The status in words; while queued, the place in line, the scheduler's estimate of the wait and what the line
    waits for (a free slot, or memory)."""
    text = words[snap.status]
    if snap.status == "queued" and snap.queue_position:
        text += f": you are number {snap.queue_position} in line"
        wait = getattr(snap, "queue_wait_s", None)
        if wait is not None:
            text += f", about {_wait_words(wait)} to go"
        reason = getattr(snap, "queue_reason", None)
        if reason:
            text += f" ({reason})"
    return text


def _wait_words(seconds: float) -> str:
    if seconds < 60:
        return "a minute" if seconds > 30 else "half a minute"
    minutes = round(seconds / 60)
    return f"{minutes} minutes" if minutes > 1 else "a minute"


def render_run_controls(runner_name: str, snap: RunnerSnapshot | None, on_start: Callable[[], None], *,
                        step_help: str = STEP_HELP, compact: bool = False,
                        hidden: frozenset[str] = frozenset(), knobs: bool = True) -> None:
    """The control bar of the tab's training `runner_name`, which also names the page in the widget keys.

    compact: for a narrow column, the buttons without icons (with them, "Restart" and "Pause" were cut).
    hidden: knobs a lesson's link hides; their live versions stay hidden too.
    knobs: False leaves the live knobs out (the projector view keeps them one click away)."""
    icon = (lambda name: None) if compact else (lambda name: f":material/{name}:")  # noqa: E731
    runner = session_slot().runner
    active = snap is not None and snap.active
    paused = active and snap.status == "paused"
    steerable = active and snap.status in ("running", "paused")
    # Two rows of three, short labels: at 1280 px a row of six cut "Pause", "Step D only" and "Step G only" short.
    cols = st.columns(3)
    cols[0].button("Start" if not active else "Restart", type="primary", on_click=on_start, width="stretch",
                   icon=icon("play_arrow"), help="Start a new run with the settings below.")
    if active and not paused:
        cols[1].button("Pause", on_click=_pause_or_resume, args=(runner_name, "pause"), width="stretch",
                       icon=icon("pause"))
    elif paused:
        cols[1].button("Resume", on_click=_pause_or_resume, args=(runner_name, "resume"), width="stretch",
                       icon=icon("play_arrow"))
    cols[2].button("Stop", on_click=lambda: runner(runner_name).stop(wait=STOP_WAIT_S), disabled=not active,
                   width="stretch", icon=icon("stop"))
    for col, (kind, label) in zip(st.columns(3), (("iteration", "Step"), ("d", "D step"), ("g", "G step"))):
        # Enabled through the whole run, never switched on by Pause: a click that landed while the page redrew them
        # from disabled to enabled was lost (seen in Chromium, one click in three under load).
        col.button(label, on_click=step_once, args=(runner_name, kind), disabled=not steerable,
                   width="stretch", help=step_help, key=keys.step(runner_name, kind))
    show_refusal(runner_name)
    if knobs:
        render_live_knobs(runner_name, snap, hidden, per_row=2 if compact else 3)


def _pause_or_resume(runner_name: str, command: str) -> None:
    runner = session_slot().runner(runner_name)
    getattr(runner, command)()
    wanted = "paused" if command == "pause" else "running"
    _wait_for_run(runner, lambda snap: snap.status == wanted)


def step_once(runner_name: str, kind: str) -> None:
    """One step (a running game is paused first), waiting for the run to report it, so that the rerun the click
    triggers draws the step's message and grid at once (it took the status fragment's next poll, 1.2-1.3 s after the
    click)."""
    runner = session_slot().runner(runner_name)
    if runner.snapshot(since=NO_RECORDS).status == "running":
        _pause_or_resume(runner_name, "pause")
    before = runner.snapshot(since=NO_RECORDS).last_step
    runner.step(kind)
    # The step's own report, published after its record and grid: what the rerun draws (counting records instead
    # missed steps once a long run's records were thinned, and could catch the record before the report).
    _wait_for_run(runner, lambda snap: snap.last_step is not None and snap.last_step != before)


def _wait_for_run(runner, obeyed: Callable[[Any], bool]) -> None:
    """Return once `obeyed(snapshot)` holds or the run has ended, or after OBEY_WAIT_S (see OBEY_WAIT_S: why the
    link's copy is polled, and why the bound). The snapshots carry no records: nothing here reads them."""
    deadline = time.monotonic() + OBEY_WAIT_S
    while True:
        snap = runner.snapshot(since=NO_RECORDS)
        if obeyed(snap) or not snap.active or time.monotonic() >= deadline:
            return
        time.sleep(OBEY_POLL_S)


def step_headline(step: dict) -> str:
    """The last Step in one line, for the projector: the moving player's numbers on its own batch."""
    return _step_numbers(step) + "."


def step_meaning(step: dict) -> str:
    """What the last Step's numbers mean, in words (the headline gives the numbers). A D step or G step is measured
    on its own batch just before and just after the update (comparing with the previous record would compare two
    different batches)."""
    kind, before, after = step["kind"], step.get("before"), step.get("after")
    if kind in ("iteration", "parts"):
        return "Each player's loss is on the batch it learned from."
    if before is None:  # a trainer that cannot judge a batch again: the step's own number only
        return (f"Measured on the batch it learned from. Only {'the detective' if kind == 'd' else 'the forger'} "
                "moved; a dashed line marks the step on the curves.")
    player, loss = ("D", "d_loss") if kind == "d" else ("G", "g_loss")
    if after[loss] <= before[loss]:
        learned = ("D now tells this batch's real digits from its fakes better. Only the detective learned: G is as "
                   "it was" if kind == "d" else
                   "D is fooled more by the new fakes from the same noise. Only the forger learned: D is as it was")
        return f"{learned}; a dashed line marks the step on the curves."
    return (f"On this very batch {player}'s loss rose: Adam's momentum carried the step past the best point, the way "
            "the last steps were heading. Step again: the next steps usually turn it round.")


def _step_numbers(step: dict) -> str:
    where = f"at iteration {step['iteration']:,}"
    record, kind, before, after = step["record"], step["kind"], step.get("before"), step.get("after")
    if kind == "iteration":
        return (f"Step {where}: one whole iteration (D's steps, then G's): D's loss {record['d_loss']:.3f} · "
                f"G's loss {record['g_loss']:.3f}")
    if kind == "parts":
        return f"One iteration in parts {where}: go through its four parts under **The game as a graph**"
    player, loss = ("D", "d_loss") if kind == "d" else ("G", "g_loss")
    if before is None:
        return f"{player} step {where}: {player}'s loss {record[loss]:.3f}"

    def change(label: str, key: str) -> str:
        return f"{label} {before[key]:.3f} → {after[key]:.3f}"

    moved = ((change("D's loss", "d_loss"), change("D(real)", "d_real"), change("D(fake)", "d_fake")) if kind == "d"
             else (change("G's loss", "g_loss"), change("D(G(z))", "d_fake")))
    return f"{player} step {where}, on one batch: {' · '.join(moved)}"


LR_RANGE = (1e-6, 1.0)


def lr_input(label: str, key: str, *, help: str | None = None, on_change: Callable[..., None] | None = None,
             args: tuple = (), bounded: bool = True, stacked: bool = False, **widget) -> None:
    """A learning rate: typed, or halved / doubled with the buttons beside it (learning rates live on a log scale:
    steps of 1e-4 disabled "−" at 5e-5 and tripled it with "+"). The field's own +/- move by 1e-6.
    bounded: False lets any number be typed, for a form whose validation explains the range.
    stacked: the buttons under the field, for a narrow column (beside it, their labels did not fit)."""
    low, high = LR_RANGE if bounded else (None, None)
    if stacked:
        field = st.container()
        halve, double = st.columns(2, gap="small")
    else:
        field, halve, double = st.columns([4, 1, 1], gap="small", vertical_alignment="bottom")
    field.number_input(label, min_value=low, max_value=high, step=1e-6, format="%.1e", key=key, help=help,
                       on_change=on_change, args=args, **widget)
    halve.button("÷2", key=f"{key}.halve", on_click=_scale_lr, args=(key, 0.5, on_change, args), width="stretch",
                 help="Halve it")
    double.button("×2", key=f"{key}.double", on_click=_scale_lr, args=(key, 2.0, on_change, args), width="stretch",
                  help="Double it")


def _scale_lr(key: str, factor: float, on_change: Callable[..., None] | None, args: tuple) -> None:
    value = st.session_state.get(key)
    if value is None:
        return
    st.session_state[key] = min(LR_RANGE[1], max(LR_RANGE[0], float(value) * factor))
    if on_change is not None:
        on_change(*args)


def render_live_knobs(runner_name: str, snap: RunnerSnapshot | None, hidden: frozenset[str],
                      per_row: int = 3) -> None:
    """Steer the running game (nothing when no run is running or paused); each change is marked on the curves.
    `per_row`: 2 in a narrow column (three in a row left the ÷2 and ×2 buttons too narrow for their labels)."""
    if snap is None or snap.status not in ("running", "paused"):
        return
    shown = [name for name in LIVE_KNOBS if name not in hidden]
    if not shown:
        return
    st.caption("Change while training — each change is marked on the curves:")
    values = {"lr_g": snap.lr_g, "lr_d": snap.lr_d, "d_steps": snap.d_steps}
    cells = [cell for _ in range(0, len(shown), per_row) for cell in st.columns(per_row)]
    for col, name in zip(cells, shown):
        key = live_key(runner_name, name)
        st.session_state.setdefault(key, values[name])
        if name == "d_steps":
            col.number_input("d_steps (live)", min_value=1, max_value=100, step=1, key=key,
                             on_change=_on_live_change, args=(runner_name, name))
        else:
            with col:
                lr_input(f"{name} (live)", key, on_change=_on_live_change, args=(runner_name, name), stacked=True)


def apply_cure(runner_name: str, remedy: tuple[tuple[str, Any], ...]) -> None:
    """An alert's cure, as one click: the changes sent to the run, and shown in its live knobs.
    The knobs are shown as new widgets (their keys change): the browser still holds the old values for a moment, and
    a rerun it asks for meanwhile (a polling fragment's) sent them back as a change of the knobs, which undid the
    cure (seen on a busy machine: "d_steps 3→1" then "d_steps 1→3" on the curves)."""
    apply_remedy(session_slot().runner(runner_name), remedy)
    generation = keys.live_generation(runner_name)
    st.session_state[generation] = st.session_state.get(generation, 0) + 1
    for name, value in remedy:  # the knobs the cure leaves take the run's values when drawn (render_live_knobs)
        if name in LIVE_KNOBS:
            st.session_state[live_key(runner_name, name)] = value


def _on_live_change(runner_name: str, name: str) -> None:
    value = st.session_state[live_key(runner_name, name)]
    runner = session_slot().runner(runner_name)
    if name == "d_steps":
        runner.set_d_steps(int(value))
    else:
        runner.set_lr(**{name: float(value)})
