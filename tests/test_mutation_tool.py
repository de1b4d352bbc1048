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
        names = {mutation.function_name(mangled) for mangled, _ in mutation.functions_of(tree)}
        assert function in names, f"EQUIVALENT lists {module}.{function}, which {mutation.source_of(module)} lacks"
        assert function.split(".")[0] not in mutation.NOT_MUTATED.get(module, ()), f"{function} is not mutated"
    assert not set(mutation.EQUIVALENT) & set(mutation.ACCEPTED)  # a mutant is one or the other


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


def test_a_record_vouches_for_what_decides_the_verdicts_and_nothing_else(project, monkeypatch):
    """Besides the module and its tests: the code they import, the shared fixtures, pytest's options, the pins
    of the libraries they run on and the module's list entries. A change to any of them calls for a rerun; a
    change elsewhere (a lesson's helper, the site builder's pin, a reworded reason) does not."""
    (project / "lstm_course" / "numpy_lstm.py").write_text("def f():\n    from .helper import g\n    return g()\n")
    (project / "lstm_course" / "helper.py").write_text("from lstm_course import deeper\ndef g():\n    return 1\n")
    (project / "lstm_course" / "deeper.py").write_text("X = 1\n")
    (project / "lstm_course" / "other.py").write_text("Y = 1\n")
    (project / "tests" / "test_numpy_lstm.py").write_text("from stand_in import ANSWER\ndef test_f():\n    pass\n")
    (project / "tests" / "stand_in.py").write_text("ANSWER = 1\n")
    (project / "tests" / "conftest.py").write_text("# fixtures\n")
    (project / "requirements.txt").write_text("numpy==2.4.6\nsphinx==8.0.0  # the site\n")
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\ntimeout = 900\n[tool.ruff]\nline-length = 120\n")
    # (file, new text, whether the record goes stale)
    changes = [("lstm_course/helper.py", "from lstm_course import deeper\ndef g():\n    return 2\n", True),
               ("lstm_course/deeper.py", "X = 2\n", True),  # imported through helper
               ("tests/stand_in.py", "ANSWER = 2\n", True),  # a helper next to the tests
               ("tests/conftest.py", "# other fixtures\n", True),
               ("requirements.txt", "numpy==2.4.7\nsphinx==8.0.0  # the site\n", True),
               ("pyproject.toml", "[tool.pytest.ini_options]\ntimeout = 60\n[tool.ruff]\nline-length = 120\n", True),
               ("lstm_course/other.py", "Y = 2\n", False),  # imported by neither
               ("requirements.txt", "numpy==2.4.7\nsphinx==8.1.0  # the site\n", False),
               ("pyproject.toml", "[tool.pytest.ini_options]\ntimeout = 60\n[tool.ruff]\nline-length = 99\n", False)]
    mutation.save_record(result(), passed=True, recheck=False)
    for path, text, stale in changes:
        (project / path).write_text(text)
        assert mutation.changed_modules() == (["numpy_lstm"] if stale else []), path
        mutation.save_record(result(), passed=True, recheck=False)
    monkeypatch.setitem(mutation.EQUIVALENT, ("numpy_lstm", "f", "return 2"), "a new excuse")
    assert mutation.changed_modules() == ["numpy_lstm"]  # a survivor listed after the run
    mutation.save_record(result(), passed=True, recheck=False)
    monkeypatch.setitem(mutation.EQUIVALENT, ("numpy_lstm", "f", "return 2"), "the same excuse, reworded")
    assert mutation.changed_modules() == []
    monkeypatch.setitem(mutation.EQUIVALENT, ("text_prep", "g", "return 3"), "another module's entry")
    monkeypatch.setitem(mutation.NOT_RUN, "text_prep", {"tests/t.py::test": "why"})
    assert mutation.changed_modules() == []  # other modules' lists do not concern this one
    monkeypatch.setitem(mutation.NOT_MUTATED, "numpy_lstm", {"f"})
    assert mutation.changed_modules() == ["numpy_lstm"]  # fewer mutants than were scored


def test_listed_mutants_that_did_not_survive_are_reported_unless_only_some_functions_ran(monkeypatch):
    monkeypatch.setattr(mutation, "EQUIVALENT", {("numpy_lstm", "f", "x = 2"): "same", ("numpy_lstm", "f", "x = 3"): "same",
                                                 ("numpy_lstm", "g", "y = 0"): "same", ("text_prep", "h", "z"): "other"})
    monkeypatch.setattr(mutation, "ACCEPTED", {("numpy_lstm", "g", "y = 9"): "arbitrary"})
    diffs = {"p.x_f__mutmut_1": "x = 2", "p.x_f__mutmut_2": "x = 3", "p.x_f__mutmut_3": "x = 4",
             "p.x_g__mutmut_1": "y = 0", "p.x_g__mutmut_2": "y = 9", "p.x_g__mutmut_3": "y = 5"}
    status = {"p.x_f__mutmut_1": "survived", "p.x_f__mutmut_2": "timeout", "p.x_f__mutmut_3": "no tests",
              "p.x_g__mutmut_1": "killed", "p.x_g__mutmut_2": "survived", "p.x_g__mutmut_3": "killed"}
    shown = []

    def show(name):
        shown.append(name)
        return f"--- a\n+++ b\n@@ -1 +1 @@\n-    old\n+    {diffs[name]}\n"

    out = mutation.classify("numpy_lstm", status, show)
    assert (out["killed"], out["timeouts"]) == (3, 1)  # a timeout counts as a kill
    assert [name for name, *_ in out["equivalent"]] == ["p.x_f__mutmut_1"]
    assert [name for name, *_ in out["accepted"]] == ["p.x_g__mutmut_2"]
    assert [(name, verdict) for name, verdict, *_ in out["survivors"]] == [("p.x_f__mutmut_3", "no tests")]
    # y = 0 was killed: it was not equivalent. x = 3 timed out (slower, not different): still seen
    assert out["unused"] == [("numpy_lstm", "g", "y = 0")]
    assert sorted(shown) == ["p.x_f__mutmut_1", "p.x_f__mutmut_2", "p.x_f__mutmut_3", "p.x_g__mutmut_2"]  # not kills
    assert mutation.classify("numpy_lstm", status, show, functions=["f"])["unused"] == []  # g was not run


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
    from mutmut.mutation.file_mutation import compute_function_hashes
    last_run = compute_function_hashes("def f():\n    return 0\n")  # f as the last run mutated it
    meta.write_text(json.dumps({"exit_code_by_key": codes, "hash_by_function_name": last_run}))
    stats = work / "mutants" / "mutmut-stats.json"  # which tests reach which function, by test name
    stats.write_text("{}")
    again = mutation.forget_survivors(work, "numpy_lstm")
    assert not stats.exists()  # collected afresh: a test rewritten under its old name may reach new functions
    # f changed since (return 1 now): mutmut makes all its mutants anew, killed ones too, so all are named
    assert sorted(again) == ["lstm_course.numpy_lstm.x_f__mutmut_*", "m.no_tests", "m.segfault", "m.survived",
                             "m.unchecked"]
    reset = json.loads(meta.read_text())["exit_code_by_key"]
    assert reset == {**codes, "m.survived": None, "m.no_tests": None, "m.segfault": None}
    source = work / "lstm_course" / "numpy_lstm.py"  # the current f, newer than the mutants: mutmut remakes them
    assert source.read_text() == "def f():\n    return 1\n" and source.stat().st_mtime > meta.stat().st_mtime - 1
    assert (work / "tested_hash.txt").read_text() == mutation.files_hash("numpy_lstm")  # what the record vouches for
    assert (work / "tests" / "test_numpy_lstm.py").exists()  # the current tests, copied in


def test_a_recheck_keeps_earlier_kills_only_while_the_run_settings_are_the_same(project, tmp_path, monkeypatch,
                                                                                 capsys):
    """mutmut's configuration (e.g. NOT_RUN's deselections), the fixtures, pytest's options and the pins decide
    the kills a recheck keeps: after a change to any of them, --recheck is a full run."""
    import subprocess

    from mutmut.mutation.file_mutation import compute_function_hashes
    monkeypatch.setattr(mutation, "PACKAGES", ("lstm_course",))
    monkeypatch.setitem(mutation.NOT_MUTATED, "numpy_lstm", {"helper"})  # so mutants are selected by name
    monkeypatch.setenv("MUTATION_DIR", str(tmp_path / "scratch"))
    (project / "tests" / "conftest.py").write_text("# fixtures\n")
    runs = []

    def fake_mutmut(command, cwd, **kwargs):  # mutmut run / results / show, in the scratch copy `cwd`
        meta = Path(cwd) / "mutants" / "lstm_course" / "numpy_lstm.py.meta"
        if command[3] == "run":
            runs.append(command[6:])
            meta.parent.mkdir(parents=True, exist_ok=True)
            hashes = compute_function_hashes((Path(cwd) / "lstm_course" / "numpy_lstm.py").read_text())
            meta.write_text(json.dumps({"exit_code_by_key": {"lstm_course.numpy_lstm.x_f__mutmut_1": 1},
                                        "hash_by_function_name": hashes}))
        out = "    lstm_course.numpy_lstm.x_f__mutmut_1: killed\n" if command[3] == "results" else ""
        return subprocess.CompletedProcess(command, 0, out, "")

    monkeypatch.setattr(mutation.subprocess, "run", fake_mutmut)
    full = "full run, not a recheck"
    assert mutation.run_module("numpy_lstm", 2, recheck=True)["killed"] == 1
    assert full in capsys.readouterr().out  # nothing to recheck yet
    assert mutation.run_module("numpy_lstm", 2, recheck=True)["killed"] == 1
    assert full not in capsys.readouterr().out  # same settings: the kill is kept
    monkeypatch.setitem(mutation.NOT_RUN, "numpy_lstm", {"tests/test_numpy_lstm.py::test_f": "too slow"})
    mutation.run_module("numpy_lstm", 2, recheck=True)
    assert full in capsys.readouterr().out  # a test deselected: kills it made may be gone
    assert "--deselect" in (tmp_path / "scratch" / "numpy_lstm" / "setup.cfg").read_text()
    mutation.run_module("numpy_lstm", 2, recheck=True)
    assert full not in capsys.readouterr().out
    (project / "tests" / "conftest.py").write_text("# other fixtures\n")
    mutation.run_module("numpy_lstm", 2, recheck=True)
    assert full in capsys.readouterr().out
    (project / "lstm_course" / "numpy_lstm.py").write_text("def f():\n    return 2\n")
    mutation.run_module("numpy_lstm", 2, recheck=True)
    assert full not in capsys.readouterr().out  # a function changed: mutmut remakes its mutants
    assert runs[-1] == ["lstm_course.numpy_lstm.x_f__mutmut_*"]  # ... and the recheck selects them all
    (project / "lstm_course" / "numpy_lstm.py").write_text("LIMIT = 1\n\ndef f():\n    return 2\n")
    mutation.run_module("numpy_lstm", 2, recheck=True)
    assert full in capsys.readouterr().out  # a constant its functions may read: every kill may be stale
    assert len(runs) == 5  # 4 full runs and the recheck of f; the other rechecks had nothing to rerun


def test_changed_functions_are_named_as_mutmut_names_them_with_their_callers():
    from mutmut.mutation.file_mutation import compute_function_hashes
    old = ("def f():\n    return 1\n\ndef g():\n    return 2\n\ndef uses_g():\n    return g() + 1\n\n"
           "def uses_uses_g():\n    return uses_g()\n\nclass C:\n    def m(self):\n        return 3\n\n"
           "    def calls_m(self):\n        return self.m()\n")
    recorded = compute_function_hashes(old)
    new = old.replace("return 2", "return 20").replace("return 3", "return 30") + "\ndef h():\n    pass\n"
    # g and m changed; uses_g calls g, uses_uses_g calls uses_g, calls_m calls m: rerun them all. The new h
    # is mutmut's to judge: its mutants are new and unchecked, which fails the run until they are checked
    assert mutation.changed_functions(recorded, new) == sorted(
        ["x_g", "x_uses_g", "x_uses_uses_g", "x\u01c1C\u01c1m", "x\u01c1C\u01c1calls_m"])  # h: see below
    assert mutation.changed_functions(recorded, old.replace("return 1", "return 1  # a comment")) == []
    gone = old.replace("def g():\n    return 2\n\n", "")  # g removed: its callers changed
    assert mutation.changed_functions(recorded, gone) == ["x_uses_g", "x_uses_uses_g"]


def test_outside_its_functions_a_module_changes_with_its_constants_not_with_its_function_bodies(project):
    path = project / "lstm_course" / "numpy_lstm.py"
    path.write_text("LIMIT = 5\n\ndef f():\n    return LIMIT\n")
    before = mutation.module_outside_functions("lstm_course/numpy_lstm.py")
    path.write_text("LIMIT = 5\n\ndef f():\n    return LIMIT + 1\n")
    assert mutation.module_outside_functions("lstm_course/numpy_lstm.py") == before
    path.write_text("LIMIT = 6\n\ndef f():\n    return LIMIT + 1\n")
    assert mutation.module_outside_functions("lstm_course/numpy_lstm.py") != before


def test_only_a_mutant_that_ran_and_survived_can_be_excused(monkeypatch):
    """A listed mutant left unchecked (mutmut stopped early) or reached by no test has no verdict to excuse."""
    monkeypatch.setattr(mutation, "EQUIVALENT", {("numpy_lstm", "f", "x = 2"): "same"})
    monkeypatch.setattr(mutation, "ACCEPTED", {})
    diff = "--- a\n+++ b\n@@ -1 +1 @@\n-    x = 1\n+    x = 2\n"
    for verdict in ("not checked", "no tests", "segfault", "suspicious"):
        out = mutation.classify("numpy_lstm", {"p.x_f__mutmut_1": verdict, "p.x_f__mutmut_2": "killed"},
                                lambda name: diff)
        assert [(name, v) for name, v, *_ in out["survivors"]] == [("p.x_f__mutmut_1", verdict)]
        assert out["equivalent"] == []
