"""SandboxedExecute: nbgrader's Execute step, with the kernel in a sandbox and a verdict per test.

This is the ONE seam with nbgrader: it replaces ``Execute`` in
``Autograde.autograde_preprocessors``. nbgrader still does everything else outside the sandbox
(restoring test cells from the gradebook, saving grades, late penalties). What this step adds:

* only a scratch copy of the student's own files (no notebook, so no hidden test) goes into the
  sandbox; the kernel never sees the course directory;
* test cells are checked against the gradebook's copy before they run;
* every test cell is bracketed by the integrity guard (grading/guard.py);
* a cell that times out is interrupted; a kernel that ignores the interrupt, crashes or is killed
  for memory is stopped, and every later cell is marked "not run" with the reason (zero for the
  parts it affects, the earlier parts keep their marks);
* output is capped while it arrives (a flood cannot exhaust the grader's memory);
* the grade of a test cell is decided here and written so nbgrader cannot misread it: a failed
  test starts with an error output; a passed test has its stderr (e.g. TensorFlow's log lines)
  relabelled stdout, because nbgrader would otherwise score it zero.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbclient.exceptions import DeadKernelError
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from . import guard, sandbox
from .kernel import SandboxedKernelManager

# Set by grading.worker: the gradebook lock is released while a kernel runs, so the other worker
# can save its grades meanwhile, and taken back before nbgrader writes this student's grades.
GRADEBOOK_LOCK = None

MAX_COPIED_BYTES = 200 * 2**20


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def _is_test_cell(cell) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _can_display_result(source: str) -> bool:
    """Whether a test cell's own code can produce an execute_result (nbgrader partial credit)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and isinstance(body[-1], ast.Expr) and not source.rstrip().endswith(";")


def _shadowed_module(rel: Path) -> str | None:
    """The installed module a submitted file would replace on import (numpy.py, a json/ folder,
    ipykernel_launcher.py, sitecustomize.py), or None."""
    if len(rel.parts) == 1:  # a module file at the top: numpy.py, numpy.cpython-311-...so
        name = rel.name.split(".")[0] if rel.suffix in (".py", ".pyc", ".so") else None
    else:  # only a folder's __init__ makes it a package that could shadow (data folders cannot)
        name = rel.parts[0] if len(rel.parts) == 2 and rel.name.startswith("__init__.") else None
    if not name or not name.isidentifier():
        return None
    if name in sys.stdlib_module_names or name in ("sitecustomize", "usercustomize"):
        return name
    try:
        return name if importlib.util.find_spec(name) is not None else None
    except (ImportError, ValueError):
        return None


def _via_symlink(root: Path, rel: Path) -> bool:
    """Whether ``root/rel`` or any folder on the way to it is a symlink."""
    current = root
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


class SandboxedExecute(Execute):
    """Execute preprocessor that runs the kernel in the sandbox (see module docstring)."""

    use_sandbox = Bool(True, help="Run the kernel in the sandbox (False: --allow-unsandboxed)"
                       ).tag(config=True)
    slot = Integer(0, help="Worker slot: the sandbox uid is BASE_SANDBOX_UID + slot").tag(config=True)
    memory_mb = Integer(sandbox.Limits.memory_mb).tag(config=True)
    max_processes = Integer(sandbox.Limits.max_processes).tag(config=True)
    max_file_mb = Integer(sandbox.Limits.max_file_mb).tag(config=True)
    scratch_mb = Integer(sandbox.Limits.scratch_mb, help="Size of the working directory (MB)"
                         ).tag(config=True)
    notebook_time_limit = Integer(1800, help="Wall-time limit for the whole notebook (s)"
                                  ).tag(config=True)
    interrupt_grace = Integer(10, help="Seconds a kernel gets to answer after an interrupt"
                              ).tag(config=True)
    guard_timeout = Integer(60).tag(config=True)
    max_output_chars = Integer(1_000_000, help="Output kept per cell; the rest is dropped"
                               ).tag(config=True)
    report_dir = Unicode("", help="Where to write what happened, one JSON per notebook"
                         ).tag(config=True)
    submitted_dir = Unicode("", help="The student's submitted directory: files that are symlinks "
                            "there are never copied into the sandbox").tag(config=True)
    scratch_parent = Unicode("", help="Parent of the scratch directories (default: "
                             "sandbox.SCRATCH_PARENT)"
                             ).tag(config=True)

    # ---------------------------------------------------------------- set-up and tear-down
    def preprocess(self, nb, resources, km=None):
        record = {"notebook": resources["nbgrader"]["notebook"], "sandboxed": self.use_sandbox,
                  "cells": [], "events": [], "guard_findings": []}
        self._record = record
        self._restore_test_sources(nb, resources, record)
        workdir = resources.get("metadata", {}).get("path") or "."
        parent = Path(self.scratch_parent or sandbox.SCRATCH_PARENT)
        parent.mkdir(mode=0o711, exist_ok=True)
        info = os.lstat(parent)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            raise RuntimeError(f"{parent} must be a directory owned by the grader and writable "
                               "by nobody else")
        # named after this worker's pid, so a batch can sweep what a killed worker left
        base = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=parent))
        scratch = base / "work"
        scratch.mkdir()
        cgroups = None
        self._spec = None
        mounted = False
        uid = sandbox.BASE_SANDBOX_UID + self.slot
        if self.use_sandbox:
            mounted = sandbox.mount_scratch(scratch, uid, self.scratch_mb)
            if not mounted:
                record["events"].append("could not mount a size-limited scratch directory; "
                                        "its size is not limited")
        (scratch / "home").mkdir()
        copied = self._copy_student_files(Path(workdir), scratch, record)
        if self.use_sandbox:
            limits = sandbox.Limits(memory_mb=self.memory_mb, max_processes=self.max_processes,
                                    max_file_mb=self.max_file_mb, scratch_mb=self.scratch_mb)
            cgroups = sandbox.CgroupSet(f"grading-{base.name}", limits)
            ipc_dir = base / "ipc"
            ipc_dir.mkdir()
            self._spec = sandbox.SandboxSpec(scratch, uid, limits,
                                             sandbox.trusted_readonly_paths(), cgroups, ipc_dir)
            for path in [scratch, *scratch.rglob("*")]:
                os.chown(path, uid, uid, follow_symlinks=False)
            record["limits"] = {"memory_mb": self.memory_mb, "max_processes": self.max_processes,
                                "max_file_mb": self.max_file_mb, "scratch_mb": self.scratch_mb,
                                "cell_timeout_s": self.timeout,
                                "notebook_time_limit_s": self.notebook_time_limit,
                                "cgroups": sorted(cgroups.paths)}
        record["files_copied"] = copied
        resources.setdefault("metadata", {})["path"] = str(scratch)
        self._cgroups = cgroups
        if GRADEBOOK_LOCK is not None:
            GRADEBOOK_LOCK.release()
        started = time.monotonic()
        try:
            self._execute_notebook(nb, resources, km)
        finally:
            record["seconds"] = round(time.monotonic() - started, 2)
            self._stop_kernel()
            if cgroups is not None:
                record["cgroup_stats"] = cgroups.stats()
                cgroups.remove()
            if mounted:
                sandbox.unmount_scratch(scratch)
            shutil.rmtree(base, ignore_errors=True)
            resources["metadata"]["path"] = workdir
            if GRADEBOOK_LOCK is not None:
                GRADEBOOK_LOCK.acquire()
            self._write_record(record)
        return nb, resources

    def _restore_test_sources(self, nb, resources, record) -> None:
        """Test cells must be the gradebook's, word for word (nbgrader only restores locked
        cells; this also covers unlocked ones)."""
        nbg = resources["nbgrader"]
        with Gradebook(nbg["db_url"]) as gb:
            for cell in nb.cells:
                if not _is_test_cell(cell):
                    continue
                grade_id = cell.metadata.nbgrader["grade_id"]
                try:
                    source = gb.find_source_cell(grade_id, nbg["notebook"], nbg["assignment"]).source
                except MissingEntry:
                    continue
                if cell.source != source:
                    record["events"].append(f"test cell {grade_id} differed from the gradebook's "
                                            "copy and was restored")
                    cell.source = source

    def _copy_student_files(self, src: Path, dest: Path, record) -> list[str]:
        """Copy regular files except notebooks (the graded notebook holds the hidden tests and
        reaches the kernel cell by cell). Symlinks are skipped: they could point anywhere."""
        copied, total = [], 0
        if not src.is_dir():
            return copied
        submitted = Path(self.submitted_dir) if self.submitted_dir else None
        for path in sorted(src.rglob("*")):
            rel = path.relative_to(src)
            if submitted is not None and _via_symlink(submitted, rel):
                # nbgrader copied the link's TARGET into the autograded folder: it may be anything
                record["events"].append(f"'{rel}' is a symlink in the submission; not copied")
                continue
            if path.is_symlink() or not path.is_file() or path.suffix == ".ipynb" \
                    or any(part.startswith(".ipynb_checkpoints") for part in rel.parts):
                continue
            shadowed = _shadowed_module(rel)
            if shadowed:
                record["events"].append(f"'{rel}' would shadow the installed module '{shadowed}'; "
                                        "not copied")
                continue
            total += path.stat().st_size
            if total > MAX_COPIED_BYTES:
                record["events"].append(f"files beyond {MAX_COPIED_BYTES >> 20} MB not copied")
                break
            try:
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest / rel)
            except OSError as exc:
                record["events"].append(f"'{rel}' not copied: {exc.strerror}")
                continue
            copied.append(str(rel))
        return copied

    def create_kernel_manager(self):
        kwargs = {"config": self.config}
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name", "")
        if self.kernel_name:
            kwargs["kernel_name"] = self.kernel_name
        self.km = SandboxedKernelManager(spec=self._spec, **kwargs)
        return self.km

    def _stop_kernel(self) -> None:
        km = getattr(self, "km", None)
        if km is None:
            return
        try:
            proc = getattr(km.provisioner, "process", None) if km.provisioner else None
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - tear-down must never hide the grading result
            pass
        if self._cgroups is not None:
            self._cgroups.kill_all()
        try:
            km.cleanup_resources()
        except Exception:  # noqa: BLE001
            pass

    def _write_record(self, record) -> None:
        if not self.report_dir:
            return
        os.makedirs(self.report_dir, exist_ok=True)
        path = Path(self.report_dir) / f"{record['notebook']}.json"
        path.write_text(json.dumps(record, indent=1))

    # ---------------------------------------------------------------- the cell loop
    def _execute_notebook(self, nb, resources, km) -> None:
        from nbclient import NotebookClient  # noqa: PLC0415

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self.iopub_timeout = max(self.iopub_timeout, 10)
        self.raise_on_iopub_timeout = False
        cell_timeout = self.timeout
        deadline = time.monotonic() + self.notebook_time_limit
        stopped_reason = None
        record = self._record
        with self.setup_kernel():
            self.wait_for_reply(self.kc.kernel_info())
            # the kernel answered, so its sockets exist: freeze the socket directory
            self.km.lock_ipc_dir()
            bootstrap = self._run_silent(guard.BOOTSTRAP, self.guard_timeout)
            guard_ready = bool(bootstrap and bootstrap["content"]["status"] == "ok")
            if not guard_ready:
                record["events"].append("integrity guard failed to start: test cells cannot be "
                                        "verified and count as failed")
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                is_test = _is_test_cell(cell)
                entry = {"index": index, "test": is_test,
                         "grade_id": cell.metadata.get("nbgrader", {}).get("grade_id")}
                record["cells"].append(entry)
                if stopped_reason is None and time.monotonic() >= deadline:
                    stopped_reason = (f"the notebook's time limit ({self.notebook_time_limit} s) "
                                      "was reached")
                if stopped_reason is not None:
                    cell.outputs = [_error_output("NotRun", stopped_reason)]
                    entry.update(outcome="not run", reason=stopped_reason)
                    continue
                self.timeout = max(1, min(cell_timeout, int(deadline - time.monotonic())))
                before = self._guard("before") if is_test and guard_ready else None
                started = time.monotonic()
                self._last_reply, self._cell_chars, self._truncated = None, 0, False
                death = None
                try:
                    self.execute_cell(cell, index, store_history=True)
                except DeadKernelError:
                    death = self._death_reason()
                except Exception as exc:  # noqa: BLE001 - nbclient errors for one cell
                    if not self._alive():
                        death = self._death_reason()
                    else:
                        cell.outputs.append(_error_output("GraderError", f"{type(exc).__name__}: {exc}"))
                entry["seconds"] = round(time.monotonic() - started, 2)
                if self._truncated:
                    entry["output_truncated"] = True
                reply = self._last_reply
                timed_out = bool(reply and reply["content"].get("ename") == "CellTimeoutError")
                if timed_out:
                    entry["timed_out"] = True
                    if self._run_silent("pass", self.interrupt_grace) is None:
                        death = death or (f"cell timed out after {self.timeout} s and the kernel "
                                          "ignored the interrupt; it was stopped")
                        self._stop_kernel()
                if death is not None:
                    stopped_reason = f"not run: the kernel stopped in an earlier cell ({death})"
                    cell.outputs.append(_error_output("KernelStopped", death))
                    entry.update(outcome="kernel stopped", reason=death)
                    record["events"].append(f"cell {index}: {death}")
                    continue
                if is_test:
                    after = self._guard("after") if guard_ready else None
                    self._settle_test_cell(cell, entry, reply, before, after, timed_out)
                else:
                    status = reply["content"]["status"] if reply else "no reply"
                    entry["outcome"] = "timed out" if timed_out else status
            if self._cgroups is not None and stopped_reason is None:
                # bwrap's two processes and the kernel are expected; the rest the student started
                record["processes_left_at_end"] = max(0, len(self._cgroups.pids()) - 3)

    def _settle_test_cell(self, cell, entry, reply, before, after, timed_out) -> None:
        """Decide pass/fail from facts the student cannot write, then make the outputs say it."""
        reasons = []
        if before is None or after is None:
            reasons.append("the integrity guard did not answer, so the test cannot be trusted")
        if before and before["changed"]:
            self._record["guard_findings"].append(
                {"grade_id": entry["grade_id"], "undone_before_test": before["changed"]})
        if after and (after["changed"] or after["foreign"]):
            found = after["changed"] + after["foreign"]
            self._record["guard_findings"].append(
                {"grade_id": entry["grade_id"], "found_after_test": found})
            reasons.append("tampering detected while the test ran: " + "; ".join(found[:5]))
        status = reply["content"]["status"] if reply else "no reply"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if timed_out:
            reasons.append(f"the test timed out ({self.timeout} s)")
        elif status != "ok" or errors:
            first = errors[0] if errors else NotebookNode(ename=reply["content"].get("ename", "?") if reply else "no reply",
                                                          evalue=reply["content"].get("evalue", "") if reply else "")
            reasons.append(f"the test failed: {first.ename}: {str(first.evalue)[:200]}")
        if reasons:
            cell.outputs.insert(0, _error_output("TestFailed", " | ".join(reasons)))
            entry.update(outcome="failed", reason=" | ".join(reasons))
            return
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                output.name = "stdout"  # log noise (TensorFlow) must not zero a passing test
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        if results and not _can_display_result(cell.source):
            self._record["guard_findings"].append(
                {"grade_id": entry["grade_id"], "removed": "execute_result the test cannot produce"})
        keep = results[-1:] if _can_display_result(cell.source) else []
        cell.outputs = [o for o in cell.outputs
                        if o.output_type != "execute_result" or any(o is k for k in keep)]
        entry["outcome"] = "passed"

    # ---------------------------------------------------------------- kernel helpers
    def on_cell_executed(self, **kwargs):
        self._last_reply = kwargs["execute_reply"]
        super().on_cell_executed(**kwargs)

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values()) \
            + sum(len(line) for line in content.get("traceback", []))
        self._cell_chars = getattr(self, "_cell_chars", 0) + size
        if self._cell_chars > self.max_output_chars and msg["msg_type"] != "error":
            if not getattr(self, "_truncated", False):
                self._truncated = True
                outs.append(NotebookNode(output_type="stream", name="stdout",
                                         text=f"\n... output beyond {self.max_output_chars} "
                                              "characters dropped by the grader ...\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _run_silent(self, code: str, timeout: int):
        """Run grader code in the kernel, outside the notebook; None if no reply in time."""
        saved = self.timeout
        self.timeout = timeout
        try:
            msg_id = self.kc.execute(code, silent=True, store_history=False,
                                     user_expressions={guard.RESULT_NAME: guard.RESULT_NAME})
            return self.wait_for_reply(msg_id)
        except Exception:  # noqa: BLE001 - timeout or dead kernel: the caller decides
            return None
        finally:
            self.timeout = saved

    def _guard(self, phase: str):
        return guard.parse_result(self._run_silent(guard.check_code(phase), self.guard_timeout))

    def _alive(self) -> bool:
        try:
            return bool(self.km is not None and self.km.is_alive())
        except Exception:  # noqa: BLE001
            return False

    def _death_reason(self) -> str:
        """Why the kernel stopped, from evidence outside the sandbox."""
        stats = self._cgroups.stats() if self._cgroups is not None else {}
        if stats.get("oom_kills"):
            return f"the kernel exceeded the memory limit ({self.memory_mb} MB) and was killed"
        code = None
        proc = getattr(self.km.provisioner, "process", None) if self.km and self.km.provisioner else None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                code = None
        if code is not None:
            sig = -code if code < 0 else code - 128 if code > 128 else None
            if sig:
                try:
                    name = signal.Signals(sig).name
                except ValueError:
                    name = f"signal {sig}"
                meaning = {"SIGSEGV": "segmentation fault", "SIGKILL": "killed",
                           "SIGABRT": "aborted", "SIGBUS": "bus error"}.get(name, "")
                return f"the kernel died from {name}" + (f" ({meaning})" if meaning else "")
            return f"the kernel process exited with status {code}"
        return "the kernel died"
