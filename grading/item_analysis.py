"""Item analysis for the instructor: how the class did on each autograded test cell.

    python -m grading item-analysis ASSIGNMENT [--course-dir DIR] [--db-url URL] [--out-dir DIR]

For every autograded cell: how many students were graded, the pass rate (full points), the mean
points, the most frequent hints the grader showed, and which students did not get full points.
Printed as a table and written to `reports/<assignment>/item_analysis.csv` (one row per cell),
`item_analysis_students.csv` (one row per student: the parts they missed) and `item_analysis.png`
(pass rate and mean share of points per cell).

Scores come from nbgrader's gradebook (`nbgrader.api.Gradebook`), so the analysis agrees with
formgrader and `nbgrader export`. Hints and statuses come from the per-student results the grader
writes under `.grading/<assignment>/results/<student>.json` (per graded cell: score, max_score,
status, hint); without them (plain `nbgrader autograde`) the hint column is empty.
"""
from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TOP_HINTS = 3


def csv_safe(value) -> str:
    """A CSV field a spreadsheet shows as text: a leading = + - @ (a formula) gets a quote prefix."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@dataclass
class Item:
    """One autograded cell across the class."""

    grade_id: str
    max_points: float
    scores: dict[str, float] = field(default_factory=dict)  # student -> points
    hints: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)

    @property
    def graded(self) -> int:
        return len(self.scores)

    @property
    def failed(self) -> list[str]:
        return sorted(s for s, points in self.scores.items() if points < self.max_points)

    @property
    def pass_rate(self) -> float:
        return (self.graded - len(self.failed)) / self.graded if self.graded else float("nan")

    @property
    def mean_points(self) -> float:
        return sum(self.scores.values()) / self.graded if self.graded else float("nan")


def _alembic_on_path() -> None:
    """nbgrader's Gradebook runs `alembic` from PATH: put this Python's bin/ (the venv's) first."""
    import os
    import sys

    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


def gradebook_scores(db_url: str, assignment: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """({grade_id: max points}, {student: {grade_id: points}}) of the autograded cells, from nbgrader."""
    from nbgrader.api import Gradebook, MissingEntry

    _alembic_on_path()
    maxima: dict[str, float] = {}
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(db_url) as gb:
        try:
            gb.find_assignment(assignment)
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            raise SystemExit(f"the gradebook {db_url} has no assignment {assignment!r}") from None
        for submission in submissions:
            student = submission.student.id
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.auto_score is None or grade.cell.cell_type != "code":
                        continue  # written answers and pending manual grades are not items here
                    points = grade.manual_score if grade.manual_score is not None else grade.auto_score
                    maxima[grade.name] = float(grade.max_score)
                    scores.setdefault(student, {})[grade.name] = float(points)
    return maxima, scores


def result_cells(result: dict) -> dict[str, dict]:
    """{grade_id: cell record} from one grader result (either schema the grader may write)."""
    cells = {}
    containers = [nb.get("cells", {}) for nb in result.get("notebooks", {}).values()] or [result.get("cells", {})]
    for container in containers:
        if isinstance(container, dict):
            cells.update(container)
        else:  # a list of records that carry their grade_id
            cells.update({c["grade_id"]: c for c in container if isinstance(c, dict) and "grade_id" in c})
    return cells


def grader_results(results_dir: Path) -> dict[str, dict[str, dict]]:
    """{student: {grade_id: record}} from .grading/<assignment>/results/*.json (missing dir: {})."""
    found = {}
    if results_dir.is_dir():
        for path in sorted(results_dir.glob("*.json")):
            try:
                result = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            found[str(result.get("student", path.stem))] = result_cells(result)
    return found


def analyse(maxima: dict, scores: dict, results: dict) -> list[Item]:
    items = {grade_id: Item(grade_id, points) for grade_id, points in maxima.items()}
    for student, cells in scores.items():
        for grade_id, points in cells.items():
            items[grade_id].scores[student] = points
    for student, cells in results.items():
        for grade_id, record in cells.items():
            item = items.get(grade_id)
            if item is None or student not in item.scores:
                continue
            if record.get("status"):
                item.statuses[str(record["status"])] += 1
            if item.scores[student] < item.max_points and record.get("hint"):
                item.hints[" ".join(str(record["hint"]).split())] += 1
    return list(items.values())  # gradebook order = notebook order


def students_table(items: list[Item]) -> dict[str, list[str]]:
    """{student: [grade_ids without full points]} for every graded student."""
    students = sorted({s for item in items for s in item.scores})
    return {s: [item.grade_id for item in items if s in item.failed] for s in students}


def write_csv(items: list[Item], path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["grade_id", "max_points", "graded", "pass_rate", "mean_points", "top_hints",
                         "students_not_full_points"])
        for item in items:
            hints = " | ".join(f"{hint} (x{count})" for hint, count in item.hints.most_common(TOP_HINTS))
            writer.writerow([csv_safe(v) for v in (item.grade_id, f"{item.max_points:g}", item.graded,
                                                   f"{item.pass_rate:.3f}", f"{item.mean_points:.3f}", hints,
                                                   "; ".join(item.failed))])


def write_students_csv(items: list[Item], path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "autograded_points", "max_points", "parts_not_full_points"])
        maximum = sum(item.max_points for item in items)
        for student, missed in students_table(items).items():
            total = sum(item.scores.get(student, 0.0) for item in items)
            writer.writerow([csv_safe(v) for v in (student, f"{total:g}", f"{maximum:g}", "; ".join(missed))])


def write_figure(items: list[Item], assignment: str, path: Path) -> str:
    """Pass rate (bars) and mean share of points (markers) per cell; returns the figure's alt text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lstm_course.plots import OKABE_ITO

    names = [item.grade_id for item in items]
    rates = [item.pass_rate for item in items]
    shares = [item.mean_points / item.max_points if item.max_points else 0.0 for item in items]
    graded = max((item.graded for item in items), default=0)
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(items) + 1.6))
    positions = list(range(len(items)))[::-1]
    ax.barh(positions, rates, color=OKABE_ITO["blue"], hatch="//", edgecolor="white", label="pass rate (full points)")
    ax.plot(shares, positions, linestyle="none", marker="D", color=OKABE_ITO["orange"],
            markeredgecolor=OKABE_ITO["black"], label="mean points / max points")
    ax.set_yticks(positions, names, fontsize=8)
    ax.set_xlim(0, 1.0)
    ax.set_xlabel("share of the class (0 to 1)")
    ax.set_title(f"Item analysis of {assignment}: {graded} graded submissions")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    lowest = min(items, key=lambda i: i.pass_rate) if items else None
    alt = (f"Horizontal bars: pass rate of each of {len(items)} autograded cells of {assignment} over "
           f"{graded} submissions; diamonds: mean share of points."
           + (f" Lowest pass rate: {lowest.grade_id} at {lowest.pass_rate:.0%}." if lowest else ""))
    return alt


def format_table(items: list[Item]) -> str:
    width = max([len(i.grade_id) for i in items] + [9])
    lines = [f"{'test cell':<{width}}  {'max':>4}  {'n':>3}  {'pass':>5}  {'mean':>5}  most frequent hint"]
    for item in items:
        top = item.hints.most_common(1)
        hint = f"{top[0][0][:70]} (x{top[0][1]})" if top else ""
        lines.append(f"{item.grade_id:<{width}}  {item.max_points:>4g}  {item.graded:>3}  "
                     f"{item.pass_rate:>5.0%}  {item.mean_points:>5.2f}  {hint}")
    return "\n".join(lines)


def run(assignment: str, course_dir: Path, db_url: str | None = None, out_dir: Path | None = None,
        results_dir: Path | None = None) -> dict:
    course_dir = Path(course_dir).resolve()
    db_url = db_url or f"sqlite:///{course_dir / 'gradebook.db'}"
    out_dir = Path(out_dir) if out_dir else course_dir / "reports" / assignment
    results_dir = Path(results_dir) if results_dir else course_dir / ".grading" / assignment / "results"
    maxima, scores = gradebook_scores(db_url, assignment)
    if not scores:
        raise SystemExit(f"no graded submissions of {assignment} in {db_url}: run autograde first")
    items = analyse(maxima, scores, grader_results(results_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "item_analysis.csv", "students_csv": out_dir / "item_analysis_students.csv",
             "figure": out_dir / "item_analysis.png"}
    write_csv(items, paths["csv"])
    write_students_csv(items, paths["students_csv"])
    alt = write_figure(items, assignment, paths["figure"])
    return {"items": items, "paths": paths, "alt": alt, "table": format_table(items),
            "students": students_table(items)}


def add_parser(sub) -> None:
    parser = sub.add_parser("item-analysis", help="per test cell: pass rate, mean points, frequent hints")
    parser.add_argument("assignment")
    parser.add_argument("--course-dir", type=Path, default=Path.cwd(),
                        help="nbgrader course directory (default: current directory)")
    parser.add_argument("--db-url", default=None, help="gradebook URL (default: sqlite:///COURSE/gradebook.db)")
    parser.add_argument("--out-dir", type=Path, default=None, help="default: COURSE/reports/ASSIGNMENT")


def main(args) -> int:
    outcome = run(args.assignment, args.course_dir, db_url=args.db_url, out_dir=args.out_dir)
    print(outcome["table"])
    print()
    for student, missed in outcome["students"].items():
        if missed:
            print(f"{student}: {', '.join(missed)}")
    print()
    for kind, path in outcome["paths"].items():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    import sys

    top = argparse.ArgumentParser(prog="python -m grading.item_analysis")
    add_parser(top.add_subparsers(dest="command", required=True))
    sys.exit(main(top.parse_args(["item-analysis", *sys.argv[1:]])))
