"""The course's rules for nbval, which runs every notebook cell by cell (`pytest --nbval-lax`).

Loaded by pytest for every run from the repository root (lessons/, solutions/, assignments/ and tests/):

* a cell whose output has a `FAIL:` self-check line, or anything on stderr, fails (learners should see
  neither; nbgrader treats stderr as failure);
* a student version (nbgrader release) runs up to its first `raise NotImplementedError()` placeholder:
  the cells from there on are deselected, since they need the learner's answer;
* under pytest-xdist every cell of a notebook carries the notebook's `xdist_group`, so `--dist loadgroup`
  runs a notebook's cells in one worker, in order (they share one kernel);
* `--nbval-executed-dir DIR` writes each notebook that ran without a failure, with its outputs, to
  DIR/<path in the repository>: the course site is built from these copies instead of running the
  notebooks a second time.

The checks act on nbval's cell items only; other tests are left alone.
"""
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent
PLACEHOLDER = "raise NotImplementedError"

# TensorFlow reads these at import; the kernels nbval starts inherit them (lstm_course.setup sets the same).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
# Notebooks under test read the same generated reviews online or offline (lstm_course.reviews), so the
# suite's verdict never depends on the network; set it to "imdb" to test with the real reviews.
os.environ.setdefault("LSTM_COURSE_REVIEWS_SOURCE", "generated")


def pytest_addoption(parser):
    parser.addoption("--nbval-executed-dir", default=None, metavar="DIR",
                     help="write every notebook nbval ran without a failure, with its outputs, under DIR")


def pytest_configure(config):
    # the mark is pytest-xdist's; declare it where xdist is not installed (Colab's stack)
    config.addinivalue_line("markers", "xdist_group(name): run in the same xdist worker as its group")
    if getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        config.pluginmanager.register(GroupSuffixForPytest92(), "course-xdist-group-suffix")


class GroupSuffixForPytest92:
    """pytest-xdist 3.8 puts a test into its `xdist_group` by appending "@group" to `item._nodeid`, but
    pytest 9.2 keeps node ids in `item._id`, so the suffix is lost and `--dist loadgroup` spreads a group's
    tests over the workers like `--dist load`. Append it where pytest 9.2 reads it (every group, not only
    the notebooks': the grading tests rely on theirs too). A no-op where xdist's own suffix took."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        for item in items:
            groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                             for m in item.iter_markers("xdist_group")})
            if groups and "@" not in item.nodeid and hasattr(item, "_id"):
                from _pytest.nodeid import coerce_node_id

                item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(groups)}")


def _is_notebook_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "cell")


def is_placeholder(cell) -> bool:
    """An nbgrader answer cell of a student version: the learner replaces the placeholder."""
    return cell.get("cell_type") == "code" and PLACEHOLDER in cell.get("source", "")


def _group_name(notebook) -> str:
    # letters, digits and "_" only: xdist appends "@<group>" to node ids and splits them again
    return "notebook_" + "".join(c if c.isalnum() else "_" for c in str(notebook.nodeid))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    keep, deselected, stopped = [], [], set()
    for item in items:
        if not _is_notebook_cell(item):
            keep.append(item)
            continue
        notebook = item.parent
        if notebook in stopped or is_placeholder(item.cell):
            stopped.add(notebook)
            deselected.append(item)
            continue
        item.add_marker(pytest.mark.xdist_group(name=_group_name(notebook)))
        keep.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep


def _problems(outputs) -> list[str]:
    problems = []
    for out in outputs or []:
        if out.get("output_type") != "stream":
            continue
        if out.get("name") == "stderr" and out.get("text", "").strip():
            problems.append("wrote to stderr:\n" + out["text"][:2000])
        elif out.get("name") == "stdout":
            problems += [line for line in out.get("text", "").splitlines() if line.startswith("FAIL:")]
    return problems


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if _is_notebook_cell(item):
        problems = _problems(item.test_outputs)
        _record(item, failed=bool(problems))
        if problems:
            printed = "".join(o.get("text", "") for o in item.test_outputs or []
                              if o.get("output_type") == "stream" and o.get("name") == "stdout")
            raise AssertionError(f"{item.parent.fspath} {item.name}: " + "\n".join(problems)
                                 + ("\n--- the cell printed (last 2000 characters):\n" + printed[-2000:] if printed else ""))
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if _is_notebook_cell(item) and report.when == "call" and report.failed:
        _record(item, failed=True)
    return report


def _record(item, failed: bool):
    """Keep the cell's outputs in the notebook nbval read, to write it out when the notebook is done."""
    notebook = item.parent
    state = notebook.__dict__.setdefault("_course_state", {"count": 0, "failed": False})
    state["failed"] |= failed
    if item.test_outputs is not None and "outputs" not in item.__dict__.get("_course_recorded", ()):
        state["count"] += 1
        item.cell.execution_count = state["count"]
        item.cell.outputs = [_as_output(out, state["count"]) for out in item.test_outputs]
        item._course_recorded = ("outputs",)


def _as_output(out, count):
    out = nbformat.from_dict(dict(out))
    if out.output_type == "execute_result":
        out.execution_count = count
    return out


def pytest_runtest_teardown(item, nextitem):
    """After a notebook's last cell: write the executed copy (or remove a stale one after a failure)."""
    target_dir = item.config.getoption("--nbval-executed-dir", default=None)
    if not target_dir or not _is_notebook_cell(item):
        return
    if nextitem is not None and getattr(nextitem, "parent", None) is item.parent:
        return
    notebook = item.parent
    state = notebook.__dict__.get("_course_state", {"failed": True})
    source = Path(str(notebook.fspath)).resolve()
    try:
        relative = source.relative_to(ROOT)
    except ValueError:
        relative = Path(source.name)
    target = Path(target_dir).resolve() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if state["failed"]:
        target.unlink(missing_ok=True)
        return
    nbformat.write(notebook.nb, str(target))
