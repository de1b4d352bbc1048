"""Stored XSS, checked in a real browser: a submission full of script payloads is graded in the
sandbox, then its feedback HTML and its formgrader page are opened in Debian's Chromium (driven by
Playwright, as in tests/test_browser.py). Every payload would set `window.__xss` (or open a dialog)
if it ran; none may.

Needs root + bubblewrap (the grading sandbox), /usr/bin/chromium and playwright; otherwise skipped
with the reason (under CI=1 a skip fails, see tests/conftest.py).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bad_submissions"))

from grading import runner, sandbox  # noqa: E402
import generate  # noqa: E402
import local_jupyter  # noqa: E402

# one batch grades every case in the module fixture: on 2 busy cores that can take longer than
# the suite-wide 900 s per test (pyproject.toml), so these tests get their own bound
pytestmark = [pytest.mark.xdist_group("grading-sandbox"), pytest.mark.timeout(3000)]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PROBE = sandbox.probe()


def _require():
    if not PROBE.ok:
        pytest.skip("sandbox unavailable here: " + "; ".join(PROBE.reasons))
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the Python package playwright is missing (requirements-dev.txt)")


def _env() -> dict:
    return {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable),
                                                   os.environ.get("PATH", "")])}


@pytest.fixture(scope="module")
def graded_xss(tmp_path_factory):
    _require()
    course = tmp_path_factory.mktemp("xss") / "course"
    generate.build_course(course, port=9, only=["xss"])
    outcome = runner.Batch(course, generate.ASSIGNMENT, jobs=1,
                           limits={"notebook_time_limit": 150, "scratch_mb": 256}).run()
    assert outcome["results"]["xss"]["score"] == 4.0
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", generate.ASSIGNMENT,
                          "--student", "xss", "--force"], cwd=course, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return course


@pytest.fixture(scope="module")
def formgrader(graded_xss, tmp_path_factory):
    base = tmp_path_factory.mktemp("formgrader")
    env = {**_env(), "IPYTHONDIR": str(base / "ipython"), "JUPYTER_PLATFORM_DIRS": "1"}
    with local_jupyter.running(
            "server", base, graded_xss,
            ["--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}"],
            env, "the formgrader") as server:
        yield server


def _page_ran_no_script(page) -> list[str]:
    """Every frame's `__xss` marker, and dialogs opened: all must be empty."""
    found = []
    for frame in page.frames:
        try:
            if frame.evaluate("() => window.__xss") is not None:
                found.append(f"window.__xss set in frame {frame.url[:80]}")
        except Exception:  # noqa: BLE001 - a frame that went away ran nothing we can see
            pass
    return found


def _open(url: str, wait_for: str) -> tuple[list[str], str]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        try:
            page = chromium.new_page()
            dialogs = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(url, wait_until="load", timeout=120_000)
            page.wait_for_selector(wait_for, timeout=60_000)
            page.wait_for_load_state("networkidle", timeout=60_000)
            found = _page_ran_no_script(page) + [f"dialog: {m}" for m in dialogs]
            return found, page.content()
        finally:
            chromium.close()


def test_feedback_html_runs_no_student_script(graded_xss):
    html = next((graded_xss / "feedback" / "xss" / generate.ASSIGNMENT).glob("*.html"))
    found, content = _open(html.as_uri(), "text=Notes")
    assert found == []
    assert "PASS: add(2, 3)" in content  # the page really shows the graded notebook


def test_formgrader_page_runs_no_student_script(graded_xss, formgrader):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded_xss}/gradebook.db") as gb:
        submission = gb.find_submission_notebook(generate.ASSIGNMENT, generate.ASSIGNMENT, "xss").id
    url = f"{formgrader['url']}/formgrader/submissions/{submission}/?token={formgrader['token']}"
    found, content = _open(url, "text=Notes")
    assert found == [], found
    assert "add(2, 3)" in content
