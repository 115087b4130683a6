# GAN Arena. `make run` sets up .venv and starts the app; `make test` sets up and runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test bench pretrained classifier clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.installed-dev
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) -m gan.bench

pretrained: $(VENV)/.installed
	$(PY) scripts/build_pretrained.py

classifier: $(VENV)/.installed
	$(PY) -m gan.quality --retrain

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
