"""The nbgrader assignments: release without drift, the instructor round trip, stderr-proof grading.

One throw-away course (module-scoped) is generated, submitted to, autograded, given feedback and
exported once; the tests below each check one property of that run. Runs in a few minutes.
"""
import csv
import html
import re
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbgrader_utils as nbu  # noqa: E402
from lstm_course.nbgrader_plugins import (  # noqa: E402
    BEGIN_HIDDEN, END_HIDDEN, HIDDEN_PLACEHOLDER, relabel_stderr, remove_hidden_tests,
)

ROOT = nbu.ROOT
ASSIGNMENTS = nbu.ASSIGNMENTS

# One nbgrader course grades every student of the three assignments (a2 trains six models per
# submission); on a busy 2-core machine that takes longer than the suite's default per-test limit.
pytestmark = pytest.mark.timeout(3600)


def nb_name(assignment):
    (name,) = ASSIGNMENTS[assignment]
    return name


def source_path(assignment, root=ROOT):
    return Path(root) / "solutions" / assignment / f"{nb_name(assignment)}.ipynb"


def release_path(assignment, root=ROOT):
    return Path(root) / "assignments" / assignment / f"{nb_name(assignment)}.ipynb"


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def hidden_lines(source_nb, min_length=20):
    """Distinctive code lines that exist only inside hidden-test regions of the source."""
    public = {line.strip() for cell in source_nb.cells for line in remove_hidden_tests(cell.source, "").splitlines()}
    lines = []
    for cell in source_nb.cells:
        for region in re.findall(re.escape(BEGIN_HIDDEN) + r"(.*?)" + re.escape(END_HIDDEN), cell.source, re.DOTALL):
            lines += [line.strip() for line in region.splitlines()
                      if len(line.strip()) >= min_length and line.strip() not in public]
    return lines


def html_text(path):
    """The text a reader sees in an HTML file (tags removed, entities decoded)."""
    raw = Path(path).read_text()
    raw = re.sub(r"<style.*?</style>|<script.*?</script>", " ", raw, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def autograded_cells(source_nb):
    """grade_id -> points of every autograded test cell."""
    return {m["grade_id"]: float(m["points"]) for m in map(nbgrader_meta, source_nb.cells)
            if m.get("grade") and not m.get("solution")}


# ------------------------------------------------------------------ wrong answers, chosen on purpose

# Typical wrong submissions (tests/wrong_submissions/catalogue.py): for each, the exact score of every
# autograded cell and the hint each failing cell shows. Everything else is the correct solution.
from wrong_submissions.catalogue import RIGHT, WRONG  # noqa: E402

WRONG_CASES = sorted((assignment, name) for assignment, cases in WRONG.items() for name in cases)
RIGHT_CASES = sorted((assignment, name) for assignment, cases in RIGHT.items() for name in cases)


def first_wrong(assignment):
    return sorted(WRONG[assignment])[0]


# A correct a1 submission that floods stderr the way TensorFlow, absl and Keras do: Python warnings,
# absl log lines, raw writes to file descriptor 2 (how C++ logs arrive), and a background thread that
# keeps writing while the later, graded test cells run.
NOISE_PRELUDE = '''
import os, sys, threading, time, warnings
import absl.logging

def _tf_like_noise(seconds=30.0):
    end = time.time() + seconds
    while time.time() < end:
        os.write(2, b"I0000 00:00:1700000000.000000 1234 cpu_feature_guard.cc:210] This TensorFlow binary is optimized...\\n")
        time.sleep(0.02)

threading.Thread(target=_tf_like_noise, daemon=True).start()
'''
NOISY_ANSWERS = {
    "a1_practice_q1_answer": NOISE_PRELUDE + 'practice_q1 = "B"',
    "a1_lstm_step_answer": '''
def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer.", UserWarning)
    absl.logging.warning("TensorFlow-style absl warning: retracing tf.function")
    sys.stderr.write("W0000 external/local_xla/xla/tsl/framework/bfc_allocator.cc] noise\\n" * 50)
    os.write(2, b"E0000 node_def_util.cc:682] NodeDef mentions attribute use_unbounded_threadpool\\n" * 50)
    units = recurrent_kernel.shape[0]
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    i, f, o = (sigmoid(z[..., k * units:(k + 1) * units]) for k in (0, 1, 3))
    g = np.tanh(z[..., 2 * units:3 * units])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
''',
}


# ------------------------------------------------------------------ the shared course run


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Generate, submit (perfect, untouched, the wrong-submission suite), autograde, feedback, export."""
    course_dir = tmp_path_factory.mktemp("nbgrader_course")
    nbu.make_course(course_dir, ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        name = nb_name(assignment)
        release = nbu.read(release_path(assignment, course_dir))
        solutions = nbu.solution_sources(nbu.read(source_path(assignment, course_dir)))
        nbu.submit(course_dir, "perfect", assignment, {name: nbu.fill_in(release, solutions)})
        nbu.submit(course_dir, "untouched", assignment, {name: release})
        for student, case in WRONG.get(assignment, {}).items():
            nbu.submit(course_dir, student, assignment, {name: nbu.fill_in(release, {**solutions, **case["answers"]})})
        for student, answers in RIGHT.get(assignment, {}).items():
            nbu.submit(course_dir, student, assignment, {name: nbu.fill_in(release, {**solutions, **answers})})
        if assignment == "a1_lstm_concepts":
            noisy = {**solutions, **NOISY_ANSWERS}
            nbu.submit(course_dir, "noisy", assignment, {name: nbu.fill_in(release, noisy)})
    for assignment in ASSIGNMENTS:
        nbu.run_nbgrader(course_dir, "autograde", assignment, timeout=3000)
        nbu.run_nbgrader(course_dir, "generate_feedback", assignment)
    nbu.run_nbgrader(course_dir, "export")
    return course_dir


def scores_of(course_dir, assignment, student):
    return nbu.cell_scores(course_dir, assignment, student)


# ------------------------------------------------------------------ release: no drift, no leaks


def test_generate_assignment_reproduces_committed_release_exactly(course):
    for assignment in ASSIGNMENTS:
        problems = nbu.release_assignments.differences(course / "assignments" / assignment,
                                                       ROOT / "assignments" / assignment)
        assert not problems, "\n".join(problems) + "\nrun: python tools/release_assignments.py"


def test_every_source_assignment_is_listed_and_released():
    assert sorted(nbu.release_assignments.assignment_ids()) == sorted(ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        assert release_path(assignment).is_file()


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_release_has_no_solution_code_and_no_hidden_tests(assignment):
    source = nbu.read(source_path(assignment))
    release = nbu.read(release_path(assignment))
    text = "\n".join(cell.source for cell in release.cells)
    for marker in ["BEGIN SOLUTION", "END SOLUTION", BEGIN_HIDDEN, END_HIDDEN, "Rubric"]:
        assert marker not in text, f"{marker!r} leaked into the release"
    for line in hidden_lines(source):
        assert line not in text, f"hidden test line leaked: {line}"
    released = {nbu.grade_id(c): c for c in release.cells if nbu.grade_id(c)}
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("solution"):
            continue
        student_cell = released[meta["grade_id"]]
        solution_lines = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.DOTALL)
        body = solution_lines.group(1) if solution_lines else cell.source
        for line in body.splitlines():
            if len(line.strip()) >= 12:
                assert line.strip() not in student_cell.source, f"solution line leaked: {line.strip()}"
        if cell.cell_type == "code":
            assert "raise NotImplementedError()" in student_cell.source
        else:
            assert student_cell.source == "YOUR ANSWER HERE"


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_notebooks_are_committed_clean_with_the_standard_header(assignment):
    from notebook_headers import header_problems

    for path in [source_path(assignment), release_path(assignment)]:
        nb = nbu.read(path)
        assert not header_problems(path), header_problems(path)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path} has outputs"
    assert "/solutions/" not in nbu.read(release_path(assignment)).cells[0].source, "release badge opens the solution"


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_source_has_visible_and_hidden_tests_and_placeholders_per_assignment(assignment):
    source = nbu.read(source_path(assignment))
    tests = [c for c in source.cells if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")]
    assert any(BEGIN_HIDDEN in c.source for c in tests), "no hidden tests"
    def visible_code(cell):
        lines = remove_hidden_tests(cell.source, "").splitlines()
        return [line for line in lines if line.strip() and not line.strip().startswith("#")]
    assert any(visible_code(c) for c in tests), "no visible tests"
    ids = [nbu.grade_id(c) for c in source.cells if nbu.grade_id(c)]
    assert len(ids) == len(set(ids)), "duplicate grade ids"


# ------------------------------------------------------------------ the release runs for a learner


@pytest.fixture(scope="module")
def executed_releases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("released_runs")
    executed = {}
    for assignment in ASSIGNMENTS:
        copy = folder / f"{assignment}.ipynb"
        copy.write_text(release_path(assignment).read_text())
        executed[assignment] = nbu.execute(copy)
    return executed


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_release_runs_top_to_bottom_and_first_error_is_a_placeholder(executed_releases, assignment):
    nb = executed_releases[assignment]
    assert all(cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code"), \
        "not every cell was executed"
    index, cell, error = nbu.first_error(nb)
    meta = nbgrader_meta(cell)
    # the error is raised in a learner's cell, or by an expectation probing a learner's still-empty function
    placeholder = error.ename == "NotImplementedError" and meta.get("solution")
    probed = (error.ename == "AssertionError" and meta.get("grade")
              and "the expression raised NotImplementedError" in error.evalue)
    assert placeholder or probed, f"first error in cell {index} is {error.ename}: {error.evalue}"
    for earlier in nb.cells[:index]:
        assert all(o.output_type != "error" for o in earlier.get("outputs", []))


# ------------------------------------------------------------------ the round trip


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_solutions_autograde_to_full_marks(course, assignment):
    expected = autograded_cells(nbu.read(source_path(assignment)))
    scores = scores_of(course, assignment, "perfect")
    for grade_id, points in expected.items():
        assert scores[grade_id] == (points, points), f"{grade_id}: {scores[grade_id]}"
    manual = {k for k, (score, _) in scores.items() if k not in expected}
    assert manual == {nbu.grade_id(c) for c in nbu.read(source_path(assignment)).cells
                      if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution")}
    assert all(scores[k][0] is None for k in manual), "written answers wait for a human grader"


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_untouched_release_scores_zero(course, assignment):
    scores = scores_of(course, assignment, "untouched")
    assert scores and all(score == 0 for score, _ in scores.values()), scores


def cell_errors(course_dir, assignment, student) -> dict:
    """{grade_id: text of the error outputs} of the autograded notebook."""
    graded = nbu.read(course_dir / "autograded" / student / assignment / f"{nb_name(assignment)}.ipynb")
    return {nbu.grade_id(c): "\n".join(f"{o.get('ename')}: {o.get('evalue')}" for o in c.get("outputs", [])
                                       if o.output_type == "error")
            for c in graded.cells if nbu.grade_id(c)}


@pytest.mark.parametrize("assignment,student", WRONG_CASES)
def test_wrong_submission_gets_exactly_the_parts_it_got_right_and_the_hints(course, assignment, student):
    case = WRONG[assignment][student]
    points = autograded_cells(nbu.read(source_path(assignment)))
    assert set(case["scores"]) <= set(points) and set(case["hints"]) <= set(case["scores"])
    expected = {grade_id: float(case["scores"].get(grade_id, full)) for grade_id, full in points.items()}
    scores = scores_of(course, assignment, student)
    assert {grade_id: scores[grade_id][0] for grade_id in points} == expected
    errors = cell_errors(course, assignment, student)
    for grade_id, phrase in case["hints"].items():
        assert phrase in errors[grade_id], f"{grade_id}: expected the hint {phrase!r}, got {errors[grade_id]!r}"
    for grade_id in points:
        if grade_id not in case["scores"]:
            assert not errors[grade_id], f"{grade_id} should pass: {errors[grade_id]}"


@pytest.mark.parametrize("assignment,student", RIGHT_CASES)
def test_unusual_but_correct_submission_gets_full_marks(course, assignment, student):
    points = autograded_cells(nbu.read(source_path(assignment)))
    scores = scores_of(course, assignment, student)
    assert {grade_id: scores[grade_id][0] for grade_id in points} == points


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_feedback_is_generated_and_shows_no_hidden_test(course, assignment):
    source = nbu.read(source_path(assignment))
    secret = hidden_lines(source)
    assert secret, "expected hidden test lines to look for"
    visible_test_line = next(line.strip() for c in nbu.read(release_path(assignment)).cells
                             if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
                             for line in c.source.splitlines() if len(line.strip()) >= 20)
    for student in ["perfect", first_wrong(assignment), "untouched"]:
        page = course / "feedback" / student / assignment / f"{nb_name(assignment)}.html"
        assert page.is_file(), f"no feedback for {student}"
        text = html_text(page)
        assert visible_test_line in text, "positive control: visible tests must be readable in the feedback"
        assert "Score" in text or "score" in text
        for line in secret:
            assert line not in text, f"hidden test shown to {student}: {line}"
        assert "BEGIN HIDDEN TESTS" not in text
        if student == first_wrong(assignment):
            assert HIDDEN_PLACEHOLDER in text


def test_grades_export_to_csv(course):
    with open(course / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_key = {(row["assignment"], row["student_id"]): row for row in rows}
    for assignment in ASSIGNMENTS:
        autograded_points = sum(autograded_cells(nbu.read(source_path(assignment))).values())
        wrong = first_wrong(assignment)
        for student in ["perfect", "untouched", wrong]:
            assert (assignment, student) in by_key, f"missing row {assignment}/{student}"
        assert float(by_key[(assignment, "perfect")]["score"]) == autograded_points
        assert float(by_key[(assignment, "untouched")]["score"]) == 0
        points = autograded_cells(nbu.read(source_path(assignment)))
        expected = sum(WRONG[assignment][wrong]["scores"].get(k, v) for k, v in points.items())
        assert float(by_key[(assignment, wrong)]["score"]) == expected


# ------------------------------------------------------------------ stderr never zeroes a right answer


def test_stderr_noise_does_not_zero_a_correct_submission(course):
    from nbgrader.utils import determine_grade

    assignment = "a1_lstm_concepts"
    expected = autograded_cells(nbu.read(source_path(assignment)))
    scores = scores_of(course, assignment, "noisy")
    assert {k: scores[k][0] for k in expected} == expected

    # The noise really reached graded cells, and stock nbgrader would have given them 0.
    graded = nbu.read(course / "autograded" / "noisy" / assignment / f"{nb_name(assignment)}.ipynb")
    noisy_graded = []
    for cell in graded.cells:
        if not (nbgrader_meta(cell).get("grade") and cell.cell_type == "code"):
            continue
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        if "I0000" in text or "NodeDef" in text or "UserWarning" in text:
            noisy_graded.append(cell)
    assert len(noisy_graded) >= 2, "the noise should land in graded test cells"
    for cell in noisy_graded:
        assert not any(o.get("name") == "stderr" for o in cell.outputs)
        as_stock = nbformat.from_dict(cell)
        for output in as_stock.outputs:
            if output.output_type == "stream":
                output.name = "stderr"
        assert determine_grade(as_stock)[0] == 0, "stock nbgrader would zero this cell"
        assert determine_grade(cell)[0] == float(nbgrader_meta(cell)["points"])


def test_stderr_relabelling_keeps_errors():
    outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="W tensorflow noise\n"),
        nbformat.v4.new_output("stream", name="stdout", text="ok\n"),
        nbformat.v4.new_output("error", ename="AssertionError", evalue="wrong", traceback=["AssertionError: wrong"]),
    ]
    assert relabel_stderr(outputs) == 1
    assert [o.get("name") for o in outputs] == ["stdout", "stdout", None]
    assert outputs[2].output_type == "error"


def test_remove_hidden_tests_keeps_visible_lines_and_indentation():
    source = "assert a == 1\n    ### BEGIN HIDDEN TESTS\n    assert secret()\n    ### END HIDDEN TESTS\nprint('done')"
    cleaned = remove_hidden_tests(source, "# hidden")
    assert cleaned == "assert a == 1\n    # hidden\nprint('done')"
    assert remove_hidden_tests("no markers", "# hidden") == "no markers"


def test_config_registers_the_grading_preprocessors():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    names = [cls.__name__ for cls in config.Autograde.autograde_preprocessors]
    assert names.index("StderrIsNotFailure") == names.index("Execute") + 1
    assert names.index("StderrIsNotFailure") < names.index("SaveAutoGrades")
    assert "HideHiddenTestsInFeedback" in [cls.__name__ for cls in config.GenerateFeedback.preprocessors]
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "assignments"
    assert config.Execute.timeout >= 60


# ------------------------------------------------------------------ nbgrader validate


def test_validate_passes_on_solutions_and_fails_on_release(course):
    solutions = [source_path(a, course) for a in ASSIGNMENTS]
    result = nbu.run_nbgrader(course, "validate", *solutions)
    assert result.stdout.count("Success! Your notebook passes all the tests.") == len(solutions), result.stdout
    releases = [release_path(a, course) for a in ASSIGNMENTS]
    result = nbu.run_nbgrader(course, "validate", *releases, check=False)
    assert result.stdout.count("VALIDATION FAILED ON") == len(releases), result.stdout
    assert "NotImplementedError" in result.stdout
    assert "Success!" not in result.stdout


def test_item_analysis_of_the_graded_class(course):
    """The instructor's item analysis over this course's graded a1 class agrees with the gradebook."""
    from grading import item_analysis

    assignment = "a1_lstm_concepts"
    outcome = item_analysis.run(assignment, course, out_dir=course / "reports" / assignment)
    items = {item.grade_id: item for item in outcome["items"]}
    points = autograded_cells(nbu.read(source_path(assignment)))
    assert set(items) == set(points), "one row per autograded cell, written answers excluded"
    students = {"perfect", "untouched", "noisy", *WRONG[assignment]}
    for grade_id, item in items.items():
        missed = {"untouched"} | {s for s in WRONG[assignment] if grade_id in WRONG[assignment][s]["scores"]}
        assert set(item.scores) == students
        assert set(item.failed) == missed, grade_id
        assert item.pass_rate == (len(students) - len(missed)) / len(students)
    assert outcome["paths"]["csv"].is_file() and outcome["paths"]["figure"].is_file()
