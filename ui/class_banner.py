"""What the teacher pushed, on every student's page: the lesson link (one click opens it) and the challenge, with
the student's place in it. Light: drawn before torch is loaded, from the board's file (arena.classroom.Board)."""

from __future__ import annotations

import streamlit as st

from arena.classroom import Challenge, Lesson
from ui.identity import board
from ui.keys import Class, Compare, Explorer, Playground, Train
from ui.text import plain

BOARD_POLL_S = 3.0  # a pushed link reaches every open page within this (a file's mtime read per page and poll)
PAGE_FILES = {"train": "app_pages/train.py", "explorer": "app_pages/explorer.py", "compare": "app_pages/compare.py",
              "playground": "app_pages/playground.py"}
# A page reads its link once per tab: opening a pushed lesson makes it read the new one.
READ_ONCE = {"train": Train.LINK_READ, "explorer": Explorer.LINK_CHECKED, "compare": Compare.VIEW_READ,
             "playground": Playground.VIEW_READ}


@st.fragment(run_every=BOARD_POLL_S)
def class_banner() -> None:
    lesson, challenge = board().lesson(), board().challenge()
    if lesson is not None and lesson.id not in st.session_state.get(Class.DISMISSED, ()):
        _lesson_banner(lesson)
    if challenge is not None:
        _challenge_banner(challenge)


def _lesson_banner(lesson: Lesson) -> None:
    with st.container(horizontal=True, vertical_alignment="center", key="class-lesson-banner", border=True):
        st.markdown(f":material/campaign: **Your teacher shared:** {plain(lesson.title, 80)}", width="stretch")
        if st.button("Open it", key=f"class.open.{lesson.id}", type="primary", icon=":material/open_in_new:"):
            _dismiss(lesson.id)  # opened: the banner has done its job
            open_link(lesson.page, lesson.params)
        st.button("Dismiss", key=f"class.dismiss.{lesson.id}", on_click=_dismiss, args=(lesson.id,))


def _challenge_banner(challenge: Challenge) -> None:
    from ui.identity import current_student
    from ui.state import class_place  # the class's live runs: read only where a challenge is on

    place = class_place(challenge.id, current_student().id)
    standing = f"You are **{place[0]} of {place[1]}**." if place else "Open it, then Start to enter."
    with st.container(horizontal=True, vertical_alignment="center", key="class-challenge-banner", border=True):
        st.markdown(f":material/emoji_events: **Challenge:** {plain(challenge.title, 40)} · lowest FID after "
                    f"{challenge.iterations:,} iterations wins. {standing}", width="stretch")
        if st.button("Open it", key=f"class.challenge.{challenge.id}", icon=":material/open_in_new:"):
            open_link("train", challenge.params)


def projecting() -> bool:
    """Whether this tab shows a page's projector view: the class's screen, where a banner would push the grid down."""
    return any(st.session_state.get(key) for key in (Train.PROJECTOR, Compare.PROJECTOR, Playground.PROJECTOR))


def open_link(page: str, params: dict[str, str]) -> None:
    st.session_state.pop(READ_ONCE[page], None)
    st.switch_page(PAGE_FILES[page], query_params=params)


def _dismiss(lesson_id: str) -> None:
    st.session_state[Class.DISMISSED] = (*st.session_state.get(Class.DISMISSED, ()), lesson_id)
