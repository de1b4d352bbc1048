"""tools/mutation.py's own logic: which modules CI reruns, and how survivors are matched to listed equivalents."""
import ast
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import mutation  # noqa: E402


def test_equivalence_keys_name_functions_and_methods():
    diff = "--- a\n+++ b\n@@ -1 +1 @@\n-    x = 1\n+    x = 2\n"
    assert mutation.equivalence_key("text_prep", "lstm_course.text_prep.x_pad_ids__mutmut_36", diff) == (
        "text_prep", "pad_ids", "x = 2")
    assert mutation.equivalence_key(
        "text_prep", "lstm_course.text_prep.x\u01c1TextVectorizer\u01c1adapt__mutmut_9", diff) == (
        "text_prep", "TextVectorizer.adapt", "x = 2")


def test_every_listed_equivalent_names_a_function_that_exists():
    """A renamed function would leave its entries matching nothing, silently: they must follow the code."""
    for module, function, _line in [*mutation.EQUIVALENT, *mutation.ACCEPTED]:
        assert module in mutation.MODULES, module
        tree = ast.parse((mutation.ROOT / mutation.source_of(module)).read_text())
        names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        names |= {f"{node.name}.{item.name}" for node in tree.body if isinstance(node, ast.ClassDef)
                  for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assert function in names, f"EQUIVALENT lists {module}.{function}, which {mutation.source_of(module)} lacks"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A tiny project with one module and its test, and an empty record."""
    (tmp_path / "lstm_course").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "lstm_course" / "numpy_lstm.py").write_text("def f():\n    return 1\n")
    (tmp_path / "tests" / "test_numpy_lstm.py").write_text("def test_f():\n    pass\n")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    monkeypatch.setattr(mutation, "RECORD", tmp_path / "record.json")
    monkeypatch.setattr(mutation, "MODULES", {"numpy_lstm": ["tests/test_numpy_lstm.py"]})
    return tmp_path


def result(survivors=(), killed=9, timeouts=0):
    """A run's result as run_module returns it, vouching for the module's files as they are now."""
    return {"module": "numpy_lstm", "total": 10, "killed": killed, "timeouts": timeouts,
            "equivalent": [("m", "survived", "", "why")], "accepted": [], "survivors": list(survivors), "seconds": 3.4,
            "hash": mutation.files_hash("numpy_lstm")}


def test_a_module_is_rerun_until_a_passing_run_is_recorded_for_its_current_files(project):
    assert mutation.changed_modules() == ["numpy_lstm"]  # no record yet
    mutation.save_record(result(), passed=True, recheck=False)
    assert mutation.changed_modules() == []
    saved = json.loads((project / "record.json").read_text())["numpy_lstm"]
    assert (saved["mutants"], saved["killed"], saved["equivalent"], saved["survivors"], saved["run"]) == (
        10, 9, 1, 0, "full")
    (project / "tests" / "test_numpy_lstm.py").write_text("def test_f():\n    assert True\n")
    assert mutation.changed_modules() == ["numpy_lstm"]  # its tests changed since
    mutation.save_record(result(), passed=True, recheck=True)
    assert mutation.changed_modules() == []
    (project / "lstm_course" / "numpy_lstm.py").write_text("def f():\n    return 2\n")
    assert mutation.changed_modules() == ["numpy_lstm"]  # its source changed since
    mutation.save_record(result(survivors=["s"]), passed=False, recheck=False)
    assert mutation.changed_modules() == ["numpy_lstm"]  # recorded, but not passing


def test_shared_fixtures_pinned_versions_and_the_modules_listed_equivalents_are_part_of_its_record(
        project, monkeypatch):
    """What decides a verdict besides the module and its tests: a change to any of them calls for a rerun."""
    mutation.save_record(result(), passed=True, recheck=False)
    for shared in mutation.SHARED_INPUTS:  # fixtures and Hypothesis profiles, pytest's options, versions
        (project / shared).parent.mkdir(exist_ok=True)
        (project / shared).write_text(f"changed {shared}\n")
        assert mutation.changed_modules() == ["numpy_lstm"], shared
        mutation.save_record(result(), passed=True, recheck=False)
    monkeypatch.setitem(mutation.EQUIVALENT, ("numpy_lstm", "f", "return 2"), "a new excuse")
    assert mutation.changed_modules() == ["numpy_lstm"]  # a survivor listed after the run
    mutation.save_record(result(), passed=True, recheck=False)
    monkeypatch.setitem(mutation.EQUIVALENT, ("numpy_lstm", "f", "return 2"), "another reason")
    assert mutation.changed_modules() == ["numpy_lstm"]  # a reason edited
    mutation.save_record(result(), passed=True, recheck=False)
    monkeypatch.setitem(mutation.EQUIVALENT, ("text_prep", "g", "return 3"), "another module's entry")
    monkeypatch.setitem(mutation.NOT_RUN, "text_prep", {"tests/t.py::test": "why"})
    assert mutation.changed_modules() == []  # other modules' lists do not concern this one
    monkeypatch.setitem(mutation.NOT_MUTATED, "numpy_lstm", {"f"})
    assert mutation.changed_modules() == ["numpy_lstm"]  # fewer mutants than were scored


def test_changed_fails_on_a_tensorflow_module_it_cannot_run_unless_it_is_listed_as_pending(
        project, monkeypatch, capsys):
    monkeypatch.setattr(mutation, "MODULES", {"numpy_lstm": ["tests/test_numpy_lstm.py"], "gradients": []})
    (project / "lstm_course" / "gradients.py").write_text("def g():\n    return 1\n")
    ran = []
    monkeypatch.setattr(mutation, "run_module", lambda module, *args: ran.append(module) or {"module": module,
                                                                                            "missing": True})
    assert mutation.main(["--changed", "--no-tensorflow"]) == 1  # gradients has no passing record
    out = capsys.readouterr().out
    assert ran == ["numpy_lstm"] and "gradients     FAILED: its source or tests changed" in out
    monkeypatch.setattr(mutation, "PENDING", {"gradients": "its run did not finish"})
    assert mutation.main(["--changed", "--no-tensorflow"]) == 0
    assert "gradients     NOT VERIFIED: no passing record yet, listed in PENDING: its run did not finish" in (
        capsys.readouterr().out)


def test_a_run_passes_only_with_every_survivor_killed_or_listed_and_few_timeouts(project, capsys):
    assert mutation.report(result()) is True  # 9 killed + 1 listed equivalent
    assert mutation.report(result(survivors=[("s", "survived", "--- a\n+++ b\n+ x\n", None)], killed=9)) is False
    assert "1 UNLISTED SURVIVORS" in capsys.readouterr().out
    assert mutation.report(result(timeouts=3)) is False  # 3 of 10 timed out: more likely a hung runner
    assert "RUNNER HUNG? 3 timeouts" in capsys.readouterr().out
    assert mutation.report(result(killed=7)) is False  # 80% < 90%
    with_accepted = {**result(killed=8), "accepted": [("a", "survived", "", "arbitrary")]}
    assert mutation.report(with_accepted) is True  # 8 killed + 1 equivalent + 1 accepted
    out = capsys.readouterr().out
    assert "1 equivalent, 1 accepted; score 100.0% ok" in out and "  accepted (a test could see it" in out
    stale = {**result(), "unused": [("numpy_lstm", "f", "return 3")]}  # listed, but no such survivor
    assert mutation.report(stale) is False
    out = capsys.readouterr().out
    assert "1 LISTED MUTANTS NOT SEEN" in out and "  LISTED BUT NOT SEEN f: 'return 3'" in out


def test_a_recheck_resets_every_verdict_but_a_kill_or_a_timeout(project, tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "PACKAGES", ("lstm_course",))
    work = tmp_path / "work"
    meta = work / "mutants" / "lstm_course" / "numpy_lstm.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {"m.killed": 1, "m.timeout": 36, "m.survived": 0, "m.no_tests": 33, "m.segfault": -9, "m.unchecked": None}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    again = mutation.forget_survivors(work, "numpy_lstm")
    assert sorted(again) == ["m.no_tests", "m.segfault", "m.survived", "m.unchecked"]
    reset = json.loads(meta.read_text())["exit_code_by_key"]
    assert reset == {**codes, "m.survived": None, "m.no_tests": None, "m.segfault": None}
    assert (work / "tested_hash.txt").read_text() == mutation.files_hash("numpy_lstm")  # what the record vouches for
    assert (work / "tests" / "test_numpy_lstm.py").exists()  # the current tests, copied in
