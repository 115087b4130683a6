"""The one generator picker of the Latent Explorer and the Compare page: a bundled, saved or uploaded checkpoint,
validated by `gan.latent.load_generator` and loaded once per process per file version."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from torch import nn

from arena.classroom import RunOwner, read_owner, recently_pruned, visible_to
from arena.limits import LimitExceeded
from gan.checkpoint import CheckpointError
from gan.runs import list_runs
from gan.latent import bundled_generators, load_generator
from ui.identity import current_student
from ui.keys import Picker
from ui.session import runs_dir
from ui.state import server_limits
from ui.text import plain, safe_label

SOURCES = ("Bundled", "Saved run", "Upload")
KEPT = ("config", "iteration", "elapsed", "history", "quality")  # what a page reads of a checkpoint besides G


@dataclass(frozen=True)
class LoadedGenerator:
    """A checkpoint's generator, ready to sample, and the checkpoint without its weights."""

    G: nn.Module
    key: str
    """Identifies the weights (path and mtime, or the upload's id): the cache key of everything derived."""
    label: str
    state: dict
    """config, iteration, elapsed, history (and quality, for the bundled ones)."""


@st.cache_resource(show_spinner="Loading the generator…", max_entries=8)
def _load_file(path: str, mtime: float) -> tuple[nn.Module, dict] | str:
    """Loaded once per process per file version (mtime in the key: a re-saved run reloads)."""
    return _load(path)


@st.cache_resource(show_spinner="Loading the generator…", max_entries=4)
def _load_upload(file_id: str, _data: io.BytesIO) -> tuple[nn.Module, dict] | str:
    return _load(_data)


def _load(source) -> tuple[nn.Module, dict] | str:
    """(G, the checkpoint without its weights), or why the file cannot be used: a refusal is cached too, so that a
    rerun does not read a hostile file again. The server's limits are checked before the generator is built."""
    try:
        G, state = load_generator(source, vet=server_limits().check_generator)
    except (CheckpointError, LimitExceeded) as err:
        return str(err)
    return G, {k: v for k, v in state.items() if k in KEPT}


def _loaded(result: tuple[nn.Module, dict] | str) -> tuple[nn.Module, dict]:
    if isinstance(result, str):
        raise CheckpointError(result)
    return result


def generator_picker(prefix: str, *, label: str = "Generator", prefer: str | None = None, purpose: str = "explore",
                     linked: bool = False) -> LoadedGenerator | None:
    """Source + the matching selector, its widgets keyed under `prefix`. None (after saying why) when there is
    nothing to pick. `prefer`: a bundled generator whose name contains it is the first choice. `linked`: the choice
    of a bundled generator lives in the address bar too, so a copied link opens the same one."""
    bind = "query-params" if linked else None
    source = st.segmented_control(label, SOURCES, default=SOURCES[0], key=Picker.source(prefix), bind=bind)
    try:
        if (source or SOURCES[0]) == "Bundled":
            return _bundled(prefix, prefer, bind)
        if source == "Saved run":
            return _saved_run(prefix)
        return _upload(prefix)
    except CheckpointError as err:
        st.error(f"Cannot {purpose} this file: {plain(err, max_chars=400)}", icon=":material/error:")
        return None


def _bundled(prefix: str, prefer: str | None, bind: str | None) -> LoadedGenerator | None:
    choices = {name: path for name, path in bundled_generators().items() if path.exists()}
    if not choices:
        st.error("The bundled generators are missing from assets/pretrained/: rebuild them with `make pretrained`, "
                 "or pick a saved run or an upload.", icon=":material/error:")
        return None
    names = list(choices)
    index = next((i for i, name in enumerate(names) if prefer and prefer in name.lower()), 0)
    name = st.selectbox("Pretrained generator", names, index=index, key=Picker.bundled(prefix), bind=bind)
    return _from_file(choices[name], name)


def _saved_run(prefix: str) -> LoadedGenerator | None:
    """The student's own runs and those shared with the class: never another student's unshared run."""
    student = current_student()
    saved = list_runs(runs_dir())
    owners = {run.name: read_owner(run.path.parent) for run in saved}
    runs = [run for run in saved if visible_to(owners[run.name], student.id)]
    pruned = recently_pruned(runs_dir(), student.id, limit=1)
    if pruned:
        st.caption(f"Your run {plain(pruned[0].name, 60)} was removed: {plain(pruned[0].why, 80)} (the server's "
                   "retention rule).")
    if not runs:
        st.info("No saved runs of yours yet: train one on the Train page or race two on the Compare page, or pick a "
                "bundled generator. Runs the teacher shares with the class appear here too.")
        return None
    run = st.selectbox("Saved run", runs, format_func=lambda r: f"{r.name} · {whose(owners[r.name], student.id)}",
                       key=Picker.run(prefix))
    return _from_file(run.path, run.name)


def whose(owner: RunOwner | None, student: str) -> str:
    if owner is None:
        return "the class's"
    if owner.student == student:
        return "yours" + (", shared" if owner.shared else "")
    return f"shared by {owner.nickname or 'a student'}"


def _upload(prefix: str) -> LoadedGenerator | None:
    limit = int(st.get_option("server.maxUploadSize"))
    # Said on the page: the browser itself refuses a larger file and marks it with a red icon and no words.
    upload = st.file_uploader(f"GAN Arena checkpoint (.pt, up to {limit} MB)", type=["pt"],
                              key=Picker.upload(prefix))
    if upload is None:
        st.info(f"Upload a `checkpoint.pt` written by the Train page or `python -m gan train`. A file marked red "
                f"was refused by your browser: it is larger than this server's {limit} MB limit.")
        return None
    data = io.BytesIO(upload.getvalue())
    data.name = upload.name  # load_checkpoint names the file in its messages
    G, state = _loaded(_load_upload(upload.file_id, data))
    return LoadedGenerator(G, f"upload:{upload.file_id}", safe_label(Path(upload.name).stem), state)


def load_bundled(name: str) -> LoadedGenerator:
    """The bundled generator `name` (a key of gan.latent.bundled_generators()), from the picker's cache; raises
    CheckpointError when its file is missing or unusable."""
    path = bundled_generators()[name]
    if not path.exists():
        raise CheckpointError(f"the bundled generator {name} is missing from assets/pretrained/ (`make pretrained`)")
    return _from_file(path, name)


def _from_file(path: Path, label: str) -> LoadedGenerator:
    mtime = Path(path).stat().st_mtime
    G, state = _loaded(_load_file(str(path), mtime))
    return LoadedGenerator(G, f"{path}:{mtime}", label, state)
