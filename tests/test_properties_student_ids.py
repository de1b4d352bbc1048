"""Property-based tests (Hypothesis) of student-id validation (grading/students.py).

Whatever folder name a student's submission arrives under, an id the grader accepts must be harmless in
every place nbgrader and the grader put it: a path component, a glob pattern, a command-line argument,
an HTML report. Everything else must be rejected with a message that names the id.
"""
import glob
import html
import os
import shlex
import string
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from grading.students import id_problem  # noqa: E402

SAFE = string.ascii_letters + string.digits + "._@-"


@given(st.text(max_size=80))
def test_an_accepted_id_is_harmless_as_path_glob_argument_and_html(student):
    if id_problem(student) is not None:
        return
    assert 1 <= len(student) <= 64 and set(student) <= set(SAFE)
    assert os.path.basename(student) == student and student not in (".", "..") and ".." not in student
    assert glob.escape(student) == student and not glob.has_magic(student)
    assert shlex.quote(student) == student and not student.startswith("-")
    assert html.escape(student) == student


@given(st.text(alphabet=SAFE, min_size=1, max_size=64).filter(lambda s: s[0].isalnum() and ".." not in s))
def test_every_id_in_the_safe_alphabet_is_accepted(student):
    assert id_problem(student) is None


@given(st.text(alphabet=SAFE, max_size=30), st.sampled_from(list("*?[]/\\ \n\t=<>&'\"$;|`~!#%,:é") + ["\x00", "ß", "٣"]),
       st.text(alphabet=SAFE, max_size=30))
def test_an_id_with_any_other_character_is_rejected_by_name(before, bad, after):
    student = before + bad + after
    problem = id_problem(student)
    assert problem is not None and repr(student) in problem


@given(st.text(alphabet=SAFE, min_size=1, max_size=62))
def test_dot_dot_a_leading_dash_or_dot_and_overlong_ids_are_rejected(middle):
    for student in (middle + ".." + "x", "-" + middle, "." + middle, "a" * 65, ""):
        assert id_problem(student) is not None


@given(st.one_of(st.none(), st.integers(), st.binary(max_size=5), st.lists(st.text(max_size=3), max_size=2)))
def test_a_non_string_id_is_rejected_not_crashed_on(value):
    assert id_problem(value) is not None
