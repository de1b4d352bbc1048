# Two commands for a fresh machine with Python 3.11 (see README):
#   make lab    set up .venv and open the course in JupyterLab (as root or not, with or without a browser)
#   make test   set up .venv and run the whole test suite, every notebook included (nbval)
# More: make site (the course website, offline), make benchmark, make colab (Colab's stack), make release.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
LAB_ARGS ?=
EXECUTED := build/executed
# nbval runs every notebook cell by cell (rules in conftest.py); loadgroup keeps a notebook in one worker.
NOTEBOOK_TEST := --nbval-lax --nbval-current-env --nbval-executed-dir $(EXECUTED) tests lessons solutions assignments

.PHONY: setup system lab test test-suite site site-test benchmark colab release clean mutation

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	touch $(STAMP)

# System packages some tests need (bubblewrap: the grading sandbox; chromium: the browser and site tests).
# Installed when this runs as root with apt-get; otherwise those tests skip and the run ends with a summary
# saying how to enable them.
system:
	@missing=""; command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing$$missing (apt-get)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	elif [ -n "$$missing" ]; then \
	  echo "note: not installed:$$missing; the tests that need them will skip (sudo apt-get install -y$$missing)"; \
	fi

lab: setup
	@args="$(LAB_ARGS)"; \
	if [ "$$(id -u)" = 0 ]; then args="$$args --allow-root"; fi; \
	if [ "$$(uname)" != Darwin ] && [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then args="$$args --no-browser"; \
	  echo "No display: open the http://127.0.0.1:... address JupyterLab prints below in a browser."; fi; \
	exec $(BIN)/jupyter lab $$args lessons/01_why_simple_rnns_forget.ipynb

# Then the site is built from the notebooks nbval just executed (no second run) and checked in Chromium.
test: setup system
	@$(MAKE) --no-print-directory test-suite site site-test

test-suite: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15 --ignore=tests/test_site.py $(NOTEBOOK_TEST) $(PYTEST_ARGS)

site-test: setup
	COURSE_SITE_HTML=build/site/html $(BIN)/python -m pytest -p no:cacheprovider tests/test_site.py

# The course website (build/site/html), from the executed notebooks `make test` left in build/executed;
# notebooks without a fresh executed copy are run first. Offline: theme, search and MathJax come from PyPI.
site: setup
	$(BIN)/python tools/build_site.py --executed $(EXECUTED)

benchmark: setup
	$(BIN)/python tools/benchmark.py

colab:
	bash tools/colab_stack.sh

# Mutation testing (tools/mutation.py): score per module and surviving mutants. MODULES="reviews" for some,
# MUTATION_ARGS=--changed for the modules whose source or tests changed since their recorded run
# (tools/mutation_record.json, written by each complete run); CI adds --no-tensorflow.
mutation: setup
	nice -n 10 $(BIN)/python tools/mutation.py $(MODULES) $(MUTATION_ARGS)

release: setup
	$(BIN)/python tools/release_assignments.py

clean:
	rm -rf $(VENV) .venv-colab .pytest_cache build
