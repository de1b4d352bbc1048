"""Execute a notebook the way a learner would (top to bottom, fresh kernel) and collect what it printed.

Lessons mark the cell that holds what a learner is invited to change with the cell tag
``parameters`` (ALL_CAPS assignments only, the papermill convention). ``execute(..., overrides=)``
runs the lesson with other values, as a learner who edits that cell would (tweak runs);
``inject=`` adds code after a tagged cell (negative runs: break one thing, expect a FAIL line);
``stop_after=`` ends the run after a tagged cell (a negative run need not train everything after it).
"""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def _tagged(nb, tag: str) -> int:
    found = [i for i, cell in enumerate(nb.cells) if tag in cell.get("metadata", {}).get("tags", [])]
    if len(found) != 1:
        raise LookupError(f"expected exactly one cell tagged {tag!r}, found {len(found)}")
    return found[0]


def prepare(nb, overrides: dict | None = None, inject: dict | None = None, stop_after: str | None = None):
    """Return a copy of `nb` with parameter overrides, injected code and an early end applied."""
    nb = nbformat.from_dict(nbformat.v4.upgrade(nb) if nb.nbformat < 4 else nb)
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)  # a private copy
    inserts = dict(inject or {})
    if overrides:
        code = "\n".join(f"{name} = {value!r}" for name, value in overrides.items())
        inserts["parameters"] = (inserts.get("parameters", "") + "\n" + code).strip()
    end = _tagged(nb, stop_after) + 1 if stop_after else len(nb.cells)
    positions = {_tagged(nb, tag): code for tag, code in inserts.items()}
    cells = []
    for index, cell in enumerate(nb.cells[:end]):
        cells.append(cell)
        if index in positions:
            cells.append(nbformat.v4.new_code_cell(positions[index], metadata={"tags": ["injected-by-test"]}))
    nb.cells = cells
    return nb


def execute(path, timeout: int = 600, allow_errors: bool = False, overrides: dict | None = None,
            inject: dict | None = None, stop_after: str | None = None):
    """Run the notebook in its own folder; return the executed notebook."""
    path = Path(path)
    nb = prepare(nbformat.read(str(path), as_version=4), overrides, inject, stop_after)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def streams(nb, name: str) -> str:
    """All text a notebook wrote to `name` ("stdout" or "stderr")."""
    return "".join(
        out.get("text", "")
        for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.output_type == "stream" and out.name == name
    )


def self_check_lines(nb) -> tuple[list[str], list[str]]:
    """The PASS: and FAIL: lines a notebook printed."""
    lines = streams(nb, "stdout").splitlines()
    return [l for l in lines if l.startswith("PASS:")], [l for l in lines if l.startswith("FAIL:")]


def assert_clean_run(nb, expected_passes: int | None = None) -> str:
    """A run that reached its end cleanly: no FAIL line, no NaN printed, nothing on stderr, and (when
    given) exactly `expected_passes` PASS lines. Returns what the notebook printed, for further checks."""
    import re

    passed, failed = self_check_lines(nb)
    assert not failed, "\n".join(failed)
    if expected_passes is not None:
        assert len(passed) == expected_passes, "\n".join(passed)
    out = streams(nb, "stdout")
    assert not re.search(r"\bnan\b", out, re.IGNORECASE), "a NaN was printed"
    assert streams(nb, "stderr").strip() == ""
    return out
