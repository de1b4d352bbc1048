"""A Jupyter kernel manager whose kernel runs inside the sandbox.

The notebook client (nbclient, driven by nbgrader) stays OUTSIDE, in the trusted grader process;
only the kernel, which runs student code, is inside. They talk over ZeroMQ unix sockets in the
scratch directory (``transport="ipc"``), because the sandbox has its own, empty network.
"""
from __future__ import annotations

import os
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from . import sandbox


class SandboxedKernelManager(AsyncKernelManager):
    """AsyncKernelManager that wraps the kernel command in :func:`sandbox.bwrap_command`."""

    def __init__(self, spec: sandbox.SandboxSpec | None = None, **kwargs):
        self.sandbox_spec = spec
        if spec is not None:
            ipc_dir = Path(spec.scratch_dir) / ".kernel"
            ipc_dir.mkdir(exist_ok=True)
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
        if self.sandbox_spec is None:
            return cmd
        return sandbox.bwrap_command(self.sandbox_spec, cmd, sandbox.passthrough_env())

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        spec = self.sandbox_spec
        if spec is not None:
            # the kernel runs as the sandbox uid: it must read its connection file and create
            # its sockets; nothing else in the scratch directory is the grader's
            for path in [Path(self.connection_file).parent, Path(self.connection_file)]:
                os.chown(path, spec.uid, spec.uid)
            kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        await super()._async_launch_kernel(kernel_cmd, **kw)
