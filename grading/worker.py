"""Grade ONE student's submission with nbgrader, in its own process (``python -m grading.worker``).

A separate process per submission means a pathological notebook can at worst kill this process,
never the batch. The gradebook (SQLite) is written by two workers at once, so every gradebook
access holds an exclusive file lock, released only while a kernel runs (grading/execute.py).
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import time
import traceback
from pathlib import Path

import nbformat

from . import execute as sandboxed_execute

MAX_NOTEBOOK_BYTES = 50 * 2**20


class FileLock:
    """An exclusive flock on a file; re-entrant release/acquire pairs."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def load_config(course_dir: Path, overrides: dict):
    """The course's nbgrader_config.py plus the grader's settings."""
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata,  # noqa: PLC0415
                                        Execute, IgnorePattern, LimitOutput, SaveAutoGrades)
    from traitlets.utils.importstring import import_item  # noqa: PLC0415
    from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: PLC0415
    from traitlets.config import Config  # noqa: PLC0415
    from traitlets.config.loader import PyFileConfigLoader  # noqa: PLC0415

    config = Config()
    if (course_dir / "nbgrader_config.py").exists():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config())
    config.CourseDirectory.root = str(course_dir)
    if os.environ.get("GRADING_DB_URL"):  # a sharded run's shared gradebook (runner, --db-url)
        config.CourseDirectory.db_url = os.environ["GRADING_DB_URL"]
    # swap nbgrader's Execute for the sandboxed one, keeping the course's other steps
    default = [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
               AssignLatePenalties, CheckCellMetadata]
    configured = config.Autograde.get("autograde_preprocessors", default)
    steps = [import_item(p) if isinstance(p, str) else p for p in configured]
    steps = [sandboxed_execute.SandboxedExecute if isinstance(p, type) and issubclass(p, Execute)
             else p for p in steps]
    if sandboxed_execute.SandboxedExecute not in steps:
        steps.insert(0, sandboxed_execute.SandboxedExecute)
    config.Autograde.autograde_preprocessors = steps
    # a deleted test cell comes back from the gradebook and runs against the student's code
    config.OverwriteCells.add_missing_cells = True
    for key, value in overrides.items():
        setattr(config.SandboxedExecute, key, value)
    return config


def check_notebook(path: Path) -> str | None:
    """Why a submitted file is not a gradable notebook, or None if it is."""
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            return f"the notebook is {size >> 20} MB, over the {MAX_NOTEBOOK_BYTES >> 20} MB limit"
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
        if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
            return "the file is JSON but not a Jupyter notebook (no 'nbformat' version)"
        if raw["nbformat"] != 4:
            return f"the notebook has format version {raw['nbformat']}; only version 4 is graded"
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except UnicodeDecodeError:
        return "the file is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return f"the file is not valid JSON ({exc.msg} at line {exc.lineno})"
    except (nbformat.ValidationError, nbformat.reader.NotJSONError) as exc:
        return f"the notebook does not follow the notebook format: {str(exc).splitlines()[0][:200]}"
    except Exception as exc:  # noqa: BLE001 - anything unreadable is reported, not raised
        return f"the notebook could not be read: {type(exc).__name__}: {exc}"[:300]
    return None


def test_cell_changes(submitted: Path, released: Path) -> list[str]:
    """How the submission's test cells differ from the release (nbgrader restores them all)."""
    if not released.exists():
        return []
    def tests(path):
        cells = {}
        for cell in nbformat.read(path, as_version=4).cells:
            nbg = cell.get("metadata", {}).get("nbgrader", {})
            if nbg.get("grade") and not nbg.get("solution") and "grade_id" in nbg:
                cells[nbg["grade_id"]] = cell
        return cells
    given, sent = tests(released), tests(submitted)
    changes = []
    for grade_id, cell in given.items():
        if grade_id not in sent:
            changes.append(f"test cell {grade_id} was deleted or lost its nbgrader metadata; "
                           "restored from the gradebook")
        elif sent[grade_id].source != cell.source:
            changes.append(f"test cell {grade_id} was edited; restored from the gradebook")
        elif _grading_fields(sent[grade_id]) != _grading_fields(cell):
            changes.append(f"test cell {grade_id}'s nbgrader metadata was changed; restored")
    return changes


def _grading_fields(cell) -> dict:
    nbg = cell.get("metadata", {}).get("nbgrader", {})
    return {k: nbg.get(k) for k in ("grade", "solution", "locked", "points", "task")}


def zero_notebook(gb, assignment: str, student: str, notebook: str) -> None:
    """Zero for every graded cell of a notebook that could not be graded."""
    submission = gb.find_submission_notebook(notebook, assignment, student)
    for grade in submission.grades:
        grade.auto_score = 0
        grade.needs_manual_grade = False
    gb.db.commit()


def grade_student(course_dir: Path, assignment: str, student: str, slot: int,
                  sandboxed: bool, limits: dict, state_dir: Path) -> dict:
    from nbgrader.api import Gradebook  # noqa: PLC0415
    from nbgrader.apps import NbGraderAPI  # noqa: PLC0415
    from nbgrader.coursedir import CourseDirectory  # noqa: PLC0415

    report_dir = state_dir / "records" / student
    coursedir = CourseDirectory(config=load_config(course_dir, {}))
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    overrides = {"use_sandbox": sandboxed, "slot": slot, "report_dir": str(report_dir),
                 "submitted_dir": str(submitted), **limits}
    config = load_config(course_dir, overrides)
    coursedir = CourseDirectory(config=config)
    lock = FileLock(state_dir / "gradebook.lock")
    sandboxed_execute.GRADEBOOK_LOCK = lock
    result = {"student": student, "assignment": assignment, "status": "graded",
              "notebooks": {}, "sandboxed": sandboxed}
    started = time.monotonic()
    lock.acquire()
    try:
        with Gradebook(coursedir.db_url) as gb:
            notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        problems = {}
        for name in notebooks:
            path = submitted / f"{name}.ipynb"
            problem = "no such notebook was submitted" if not path.exists() else check_notebook(path)
            if problem:
                problems[name] = problem
        good = [n for n in notebooks if n not in problems]
        release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
        changes = [f"{name}: {change}" for name in good
                   for change in test_cell_changes(submitted / f"{name}.ipynb",
                                                   release / f"{name}.ipynb")]
        api = NbGraderAPI(coursedir=coursedir, config=config)
        runs = [("*", None)] if not problems else [(n, n) for n in good] or [("*", None)]
        logs = []
        for notebook_id, _ in runs:
            coursedir.notebook_id = notebook_id
            outcome = api.autograde(assignment, student, force=True, create=True)
            logs.append(outcome.get("log", ""))
            if not outcome["success"] and not problems:
                result["status"] = "error"
                result["error"] = (outcome.get("error") or "")[-2000:]
        coursedir.notebook_id = "*"
        with Gradebook(coursedir.db_url) as gb:
            gb.update_or_create_submission(assignment, student)
            for name, problem in problems.items():
                zero_notebook(gb, assignment, student, name)
                result["notebooks"][name] = {"status": "not gradable", "reason": problem}
            if result["status"] == "error":
                for name in notebooks:
                    zero_notebook(gb, assignment, student, name)
            for name in notebooks:
                sub = gb.find_submission_notebook(name, assignment, student)
                entry = result["notebooks"].setdefault(name, {"status": result["status"]})
                entry["cells"] = {g.name: {"score": g.score, "max_score": g.max_score,
                                           "needs_manual_grade": g.needs_manual_grade,
                                           "auto": g.cell.__class__.__name__ == "GradeCell"
                                           and not _is_solution(gb, g)}
                                  for g in sub.grades}
                entry["score"] = sub.score
                entry["max_score"] = sub.max_score
                record_file = report_dir / f"{name}.json"
                if record_file.exists():
                    entry["record"] = json.loads(record_file.read_text())
            sub = gb.find_submission(assignment, student)
            result["score"], result["max_score"] = sub.score, sub.max_score
        log_text = "\n".join(logs)
        result["test_cell_changes"] = changes
        result["nbgrader_log"] = log_text[-4000:]
    finally:
        lock.release()
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _is_solution(gb, grade) -> bool:
    from nbgrader.api import SolutionCell  # noqa: PLC0415

    return gb.db.query(SolutionCell).filter(
        SolutionCell.name == grade.cell.name,
        SolutionCell.notebook_id == grade.cell.notebook_id).count() > 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="grade one submission (used by grading)")
    parser.add_argument("--course-dir", required=True, type=Path)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--student", required=True)
    parser.add_argument("--slot", type=int, default=0)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--result", required=True, type=Path)
    parser.add_argument("--unsandboxed", action="store_true")
    parser.add_argument("--limits", default="{}", help="JSON of SandboxedExecute settings")
    args = parser.parse_args(argv)
    os.chdir(args.course_dir)
    try:
        result = grade_student(args.course_dir.resolve(), args.assignment, args.student,
                               args.slot, not args.unsandboxed, json.loads(args.limits),
                               args.state_dir.resolve())
    except Exception:  # noqa: BLE001 - reported to the batch, which goes on
        result = {"student": args.student, "status": "error", "error": traceback.format_exc()[-3000:]}
    tmp = args.result.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, default=str))
    os.replace(tmp, args.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
