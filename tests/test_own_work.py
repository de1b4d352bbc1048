"""Own work: every way an answer cell can reach a reserved reference function is found (with `ast`)."""
import json
from pathlib import Path

import pytest

from lstm_course import own_work
from lstm_course.own_work import RESERVED, canonical, find_reserved_uses

ROOT = Path(__file__).resolve().parents[1]
A1, A2, A3 = (RESERVED[a] for a in ("a1_lstm_concepts", "a2_rnn_vs_lstm_stability", "a3_next_word"))

EVASIONS = {  # name -> (reserved table, answer-cell source)
    "from_import": (A3, "from lstm_course.next_word import make_prefixes"),
    "from_import_alias": (A3, "from lstm_course.next_word import predict_next_word as my_predict"),
    "from_import_star": (A3, "from lstm_course.next_word import *"),
    "module_alias": (A3, "import lstm_course.next_word as nw\ndef make_prefixes(s):\n    return nw.make_prefixes(s)"),
    "package_attribute": (A1, "import lstm_course.numpy_lstm\nlstm_step = lstm_course.numpy_lstm.lstm_step"),
    "from_package_import_module": (A2, "from lstm_course import stability as st\nspread = st.spread"),
    "importlib": (A3, "import importlib\nm = importlib.import_module('lstm_course.next_word')\nf = m.make_prefixes"),
    "importlib_alias_from": (A3, "from importlib import import_module as im\nim('lstm_course.next_word')"),
    "importlib_built_name": (A3, "import importlib\nimportlib.import_module('lstm_course.' + 'next_word')"),
    "importlib_runtime_name": (A3, "import importlib\nname = input()\nimportlib.import_module(name)"),
    "dunder_import": (A1, "m = __import__('lstm_course.numpy_lstm', fromlist=['lstm_step'])"),
    "dunder_import_chain": (A1, "step = __import__('lstm_course').numpy_lstm.lstm_step"),
    "getattr_literal": (A2, "import lstm_course.stability as s\nloss_spike = getattr(s, 'loss_spike')"),
    "getattr_built_string": (A2, "import lstm_course.stability as s\nf = getattr(s, 'loss' + '_' + 'spike')"),
    "getattr_fstring": (A2, "import lstm_course.stability as s\nx = 'spike'\nf = getattr(s, f'loss_{x}')"),
    "getattr_join": (A2, "import lstm_course.stability as s\nf = getattr(s, '_'.join(['epochs', 'at', 'chance']))"),
    "getattr_runtime_name": (A2, "import lstm_course.stability as s\nfor n in dir(s):\n    pass"),
    "getattr_variable": (A2, "import lstm_course.stability as s\nn = compute()\nf = getattr(s, n)"),
    "nested_getattr": (A1, "import lstm_course\nf = getattr(getattr(lstm_course, 'numpy_lstm'), 'lstm_step')"),
    "module_dict": (A1, "import lstm_course.numpy_lstm as m\nf = m.__dict__['param_count']"),
    "vars_of_module": (A1, "import lstm_course.numpy_lstm as m\nf = vars(m)['param_count']"),
    "sys_modules": (A3, "import sys, lstm_course.next_word\nf = sys.modules['lstm_course.next_word'].pad_prefixes"),
    "reexport_models": (A1, "from lstm_course.models import lstm_param_count"),
    "reexport_gate_trace": (A1, "from lstm_course.gate_trace import lstm_forward"),
    "reexport_widget_module": (A3, "from lstm_course.widgets import next_word as w\nf = w.nw.predict_next_word"),
    "assigned_module_alias": (A3, "import lstm_course.next_word\nm = lstm_course.next_word\nm.bayes_optimal_accuracy"),
    "exec_literal": (A3, "exec('from lstm_course.next_word import make_prefixes')"),
    "exec_runtime": (A3, "code = open('x.py').read()\nexec(code)"),
    "eval_literal": (A3, "f = eval('__import__(\"lstm_course.next_word\").next_word.make_prefixes')"),
    "runpy": (A3, "import runpy\nrunpy.run_module('lstm_course.next_word')"),
    "source_file": (A3, "src = open(lstm_course_dir + '/next_word.py').read()"),
    "inside_function": (A2, "def summarise(h):\n    from lstm_course.stability import spread\n    return spread(h)"),
    "lambda_wrapper": (A3, "import lstm_course.next_word as n\nmake_prefixes = lambda s: n.make_prefixes(s)"),
}

HONEST = {  # name -> (reserved table, answer-cell source): must give no finding
    "own_function": (A3, "def make_prefixes(sequences):\n    return [s[:e] for s in sequences for e in range(2, len(s) + 1)]"),
    "allowed_helper": (A3, "from lstm_course.next_word import standardize, CORPUS\nwords = standardize('Hi there')"),
    "allowed_module_function": (A2, "import lstm_course.stability as s\nthreshold = s.CHANCE_THRESHOLD"),
    "same_name_other_module": (A3, "import numpy as np\nnp.pad([1, 2], (2, 0))"),
    "syntax_error": (A3, "def broken(:\n    pass"),
    "string_mentions_name": (A3, "print('I wrote make_prefixes myself')"),
    "keras_pad_sequences": (A3, "import keras\nkeras.utils.pad_sequences([[1]], maxlen=3)"),
    "other_assignment_reserved": (A1, "from lstm_course.next_word import make_prefixes"),
}


@pytest.mark.parametrize("name", sorted(EVASIONS))
def test_every_evasion_is_found(name):
    reserved, source = EVASIONS[name]
    findings = find_reserved_uses(source, reserved)
    assert findings, f"{name} was not found:\n{source}"
    assert all(f.startswith("line ") for f in findings)


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_code_is_not_flagged(name):
    reserved, source = HONEST[name]
    assert find_reserved_uses(source, reserved) == []


def test_finding_names_the_function_and_the_line():
    findings = find_reserved_uses("x = 1\nfrom lstm_course.next_word import make_prefixes as mp\nmp([[2, 3]])", A3)
    assert findings[0] == "line 2: uses make_prefixes from lstm_course.next_word (reserved: write it yourself)"
    assert any(f.startswith("line 3:") for f in findings), "a later call through the alias is named too"


def test_star_import_lists_the_reserved_names():
    (finding,) = find_reserved_uses("from lstm_course.stability import *", A2)
    assert "epochs_at_chance" in finding and "loss_spike" in finding and "spread" in finding


def test_reexports_are_read_from_the_package_source():
    assert canonical("lstm_course.models.lstm_param_count") == "lstm_course.numpy_lstm.param_count"
    assert canonical("lstm_course.widgets.next_word.nw.make_prefixes") == "lstm_course.next_word.make_prefixes"
    assert canonical("numpy.pad") == "numpy.pad"


def test_every_reserved_function_exists_in_the_package():
    import importlib

    for assignment, modules in RESERVED.items():
        for module, names in modules.items():
            loaded = importlib.import_module(module)
            missing = [n for n in names if not callable(getattr(loaded, n, None))]
            assert not missing, f"{assignment}: {module} has no {missing}"


def test_reserved_for_unknown_assignment_is_a_clear_error():
    with pytest.raises(KeyError, match="known: a1_lstm_concepts"):
        own_work.reserved_for("a9_nothing")


def test_announce_warns_when_a_cell_is_run():
    class Events:
        def __init__(self):
            self.callbacks = {"pre_run_cell": []}

        def register(self, event, callback):
            self.callbacks[event].append(callback)

    class Shell:
        events = Events()

    class Info:
        raw_cell = "from lstm_course.next_word import make_prefixes"

    shell = Shell()
    own_work.announce("a3_next_word", shell=shell)
    own_work.announce("a3_next_word", shell=shell)  # registering twice keeps one hook
    assert len(shell.events.callbacks["pre_run_cell"]) == 1
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        shell.events.callbacks["pre_run_cell"][0](Info())
    assert "OWN WORK in a3_next_word" in out.getvalue() and "make_prefixes" in out.getvalue()


def test_each_assignment_announces_and_states_its_own_work_rules():
    """The release calls announce() for its assignment and names every reserved function it asks for."""
    for assignment in RESERVED:
        nb = json.loads((ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text())
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert f'announce("{assignment}")' in code, f"{assignment} does not announce its own-work rules"
        assert "Own work" in text, f"{assignment} does not state which course functions may be used"


def test_learner_is_warned_at_once_in_the_notebook(tmp_path):
    """Run a1's release with import-only answers: the answer cell itself shows the OWN WORK warning."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    import nbgrader_utils as nbu
    from wrong_submissions.catalogue import IMPORT_ONLY

    assignment = "a1_lstm_concepts"
    release = nbu.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb")
    solutions = nbu.solution_sources(nbu.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb"))
    path = tmp_path / f"{assignment}.ipynb"
    import nbformat

    nbformat.write(nbu.fill_in(release, {**solutions, **IMPORT_ONLY[assignment]}), str(path))
    executed = nbu.execute(path)
    warned = {nbu.grade_id(c) for c in executed.cells
              if any("OWN WORK" in o.get("text", "") for o in c.get("outputs", []))}
    assert warned == set(IMPORT_ONLY[assignment]), warned
