"""The game as a live graph on the Train page, and one iteration walked through part by part.

While a run trains, the graph (ui.game_graph) carries the newest record's numbers. "Play one iteration in parts"
pauses the run and plays one iteration (one D update, one G update) on one batch; the student then goes through its
four parts, each highlighted on the graph, beside the batch's digits and fakes with D's score under each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import streamlit as st

from ui.controls import step_once
from ui.game_graph import PARTS, render_game_graph
from ui.keys import Train
from ui.state import session_slot

PART_ORDER = tuple(PARTS)
IMAGE_SCALE = 3


def render_game_section(runner_name: str, snap, *, live: bool, every_s: float) -> None:
    """The section under the charts: the graph (live while the run trains) or the walk through an iteration."""
    st.subheader("The game as a graph")
    steerable = snap is not None and snap.status in ("running", "paused")
    walk = snap.last_step if snap is not None and snap.last_step and snap.last_step.get("kind") == "parts" else None
    walk_button, game_link = st.columns(2, vertical_alignment="center")
    walk_button.button("Play one iteration in parts", key=Train.PARTS_STEP, on_click=_walk_once,
                       args=(runner_name,), disabled=not steerable, icon=":material/slow_motion_video:",
                       help="Pauses the run and plays one iteration (one D update, then one G update) on one batch; "
                            "then go through its four parts below.")
    if steerable:
        game_link.page_link("app_pages/game.py", label="Be the discriminator against this run",
                            icon=":material/visibility:")
    if walk is None or snap.status != "paused":
        st.fragment(live_game_graph, run_every=every_s if live else None)(runner_name)
        return
    parts = walk["parts"]
    part = st.segmented_control("Part of the iteration", PART_ORDER, key=Train.PART, required=True,
                                format_func=lambda p: f"{PART_ORDER.index(p) + 1}. {PARTS[p][0]}")
    render_game_graph(part_numbers(parts, part), part,
                      caption=f"Iteration {walk['iteration']:,}, part {PART_ORDER.index(part) + 1} of 4: "
                              f"{PARTS[part][0]}. {PART_WORDS[part]}")
    _part_images(parts, part)


def _walk_once(runner_name: str) -> None:
    st.session_state[Train.PART] = PART_ORDER[0]  # a new walk starts at its first part
    step_once(runner_name, "parts")


def live_game_graph(runner_name: str) -> None:
    """The graph with the run's newest record (a fragment: it follows the run)."""
    runner = session_slot().runner(runner_name)
    records = runner.snapshot(since=-1).records if runner is not None else []  # the newest record only
    numbers = records[-1] if records else {}
    render_game_graph(numbers, caption=(f"Iteration {numbers['iteration']:,}: the newest numbers (means over the "
                                        "last iterations). Dashed: the gradients that flow back from each loss to "
                                        "the player it trains (their size, |∇|; – where the run does not record "
                                        "them).") if numbers else None)


PART_WORDS = {
    "draw": "G turns a batch of fresh noise vectors z into fakes. Nothing learns yet.",
    "judge": "D scores each real digit and each fake: near 1 means \"real\".",
    "d_update": "D's loss is large when it scores real digits low or fakes high. D changes its weights a little "
                "along the gradient, to make that loss smaller on this batch.",
    "g_update": "G's loss is large when D scores its fakes low. The gradient flows back through D (which stays as "
                "it is) into G, which changes its weights so that its fakes score higher.",
}


def part_numbers(parts: Mapping[str, Any], part: str) -> dict[str, float]:
    """The numbers the graph shows at `part` of a walked iteration (gan.train.gan.GANTrainer.walk_iteration)."""
    before, after_d, after_g = parts["before"], parts["after_d"], parts["after_g"]
    if part == "draw":
        return {}
    if part == "judge":
        return {"d_real": before["d_real"], "d_fake": before["d_fake"]}
    if part == "d_update":
        return {"d_real": after_d["d_real"], "d_fake": after_d["d_fake"], "d_loss": before["d_loss"],
                "d_grad_norm": parts["d_grad_norm"]}
    return {"d_real": after_g["d_real"], "d_fake": after_g["d_fake"], "d_loss": before["d_loss"],
            "g_loss": after_d["g_loss"], "d_grad_norm": parts["d_grad_norm"], "g_grad_norm": parts["g_grad_norm"]}


def _part_images(parts: Mapping[str, Any], part: str) -> None:
    before, after_d, after_g = parts["before"], parts["after_d"], parts["after_g"]
    if part == "draw":
        _row(parts["fakes"], None, "G's fakes (8 of the batch)")
        return
    if part == "judge":
        _row(parts["reals"], parts["p_real"], f"Real digits: D's scores (batch mean D(x) = {before['d_real']:.2f})")
        _row(parts["fakes"], parts["p_fake"], f"Fakes: D's scores (batch mean D(G(z)) = {before['d_fake']:.2f})")
        return
    if part == "d_update":
        st.markdown(f"D's loss on this batch: **{before['d_loss']:.3f} → {after_d['d_loss']:.3f}** after D's update.")
        _row(parts["reals"], parts["p_real_after_d"], f"Real digits, scored again: D(x) {before['d_real']:.2f} → "
                                                      f"{after_d['d_real']:.2f}")
        _row(parts["fakes"], parts["p_fake_after_d"], f"The same fakes, scored again: D(G(z)) "
                                                      f"{before['d_fake']:.2f} → {after_d['d_fake']:.2f}")
        return
    st.markdown(f"G's loss on this batch: **{after_d['g_loss']:.3f} → {after_g['g_loss']:.3f}** after G's update.")
    _row(parts["fakes_after_g"], parts["p_fake_after_g"], f"G's new fakes from the same noise: D(G(z)) "
                                                          f"{after_d['d_fake']:.2f} → {after_g['d_fake']:.2f}")


def _row(images: np.ndarray, scores: list[float] | None, title: str) -> None:
    """Eight images in a row, D's score under each (a picture of uint8 (n, 1, 28, 28) digits)."""
    st.caption(title)
    tiles = list(images[:, 0]) if images.ndim == 4 else list(images)
    captions = [f"{p:.2f}" for p in scores[:len(tiles)]] if scores is not None else None
    st.image([np.kron(tile, np.ones((IMAGE_SCALE, IMAGE_SCALE), dtype=np.uint8)) for tile in tiles],
             caption=captions, width=28 * IMAGE_SCALE)
