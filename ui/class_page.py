"""The teacher's Class page, its parts: the key, the class's runs (table, projector, actions), what to push to the
class (a lesson link, a challenge), nicknames and retention. The page (app_pages/classroom.py) composes them."""

from __future__ import annotations

import base64
import dataclasses
import os

import streamlit as st

from arena.class_runs import SORTS, ClassRun, class_runs, ranked
from arena.classroom import Challenge, ClassError, KeyGuard, Lesson, recently_pruned, set_shared
from arena.game_scores import by_player, describe_tally, tally
from gan.imaging import grid_image, png_bytes
from gan.presets.train import LESSONS
from ui.charts import compact, loss_figure
from ui.identity import board, game_log, roster
from ui.keys import Class
from ui.state import browser_id, runs_dir, slot_registry
from ui.text import plain
from ui.train_form import FORM_FIELDS, link_params

KEY_VARIABLE = "GAN_ARENA_TEACHER_KEY"
REFRESH_S = 2.0  # the class's table follows the runs this often
PROJECTOR_SCALE = 2  # the projected grid's pixels (28-pixel digits drawn 2x), shown PROJECTOR_GRID_PX wide
PROJECTOR_GRID_PX = 500  # an 8x8 grid that fits a 1280x720 screen's height below the page's header
PROJECTOR_CHART_PX = 300
STOPPED_BY_TEACHER = "Stopped by the teacher. The run was saved: the Latent Explorer can open it."


# ------------------------------------------------------------------------------------------ the key
def teacher_key() -> str | None:
    """The teacher's key: GAN_ARENA_TEACHER_KEY, else `teacher_key` in .streamlit/secrets.toml; None: not enabled."""
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if key:
        return key
    try:
        return str(st.secrets.get("teacher_key", "")).strip() or None
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):  # no secrets file
        return None


@st.cache_resource(show_spinner=False)
def key_guard(key: str) -> KeyGuard:
    return KeyGuard(key)


def how_to_enable() -> None:
    st.info(f"The Class page is for the teacher, and it is not enabled on this server. To enable it, give the "
            f"server a teacher key: start it with the environment variable `{KEY_VARIABLE}=<a long secret>`, or put "
            "`teacher_key = \"<a long secret>\"` in `.streamlit/secrets.toml`, then restart it. Keep the key to "
            "yourself: it lets its holder stop and share any student's run.", icon=":material/lock:")


def unlock_form(key: str) -> None:
    st.text_input("Teacher key", type="password", key=Class.KEY)
    st.button("Open the Class page", type="primary", on_click=_unlock, args=(key,))
    error = st.session_state.get(Class.KEY_ERROR)
    if error:
        st.error(error, icon=":material/block:")


def _unlock(key: str) -> None:
    given = st.session_state.get(Class.KEY, "")
    st.session_state[Class.KEY] = ""
    try:
        right = key_guard(key).check(browser_id(), given)
    except ClassError as err:
        st.session_state[Class.KEY_ERROR] = f"Refused: {err}."
        return
    st.session_state[Class.TEACHER] = right
    st.session_state[Class.KEY_ERROR] = None if right else "Wrong key."


# ------------------------------------------------------------------------------------------ the runs
def thumbnail(samples) -> bytes:
    return png_bytes(grid_image(samples))


def current_rows() -> list[ClassRun]:
    return class_runs(slot_registry().runners(), runs_dir(), thumbnail)


def data_url(png: bytes | None) -> str | None:
    return "data:image/png;base64," + base64.b64encode(png).decode() if png else None


def runs_table(rows: list[ClassRun]) -> None:
    """The class at a glance: one row per run, its newest grid as a thumbnail (all text shown as text)."""
    table = {
        "Samples": [data_url(row.thumbnail) for row in rows],
        "Student": [row.nickname for row in rows],
        "Run": [row.name for row in rows],
        "Preset": [(row.owner.preset if row.owner else None) or "" for row in rows],
        "Iteration": [row.iteration for row in rows],
        "FID": [row.fid for row in rows],
        "KID ×1000": [row.kid for row in rows],
        "Status": [row.status for row in rows],
        "Shared": [bool(row.owner and row.owner.shared) for row in rows],
    }
    st.dataframe(table, hide_index=True, width="stretch", row_height=64, column_config={
        "Samples": st.column_config.ImageColumn("Samples", width="small"),
        "FID": st.column_config.NumberColumn("FID", format="%.1f", help="Classifier FID: lower is better"),
        "KID ×1000": st.column_config.NumberColumn(format="%.1f"),
        "Iteration": st.column_config.NumberColumn(format="localized"),
    })


def sorted_rows(rows: list[ClassRun]) -> list[ClassRun]:
    order = st.session_state.get(Class.SORT) or next(iter(SORTS))
    return sorted(rows, key=SORTS[order])


def describe(row: ClassRun) -> str:
    return f"{row.nickname} · {row.name}"


def run_actions() -> None:
    """Pick a run; show it on the projector, stop it, share it with the class (or stop sharing it).

    Outside the table's refreshing fragment: redrawn every 2 s, the picker closed under the teacher's pointer."""
    rows = sorted_rows(class_runs(slot_registry().runners(), runs_dir()))  # brief rows: no thumbnails needed
    if not rows:
        return
    names = [row.name for row in rows]
    by_name = {row.name: row for row in rows}
    with st.container(horizontal=True, vertical_alignment="bottom"):
        picked = st.selectbox("Run", names, format_func=lambda name: describe(by_name[name]), key=Class.PICKED,
                              width=460)
        row = by_name[picked]
        st.button("Show on the projector", icon=":material/slideshow:", on_click=_project, args=(row.name,))
        st.button("Stop", icon=":material/stop:", disabled=not row.live, on_click=_stop, args=(row,))
        shared = bool(row.owner and row.owner.shared)
        st.button("Stop sharing" if shared else "Share with the class", icon=":material/share:",
                  disabled=row.owner is None or row.folder is None, on_click=_share, args=(row, not shared))


def _project(name: str) -> None:
    st.session_state[Class.PROJECTED] = name


def _stop(row: ClassRun) -> None:
    row.runner.stop(wait=None, reason=STOPPED_BY_TEACHER)
    st.session_state[Class.MESSAGE] = f"Asked {row.nickname}'s run {row.name} to stop; it saves as it ends."


def _share(row: ClassRun, shared: bool) -> None:
    try:
        owner = set_shared(row.folder, shared)
    except ClassError as err:
        st.session_state[Class.MESSAGE] = f"Not changed: {err}."
        return
    if row.runner is not None:
        row.runner.job.owner = owner
    st.session_state[Class.MESSAGE] = (f"{row.nickname}'s run {row.name} is " +
                                       ("shared: every student can open it in the Latent Explorer and Compare."
                                        if shared else "no longer shared."))


def projector(row: ClassRun) -> None:
    """One run on the class's screen (1280x720): its newest grid at the left, its numbers and losses beside it,
    following it while it trains."""
    snap = row.runner.peek() if row.runner is not None else None
    grid, numbers = st.columns([PROJECTOR_GRID_PX, 1280 - PROJECTOR_GRID_PX - 300], gap="medium")
    with grid:
        if snap is not None and snap.samples is not None:
            st.image(grid_image(snap.samples, scale=PROJECTOR_SCALE), width=PROJECTOR_GRID_PX)
        elif row.thumbnail:
            st.image(row.thumbnail, width=PROJECTOR_GRID_PX)
        else:
            st.info("No samples yet: the run is waiting for its turn or has just started.")
    with numbers:
        st.subheader(row.nickname, anchor=False)
        parts = [row.name, f"iteration {row.iteration:,}", row.status]
        if row.fid is not None:
            parts.append(f"classifier FID {row.fid:.1f}")
        st.markdown(" · ".join(plain(part, 60) for part in parts))
        if snap is not None and snap.records:
            st.plotly_chart(compact(loss_figure(snap.records, snap.events), PROJECTOR_CHART_PX),
                            key="class.projector_losses")


# ------------------------------------------------------------------------------------------ pushing to the class
def lesson_form() -> None:
    lesson = board().lesson()
    if lesson is not None:
        st.success(f"Every student's page shows: {plain(lesson.title, 80)} (opens {plain(lesson.page)} "
                   f"{plain(lesson.query, 100) if lesson.query else ''})", icon=":material/campaign:")
        st.button("Take it down", on_click=board().push_lesson, args=(None,))
    st.text_input("Link to hand out", key=Class.LESSON_LINK, placeholder="train?preset=mode-collapse",
                  help="A Train preset (train?preset=…) or any share link copied from a page of this app.")
    st.text_input("Title the students see", key=Class.LESSON_TITLE, max_chars=80)
    st.button("Push to every student", type="primary", icon=":material/campaign:", on_click=_push)


def _push() -> None:
    try:
        lesson = Lesson.from_link(st.session_state.get(Class.LESSON_LINK, ""),
                                  st.session_state.get(Class.LESSON_TITLE, ""))
    except ClassError as err:
        st.session_state[Class.MESSAGE] = f"Not pushed: {err}."
        return
    board().push_lesson(lesson)
    st.session_state[Class.MESSAGE] = f"Pushed {lesson.title!r}: every open page shows it within a few seconds."


def challenge_form() -> None:
    challenge = board().challenge()
    if challenge is not None:
        knobs = ", ".join(challenge.knobs) or "nothing but the seed they were given"
        st.success(f"Challenge on: {plain(challenge.title, 60)} — preset {plain(challenge.preset)}, "
                   f"{challenge.iterations:,} iterations, students may change {plain(knobs, 120)}.",
                   icon=":material/emoji_events:")
        st.button("End the challenge", on_click=board().set_challenge, args=(None,))
    st.text_input("Title", key=Class.CHALLENGE_TITLE, max_chars=60, placeholder="Best digits in 1,500 iterations")
    st.selectbox("Preset", list(LESSONS), format_func=lambda slug: LESSONS[slug].name, key=Class.CHALLENGE_PRESET)
    st.number_input("Budget (iterations)", 50, 100_000, 1_500, step=50, key=Class.CHALLENGE_ITERATIONS)
    st.multiselect("Knobs the students may change", FORM_FIELDS, key=Class.CHALLENGE_KNOBS,
                   default=["lr_g", "lr_d"])
    st.button("Start the challenge", type="primary", icon=":material/flag:", on_click=_start_challenge)


def _start_challenge() -> None:
    preset = st.session_state[Class.CHALLENGE_PRESET]
    iterations = int(st.session_state[Class.CHALLENGE_ITERATIONS])
    knobs = tuple(st.session_state.get(Class.CHALLENGE_KNOBS, ()))
    # Iterations, not seconds: on a shared server every run gets a different share of the cores.
    config = dataclasses.replace(LESSONS[preset].config, iterations=iterations, seconds=None, epochs=None)
    hidden = tuple(name for name in FORM_FIELDS if name not in knobs)
    title = st.session_state.get(Class.CHALLENGE_TITLE, "").strip() or f"{LESSONS[preset].name} in {iterations:,}"
    board().set_challenge(Challenge(preset, iterations, knobs, title, params=link_params(config, preset, hidden)))
    st.session_state[Class.MESSAGE] = f"The challenge {title!r} is on: every student's page shows it."


def challenge_ranking(rows: list[ClassRun]) -> None:
    challenge = board().challenge()
    if challenge is None:
        return
    entries = ranked(rows, challenge.id)
    st.markdown(f"**Ranking of the challenge** {plain(challenge.title, 60)} ({len(entries)} "
                f"entr{'ies' if len(entries) != 1 else 'y'})")
    if entries:  # a plain table: large text for the projector
        st.table({"Place": list(range(1, len(entries) + 1)), "Student": [row.nickname for row in entries],
                  "Run": [row.name for row in entries], "Iteration": [f"{row.iteration:,}" for row in entries],
                  "Classifier FID": [f"{row.fid:.1f}" if row.fid is not None else "not scored yet"
                                     for row in entries]}, hide_index=True)
    else:
        st.caption("No entries yet: a student's run enters when it keeps the challenge's rules.")


# ------------------------------------------------------------------------------------------ be the discriminator
def game_scores() -> None:
    """The class against D: every checked round of "Be the discriminator" added up, in large type for the
    projector, then each player's."""
    results = game_log().results()
    everyone = tally(results)
    if not everyone.rounds:
        st.caption("No rounds played yet: students play on the Be the discriminator page.")
        return
    with st.container(horizontal=True, gap="large"):
        if everyone.judged_images:
            st.metric("The class got right", f"{everyone.accuracy_on_judged:.0%}", width="content",
                      help="On the images of the rounds against a live training, where D judged the same images.")
            st.metric("D got right", f"{everyone.d_accuracy:.0%}", width="content")
        st.metric("Images judged by the class", f"{everyone.images:,}", width="content")
    st.markdown(describe_tally(everyone))
    players = by_player(results)
    tallies = list(players.values())
    st.dataframe({"Player": list(players), "Rounds": [t.rounds for t in tallies],
                  "Right, all rounds": [f"{t.accuracy:.0%}" for t in tallies],
                  "Right where D judged": [_share(t.accuracy_on_judged) for t in tallies],
                  "D on the same images": [_share(t.d_accuracy) for t in tallies]}, hide_index=True, width="stretch")
    st.button("Start the count afresh", key=Class.CLEAR_GAME, on_click=game_log().clear, icon=":material/restart_alt:",
              help="Forget every round played so far (a new lesson).")


def _share(value: float | None) -> str:
    return "no D" if value is None else f"{value:.0%}"


# ------------------------------------------------------------------------------------------ the class's people
def nicknames_and_retention() -> None:
    held = roster().nicknames()
    if held:
        name = st.selectbox("Free a nickname (its runs stay)", sorted(held), key="class.free_nickname")
        st.button("Free it", on_click=roster().release, args=(name,))
    else:
        st.caption("No student has picked a nickname yet (they do it in the sidebar).")
    pruned = recently_pruned(runs_dir())
    if pruned:
        st.markdown("**Removed by the retention rule** (newest first)")
        st.dataframe({"Run": [entry.name for entry in pruned],
                      "Student": [entry.nickname or "" for entry in pruned],
                      "Why": [entry.why for entry in pruned]}, hide_index=True, width="stretch")
