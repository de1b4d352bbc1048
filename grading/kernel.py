"""A Jupyter kernel manager whose kernel runs inside the sandbox.

The notebook client (nbclient, driven by nbgrader) stays OUTSIDE, in the trusted grader process;
only the kernel, which runs student code, is inside. They talk over ZeroMQ unix sockets in the
scratch directory (``transport="ipc"``), because the sandbox has its own, empty network.
"""
from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager

from . import sandbox


# Whatever the kernel sends, one message part is at most MAX_MESSAGE_BYTES (a bigger one is dropped by
# ZeroMQ before it reaches Python) and at most RECEIVE_QUEUE messages wait per socket: the grader's
# memory stays bounded even when a submission prints faster than the grader reads.
MAX_MESSAGE_BYTES = 4 * 2**20
RECEIVE_QUEUE = 32
SEND_TIMEOUT_MS = 10_000
STDERR_TAIL_BYTES = 64 * 1024


def bounded_context() -> zmq.asyncio.Context:
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
    context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
    # a send never blocks for good: after the kernel broke its connection (an oversized message
    # makes ZeroMQ drop it), a request fails and the kernel is treated as unresponsive
    context.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)
    return context


class _TailReader(threading.Thread):
    """Reads a pipe to its end, keeping only the last bytes (the kernel's own stderr)."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.tail = stream, b""

    def run(self):
        while chunk := self.stream.read(65536):
            self.tail = (self.tail + chunk)[-STDERR_TAIL_BYTES:]


class SandboxedKernelManager(AsyncKernelManager):
    """AsyncKernelManager that wraps the kernel command in :func:`sandbox.sandbox_command`."""

    def __init__(self, spec: sandbox.SandboxSpec | None = None, **kwargs):
        self.sandbox_spec = spec
        if spec is not None:
            # NOT inside the scratch dir: the kernel may rename anything there, and could swap a
            # socket for a symlink to a host socket the (root) client would then connect to
            ipc_dir = spec.ipc_dir
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(ipc_dir / "socket"))
            kwargs.setdefault("connection_file", str(ipc_dir / "connection.json"))
        super().__init__(**kwargs)
        # bwrap starts the kernel in a new session, so a SIGINT to the launcher's process group
        # would never reach it: ask the kernel to interrupt itself instead.
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if len(cmd) > 1 and cmd[1] == "-m":
            # -P: the working directory (the student's files) is NOT put first on sys.path, so a
            # submitted ipykernel_launcher.py cannot replace the kernel itself; the guard
            # appends it to the END of sys.path once the kernel is up
            cmd.insert(1, "-P")
        if self.sandbox_spec is None:
            return cmd
        return sandbox.sandbox_command(self.sandbox_spec, cmd, sandbox.passthrough_env())

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        spec = self.sandbox_spec
        if spec is not None:
            # the kernel runs as the sandbox uid: it must read its connection file and create
            # its sockets; nothing else in the scratch directory is the grader's
            for path in [spec.ipc_dir, Path(self.connection_file)]:
                os.chown(path, spec.uid, spec.uid)
            if spec.kind == "pod":  # no bwrap --clearenv: the whole environment is given here
                kw["env"] = sandbox.kernel_env(spec, sandbox.passthrough_env())
            else:
                kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        else:
            # trusted work (--allow-unsandboxed): still never hand the gradebook's URL to the kernel
            kw["env"] = {k: v for k, v in (kw.get("env") or os.environ).items()
                         if not k.startswith("GRADING_")}
        # descriptors: the kernel gets /dev/null as stdin and stdout and a pipe for stderr (read
        # here, last 64 KB kept); never the worker's log file. Popen closes every other one.
        kw["stdin"] = subprocess.DEVNULL
        kw["stdout"] = subprocess.DEVNULL
        kw["stderr"] = subprocess.PIPE
        kw["close_fds"] = True
        await super()._async_launch_kernel(kernel_cmd, **kw)
        process = getattr(self.provisioner, "process", None)
        self.stderr_reader = None
        if process is not None and process.stderr is not None:
            self.stderr_reader = _TailReader(process.stderr)
            self.stderr_reader.start()

    def stderr_tail(self) -> str:
        reader = getattr(self, "stderr_reader", None)
        return reader.tail.decode("utf-8", "replace") if reader is not None else ""

    def client(self, **kwargs):
        kwargs.setdefault("context", bounded_context())
        return super().client(**kwargs)

    def lock_ipc_dir(self) -> None:
        """Once the kernel has bound its sockets: it may no longer add, remove or rename any."""
        spec = self.sandbox_spec
        if spec is not None and spec.ipc_dir is not None:
            os.chown(spec.ipc_dir, 0, 0)
            os.chmod(spec.ipc_dir, 0o755)
