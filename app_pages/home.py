"""Home: the game in a few sentences, a diagram, and the way to each page."""

from pathlib import Path

import streamlit as st

from gan.presets.tours import TOURS
from ui.class_banner import PAGE_FILES

DIAGRAM = Path(__file__).resolve().parent.parent / "assets" / "gan_diagram.svg"

st.title("GAN Arena")
st.markdown(
    "#### Two neural networks play a game, and out of the game come digits nobody drew."
)
left, right = st.columns([3, 2], gap="large")
with left:
    st.image(str(DIAGRAM), width="stretch")
with right:
    st.markdown(
        """
**The generator G** is a forger. It takes a handful of random numbers, *z*, and paints a 28×28 image.

**The discriminator D** is a detective. It sees real handwritten digits and G's fakes, and says how likely each one
is to be real.

They train in turns: D gets better at spotting fakes, then G changes its brushstrokes so that D calls its fakes
real. If the game stays balanced, G ends up drawing digits that D, and you, cannot tell from real ones.

Watch out for the ways it goes wrong: D wins too easily and G stops learning, or G finds one digit that fools D
and draws nothing else (*mode collapse*). GAN Arena shows you both, and how to fix them.
"""
    )

st.subheader("Where to go")
cols = st.columns(3)  # five across cut "Be the discriminator" short at 1280 px
LINKS = [
    ("app_pages/train.py", "Train", ":material/model_training:",
     "Pick a preset, press Start, and watch the two networks fight, live."),
    ("app_pages/explorer.py", "Latent Explorer", ":material/explore:",
     "Walk through a trained generator's latent space with sliders: no training needed."),
    ("app_pages/compare.py", "Compare", ":material/compare:",
     "Race an MLP GAN against a DCGAN on the same data, seed and budget, and see which draws better digits."),
    ("app_pages/playground.py", "2-D Playground", ":material/scatter_plot:",
     "See the whole game in two dimensions: D's opinion of the plane, G's mesh, and the arrows pushing the fakes."),
    ("app_pages/game.py", "Be the discriminator", ":material/visibility:",
     "Can you tell real digits from G's fakes? Play against D, and see who spots more."),
]
for i, (page, label, icon, text) in enumerate(LINKS):
    with cols[i % len(cols)]:
        st.page_link(page, label=label, icon=icon)
        st.caption(text)

st.subheader("Guided tours")
st.caption("Short lessons that drive the app step by step and check what your run just showed, in its own numbers.")
tour_cols = st.columns(3)
for i, (slug, tour) in enumerate(TOURS.items()):
    with tour_cols[i % 3]:
        st.page_link(PAGE_FILES[tour.page], label=tour.title, icon=":material/school:",
                     query_params={"tour": slug, "step": "1"}, help=tour.summary)
st.caption("Everything runs offline on the 5,000 real MNIST digits shipped with the app (CC BY-SA 3.0).")
