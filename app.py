"""GAN Arena: `streamlit run app.py`. Navigation, the shared sidebar, and the tab's heartbeat.

Only light modules are imported here: Home draws at once on a fresh server, while ui.engine imports PyTorch and
the core in the background; a page that trains waits for that under a spinner.
"""

import streamlit as st

from ui.engine import ENGINE
from ui.sidebar import render_sidebar
from ui.state import session_slot


def main() -> None:
    st.set_page_config(page_title="GAN Arena", page_icon=":material/sports_kabaddi:", layout="wide")
    home = st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)
    pages = [
        home,
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
        st.Page("app_pages/explorer.py", title="Latent Explorer", icon=":material/explore:", url_path="explorer"),
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:", url_path="compare"),
        st.Page("app_pages/playground.py", title="2-D Playground", icon=":material/scatter_plot:",
                url_path="playground"),
    ]
    page = st.navigation(pages)
    if page.url_path != home.url_path and not ENGINE.ready():
        # Before the sidebar: once warm, it draws the device badge directly, and no polling fragment can rerun the
        # page while its widgets are first drawn (that rerun reset the Train page's number inputs to 0).
        with st.spinner("Starting the training engine (PyTorch, the models, the digit classifier)…"):
            ENGINE.wait()
    render_sidebar()
    session_slot().heartbeat()  # here, not in a page: a page's fragment stops polling when the user switches page
    try:
        page.run()
    finally:
        ENGINE.start()  # after Home has drawn: warming up never delays the first paint


# Streamlit runs this file as __main__; a worker process (arena.worker) imports it again as __mp_main__, which must
# not draw anything.
if __name__ == "__main__":
    main()
