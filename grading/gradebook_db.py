"""The shared gradebook of sharded grading: its URL, and which students are finished, in the same database.

nbgrader keeps grades in one SQL database (``CourseDirectory.db_url``): SQLite by default, or
PostgreSQL when several machines grade at once (``--db-url postgresql://...``). Next to nbgrader's
tables this module keeps ONE table of its own, ``grading_completion``, so that completion is visible
to every machine, not only in a pod-local folder:

    assignment, student   primary key: one row per submission, ever
    fingerprint           sha256 of the submitted files that were graded
    status                'grading' (claimed), 'graded', 'not gradable' or 'error'
    owner                 which shard holds or finished it ("shard 3/16 on host-7")
    score, max_score      copied from the result, for a quick look without nbgrader
    updated_at            when the row last changed (the claim's age)

A shard *claims* a student before grading it (a row lock, ``SELECT ... FOR UPDATE``), and *finishes*
it after nbgrader has saved the grades. A restarted shard skips finished students, takes back the
claims it held itself (it was killed while grading them), and leaves alone a fresh claim of another
owner, so two processes never grade one student at once even if shards are misconfigured.
nbgrader's own tables have unique constraints on (assignment, student) and (cell, notebook), so a
student graded again is updated in place, never doubled.
"""
from __future__ import annotations

import datetime
import functools
import socket
import time

TABLE = "grading_completion"
FINISHED = ("graded", "not gradable")
_ADVISORY_KEY = 0x6C73746D  # "lstm": serialises creating the table on PostgreSQL


def normalise_url(db_url: str) -> str:
    """Check the URL and name the driver: ``postgresql://`` means psycopg2 (psycopg2-binary).

    SQLAlchemy 2 maps a bare ``postgresql://`` to psycopg 3, which the course does not install.
    """
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        url = make_url(db_url)
    except ArgumentError:
        raise ValueError("--db-url must look like postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
                         "or sqlite:////path/gradebook.db") from None
    backend = url.get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise ValueError(f"the gradebook must be PostgreSQL or SQLite, not {backend!r}")
    if backend == "postgresql" and url.get_driver_name() in ("psycopg", ""):
        if "+" not in url.drivername:
            url = url.set(drivername="postgresql+psycopg2")
    return url.render_as_string(hide_password=False)


def redact(db_url: str) -> str:
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - never show a malformed URL, it may hold a password
        return db_url.split(":", 1)[0] + ":..."


def is_shared(db_url: str) -> bool:
    return db_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


TRANSIENT_PGCODES = {"40001", "40P01", "55P03", "57P01", "08006", "08001"}


def _transient(exc: Exception) -> bool:
    """Serialisation failure, deadlock, lock timeout, or a dropped connection: worth retrying."""
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    if not isinstance(exc, DBAPIError):
        return False
    code = getattr(exc.orig, "pgcode", None)
    return code in TRANSIENT_PGCODES or bool(exc.connection_invalidated) or (
        "database is locked" in str(exc.orig))


def retrying(func=None, *, attempts: int = 6, first_wait: float = 0.05):
    """Run ``func`` again (exponential back-off) when the database reports a transient failure."""
    if func is None:
        return functools.partial(retrying, attempts=attempts, first_wait=first_wait)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(attempts):
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - re-raised unless transient
                if attempt == attempts - 1 or not _transient(exc):
                    raise
                time.sleep(first_wait * 2 ** attempt)
        raise AssertionError("unreachable")
    return wrapper


class CompletionStore:
    """Claims and completions of submissions, in the gradebook's database."""

    def __init__(self, db_url: str, owner: str | None = None):
        import sqlalchemy as sa  # noqa: PLC0415

        self.db_url = normalise_url(db_url)
        self.owner = owner or f"{socket.gethostname()}"
        self.engine = sa.create_engine(self.db_url, pool_pre_ping=True)
        self.meta = sa.MetaData()
        self.table = sa.Table(
            TABLE, self.meta,
            sa.Column("assignment", sa.String(128), primary_key=True),
            sa.Column("student", sa.String(128), primary_key=True),
            sa.Column("fingerprint", sa.String(64), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("owner", sa.String(200), nullable=False),
            sa.Column("score", sa.Float),
            sa.Column("max_score", sa.Float),
            sa.Column("updated_at", sa.DateTime, nullable=False))
        self._create()

    @retrying
    def _create(self) -> None:
        import sqlalchemy as sa  # noqa: PLC0415

        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                # concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
            self.meta.create_all(conn, checkfirst=True)

    @staticmethod
    def _now() -> datetime.datetime:
        return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)

    def finished(self, assignment: str) -> dict[str, dict]:
        """{student: row} of every finished submission of the assignment."""
        import sqlalchemy as sa  # noqa: PLC0415

        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c.assignment == assignment,
                                                   t.c.status.in_(FINISHED))).mappings().all()
        return {row["student"]: dict(row) for row in rows}

    def rows(self, assignment: str) -> dict[str, dict]:
        import sqlalchemy as sa  # noqa: PLC0415

        t = self.table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(t.c.assignment == assignment)).mappings().all()
        return {row["student"]: dict(row) for row in rows}

    @retrying
    def claim(self, assignment: str, student: str, fingerprint: str, force: bool = False,
              lease_s: float = 2100.0) -> str:
        """Take the submission for grading. Returns ``"claimed"``, ``"finished"`` (nothing to do)
        or ``"busy: <owner>"`` (another owner claimed it less than ``lease_s`` seconds ago)."""
        import sqlalchemy as sa  # noqa: PLC0415

        t = self.table
        key = (t.c.assignment == assignment) & (t.c.student == student)
        now = self._now()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(t).where(key).with_for_update()).mappings().first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(t.insert().values(
                            assignment=assignment, student=student, fingerprint=fingerprint,
                            status="grading", owner=self.owner, updated_at=now))
                    return "claimed"
                except sa.exc.IntegrityError:  # another process inserted it first
                    row = conn.execute(sa.select(t).where(key).with_for_update()).mappings().first()
            if (row["status"] in FINISHED and row["fingerprint"] == fingerprint and not force):
                return "finished"
            age = (now - row["updated_at"]).total_seconds()
            if row["status"] == "grading" and row["owner"] != self.owner and age < lease_s:
                return f"busy: {row['owner']}"
            conn.execute(t.update().where(key).values(
                fingerprint=fingerprint, status="grading", owner=self.owner, updated_at=now,
                score=None, max_score=None))
            return "claimed"

    @retrying
    def finish(self, assignment: str, student: str, fingerprint: str, result: dict) -> None:
        t = self.table
        status = result.get("status", "error")
        if status not in ("graded", "not gradable", "error"):
            status = "error"
        with self.engine.begin() as conn:
            conn.execute(t.update().where((t.c.assignment == assignment) & (t.c.student == student))
                         .values(fingerprint=fingerprint, status=status, owner=self.owner,
                                 score=result.get("score"), max_score=result.get("max_score"),
                                 updated_at=self._now()))

    def close(self) -> None:
        self.engine.dispose()


def check_assignment(db_url: str, assignment: str) -> str | None:
    """Why grading into this gradebook cannot start (clear message), or None."""
    import sqlalchemy as sa  # noqa: PLC0415

    try:
        engine = sa.create_engine(normalise_url(db_url))
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            if "assignment" not in names:
                return (f"the gradebook {redact(db_url)} has no nbgrader tables yet: register the "
                        f"assignment there first (nbgrader generate_assignment {assignment} "
                        "--CourseDirectory.db_url=...)")
            found = conn.execute(sa.text("SELECT count(*) FROM notebook n JOIN assignment a "
                                         "ON n.assignment_id = a.id WHERE a.name = :a"),
                                 {"a": assignment}).scalar()
        engine.dispose()
    except sa.exc.SQLAlchemyError as exc:
        return f"cannot open the gradebook {redact(db_url)}: {str(exc.orig if hasattr(exc, 'orig') else exc).strip()[:300]}"
    if not found:
        return (f"assignment {assignment!r} is not registered in the gradebook {redact(db_url)} "
                f"(run nbgrader generate_assignment {assignment} --CourseDirectory.db_url=... once)")
    return None


# --- how much gradebook work one submission costs (docs/scaling.md, the throughput model) ------

BENCH_ASSIGNMENT = "zz_gradebook_write_benchmark"


def benchmark_writes(db_url: str, submissions: int = 40, writers: int = 4, cells: int = 8,
                     opens_per_submission: int = 4, server_pid: int | None = None) -> dict:
    """Time the gradebook side of grading ``submissions`` students, ``writers`` at a time.

    Per submission it does what a grading worker does to the database: opens nbgrader's Gradebook
    ``opens_per_submission`` times (each open checks the schema), creates the student and the
    submission (one grade and one comment row per graded cell), sets every automatic score,
    commits, and claims and finishes the submission in the completion table. The benchmark's
    assignment and students are deleted afterwards. Returns seconds per submission (median of
    single writers) and submissions per second with ``writers`` in parallel. With ``server_pid``
    (the PostgreSQL postmaster, on this machine) also the server's CPU seconds per submission: the
    part every machine shares, which decides where the gradebook becomes the bottleneck.
    """
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415
    from statistics import median  # noqa: PLC0415

    from nbgrader.api import Gradebook  # noqa: PLC0415

    url = normalise_url(db_url)
    names = [f"bench{i:05d}" for i in range(submissions)]
    with Gradebook(url) as gb:
        gb.update_or_create_assignment(BENCH_ASSIGNMENT)
        gb.add_notebook(BENCH_ASSIGNMENT, BENCH_ASSIGNMENT)
        for c in range(cells):
            gb.add_grade_cell(f"cell{c}", BENCH_ASSIGNMENT, BENCH_ASSIGNMENT, max_score=1,
                              cell_type="code")
    store = CompletionStore(url, owner="benchmark")

    def one(student: str) -> float:
        started = time.perf_counter()
        for _ in range(opens_per_submission - 1):
            with Gradebook(url) as gb:
                gb.find_assignment(BENCH_ASSIGNMENT)
        store.claim(BENCH_ASSIGNMENT, student, "0" * 64)
        with Gradebook(url) as gb:
            gb.update_or_create_student(student)
            gb.add_submission(BENCH_ASSIGNMENT, student)
            for c in range(cells):
                grade = gb.find_grade(f"cell{c}", BENCH_ASSIGNMENT, BENCH_ASSIGNMENT, student)
                grade.auto_score = 1.0
                grade.needs_manual_grade = False
            gb.db.commit()
        store.finish(BENCH_ASSIGNMENT, student, "0" * 64, {"status": "graded", "score": cells})
        return time.perf_counter() - started

    def server_cpu() -> float:
        if server_pid is None:
            return 0.0
        import psutil  # noqa: PLC0415 - a dev requirement, only for this measurement

        master = psutil.Process(server_pid)
        total = sum(master.cpu_times()[:4])  # its own and its exited backends' time
        for child in master.children():
            try:
                total += sum(child.cpu_times()[:2])
            except psutil.NoSuchProcess:
                pass
        return total

    cpu_before = server_cpu()
    try:
        half = max(1, submissions // 4)
        single = [one(s) for s in names[:half]]
        started = time.perf_counter()
        with ThreadPoolExecutor(writers) as pool:
            list(pool.map(one, names[half:]))
        parallel_rate = (submissions - half) / (time.perf_counter() - started)
        server_seconds = (server_cpu() - cpu_before) / submissions
    finally:
        with Gradebook(url) as gb:
            gb.remove_assignment(BENCH_ASSIGNMENT)
            for s in names:
                try:
                    gb.remove_student(s)
                except Exception:  # noqa: BLE001 - not created if the run failed early
                    pass
        import sqlalchemy as sa  # noqa: PLC0415

        with store.engine.begin() as conn:
            conn.execute(store.table.delete().where(store.table.c.assignment == BENCH_ASSIGNMENT))
        store.close()
    return {"seconds_per_submission": median(single), "writers": writers,
            "submissions_per_second": parallel_rate,
            "server_cpu_seconds_per_submission": server_seconds if server_pid else None}


if __name__ == "__main__":
    import argparse  # noqa: PLC0415
    import os  # noqa: PLC0415
    import sys  # noqa: PLC0415

    parser = argparse.ArgumentParser(description="time the gradebook writes of one submission")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--server-pid", type=int, help="PostgreSQL postmaster pid (same machine)")
    args = parser.parse_args()
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])
    out = benchmark_writes(args.db_url, args.submissions, args.writers, server_pid=args.server_pid)
    print(f"{redact(args.db_url)}: {out['seconds_per_submission'] * 1000:.0f} ms of gradebook work "
          f"per submission (one writer); {out['submissions_per_second']:.1f} submissions/s with "
          f"{out['writers']} writers" + (
              f"; server CPU {out['server_cpu_seconds_per_submission'] * 1000:.0f} ms per submission"
              if args.server_pid else ""))
