"""Class: the teacher's view of every run of the class, the projector, and what to hand every student (a lesson
link, a challenge). Protected by the teacher's key."""

import streamlit as st

from arena.class_runs import SORTS
from ui.class_page import (REFRESH_S, challenge_form, challenge_ranking, current_rows, how_to_enable,
                           lesson_form, nicknames_and_retention, projector, run_actions, runs_table, sorted_rows,
                           teacher_key, unlock_form)
from ui.keys import Class

st.title("Class", anchor=False)
key = teacher_key()
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
    rows = current_rows()
    projected = next((row for row in rows if row.name == st.session_state.get(Class.PROJECTED)), None)
    if projected is not None:
        st.button("Back to the class", icon=":material/arrow_back:", on_click=st.session_state.pop,
                  args=(Class.PROJECTED, None))
        projector(projected)
        return
    live = sum(row.live for row in rows)
    st.caption(f"{len(rows)} run{'s' if len(rows) != 1 else ''} · {live} training or waiting · refreshed every "
               f"{REFRESH_S:g} s")
    rows = sorted_rows(rows)
    runs_table(rows)
    run_actions(rows)
    challenge_ranking(rows)


runs, push, challenge, people = st.tabs(["The class's runs", "Hand out a link", "Challenge", "Nicknames & storage"])
with runs:
    st.selectbox("Sort", list(SORTS), key=Class.SORT, width=260)
    the_class()
with push:
    lesson_form()
with challenge:
    challenge_form()
with people:
    nicknames_and_retention()
