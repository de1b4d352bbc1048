"""Put a submitted notebook's graded cells back as the gradebook has them, before nbgrader reads it.

A student can delete a test or answer cell, re-flag a test cell as an answer, change its type,
points or lock, copy it (two cells with one grade id), or give an ordinary cell a grade id. nbgrader
alone then stops with an error or grades the wrong thing. `repair` works from the gradebook's
record of the released notebook (the trusted side) and returns the notebook every grader step can
rely on, with one readable line per change (the instructor's report lists them as tampering):

* every graded or locked cell of the release is present once, with the release's type, metadata
  and, for locked cells (tests, instructions), the release's source (hidden tests included);
* a deleted cell comes back after the graded cell that preceded it in the release (an answer cell
  comes back as the release's stub, so the work is simply missing, never an error);
* a cell whose grade id the release does not have, or a second copy of one, loses its nbgrader
  metadata and becomes an ordinary cell.
"""
from __future__ import annotations

import dataclasses

from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell


@dataclasses.dataclass
class ReleasedCell:
    """What the gradebook knows about one cell of the released notebook."""

    name: str
    cell_type: str
    source: str
    locked: bool
    checksum: str | None
    grade: bool
    solution: bool
    task: bool
    points: float | None

    @property
    def is_test(self) -> bool:
        return self.grade and not self.solution and self.cell_type == "code"

    def metadata(self) -> dict:
        nbg = {"grade": self.grade, "solution": self.solution, "locked": self.locked,
               "task": self.task, "grade_id": self.name, "schema_version": 3}
        if self.grade or self.task:
            nbg["points"] = self.points
        if self.checksum:
            nbg["checksum"] = self.checksum
        return nbg


def released_cells(gradebook, notebook: str, assignment: str) -> list[ReleasedCell]:
    """The gradebook's cells of one notebook, in release order (the source cells' order)."""
    nb = gradebook.find_notebook(notebook, assignment)
    grades = {c.name: c for c in nb.grade_cells}
    solutions = {c.name for c in nb.solution_cells}
    tasks = {c.name: c for c in nb.task_cells}
    cells = []
    for source in nb.source_cells:
        graded = grades.get(source.name) or tasks.get(source.name)
        cells.append(ReleasedCell(
            name=source.name, cell_type=source.cell_type, source=source.source or "",
            locked=bool(source.locked), checksum=source.checksum, grade=source.name in grades,
            solution=source.name in solutions, task=source.name in tasks,
            points=float(graded.max_score) if graded is not None else None))
    return cells


def split_hidden(source: str) -> tuple[list[str], list[str]]:
    """A test cell's lines outside and inside its hidden-tests region (markers dropped)."""
    kept, hidden_lines, hidden = [], [], False
    for line in source.splitlines():
        if line.strip().startswith("### BEGIN HIDDEN TESTS"):
            hidden = True
        elif line.strip().startswith("### END HIDDEN TESTS"):
            hidden = False
        else:
            (hidden_lines if hidden else kept).append(line)
    return kept, hidden_lines


def _as_released(source: str) -> str:
    """A test cell as learners got it: nbgrader's release drops the hidden-tests region."""
    return "\n".join(line.rstrip() for line in split_hidden(source)[0]).strip()


def _flags(nbg: dict) -> tuple:
    points = nbg.get("points")
    try:
        points = float(points) if points is not None else None
    except (TypeError, ValueError):
        points = "invalid"
    return (bool(nbg.get("grade")), bool(nbg.get("solution")), bool(nbg.get("locked")),
            bool(nbg.get("task")), points if nbg.get("grade") or nbg.get("task") else None)


def _grade_id(cell) -> str | None:
    nbg = cell.get("metadata", {}).get("nbgrader")
    return nbg.get("grade_id") if isinstance(nbg, dict) else None


def _new_cell(released: ReleasedCell) -> NotebookNode:
    maker = new_code_cell if released.cell_type == "code" else new_markdown_cell
    cell = maker(released.source)
    cell.metadata["nbgrader"] = released.metadata()
    return cell


def _set_type(cell, cell_type: str) -> None:
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    if cell_type == "code":
        cell.pop("attachments", None)


def repair(nb, released: list[ReleasedCell]) -> list[str]:
    """Repair `nb` in place against `released`; return what was changed, one line each."""
    by_name = {r.name: r for r in released}
    changes: list[str] = []
    seen: set[str] = set()
    for cell in nb.cells:
        nbg = cell.get("metadata", {}).get("nbgrader")
        if nbg is None:
            continue
        grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
        if grade_id not in by_name or grade_id in seen:
            shown = repr(str(grade_id)[:60])
            changes.append(f"a second copy of cell {shown} was made an ordinary cell" if grade_id in seen
                           else f"a cell with grade id {shown}, which the release does not have, "
                                "was made an ordinary cell")
            del cell.metadata["nbgrader"]
            continue
        seen.add(grade_id)
        want = by_name[grade_id]
        kind = "test cell" if want.is_test else "answer cell" if want.solution else "cell"
        if cell.cell_type != want.cell_type:
            changes.append(f"{kind} {grade_id} was turned into a {cell.cell_type} cell; restored")
            _set_type(cell, want.cell_type)
        metadata = want.metadata()
        if _flags(nbg) != _flags(metadata):
            changes.append(f"{kind} {grade_id}'s nbgrader metadata was changed; restored")
        cell.metadata["nbgrader"] = metadata
        if want.locked and cell.source != want.source:
            if want.is_test and _as_released(cell.source) != _as_released(want.source):
                changes.append(f"test cell {grade_id} was edited; restored from the gradebook")
            cell.source = want.source
    # deleted cells come back after the release cell that preceded them
    for index, want in enumerate(released):
        if want.name in seen or not (want.grade or want.solution or want.task or want.locked):
            continue
        position = 0
        for earlier in reversed(released[:index]):
            found = next((i for i, c in enumerate(nb.cells) if _grade_id(c) == earlier.name), None)
            if found is not None:
                position = found + 1
                break
        nb.cells.insert(position, _new_cell(want))
        seen.add(want.name)
        kind = "test cell" if want.is_test else "answer cell" if want.solution else "cell"
        if want.is_test or want.solution:
            changes.append(f"{kind} {want.name} was deleted or lost its nbgrader metadata; "
                           "restored from the gradebook")
    return changes
