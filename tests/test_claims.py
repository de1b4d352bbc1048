"""Claims audit (issue 8): every sentence of a lesson that states a number or a comparison is backed.

A lesson's Markdown is typed by hand; a number or a "faster", "better", "more" in it is a claim that nobody
re-checks when the code or the stack changes. A claim sentence passes the audit when one of these holds:

1. the `##` section it stands in has a code cell that calls `check(` (a self-check prints PASS/FAIL for the
   measured relation, so a stale sentence shows up as a FAIL next to it);
2. every number in it appears literally in the code of its section or in the `parameters` cell (the
   sentence describes a setting, exact by construction) and it has no comparison word;
3. it is listed in tests/claims_allowlist.yml with the reason it needs no measurement (a sourced statement,
   a definition, a derivation).

Sentences the notebook PRINTS are not Markdown and never audited: printing from the measured values is the
preferred way to state a result. Not claims: LaTeX math, code spans, links, images, headings, quoted source
words, references to figures, sections, equations, lessons, seeds' source documents, software versions and
years of publication.

Run `python tests/test_claims.py` to print every unbacked claim of the lessons.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
ALLOWLIST = Path(__file__).with_name("claims_allowlist.yml")

COMPARISON = re.compile(
    r"\b(faster|slower|quicker|better|worse|more|fewer|less|higher|lower|larger|smaller|greater|bigger|"
    r"outperform(?:s|ed|ing)?|beat(?:s|ing)?|twice|halve[sd]?)\b"
    r"|\d\s*times\b|\btimes\s+(?:faster|slower|more|less|as|larger|smaller|higher|lower)\b"
    r"|%|\d\s*[x×](?!\s*[\d(])(?=\W|$)",  # "3x faster", "1.5 x the gradient", not "0.5 x 0.9"
    re.IGNORECASE,
)
NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?(?![\w])")

# Text removed before looking for claims: what it holds is not a typed measurement.
NOT_PROSE = [
    re.compile(r"```.*?```", re.DOTALL),  # fenced code
    re.compile(r"\$\$.*?\$\$", re.DOTALL),  # display math
    re.compile(r"\\\[.*?\\\]|\\\(.*?\\\)", re.DOTALL),  # \[ \] and \( \) math
    re.compile(r"(?<!\\)\$[^$\n]+?(?<!\\)\$"),  # inline math
    re.compile(r"`[^`\n]*`"),  # code spans
    re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)"),  # links and images: the address goes, the visible text stays
    re.compile(r"<[^>\n]+>"),  # HTML tags (the text of <details> answers stays)
    re.compile(r"\"(?:[^\"\n]|\n(?!\s*\n)){0,300}\"|“[^”]{0,300}”"),  # quoted words (the sources' own phrases)
    re.compile(r"\[S\d+\]"),  # citation markers
]
# Numbers that are names, not measurements.
REFERENCE = re.compile(
    r"\b(?:figures?|fig\.|tables?|sections?|§|lessons?|chapters?|parts?|steps?|exercises?|questions?|"
    r"assignments?|cells?|seeds? documents?|equations?|eq\.|keras|tensorflow|tf|python|ipywidgets|jupyterlab|"
    r"notebook|colab|numpy|matplotlib|nbgrader|version|seed|ids?)\s+[\d.]+(?:(?:,\s*|\s*(?:and|or|to|-|–)\s*)[\d.]+)*",
    re.IGNORECASE,
)
EQUATION_TAG = re.compile(r"\(\d+(?:\.\d+)*\)")  # "(5.2)"
YEAR = re.compile(r"\b(?:19|20)\d\d[a-z]?\b")  # publication years and dates
LIST_MARKER = re.compile(r"^\s*(?:\d+\.|[*-])\s+", re.MULTILINE)
DURATION = re.compile(r"\(\d+\s*min\)")  # exercise time estimates
QUESTION = re.compile(r"\?[\s*_]*(?:\([^)]*\))?[\s*_]*$")  # ends with "?" (markup or a note may follow)
ARITHMETIC = re.compile(r"((?:[-+−]?\s*\d+(?:\.\d+)?\s*[-+−x×*/]\s*)+\d+(?:\.\d+)?)\s*=\s*([-+−]?\d+(?:\.\d+)?)")
# Sections of citations (volumes, pages, arXiv numbers are sourced by definition).
CITATION_SECTIONS = re.compile(r"^(references|sources|further reading|bibliography)\b", re.IGNORECASE)
# A question or an instruction to the learner asserts nothing ("Train it for 10 epochs instead of 3.").
INSTRUCTION = re.compile(r"^(?:\*+[^*]*\*+:?\s*)?(?:set|change|train|run|predict|try|add|compare|replace|make|use|"
                         r"type|increase|decrease|measure|plot|count|drop|remove|move|slide|pick|choose|write|"
                         r"rerun|re-run|edit|open|look|see|call|retrain|give|double|halve)\b", re.IGNORECASE)


@dataclass
class Claim:
    lesson: str
    section: str
    sentence: str
    numbers: list
    words: list
    backed_by: str = ""

    def __str__(self):
        why = ", ".join([f"numbers {self.numbers}"] * bool(self.numbers) + [f"words {self.words}"] * bool(self.words))
        return f"{self.lesson} | {self.section} | {why}\n    {self.sentence}"


def prose(markdown: str) -> str:
    """The Markdown's running text: headings, math, code, links, tags and quotes removed."""
    text = "\n".join(line for line in markdown.splitlines() if not line.lstrip().startswith("#"))
    for pattern in NOT_PROSE:
        text = pattern.sub(lambda m: m.group(1) if m.re.groups and m.group(0).startswith("[") else " ", text)
    text = LIST_MARKER.sub("", text)
    for pattern in (REFERENCE, EQUATION_TAG, YEAR, DURATION):
        text = pattern.sub(" ", text)
    return text


def sentences(text: str) -> list:
    """Sentences, one per table row or list item at least; whitespace normalised."""
    out = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:\||[*-]\s|\d+\.\s))", text):
        block = " ".join(block.split())
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*(])", block) if s.strip()]
    return out


def literal_numbers(code: str) -> set:
    return {normalise_number(n) for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?", code.replace("_", ""))}


def normalise_number(number: str) -> str:
    number = number.replace(",", "").replace("−", "-").lstrip("-")
    try:
        value = float(number)
    except ValueError:
        return number
    return repr(int(value)) if value == int(value) else repr(value)


def load_allowlist(path: Path = ALLOWLIST) -> list:
    """Entries {lesson, contains, reason}: `allowed` (sourced or exact statements) and `pending` (unbacked
    claims already reported to the lessons' authors: they pass, flagged PENDING, until fixed)."""
    document = yaml.safe_load(path.read_text()) if path.exists() else None
    document = document or {}
    if not isinstance(document, dict) or set(document) - {"allowed", "pending"}:
        raise ValueError(f"{path.name}: expected the keys 'allowed' and 'pending', got {document!r:.200}")
    entries = []
    for kind in ("allowed", "pending"):
        for entry in document.get(kind) or []:
            if not isinstance(entry, dict) or not {"lesson", "contains", "reason"} <= set(entry) \
                    or not str(entry["reason"]).strip() or not str(entry["contains"]).strip():
                raise ValueError(f"{path.name}: every entry needs lesson, contains and a reason; got {entry}")
            entries.append({**entry, "pending": kind == "pending"})
    return entries


def verified_arithmetic(sentence: str) -> str:
    """The sentence without typed sums that are correct ("0.05 + 0.5 x 0.9 = 0.50"): exact, checked here.

    A wrong sum is left in place, so its numbers stay an unbacked claim.
    """
    def check_sum(match):
        left, right = match.group(1), match.group(2)
        expression = left.replace("x", "*").replace("×", "*").replace("−", "-")
        try:
            value = eval(expression, {"__builtins__": {}})  # only digits, dots, spaces and + - * / here
        except (SyntaxError, ZeroDivisionError):
            return match.group(0)
        decimals = len(right.split(".")[1]) if "." in right else 0
        return " " if abs(value - float(right.replace("−", "-"))) <= 0.5 * 10 ** -decimals + 1e-12 else match.group(0)

    return ARITHMETIC.sub(check_sum, sentence)


def audit(notebook: dict, lesson: str, allowlist=()) -> list:
    """Every claim sentence of one notebook, each with what backs it ('' when nothing does)."""
    cells = notebook["cells"]
    parameters = "".join("".join(c["source"]) for c in cells
                         if c["cell_type"] == "code" and "parameters" in c.get("metadata", {}).get("tags", []))
    sections, current = [], ("(before the first ## heading)", [])
    for cell in cells:
        source = "".join(cell["source"])
        if "course-header" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell["cell_type"] == "markdown":
            for part in re.split(r"(?m)^(?=## )", source):
                heading = re.match(r"## (.*)", part)
                if heading:
                    current = (heading.group(1).strip(), [])
                    sections.append(current)
                elif not sections:
                    sections.append(current)
                current[1].append(("markdown", part))
        else:
            if not sections:
                sections.append(current)
            current[1].append(("code", source))
    claims = []
    for title, parts in sections:
        if CITATION_SECTIONS.match(title):
            continue
        code = "\n".join(src for kind, src in parts if kind == "code")
        has_check = re.search(r"\bcheck(?:_close)?\(", code) is not None
        known = literal_numbers(code + "\n" + parameters)
        for kind, src in parts:
            if kind != "markdown":
                continue
            for sentence in sentences(prose(src)):
                if QUESTION.search(sentence) or INSTRUCTION.match(sentence):
                    continue
                sentence_for_claims = verified_arithmetic(sentence)
                numbers = [n for n in NUMBER.findall(sentence_for_claims) if re.search(r"\d", n)]
                words = sorted({m.group(0).lower() for m in COMPARISON.finditer(sentence_for_claims)})
                if not numbers and not words:
                    continue
                claim = Claim(lesson, title, sentence, numbers, words)
                allowed = [e for e in allowlist if e["lesson"] == lesson and squash(e["contains"]) in squash(sentence)]
                if allowed:
                    kind = "PENDING (unbacked, reported)" if allowed[0]["pending"] else "allowlist"
                    claim.backed_by = f"{kind}: " + allowed[0]["reason"]
                elif has_check:
                    claim.backed_by = "self-check in the section"
                elif not words and all(normalise_number(n) in known for n in numbers):
                    claim.backed_by = "settings in the section's code"
                claims.append(claim)
    return claims


def squash(text: str) -> str:
    return " ".join(str(text).split()).lower()


def lesson_claims(allowlist=None) -> list:
    allowlist = load_allowlist() if allowlist is None else allowlist
    return [claim for path in LESSONS for claim in audit(json.loads(path.read_text()), path.stem, allowlist)]


# ------------------------------------------------------------------------------------------- the audit
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_claim_in_the_lesson_is_backed(path):
    unbacked = [c for c in audit(json.loads(path.read_text()), path.stem, load_allowlist()) if not c.backed_by]
    assert not unbacked, (
        f"{len(unbacked)} sentence(s) state a number or a comparison that nothing checks. Print it from the "
        "measured values, add a check(...) for it in the same ## section, or (only for a sourced or exact "
        "statement) list it in tests/claims_allowlist.yml with the reason:\n" + "\n".join(map(str, unbacked))
    )


def test_every_allowlist_entry_still_matches_a_sentence_and_gives_a_reason():
    entries = load_allowlist()
    lessons = {p.stem: json.loads(p.read_text()) for p in LESSONS}
    stale = []
    for entry in entries:
        notebook = lessons.get(entry["lesson"])
        claims = audit(notebook, entry["lesson"]) if notebook else []
        if not any(squash(entry["contains"]) in squash(c.sentence) for c in claims):
            stale.append(entry)
    assert not stale, f"allowlist entries that match no claim any more (delete them): {stale}"


# ------------------------------------------------------------------------------------------- the detector
def notebook(*cells):
    """A minimal notebook: ("md", text) and ("code", source[, tags]) cells."""
    return {"cells": [{"cell_type": "markdown" if c[0] == "md" else "code", "source": c[1],
                       "metadata": {"tags": list(c[2])} if len(c) > 2 else {}} for c in cells]}


UNBACKED = "The LSTM trains 3 times faster than the GRU on this corpus."


def test_a_new_unbacked_claim_fails_the_audit():
    claims = audit(notebook(("md", "# Lesson 9\n\n## 1. Speed\n\n" + UNBACKED), ("code", "print(42)")), "09")
    assert [c.sentence for c in claims if not c.backed_by] == [UNBACKED]
    assert claims[0].numbers == ["3"] and claims[0].words == ["3 times", "faster"]


@pytest.mark.parametrize("sentence", [
    "The LSTM is better than the SimpleRNN here.",
    "Accuracy reached 0.93 on the test set.",
    "About 40% of the reviews are shorter than the window.",
    "It takes fewer epochs to leave chance.",
    "The GRU outperforms the LSTM.",
    "Attention is 2x quicker at this length.",
])
def test_numbers_and_comparison_words_are_claims(sentence):
    claims = audit(notebook(("md", "## A\n\n" + sentence)), "x")
    assert len(claims) == 1 and not claims[0].backed_by


@pytest.mark.parametrize("markdown", [
    "## Gates\n\nThe forget gate is $f_t = \\sigma(W_f x_t + b_f)$ with $0 \\le f_t \\le 1$.",
    "## Code\n\nCall `model.fit(X, y, epochs=200)` as the seed does.",
    "## Read\n\nSee [Hochreiter and Schmidhuber 1997](https://example.org/lstm-1997).",
    "## 3. Results at 10 words\n\nWhat the run shows.",
    "## Refs\n\nFigure 5.1 and section 3.2 use equation (5.2), as lesson 4 does with Keras 3 on Python 3.11.",
    "## Source\n\nThe source calls training \"more stable\" and memory \"strong\" (Olah 2015).",
])
def test_math_code_links_headings_references_and_quotes_are_not_claims(markdown):
    assert audit(notebook(("md", markdown)), "x") == []


def test_a_self_check_in_the_same_section_backs_a_claim_but_not_in_another_section():
    nb = notebook(("md", "## 1. Speed\n\n" + UNBACKED), ("code", "check('lstm faster', ratio > 3)"),
                  ("md", "## 2. Memory\n\nThe LSTM remembers more."), ("code", "print(1)"))
    backed = {c.section: c.backed_by for c in audit(nb, "x")}
    assert backed == {"1. Speed": "self-check in the section", "2. Memory": ""}


def test_numbers_that_are_settings_in_the_code_are_exact_but_comparisons_are_not():
    nb = notebook(("code", "EPOCHS = 8", ["parameters"]),
                  ("md", "## Train\n\nWe train for 8 epochs on 800 sequences.\n\nThe LSTM needs more epochs."),
                  ("code", "train(n_train=800, epochs=EPOCHS)"))
    claims = {c.sentence: c.backed_by for c in audit(nb, "x")}
    assert claims == {"We train for 8 epochs on 800 sequences.": "settings in the section's code",
                      "The LSTM needs more epochs.": ""}


def test_an_allowlisted_sentence_is_backed_by_its_reason():
    allow = [{"lesson": "x", "contains": "3 times faster", "reason": "quoted from a paper", "pending": False}]
    claims = audit(notebook(("md", "## 1\n\n" + UNBACKED)), "x", allow)
    assert claims[0].backed_by == "allowlist: quoted from a paper"
    assert not audit(notebook(("md", "## 1\n\n" + UNBACKED)), "other lesson", allow)[0].backed_by


def test_an_allowlist_entry_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "allow.yml"
    path.write_text("allowed:\n- lesson: x\n  contains: faster\n  reason: ''\n")
    with pytest.raises(ValueError, match="reason"):
        load_allowlist(path)


@pytest.mark.parametrize("markdown", [
    "## Try\n\nTrain the post-padded model for 10 epochs instead of 3.",
    "## Q\n\n**Question:** which model handles 40 words better?",
    "## References\n\nHochreiter & Schmidhuber. *Neural Computation* 9, 1735-1780.",
    "## Step\n\nThe cell adds 0.05 + 0.5 x 0.9 = 0.50 by hand.",
])
def test_questions_instructions_citations_and_arithmetic_are_not_comparisons(markdown):
    claims = audit(notebook(("md", markdown)), "x")
    assert all(not c.words for c in claims) and len(claims) <= 1


def test_typed_arithmetic_is_verified():
    right, wrong = "The cell holds 0.05 + 0.5 x 0.9 = 0.50 now.", "The cell holds 0.05 + 0.5 x 0.9 = 0.55 now."
    assert audit(notebook(("md", "## A\n\n" + right)), "x") == []
    assert [c.sentence for c in audit(notebook(("md", "## A\n\n" + wrong)), "x")] == [wrong]


def test_pending_entries_pass_but_are_marked():
    allow = [{"lesson": "x", "contains": "3 times faster", "reason": "reported", "pending": True}]
    assert audit(notebook(("md", "## 1\n\n" + UNBACKED)), "x", allow)[0].backed_by.startswith("PENDING")


def test_answers_inside_details_are_audited():
    md = "## Q\n\n<details><summary>Answer</summary>\n\nThe GRU is faster here.\n\n</details>"
    assert [c.sentence for c in audit(notebook(("md", md)), "x")] == ["The GRU is faster here."]


def committed_lesson_claims(revision: str) -> list:
    """The audit of the lessons as committed at `revision` (the working tree may hold work in progress)."""
    import subprocess

    allowlist = load_allowlist()
    claims = []
    for path in LESSONS:
        relative = path.relative_to(ROOT).as_posix()
        shown = subprocess.run(["git", "show", f"{revision}:{relative}"], cwd=ROOT, capture_output=True, text=True)
        if shown.returncode == 0:
            claims += audit(json.loads(shown.stdout), path.stem, allowlist)
    return claims


if __name__ == "__main__":  # print the audit of the lessons: `python tests/test_claims.py [--rev HEAD]`
    found = committed_lesson_claims(sys.argv[2]) if sys.argv[1:2] == ["--rev"] else lesson_claims()
    for claim in found:
        if not claim.backed_by:
            print(claim)
    pending = [c for c in found if c.backed_by.startswith("PENDING")]
    for claim in pending:
        print("PENDING", claim)
    print(f"{sum(not c.backed_by for c in found)} unbacked and {len(pending)} pending of {len(found)} claim "
          f"sentences in {len(LESSONS)} lessons", file=sys.stderr)
