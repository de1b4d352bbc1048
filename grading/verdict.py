"""Verdicts, decided here in the grader and never in the student's kernel.

A test cell is a list of expectations (docs/test_authoring.md), parsed from the INSTRUCTOR's copy
of the cell (the gradebook's). For each one the kernel gets a probe: one silent request with no
code and one user expression that asks `lstm_course.expectations.probe_json` for the value of the
test's expression. The answer comes back in the execute_reply bound to that request, as JSON text;
it is read as data only (size-limited, `ast.literal_eval` of a string, strict decoding) and compared
with `lstm_course.expectations.compare` from the grader's own installation. Whatever the student's
code does to its process, it can only change the data a probe returns.

This module is pure: it never talks to a kernel, so it is unit-tested with fake replies
(tests/test_grading_verdicts.py).
"""
from __future__ import annotations

import ast
import re
import dataclasses

from nbformat.notebooknode import NotebookNode

from lstm_course.expectations import (
    MAX_PROBE_BYTES, AuthoringError, ProbeDataError, Raised, compare, decode_json, parse_test_cell,
)

PROBE_NAME = "_grading_probe"
MAX_REPLY_CHARS = 2 * MAX_PROBE_BYTES + 4096  # the repr of the JSON text (escapes can double it)


class LegacyTestCell(RuntimeError):
    """A test cell that is not written as expectations: the assignment is refused."""


class ProbeFailure:
    """No value: the kernel did not answer, or answered with something that is not probe data."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self):
        return f"ProbeFailure({self.reason})"


def probe_request(expression: str) -> dict:
    """Arguments for `KernelClient.execute`: nothing runs as a cell, nothing enters `In`."""
    call = ("__import__('lstm_course.expectations', fromlist=['probe_json'])"
            f".probe_json({expression!r})")
    return {"code": "", "silent": True, "store_history": False, "allow_stdin": False,
            "user_expressions": {PROBE_NAME: call}}


# possessive quantifiers (Python 3.11+): one linear pass, no backtracking state per character
_ONE_STRING_LITERAL = re.compile(r"'(?:[^'\\\n]++|\\.)*+'|\"(?:[^\"\\\n]++|\\.)*+\"")


def read_probe_reply(reply: dict | None):
    """The probed value from an execute_reply (plain data, Raised, Opaque) or a ProbeFailure."""
    if not isinstance(reply, dict):
        return ProbeFailure("the kernel did not answer the test in time")
    content = reply.get("content")
    if not isinstance(content, dict) or content.get("status") != "ok":
        return ProbeFailure("the kernel could not evaluate the test")
    expressions = content.get("user_expressions")
    answer = expressions.get(PROBE_NAME) if isinstance(expressions, dict) else None
    if not isinstance(answer, dict) or answer.get("status") != "ok":
        name = answer.get("ename") if isinstance(answer, dict) else None
        return ProbeFailure(f"the kernel could not run the probe ({name or 'no answer'})")
    data = answer.get("data")
    text = data.get("text/plain") if isinstance(data, dict) else None
    if not isinstance(text, str) or len(text) > MAX_REPLY_CHARS:
        return ProbeFailure("the kernel's answer is missing or too large")
    # the probe's answer is the repr of ONE str; anything else (a 2 MB list literal costs
    # literal_eval about 1 GB) is refused by a linear-time match before any parsing
    if not _ONE_STRING_LITERAL.fullmatch(text):
        return ProbeFailure("the kernel's answer is not probe data (not a single string)")
    try:
        json_text = ast.literal_eval(text)
        if not isinstance(json_text, str):
            raise ValueError("not a string")
        return decode_json(json_text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, ProbeDataError) as error:
        return ProbeFailure(f"the kernel's answer is not probe data ({str(error)[:80]})")


def specs_for(source: str, grade_id: str, notebook: str) -> list[dict]:
    """The expectations of one test cell; LegacyTestCell (naming the cell) if it has none."""
    try:
        return parse_test_cell(source)
    except AuthoringError as error:
        raise LegacyTestCell(
            f"test cell '{grade_id}' of notebook '{notebook}' is not written as expectations "
            f"({error}). The grader never runs test code in a student's kernel: convert the cell "
            "to expect(...) calls (docs/test_authoring.md) and release the assignment again."
        ) from None


@dataclasses.dataclass
class Check:
    """The verdict on one expectation."""

    line: int
    hidden: bool
    passed: bool
    message: str  # what the learner reads (never the expected value)


@dataclasses.dataclass
class CellVerdict:
    passed: bool
    checks: list[Check]

    @property
    def hint(self) -> str:
        """The first failing check's message: what the report and item analysis show."""
        return next((c.message for c in self.checks if not c.passed), "")


def _redacted(value):
    """A raised exception's message can echo a hidden test's inputs: hide it from a hidden check."""
    return Raised(value.types, "") if isinstance(value, Raised) else value


def judge(specs: list[dict], values: list) -> CellVerdict:
    """Compare every probed value with its spec (both lists in the same order)."""
    checks = []
    for spec, value in zip(specs, values, strict=True):
        if isinstance(value, ProbeFailure):
            checks.append(Check(spec["line"], spec["hidden"], False, f"{spec['hint']} ({value.reason})"))
            continue
        passed, message = compare(spec, value)
        if not passed and spec["hidden"]:
            message = compare(spec, _redacted(value))[1]
        checks.append(Check(spec["line"], spec["hidden"], passed, message))
    return CellVerdict(all(c.passed for c in checks) and bool(checks), checks)


def verdict_outputs(specs: list[dict], verdict: CellVerdict) -> list[NotebookNode]:
    """The test cell's outputs, so nbgrader reads the same verdict (an error output scores 0).

    A hidden check is named by its number only: its expression is part of the hidden test.
    """
    outputs, lines = [], []
    for number, (spec, check) in enumerate(zip(specs, verdict.checks), start=1):
        what = f"hidden check {number}" if spec["hidden"] else spec["expression"]
        if check.passed:
            lines.append(f"PASS: {what}\n")
        else:
            if lines:
                outputs.append(NotebookNode(output_type="stream", name="stdout", text="".join(lines)))
                lines = []
            outputs.append(NotebookNode(output_type="error", ename="AssertionError",
                                        evalue=f"{what}: {check.message}",
                                        traceback=[f"AssertionError: {what}: {check.message}"]))
    if lines:
        outputs.append(NotebookNode(output_type="stream", name="stdout", text="".join(lines)))
    return outputs


def failure_output(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message,
                        traceback=[f"{ename}: {message}"])
