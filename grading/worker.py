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
import resource
import shutil
import sys
import time
import traceback
from pathlib import Path

import nbformat

from . import execute as sandboxed_execute
from . import repair, students

MAX_NOTEBOOK_BYTES = 50 * 2**20  # documented in docs/safe_grading.md
MAX_CELLS = 2_000  # the course's notebooks have < 100; a 50,000-cell notebook is refused at once
MAX_STAGED_BYTES = 200 * 2**20


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
    # deleted cells are put back by grading.repair (before nbgrader reads the notebook), which
    # also handles what nbgrader's own add_missing_cells cannot (two neighbours deleted)
    config.OverwriteCells.add_missing_cells = False
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
        cells = raw.get("cells")
        if isinstance(cells, list) and len(cells) > MAX_CELLS:
            return (f"the notebook has {len(cells)} cells, over the grader's limit of {MAX_CELLS} "
                    "(the release has far fewer): not graded")
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


def zero_notebook(gb, assignment: str, student: str, notebook: str) -> None:
    """Zero for every graded cell of a notebook that could not be graded."""
    submission = gb.find_submission_notebook(notebook, assignment, student)
    for grade in submission.grades:
        grade.auto_score = 0
        grade.needs_manual_grade = False
    gb.db.commit()


def stage_submission(submitted: Path, staged: Path, released: dict, problems: dict,
                     changes: list) -> None:
    """Copy one student's submission to `staged` (what nbgrader then reads): regular files only,
    every gradable notebook repaired against the gradebook (grading.repair)."""
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    total = 0
    for root, dirs, files in os.walk(submitted):  # os.walk never follows a symlinked folder
        here = Path(root)
        for name in sorted(dirs + files):
            path = here / name
            rel = path.relative_to(submitted)
            if path.is_symlink():
                changes.append(f"'{rel}' is a symlink in the submission; not copied")
                continue
            if not path.is_file() or (path.suffix == ".ipynb" and len(rel.parts) == 1):
                continue
            total += path.stat().st_size
            if total > MAX_STAGED_BYTES:
                changes.append(f"files beyond {MAX_STAGED_BYTES >> 20} MB not copied")
                break
            (staged / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, staged / rel)
    for name, cells in released.items():
        if name in problems:
            continue
        nb = nbformat.read(submitted / f"{name}.ipynb", as_version=4)
        changes.extend(f"{name}: {change}" for change in repair.repair(nb, cells))
        nbformat.write(nb, staged / f"{name}.ipynb")


def grade_student(course_dir: Path, assignment: str, student: str, slot: int,
                  sandboxed: bool, limits: dict, state_dir: Path,
                  isolation_kind: str = "bubblewrap") -> dict:
    from nbgrader.api import Gradebook  # noqa: PLC0415
    from nbgrader.apps import NbGraderAPI  # noqa: PLC0415
    from nbgrader.coursedir import CourseDirectory  # noqa: PLC0415

    problem = students.id_problem(student)
    if problem:
        return {"student": student, "status": "rejected", "error": problem}
    report_dir = state_dir / "records" / student
    coursedir = CourseDirectory(config=load_config(course_dir, {}))
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    # nbgrader reads a staged copy holding only this student: no glob can reach another one
    staged_root = state_dir / "staged" / student
    staged_rel = os.path.relpath(staged_root, course_dir)
    overrides = {"use_sandbox": sandboxed, "isolation_kind": isolation_kind, "slot": slot,
                 "report_dir": str(report_dir),
                 "submitted_dir": str(submitted), **limits}
    config = load_config(course_dir, overrides)
    config.CourseDirectory.submitted_directory = staged_rel
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
            released = {name: repair.released_cells(gb, name, assignment) for name in notebooks}
    finally:
        lock.release()
    # checks and repairs need no lock: a huge or broken notebook never holds up the other worker
    problems = {}
    for name in notebooks:
        path = submitted / f"{name}.ipynb"
        if path.is_symlink():  # it would grade the file it points at (a classmate's, the source)
            problem = "the submitted notebook is a symlink; only a regular file is graded"
        elif not path.exists():
            problem = "no such notebook was submitted"
        elif not path.resolve().is_relative_to(submitted.resolve()) or not path.is_file():
            problem = "the submitted notebook is not a regular file inside the submission"
        else:
            problem = check_notebook(path)
        if problem:
            problems[name] = problem
    changes: list[str] = []
    stage_submission(submitted, staged_root / student / assignment, released, problems, changes)
    good = [n for n in notebooks if n not in problems]
    lock.acquire()
    try:
        api = NbGraderAPI(coursedir=coursedir, config=config)
        logs = []
        for notebook_id in (["*"] if not problems else good):
            coursedir.notebook_id = notebook_id
            outcome = api.autograde(assignment, student, force=True, create=True)
            logs.append(outcome.get("log", ""))
            if not outcome["success"]:
                result["status"] = "error"
                result["error"] = (outcome.get("error") or "")[-2000:]
        coursedir.notebook_id = "*"
        with Gradebook(coursedir.db_url) as gb:
            gb.update_or_create_student(student)
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
                record_file = report_dir / f"{name}.json"
                record = json.loads(record_file.read_text()) if record_file.exists() else {}
                entry["record"] = record
                outcomes = {c.get("grade_id"): c for c in record.get("cells", []) if c.get("grade_id")}
                entry["cells"] = {}
                for g in sub.grades:
                    auto = g.cell.__class__.__name__ == "GradeCell" and not _is_solution(gb, g)
                    entry["cells"][g.name] = cell_result(g, auto, outcomes.get(g.name, {}),
                                                         problems.get(name) or result.get("error"))
                entry["score"] = sub.score
                entry["max_score"] = sub.max_score
            sub = gb.find_submission(assignment, student)
            result["score"], result["max_score"] = sub.score, sub.max_score
        result["test_cell_changes"] = changes
        result["nbgrader_log"] = "\n".join(logs)[-4000:]
    finally:
        lock.release()
        shutil.rmtree(staged_root, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - started, 2)
    result["worker_peak_mb"] = peak_memory_mb()
    return result


def peak_memory_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage: on Linux its ru_maxrss keeps
    the PARENT's peak across fork + exec, which would report the batch's size, not this worker's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


STATUS = {"passed": "passed", "failed": "failed", "kernel stopped": "failed",
          "not run": "not run", "own-work": "own-work"}


def cell_result(grade, auto: bool, outcome: dict, problem: str | None) -> dict:
    """One graded cell in the machine-readable result (schema in docs/safe_grading.md)."""
    if not auto:
        status = "manual"
    elif problem:
        status = "not run"
    else:
        status = STATUS.get(outcome.get("outcome"), "not run")
    return {"grade_id": grade.name, "points": grade.score, "max_points": grade.max_score,
            "status": status, "hint": outcome.get("hint") or (outcome.get("reason") if status != "passed" else "")
            or (problem or "" if status == "not run" else ""),
            "needs_manual_grade": grade.needs_manual_grade, "auto": auto,
            # the names the reports and the CSV already read
            "score": grade.score, "max_score": grade.max_score}


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
    parser.add_argument("--isolation-kind", choices=("bubblewrap", "pod"), default="bubblewrap")
    parser.add_argument("--limits", default="{}", help="JSON of SandboxedExecute settings")
    args = parser.parse_args(argv)
    os.chdir(args.course_dir)
    try:
        result = grade_student(args.course_dir.resolve(), args.assignment, args.student,
                               args.slot, not args.unsandboxed, json.loads(args.limits),
                               args.state_dir.resolve(), args.isolation_kind)
    except Exception:  # noqa: BLE001 - reported to the batch, which goes on
        result = {"student": args.student, "status": "error", "error": traceback.format_exc()[-3000:]}
    tmp = args.result.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, default=str))
    os.replace(tmp, args.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
