"""Be the discriminator: the game's widgets and state. A round is drawn (gan.game) from the tab's live training, by
its worker at the run's current iteration, or here from a bundled generator; the student ticks the fakes, Check
scores them beside D, and each checked round goes into the class's log (arena.game_scores).

Every function here draws widgets or acts on session state; the round's maths is in gan/game.py.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import streamlit as st

from arena.game_scores import RoundResult, describe_tally, tally
from arena.worker import WorkerRunner
from gan.checkpoint import CheckpointError
from gan.config import NOISE_ARCHS
from gan.game import GameRound, RoundScore, draw_round, score_round
from gan.imaging import grid_array
from gan.latent import bundled_generators, training_images_of
from ui import charts
from ui.generator_picker import load_bundled
from ui.identity import current_student, game_log
from ui.keys import Game, Train
from ui.state import NO_RECORDS, session_slot

LIVE = "Your training"
PLAYABLE = ("running", "paused")  # a run whose worker holds G and D (queued or starting: not yet; ended: gone)
# A live round is drawn by the worker between two iterations and comes back with the link's next poll (0.25 s): the
# wait looks at the link's copy ROUND_POLL_S apart and returns as soon as the round is there. The bound is for a run
# whose iterations are slow (a DCGAN on a busy CPU): the page then says so, and New round asks again.
ROUND_WAIT_S = 10.0
ROUND_POLL_S = 0.05
COLUMNS = 8  # a round's 16 digits in two rows: the grid and the buttons fit a 1280x720 projector
TILE_SCALE = 4  # 28-px digits drawn 112 px (Streamlit only shrinks): readable from the back of the room
SHORT_NAMES = {"MLP GAN (seed 001)": "MLP GAN", "DCGAN (GANs in Action, ch. 4)": "DCGAN",
               "Conditional GAN (CGAN, GANs in Action, ch. 8)": "CGAN"}  # the picker's labels, one line at 1280 px
INTRO = ("Half of these 16 digits are real handwriting, half were drawn by the generator G. Tick the ones you think "
         "are **fake**, then press **Check**: do you spot more fakes than the discriminator D?")
INTRO_WITHOUT_D = ("Half of these 16 digits are real handwriting, half were drawn by the generator G. Tick the ones you "
                   "think are **fake**, then press **Check**: how many can you spot? (This generator comes without "
                   "its discriminator D: to play against D, start a training on the Train page.)")


def intro(shown: Round | None) -> str:
    """The instructions: against D where the round has one, else the student alone (a bundled generator)."""
    return INTRO_WITHOUT_D if shown is not None and shown.game.d_real is None else INTRO


class RoundUnavailable(RuntimeError):
    """A round could not be drawn; the message says why, for the page."""


@dataclass(frozen=True)
class Round:
    """The round on screen: the drawn round, whom it was against (a picker label), and its number in this tab (its
    marks are widgets of their own)."""

    game: GameRound
    opponent: str
    number: int
    source: str  # what this tab's history groups rounds by: the generator, or the live run's folder (a new run: anew)


# ------------------------------------------------------------------------------------------ opponents
def live_runner() -> WorkerRunner | None:
    """The tab's Train run while it has a G and a D to play with: running or paused, a GAN that draws digits."""
    runner = session_slot().runner(Train.RUNNER)
    if runner is None or runner.config is None or runner.config.arch not in NOISE_ARCHS:
        return None
    return runner if runner.snapshot(since=NO_RECORDS).status in PLAYABLE else None


def opponents() -> dict[str, str | None]:
    """What the student can play against, by picker label: the bundled generator's name, None for the live run."""
    choices: dict[str, str | None] = {LIVE: None} if live_runner() is not None else {}
    for name, path in bundled_generators().items():
        if path.exists():
            choices[SHORT_NAMES.get(name, name)] = name
    return choices


def picked(choices: dict[str, str | None]) -> str:
    """The opponent picked (read before the picker is drawn under the grid); where the picker has no value yet (a
    new visit to the page) or one no longer offered (a live run that ended), the round on screen's, else the first."""
    shown: Round | None = st.session_state.get(Game.ROUND)
    for opponent in (st.session_state.get(Game.OPPONENT), shown.opponent if shown else None):
        if opponent in choices:
            return opponent
    return next(iter(choices))


def opponent_picker(choices: dict[str, str | None]) -> None:
    """The picker; a new opponent gets a new round at once. Its default is the opponent on screen, so that a picker
    Streamlit makes anew (a live run came or went: other options) keeps it."""
    st.segmented_control("Play against", list(choices), default=picked(choices), required=True, key=Game.OPPONENT,
                         on_change=_new_round_against_picked, args=(choices,),
                         help="Your training: the G and D of the run on your Train page, as they are now. The "
                              "others: generators trained before the lesson (they come without their D).")


# ------------------------------------------------------------------------------------------ drawing a round
def new_round(opponent: str, choices: dict[str, str | None]) -> None:
    """Draw a round against `opponent` and put it on screen (its marks unticked); on failure, say why instead."""
    seed = secrets.randbelow(2**31)  # each student's own digits: nobody copies a neighbour's answers
    name = choices.get(opponent)
    try:
        game, source = _live_round(seed) if opponent == LIVE else (_bundled_round(name or "", seed), opponent)
    except (RoundUnavailable, CheckpointError) as err:
        st.session_state[Game.ERROR] = str(err)
        return
    number = st.session_state.get(Game.ROUNDS, 0) + 1
    st.session_state[Game.ROUNDS] = number
    st.session_state[Game.ROUND] = Round(game, opponent, number, source)
    st.session_state[Game.SCORE] = None
    st.session_state[Game.ERROR] = None


def _new_round_against_picked(choices: dict[str, str | None]) -> None:
    new_round(st.session_state.get(Game.OPPONENT) or next(iter(choices)), choices)


def _bundled_round(name: str, seed: int) -> GameRound:
    loaded = load_bundled(name)
    reals = training_images_of(loaded.state["config"]).images  # the images G learnt from: digits, shapes or yours
    return draw_round(loaded.G, reals, seed, iteration=int(loaded.state.get("iteration", 0)))


def _live_round(seed: int) -> tuple[GameRound, str]:
    """Ask the tab's run for a round and wait for it (see ROUND_WAIT_S); the round, and the run it came from."""
    runner = live_runner()
    if runner is None:
        raise RoundUnavailable("Your training is not running any more: pick a bundled generator, or start a "
                               "training on the Train page.")
    runner.game_round(seed)
    deadline = time.monotonic() + ROUND_WAIT_S
    while time.monotonic() < deadline:
        snap = runner.snapshot(since=NO_RECORDS)
        if snap.game_round is not None and snap.game_round.seed == seed:
            return snap.game_round, "live:" + ",".join(folder.name for folder in runner.job.folders)
        if not snap.active:
            break
        time.sleep(ROUND_POLL_S)
    raise RoundUnavailable("Your training did not send its digits in time (it may be very busy): press New round "
                           "to try again.")


def ensure_round(opponent: str, choices: dict[str, str | None]) -> Round | None:
    """The round on screen, drawn against `opponent` on the tab's first visit; None after a failed draw, until the
    student asks again (a failed live draw waited ROUND_WAIT_S: no rerun repeats it by itself). A round on screen
    stays, even when its live run has ended since: the student may still check it."""
    if Game.ROUND not in st.session_state and not st.session_state.get(Game.ERROR):
        new_round(opponent, choices)
    return st.session_state.get(Game.ROUND)


# ------------------------------------------------------------------------------------------ playing it
def round_grid(shown: Round, score: RoundScore | None) -> None:
    """The digits, each with its "fake" tick box; once checked, what each one was and who got it right instead."""
    game = shown.game
    for start in range(0, len(game.real), COLUMNS):
        for i, column in zip(range(start, min(start + COLUMNS, len(game.real))), st.columns(COLUMNS, gap="small")):
            with column, st.container(gap="xsmall"):  # the tick box close under its digit: two rows fit 720 px
                tile(game, i, Game.mark(shown.number, i), score is not None)


def tile(game: GameRound, i: int, key: str, checked: bool) -> None:
    st.image(grid_array(game.images[i:i + 1], scale=TILE_SCALE, padding=0), output_format="PNG", width="stretch",
             alt=f"Digit {i + 1}")
    if not checked:
        st.checkbox("Fake?", key=key, help=f"Tick if you think digit {i + 1} was drawn by G.")
        return
    truth = ":green[**Real**]" if game.real[i] else ":orange[**Fake**]"
    st.markdown(f"{truth}  \n{verdicts(game, i, bool(st.session_state.get(key)))}")  # two lines, one element


def verdicts(game: GameRound, i: int, marked_fake: bool) -> str:
    """Who got image i right: "you ✓ D ✗" (short: a tile is 85 px wide at 1280 px)."""
    real = game.real[i]
    text = f"you {'✓' if marked_fake != real else '✗'}"
    d_says = game.d_says_real
    return text if d_says is None else f"{text} D {'✓' if d_says[i] == real else '✗'}"


def check(shown: Round) -> None:
    """Score the round on screen, once: in this tab's history and in the class's log."""
    if st.session_state.get(Game.SCORE) is not None:
        return
    marked = [i for i in range(len(shown.game.real)) if st.session_state.get(Game.mark(shown.number, i))]
    score = score_round(shown.game, marked)
    st.session_state[Game.SCORE] = score
    live = shown.opponent == LIVE
    st.session_state.setdefault(Game.HISTORY, []).append(
        {"source": shown.source, "x": shown.game.iteration if live else shown.number,
         "you": score.student_accuracy, "d": score.d_accuracy, "total": score.total, "right": score.student_right,
         "d_right": score.d_right})
    student = current_student()
    try:
        game_log().record(RoundResult(student.id, student.nickname, "live run" if live else shown.opponent,
                                      shown.game.iteration, score.total, score.student_right, score.d_right))
    except OSError:  # a full disk: the round still counts on this page
        st.toast("Your round could not be added to the class's score (the server's disk is full).")


def round_buttons(shown: Round | None, choices: dict[str, str | None], opponent: str) -> None:
    checked = st.session_state.get(Game.SCORE) is not None
    st.button("Check", type="secondary" if checked else "primary", icon=":material/fact_check:", key=Game.CHECK,
              disabled=shown is None or checked, on_click=check, args=(shown,))
    st.button("New round", type="primary" if checked else "secondary", icon=":material/refresh:",
              key=Game.NEW_ROUND, on_click=new_round, args=(opponent, choices))


def results(score: RoundScore) -> None:
    """The student's score beside D's on the same images, and who won (where the intro stood before Check)."""
    with st.container(horizontal=True, vertical_alignment="center", gap="large"):
        st.metric("You got right", f"{score.student_right} of {score.total}", width="content")
        if score.d_right is None:
            st.metric("D got right", "no D", width="content",
                      help="The bundled generators come without their discriminator. Start a training on the Train "
                           "page and play against it here to face D.")
            return
        st.metric("D got right", f"{score.d_right} of {score.total}", width="content")
        if score.student_right > score.d_right:
            st.success("You beat D!", icon=":material/emoji_events:")
        elif score.student_right < score.d_right:
            st.info("D wins this round.", icon=":material/smart_toy:")
        else:
            st.info("A draw.", icon=":material/handshake:")


def describe_opponent(shown: Round | None) -> str:
    if shown is None:
        return ""
    if shown.opponent == LIVE:
        return f"G and D at iteration {shown.game.iteration:,}"
    return f"{shown.opponent} after {shown.game.iteration:,} iterations, without its D"


# ------------------------------------------------------------------------------------------ over the rounds
def history_chart(shown: Round) -> None:
    """This tab's rounds against the opponent on screen: against a live run by G's iteration (how both change as G
    trains), against a bundled generator (which does not train) round by round."""
    points = [p for p in st.session_state.get(Game.HISTORY, []) if p["source"] == shown.source]
    if not points:
        return
    x_title = "G's iteration" if shown.opponent == LIVE else "round"
    if shown.opponent != LIVE:
        points = [{**p, "x": i + 1} for i, p in enumerate(points)]
    st.plotly_chart(charts.game_figure(points, x_title), key=Game.CHART, width="stretch")


def totals(shown: Round) -> None:
    """This tab's rounds against the opponent on screen added up, and the class's against D."""
    mine = [p for p in st.session_state.get(Game.HISTORY, []) if p["source"] == shown.source]
    if mine:
        images = sum(p["total"] for p in mine)
        rounds = f"{len(mine)} round{'s' if len(mine) != 1 else ''}"
        text = f"You, {rounds}: {sum(p['right'] for p in mine) / images:.0%} right on {images:,} images"
        judged = [p for p in mine if p["d_right"] is not None]  # against one opponent: all rounds or none
        if judged:
            text += f"; D: {sum(p['d_right'] for p in judged) / sum(p['total'] for p in judged):.0%} on the same images"
        st.markdown(text + ".")
    everyone = tally(game_log().results())
    if everyone.rounds:
        st.caption(describe_tally(everyone))
