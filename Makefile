# GAN Arena. `make run` sets up .venv and starts the app; `make test` sets up and runs the whole suite.
# Both install exactly the lock files (requirements.txt, requirements-dev.lock) with uv; `make lock` refreshes them.
# The runtime lock is requirements.txt: what `pip install -r requirements.txt` and hosted Streamlit platforms read.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
# uv itself is pinned too: a newer resolver must not change what `make lock` writes behind our backs.
UV_VERSION := 0.13.9
PORT ?= 8501
# One resolution for Linux, macOS and Windows (universal markers), the fewest versions across Python releases.
LOCK_FLAGS := --universal --fork-strategy fewest --python-version 3.11 --quiet --custom-compile-command "make lock"
# `make lock` keeps the locked versions where they still fit; `make lock UPGRADE=1` moves to the newest.
ifdef UPGRADE
LOCK_FLAGS += --upgrade
endif

.PHONY: run test typecheck test-cluster lock browser bench pretrained classifier clean

$(UV):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)

# --compile-bytecode: imports read .pyc files written once at install time. Where the environment sets
# PYTHONDONTWRITEBYTECODE (containers, CI) Python never writes them itself, and torchmetrics alone then takes ~9 s
# to import from source on every start of a worker.
UV_INSTALL := $(UV) pip install --python $(PY) --quiet --compile-bytecode

$(VENV)/.installed: requirements.txt | $(UV)
	$(UV_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(UV)
	$(UV_INSTALL) -r requirements-dev.lock
	touch $@ $(VENV)/.installed

$(VENV)/.installed-cluster: requirements-cluster.lock | $(UV)
	$(UV_INSTALL) -r requirements-cluster.lock
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.installed-dev browser typecheck
	$(PY) -m pytest

# mypy over the core and the app services (pyproject.toml's [tool.mypy]): every trainer keeps gan/train/protocol.py.
typecheck: $(VENV)/.installed-dev
	$(PY) -m mypy

# The optional Ray backend against a Ray started on this machine (about a minute).
test-cluster: $(VENV)/.installed-cluster
	$(PY) -m pytest -m cluster

# The browser tests drive the system Chromium; Playwright never downloads one of its own here.
browser:
	@bash scripts/ensure_chromium.sh

lock: | $(UV)
	$(UV) pip compile $(LOCK_FLAGS) pyproject.toml -o requirements.txt
	$(UV) pip compile $(LOCK_FLAGS) --extra dev pyproject.toml -o requirements-dev.lock
	$(UV) pip compile $(LOCK_FLAGS) --extra dev --extra cluster -c requirements-dev.lock pyproject.toml \
		-o requirements-cluster.lock  # the dev lock plus Ray: the same versions everywhere else

bench: $(VENV)/.installed
	$(PY) -m benchmarks.engine

pretrained: $(VENV)/.installed
	$(PY) scripts/build_pretrained.py

classifier: $(VENV)/.installed
	$(PY) -m gan.quality --retrain
	$(PY) -m gan.factors --retrain

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
