"""App services around the core, without Streamlit: training workers (one process per training), runs, races."""
