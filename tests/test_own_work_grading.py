"""Import-only answers (tests/wrong_submissions/catalogue.py IMPORT_ONLY) through the sandboxed grader.

Plain nbgrader cannot tell them from own work (the course package holds the reference functions);
`python -m grading autograde` decides from the submitted source, outside the kernel, and scores the
parts 0 with the reason in the instructor's report. a1 and a3 (a2 trains six models per submission;
its import-only case is the same mechanism and is left to the measured run in the report).

Needs root + bubblewrap (skipped with the reason otherwise; under CI=1 a skip fails).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import nbgrader_utils as nbu  # noqa: E402
from grading import runner, sandbox  # noqa: E402
from wrong_submissions.catalogue import IMPORT_ONLY  # noqa: E402

pytestmark = [pytest.mark.xdist_group("grading-sandbox"), pytest.mark.timeout(3000)]
PROBE = sandbox.probe()
GRADED = ["a1_lstm_concepts", "a3_next_word"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not PROBE.ok:
        pytest.skip("sandbox unavailable here: " + "; ".join(PROBE.reasons))
    results = {}
    for assignment in GRADED:
        course = tmp_path_factory.mktemp(assignment)
        nbu.make_course(course, [assignment])
        release = nbu.read(course / "assignments" / assignment / f"{assignment}.ipynb")
        solutions = nbu.solution_sources(nbu.read(course / "solutions" / assignment / f"{assignment}.ipynb"))
        nbu.submit(course, "importonly", assignment,
                   {assignment: nbu.fill_in(release, {**solutions, **IMPORT_ONLY[assignment]})})
        outcome = runner.Batch(course, assignment, jobs=1,
                               limits={"notebook_time_limit": 900, "scratch_mb": 256}).run()
        report = (course / "reports" / assignment / "importonly.md").read_text()
        results[assignment] = (outcome["results"]["importonly"], report)
    return results


def _auto(result, assignment) -> dict:
    return {k: c for k, c in result["notebooks"][assignment]["cells"].items() if c["auto"]}


def _parts(assignment) -> dict:
    """{test cell: the answer cell it follows} in the source notebook."""
    parts, answer = {}, None
    for cell in nbu.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb").cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            answer = meta["grade_id"]
        elif meta.get("grade") and not meta.get("solution"):
            parts[meta["grade_id"]] = answer
    return parts


def test_a3_import_only_scores_zero_with_the_reason(graded):
    result, report = graded["a3_next_word"]
    assert result["status"] == "graded", result.get("error")
    cells = _auto(result, "a3_next_word")
    assert cells and all(c["status"] == "own-work" and c["points"] == 0 for c in cells.values()), cells
    assert "uses make_prefixes from lstm_course.next_word" in cells["a3_prefixes_tests"]["hint"]
    assert "bayes_optimal_accuracy" in cells["a3_best_accuracy_tests"]["hint"]  # reached through importlib
    assert "predict_next_word" in cells["a3_predict_k_tests"]["hint"]  # reached through getattr + a built name
    assert "own" in report and "make" in report


def test_a1_import_only_loses_exactly_the_parts_of_the_imported_answers(graded):
    result, _ = graded["a1_lstm_concepts"]
    cells = _auto(result, "a1_lstm_concepts")
    parts = _parts("a1_lstm_concepts")
    own = {k for k, c in cells.items() if c["status"] == "own-work"}
    assert own == {k for k, answer in parts.items() if answer in IMPORT_ONLY["a1_lstm_concepts"]}
    assert all(cells[k]["points"] == 0 for k in own)
    # C3 runs the student's lstm_step, which is the (disabled) reference here: it fails, it is not own work
    cascade = {"a1_forget_bias_unit_tests", "a1_forget_bias_choice_tests"}
    assert all(cells[k]["status"] != "passed" and cells[k]["points"] == 0 for k in cascade)
    assert all(c["status"] == "passed" for k, c in cells.items() if k not in own | cascade)
