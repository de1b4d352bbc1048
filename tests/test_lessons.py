"""Every lesson runs top to bottom on a fresh kernel, and every self-check in it passes."""
import pytest

from notebook_runner import ROOT, execute, streams

LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))


def test_there_are_five_lessons():
    assert [p.name[:2] for p in LESSONS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_and_its_self_checks_pass(path):
    nb = execute(path)  # raises CellExecutionError with the failing cell on any error
    out = streams(nb, "stdout")
    failed = [line for line in out.splitlines() if line.startswith("FAIL:")]
    assert not failed, f"{path.name}: self-checks failed:\n" + "\n".join(failed)
    assert "PASS:" in out, f"{path.name} has no self-check"
    # Learners should not see TensorFlow log noise (and nbgrader treats stderr as failure).
    assert streams(nb, "stderr").strip() == "", f"{path.name} wrote to stderr:\n{streams(nb, 'stderr')[:2000]}"
