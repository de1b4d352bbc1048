"""Grades as the CSV files Canvas and Moodle gradebooks import (``python -m grading export``).

Both are read from nbgrader's gradebook (SQLite or the shared PostgreSQL one): the student table
gives the identities (id, first/last name, email, lms_user_id), the submission the score after
nbgrader's late penalty (as ``nbgrader export`` computes it, never below 0).

Canvas (Grades -> Import; the columns of Canvas' own gradebook export, which it re-imports):
``Student`` ("Last, First"), ``ID`` (the Canvas user id = nbgrader's ``lms_user_id``),
``SIS User ID`` (nbgrader's student id), ``SIS Login ID`` (email), ``Section``, then one column
``<Assignment name> (<Canvas assignment id>)``; without a Canvas id the column is just the name and
Canvas offers to create a new assignment. A second row ``Points Possible`` carries the maximum, as
in Canvas' export.

Moodle (Grades -> Import -> CSV file): ``ID number`` (nbgrader's student id), ``Email address``,
``First name``, ``Last name``, then one column named after the grade item. On import, map
"Identify user by" from ``ID number`` to "ID number" (or from ``Email address`` to "Email
address"), and the score column to the grade item.

Students without a submission get an empty cell (both LMSs leave the grade unchanged) rather than 0.
Every text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) is prefixed with ``'``, the OWASP CSV-injection mitigation.
"""
from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("canvas", "moodle")


def neutralise(value) -> str:
    """A cell's text, with a leading ' if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def number(value: float | None) -> str:
    """Scores as plain decimals (no exponent, at most 4 decimals): what both importers parse."""
    if value is None:
        return ""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclasses.dataclass
class Row:
    student_id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str
    score: float | None  # None: no submission
    needs_manual_grade: bool


@dataclasses.dataclass
class Grades:
    assignment: str
    max_score: float
    rows: list[Row]

    @property
    def pending_manual(self) -> list[str]:
        return [r.student_id for r in self.rows if r.needs_manual_grade]


def read_grades(db_url: str, assignment: str) -> Grades:
    """Every student of the gradebook with this assignment's score (None if not submitted)."""
    from nbgrader.api import Gradebook, MissingEntry  # noqa: PLC0415

    with Gradebook(db_url) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry:
            known = ", ".join(sorted(a.name for a in gb.assignments)) or "none"
            raise ValueError(f"assignment {assignment!r} is not in the gradebook {redact(db_url)} "
                             f"(assignments there: {known})") from None
        rows = []
        for student in sorted(gb.students, key=lambda s: s.id):
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                score, manual = None, False
            else:
                score = max(0.0, (sub.score or 0.0) - (sub.late_submission_penalty or 0.0))
                manual = bool(sub.needs_manual_grade)
            rows.append(Row(student.id, student.first_name or "", student.last_name or "",
                            student.email or "", student.lms_user_id or "", score, manual))
        return Grades(assignment, float(found.max_score or 0.0), rows)


def canvas_csv(grades: Grades, title: str | None = None, lms_assignment_id: str | None = None) -> str:
    name = title or grades.assignment
    column = f"{name} ({lms_assignment_id})" if lms_assignment_id else name
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", neutralise(column)])
    writer.writerow(["Points Possible", "", "", "", "", number(grades.max_score)])
    for row in grades.rows:
        display = ", ".join(p for p in (row.last_name, row.first_name) if p) or row.student_id
        writer.writerow([neutralise(display), neutralise(row.lms_user_id), neutralise(row.student_id),
                         neutralise(row.email), "", number(row.score)])
    return out.getvalue()


def moodle_csv(grades: Grades, title: str | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["ID number", "Email address", "First name", "Last name",
                     neutralise(title or grades.assignment)])
    for row in grades.rows:
        writer.writerow([neutralise(row.student_id), neutralise(row.email),
                         neutralise(row.first_name), neutralise(row.last_name), number(row.score)])
    return out.getvalue()


def export(fmt: str, db_url: str, assignment: str, out: Path | None = None,
           title: str | None = None, lms_assignment_id: str | None = None) -> tuple[Path, Grades]:
    """Write the CSV (UTF-8 with a byte-order mark, so Excel shows accents) and return its path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown LMS format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if lms_assignment_id is not None and not str(lms_assignment_id).isdigit():
        raise ValueError(f"a Canvas assignment id is a number (the one in the assignment's URL), "
                         f"not {lms_assignment_id!r}")
    grades = read_grades(db_url, assignment)
    text = (canvas_csv(grades, title, lms_assignment_id) if fmt == "canvas"
            else moodle_csv(grades, title))
    path = Path(out) if out else Path(f"{assignment}_{fmt}.csv")
    path.write_text(text, encoding="utf-8-sig", newline="")
    return path, grades


def redact(db_url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as the scheme only
        return db_url.split(":", 1)[0] + ":..."


def course_db_url(course_dir: Path) -> str:
    """The gradebook URL the course's nbgrader_config.py sets (default: its gradebook.db)."""
    from nbgrader.coursedir import CourseDirectory  # noqa: PLC0415
    from traitlets.config import Config  # noqa: PLC0415
    from traitlets.config.loader import PyFileConfigLoader  # noqa: PLC0415

    course_dir = Path(course_dir).resolve()
    config = Config()
    if (course_dir / "nbgrader_config.py").exists():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config())
    config.CourseDirectory.root = str(course_dir)
    return CourseDirectory(config=config).db_url


def add_parser(subparsers) -> None:
    """``export canvas|moodle ASSIGNMENT`` on the grading command line."""
    export_parser = subparsers.add_parser(
        "export", help="grades as a CSV that Canvas or Moodle imports",
        description="Write an assignment's grades from nbgrader's gradebook as a CSV file that the "
                    "Canvas or Moodle gradebook imports (columns: docs/scaling.md).")
    export_parser.add_argument("lms", choices=FORMATS)
    export_parser.add_argument("assignment")
    export_parser.add_argument("--course-dir", type=Path, default=Path.cwd(),
                               help="nbgrader course directory (default: current directory)")
    export_parser.add_argument("--db-url", help="gradebook URL (default: the course's, e.g. "
                               "sqlite:///COURSE/gradebook.db; or postgresql://...)")
    export_parser.add_argument("--out", type=Path, help="file to write (default: ASSIGNMENT_LMS.csv)")
    export_parser.add_argument("--title", help="the grade column's name (default: the assignment id)")
    export_parser.add_argument("--lms-assignment-id",
                               help="Canvas: the assignment's number, so the column updates it")


def main(args) -> int:
    import os  # noqa: PLC0415
    import sys  # noqa: PLC0415

    # nbgrader runs `alembic` from PATH when it opens a new gradebook: this interpreter's first
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from .gradebook_db import normalise_url  # noqa: PLC0415

    try:
        db_url = normalise_url(args.db_url) if args.db_url else course_db_url(args.course_dir)
        path, grades = export(args.lms, db_url, args.assignment, args.out, args.title,
                              args.lms_assignment_id)
    except ValueError as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # unreachable server, wrong password, not a gradebook
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        print(f"export: cannot read the gradebook {redact(args.db_url or db_url)}: {reason}",
              file=sys.stderr)
        return 2
    graded = sum(r.score is not None for r in grades.rows)
    print(f"{path}: {args.lms} import file, {len(grades.rows)} students, {graded} with a grade, "
          f"maximum {number(grades.max_score)} points")
    if grades.pending_manual:
        print(f"warning: {len(grades.pending_manual)} student(s) still need manual grading: "
              f"{', '.join(grades.pending_manual)} (their written answers count 0 until graded)",
              file=sys.stderr)
    return 0
