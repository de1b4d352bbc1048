"""Committed notebooks are clean (no outputs) and start with the configured badge and setup cell."""
import sys

import nbformat
import pytest

from notebook_runner import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import notebook_headers  # noqa: E402

NOTEBOOKS = notebook_headers.all_notebooks()


def test_notebooks_exist():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_header_matches_course_configuration(path):
    assert notebook_headers.header_problems(path) == []


def test_a_notebook_with_outputs_is_caught(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    cell.execution_count = 1
    nb.cells = [cell]
    path = tmp_path / "dirty.ipynb"
    nbformat.write(nb, str(path))
    with pytest.raises(AssertionError, match="carry outputs"):
        test_committed_without_outputs(path)

