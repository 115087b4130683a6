"""GAN Arena: `streamlit run app.py`. Navigation, the shared sidebar, and the tab's heartbeat.

Only light modules are imported here: Home draws at once on a fresh server, while ui.engine imports PyTorch and
the core in the background; a page that trains waits for that under a spinner. The Latent Explorer trains nothing:
it draws its bundled preview at once and imports what it needs itself.
"""

import logging
from pathlib import Path

import streamlit as st

from ui.class_banner import class_banner, projecting
from ui.engine import ENGINE
from ui.identity import keep_token
from ui.sidebar import render_sidebar
from ui.state import HEARTBEAT_S, session_slot
from ui.tour import render_tour, touring

LOG = logging.getLogger("gan_arena")
FAVICON = str(Path(__file__).resolve().parent / "assets" / "favicon.png")


def main() -> None:
    # A bundled favicon: a Material icon as page_icon is drawn from a font server on the internet (offline classrooms).
    st.set_page_config(page_title="GAN Arena", page_icon=FAVICON, layout="wide")
    home = st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)
    explorer = st.Page("app_pages/explorer.py", title="Latent Explorer", icon=":material/explore:",
                       url_path="explorer")
    game = st.Page("app_pages/game.py", title="Be the discriminator", icon=":material/visibility:", url_path="game")
    pages = [
        home,
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
        explorer,
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:", url_path="compare"),
        st.Page("app_pages/playground.py", title="2-D Playground", icon=":material/scatter_plot:",
                url_path="playground"),
        game,
        st.Page("app_pages/classroom.py", title="Class", icon=":material/groups:", url_path="class"),
    ]
    # On a tour the sidebar is the tour's: the pages move to the top bar (in the sidebar, the list of pages pushed
    # the step's Next below the first screen of a 1280x720 projector).
    page = st.navigation(pages, position="top" if touring() else "sidebar")
    # The others train: they need the engine. The game loads its own generator, and a live round comes from a worker.
    trains = page.url_path not in (home.url_path, explorer.url_path, game.url_path)
    if trains and not ENGINE.ready():
        # Before the sidebar: once warm, it draws the device badge directly, and no polling fragment can rerun the
        # page while its widgets are first drawn (that rerun reset the Train page's number inputs to 0).
        with st.spinner("Starting the training engine (PyTorch, the models, the digit classifier)…"):
            ENGINE.wait()
    if not projecting():  # the projector shows the page alone
        render_tour(page.url_path)
    render_sidebar()
    heartbeat()
    keep_token()
    if page.url_path != "class" and not projecting():  # the teacher's screens need no banner of what they pushed
        # In a block of its own, always there: a fragment that polls in the page's own top level drew into a path
        # that a rerun had just given to another element, and the front end crashed ("'setIn' cannot be called on
        # an ElementNode": a blank page, seen on 3 of 10 tabs pressing Start at once).
        with st.container(key="class-banner-slot"):
            class_banner()
    try:
        page.run()
    except Exception:  # a student never sees a traceback (or the server's paths); the server's log has it all
        LOG.exception("page %s failed", page.url_path or "home")
        st.error("Something went wrong on this page. Reload it to carry on; the details are in the server's log "
                 "for the teacher.", icon=":material/error:")
    finally:
        ENGINE.start()  # after Home (or the Explorer) has drawn: warming up never delays the first paint


@st.fragment(run_every=HEARTBEAT_S)
def heartbeat() -> None:
    """Tell this tab's trainings it is still open, also while a page draws nothing new (Live updates off).

    Here, not in a page: a page's fragment stops polling when the user switches page or turns Live updates off,
    and a training not heard from for minutes takes its tab for closed."""
    session_slot().heartbeat()


# Streamlit runs this file as __main__; a worker process (arena.worker) imports it again as __mp_main__, which must
# not draw anything.
if __name__ == "__main__":
    main()
