"""The grader's trusted side, without root or a kernel: verdicts from fake kernel replies, the
repair of tampered notebooks, sanitising, student ids, report escaping, the kernel's package copy,
its environment and its descriptors."""
from __future__ import annotations

import csv
import io
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grading import course_copy, repair, report, sandbox, sanitize, students, verdict  # noqa: E402
from lstm_course.expectations import encode_json, parse_test_cell  # noqa: E402

CELL = '''from lstm_course.expectations import expect
expect("f(1)", equals=[0, 1], hint="zeros on the left", mistakes=[([1, 0], "post-padding")])
### BEGIN HIDDEN TESTS
expect("f(-1)", raises="ValueError", message_has=["negative"], hint="a negative input must raise")
expect("g()", close=0.5, atol=1e-3, hint="half")
### END HIDDEN TESTS
'''
SPECS = parse_test_cell(CELL)


def reply(text_plain=None, *, status="ok", expr_status="ok", content=None):
    """A fake execute_reply as ipykernel sends it for a probe."""
    if content is not None:
        return {"content": content}
    expressions = {verdict.PROBE_NAME: {"status": expr_status, "data": {"text/plain": text_plain},
                                        "metadata": {}}}
    return {"content": {"status": status, "user_expressions": expressions}}


def answer(value) -> dict:
    """The reply an honest kernel gives: the repr of probe_json's JSON text."""
    return reply(repr(encode_json(value)))


def grade(specs, replies, points=2.0):
    """Verdict outputs in a graded cell, scored by nbgrader's own determine_grade."""
    judged = verdict.judge(specs, [verdict.read_probe_reply(r) for r in replies])
    cell = new_code_cell(CELL, metadata={"nbgrader": {"grade": True, "solution": False,
                                                      "points": points, "grade_id": "t"}})
    cell.outputs = verdict.verdict_outputs(specs, judged)
    return judged, cell, determine_grade(cell)[0]


def test_probe_request_sends_only_the_expression():
    request = verdict.probe_request("f(-1)")
    assert request["code"] == "" and request["silent"] and not request["store_history"]
    sent = json.dumps(request)
    assert "f(-1)" in sent
    for secret in ("negative", "ValueError", "raises", "hint", "0.5", "BEGIN HIDDEN"):
        assert secret not in sent


def test_all_correct_scores_full_points():
    raised = ValueError("n must not be negative")
    judged, cell, points = grade(SPECS, [answer([0, 1]), answer(raised), answer(0.5004)])
    assert judged.passed and points == 2.0
    text = json.dumps(cell.outputs)
    assert "PASS: f(1)" in text and "hidden check 2" in text and "f(-1)" not in text


def test_one_wrong_value_scores_zero_with_the_mistake_hint():
    judged, cell, points = grade(SPECS, [answer([1, 0]), answer(ValueError("negative")), answer(0.5)])
    assert not judged.passed and points == 0
    assert judged.hint == "post-padding"
    assert cell.outputs[0]["output_type"] == "error"


def test_hidden_failure_does_not_echo_the_students_message():
    judged, cell, points = grade(SPECS, [answer([0, 1]), answer(KeyError("secret input -1")), answer(0.5)])
    assert points == 0 and "secret input" not in json.dumps(cell.outputs)
    assert "KeyError" in judged.hint


@pytest.mark.parametrize("bad", [
    None,  # no reply (timeout)
    reply(content={"status": "error", "ename": "X"}),
    reply("'5'", expr_status="error"),
    reply(None),
    reply("5"),  # a number, not the JSON text
    reply("'{\"__evil__\": 1}'"),
    reply(repr("x" * (verdict.MAX_REPLY_CHARS + 10))),
    reply("__import__('os').system('echo hacked')"),
    reply(content={"status": "ok", "user_expressions": "nope"}),
])
def test_forged_or_broken_replies_never_pass(bad):
    value = verdict.read_probe_reply(bad)
    judged = verdict.judge(SPECS[:1], [value])
    assert not judged.passed


def test_forged_value_for_a_visible_test_cannot_pass_the_hidden_ones():
    """A kernel that answers every probe with the visible test's value (it knows only that)."""
    forged = answer([0, 1])
    judged, _, points = grade(SPECS, [forged, forged, forged])
    assert points == 0 and [c.passed for c in judged.checks] == [True, False, False]


def test_always_equal_and_opaque_objects_fail():
    class Anything(list):
        def __eq__(self, other):
            return True

    assert not verdict.judge(SPECS[:1], [verdict.read_probe_reply(answer(Anything()))]).passed
    assert not verdict.judge(SPECS[:1], [verdict.read_probe_reply(answer(object()))]).passed


def test_legacy_assert_cells_are_refused_by_name():
    with pytest.raises(verdict.LegacyTestCell, match="test cell 'test_mean' of notebook 'a2'"):
        verdict.specs_for("assert mean([1]) == 1\n", "test_mean", "a2")


# ------------------------------------------------------------------------- repair of tampering
def released():
    def cell(name, kind, source, grade, solution, locked, points=None):
        return repair.ReleasedCell(name, kind, source, locked, "sum", grade, solution, False, points)
    return [cell("answer_a", "code", "raise NotImplementedError()", False, True, False),
            cell("test_a", "code", CELL, True, False, True, 2.0),
            cell("answer_b", "code", "raise NotImplementedError()", False, True, False),
            cell("test_b", "code", CELL, True, False, True, 1.0)]


def submitted():
    cells = []
    for r in released():
        meta = {"nbgrader": r.metadata()}
        source = r.source if not r.solution else "def f(x): return x"
        if r.is_test:
            source = source.split("### BEGIN")[0]
        cells.append(new_code_cell(source, metadata=meta))
    return new_notebook(cells=cells)


def ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def test_untouched_submission_needs_no_repair_but_gets_the_hidden_tests_back():
    nb = submitted()
    assert repair.repair(nb, released()) == []
    assert "BEGIN HIDDEN" in nb.cells[1].source


def test_reflagged_and_retyped_test_cells_are_restored():
    nb = submitted()
    nb.cells[1].metadata["nbgrader"].update(solution=True, locked=False)
    nb.cells[3] = new_markdown_cell("notes", metadata=nb.cells[3].metadata)
    changes = repair.repair(nb, released())
    assert any("test_a's nbgrader metadata was changed" in c for c in changes)
    assert any("test_b was turned into a markdown cell" in c for c in changes)
    for index in (1, 3):
        assert nb.cells[index].cell_type == "code" and nb.cells[index].source == CELL
        assert nb.cells[index].metadata["nbgrader"]["solution"] is False
    assert nb.cells[1].metadata["nbgrader"]["points"] == 2.0


def test_deleted_neighbours_come_back_in_release_order():
    nb = submitted()
    del nb.cells[1:3]  # test_a and answer_b
    changes = repair.repair(nb, released())
    assert ids(nb) == ["answer_a", "test_a", "answer_b", "test_b"]
    assert len([c for c in changes if "was deleted" in c]) == 2
    nbformat.validate(nb)


def test_copies_and_unknown_ids_become_ordinary_cells():
    nb = submitted()
    copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[1])))
    stranger = new_code_cell("x = 1", metadata={"nbgrader": {"grade": True, "grade_id": "evil",
                                                             "points": 100, "solution": False}})
    nb.cells[2:2] = [copy, stranger]
    changes = repair.repair(nb, released())
    assert ids(nb) == ["answer_a", "test_a", None, None, "answer_b", "test_b"]
    assert any("second copy" in c for c in changes) and any("'evil'" in c for c in changes)


# ------------------------------------------------------------------------------ sanitising
def test_sanitiser_removes_every_script_vector():
    payload = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    nb = new_notebook(cells=[
        new_markdown_cell(f"# Title\n\n{payload}\n\n[x](javascript:alert(1))\n\n```\na\n\nb\n```"),
        nbformat.v4.new_raw_cell(payload, metadata={"format": "text/html"}),
        new_code_cell("x", outputs=[new_output("display_data", data={
            "text/html": payload + "<b>kept</b>", "application/javascript": "alert(1)",
            "image/svg+xml": "<svg><script>alert(1)</script></svg>",
            "text/markdown": "[y](javascript:alert(1))", "image/png": "not base64!"})]),
    ])
    nb.metadata["title"] = payload
    found = sanitize.clean_notebook(nb)
    text = json.dumps(nb).lower()
    for bad in ("<script", "onerror", "javascript:", "<svg", "not base64"):
        assert bad not in text, bad
    assert "<b>kept</b>" in text and "title" in nb.cells[0].source.lower()
    assert found


def test_plain_markdown_is_left_as_written():
    nb = new_notebook(cells=[new_markdown_cell("Just **bold** prose, 3 > 2.")])
    sanitize.clean_notebook(nb)
    assert nb.cells[0].source == "Just **bold** prose, 3 > 2."


# ----------------------------------------------------------------------- ids, CSV, Markdown
@pytest.mark.parametrize("student", ["*", "own_modul?", "-h", "a\nb", "=1+1", "<b>x</b>", "a/b",
                                     "", "a b", "[ab]", "x" * 65, "a..b", ".hidden"])
def test_unsafe_ids_are_rejected(student):
    assert "rejected" in students.id_problem(student)


@pytest.mark.parametrize("student", ["alice", "bob.smith", "s1234567", "jane_doe-2", "a@uni.edu"])
def test_usual_ids_are_accepted(student):
    assert students.id_problem(student) is None


def test_csv_cells_never_start_a_formula():
    assert [report.csv_cell(v) for v in ["=1+1", "+x", "-h", "@SUM", "ok", 3.0, -1.0]] == \
        ["'=1+1", "'+x", "'-h", "'@SUM", "ok", 3.0, -1.0]


def test_markdown_report_escapes_student_text(tmp_path):
    result = {"student": "alice", "assignment": "a", "status": "graded", "score": 0, "max_score": 1,
              "test_cell_changes": ["<script>alert(1)</script> | [x](javascript:1)"],
              "notebooks": {"a": {"cells": {"t": {"score": 0, "max_score": 1, "status": "failed",
                                                  "hint": "<img src=x onerror=alert(1)>\n# head"}},
                                  "record": {"events": ["*bold* `code`"]}}}}
    text = report.student_report(result)
    assert "<script>" not in text and "<img" not in text and "](javascript" not in text
    assert "\n# head" not in text and "\\*bold\\*" in text
    path = report.write_all(tmp_path, "a", {"alice": {**result, "notebooks": {
        "a": {**result["notebooks"]["a"], "cells": {"t": {"score": 0, "max_score": 1}}}}}}, tmp_path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[1][0] == "alice" and not rows[1][-1].startswith(("=", "+", "-", "@"))


# -------------------------------------------------------------- the kernel's package, env, fds
def test_reserved_functions_raise_in_the_kernels_copy(tmp_path):
    copy = course_copy.build({"lstm_course.stability": ["spread"]}, tmp_path / "lstm_course")
    code = ("import lstm_course, lstm_course.stability as s\n"
            "assert lstm_course.__file__.startswith(%r), lstm_course.__file__\n"
            "print(s.loss_spike([1.0, 2.0, 1.0]) >= 0)\n"
            "try:\n    s.spread([1, 2])\nexcept RuntimeError as e:\n    print('RAISED', e)\n") % str(tmp_path)
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "True" in run.stdout and "RAISED lstm_course.stability.spread is not available" in run.stdout
    assert copy.is_dir()


def test_the_kernels_copy_holds_no_reference_code_for_any_assignment(tmp_path):
    """Reading a reserved module's file and executing it must not give the reference back."""
    import ast
    import lstm_course
    from lstm_course import own_work

    real = Path(lstm_course.__file__).resolve().parent
    for assignment, reserved in own_work.RESERVED.items():
        copy = course_copy.build(reserved, tmp_path / assignment / "lstm_course")
        for module, names in reserved.items():
            text = course_copy._module_file(copy, module).read_text()
            tree = ast.parse(text)
            defined = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for name in names:
                if name in defined:  # its body is one raise (after the docstring, if any)
                    body = [b for b in defined[name].body
                            if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))]
                    assert len(body) == 1 and isinstance(body[0], ast.Raise), (module, name)
                else:  # a re-export: the function it names must be reserved where it is defined
                    origin = getattr(importlib.import_module(module), name)
                    assert origin.__name__ in reserved.get(origin.__module__, []), (module, name)
        # no other function of the copy still holds a reserved function's code
        gone = set()
        for module, names in reserved.items():
            source = course_copy._module_file(real, module).read_text()
            for node in ast.parse(source).body:
                if isinstance(node, ast.FunctionDef) and node.name in names and len(node.body) > 1:
                    gone.add(ast.dump(ast.Module(body=node.body[1:], type_ignores=[])))
        for path in copy.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef) and len(node.body) > 1:
                    assert ast.dump(ast.Module(body=node.body[1:], type_ignores=[])) not in gone, (path, node.name)


def test_without_bodies_keeps_signature_docstring_and_decorators():
    source = ('import functools\n\n@functools.lru_cache\ndef f(a, b=2, *, c):\n    """Doc."""\n'
              '    x = a + b\n    return x * c\n\n\ndef g():\n    return 1\n')
    out = course_copy.without_bodies(source, ["f"], "m")
    assert '@functools.lru_cache\ndef f(a, b=2, *, c):\n    """Doc."""\n    raise RuntimeError(' in out
    assert "a + b" not in out and "def g():\n    return 1" in out
    namespace = {}
    exec(out, namespace)
    with pytest.raises(RuntimeError, match="m.f is not available while grading"):
        namespace["f"](1, c=3)


def test_probe_reply_that_is_not_one_string_is_refused_before_parsing():
    bomb = "[" + "1," * 999_998 + "1]"  # literal_eval of this costs about 1 GB
    for text in (bomb, "'a' + 'b'", "'a'\n'b'", "('a')", "b'abc'", "f'{x}'"):
        failure = verdict.read_probe_reply(reply(text))
        assert isinstance(failure, verdict.ProbeFailure) and "not a single string" in failure.reason, text
    assert verdict.read_probe_reply(answer([1.5, "it's \"quoted\"\n"])) == [1.5, "it's \"quoted\"\n"]


def test_output_and_cell_metadata_cannot_add_html_or_hide_code():
    import nbformat
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("def mean(v): return _ref(v)", metadata={
        "nbgrader": {"grade_id": "answer_mean"}, "transient": {"remove_source": True},
        "jupyter": {"source_hidden": True}, "tags": ["remove-input"]})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "AAAA", "text/plain": "img"},
                    metadata={"image/png": {"width": "1 onerror=window.__xss=1", "height": 40, "alt": "a plot"},
                              "image/jpeg": {"height": "2 onmouseover=x"}, "needs_background": "light"})]
    nb.cells.append(cell)
    found = sanitize.clean_notebook(nb)
    assert cell.metadata == {"nbgrader": {"grade_id": "answer_mean"}}
    assert cell.outputs[0]["metadata"] == {"image/png": {"height": 40, "alt": "a plot"}}
    assert any("hides code" in line for line in found) and any("image output metadata" in line for line in found)
    from nbconvert import HTMLExporter
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "window.__xss" not in html and "onmouseover=x" not in html
    assert "_ref" in html  # the code is shown (highlighting splits it into spans)
    assert 'height="40"' in html


def test_what_a_marked_cell_computes_and_what_a_students_cell_reads():
    from grading.execute import names_computed, names_read
    marked = ('histories["lstm"], trained["lstm"] = train_over_seeds("lstm")\n'
              "for seed, history in zip(SEEDS, histories['lstm']):\n    print(np.round(history['loss'], 2))\n"
              "log.append(1)\nimport numpy as np\n")
    assert names_computed(marked) == {"histories", "trained", "seed", "history", "log"}
    # read at the top, or free inside a function; parameters and the cell's own names are not
    assert names_read("print(max(h['loss'] for h in histories['lstm']))") >= {"histories"}
    assert "histories" in names_read("def f():\n    return trained['lstm']\nx = histories")
    assert names_read("def summarise(histories):\n    return histories") & {"histories"} == set()
    assert "seed" not in names_read("for seed in range(3):\n    print(seed)")
    assert names_read("%time x = 1\ny = trained") >= {"trained"}


def test_the_grader_parses_a_bounded_amount_of_student_text():
    """A 10 MB cell cost the grader gigabytes in ast/markdown: now a bounded, stated result."""
    import resource
    import nbformat
    from grading.execute import MAX_CHECKED_CHARS, _checked_uses
    huge = "x = 1\n" * (2 * MAX_CHECKED_CHARS)
    assert "over the 100 KB the grader checks" in _checked_uses(huge, {"lstm_course.stability": ["spread"]})[0]
    assert _checked_uses("from lstm_course.stability import spread", {"lstm_course.stability": ["spread"]})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("*a* <b>x</b> " * 1_000_000))
    found = sanitize.clean_notebook(nb)
    assert len(nb.cells[0].source) < 2 * sanitize.MAX_TEXT_CELL_CHARS
    assert any("truncated" in line for line in found)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) < 300 * 1024  # KB: < 300 MB


def test_a_forged_execution_count_does_not_break_the_notebook():
    import nbformat
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1")
    cell.execution_count = "<img src=x onerror=alert(1)>"
    cell.outputs = [nbformat.from_dict({"output_type": "execute_result", "data": {"text/plain": "1"},
                                        "metadata": {}, "execution_count": "7"})]
    nb.cells.append(cell)
    found = sanitize.clean_notebook(nb)
    assert cell.execution_count is None and cell.outputs[0]["execution_count"] is None
    assert "non-numeric execution counts removed" in found
    nbformat.validate(nb)


def test_environment_passes_by_exact_name_only(monkeypatch):
    monkeypatch.setenv("TF_API_TOKEN", "secret")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    monkeypatch.setenv("LSTM_COURSE_ANYTHING", "x")
    env = sandbox.passthrough_env()
    assert env.get("TF_CPP_MIN_LOG_LEVEL") == "3"
    assert "TF_API_TOKEN" not in env and "LSTM_COURSE_ANYTHING" not in env
    assert set(env) <= set(sandbox.PASSTHROUGH_ENV)


def test_sandbox_command_has_shm_and_binds_the_package_copy_over_the_real_one(tmp_path):
    spec = sandbox.SandboxSpec(tmp_path, 61000, sandbox.Limits(), ["/usr"],
                               overlays=[("/copy/lstm_course", "/real/lstm_course")])
    cmd = sandbox.bwrap_command(spec, ["python"], {})
    assert cmd[cmd.index("/dev/shm") - 1] == "--tmpfs"
    usr, overlay = cmd.index("/usr"), cmd.index("/copy/lstm_course")
    assert cmd[overlay - 1] == "--ro-bind" and cmd[overlay + 1] == "/real/lstm_course" and overlay > usr


def test_kernel_gets_no_descriptor_of_the_grader(tmp_path):
    """The kernel process starts with stdin/stdout on /dev/null and stderr on a pipe; a log file
    the grader has open is not among its descriptors."""
    from jupyter_client.manager import KernelManager  # noqa: F401 - ensures jupyter_client present
    from grading.kernel import SandboxedKernelManager

    log = open(tmp_path / "worker.log", "w")
    os.set_inheritable(log.fileno(), True)
    km = SandboxedKernelManager(kernel_name="python3")
    km.start_kernel = km.start_kernel  # noqa: PLW0127 - async manager, driven below
    import asyncio

    def descriptors(pid):
        # a starting kernel opens and closes descriptors while we list them: one that vanishes
        # between listdir and readlink was closed by the kernel itself, so it is not inherited
        fds = {}
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                fds[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
            except FileNotFoundError:
                pass
        return fds

    async def run():
        await km.start_kernel()
        try:
            # look once the kernel is up, so what we see is its settled set of descriptors
            client = km.client()
            client.start_channels()
            try:
                await client.wait_for_ready(timeout=120)
            finally:
                client.stop_channels()
            return descriptors(km.provisioner.process.pid)
        finally:
            await km.shutdown_kernel(now=True)

    fds = asyncio.run(run())
    log.close()
    assert fds[0] == "/dev/null" and fds[1] == "/dev/null" and fds[2].startswith("pipe:")
    assert not any("worker.log" in target for target in fds.values()), fds
