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

# Runs the whole suite on SQLite and on a throwaway PostgreSQL server that the script starts and removes;
# system programs the tests drive (Graphviz) are installed first when missing.
test: $(VENV)/.installed-test
	scripts/system-deps.sh
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_capture.py

clean:
	rm -rf $(VENV) demo-home .pytest_cache
