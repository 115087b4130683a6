"""GAN Arena: `streamlit run app.py`. Navigation, the shared sidebar, and the tab's heartbeat."""

import streamlit as st

from ui.session import reserve_a_core_for_the_ui, session_slot
from ui.sidebar import render_sidebar

st.set_page_config(page_title="GAN Arena", page_icon=":material/sports_kabaddi:", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    st.Page("app_pages/explorer.py", title="Latent Explorer", icon=":material/explore:", url_path="explorer"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare:", url_path="compare"),
    st.Page("app_pages/playground.py", title="2-D Playground", icon=":material/scatter_plot:", url_path="playground"),
]

reserve_a_core_for_the_ui()
page = st.navigation(PAGES)
render_sidebar()
session_slot().heartbeat()  # here, not in a page: a page's fragment stops polling when the user switches page
page.run()
