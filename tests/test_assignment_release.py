"""Each release names what its tests read, and states every rule its hidden tests enforce.

* Names: every name an expectation reads (visible or hidden) is defined in the release a learner
  opens, in given code or in an answer stub (`practice_q1 = ...`, `def lstm_step(...)`), or comes
  from the probe namespace (`np`, `lstm_course.probe_fixtures`) or Python's builtins.
* Rules: docs/hidden_test_rules.md maps every hidden expectation to the sentence of the task that
  states its rule; the sentence must be in the release's Markdown.
* Format: every test cell holds only expectations (the grader never runs test-cell code).
"""
import ast
import builtins
import re
from pathlib import Path

import nbformat
import pytest

from lstm_course import probe_fixtures
from lstm_course.expectations import parse_test_cell

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["a1_lstm_concepts", "a2_rnn_vs_lstm_stability", "a3_next_word"]
RULES_DOC = ROOT / "docs" / "hidden_test_rules.md"
PROBE_NAMES = {"np", *probe_fixtures.__all__}
ROW = re.compile(r'^\| `(?P<cell>[a-z0-9_]+)` \| (?P<k>\d+) \| `(?P<expr>.*)` \| "(?P<sentence>.*)" \|$')


def notebook(kind, assignment):
    return nbformat.read(str(ROOT / kind / assignment / f"{assignment}.ipynb"), as_version=4)


def meta(cell):
    return cell.metadata.get("nbgrader", {})


def is_test_cell(cell):
    return bool(meta(cell).get("grade")) and not meta(cell).get("solution") and cell.cell_type == "code"


def defined_names(source: str) -> set:
    """Names a code cell binds at top level or in its functions' signatures (IPython magics removed)."""
    source = "\n".join(line[:len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!"))
                       else line for line in source.splitlines())
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def free_names(expression: str) -> set:
    """Names an expression reads that it does not bind itself (comprehension targets, lambda args)."""
    tree = ast.parse(expression, mode="eval")
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            bound |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Lambda):
            bound |= {a.arg for a in node.args.args + node.args.kwonlyargs}
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return loaded - bound


def hidden_specs(assignment):
    """[(grade_id, k, spec)] for every hidden expectation of the source, k counted per cell from 1."""
    found = []
    for cell in notebook("solutions", assignment).cells:
        if is_test_cell(cell):
            hidden = [spec for spec in parse_test_cell(cell.source) if spec["hidden"]]
            found += [(meta(cell)["grade_id"], k, spec) for k, spec in enumerate(hidden, start=1)]
    return found


def rules_rows():
    rows, assignment = {}, None
    for line in RULES_DOC.read_text().splitlines():
        if line.startswith("## "):
            assignment = line[3:].strip()
        match = ROW.match(line)
        if match:
            rows[(assignment, match["cell"], int(match["k"]))] = (match["expr"].replace("\\|", "|"), match["sentence"])
    return rows


def normalised(text):
    return " ".join(text.split())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_test_cell_holds_only_expectations(assignment):
    for kind in ["solutions", "assignments"]:
        for cell in notebook(kind, assignment).cells:
            if is_test_cell(cell):
                assert parse_test_cell(cell.source), f"{kind}/{assignment} {meta(cell)['grade_id']}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_name_a_test_reads_is_named_in_the_release(assignment):
    release = notebook("assignments", assignment)
    available = PROBE_NAMES | set(dir(builtins))
    for cell in release.cells:
        if cell.cell_type == "code" and not is_test_cell(cell):
            available |= defined_names(cell.source)
    answer_stubs = {meta(c)["grade_id"]: c.source for c in release.cells
                    if c.cell_type == "code" and meta(c).get("solution")}
    assert answer_stubs, "no answer cells in the release"
    for cell in notebook("solutions", assignment).cells:
        if not is_test_cell(cell):
            continue
        for spec in parse_test_cell(cell.source):
            missing = free_names(spec["expression"]) - available
            assert not missing, (f"{meta(cell)['grade_id']} reads {sorted(missing)}, which the release of "
                                 f"{assignment} neither gives nor names in an answer stub")


def test_a_stub_names_every_variable_the_tests_read():
    """The issue's case: a1's tests read practice_q1 ... quiz_q2; each stub assigns it."""
    release = notebook("assignments", "a1_lstm_concepts")
    stubs = "\n".join(c.source for c in release.cells if meta(c).get("solution") and c.cell_type == "code")
    for name in ["practice_q1", "practice_q2", "quiz_q1", "quiz_q2", "kept_with_unit_bias", "chosen_forget_bias"]:
        assert re.search(rf"^{name} = \.\.\.", stubs, re.MULTILINE), f"no stub names {name}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hidden_expectation_maps_to_a_sentence_of_the_task(assignment):
    rows = rules_rows()
    markdown = normalised("\n".join(c.source for c in notebook("assignments", assignment).cells
                                    if c.cell_type == "markdown"))
    specs = hidden_specs(assignment)
    assert specs, f"{assignment} has no hidden expectations"
    for grade_id, k, spec in specs:
        key = (assignment, grade_id, k)
        assert key in rows, f"docs/hidden_test_rules.md has no row for {grade_id} #{k}: {spec['expression'][:60]}"
        expression, sentence = rows[key]
        assert spec["expression"].startswith(expression), f"{grade_id} #{k} probes {spec['expression'][:60]!r} now"
        assert normalised(sentence) in markdown, f"{grade_id} #{k}: the task does not say {sentence!r}"
    stale = {key for key in rows if key[0] == assignment} - {(assignment, g, k) for g, k, _ in specs}
    assert not stale, f"rows for hidden expectations that no longer exist: {sorted(stale)}"


def test_a3_ranking_accepts_either_order_of_tied_words():
    """np.argsort(p)[::-1] reverses ties: the hidden ranking test must not depend on tie order."""
    (spec,) = [s for g, _, s in hidden_specs("a3_next_word") if g == "a3_predict_ranking_tests"]
    assert "sorted(words[1:])" in spec["expression"]
    release_text = "\n".join(c.source for c in notebook("assignments", "a3_next_word").cells)
    assert "either order is fine" in normalised(release_text)
