"""The Latent Explorer's bundled preview: the picture a tab opens on, read before PyTorch is imported.

Light on purpose (no torch, no core): the page calls it first, so that a fresh server paints a digit at once
(assets/pretrained/previews.json, written by scripts/build_pretrained.py with ui.explorer.default_picture).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import streamlit as st

from ui.keys import Explorer, Picker

# written by ui.explorer.write_previews
PREVIEWS = Path(__file__).resolve().parent.parent / "assets" / "pretrained" / "previews.json"


def file_sha256(path: Path) -> str:
    """The file's SHA-256: what ties a preview to the checkpoint it was drawn from."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def bundled_preview() -> dict | None:
    """The bundled preview of the picture this tab opens on (its PNG bytes under "image" and "strip", with their
    captions), or None. Only on the tab's first visit, when its link asks at most for a bundled generator, and only
    while that generator's checkpoint is the one the preview was drawn from."""
    if any(str(key).startswith("explorer.") for key in st.session_state):
        return None  # not this tab's first visit (or its widgets were set before it)
    asked = {key: st.query_params[key] for key in Explorer.LINKED if key in st.query_params}
    source = asked.pop(Picker.source(Explorer.PICKER), "Bundled")
    name = asked.pop(Picker.bundled(Explorer.PICKER), None)
    if asked or source != "Bundled":
        return None
    try:
        previews = json.loads(PREVIEWS.read_text(encoding="utf-8"))
        here = PREVIEWS.parent
        if name is None:  # the picker's default: the first bundled generator there is
            name = next((n for n, entry in previews.items() if (here / entry["checkpoint"]).exists()), None)
        entry = previews.get(name)
        if not entry or "sha256" not in entry:
            return None
        if file_sha256(here / entry["checkpoint"]) != entry["sha256"]:
            return None  # rebuilt since: its preview would show another digit
        return {**entry, "image": (here / entry["image"]).read_bytes(), "strip": (here / entry["strip"]).read_bytes()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # a preview only saves time: never an error
        return None
