"""``python -m grading export canvas|moodle``: CSV files Canvas and Moodle import, from nbgrader's gradebook."""
import csv
import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grading import lms_export



HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rcmd"]


def make_gradebook(path: Path) -> str:
    """hw (4 + 2 points, one manual cell): alice 3+2, bob 4 + manual pending and a 1-point late
    penalty, carol nothing submitted, dave with a hostile name and email and no lms id."""
    url = f"sqlite:///{path}"
    with Gradebook(url) as gb:
        gb.add_assignment("hw", duedate=datetime.datetime(2026, 1, 1))
        gb.add_notebook("hw", "hw")
        gb.add_grade_cell("auto", "hw", "hw", max_score=4, cell_type="code")
        gb.add_grade_cell("written", "hw", "hw", max_score=2, cell_type="markdown")
        gb.add_solution_cell("written", "hw", "hw")
        gb.add_student("alice", first_name="Alice", last_name="Müller", email="alice@uni.example",
                       lms_user_id="1001")
        gb.add_student("bob", first_name="Bob", last_name="O'Neil, Jr.", email="bob@uni.example",
                       lms_user_id="1002")
        gb.add_student("carol", first_name="Carol", last_name="Ng", email="carol@uni.example")
        gb.add_student("dave", first_name=HOSTILE[0], last_name=HOSTILE[1], email=HOSTILE[3])
        for student, auto, manual in (("alice", 3, 2), ("bob", 4, None), ("dave", 1, 0)):
            gb.add_submission("hw", student)
            grade = gb.find_grade("auto", "hw", "hw", student)
            grade.auto_score = auto
            grade.needs_manual_grade = False
            written = gb.find_grade("written", "hw", "hw", student)
            written.manual_score = manual
            written.needs_manual_grade = manual is None
        gb.find_submission("hw", "bob").notebooks[0].late_submission_penalty = 1.0
        gb.db.commit()
    return url


@pytest.fixture(scope="module")
def gradebook_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("lms") / "gb.db"
    with pytest.MonkeyPatch.context() as patch:  # nbgrader runs `alembic` from PATH on creation
        patch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
        return make_gradebook(path)


def rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so spreadsheet apps show accents"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_canvas(tmp_path, gradebook_url):
    url = gradebook_url
    out, grades = lms_export.export("canvas", url, "hw", tmp_path / "c.csv", title="Homework 1",
                                    lms_assignment_id="4567")
    table = rows(out)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 1 (4567)"]
    assert table[1] == ["Points Possible", "", "", "", "", "6"]
    body = {r[2]: r for r in table[2:]}
    assert body["alice"] == ["Müller, Alice", "1001", "alice", "alice@uni.example", "", "5"]
    assert body["bob"] == ["O'Neil, Jr., Bob", "1002", "bob", "bob@uni.example", "", "3"]
    assert body["carol"] == ["Ng, Carol", "", "carol", "carol@uni.example", "", ""]
    assert body["dave"][0] == "'" + HOSTILE[1] + ", " + HOSTILE[0]
    assert body["dave"][3] == "'" + HOSTILE[3] and body["dave"][5] == "1"
    assert grades.pending_manual == ["bob"]


def test_canvas_without_lms_id_names_the_column_only(tmp_path, gradebook_url):
    url = gradebook_url
    out, _ = lms_export.export("canvas", url, "hw", tmp_path / "c.csv")
    assert rows(out)[0][-1] == "hw"


def test_moodle(tmp_path, gradebook_url):
    url = gradebook_url
    out, _ = lms_export.export("moodle", url, "hw", tmp_path / "m.csv", title="Homework 1")
    table = rows(out)
    assert table[0] == ["ID number", "Email address", "First name", "Last name", "Homework 1"]
    body = {r[0]: r for r in table[1:]}
    assert body["alice"] == ["alice", "alice@uni.example", "Alice", "Müller", "5"]
    assert body["bob"][-1] == "3" and body["carol"][-1] == ""
    assert body["dave"] == ["dave", "'" + HOSTILE[3], "'" + HOSTILE[0], "'" + HOSTILE[1], "1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_every_formula_start_is_neutralised(value):
    assert lms_export.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["alice", "O'Neil", "1001", "", "a=b", "x-y"])
def test_ordinary_text_is_unchanged(value):
    assert lms_export.neutralise(value) == value


@pytest.mark.parametrize("value,text", [(5.0, "5"), (2.5, "2.5"), (1 / 3, "0.3333"), (0.0, "0"),
                                        (1e-9, "0"), (None, "")])
def test_number_format(value, text):
    assert lms_export.number(value) == text


def test_unknown_assignment_names_the_known_ones(tmp_path, gradebook_url):
    url = gradebook_url
    with pytest.raises(ValueError, match=r"'hw2' is not in the gradebook .*assignments there: hw"):
        lms_export.export("moodle", url, "hw2", tmp_path / "m.csv")


def test_bad_arguments(tmp_path, gradebook_url):
    url = gradebook_url
    with pytest.raises(ValueError, match="choose one of canvas, moodle"):
        lms_export.export("blackboard", url, "hw")
    with pytest.raises(ValueError, match="is a number"):
        lms_export.export("canvas", url, "hw", lms_assignment_id="=1+1")


def test_password_is_never_shown():
    assert "s3cret" not in lms_export.redact("postgresql://grader:s3cret@db:5432/grades")


def test_command_line(tmp_path, gradebook_url):
    url = gradebook_url
    out = tmp_path / "canvas.csv"
    run = subprocess.run([sys.executable, "-m", "grading", "export", "canvas", "hw", "--db-url", url,
                          "--out", str(out), "--lms-assignment-id", "77"],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 0, run.stderr
    assert rows(out)[0][-1] == "hw (77)"
    assert "1 student(s) still need manual grading: bob" in run.stderr
    bad = subprocess.run([sys.executable, "-m", "grading", "export", "moodle", "nope", "--db-url", url,
                          "--out", str(tmp_path / "x.csv")], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert bad.returncode == 2 and "'nope' is not in the gradebook" in bad.stderr


def test_unreachable_gradebook_is_a_clear_error_without_the_password(tmp_path):
    run = subprocess.run([sys.executable, "-m", "grading", "export", "canvas", "hw", "--db-url",
                          "postgresql://grader:s3cret@127.0.0.1:1/gradebook", "--out", str(tmp_path / "x.csv")],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 2 and "cannot read the gradebook" in run.stderr
    assert "s3cret" not in run.stderr and "Traceback" not in run.stderr
