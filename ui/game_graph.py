"""The game as a graph: z → G → fakes → D ← real digits, D's and G's losses, and the gradients that flow back, with
the run's current numbers on it (Graphviz DOT, drawn by st.graphviz_chart in the browser: no download, no server
side renderer). One part of an iteration can be highlighted (the parts of ui.iteration_parts)."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

# The parts of one iteration, in order, and the nodes and edges each one lights up.
PARTS = {
    "draw": ("G draws a batch", {"z", "G", "fake"}, {("z", "G"), ("G", "fake")}),
    "judge": ("D judges real and fake", {"real", "fake", "D"}, {("real", "D"), ("fake", "D")}),
    "d_update": ("D's loss and update", {"D", "d_loss"}, {("D", "d_loss"), ("d_loss", "D")}),
    "g_update": ("G's loss and update", {"G", "g_loss", "D"}, {("D", "g_loss"), ("g_loss", "G")}),
}
LIT = "#c2185b"  # the highlighted part (the app's primary colour)
DIM = "#9e9e9e"


def _number(numbers: Mapping[str, float], key: str, digits: int = 3) -> str:
    value = numbers.get(key)
    return "–" if value is None else f"{value:.{digits}f}"


def game_dot(numbers: Mapping[str, float], part: str | None = None) -> str:
    """The graph in DOT. `numbers`: d_real, d_fake, d_loss, g_loss, d_grad_norm, g_grad_norm (any may be missing);
    `part`: a key of PARTS to highlight, None for none."""
    nodes_lit, edges_lit = (PARTS[part][1], PARTS[part][2]) if part else (set(), set())

    def node(name: str, label: str, shape: str) -> str:
        colour = LIT if name in nodes_lit else ("#424242" if not part else DIM)
        width = 3 if name in nodes_lit else 1
        return (f'{name} [label="{label}", shape={shape}, color="{colour}", fontcolor="{colour}", '
                f'penwidth={width}];')

    def edge(a: str, b: str, label: str = "", style: str = "solid") -> str:
        colour = LIT if (a, b) in edges_lit else ("#616161" if not part else DIM)
        width = 3 if (a, b) in edges_lit else 1
        return (f'{a} -> {b} [label="{label}", color="{colour}", fontcolor="{colour}", style={style}, '
                f'penwidth={width}];')

    lines = [
        "digraph game {", 'rankdir=LR; bgcolor="transparent"; ranksep=0.25; nodesep=0.2; margin=0;',
        'node [fontname="Helvetica", fontsize=18]; edge [fontname="Helvetica", fontsize=16];',
        node("z", "noise z", "ellipse"),
        node("G", "G", "box"),
        node("fake", "fakes", "box3d"),
        node("real", "real x", "box3d"),
        node("D", "D", "box"),
        node("d_loss", f"D's loss\\n{_number(numbers, 'd_loss')}", "note"),
        node("g_loss", f"G's loss\\n{_number(numbers, 'g_loss')}", "note"),
        edge("z", "G"),
        edge("G", "fake"),
        edge("fake", "D", f"D(G(z)) = {_number(numbers, 'd_fake', 2)}"),
        edge("real", "D", f"D(x) = {_number(numbers, 'd_real', 2)}"),
        edge("D", "d_loss"),
        edge("D", "g_loss"),
        edge("d_loss", "D", f"|∇D| {_number(numbers, 'd_grad_norm', 2)}", "dashed"),
        edge("g_loss", "G", f"|∇G| {_number(numbers, 'g_grad_norm', 2)}", "dashed"),
        "{rank=same; fake; real;}",
        "}",
    ]
    return "\n".join(lines)


def render_game_graph(numbers: Mapping[str, float], part: str | None = None, *, caption: str | None = None) -> None:
    """The graph, full width of its column; `caption` under it (what the numbers are)."""
    st.graphviz_chart(game_dot(numbers, part), width="stretch")
    st.caption(caption or "The numbers of the newest record: means over its iterations. Dashed: the gradients "
                          "that flow back from each loss to the player it trains (their size, |∇|).")
