"""The grades CSV and the per-student report of what happened during grading."""
from __future__ import annotations

import csv
import html
import os
from pathlib import Path

CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|~>"


def csv_cell(value):
    """A CSV field a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe. Numbers are left as numbers."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def md(text) -> str:
    """Any text in a Markdown report: HTML-escaped, Markdown punctuation backslash-escaped, on one
    line (student code controls file names, exception messages and hints that quote them)."""
    escaped = html.escape(" ".join(str(text).split()), quote=True)
    return "".join("\\" + ch if ch in MARKDOWN_SPECIALS else ch for ch in escaped)


def _records(result: dict):
    for name, nb in sorted(result.get("notebooks", {}).items()):
        yield name, nb, nb.get("record") or {}


def problems(result: dict) -> list[str]:
    """One line per thing that went wrong, for the CSV and the progress line."""
    found = []
    if result.get("status") == "error":
        found.append("grading error: " + (result.get("error") or "").strip().splitlines()[-1:][0]
                     if result.get("error") else "grading error")
    found.extend(result.get("test_cell_changes", []))
    for name, nb, record in _records(result):
        if nb.get("status") == "not gradable":
            found.append(f"{name}: not gradable: {nb['reason']}")
        for event in record.get("events", []):
            found.append(f"{name}: {event}")
        for cell in record.get("cells", []):
            if cell.get("test") and cell.get("outcome") not in ("passed", None):
                found.append(f"{name}/{cell.get('grade_id')}: {cell.get('reason', cell['outcome'])}")
        if record.get("guard_findings"):
            found.append(f"{name}: integrity guard telemetry (no effect on scores; see report)")
        if record.get("processes_left_at_end"):
            found.append(f"{name}: {record['processes_left_at_end']} leftover process(es) killed")
    return found


def headline(result: dict) -> str:
    issues = problems(result)
    return f" - {issues[0][:150]}" + (f" (+{len(issues) - 1} more)" if len(issues) > 1 else "") \
        if issues else ""


def write_all(course_dir: Path, assignment: str, results: dict, report_dir: Path) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    cells: list[str] = []
    for result in results.values():
        for name, nb, _ in _records(result):
            for grade_id in nb.get("cells", {}):
                key = f"{name}:{grade_id}"
                if key not in cells:
                    cells.append(key)
    csv_path = report_dir / "grades.csv"
    tmp = csv_path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_cell(v) for v in ["student_id", "assignment", "status", "score",
                                                "max_score", "needs_manual_grade", *cells,
                                                "problems"]])
        for student, result in sorted(results.items()):
            scores, manual = {}, False
            for name, nb, _ in _records(result):
                for grade_id, cell in nb.get("cells", {}).items():
                    scores[f"{name}:{grade_id}"] = cell["score"]
                    manual = manual or cell.get("needs_manual_grade", False)
            writer.writerow([csv_cell(v) for v in (
                student, assignment, result.get("status"), result.get("score", 0),
                result.get("max_score", ""), manual, *[scores.get(c, "") for c in cells],
                " | ".join(problems(result)))])
    os.replace(tmp, csv_path)
    for student, result in results.items():
        (report_dir / f"{student}.md").write_text(student_report(result))
    return csv_path


def student_report(result: dict) -> str:
    """The instructor's Markdown report of one submission; every value is escaped (md)."""
    lines = [f"# Grading report: {md(result.get('student'))} / {md(result.get('assignment', ''))}", "",
             f"- status: **{md(result.get('status'))}**",
             f"- score: {result.get('score', 0):g} / {result.get('max_score', 0):g}"
             if "score" in result else "- score: none",
             f"- sandbox: {'on' if result.get('sandboxed', True) else 'OFF (--allow-unsandboxed)'}",
             f"- grading took {md(result.get('seconds', 0))} s; grader peak memory "
             f"{md(result.get('worker_peak_mb', '?'))} MB", ""]
    if result.get("test_cell_changes"):
        lines += ["Cells restored from the gradebook (tampering or lost cells; graded as released):",
                  ""]
        lines += [f"- {md(w)}" for w in result["test_cell_changes"]] + [""]
    if result.get("error"):
        lines += ["## Grading error", "", "```", result["error"].strip()[-1500:].replace("`", "'"),
                  "```", ""]
    for name, nb, record in _records(result):
        lines += [f"## Notebook {md(name)}", ""]
        if nb.get("status") == "not gradable":
            lines += [f"Not gradable: {md(nb['reason'])}. Every graded cell scores 0.", ""]
        if record.get("limits"):
            lim = record["limits"]
            lines += [f"Limits: {lim['memory_mb']} MB memory, {lim['max_processes']} processes, "
                      f"{lim['max_file_mb']} MB per file, {lim.get('scratch_mb', '?')} MB of "
                      f"disk, {lim['cell_timeout_s']} s per cell, "
                      f"{lim['notebook_time_limit_s']} s per notebook.", ""]
        if record:
            stats = record.get("cgroup_stats", {})
            lines += [f"Kernel time {md(record.get('seconds', '?'))} s; peak memory "
                      f"{md(stats.get('peak_memory_mb', '?'))} MB; forks refused "
                      f"{md(stats.get('forks_refused', 0))}; processes killed at the end "
                      f"{md(record.get('processes_left_at_end', 0))}.", ""]
        lines += ["| cell | score | max | status | hint or reason |", "|---|---|---|---|---|"]
        for grade_id, cell in nb.get("cells", {}).items():
            status = cell.get("status", "manual" if cell.get("needs_manual_grade") else "")
            score = "" if cell.get("score") is None else f"{cell['score']:g}"
            lines.append(f"| {md(grade_id)} | {score} | {cell['max_score']:g} | {md(status)} | "
                         f"{md(cell.get('hint', ''))[:400]} |")
        lines.append("")
        for event in record.get("events", []):
            lines.append(f"- {md(event)}")
        for finding in record.get("guard_findings", []):
            lines.append(f"- integrity guard (telemetry, no effect on scores): {md(finding)}")
        for cleaned in record.get("sanitised", []):
            lines.append(f"- sanitised for the browser: {md(cleaned)}")
        truncated = [c["index"] for c in record.get("cells", []) if c.get("output_truncated")]
        if truncated:
            lines.append(f"- output of cells {truncated} was truncated by the grader")
        lines.append("")
    return "\n".join(lines)
