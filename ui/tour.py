"""The guided tour, in the sidebar beside the page it drives (the tours themselves are data: gan.presets.tours).

A link opens a tour at a step (`?tour=mode-collapse&step=3`); Back and Next move through it and keep the address
bar in step. A step's "Do it for me" sets its page up (a preset, Start, a live change); a step that waits for a
moment in the live run watches the page's run every few seconds and, once it comes, says what the student saw in
the run's own numbers (gan.watch).
"""

from __future__ import annotations

import streamlit as st

from gan.presets.tours import GLOSSARY, TOURS, Step
from gan.presets.tours import Tour as TourData
from gan.watch import Seen, follow
from ui.class_banner import PAGE_FILES
from ui.keys import Compare, Playground, Train
from ui.keys import Tour as Keys
from ui.state import NO_RECORDS, paced, session_slot
from ui.text import plain, tour_link

WATCH_EVERY_S = 2.0
RUNNERS = {"train": Train.RUNNER, "playground": Playground.RUNNER}  # the pages whose run a step can watch


def follow_tour_link() -> None:
    """Take the tour and step a link names, once per link (a wrong tour is said, not followed); after that the
    panel moves the tour and writes the link itself."""
    slug, step = st.query_params.get("tour"), st.query_params.get("step", "1")
    if slug is None or (slug, step) == st.session_state.get(Keys.LINK_SEEN):
        return
    st.session_state[Keys.LINK_SEEN] = (slug, step)
    if slug not in TOURS:
        st.warning(f"This link names a tour this app does not have ({plain(slug, 40)}): pick one under **Guided "
                   "tours** in the sidebar.", icon=":material/link_off:")
        return
    count = len(TOURS[slug].steps)
    st.session_state[Keys.ACTIVE] = slug
    st.session_state[Keys.STEP] = min(count, max(1, int(step))) if step.isdigit() else 1


def touring() -> bool:
    """Whether this tab follows a tour (or its link asks for one): the page list then moves to the top bar, and the
    sidebar is the tour's."""
    if st.session_state.get(Keys.GO_TO) == "leave":  # Finish or Leave was just pressed
        return False
    return bool(st.session_state.get(Keys.ACTIVE) or st.query_params.get("tour") in TOURS)


def render_tour(page: str) -> None:
    """The tour panel at the top of the sidebar, or the list of tours when none is followed. `page`: the url path of
    the page drawn ("" for Home)."""
    _go_where_asked(page)
    follow_tour_link()
    with st.sidebar:
        slug = st.session_state.get(Keys.ACTIVE)
        if slug in TOURS:
            _panel(slug, st.session_state.get(Keys.STEP, 1), page)
        else:
            _tour_list()


def _tour_list() -> None:
    with st.expander("Guided tours", icon=":material/school:"):
        for slug, tour in TOURS.items():
            st.button(tour.title, key=f"{Keys.PICK}.{slug}", help=tour.summary, on_click=_begin, args=(slug,),
                      width="stretch")


def _panel(slug: str, index: int, page: str) -> None:
    tour = TOURS[slug]
    step = tour.steps[index - 1]
    where = step.page or tour.page
    with st.container(border=True, key="tour-panel"):
        st.markdown(f"**{tour.title}**")
        st.progress(index / len(tour.steps), text=f"Step {index} of {len(tour.steps)}")
        st.markdown(f"##### {step.title}")
        st.markdown(step.say)
        if where != page:
            st.button(f"Go to the {_page_name(where)} page", key="tour.go", on_click=_ask_for_page, args=(where,),
                      icon=":material/arrow_forward:", width="stretch")
        elif step.setup:
            _setup_button(tour, step, index)
        if step.watch is not None and where == page:
            st.fragment(_watch_status, run_every=paced(WATCH_EVERY_S))(slug, index)
        back, forward = st.columns(2)
        back.button("Back", key="tour.back", disabled=index == 1, on_click=_move, args=(slug, index - 1),
                    icon=":material/arrow_back:", width="stretch")
        if index < len(tour.steps):
            forward.button("Next", key="tour.next", type="primary", on_click=_move, args=(slug, index + 1),
                           icon=":material/arrow_forward:", width="stretch")
        else:
            forward.button("Finish", key="tour.finish", type="primary", on_click=_leave, width="stretch")
        with st.popover("Words explained", icon=":material/menu_book:", width="stretch"):
            st.markdown("\n".join(f"- **{term}**: {meaning}" for term, meaning in GLOSSARY.items()))
        st.button("Leave the tour", key="tour.leave", on_click=_leave, type="tertiary", icon=":material/close:")


def _setup_button(tour: TourData, step: Step, index: int) -> None:
    needs_run = bool(step.setup.knobs) and not step.setup.start
    snap = _snapshot(step.page or tour.page, records=False) if needs_run else None
    running = snap is not None and snap.status in ("running", "paused")
    if needs_run and not running:
        st.caption("This change steers a running game: start the run of the step before first.")
    st.button("Do it for me", key="tour.setup", on_click=_set_up, args=(tour, step),
              disabled=needs_run and not running, icon=":material/auto_fix_high:", width="stretch")


def _watch_status(slug: str, index: int) -> None:
    tour = TOURS[slug]
    step = tour.steps[index - 1]
    assert step.watch is not None
    snap = _snapshot(step.page or tour.page)
    if snap is None or not snap.records:
        st.info("Waiting for the run to start: press **Start** (or *Do it for me*).", icon=":material/hourglass_top:")
        return
    seen = Seen(records=snap.records, quality=_quality(step.page or tour.page, snap), events=snap.events)
    state, text = follow(step.watch, seen, ended=not snap.active, after_change=bool(step.setup.knobs))
    show = {"seen": st.success, "instead": st.warning, "waiting": st.info}[state]
    icon = {"seen": ":material/visibility:", "instead": ":material/info:", "waiting": ":material/hourglass_top:"}
    show(text, icon=icon[state])


def _snapshot(page: str, records: bool = True):
    """The page's run (None where the page has none); without its records where `records` is False."""
    runner = session_slot().runner(RUNNERS[page]) if page in RUNNERS else None
    return runner.snapshot(since=0 if records else NO_RECORDS) if runner is not None else None


def _quality(page: str, snap) -> list:
    if page == "playground":
        view = session_slot().runner(Playground.RUNNER).extras.get("latest_view")
        return list(view.metrics) if view is not None else []
    return snap.quality


# ------------------------------------------------------------------------------------------ callbacks
def _begin(slug: str) -> None:
    st.session_state[Keys.ACTIVE] = slug
    _move(slug, 1)


def _move(slug: str, index: int) -> None:
    tour = TOURS[slug]
    st.session_state[Keys.STEP] = index
    step = tour.steps[index - 1]
    _ask_for_page(step.page or tour.page)


def _leave() -> None:
    st.session_state[Keys.ACTIVE] = None
    st.session_state[Keys.GO_TO] = "leave"


def _ask_for_page(page: str) -> None:
    st.session_state[Keys.GO_TO] = page


def _set_up(tour: TourData, step: Step) -> None:
    """The step's set-up, done as the student would: the preset picked (with the tour's seed), Start pressed on the
    page's next draw, the live change made as an alert's cure makes it."""
    page = step.page or tour.page
    setup = step.setup
    if setup.preset and page == "train":
        from ui.train_form import on_preset_change

        st.session_state[Train.PRESET] = setup.preset
        on_preset_change()
        st.session_state[Train.field("seed")] = tour.seed
        st.session_state[Train.LINK_READ] = True  # the page's own link (only the tour's) must not reset the preset
    elif setup.preset and page == "playground":
        from ui.playground_form import on_preset_change as on_toy_preset_change

        st.session_state[Playground.PRESET] = setup.preset
        on_toy_preset_change()
    elif setup.preset and page == "compare":
        from ui.compare_form import apply_race

        st.session_state[Compare.RACE] = setup.preset
        apply_race(setup.preset)
    if setup.start:
        st.session_state[Keys.AUTOSTART] = page
    if setup.knobs and page in RUNNERS:
        from ui.controls import apply_cure

        apply_cure(RUNNERS[page], setup.knobs)
    _ask_for_page(page)


def _go_where_asked(page: str) -> None:
    """Switch to the page a step's button asked for (a callback may not switch pages itself), with the tour's place
    in the address bar."""
    target = st.session_state.pop(Keys.GO_TO, None)
    if target == "leave":
        st.query_params.pop("tour", None)
        st.query_params.pop("step", None)
        return
    if target is None:
        return
    link = tour_link()
    st.session_state[Keys.LINK_SEEN] = (link["tour"], link["step"])
    if target == page:
        st.query_params.update(link)
        return
    st.switch_page(PAGE_FILES[target], query_params=link)


def autostart(page: str) -> bool:
    """Whether a tour step asked to start `page`'s run on this draw (asked once)."""
    if st.session_state.get(Keys.AUTOSTART) != page:
        return False
    st.session_state[Keys.AUTOSTART] = None
    return True


def _page_name(page: str) -> str:
    return {"train": "Train", "explorer": "Latent Explorer", "compare": "Compare",
            "playground": "2-D Playground"}[page]
