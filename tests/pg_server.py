"""A throw-away PostgreSQL server for tests: Debian's packaged binaries, a fresh cluster in a temp dir.

PostgreSQL refuses to run as root, so under root the cluster belongs to the ``postgres`` account the
Debian package creates (``runuser -u postgres``); otherwise it runs as the current user. It listens
on 127.0.0.1 only, on a port the kernel reports free (retried if another process takes it first),
with password authentication (scram-sha-256) and a random password, like a real deployment.

    with PostgresServer() as pg:
        url = pg.create_database("gradebook")   # postgresql+psycopg2://grader:...@127.0.0.1:PORT/gradebook
"""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "grader"


def find_bindir() -> Path | None:
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def unavailable_reason() -> str | None:
    """Why a server cannot be started here (for a skip message), or None."""
    if find_bindir() is None:
        return "PostgreSQL is not installed (apt-get install -y postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' account to run the server as"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self, fsync: bool = True):
        self.bindir = find_bindir()
        if self.bindir is None:
            raise RuntimeError(unavailable_reason())
        self.fsync = fsync
        self.password = secrets.token_urlsafe(16)
        self.port = 0
        self.base = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.data = self.base / "data"
        self.owner = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.owner:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120,
                              cwd=self.base, env={**os.environ, "PGPASSWORD": self.password, "LC_ALL": "C"})

    def start(self) -> "PostgresServer":
        if self.owner:
            os.chmod(self.base, 0o755)
            shutil.chown(self.base, self.owner)
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n")
        if self.owner:
            shutil.chown(pwfile, self.owner)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                  "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
                  "--no-instructions")
        pwfile.unlink()
        last = ""
        for _ in range(5):
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                       f"-c unix_socket_directories={self.base} -c max_connections=100 "
                       f"-c fsync={'on' if self.fsync else 'off'}")
            started = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w",
                                "-t", "60", "-o", options, "start", check=False)
            if started.returncode == 0:
                return self
            last = started.stdout + started.stderr + self.log()
        raise RuntimeError(f"PostgreSQL did not start: {last[-2000:]}")

    def log(self) -> str:
        try:
            return (self.base / "log").read_text()
        except OSError:
            return ""

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
