"""One way for browser tests to start a Jupyter server: port 0 (the server binds a free port itself, so
no other process can take it between choosing and binding), a random token, a bounded wait until it
answers, and a clean stop. Used by tests/test_browser.py (JupyterLab) and tests/test_grading_browser.py
(nbgrader's formgrader)."""
from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _server_port(runtime_dir: Path, pid: int) -> int | None:
    """The port the server bound itself, from its runtime info file."""
    try:
        return int(json.loads((runtime_dir / f"jpserver-{pid}.json").read_text())["port"])
    except (OSError, ValueError, KeyError):
        return None  # not written yet (or half written)


@contextlib.contextmanager
def running(app: str, base: Path, root: Path, args: list[str], env: dict, what: str, startup_s: float = 120):
    """Run `jupyter-<app>` (lab, server) serving `root`; yield {"url", "token", "log"}; stop it after.

    `base` holds its runtime dir (where it says which port it bound) and its log; `env` is completed
    with JUPYTER_RUNTIME_DIR. Fails the test with the server's log if it does not answer in time."""
    token = secrets.token_hex(16)
    runtime = base / "runtime"
    env = {**env, "JUPYTER_RUNTIME_DIR": str(runtime)}
    log_path = base / "server.log"
    log = open(log_path, "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / f"jupyter-{app}"), "--no-browser", "--allow-root",  # CI runs as root
         "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", *args],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + startup_s
        while True:  # poll, with a bound, until the server reports its port and answers on it
            port = _server_port(runtime, server.pid)
            if port is not None:
                url = f"http://127.0.0.1:{port}"
                try:
                    with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"{what} did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield {"url": url, "token": token, "log": log_path}
    finally:
        server.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
