"""Benchmark: submissions graded per minute, sandboxed (`python -m grading`) vs plain nbgrader.

Builds a throw-away course from this repository's nbgrader source (solutions/), submits the
solution notebook N times, then grades the batch twice in the same run:
  1. `python -m grading autograde` (sandbox on, --jobs J workers);
  2. plain `nbgrader autograde` (nbgrader's own single process, no sandbox), on a fresh copy.
Prints both throughputs and checks every submission got full marks both ways.

    .venv/bin/python tools/benchmark_grading.py [--assignment a2_rnn_vs_lstm_stability]
        [--submissions 30] [--jobs 2] [--skip-plain]

Target (issue 10): 30 correct submissions of the stability assignment in <= 240 s on 2 cores.
Per submission it also prints the time split into kernel start-up (start, first reply, guard
set-up), kernel (the student's cells) and verdict (probes, comparisons; the test cells), and the
peak memory of the grading worker and of the kernel. The sandboxed grader does not re-run a2's
given cells marked `# autograder: skip` (its training for the hand-graded table); plain nbgrader
runs every cell, so the two columns also show what that marking saves.
No assertions on time: this prints figures for the note.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grading import runner, sandbox  # noqa: E402


def _env() -> dict:
    return {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable),
                                                   os.environ.get("PATH", "")])}


def build_course(base: Path, assignment: str, submissions: int) -> Path:
    course = base / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
                    "--log-level=ERROR"], cwd=course, check=True, env=_env())
    release = next(course / name / assignment for name in ("assignments", "release")
                   if (course / name / assignment).is_dir())
    answered = {nb.name: answered_release(nb, release / nb.name)
                for nb in sorted((course / "solutions" / assignment).glob("*.ipynb"))}
    for i in range(submissions):
        target = course / "submitted" / f"student{i:02d}" / assignment
        target.mkdir(parents=True)
        for name, text in answered.items():
            (target / name).write_text(text)
    return course


def answered_release(source: Path, release: Path) -> str:
    """What a student who answered everything correctly hands in: the release notebook with each
    answer cell holding the solution (without nbgrader's solution markers)."""
    solutions = {}
    for cell in json.loads(source.read_text())["cells"]:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if nbg.get("solution"):
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            solutions[nbg["grade_id"]] = "\n".join(
                line for line in text.splitlines() if "BEGIN SOLUTION" not in line
                and "END SOLUTION" not in line)
    nb = json.loads(release.read_text())
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
    return json.dumps(nb, indent=1)


def plain_nbgrader(course: Path, assignment: str) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force",
                    "--log-level=ERROR"], cwd=course, env=_env(), check=False)
    return time.monotonic() - started


def full_autograded_marks(course: Path, assignment: str) -> int:
    """How many submissions got every autograded point (hand-graded cells left aside)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        return sum(all(g.score == g.max_score for nb in sub.notebooks for g in nb.grades
                       if not g.needs_manual_grade)
                   for sub in gb.find_assignment(assignment).submissions)


def per_submission_split(results: dict) -> dict:
    """Mean and max over submissions of: total, start-up, kernel and verdict seconds; the grading
    worker's and the kernel's peak memory (MB)."""
    rows = []
    for result in results.values():
        timing = {"startup_s": 0.0, "kernel_s": 0.0, "verdict_s": 0.0, "kernel_peak_mb": 0.0}
        for nb in result.get("notebooks", {}).values():
            record = nb.get("record") or {}
            for key, value in record.get("timing_s", {}).items():
                timing[f"{key}_s"] += value
            peak = record.get("cgroup_stats", {}).get("peak_memory_mb") or 0
            timing["kernel_peak_mb"] = max(timing["kernel_peak_mb"], peak)
        rows.append({"total_s": result.get("seconds", 0.0), **timing,
                     "worker_peak_mb": result.get("worker_peak_mb", 0.0)})
    return {key: {"mean": round(sum(r[key] for r in rows) / max(1, len(rows)), 2),
                  "max": round(max((r[key] for r in rows), default=0.0), 2)}
            for key in (rows[0] if rows else {})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="a2_rnn_vs_lstm_stability")
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()
    probe = sandbox.probe()
    print(probe.summary())
    if not probe.ok:
        print("cannot benchmark the sandbox here")
        return 1
    base = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    try:
        course = build_course(base, args.assignment, args.submissions)
        plain_copy = base / "plain"
        shutil.copytree(course, plain_copy)
        started = time.monotonic()
        outcome = runner.Batch(course, args.assignment, jobs=args.jobs).run()
        sandboxed_s = time.monotonic() - started
        split = per_submission_split(outcome["results"])
        figures = {"assignment": args.assignment, "submissions": args.submissions,
                   "jobs": args.jobs, "sandboxed_seconds": round(sandboxed_s, 1),
                   "sandboxed_per_minute": round(args.submissions / sandboxed_s * 60, 2),
                   "sandboxed_full_marks": full_autograded_marks(course, args.assignment),
                   "per_submission": split}
        if not args.skip_plain:
            plain_s = plain_nbgrader(plain_copy, args.assignment)
            figures.update(plain_seconds=round(plain_s, 1),
                           plain_per_minute=round(args.submissions / plain_s * 60, 2),
                           plain_full_marks=full_autograded_marks(plain_copy, args.assignment))
        print(json.dumps(figures, indent=1))
        print(f"sandboxed, {args.jobs} workers: {figures['sandboxed_per_minute']} submissions/min "
              f"({figures['sandboxed_seconds']} s for {args.submissions}; "
              f"{figures['sandboxed_full_marks']} with every autograded point)")
        print("per submission (mean / max over the batch): " + "; ".join(
            f"{key} {value['mean']} / {value['max']}" for key, value in split.items()))
        if "plain_seconds" in figures:
            print(f"plain nbgrader autograde:  {figures['plain_per_minute']} submissions/min "
                  f"({figures['plain_seconds']} s; {figures['plain_full_marks']} with every autograded point)")
        return 0
    finally:
        if not os.environ.get("KEEP_BENCH"):
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
