"""Text that came from outside (a link, a file's name or contents) shown as text: never rendered as Markdown or HTML.

Streamlit renders every message (`st.error`, `st.warning`, `st.caption`) as Markdown: a link value such as
`[Session expired](https://evil.example)` would become a clickable link, `![t](http://…)` an image every student's
browser fetches. `plain()` puts such text in a code span, the one Markdown construct whose contents are never
parsed: no link, image, emphasis, LaTeX or Streamlit directive starts inside it, and no bare URL becomes a link
(backslash escapes stop the first kinds, but GitHub-style autolinks still turned `https://…` into a link).
"""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile(r"[\r\n\t\f\v\u2028\u2029]+")
_BACKTICKS = re.compile(r"`+")
MAX_CHARS = 120  # a hostile link can be long; a message needs only its start


def plain(text: object, max_chars: int = MAX_CHARS) -> str:
    """`text` as a Markdown code span, cut to `max_chars` characters (with an ellipsis), on one line."""
    text = _LINE_BREAKS.sub(" ", str(text))
    if len(text) > max_chars:
        text = text[:max_chars - 1] + "…"
    fence = "`" * (1 + max((len(run) for run in _BACKTICKS.findall(text)), default=0))
    return f"{fence} {text} {fence}"  # the spaces let the text start or end with a backtick; Markdown drops them


def link_problems(problems: list[str]) -> None:
    """Tell the tab which parts of its link were ignored, each part shown as text."""
    import streamlit as st

    if problems:
        st.warning("Parts of this link were ignored: " + "; ".join(plain(problem) for problem in problems),
                   icon=":material/link_off:")


def single_values(query_params) -> tuple[dict[str, str], list[str]]:
    """The link's parameters, one value each; a key given twice with different values is ambiguous, left out and
    reported (st.query_params.to_dict() would silently keep the last)."""
    from ui.keys import Tour

    values, problems = {}, []
    for key in query_params:
        if key in Tour.LINK:
            continue  # the guided tour's (ui.tour), on every page
        given = list(dict.fromkeys(query_params.get_all(key)))
        if len(given) == 1:
            values[key] = given[0]
        elif given:
            problems.append(f"{key} is given {len(given)} times ({', '.join(map(repr, given))}), so none was used")
    return values, problems


def safe_label(text: str, max_chars: int = 40) -> str:
    """A name from outside (an uploaded file's) reduced to ASCII letters, digits, spaces and - . ( ): it is drawn in
    Markdown (where _ and * make emphasis) and in Plotly's titles and legends, which render their own tags."""
    return re.sub(r"[^A-Za-z0-9 .()-]+", "-", text).strip(" -")[:max_chars] or "upload"


def unused_link_keys(page: str, takes: tuple[str, ...] = ()) -> None:
    """Once per tab: name the link's keys this page takes no settings from (all but those starting with `takes`),
    instead of dropping them in silence."""
    import streamlit as st

    from ui.keys import link_checked

    flag = link_checked(page)
    if st.session_state.get(flag):
        return
    st.session_state[flag] = True
    from ui.keys import Tour

    unused = sorted(key for key in st.query_params if not key.startswith(takes) and key not in Tour.LINK)
    if unused:
        link_problems([f"the {page} page takes no setting {', '.join(unused)} from a link"])


def tour_link() -> dict[str, str]:
    """The guided tour's place as link parameters ({"tour": slug, "step": "3"}), {} when no tour is followed: a page
    that rewrites its address bar keeps them."""
    import streamlit as st

    from ui.keys import Tour

    slug = st.session_state.get(Tour.ACTIVE)
    return {"tour": slug, "step": str(st.session_state.get(Tour.STEP, 1))} if slug else {}
