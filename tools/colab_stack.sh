#!/usr/bin/env bash
# Colab's stack (tests/stacks/colab.txt) in a virtualenv, the package installed into it unchanged, and
# every lesson and solution run there with nbval.
#   bash tools/colab_stack.sh            # build .venv-colab (if needed), check the install, run the notebooks
#   COLAB_VENV=/tmp/colab bash tools/colab_stack.sh
# Python: Colab runs 3.13. This uses python3.13 from PATH or pyenv; where neither exists it falls back to
# python3.11 with Colab's package versions and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${COLAB_VENV:-.venv-colab}"
STACK=tests/stacks/colab.txt
pick_python() {
  for candidate in python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
    # (a pyenv shim can exist without the version behind it: ask the interpreter itself)
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
      "$candidate" -c 'import sys; print(sys.executable)'; return
    fi
  done
  echo "WARNING: no Python 3.13 here (Colab's); building Colab's package versions on python3.11" >&2
  command -v python3.11 || command -v python3
}
if [ ! -x "$VENV/bin/python" ] || [ "$STACK" -nt "$VENV/.stack" ]; then
  rm -rf "$VENV"
  "$(pick_python)" -m venv "$VENV"
  # Colab's versions of what the course imports, plus nbval (not on Colab; pinned as in requirements-dev.txt).
  # -c: everything pulled in takes Colab's version; pip fails if Colab's set does not resolve.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c "$STACK" \
    tensorflow keras numpy matplotlib scikit-learn ipywidgets ipykernel ipython nbformat nbclient pytest \
    "$(grep -E '^nbval==' requirements-dev.txt | cut -d' ' -f1)" 2>&1 | { grep -v '^WARNING: Location' || true; }
  touch "$VENV/.stack"
fi
"$VENV/bin/python" -c 'import sys, tensorflow as tf, keras; print(f"Colab stack: Python {sys.version.split()[0]}, tensorflow {tf.__version__}, keras {keras.__version__}")' 2>/dev/null
# Installing the package (as the setup cell does on Colab: a regular install) must change none of its packages.
"$VENV/bin/python" -m pip uninstall --quiet --yes lstm-course >/dev/null 2>&1 || true
before=$("$VENV/bin/python" -m pip freeze --disable-pip-version-check)
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check . 2>&1 | { grep -v '^WARNING: Location' || true; }
after=$("$VENV/bin/python" -m pip freeze --disable-pip-version-check | grep -v -i '^lstm[-_]course')
if [ "$before" != "$after" ]; then
  echo "FAIL: installing the package changed Colab's packages:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "PASS: installing the package changed none of the $(echo "$before" | wc -l) packages of the Colab stack"
# Every lesson and solution, cell by cell, on this stack (the nbval rules are in conftest.py).
export PYDEVD_DISABLE_FILE_VALIDATION=1  # debugpy's note about frozen modules on Python 3.13
"$VENV/bin/python" -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider -q -o addopts="" \
  lessons solutions "$@"
