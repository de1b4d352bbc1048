"""The skip policy of conftest.py: a skip fails under CI and is summarised with its fix otherwise."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
PROBE_TESTS = '''
import pytest

def test_needs_chromium():
    pytest.skip("Chromium is not installed at /usr/bin/chromium")

@pytest.mark.skipif(True, reason="sandbox unavailable here: bwrap not found")
def test_needs_sandbox():
    pass

@pytest.mark.xfail(reason="a known bug, not a capability")
def test_known_bug():
    assert False

def test_plain():
    assert True
'''


def run_probe(tmp_path, ci: str | None) -> subprocess.CompletedProcess:
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(PROBE_TESTS)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_without_ci_skips_are_listed_with_reason_and_command(tmp_path):
    run = run_probe(tmp_path, ci=None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 2 skipped, 1 xfailed" in run.stdout
    summary = run.stdout.split("skipped for a missing capability")[1]
    assert "Chromium is not installed" in summary and "sudo apt-get install -y chromium" in summary
    assert "bwrap not found" in summary and "sudo apt-get install -y bubblewrap" in summary
    assert "known bug" not in summary  # an expected failure is not a missing capability


@pytest.mark.parametrize("ci", ["1", "true"])
def test_under_ci_every_capability_skip_fails_with_its_reason(tmp_path, ci):
    run = run_probe(tmp_path, ci=ci)
    assert run.returncode == 1, run.stdout + run.stderr
    # the skip in the test body fails; the skipif marker fails in setup, which pytest counts as an error
    assert "1 failed, 1 passed, 1 xfailed, 1 error" in run.stdout
    assert "CI is set, so this test may not skip, but it would have: Chromium is not installed" in run.stdout
    assert "bwrap not found" in run.stdout


def test_ci_set_to_zero_is_not_ci(tmp_path):
    assert run_probe(tmp_path, ci="0").returncode == 0
