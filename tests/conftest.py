"""Test-wide settings and the skip policy.

TensorFlow reads its logging settings at import: set them before any test imports it.

Skips: a test skips only when this machine lacks a system capability (bubblewrap or root for the
grading sandbox, Chromium for the browser test, the package index for the ipywidgets 7 test). With the
environment variable CI set, such a skip FAILS with its reason, because CI must run everything; this is
decided here, in one hook on every report, not by code in each test. Without CI, the end of the run lists
what was skipped, why, and the one command that enables it.
"""
import os
import re
import tempfile
from collections import defaultdict

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")


def in_ci_environment() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# Hypothesis: no deadline (the machine is shared and TensorFlow's first calls are slow), no example
# database written into the working tree; under CI the examples are derived, not random, so a CI
# verdict can be reproduced.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "hypothesis-lstm-course"))  # its patches/ too
settings.register_profile("course", deadline=None, database=None, derandomize=in_ci_environment())
# tools/mutation.py runs the covering tests once per mutant: fewer examples there keep it affordable.
settings.register_profile("mutation", parent=settings.get_profile("course"), max_examples=15,
                          derandomize=True)  # the same examples for every mutant: a kill that reproduces
settings.load_profile(os.environ.get("LSTM_COURSE_HYPOTHESIS_PROFILE", "course"))

# (pattern in the skip reason, the one command that gives this machine the capability). First match wins.
ENABLE_COMMANDS = (
    (r"sandbox|bubblewrap|bwrap|cgroup|root",
     "sudo apt-get install -y bubblewrap, then as root: sudo -E .venv/bin/python -m pytest tests/test_safe_grading.py"),
    (r"chromium|playwright|browser",
     "sudo apt-get install -y chromium && .venv/bin/pip install -r requirements-dev.txt"),
    (r"ipywidgets 7|package index|pypi",
     "give this machine access to https://pypi.org (pip install must work), then rerun tests/test_widgets.py"),
    (r"setuptools", ".venv/bin/pip install setuptools"),
)


def skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (file, line, "Skipped: reason")
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason.removeprefix("Skipped: ")


def enable_command(reason: str) -> str:
    for pattern, command in ENABLE_COMMANDS:
        if re.search(pattern, reason, re.IGNORECASE):
            return command
    return "(no known command: read the reason)"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and in_ci_environment():
        reason = skip_reason(report)
        report.outcome = "failed"
        report.longrepr = (
            f"CI is set, so this test may not skip, but it would have: {reason}\n"
            f"To give this machine what it needs: {enable_command(reason)}"
        )


_skipped = defaultdict(list)  # reason -> test ids (filled on the controller, also under xdist)


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped[skip_reason(report)].append(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if not _skipped:
        return
    write = terminalreporter.write_line
    terminalreporter.section("skipped for a missing capability (these FAIL when CI is set)")
    for reason, nodeids in sorted(_skipped.items(), key=lambda kv: -len(kv[1])):
        example = nodeids[0] + (f" and {len(nodeids) - 1} more" if len(nodeids) > 1 else "")
        write(f"{len(nodeids)} skipped: {reason}")
        write(f"    e.g. {example}")
        write(f"    enable: {enable_command(reason)}")
