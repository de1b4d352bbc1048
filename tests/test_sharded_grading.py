"""Sharded grading on a shared PostgreSQL gradebook: three shard processes in separate course copies
(stand-ins for machines), one killed with SIGKILL mid-batch and started again; the final gradebook,
``nbgrader export`` and the LMS export must equal a single-machine run of the same submissions.

The fixture assignment is numpy-only (three functions, 4 points, expectation tests): kernels start
fast, and the submissions are trusted, so both runs use --isolation=none --allow-unsandboxed (the
sandbox itself is tested in test_safe_grading.py; sandbox uids are machine-wide, so sandboxed shards
must not share a real machine). As root, each stand-in machine gets its own /tmp (a private mount
namespace), as separate machines would: the grader's machine-wide lock lives there.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # grading/, when run as a script
import pg_server  # noqa: E402

from grading import gradebook_db, lms_export, shards  # noqa: E402

pytestmark = pytest.mark.xdist_group("grading")  # beside the sandbox tests, never concurrently

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "shard_demo"
STUDENTS = [f"s{i:02d}" for i in range(1, 10)]  # the last one hands in the untouched release
N_SHARDS = 3
UNTOUCHED = STUDENTS[-1]
POINTS = {"test_add": 1, "test_mean": 2, "test_square": 1}
SOLUTIONS = {
    "answer_add": ("def add(a, b):\n", "    return a + b\n"),
    "answer_mean": ("def mean(values):\n", "    return float(np.mean(values))\n"),
    "answer_square": ("def square_list(n):\n", "    return [i * i for i in range(n)]\n"),
}
WRONG = {"answer_add": "    return a - b\n", "answer_mean": "    return float(np.median(values)) + 1\n",
         "answer_square": "    return list(range(n))\n"}
TESTS = {
    "test_add": ('expect("add(2, 3)", equals=5, hint="add(2, 3) should be 5")\n',
                 'expect("add(-7, 7)", equals=0, hint="add must work for negative numbers")\n'),
    "test_mean": ('expect("mean([1, 2, 3])", close=2.0, hint="the mean of 1, 2, 3 is 2")\n',
                  'expect("mean([0, 10])", close=5.0, hint="mean of two numbers")\n'),
    "test_square": ('expect("square_list(4)", equals=[0, 1, 4, 9], hint="squares of 0..3")\n',
                    'expect("square_list(0)", equals=[], hint="no squares for n = 0")\n'),
}
ORDER = ["answer_add", "test_add", "answer_mean", "test_mean", "answer_square", "test_square"]


def expected_scores(student: str) -> dict[str, float]:
    """The last student hands in the untouched release; the others get parts wrong by a fixed rule."""
    i = int(student[1:])
    if student == UNTOUCHED:
        return {t: 0.0 for t in POINTS}
    return {"test_add": 0.0 if i % 2 else 1.0, "test_mean": 0.0 if i % 3 == 0 else 2.0,
            "test_square": 0.0 if i % 4 == 2 else 1.0}


def answer(student: str, grade_id: str) -> str:
    head, body = SOLUTIONS[grade_id]
    part = {"answer_add": "test_add", "answer_mean": "test_mean", "answer_square": "test_square"}[grade_id]
    return head + (body if expected_scores(student)[part] else WRONG[grade_id])


def source_notebook() -> nbformat.NotebookNode:
    cells = [new_markdown_cell("# Shard demo\nThree small functions."), new_code_cell("import numpy as np")]
    for grade_id in ORDER:
        if grade_id.startswith("answer"):
            head, body = SOLUTIONS[grade_id]
            src = head + "    ### BEGIN SOLUTION\n" + body + "    ### END SOLUTION\n"
            nbg = {"grade": False, "solution": True, "locked": False}
        else:
            visible, hidden = TESTS[grade_id]
            src = ("from lstm_course.expectations import expect\n" + visible
                   + "### BEGIN HIDDEN TESTS\n" + hidden + "### END HIDDEN TESTS\n")
            nbg = {"grade": True, "solution": False, "locked": True, "points": POINTS[grade_id]}
        cells.append(new_code_cell(src, metadata={"nbgrader": {**nbg, "grade_id": grade_id,
                                                               "schema_version": 3}}))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def tool_env() -> dict[str, str]:
    """nbgrader runs `alembic` from PATH; the grading package is imported from the repository."""
    return {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def nbgrader(course: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"], cwd=course,
                   check=True, env=tool_env(), capture_output=True, timeout=300)


def register(course: Path, db_url: str, students=STUDENTS) -> None:
    """What an instructor does once per gradebook: the assignment, and the class list."""
    from nbgrader.api import Gradebook  # noqa: PLC0415

    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", f"--CourseDirectory.db_url={db_url}")
    with Gradebook(gradebook_db.normalise_url(db_url)) as gb:
        for student in students:
            i = int(student[1:])
            gb.update_or_create_student(student, first_name=f"First{i}", last_name=f"Last{i}",
                                        email=f"{student}@uni.example", lms_user_id=str(5000 + i))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("template") / "course", STUDENTS)


def build_template(course: Path, students: list[str]) -> Path:
    """The course with its release and the submissions, and its SQLite gradebook registered."""
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'shard-suite'\nc.Execute.timeout = 30\n"
        "c.ClearSolutions.code_stub = {'python': 'raise NotImplementedError()'}\n")
    nbformat.write(source_notebook(), course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    register(course, f"sqlite:///{course / 'gradebook.db'}", students)
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for student in students:
        nb = json.loads(json.dumps(release))
        if student != UNTOUCHED:
            for cell in nb["cells"]:
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
                if grade_id in SOLUTIONS:
                    cell["source"] = answer(student, grade_id)
        target = course / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        nbformat.write(nbformat.from_dict(nb), target / f"{ASSIGNMENT}.ipynb")
        (target / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    return course


@pytest.fixture(scope="module")
def postgres():
    reason = pg_server.unavailable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with pg_server.PostgresServer() as server:
        yield server


class Machine:
    """A stand-in machine: its own copy of the course and, as root, its own /tmp."""

    def __init__(self, base: Path, name: str, template: Path):
        self.root = base / name
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True)
        # Unsandboxed batches take no machine lock (grading/runner.py), so the stand-in machines need no
        # private /tmp; binding one over /tmp would also hide a checkout or virtualenv that lives under /tmp.
        self.private_tmp = False
        # the course lives inside the machine's /tmp, so it stays visible once /tmp is replaced
        self.course_outside = self.tmp / "course"
        shutil.copytree(template, self.course_outside, ignore=shutil.ignore_patterns("gradebook.db"))
        self.course = Path("/tmp/course") if self.private_tmp else self.course_outside
        self.log = self.root / "log.txt"

    def start(self, *args: str) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "grading", "autograde", ASSIGNMENT, "--course-dir",
               str(self.course), "--isolation=none", "--allow-unsandboxed", *args]
        if self.private_tmp:
            cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount --bind "$0" /tmp && exec "$@"', str(self.tmp), *cmd]
        handle = open(self.log, "a")
        return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=tool_env(),
                                cwd=self.root, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text()


def kill_machine(proc: subprocess.Popen) -> None:
    """SIGKILL the grader and everything it started, as when a machine or pod dies."""
    root = psutil.Process(proc.pid)
    seen: dict[int, psutil.Process] = {}
    for _ in range(10):  # freeze the whole tree first, so nothing new is started meanwhile
        tree = [root, *root.children(recursive=True)]
        new = [p for p in tree if p.pid not in seen]
        if not new:
            break
        for p in new:
            seen[p.pid] = p
            try:
                p.send_signal(signal.SIGSTOP)
            except psutil.NoSuchProcess:
                pass
    for p in seen.values():
        try:
            p.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=60)
    psutil.wait_procs(list(seen.values()), timeout=30)


def wait_for(condition, timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process ended before {what}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def scores(db_url: str) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook  # noqa: PLC0415

    with Gradebook(gradebook_db.normalise_url(db_url)) as gb:
        table = {}
        for student in STUDENTS:
            sub = gb.find_submission(ASSIGNMENT, student)
            table[student] = {g.name: g.score for g in sub.notebooks[0].grades}
        return table


def submission_rows(db_url: str) -> int:
    import sqlalchemy as sa  # noqa: PLC0415

    engine = sa.create_engine(gradebook_db.normalise_url(db_url))
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM submitted_assignment s JOIN assignment a "
                                     "ON s.assignment_id = a.id WHERE a.name = :a"), {"a": ASSIGNMENT}).scalar()
    engine.dispose()
    return count


def nbgrader_export(course: Path, db_url: str, out: Path) -> list[list[str]]:
    nbgrader(course, "export", f"--CourseDirectory.db_url={gradebook_db.normalise_url(db_url)}",
             f"--to={out}")
    return sorted(csv.reader(io.StringIO(out.read_text())))


def test_sharded_run_with_a_killed_shard_equals_one_machine(template, postgres, tmp_path):
    # --- one machine, SQLite, two jobs: the reference ---
    single = Machine(tmp_path, "single", template)
    shutil.copy(template / "gradebook.db", single.course_outside / "gradebook.db")
    single_url = f"sqlite:///{single.course_outside / 'gradebook.db'}"
    started = time.monotonic()
    ref = single.start("--jobs", "2")
    assert ref.wait(timeout=900) == 0, single.output()
    single_seconds = time.monotonic() - started
    reference = scores(single_url)
    assert reference == {s: expected_scores(s) for s in STUDENTS}, single.output()

    # --- three machines, one shared PostgreSQL gradebook ---
    shared_url = postgres.create_database("sharded")
    register(template, shared_url)
    machines = [Machine(tmp_path, f"machine{k}", template) for k in range(N_SHARDS)]
    members = {k: shards.Shard(k, N_SHARDS).select(STUDENTS) for k in range(N_SHARDS)}
    victim = max(members, key=lambda k: len(members[k]))
    assert len(members[victim]) >= 3
    store = gradebook_db.CompletionStore(shared_url, owner="test observer")

    started = time.monotonic()
    procs = {k: m.start("--jobs", "1", "--shard", f"{k}/{N_SHARDS}", "--db-url", shared_url)
             for k, m in enumerate(machines)}

    def victim_mid_batch():
        rows = store.rows(ASSIGNMENT)
        mine = {s: r for s, r in rows.items() if s in members[victim]}
        done = {s for s, r in mine.items() if r["status"] == "graded"}
        busy = {s for s, r in mine.items() if r["status"] == "grading"}
        return (done, busy) if done and busy else None

    done_before, busy_at_kill = wait_for(victim_mid_batch, 600, "the victim shard to be mid-batch",
                                         procs[victim])
    kill_machine(procs[victim])
    rows = store.rows(ASSIGNMENT)
    finished_at_kill = {s for s in members[victim] if rows.get(s, {}).get("status") == "graded"}
    assert finished_at_kill and finished_at_kill < set(members[victim])
    left = set(members[victim]) - finished_at_kill
    assert any(rows.get(s, {}).get("status") == "grading" for s in left)  # killed while grading

    machines[victim].log.write_text("")  # the restart's own output
    procs[victim] = machines[victim].start("--jobs", "1", "--shard", f"{victim}/{N_SHARDS}",
                                           "--db-url", shared_url)
    for k, proc in procs.items():
        assert proc.wait(timeout=900) == 0, machines[k].output()
    sharded_seconds = time.monotonic() - started

    # the restart graded exactly what was left, and skipped what was finished
    restart = machines[victim].output()
    assert (f"{len(members[victim])} submissions, {len(left)} to grade, "
            f"{len(finished_at_kill)} already graded") in restart, restart
    for student in finished_at_kill:
        assert f"] {student}:" not in restart
    # no shard ever graded another shard's student
    for k, machine in enumerate(machines):
        graded = {s for s in STUDENTS if f"] {s}:" in machine.output()}
        assert graded <= set(members[k]), (k, graded)
        assert "container:" in machine.output() and "shard " in machine.output()

    # every submission finished exactly once, by its own shard, in the shared record
    final = store.rows(ASSIGNMENT)
    assert set(final) == set(STUDENTS)
    for student, row in final.items():
        assert row["status"] == "graded" and row["owner"] == f"shard {shards.shard_of(student, 3)}/3"
        assert row["score"] == sum(expected_scores(student).values())
    assert submission_rows(shared_url) == len(STUDENTS) == submission_rows(single_url)

    # the gradebook and the exports equal the single-machine run
    assert scores(shared_url) == reference
    assert (nbgrader_export(template, shared_url, tmp_path / "sharded.csv")
            == nbgrader_export(template, single_url, tmp_path / "single.csv"))
    for fmt in lms_export.FORMATS:
        a, _ = lms_export.export(fmt, shared_url, ASSIGNMENT, tmp_path / f"{fmt}-sharded.csv")
        b, _ = lms_export.export(fmt, single_url, ASSIGNMENT, tmp_path / f"{fmt}-single.csv")
        assert a.read_bytes() == b.read_bytes()
    store.close()
    print(f"\nwall time, {len(STUDENTS)} submissions: one machine (2 jobs) {single_seconds:.1f} s; "
          f"{N_SHARDS} shards (1 job each, one killed after {len(done_before)} and restarted) "
          f"{sharded_seconds:.1f} s, on one shared 2-core machine")


def test_a_run_on_the_shared_gradebook_refuses_an_unregistered_assignment(template, postgres, tmp_path):
    url = postgres.create_database("empty")
    machine = Machine(tmp_path, "m", template)
    proc = machine.start("--shard", "0/2", "--db-url", url)
    assert proc.wait(timeout=300) == 2
    out = machine.output()
    assert "has no nbgrader tables yet" in out and postgres.password not in out


@pytest.mark.parametrize("bad,message", [("3/3", "0..2"), ("x", "K/N")])
def test_bad_shard_is_refused_before_any_work(template, tmp_path, bad, message):
    machine = Machine(tmp_path, "m", template)
    proc = machine.start("--shard", bad)
    assert proc.wait(timeout=300) == 2
    assert message in machine.output()


def test_claims_keep_two_owners_apart(postgres):
    url = postgres.create_database("claims")
    a = gradebook_db.CompletionStore(url, owner="shard 0/2")
    b = gradebook_db.CompletionStore(url, owner="shard 1/2")
    assert a.claim("hw", "alice", "fp1") == "claimed"
    assert b.claim("hw", "alice", "fp1") == "busy: shard 0/2"
    assert a.claim("hw", "alice", "fp1") == "claimed"  # a restarted shard takes back its own claim
    assert b.claim("hw", "alice", "fp1", lease_s=0) == "claimed"  # a stale claim expires
    b.finish("hw", "alice", "fp1", {"status": "graded", "score": 3, "max_score": 4})
    assert a.claim("hw", "alice", "fp1") == "finished"
    assert a.claim("hw", "alice", "fp2") == "claimed"  # a new submission is graded again
    assert a.claim("hw", "alice", "fp2", force=True) == "claimed"
    assert set(a.finished("hw")) == set()
    a.finish("hw", "alice", "fp2", {"status": "error"})
    assert b.claim("hw", "alice", "fp2", lease_s=0) == "claimed"  # errors are retried
    a.close()
    b.close()


def test_concurrent_claims_give_each_student_to_one_owner(postgres):
    """16 threads race for the same 40 students: every student is claimed exactly once."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    url = postgres.create_database("race")
    stores = [gradebook_db.CompletionStore(url, owner=f"shard {k}/16") for k in range(16)]
    students = [f"x{i}" for i in range(40)]

    def race(store):
        return [s for s in students if store.claim("hw", s, "fp") == "claimed"]

    with ThreadPoolExecutor(16) as pool:
        won = list(pool.map(race, stores))
    flat = [s for part in won for s in part]
    assert sorted(flat) == sorted(students)
    for store in stores:
        store.close()


def test_db_url_checks():
    assert gradebook_db.normalise_url("postgresql://u:p@h:5432/d") == "postgresql+psycopg2://u:p@h:5432/d"
    assert gradebook_db.normalise_url("postgresql+psycopg2://u@h/d") == "postgresql+psycopg2://u@h/d"
    with pytest.raises(ValueError, match="PostgreSQL or SQLite"):
        gradebook_db.normalise_url("mysql://u:p@h/d")
    with pytest.raises(ValueError, match="must look like"):
        gradebook_db.normalise_url("not a url")
    assert "p4ss" not in gradebook_db.redact("postgresql://u:p4ss@h/d")


def measure(students: int, shard_count: int, jobs_per_shard: int) -> None:
    """Wall time of one machine (SQLite, 2 jobs) against shards on PostgreSQL, no kill.

    ``python tests/test_sharded_grading.py --students 30 --shards 3``: the figures of
    docs/scaling.md. On one machine the shards share its cores, so this measures the overhead of
    sharding, not the speed-up of separate machines.
    """
    import tempfile  # noqa: PLC0415

    names = [f"s{i:02d}" for i in range(1, students + 1)]
    global UNTOUCHED
    UNTOUCHED = names[-1]
    with tempfile.TemporaryDirectory(prefix="shard-measure-") as tmp, pg_server.PostgresServer() as pg:
        base = Path(tmp)
        course = build_template(base / "template" / "course", names)
        single = Machine(base, "single", course)
        shutil.copy(course / "gradebook.db", single.course_outside / "gradebook.db")
        started = time.monotonic()
        assert single.start("--jobs", "2").wait() == 0, single.output()
        one = time.monotonic() - started
        url = pg.create_database("measure")
        register(course, url, names)
        machines = [Machine(base, f"m{k}", course) for k in range(shard_count)]
        started = time.monotonic()
        procs = [m.start("--jobs", str(jobs_per_shard), "--shard", f"{k}/{shard_count}", "--db-url", url)
                 for k, m in enumerate(machines)]
        codes = [p.wait() for p in procs]
        many = time.monotonic() - started
        assert codes == [0] * shard_count, [m.output() for m in machines]
        per = [len(shards.Shard(k, shard_count).select(names)) for k in range(shard_count)]
        print(f"{students} submissions: one machine, 2 jobs: {one:.1f} s ({one / students:.2f} s each); "
              f"{shard_count} shards x {jobs_per_shard} job(s) ({per} students) on this one "
              f"machine: {many:.1f} s")


if __name__ == "__main__":
    import argparse  # noqa: PLC0415

    cli = argparse.ArgumentParser(description=measure.__doc__.splitlines()[0])
    cli.add_argument("--students", type=int, default=30)
    cli.add_argument("--shards", type=int, default=3)
    cli.add_argument("--jobs-per-shard", type=int, default=1)
    options = cli.parse_args()
    os.environ.update({k: v for k, v in tool_env().items() if k in ("PATH", "PYTHONPATH")})
    measure(options.students, options.shards, options.jobs_per_shard)


def test_slurm_array_grades_every_student_once(template, postgres, tmp_path):
    """deploy/slurm/grade-array.sh for real, through the fake sbatch: 2 array tasks, one after the
    other, each in its node-local copy; outputs copied back to the shared course directory."""
    from test_deploy_manifests import SLURM_SCRIPT, fake_sbatch  # noqa: PLC0415

    url = postgres.create_database("slurm")
    register(template, url)
    node = Machine(tmp_path, "node", template)  # the shared course dir, inside the node's /tmp
    course = node.course_outside
    launcher = []
    if node.private_tmp:  # the node's own /tmp: the grader's machine lock is the node's
        launcher = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" /tmp && exec "$@"', str(node.tmp)]
    env = {**tool_env(), "ASSIGNMENT": ASSIGNMENT, "COURSE_DIR": str(node.course),
           "GRADEBOOK_URL": url, "PYTHON": sys.executable,
           "TMPDIR": "/tmp" if node.private_tmp else str(node.tmp),
           "GRADING_ISOLATION": "--isolation=none --allow-unsandboxed"}
    runs = fake_sbatch(SLURM_SCRIPT, ["--array=0-1"], env, tmp_path, launcher)
    assert [r.returncode for r in runs] == [0, 0], [r.stdout[-2000:] + r.stderr[-2000:] for r in runs]
    assert scores(url) == {s: expected_scores(s) for s in STUDENTS}
    rows = gradebook_db.CompletionStore(url).rows(ASSIGNMENT)
    assert {s: r["owner"] for s, r in rows.items()} == {s: f"shard {shards.shard_of(s, 2)}/2"
                                                        for s in STUDENTS}
    for student in STUDENTS:
        assert (course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    assert sorted(p.name for p in (course / "reports" / ASSIGNMENT).iterdir()) == ["shard-0-of-2",
                                                                                  "shard-1-of-2"]
    assert not list(node.tmp.glob("lstm-grading-*"))  # node-local copies removed
    again = fake_sbatch(SLURM_SCRIPT, ["--array=0-1"], env, tmp_path, launcher)  # nothing left to do
    assert all(r.returncode == 0 and "0 to grade" in r.stdout for r in again)
