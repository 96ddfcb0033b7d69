# Two commands matter: `make run` (set up, index if missing, serve the UI) and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# The CPU wheel of torch lies here on these machines; pip also finds it through its own config.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: install system-deps run index test test-slow bundle bench bench-scale bench-load bench-library bench-real-documents lint format eval clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(FIND_LINKS) -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Chromium for the browser tests comes from Debian (never `playwright install`).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; \
	fi

index/CURRENT: | install
	$(BIN)/cimic index

index: install
	$(BIN)/cimic index

run: install index/CURRENT
	$(BIN)/python app.py

test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test-slow: install system-deps
	$(BIN)/python -m pytest -m slow

# An install for a network with no package registry: dist/cimic-assistant-offline-<version>-<platform>.tar.gz
# (wheels of every runtime dependency, the model, the corpus, a built index, install.sh at its top).
bundle: install
	bash bundle/make_bundle.sh

$(VENV)/.installed-bench: pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install --quiet $(FIND_LINKS) -e '.[dev,bench]'
	touch $@

# Every figure in the README's Performance section; bench-scale alone takes several minutes.
bench: $(VENV)/.installed-bench index/CURRENT
	$(BIN)/python bench/bench_ask.py
	$(BIN)/python bench/bench_langchain.py
	$(BIN)/python bench/bench_coldstart.py
	$(BIN)/python bench/bench_index.py
	$(BIN)/python bench/bench_robustness.py
	$(BIN)/python bench/bench_real_documents.py
	$(BIN)/python bench/bench_scale.py

bench-scale: install
	$(BIN)/python bench/bench_scale.py

bench-load: install
	$(BIN)/python bench/bench_load.py

# The whole system at 10^4 and 10^5 passages (add --sizes 1000000 for the million; tens of minutes).
bench-library: install
	$(BIN)/python bench/bench_library.py --encoder hashing

# Our documents reshaped as users' Markdown copies (wrapped, front matter, chrome): lost text, quality.
bench-real-documents: install
	$(BIN)/python bench/bench_real_documents.py

eval: install index/CURRENT
	$(BIN)/cimic eval ../shared/eval/dev.jsonl

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) index .pytest_cache .ruff_cache build *.egg-info src/*.egg-info
