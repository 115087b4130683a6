"""Be the discriminator: sixteen digits, half real, half drawn by G; the student ticks the fakes and sees their score
beside D's on the same images, round after round, against their live training or a bundled generator."""

import streamlit as st

from ui.game import (intro, describe_opponent, ensure_round, history_chart, opponent_picker, opponents, picked,
                     results, round_buttons, round_grid, totals)
from ui.keys import Game

st.title("Be the discriminator", anchor=False)
choices = opponents()
if not choices:
    st.error("Nothing to play against: start a training on the Train page (the bundled generators are missing from "
             "assets/pretrained/).", icon=":material/error:")
    st.stop()
opponent = picked(choices)
shown = ensure_round(opponent, choices)
score = st.session_state.get(Game.SCORE)
if score is not None:  # the result where the instructions stood: the grid and the buttons stay on a 720-px screen
    results(score)
else:
    st.markdown(intro(shown))
error = st.session_state.get(Game.ERROR)
if error:
    st.warning(error, icon=":material/hourglass_empty:")
if shown is not None:
    round_grid(shown, score)
with st.container(horizontal=True, vertical_alignment="bottom", gap="medium", wrap=False):
    round_buttons(shown, choices, opponent)
    opponent_picker(choices)
    st.caption(describe_opponent(shown))

if shown is not None:  # this tab's rounds against the opponent on screen, under the fold
    chart, numbers = st.columns([3, 2], gap="medium")
    with chart:
        history_chart(shown)
    with numbers:
        totals(shown)
