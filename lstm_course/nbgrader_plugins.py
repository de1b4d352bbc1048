"""nbgrader plug-ins for grading the course's assignments (used by `nbgrader_config.py` only).

nbgrader 0.9 decides a test cell's score in `nbgrader.utils.determine_grade`: a cell with an
`error` output OR with ANY `stream` output named `stderr` scores 0. TensorFlow, absl and Keras write
log lines and warnings to stderr (C++ logs go straight to file descriptor 2, which ipykernel
forwards as a stderr stream of whichever cell is running at that moment), so a correct answer can
be zeroed by noise it did not cause. Tests in this course signal failure by raising; stderr is never
a verdict. `StderrIsNotFailure` therefore relabels stderr streams as stdout after execution and
before the grades are saved: the text stays visible in the graded notebook and the feedback, errors
(`error` outputs: exceptions, timeouts, dead kernels) are untouched and still score 0.

By default nbgrader also puts the hidden tests back into the autograded notebook and shows them in
the feedback, together with tracebacks that quote the failing line. `HideHiddenTestsInFeedback`
removes the hidden region from feedback and shortens the traceback of a cell that holds hidden
tests to its last line (`AssertionError: <message>`), so hidden tests stay hidden across terms.

Importing this module needs nbgrader (a grading dependency, not a learner one) but not TensorFlow.
"""
import re

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
HIDDEN_PLACEHOLDER = "# (hidden tests ran here; they are not shown in the feedback)"


def relabel_stderr(outputs) -> int:
    """Turn every stderr stream in `outputs` into a stdout stream, in place; return how many."""
    changed = 0
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            output["name"] = "stdout"
            changed += 1
    return changed


def remove_hidden_tests(source: str, placeholder: str = HIDDEN_PLACEHOLDER) -> str:
    """Replace each `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` region (markers included)."""
    pattern = re.compile(
        r"^([ \t]*)" + re.escape(BEGIN_HIDDEN) + r".*?^[ \t]*" + re.escape(END_HIDDEN) + r"[^\n]*",
        flags=re.MULTILINE | re.DOTALL,
    )
    return pattern.sub(lambda match: match.group(1) + placeholder, source)


class StderrIsNotFailure(NbGraderPreprocessor):
    """After execution, stderr streams no longer count as a failed test (errors still do).

    Register it right after `Execute` in `Autograde.autograde_preprocessors` (it replaces
    nbgrader's `IgnorePattern`, which can only delete stderr text, not keep it).
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            changed = relabel_stderr(cell.outputs)
            if changed:
                self.log.debug("cell %d: %d stderr stream(s) kept as log output", cell_index, changed)
        return cell, resources


class HideHiddenTestsInFeedback(NbGraderPreprocessor):
    """In feedback only: drop hidden test code and the tracebacks that would quote it."""

    placeholder = Unicode(HIDDEN_PLACEHOLDER, help="What replaces a hidden test region").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or BEGIN_HIDDEN not in cell.source:
            return cell, resources
        cell.source = remove_hidden_tests(cell.source, self.placeholder)
        for output in cell.outputs:
            if output.get("output_type") == "error":
                # keep the verdict and the assertion message, not the code around it
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
