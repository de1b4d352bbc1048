"""Item analysis on a class of 24 generated submissions: a real nbgrader gradebook plus grader results."""
import csv
import json
import random

import pytest

from grading import item_analysis

CELLS = {"q1_tests": 1.0, "q2_tests": 2.0, "q3_tests": 1.0}  # grade_id -> points
HINTS = {"q1_tests": "post-padding: where does the LSTM read its final state?",
         "q2_tests": "the forget and input gates are swapped",
         "q3_tests": "a NumPy scalar: convert with float(...)"}
STUDENTS = [f"s{n:02d}" for n in range(22)] + ["=HYPERLINK(1)", "-minus"]


def class_scores():
    """Deterministic scores: q1 passed by 18 of 24, q2 by 12 (8 more with 1 of 2), q3 by all but 2."""
    rng = random.Random(7)
    order = STUDENTS[:]
    rng.shuffle(order)
    scores = {}
    for rank, student in enumerate(order):
        scores[student] = {
            "q1_tests": 0.0 if rank < 6 else 1.0,
            "q2_tests": 0.0 if rank % 2 == 0 and rank < 8 else (1.0 if rank % 2 == 0 and rank < 24 else 2.0),
            "q3_tests": 0.0 if rank in (3, 17) else 1.0,
        }
    return scores


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook

    item_analysis._alembic_on_path()
    root = tmp_path_factory.mktemp("item_course")
    scores = class_scores()
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.add_assignment("toy")
        gb.add_notebook("toy", "toy")
        for index, (grade_id, points) in enumerate(CELLS.items()):
            gb.add_grade_cell(grade_id, "toy", "toy", max_score=points, cell_type="code")
            gb.add_source_cell(grade_id, "toy", "toy", cell_type="code", locked=True, source="", checksum="x")
        gb.add_grade_cell("written", "toy", "toy", max_score=4, cell_type="markdown")
        gb.add_source_cell("written", "toy", "toy", cell_type="markdown", locked=False, source="", checksum="y")
        for student, cells in scores.items():
            gb.add_student(student)
            gb.add_submission("toy", student)
            for grade_id, points in cells.items():
                grade = gb.find_grade(grade_id, "toy", "toy", student)
                grade.auto_score = points
            gb.db.commit()
    results = root / ".grading" / "toy" / "results"
    results.mkdir(parents=True)
    for student, cells in scores.items():
        record = {"student": student, "notebooks": {"toy": {"cells": {
            grade_id: {"score": points, "max_score": CELLS[grade_id],
                       "status": "passed" if points == CELLS[grade_id] else "failed",
                       "hint": "" if points == CELLS[grade_id] else HINTS[grade_id]}
            for grade_id, points in cells.items()}}}}
        (results / f"{student.replace('/', '_')}.json").write_text(json.dumps(record))
    return root, scores


def test_pass_rates_mean_points_hints_and_failing_students(course):
    root, scores = course
    outcome = item_analysis.run("toy", root)
    items = {item.grade_id: item for item in outcome["items"]}
    assert list(items) == list(CELLS), "only autograded code cells, in notebook order"
    for grade_id, points in CELLS.items():
        got = [s[grade_id] for s in scores.values()]
        item = items[grade_id]
        assert item.graded == len(STUDENTS) == 24
        assert item.pass_rate == sum(g == points for g in got) / 24
        assert item.mean_points == pytest.approx(sum(got) / 24)
        assert item.failed == sorted(s for s, c in scores.items() if c[grade_id] < points)
        assert item.hints.most_common(1) == [(HINTS[grade_id], len(item.failed))]
    assert items["q1_tests"].pass_rate == 18 / 24 and items["q3_tests"].pass_rate == 22 / 24
    assert items["q2_tests"].pass_rate == 12 / 24 and items["q2_tests"].mean_points == (4 * 0 + 8 * 1 + 12 * 2) / 24


def test_writes_csv_with_neutralised_formulas_and_a_figure(course):
    root, scores = course
    outcome = item_analysis.run("toy", root)
    with open(outcome["paths"]["csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["grade_id"] for r in rows] == list(CELLS)
    assert rows[0]["pass_rate"] == f"{18 / 24:.3f}"
    with open(outcome["paths"]["students_csv"], newline="") as handle:
        students = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert "'=HYPERLINK(1)" in students and "'-minus" in students, "formula-like ids must be neutralised"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    figure = outcome["paths"]["figure"]
    assert figure.stat().st_size > 5000 and figure.read_bytes()[:4] == b"\x89PNG"
    assert "3 autograded cells of toy over 24 submissions" in outcome["alt"]


def test_command_line_prints_the_table(course, capsys):
    from grading.__main__ import main

    root, _ = course
    assert main(["item-analysis", "toy", "--course-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert "q2_tests" in out and "the forget and input gates are swapped" in out
    assert "wrote" in out and "item_analysis.csv" in out


def test_unknown_assignment_is_a_clear_error(course):
    root, _ = course
    with pytest.raises(SystemExit, match="no assignment 'nope'"):
        item_analysis.run("nope", root)


def test_csv_safe_neutralises_every_formula_prefix():
    assert [item_analysis.csv_safe(v) for v in ["=1+1", "+1", "-1", "@SUM(A1)", "ok", None]] == \
        ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "ok", ""]
