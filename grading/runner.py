"""Grade every submission of an assignment: find them, skip finished ones, run workers in parallel.

Each submission is graded by a separate ``python -m grading.worker`` process (at most ``jobs`` at a
time, one sandbox uid per slot). A submission is "finished" once its result file is written
(atomically) with a fingerprint of the submitted files; re-running skips finished submissions
unless ``force`` or the files changed. Grades live in nbgrader's gradebook, where nbgrader updates
each student's rows in place, so a re-run can neither lose nor duplicate a grade.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import report, sandbox, students, verdict

WORKER_GRACE_S = 120  # beyond the notebook time limit, for nbgrader's own work


def fingerprint(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(str(path.relative_to(directory)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# pod mode: where to look for readable copies of the hidden tests (the whole pod's file system)
POD_SCAN_ROOTS = ("/",)


def hidden_test_lines(source: str) -> list[str]:
    """The lines of a test cell's hidden region, as they appear in a gradebook (raw) and in a
    notebook file (JSON-escaped): a file holding one of them holds the hidden tests."""
    from .repair import split_hidden  # noqa: PLC0415

    lines = []
    for line in split_hidden(source)[1]:
        text = line.strip()
        if text.startswith("expect(") and len(text) >= 15:  # a whole expectation's start
            lines += [text, json.dumps(text)[1:-1]]
    return list(dict.fromkeys(lines))


class Batch:
    def __init__(self, course_dir: Path, assignment: str, jobs: int = 2, force: bool = False,
                 sandboxed: bool = True, limits: dict | None = None, students: list[str] | None = None,
                 out=sys.stdout, shard=None, db_url: str | None = None, isolation: str | None = None):
        self.course_dir = course_dir.resolve()
        self.assignment = assignment
        self.jobs = max(1, jobs)
        self.force = force
        # "bubblewrap", "pod" (own uid, limits and clean-up without namespaces) or "none"
        self.isolation = isolation or ("bubblewrap" if sandboxed else "none")
        self.sandboxed = self.isolation != "none"
        self.limits = limits or {}
        self.only = students
        self.out = out
        self.state_dir = self.course_dir / ".grading" / assignment
        self.results_dir = self.state_dir / "results"
        self.report_dir = self.course_dir / "reports" / assignment
        self._print_lock = threading.Lock()
        self._running: dict[str, subprocess.Popen] = {}
        self._stopping = threading.Event()
        self.shard = shard  # grading.shards.Shard: grade only its students (None: all)
        self.store = None  # grading.gradebook_db.CompletionStore when the gradebook is shared
        if db_url:  # load_config reads it, here and in every worker
            os.environ["GRADING_DB_URL"] = db_url
        self.rejected: dict[str, str] = {}  # folder name -> why it was not graded

    def say(self, text: str) -> None:
        with self._print_lock:
            print(text, file=self.out, flush=True)

    def submissions(self) -> dict[str, Path]:
        from nbgrader.coursedir import CourseDirectory  # noqa: PLC0415
        from .worker import load_config  # noqa: PLC0415

        coursedir = CourseDirectory(config=load_config(self.course_dir, {}))
        root = Path(coursedir.root) / coursedir.submitted_directory
        found = {}
        for student in self.only or []:
            problem = students.id_problem(student)
            if problem:
                self.rejected[student] = problem
        if root.is_dir():
            for student_dir in sorted(root.iterdir()):
                name = student_dir.name
                if self.only is not None and name not in self.only:
                    continue
                problem = students.id_problem(name)
                if problem:
                    self.rejected[name] = problem
                    continue
                # a literal path (never a glob): only this student's own folder
                path = root / name / self.assignment
                if student_dir.is_symlink() or path.is_symlink():
                    # it would grade someone else's folder as this student's: refused, and said
                    self.rejected[name] = (f"student {name!r}: the submitted folder is a symlink; "
                                           "only a real folder is graded")
                elif path.is_dir():
                    found[name] = path
        return found

    def check_tests(self) -> None:
        """Refuse the assignment (verdict.LegacyTestCell) if a test cell is not written as
        expectations: checked on the gradebook's copy, before any student is graded."""
        from nbgrader.api import Gradebook  # noqa: PLC0415
        from nbgrader.coursedir import CourseDirectory  # noqa: PLC0415
        from .repair import _as_released, released_cells  # noqa: PLC0415
        from .worker import load_config  # noqa: PLC0415

        coursedir = CourseDirectory(config=load_config(self.course_dir, {}))
        hidden, visible = [], []
        with Gradebook(coursedir.db_url) as gb:
            for nb in gb.find_assignment(self.assignment).notebooks:
                for cell in released_cells(gb, nb.name, self.assignment):
                    if cell.is_test:
                        verdict.specs_for(cell.source, cell.name, nb.name)
                        hidden += hidden_test_lines(cell.source)
                        visible.append(_as_released(cell.source))
        # a line that is also in a released test is no sign of the hidden tests (releases are public)
        self.hidden_lines = [line for line in hidden if not any(line in text for text in visible)]

    def run(self) -> dict:
        if not self.sandboxed:  # no sandbox uids or per-uid limits to share: nothing to serialise
            return self._run()
        with machine_lock(self.say):
            try:
                return self._run()
            finally:
                if getattr(self, "course_dir_mode", None) is not None:  # pod mode closed it
                    os.chmod(self.course_dir, self.course_dir_mode)

    def _run(self) -> dict:
        self.results_dir.mkdir(parents=True, exist_ok=True)
        sandbox.sweep_stale()
        self.check_tests()
        if self.isolation == "pod":
            self._close_course_dir()
        subs = self.submissions()
        if self.shard is not None:
            subs = {s: p for s, p in subs.items() if self.shard.owns(s)}
        finished_elsewhere = self._open_shared_store()
        for name, problem in sorted(self.rejected.items()):
            self.say(f"REJECTED: {problem}")
        if self.rejected:
            self.report_dir.mkdir(parents=True, exist_ok=True)
            (self.report_dir / "rejected_ids.txt").write_text(
                "".join(f"{problem}\n" for problem in self.rejected.values()))
        todo, skipped = [], []
        for student, path in subs.items():
            result_file = self.results_dir / f"{student}.json"
            fp = fingerprint(path)
            if finished_elsewhere is not None:  # a shared gradebook: its record decides
                if not self.force and finished_elsewhere.get(student, {}).get("fingerprint") == fp:
                    skipped.append(student)  # finished by an earlier run of this shard, anywhere
                else:
                    todo.append((student, fp))
                continue
            if not self.force and result_file.exists():
                try:
                    old = json.loads(result_file.read_text())
                except json.JSONDecodeError:
                    old = {}
                if old.get("fingerprint") == fp and old.get("status") != "error":
                    skipped.append(student)
                    continue
            todo.append((student, fp))
        self.say(f"grading {self.assignment}: {len(subs)} submissions, {len(todo)} to grade, "
                 f"{len(skipped)} already graded (use --force to regrade), {self.jobs} in parallel, "
                 f"{'SANDBOXED' if self.sandboxed else 'UNSANDBOXED'}"
                 + (" (pod mode: an unprivileged uid per kernel, no namespaces)"
                    if self.isolation == "pod" else ""))
        slots: queue.Queue[int] = queue.Queue()
        for slot in range(self.jobs):
            slots.put(slot)
        done = [0]
        started = time.monotonic()

        def grade(item):
            student, fp = item
            if self._stopping.is_set():
                return None
            if self.store is not None:  # claimed in the shared gradebook, or skipped
                # a claim outlives no worker: older than a worker's hard limit, it was abandoned
                lease = int(self.limits.get("notebook_time_limit", 1800)) + WORKER_GRACE_S + 60
                claim = self.store.claim(self.assignment, student, fp, force=self.force,
                                         lease_s=lease)
                if claim != "claimed":
                    self.say(f"{student}: not graded here ({claim})")
                    return None
            slot = slots.get()
            try:
                result = self._grade_one(student, slot)
            finally:
                slots.put(slot)
            if self._stopping.is_set():
                return None  # stopped by Ctrl-C: no result, so the next run grades it
            result["fingerprint"] = fp
            tmp = self.results_dir / f"{student}.json.tmp"
            tmp.write_text(json.dumps(result, indent=1, default=str))
            os.replace(tmp, self.results_dir / f"{student}.json")
            if self.store is not None:
                self.store.finish(self.assignment, student, fp, result)
            with self._print_lock:
                done[0] += 1
                n = done[0]
            score = (f"{result.get('score', 0):g}/{result.get('max_score', 0):g}"
                     if "score" in result else "-")
            self.say(f"[{n}/{len(todo)}] {student}: {result['status']} {score} "
                     f"({result.get('seconds', 0):.1f} s){report.headline(result)}")
            return result

        pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            list(pool.map(grade, todo))
        except KeyboardInterrupt:
            # Ctrl-C: start nobody new, stop the workers (their sandboxes die with them); the
            # students in progress have no result file, so the next run grades them
            self._stopping.set()
            self.say("interrupted: stopping the workers; finished students keep their grades")
            for proc in list(self._running.values()):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            pool.shutdown(wait=True, cancel_futures=True)
            sandbox.sweep_stale()
            raise
        pool.shutdown(wait=True)
        elapsed = time.monotonic() - started
        results = {}
        for student in subs:
            path = self.results_dir / f"{student}.json"
            if path.exists():
                results[student] = json.loads(path.read_text())
        csv_path = report.write_all(self.course_dir, self.assignment, results, self.report_dir)
        rate = len(todo) / (elapsed / 60) if todo and elapsed > 0 else 0.0
        self.say(f"done: {len(todo)} graded in {elapsed:.1f} s ({rate:.1f} per minute); "
                 f"grades: {csv_path}; reports: {self.report_dir}/")
        return {"graded": [s for s, _ in todo], "skipped": skipped, "results": results,
                "seconds": elapsed, "csv": csv_path, "rejected": dict(self.rejected)}

    def _open_shared_store(self) -> dict | None:
        """With a shared gradebook: {student: completion row} of finished submissions."""
        if not os.environ.get("GRADING_DB_URL"):
            return None
        from .gradebook_db import CompletionStore  # noqa: PLC0415

        # the owner is the shard, not the host: a replacement pod takes back its own claims
        self.store = CompletionStore(os.environ["GRADING_DB_URL"],
                                     owner=f"shard {self.shard or '0/1'}")
        return self.store.finished(self.assignment)

    def _close_course_dir(self) -> None:
        """Pod mode has no mount namespace: the kernels' uids must not be able to read the course
        directory (hidden tests, gradebook, other submissions). Close it, check it for real as a
        kernel uid would, and end what a killed earlier run left under the kernels' uids."""
        for slot in range(self.jobs):
            sandbox.clean_up_uid(sandbox.BASE_SANDBOX_UID + slot)
        self.course_dir_mode = stat.S_IMODE(self.course_dir.stat().st_mode)
        os.chmod(self.course_dir, 0o700)
        problem = sandbox.readable_by(sandbox.BASE_SANDBOX_UID, self.course_dir)
        if problem:
            raise RuntimeError(f"pod mode: {problem}")
        # any other copy of the hidden tests a kernel could read: a world-readable source notebook,
        # solutions/ checkout or gradebook anywhere in the pod (there is no mount namespace)
        exposed = sandbox.exposed_files(self.hidden_lines, POD_SCAN_ROOTS)
        if exposed:
            raise RuntimeError(
                f"pod mode: {len(exposed)} file(s) holding this assignment's hidden tests can be read by "
                f"any user, so by a submission: {', '.join(exposed[:5])}"
                + (" ..." if len(exposed) > 5 else "") + "; make them private (chmod -R go-rwx)")
        warning = sandbox.interpreter_problem(sandbox.BASE_SANDBOX_UID)
        if warning:
            self.say(f"WARNING (pod mode): {warning}")

    def _grade_one(self, student: str, slot: int) -> dict:
        result_file = self.state_dir / "work" / f"{student}.json"
        result_file.parent.mkdir(parents=True, exist_ok=True)
        result_file.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "grading.worker", "--course-dir", str(self.course_dir),
               "--assignment", self.assignment, "--student", student, "--slot", str(slot),
               "--state-dir", str(self.state_dir), "--result", str(result_file),
               "--limits", json.dumps(self.limits)]
        if not self.sandboxed:
            cmd.append("--unsandboxed")
        elif self.isolation == "pod":
            cmd += ["--isolation-kind", "pod"]
        limit = int(self.limits.get("notebook_time_limit", 1800)) + WORKER_GRACE_S
        # nbgrader runs `alembic` from PATH: put this interpreter's bin directory first
        env = {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable),
                                                      os.environ.get("PATH", "")]),
               "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]),
               **kernel_thread_limits(self.jobs)}
        log_file = self.state_dir / "work" / f"{student}.log"
        with open(log_file, "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                    cwd=self.course_dir, start_new_session=True)
            self._running[student] = proc
            try:
                proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            finally:
                self._running.pop(student, None)
        sandbox.sweep_stale()
        if result_file.exists():
            return json.loads(result_file.read_text())
        tail = log_file.read_text()[-2000:] if log_file.exists() else ""
        return {"student": student, "status": "error",
                "error": f"the grading process ended without a result (exit {proc.returncode})\n{tail}"}


MACHINE_LOCK = Path("/tmp/lstm-course-grading.lock")


@contextlib.contextmanager
def machine_lock(say=print, path: Path = MACHINE_LOCK):
    """One grading batch at a time on a machine.

    Sandbox uids are `BASE_SANDBOX_UID + slot` on every batch, and per-uid limits (RLIMIT_NPROC) and
    the check that nothing outlives grading are machine-wide: two batches at once would share them.
    A second batch therefore waits for the first instead of interfering with it.
    """
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another grading batch is running on this machine ({path} is locked); waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")


def kernel_thread_limits(jobs: int, cpus: int | None = None) -> dict[str, str]:
    """Thread-pool sizes for kernels graded side by side: share the cores instead of oversubscribing.

    TensorFlow sizes its pools to all cores; two kernels on two cores then fight for them. With one
    thread per kernel, 30 stability submissions took 294 s instead of 317 s here (2 cores, 2 jobs).
    Values the instructor has set in the environment win (they pass into the sandbox unchanged).
    """
    threads = max(1, (cpus or os.cpu_count() or 1) // max(1, jobs))
    return {name: os.environ.get(name, str(threads)) for name in THREAD_VARIABLES}


def clean_state(course_dir: Path, assignment: str) -> None:
    shutil.rmtree(course_dir / ".grading" / assignment, ignore_errors=True)
