"""Every notebook runs under nbval (`make test`: `pytest --nbval-lax ... lessons solutions assignments`).

The notebooks themselves are pytest items collected by nbval, one per code cell; the course's rules for
them live in the repository's conftest.py. These tests check those rules on small notebooks made here
(a failed self-check, stderr, a student version's placeholder, the executed copy the site reuses), and
that the test command really covers every folder that holds notebooks.
"""
import re
import shlex

import nbformat
import pytest

from notebook_runner import ROOT

pytest_plugins = ("pytester",)

LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
ONE_PIXEL_PNG = ("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000b49444154789c"
                 "6360000200000500017a5eab3f0000000049454e44ae426082")


def test_there_are_five_lessons():
    assert [p.name[:2] for p in LESSONS] == ["01", "02", "03", "04", "05"]


def test_make_test_runs_every_notebook_folder_with_nbval():
    makefile = (ROOT / "Makefile").read_text()
    command = shlex.split(re.search(r"^NOTEBOOK_TEST := (.+)$", makefile, flags=re.MULTILINE).group(1))
    assert "--nbval-lax" in command
    assert re.search(r"^test-suite:.*\n\t.*-m pytest .*--dist loadgroup .*\$\(NOTEBOOK_TEST\)", makefile, flags=re.MULTILINE)
    assert re.search(r"^test:.*\n\t.*\$\(MAKE\).* test-suite site site-test", makefile, flags=re.MULTILINE)
    folders = {p.relative_to(ROOT).parts[0] for p in ROOT.rglob("*.ipynb")
               if not {".venv", ".venv-colab", "build", ".ipynb_checkpoints"} & set(p.relative_to(ROOT).parts)}
    assert folders and folders <= set(command), f"notebook folders outside `make test`: {folders - set(command)}"


def _notebook(path, *cells, nbgrader_answer_from=None):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for index, source in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        if nbgrader_answer_from is not None and index >= nbgrader_answer_from:
            cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": f"answer{index}"}
        nb.cells.append(cell)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def course_pytester(pytester):
    """A throw-away project whose conftest.py is the course's."""
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    return pytester


def _run(pytester, *args):
    return pytester.runpytest_subprocess("--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", *args)


def test_a_failed_self_check_or_stderr_fails_the_cell_and_a_clean_notebook_passes(course_pytester):
    _notebook(course_pytester.path / "clean.ipynb", "print('PASS: fine')", "x = 1\nx")
    _notebook(course_pytester.path / "self_check.ipynb", "print('PASS: one')", "print('FAIL: two -- hint: look')")
    _notebook(course_pytester.path / "noisy.ipynb", "import sys\nprint('careful', file=sys.stderr)")
    result = _run(course_pytester, "-rf")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["*self_check.ipynb*Cell 1*FAIL: two -- hint: look*"])
    result.stdout.fnmatch_lines(["*noisy.ipynb*Cell 0*wrote to stderr*"])


def test_a_student_version_runs_up_to_its_first_placeholder(course_pytester):
    _notebook(course_pytester.path / "release.ipynb", "x = 2", "print('PASS: ready')",
              "def answer():\n    # YOUR CODE HERE\n    raise NotImplementedError()", "assert answer() == 4",
              nbgrader_answer_from=2)
    result = _run(course_pytester)
    result.assert_outcomes(passed=2, deselected=2)


def test_notebooks_that_pass_are_written_with_their_outputs_and_failures_are_not(course_pytester):
    picture = ("from IPython.display import Image, display\n"
               f"png = bytes.fromhex({ONE_PIXEL_PNG!r})\n"
               "display(Image(data=png, format='png'), metadata={'image/png': {'alt': 'one pixel'}})")
    _notebook(course_pytester.path / "good.ipynb", "print('hello')", "6 * 7", picture)
    _notebook(course_pytester.path / "bad.ipynb", "print('FAIL: no')")
    _run(course_pytester, "--nbval-executed-dir", "out")
    executed = course_pytester.path / "out"
    assert not (executed / "bad.ipynb").exists()
    nb = nbformat.read(str(executed / "good.ipynb"), as_version=4)
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]
    assert nb.cells[0].outputs[0].text == "hello\n"
    assert nb.cells[1].outputs[0].data["text/plain"] == "42"
    picture = nb.cells[2].outputs[0]
    assert picture.output_type == "display_data" and picture.metadata["image/png"]["alt"] == "one pixel"
    nbformat.validate(nb)


def test_under_xdist_a_notebooks_cells_stay_in_one_worker_in_order(course_pytester):
    _notebook(course_pytester.path / "first.ipynb", *[f"import os\nprint(os.getpid(), {k})" for k in range(4)])
    _notebook(course_pytester.path / "second.ipynb", "a = 1", "assert a == 1", "a += 1", "assert a == 2")
    result = _run(course_pytester, "-n", "2", "--dist", "loadgroup", "--nbval-executed-dir", "out")
    result.assert_outcomes(passed=8)
    nb = nbformat.read(str(course_pytester.path / "out" / "first.ipynb"), as_version=4)
    printed = [c.outputs[0].text.split() for c in nb.cells]
    assert [int(k) for _, k in printed] == [0, 1, 2, 3]
    assert len({pid for pid, _ in printed}) == 1, "one kernel ran every cell of the notebook"
