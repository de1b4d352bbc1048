"""Helpers for the assignment tests: a throw-away nbgrader course, submissions, grades."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import release_assignments  # noqa: E402

ASSIGNMENTS = {  # assignment id -> its notebook names (without .ipynb)
    "a1_lstm_concepts": ["a1_lstm_concepts"],
    "a2_rnn_vs_lstm_stability": ["a2_rnn_vs_lstm_stability"],
    "a3_next_word": ["a3_next_word"],
}


def run_nbgrader(course_dir: Path, *args, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    """`nbgrader <args>` in `course_dir` with the course's config; fail loudly with its log."""
    result = subprocess.run(
        release_assignments.nbgrader_command() + [str(a) for a in args],
        cwd=course_dir, capture_output=True, text=True, env=release_assignments.nbgrader_env(), timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return result


def make_course(course_dir: Path, ids) -> Path:
    """Copy the config and the sources of `ids` into `course_dir` and generate their releases there."""
    return release_assignments.generate(list(ids), Path(course_dir))


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def solution_sources(source_nb) -> dict:
    """{grade_id: source} of every cell a learner writes in (solution cells)."""
    return {grade_id(c): c.source for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def fill_in(release_nb, answers: dict) -> nbformat.NotebookNode:
    """A copy of the released notebook with the learner cells named in `answers` replaced."""
    nb = nbformat.from_dict(release_nb)
    unknown = set(answers) - {grade_id(c) for c in nb.cells}
    assert not unknown, f"no such cells: {unknown}"
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def submit(course_dir: Path, student: str, assignment: str, notebooks: dict) -> None:
    """Place `{notebook name: NotebookNode}` as `student`'s submission (as `nbgrader collect` would)."""
    folder = Path(course_dir) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, str(folder / f"{name}.ipynb"))
    (folder / "timestamp.txt").write_text("2030-01-01 12:00:00.000000 UTC")


def cell_scores(course_dir: Path, assignment: str, student: str) -> dict:
    """{grade_id: (score, max_score)} from the gradebook; score is None while a manual grade is pending."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        scores = {}
        for notebook in gb.find_submission(assignment, student).notebooks:
            for grade in notebook.grades:
                score = grade.manual_score if grade.manual_score is not None else grade.auto_score
                scores[grade.name] = (score, grade.max_score)
        return scores


def execute(path: Path, timeout: int = 120) -> nbformat.NotebookNode:
    """Run a notebook top to bottom (errors allowed, like nbgrader) in its own folder."""
    from notebook_runner import execute as run_notebook

    return run_notebook(path, timeout=timeout, allow_errors=True)


def first_error(nb):
    """(cell index, cell, error output) of the first cell that raised, or None."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                return index, cell, output
    return None


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)
