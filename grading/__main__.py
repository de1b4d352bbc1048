"""Command line: ``python -m grading autograde ASSIGNMENT [--course-dir DIR] [--jobs 2] ...``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import item_analysis, lms_export, runner, sandbox, verdict
from . import gradebook_db, shards

BANNER = "!" * 78


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grading",
                                     description="Autograde untrusted nbgrader submissions safely.")
    sub = parser.add_subparsers(dest="command", required=True)
    auto = sub.add_parser("autograde", help="grade every submission of an assignment")
    auto.add_argument("assignment")
    auto.add_argument("--course-dir", type=Path, default=Path.cwd(),
                      help="nbgrader course directory (default: current directory)")
    auto.add_argument("--jobs", type=int, default=2, help="submissions graded in parallel")
    auto.add_argument("--force", action="store_true", help="regrade students already graded")
    auto.add_argument("--student", action="append", help="only this student (repeatable)")
    auto.add_argument("--allow-unsandboxed", action="store_true",
                      help="grade even where the sandbox is unavailable (trusted work only!)")
    auto.add_argument("--isolation", choices=("auto", "bubblewrap", "pod", "none"), default="auto",
                      help="auto: bubblewrap, or refuse; pod: inside a detected container (a "
                           "Kubernetes pod) without bubblewrap, the pod plus an unprivileged uid "
                           "per kernel (the grader must be able to switch uids); none: no "
                           "sandbox even where it works (with --allow-unsandboxed, trusted work)")
    auto.add_argument("--shard", metavar="K/N",
                      help="grade only shard K of N (0-based; a stable split of the student ids)")
    auto.add_argument("--db-url", help="shared gradebook, e.g. postgresql://USER:PASSWORD@HOST/DB "
                                       "(default: the course's nbgrader db_url)")
    auto.add_argument("--db-url-env", metavar="NAME",
                      help="read the shared gradebook's URL from this environment variable: every "
                           "process can read a command line in /proc, so pod mode requires this")
    auto.add_argument("--memory-mb", type=int, default=sandbox.Limits.memory_mb)
    auto.add_argument("--max-processes", type=int, default=sandbox.Limits.max_processes)
    auto.add_argument("--max-file-mb", type=int, default=sandbox.Limits.max_file_mb)
    auto.add_argument("--scratch-mb", type=int, default=sandbox.Limits.scratch_mb,
                      help="size of the submission's working directory")
    auto.add_argument("--cell-timeout", type=int, default=None,
                      help="seconds per cell (default: nbgrader's Execute.timeout)")
    auto.add_argument("--notebook-time-limit", type=int, default=1800,
                      help="seconds for a whole notebook")
    sub.add_parser("check-sandbox", help="say whether this machine can sandbox kernels")
    lms_export.add_parser(sub)
    item_analysis.add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "export":
        return lms_export.main(args)
    if args.command == "item-analysis":
        return item_analysis.main(args)
    probe = sandbox.probe()
    if args.command == "check-sandbox":
        print(probe.summary())
        return 0 if probe.ok else 1
    try:  # bad --shard / --db-url: a clear message before any work
        shard = shards.parse(args.shard) if args.shard else None
        db_url = args.db_url
        if args.db_url_env:
            if db_url:
                raise ValueError("give --db-url or --db-url-env, not both")
            db_url = os.environ.get(args.db_url_env)
            if not db_url:
                raise ValueError(f"--db-url-env {args.db_url_env}: that environment variable is "
                                 "empty or not set")
        db_url = gradebook_db.normalise_url(db_url) if db_url else None
    except ValueError as exc:
        print(f"autograde: {exc}", file=sys.stderr)
        return 2
    container = shards.detect_container()
    # pod mode only where the grader can put each kernel under its own uid (checked for real)
    uid_problem = (sandbox.can_switch_uid() if args.isolation == "pod" and container and not probe.ok
                   else "not checked")
    isolation = shards.decide_isolation(probe.ok, args.isolation, args.allow_unsandboxed,
                                        container, uid_problem)
    sandboxed = isolation.sandboxed
    if isolation.kind == "pod" and args.db_url:
        print("autograde: in pod mode a submission can read the grader's command line "
              "(/proc/PID/cmdline): pass the gradebook's URL as --db-url-env NAME, not --db-url",
              file=sys.stderr)
        return 2
    if not sandboxed:
        print(BANNER, file=sys.stderr)
        print("THE SANDBOX IS NOT USED (--isolation=none):" if probe.ok else
              "THE SANDBOX IS NOT AVAILABLE ON THIS MACHINE:", file=sys.stderr)
        for reason in probe.reasons:
            print(f"  - {reason}", file=sys.stderr)
        if not isolation.allowed:
            print(f"{isolation.summary}: {isolation.refusal}.", file=sys.stderr)
            print("Student code would run with YOUR rights: it could read the hidden tests, edit "
                  "the gradebook and reach the network.\nRefusing to grade. Fix the above, or "
                  "pass --allow-unsandboxed for work you trust (or --isolation=pod inside a "
                  "locked-down pod, docs/scaling.md).", file=sys.stderr)
            print(BANNER, file=sys.stderr)
            return 2
        print(f"{isolation.summary}: grading WITHOUT a sandbox (timeouts and output caps still "
              "apply).", file=sys.stderr)
        print(BANNER, file=sys.stderr)
    elif isolation.kind == "pod":
        print("sandbox: pod mode, bubblewrap unavailable here (" + "; ".join(probe.reasons) + ")")
    else:
        print(probe.summary())
    print(isolation.summary)
    if db_url:
        problem = gradebook_db.check_assignment(db_url, args.assignment)
        if problem:
            print(f"autograde: {problem}", file=sys.stderr)
            return 2
        print(f"gradebook: {gradebook_db.redact(db_url)}"
              + (f"; shard {shard} of the students" if shard else ""))
    limits = {"memory_mb": args.memory_mb, "max_processes": args.max_processes,
              "max_file_mb": args.max_file_mb, "scratch_mb": args.scratch_mb,
              "notebook_time_limit": args.notebook_time_limit}
    if args.cell_timeout:
        limits["timeout"] = args.cell_timeout
    batch = runner.Batch(args.course_dir, args.assignment, jobs=args.jobs, force=args.force,
                         isolation=isolation.kind, limits=limits, students=args.student,
                         shard=shard, db_url=db_url)
    try:
        outcome = batch.run()
    except verdict.LegacyTestCell as error:
        print(f"REFUSED to grade {args.assignment}: {error}", file=sys.stderr)
        return 2
    failed = [s for s, r in outcome["results"].items() if r.get("status") == "error"]
    if failed:
        print(f"{len(failed)} submission(s) could not be graded (status 'error'; they will be "
              f"retried on the next run): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
