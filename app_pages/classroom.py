"""Class: the teacher's view of every run of the class, the projector, and what to hand every student (a lesson
link, a challenge). Protected by the teacher's key."""

import streamlit as st

from arena.class_runs import SORTS
from ui.class_page import (REFRESH_S, challenge_form, challenge_ranking, current_rows, game_scores, how_to_enable,
                           lesson_form, nicknames_and_retention, projector, run_actions, runs_table, sorted_rows,
                           teacher_key, unlock_form)
from ui.keys import Class

key = teacher_key()
projected = st.session_state.get(Class.PROJECTED) if st.session_state.get(Class.TEACHER) else None
if not projected:  # the projector's screen holds the run alone
    st.title("Class", anchor=False)
if key is None:
    how_to_enable()
    st.stop()
if not st.session_state.get(Class.TEACHER):
    unlock_form(key)
    st.stop()

message = st.session_state.pop(Class.MESSAGE, None)
if message:
    st.toast(message)


@st.fragment(run_every=REFRESH_S)
def the_class() -> None:
    rows = sorted_rows(current_rows())
    live = sum(row.live for row in rows)
    st.caption(f"{len(rows)} run{'s' if len(rows) != 1 else ''} · {live} training or waiting · refreshed every "
               f"{REFRESH_S:g} s")
    runs_table(rows)
    challenge_ranking(rows)


@st.fragment(run_every=REFRESH_S)
def on_the_projector(name: str) -> None:
    """One run for the whole class to see, instead of the Class page's tabs (the screen holds nothing else)."""
    row = next((row for row in current_rows() if row.name == name), None)
    if row is None:
        st.warning("This run is no longer on the server.")
        return
    projector(row)


if projected:
    st.button("Back to the class", icon=":material/arrow_back:", on_click=st.session_state.pop,
              args=(Class.PROJECTED, None))
    on_the_projector(projected)
    st.stop()

runs, push, challenge, game, people = st.tabs(["The class's runs", "Hand out a link", "Challenge",
                                              "Be the discriminator", "Nicknames & storage"])
with runs:
    st.selectbox("Sort", list(SORTS), key=Class.SORT, width=260)
    the_class()
    run_actions()
with push:
    lesson_form()
with challenge:
    challenge_form()
with game:
    st.fragment(game_scores, run_every=REFRESH_S)()
with people:
    nicknames_and_retention()
