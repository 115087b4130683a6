"""Streamlit glue: session state, caches, widgets -> configs, and render helpers. The pages compose these."""
