"""Exact behaviour of grading/verdict.py, the grader's side of every test cell: the probe request it
sends, how it reads a kernel's reply, the verdict and the outputs nbgrader scores. Written against the
mutation run of 6 Dec (tools/mutation.py verdict): each test pins a value a wrong verdict would change.
No kernel, no root.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grading import verdict  # noqa: E402
from lstm_course.expectations import Raised, encode_json, parse_test_cell  # noqa: E402

CELL = ('from lstm_course.expectations import expect\n'
        'expect("f(1)", equals=2, hint="double it")\n'
        '### BEGIN HIDDEN TESTS\n'
        'expect("f(-3)", raises="ValueError", message_has=["negative"], hint="negatives raise")\n'
        '### END HIDDEN TESTS\n')
SPECS = parse_test_cell(CELL)


def reply(text, *, status="ok", expr_status="ok", ename=None):
    answer = {"status": expr_status, "data": {"text/plain": text}}
    if ename:
        answer["ename"] = ename
    return {"content": {"status": status, "user_expressions": {verdict.PROBE_NAME: answer}}}


def test_probe_request_runs_nothing_as_a_cell_and_keeps_no_history():
    request = verdict.probe_request("f(1) + 'x'")
    assert request == {
        "code": "", "silent": True, "store_history": False, "allow_stdin": False,
        "user_expressions": {verdict.PROBE_NAME: "__import__('lstm_course.expectations', "
                             "fromlist=['probe_json']).probe_json(\"f(1) + 'x'\")"}}


@pytest.mark.parametrize("bad, reason", [
    (None, "the kernel did not answer the test in time"),
    ("not a dict", "the kernel did not answer the test in time"),
    ({}, "the kernel could not evaluate the test"),
    ({"content": {"status": "error"}}, "the kernel could not evaluate the test"),
    ({"content": {"status": "ok"}}, "the kernel could not run the probe (no answer)"),
    ({"content": {"status": "ok", "user_expressions": []}}, "the kernel could not run the probe (no answer)"),
    (reply("'x'", expr_status="error", ename="NameError"), "the kernel could not run the probe (NameError)"),
    (reply("'x'", expr_status="error"), "the kernel could not run the probe (no answer)"),
    ({"content": {"status": "ok", "user_expressions": {verdict.PROBE_NAME: {"status": "ok"}}}},
     "the kernel's answer is missing or too large"),
    (reply(None), "the kernel's answer is missing or too large"),
    (reply("'" + "x" * verdict.MAX_REPLY_CHARS + "'"), "the kernel's answer is missing or too large"),
    (reply("'a' 'b'"), "the kernel's answer is not probe data (not a single string)"),
])
def test_every_broken_reply_names_its_reason(bad, reason):
    failure = verdict.read_probe_reply(bad)
    assert isinstance(failure, verdict.ProbeFailure) and failure.reason == reason
    assert repr(failure) == f"ProbeFailure({reason})"


def test_the_size_limit_is_inclusive_and_parse_errors_are_quoted_to_80_characters():
    at_limit = "'" + "y" * (verdict.MAX_REPLY_CHARS - 2) + "'"
    failure = verdict.read_probe_reply(reply(at_limit))
    assert failure.reason.startswith("the kernel's answer is not probe data (")  # read, not refused
    assert not failure.reason.startswith("the kernel's answer is missing or too large")
    long_error = verdict.read_probe_reply(reply(repr("{" + "z" * 300)))
    inner = long_error.reason.removeprefix("the kernel's answer is not probe data (").removesuffix(")")
    assert len(inner) == 80 and inner != "None"


def test_a_reply_at_the_size_limit_is_still_read():
    text = repr(encode_json("y" * 1000))
    assert len(text) <= verdict.MAX_REPLY_CHARS
    assert verdict.read_probe_reply(reply(text)) == "y" * 1000


def test_a_string_that_is_not_probe_json_says_why():
    failure = verdict.read_probe_reply(reply(repr("{not json")))
    assert isinstance(failure, verdict.ProbeFailure)
    assert failure.reason.startswith("the kernel's answer is not probe data (") and failure.reason.endswith(")")
    assert "not a single string" not in failure.reason


def test_judge_passes_only_when_every_check_passes():
    good = verdict.judge(SPECS, [2, Raised(["ValueError"], "n is negative")])
    assert good.passed and [c.passed for c in good.checks] == [True, True] and good.hint == ""
    assert [c.line for c in good.checks] == [s["line"] for s in SPECS]
    assert [c.hidden for c in good.checks] == [False, True]
    bad = verdict.judge(SPECS, [3, Raised(["ValueError"], "n is negative")])
    assert not bad.passed and bad.hint == bad.checks[0].message and "double it" in bad.hint
    assert not verdict.judge([], []).passed  # a test cell with no checks never passes


def test_a_probe_failure_fails_its_check_with_the_hint_and_the_reason():
    result = verdict.judge(SPECS, [verdict.ProbeFailure("timed out"), Raised(["ValueError"], "negative")])
    assert not result.passed
    assert result.checks[0] == verdict.Check(SPECS[0]["line"], False, False, "double it (timed out)")
    assert result.checks[0].passed is False and result.checks[1].passed
    hidden_failure = verdict.judge(SPECS, [2, verdict.ProbeFailure("kernel stopped")]).checks[1]
    assert hidden_failure.hidden is True and hidden_failure.line == SPECS[1]["line"]


def test_judge_refuses_values_that_do_not_match_the_specs():
    with pytest.raises(ValueError):
        verdict.judge(SPECS, [2])


def test_a_hidden_checks_message_never_echoes_the_raised_message():
    # the student's error message could quote the hidden inputs: the hidden check hides it
    result = verdict.judge(SPECS, [2, Raised(["ValueError"], "secret input -3 seen")])
    hidden = result.checks[1]
    assert not hidden.passed and hidden.hidden and "secret input" not in hidden.message
    assert hidden.message.startswith("negatives raise")
    # a visible check keeps the message (it helps), and so does a passing hidden one
    visible = parse_test_cell('from lstm_course.expectations import expect\n'
                              'expect("f(-3)", raises="ValueError", message_has=["negative"], hint="h")\n')
    shown = verdict.judge(visible, [Raised(["ValueError"], "secret input -3 seen")]).checks[0]
    assert "secret input -3 seen" in shown.message
    passing = verdict.judge(SPECS, [2, Raised(["ValueError"], "negative n")]).checks[1]
    assert passing.passed and passing.message == "raises ValueError"
    redacted = verdict._redacted(Raised(["TypeError", "Exception"], "secret"))
    assert isinstance(redacted, Raised) and list(redacted.types) == ["TypeError", "Exception"]
    assert redacted.message == ""
    assert verdict._redacted(5) == 5


def test_outputs_name_hidden_checks_by_number_and_keep_the_order():
    outputs = verdict.verdict_outputs(SPECS, verdict.judge(SPECS, [2, Raised(["ValueError"], "negative")]))
    assert outputs == [{"output_type": "stream", "name": "stdout", "text": "PASS: f(1)\nPASS: hidden check 2\n"}]
    failed = verdict.judge(SPECS, [3, Raised(["ValueError"], "negative")])
    outputs = verdict.verdict_outputs(SPECS, failed)
    message = failed.checks[0].message
    assert outputs == [
        {"output_type": "error", "ename": "AssertionError", "evalue": f"f(1): {message}",
         "traceback": [f"AssertionError: f(1): {message}"]},
        {"output_type": "stream", "name": "stdout", "text": "PASS: hidden check 2\n"}]
    # passes before a failure are flushed before it, in order
    flipped = [SPECS[1], SPECS[0]]
    outputs = verdict.verdict_outputs(flipped, verdict.judge(flipped, [Raised(["ValueError"], "negative"), 3]))
    assert [o["output_type"] for o in outputs] == ["stream", "error"]
    assert outputs[0] == {"output_type": "stream", "name": "stdout", "text": "PASS: hidden check 1\n"}
    assert outputs[1]["evalue"].startswith("f(1): ")
    # two passes before a failure are flushed as one stream, joined as printed
    three = [SPECS[0], SPECS[1], SPECS[0]]
    outputs = verdict.verdict_outputs(three, verdict.judge(three, [2, Raised(["ValueError"], "negative"), 3]))
    assert outputs[0] == {"output_type": "stream", "name": "stdout", "text": "PASS: f(1)\nPASS: hidden check 2\n"}


def test_failure_output_is_an_error_nbgrader_scores_zero():
    assert verdict.failure_output("KernelStopped", "the kernel died") == {
        "output_type": "error", "ename": "KernelStopped", "evalue": "the kernel died",
        "traceback": ["KernelStopped: the kernel died"]}


def test_a_cell_without_expectations_is_refused_by_name():
    with pytest.raises(verdict.LegacyTestCell) as refused:
        verdict.specs_for("assert f(1) == 2\n", "test_f", "a1")
    assert "test_f" in str(refused.value) and "a1" in str(refused.value)
    assert str(refused.value).endswith("to expect(...) calls (docs/test_authoring.md) and release the assignment again.")
    assert verdict.specs_for(CELL, "test_f", "a1") == SPECS
