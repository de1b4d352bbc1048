"""The sandboxed grader on a real assignment (a1, NumPy + one Keras comparison): a correct
submission keeps every autograded point, an answer that only imports the course's reference
`lstm_step` scores 0 on exactly the lstm_step part (status own-work, reason reported; parts that
call it cannot use the reference either), and the
untouched release scores 0. Built from solutions/ as `tools/benchmark_grading.py` builds its course.

Needs root + bubblewrap (skipped with the reason otherwise; under CI=1 a skip fails).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from grading import runner, sandbox  # noqa: E402

# one batch grades every case in the module fixture: on 2 busy cores that can take longer than
# the suite-wide 900 s per test (pyproject.toml), so these tests get their own bound
pytestmark = [pytest.mark.xdist_group("grading-sandbox"), pytest.mark.timeout(3000)]
ASSIGNMENT = "a1_lstm_concepts"
PROBE = sandbox.probe()


def _cells(nb: dict) -> dict:
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not PROBE.ok:
        pytest.skip("sandbox unavailable here: " + "; ".join(PROBE.reasons))
    import benchmark_grading

    course = benchmark_grading.build_course(tmp_path_factory.mktemp("real"), ASSIGNMENT, 3)
    submitted = course / "submitted"
    names = {"student00": "correct", "student01": "import_only", "student02": "untouched"}
    for old, new in names.items():
        (submitted / old).rename(submitted / new)
    notebook = submitted / "import_only" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = json.loads(notebook.read_text())
    _cells(nb)["a1_lstm_step_answer"]["source"] = "from lstm_course.numpy_lstm import lstm_step\n"
    notebook.write_text(json.dumps(nb))
    release = next(course / name / ASSIGNMENT for name in ("assignments", "release")
                   if (course / name / ASSIGNMENT).is_dir())
    (submitted / "untouched" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text(
        (release / f"{ASSIGNMENT}.ipynb").read_text())
    outcome = runner.Batch(course, ASSIGNMENT, jobs=2,
                           limits={"notebook_time_limit": 600, "scratch_mb": 256}).run()
    return outcome["results"]


def _auto(result) -> dict:
    cells = result["notebooks"][ASSIGNMENT]["cells"]
    return {k: c for k, c in cells.items() if c["auto"]}


def test_correct_submission_keeps_every_autograded_point(graded):
    result = graded["correct"]
    assert result["status"] == "graded", result.get("error")
    for grade_id, cell in _auto(result).items():
        assert cell["status"] == "passed" and cell["points"] == cell["max_points"], (grade_id, cell)


def test_import_only_answer_scores_zero_on_exactly_its_part(graded):
    cells = _auto(graded["import_only"])
    own = {k for k, c in cells.items() if c["status"] == "own-work"}
    assert own == {k for k in cells if k.startswith("a1_lstm_step_")} and own
    assert all(cells[k]["points"] == 0 and "lstm_step" in cells[k]["hint"] for k in own)
    # parts that do not build on lstm_step keep their points (the forget-bias part calls the
    # student's lstm_step, here the reserved one, which raises while grading)
    independent = [k for k in cells if k.startswith(("a1_practice", "a1_quiz", "a1_param_count"))]
    assert independent and all(cells[k]["status"] == "passed" for k in independent)


def test_untouched_release_scores_zero(graded):
    cells = _auto(graded["untouched"])
    assert cells and all(c["points"] == 0 and c["status"] != "passed" for c in cells.values())


# ------------------------------------------------------------------ a2: cells the author marked "skip"
A2 = "a2_rnn_vs_lstm_stability"
SKIPPED = {"a2_train_simple_rnn", "a2_train_lstm", "a2_table"}  # start with SKIP_MARKER in solutions/


@pytest.fixture(scope="module")
def a2_graded(tmp_path_factory):
    """A correct a2 submission whose skipped cells carry the outputs its student saw (one of them a
    script and a flood), and one that tampers with the marking: the marker copied into its own answer
    cell (which must still run), and a marked cell edited to crash the kernel (restored, still skipped)."""
    if not PROBE.ok:
        pytest.skip("sandbox unavailable here: " + "; ".join(PROBE.reasons))
    import benchmark_grading
    from grading.execute import SKIP_MARKER

    course = benchmark_grading.build_course(tmp_path_factory.mktemp("a2"), A2, 3)
    submitted = course / "submitted"
    (submitted / "student00").rename(submitted / "outputs")
    (submitted / "student01").rename(submitted / "tampered")
    (submitted / "student02").rename(submitted / "reads_training")
    # an honest habit: checking one's loss_spike on Part B's own runs, inside the Part C answer
    # cell, timed with %%time (the magic once hid the read from the grader's analysis)
    path = submitted / "reads_training" / A2 / f"{A2}.ipynb"
    nb = json.loads(path.read_text())
    answer = _cells(nb)["a2_measures_answer"]
    answer["source"] = "%%time\n" + "".join(answer["source"]).replace(
        "def epochs_at_chance", "print('largest LSTM loss spike over my seeds:', "
        "max(loss_spike(h['loss']) for h in histories['lstm']))\n\n\ndef epochs_at_chance", 1)
    assert "histories['lstm']" in answer["source"]
    path.write_text(json.dumps(nb))
    path = submitted / "outputs" / A2 / f"{A2}.ipynb"
    nb = json.loads(path.read_text())
    _cells(nb)["a2_train_lstm"]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "LSTM      seed 0: validation accuracy 1.0\n"},
        {"output_type": "display_data", "metadata": {},
         "data": {"text/html": "<b>table</b><script>alert(1)</script>", "text/plain": "table"}},
        {"output_type": "stream", "name": "stdout", "text": "x" * 300_000}]
    path.write_text(json.dumps(nb))
    path = submitted / "tampered" / A2 / f"{A2}.ipynb"
    nb = json.loads(path.read_text())
    answer = _cells(nb)["a2_build_model_answer"]
    answer["source"] = SKIP_MARKER + "\n" + "".join(answer["source"])
    _cells(nb)["a2_train_simple_rnn"]["source"] = "import os\nos._exit(1)\n"
    path.write_text(json.dumps(nb))
    outcome = runner.Batch(course, A2, jobs=2, limits={"notebook_time_limit": 600, "scratch_mb": 256}).run()
    return course, outcome["results"]


def _autograded_cells(course, student) -> dict:
    return _cells(json.loads((course / "autograded" / student / A2 / f"{A2}.ipynb").read_text()))


@pytest.mark.parametrize("student", ["outputs", "tampered"])
def test_marked_cells_are_not_run_and_every_autograded_point_is_kept(a2_graded, student):
    course, results = a2_graded
    result = results[student]
    assert result["status"] == "graded", result.get("error")
    auto = {k: c for k, c in result["notebooks"][A2]["cells"].items() if c["auto"]}
    assert auto and all(c["status"] == "passed" and c["points"] == c["max_points"] for c in auto.values()), auto
    outcomes = {c["grade_id"]: c["outcome"] for c in result["notebooks"][A2]["record"]["cells"]}
    assert {g for g, o in outcomes.items() if o.startswith("skipped")} == SKIPPED
    assert outcomes["a2_build_model_answer"] == "ok"  # the marker in a student's own cell is ignored
    for grade_id in SKIPPED:
        first = _autograded_cells(course, student)[grade_id]["outputs"][0]
        assert "".join(first["text"]).startswith("[not re-run by the autograder")


def test_an_answer_that_reads_a_marked_cells_result_makes_the_marked_cells_run(a2_graded):
    """Skipping is an optimisation: it must never cost an honest student a point."""
    course, results = a2_graded
    result = results["reads_training"]
    auto = {k: c for k, c in result["notebooks"][A2]["cells"].items() if c["auto"]}
    assert auto and all(c["status"] == "passed" for c in auto.values()), auto
    record = result["notebooks"][A2]["record"]
    assert not any(c["outcome"].startswith("skipped") for c in record["cells"])
    assert any("were run, because answer cell a2_measures_answer uses histories" in e
               for e in record["events"]), record["events"]
    shown = json.dumps(_autograded_cells(course, "reads_training")["a2_measures_answer"]["outputs"])
    assert "largest LSTM loss spike over my seeds" in shown


def test_a_skipped_cell_shows_the_students_outputs_sanitised_and_bounded(a2_graded):
    course, _ = a2_graded
    outputs = _autograded_cells(course, "outputs")["a2_train_lstm"]["outputs"]
    text = json.dumps(outputs)
    assert "LSTM      seed 0: validation accuracy 1.0" in text and "<b>table</b>" in text
    assert "<script" not in text and "alert(1)" not in text
    assert "further submitted output dropped: too large" in text and len(text) < 250_000
