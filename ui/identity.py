"""Who the student in this tab is: a private token their browser keeps in a cookie (never in a link: a link shares a
set-up, not an identity), and the nickname they picked. Light: app.py draws the sidebar's nickname before torch.

The token reaches the server with every new tab (Streamlit hands a session its browser's cookies), so a reload or a
new tab is the same student. A browser that has no token yet gets one made here, which a tiny component writes
into the cookie (the server cannot set cookies on Streamlit's websocket).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from arena.classroom import Board, ClassError, Roster, display_name, new_token, student_id, valid_token
from arena.game_scores import GameLog
from ui.keys import Class
from ui.state import runs_dir

COOKIE = "gan_arena_student"
COOKIE_DAYS = 365  # a school year and then some
_WRITE_COOKIE_JS = f"""
export default function(component) {{
    const token = component.data && component.data.token;
    const held = document.cookie.split('; ').some((c) => c.startsWith('{COOKIE}='));
    if (token && !held) {{
        document.cookie = `{COOKIE}=${{token}}; max-age={COOKIE_DAYS * 86400}; path=/; SameSite=Strict`;
    }}
}}
"""


@dataclass(frozen=True)
class Student:
    id: str
    nickname: str | None

    @property
    def name(self) -> str:
        """How pages and the Class page call the student: the nickname, or a guest name from the id."""
        return display_name(self.id, self.nickname)


def _token() -> str:
    if Class.TOKEN not in st.session_state:
        cookie = st.context.cookies.get(COOKIE, "")
        st.session_state[Class.TOKEN] = cookie if valid_token(cookie) else new_token()
    return st.session_state[Class.TOKEN]


def current_student() -> Student:
    sid = student_id(_token())
    return Student(sid, roster().nickname_of(sid))


@st.cache_resource(show_spinner=False)
def _cookie_writer():
    return st.components.v2.component("gan_arena_student_cookie", js=_WRITE_COOKIE_JS)


def keep_token() -> None:
    """Write this browser's token into its cookie, once: while the tab's session did not arrive with it."""
    if st.context.cookies.get(COOKIE) != _token():
        with st.sidebar:  # it draws nothing: not in the page's own space
            _cookie_writer()(data={"token": _token()}, key="class.cookie_writer")


@st.cache_resource(show_spinner=False)
def _roster(folder: str) -> Roster:
    return Roster(folder)


@st.cache_resource(show_spinner=False)
def _board(folder: str) -> Board:
    return Board(folder)


@st.cache_resource(show_spinner=False)
def _game_log(folder: str) -> GameLog:
    return GameLog(folder)


def roster() -> Roster:
    return _roster(str(runs_dir()))


def game_log() -> GameLog:
    """The class's rounds of "Be the discriminator" (one log per runs folder, shared by every tab)."""
    return _game_log(str(runs_dir()))


def board() -> Board:
    return _board(str(runs_dir()))


def nickname_form() -> None:
    """The sidebar's 'You are …' line and the popover to pick (or change) a nickname."""
    student = current_student()
    with st.popover(f"You: {student.name}", icon=":material/person:", width="stretch"):
        st.text_input("Your nickname", value=student.nickname or "", max_chars=20, key=Class.NICKNAME,
                      help="How the teacher's Class page names your runs. Only you can use it while it is yours: "
                           "this browser remembers you (a cookie), so a reload or a new tab is still you.")
        st.button("Save", on_click=_claim, key="class.save_nickname")
        error = st.session_state.get(Class.NICKNAME_ERROR)
        if error:
            st.error(error)


def _claim() -> None:
    try:
        roster().claim(current_student().id, st.session_state.get(Class.NICKNAME, ""))
        st.session_state[Class.NICKNAME_ERROR] = None
    except ClassError as err:
        st.session_state[Class.NICKNAME_ERROR] = f"Not saved: {err}."


__all__ = ["COOKIE", "ClassError", "Student", "board", "current_student", "game_log", "keep_token", "nickname_form",
           "roster"]
