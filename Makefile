# Two commands for a fresh machine with Python 3.11 (see README):
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run the whole test suite (every notebook included)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup lab test benchmark release clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $(STAMP)

lab: setup
	$(BIN)/jupyter lab lessons/01_why_simple_rnns_forget.ipynb

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15 $(PYTEST_ARGS)

benchmark: setup
	$(BIN)/python tools/benchmark.py

release: setup
	$(BIN)/python tools/release_assignments.py

clean:
	rm -rf $(VENV) .pytest_cache
