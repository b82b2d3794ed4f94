# The two README commands: `make demo` (install + run on the bundled sample) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	LAYERWISE_HOME="$(CURDIR)/demo-home" $(BIN)/layerwise demo

# Lint (ruff) and type checks (mypy) first, then the whole suite on SQLite and on a throwaway PostgreSQL
# server that the script starts and removes, two tests at a time (pytest-xdist; each worker gets its own
# database); system programs the tests drive (Graphviz, Chromium) are installed first when missing.
test: $(VENV)/.installed-test
	scripts/system-deps.sh
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python -m pytest -q -n 2

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_capture.py

clean:
	rm -rf $(VENV) demo-home .pytest_cache
