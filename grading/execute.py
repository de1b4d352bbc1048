"""SandboxedExecute: nbgrader's Execute step, with the kernel in a sandbox and verdicts outside it.

This is the ONE seam with nbgrader: it replaces ``Execute`` in
``Autograde.autograde_preprocessors``. nbgrader still does everything else outside the sandbox
(restoring cells from the gradebook, saving grades, late penalties). What this step does:

* only a scratch copy of the student's own files (no notebook, so no hidden test) goes into the
  sandbox; the kernel never sees the course directory, and gets a copy of the course package in
  which the functions the assignment reserves raise (grading/course_copy.py);
* the student's cells run in the kernel as in Jupyter, except given cells that the assignment's
  author marked with SKIP_MARKER (read from the gradebook's copy of a locked cell, never from the
  submission): those only compute what a person grades by hand, so the grader shows the student's
  own outputs for them, labelled as submitted and not re-run; a TEST cell never runs there: its
  expectations are parsed from the gradebook's copy of the cell, each expression is sent as a
  probe (no code, nothing in ``In``; never the test source, expected value, tolerance or hint), and
  the value comes back as size-limited JSON on the reply to that request (grading/verdict.py);
* the verdict is reached here with the grader's own ``compare`` and written into the cell's
  outputs (a PASS line, or an error output with the hint) before nbgrader's SaveAutoGrades;
* an answer cell that uses a function the assignment reserves scores 0 on the test cells of its
  part (decided from the submitted source, outside the kernel: lstm_course.own_work);
* a cell that times out is interrupted; a kernel that ignores the interrupt, crashes or is killed
  for memory is stopped, and every later cell is marked "not run" with the reason;
* every message the kernel sends is counted as it arrives (bytes and number, all types) and
  dropped beyond the caps; the finished notebook is sanitised (grading/sanitize.py).
"""
from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbclient.exceptions import DeadKernelError
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, Unicode

from lstm_course import own_work
from lstm_course.expectations import AuthoringError

from . import course_copy, guard, repair, sandbox, sanitize, verdict
from .kernel import SandboxedKernelManager

# Set by grading.worker: the gradebook lock is released while a kernel runs, so the other worker
# can save its grades meanwhile, and taken back before nbgrader writes this student's grades.
GRADEBOOK_LOCK = None

MAX_COPIED_BYTES = 200 * 2**20
# First line of a given (locked) cell in an assignment's source that the grader does not run: it only
# feeds hand-graded work (a2's training for Part E's table) and no test reads what it computes.
SKIP_MARKER = "# autograder: skip"
MAX_SUBMITTED_OUTPUT_CHARS = 200_000  # a skipped cell's submitted outputs kept, per cell
MAX_CELL_MESSAGES = 5_000  # messages kept per cell (every type but status)
MAX_NOTEBOOK_OUTPUT_CHARS = 20_000_000  # output kept for the whole notebook


def _approx_size(value, limit: int = 50_000_000) -> int:
    """Characters in a message's content (strings, keys, numbers), counted up to `limit`."""
    total, stack = 0, [value]
    while stack and total < limit:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray, memoryview)):
            total += len(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            total += 8
    return total


_error_output = verdict.failure_output


def _is_test_cell(cell) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


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
    # asked of what the kernel can import: the installation's paths and the meta-path finders
    # (builtins, editable installs such as lstm_course), never the grader's own sys.path, whose
    # course directory and repository folders (tools/, tests/ ...) the kernel never sees
    prefixes = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    installed = [p for p in sys.path if p and any(
        os.path.realpath(p) == pre or os.path.realpath(p).startswith(pre + os.sep) for pre in prefixes)]
    finders = [f for f in sys.meta_path if f is not importlib.machinery.PathFinder
               and hasattr(f, "find_spec")]
    try:
        if importlib.machinery.PathFinder.find_spec(name, installed) is not None:
            return name
        return name if any(f.find_spec(name, None) is not None for f in finders) else None
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


# What the grader parses of a student's code, bounded: parsing costs the grader (outside the
# sandbox) about 500 bytes of memory per byte of source, and the gradebook lock is held meanwhile.
MAX_CHECKED_CHARS = 100_000  # one cell; an honest answer cell is a few KB
MAX_CHECKED_PY_BYTES = 1_000_000  # all submitted .py files together


def _checked_uses(source: str, reserved: dict) -> list[str]:
    """own_work.find_reserved_uses, or a finding when the source is too large to check."""
    if len(source) > MAX_CHECKED_CHARS:
        return [f"{len(source) >> 10} KB of code, over the {MAX_CHECKED_CHARS // 1000} KB the grader "
                "checks for own work"]
    return own_work.find_reserved_uses(source, reserved)


def _parsed(source: str) -> ast.Module | None:
    """A cell as IPython runs it, parsed; None if it does not parse."""
    try:
        return ast.parse(own_work._as_python(source))
    except SyntaxError:
        return None


def names_computed(source: str) -> set[str]:
    """Names a cell binds or changes at the top: assignments, loop targets, and the objects it
    stores into (`histories["lstm"] = ...`, `x.attr = ...`) or calls a method of (`x.append`)."""
    tree = _parsed(source)
    if tree is None:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node.value
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                found.add(base.id)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name)):
            found.add(node.func.value.id)
    return found - _imported(tree)


def _imported(tree: ast.Module) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}


def names_imported(source: str) -> set[str]:
    """Names a cell binds by importing (np, keras ...): calling their methods changes no result."""
    tree = _parsed(source)
    return set() if tree is None else _imported(tree)


def names_read(source: str) -> set[str]:
    """Global names a cell reads (at the top, or free in its functions) that it does not bind."""
    import symtable  # noqa: PLC0415

    try:
        table = symtable.symtable(own_work._as_python(source), "<cell>", "exec")
    except SyntaxError:
        return set()
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    pending = list(table.get_children())
    while pending:
        child = pending.pop()
        pending.extend(child.get_children())
        read |= {s.get_name() for s in child.get_symbols()
                 if s.is_referenced() and (s.is_global() or s.is_free()) and not s.is_local()}
    return read - bound


class SandboxedExecute(Execute):
    """Execute preprocessor that runs the kernel in the sandbox (see module docstring)."""

    use_sandbox = Bool(True, help="Run the kernel in the sandbox (False: --allow-unsandboxed)"
                       ).tag(config=True)
    isolation_kind = Unicode("bubblewrap", help="bubblewrap, or pod: a container where bwrap cannot "
                             "run; the kernel still gets its own uid, limits and clean-up (sandbox.py)"
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
    reserved_functions = Dict(help="{assignment: {module: [function, ...]}}: functions students "
                              "must write themselves; default: lstm_course.own_work.RESERVED"
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
        self._specs = self._test_specs(nb, resources, record)
        workdir = resources.get("metadata", {}).get("path") or "."
        self._own_work = self._own_work_findings(nb, resources["nbgrader"]["assignment"], record,
                                                 Path(workdir), self._release_parts(resources))
        self._skipped = self._skipped_cells(nb, resources, record)
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
        if self.use_sandbox and self.isolation_kind == "pod":
            (scratch / "home" / "tmp").mkdir()  # its TMPDIR: the pod's /tmp is shared
        copied = self._copy_student_files(Path(workdir), scratch, record)
        if self.use_sandbox:
            limits = sandbox.Limits(memory_mb=self.memory_mb, max_processes=self.max_processes,
                                    max_file_mb=self.max_file_mb, scratch_mb=self.scratch_mb)
            cgroups = sandbox.CgroupSet(f"grading-{base.name}", limits)
            ipc_dir = base / "ipc"
            ipc_dir.mkdir()
            self._spec = sandbox.SandboxSpec(scratch, uid, limits,
                                             sandbox.trusted_readonly_paths(), cgroups, ipc_dir,
                                             overlays=self._course_overlay(base, resources, record),
                                             kind=self.isolation_kind)
            record["isolation"] = self.isolation_kind
            for path in [scratch, *scratch.rglob("*")]:
                os.chown(path, uid, uid, follow_symlinks=False)
            if self.isolation_kind == "pod":
                # no bwrap to make the path to them: the kernel's uid may pass through (not list)
                # the base directory, and no other kernel's uid may enter its own directories
                os.chmod(base, 0o711)
                for own in (scratch, ipc_dir):
                    os.chmod(own, 0o700)
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
        # a kernel that wedges the client itself (e.g. garbage written into its own sockets) is
        # killed shortly after the notebook's time limit; the client then sees a dead kernel
        watchdog = threading.Timer(self.notebook_time_limit + 30, self._stop_kernel)
        watchdog.daemon = True
        watchdog.start()
        try:
            self._execute_notebook(nb, resources, km)
        finally:
            watchdog.cancel()
            record["seconds"] = round(time.monotonic() - started, 2)
            self._stop_kernel()
            if cgroups is not None:
                record["cgroup_stats"] = cgroups.stats()
                cgroups.remove()
            if self._spec is not None and self._spec.kind == "pod":
                # no pid namespace or private /tmp: end and delete whatever the uid left behind
                record["pod_cleanup"] = sandbox.clean_up_uid(uid)
            if mounted:
                sandbox.unmount_scratch(scratch)
            shutil.rmtree(base, ignore_errors=True)
            resources["metadata"]["path"] = workdir
            record["sanitised"] = sanitize.clean_notebook(nb)
            every = [spec for specs in self._specs.values() for spec in specs]
            visible = [spec["expression"] for spec in every if not spec["hidden"]]
            # a hidden expression that is part of a visible one is no secret (and must not
            # mangle the visible check's PASS line)
            hidden = sorted({spec["expression"] for spec in every if spec["hidden"]
                             and not any(spec["expression"] in text for text in visible)},
                            key=len, reverse=True)
            scrubbed = sanitize.scrub_outputs(nb, hidden)
            if scrubbed:
                record["events"].append(f"{scrubbed} output(s) quoted a hidden test's expression; "
                                        "it was replaced by [hidden test]")
            if GRADEBOOK_LOCK is not None:
                GRADEBOOK_LOCK.acquire()
            self._write_record(record)
        return nb, resources

    def _reserved(self, assignment: str) -> dict:
        if assignment in self.reserved_functions:
            return dict(self.reserved_functions[assignment])
        return course_copy.reserved_for(assignment)

    def _course_overlay(self, base: Path, resources, record) -> list:
        """The course package with this assignment's reserved functions raising, bound over it."""
        reserved = self._reserved(resources["nbgrader"]["assignment"])
        if not reserved:
            return []
        import lstm_course  # noqa: PLC0415

        real = Path(lstm_course.__file__).resolve().parent
        copy = course_copy.build(reserved, base / "course" / real.name, real)
        os.chmod(base / "course", 0o755)
        record["reserved_in_kernel"] = {m: sorted(n) for m, n in reserved.items()}
        return [(str(copy), str(real))]

    def _test_specs(self, nb, resources, record) -> dict:
        """Each test cell's expectations, from the gradebook's copy of the cell (never the
        student's); the student's copy is also put back. LegacyTestCell if a cell is not
        written as expectations."""
        nbg = resources["nbgrader"]
        specs = {}
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
                specs[grade_id] = verdict.specs_for(source, grade_id, nbg["notebook"])
        return specs

    def _skipped_cells(self, nb, resources, record) -> dict:
        """{grade_id: the student's submitted outputs} of the cells not to run: locked cells whose
        gradebook source (the author's, never the student's) starts with SKIP_MARKER."""
        nbg = resources["nbgrader"]
        marked, computed = set(), set()
        with Gradebook(nbg["db_url"]) as gb:
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if cell.cell_type != "code" or not grade_id or _is_test_cell(cell):
                    continue
                try:
                    source = gb.find_source_cell(grade_id, nbg["notebook"], nbg["assignment"])
                except MissingEntry:
                    continue
                if source.locked and source.source.lstrip().startswith(SKIP_MARKER):
                    marked.add(grade_id)
                    computed |= names_computed(source.source)
        if not marked:
            return {}
        computed -= {name for cell in nb.cells if cell.cell_type == "code" for name in names_imported(cell.source)}
        # an honest cell may read what a marked cell computes (print(histories["lstm"]) in an answer
        # cell): then skipping would break it, so this submission runs every cell
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if cell.cell_type != "code" or _is_test_cell(cell) or (grade_id and not utils.is_solution(cell)):
                continue
            needed = (sorted(names_read(cell.source) & computed) if len(cell.source) <= MAX_CHECKED_CHARS
                      else ["(a cell too large to analyse)"])
            if needed:
                where = f"answer cell {grade_id}" if grade_id else "a cell you added"
                record["events"].append(f"the cells marked '{SKIP_MARKER}' were run, because {where} "
                                        f"uses {', '.join(needed)}, which they compute")
                return {}
        submitted = {}
        path = Path(self.submitted_dir) / f"{nbg['notebook']}.ipynb" if self.submitted_dir else None
        try:  # the outputs the student saw; the notebook was size-checked before grading started
            cells = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4).cells if path else []
            for cell in cells:
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                outputs = cell.get("outputs")
                if grade_id in marked and grade_id not in submitted and isinstance(outputs, list):
                    submitted[grade_id] = outputs
        except Exception as exc:  # noqa: BLE001 - any unreadable submission: show no outputs, say why
            record["events"].append(f"could not read the submitted outputs of skipped cells: {exc}")
        return {grade_id: submitted.get(grade_id, []) for grade_id in marked}

    def _show_skipped_cell(self, cell, outputs: list) -> None:
        """The student's own outputs of a skipped cell, labelled, only the kinds a notebook shows."""
        note = NotebookNode(output_type="stream", name="stdout",
                            text="[not re-run by the autograder (marked in the assignment); the outputs "
                                 "below are as the student submitted them]\n")
        kept, size = [], 0
        for output in outputs:
            if not isinstance(output, dict) or output.get("output_type") not in (
                    "stream", "display_data", "execute_result"):
                continue
            size += _approx_size(output)
            if size > MAX_SUBMITTED_OUTPUT_CHARS:
                kept.append(NotebookNode(output_type="stream", name="stdout",
                                         text="[further submitted output dropped: too large]\n"))
                break
            output = {k: v for k, v in output.items() if k in ("output_type", "name", "text", "data",
                                                                "metadata", "execution_count")}
            if output["output_type"] == "execute_result":
                output["execution_count"] = None
            kept.append(nbformat.from_dict(output))
        cell.outputs = [note, *kept]
        cell.execution_count = None

    def _release_parts(self, resources) -> dict:
        """{answer grade_id: [test grade_ids]}: the test cells after each answer cell up to the next
        one, in the RELEASE's order (the gradebook's), whatever order the student left them in."""
        nbg = resources["nbgrader"]
        try:
            with Gradebook(nbg["db_url"]) as gb:
                cells = repair.released_cells(gb, nbg["notebook"], nbg["assignment"])
        except MissingEntry:
            return {}
        parts, current = {}, None
        for cell in cells:
            if cell.solution and cell.cell_type == "code":
                current = parts.setdefault(cell.name, [])
            elif cell.grade and not cell.solution and current is not None:
                current.append(cell.name)
        return parts

    def _own_work_findings(self, nb, assignment: str, record, workdir: Path | None = None,
                           parts: dict | None = None) -> dict:
        """{test grade_id: reason} for the parts that use a reserved function: an answer cell's
        part from the release's order (moving cells changes nothing); a cell the student added,
        the part it sits in; and, wherever the use is (a submitted .py file too), every test cell
        whose expressions call the reserved function used."""
        reserved = self._reserved(assignment)
        if not reserved:
            return {}
        tests = {cell.metadata.nbgrader["grade_id"]: " ".join(s["expression"] for s in
                                                             self._specs.get(cell.metadata.nbgrader["grade_id"], []))
                 for cell in nb.cells if cell.cell_type == "code" and _is_test_cell(cell)}
        names = {name for functions in reserved.values() for name in functions}

        def by_name(findings, reason):
            used = {n for n in names for f in findings if re.search(rf"\b{re.escape(n)}\b", f)}
            for grade_id, expressions in tests.items():
                if any(re.search(rf"\b{re.escape(n)}\s*\(", expressions) for n in used):
                    flagged.setdefault(grade_id, reason)

        flagged, current = {}, None
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            nbg = cell.metadata.get("nbgrader", {})
            if _is_test_cell(cell):
                if current is not None:
                    flagged.setdefault(cell.metadata.nbgrader["grade_id"], current)
                continue
            answer = utils.is_solution(cell)
            if not answer and nbg.get("grade_id"):
                continue  # a given cell: the author's code (restored from the gradebook)
            findings = _checked_uses(cell.source, reserved)
            where = (f"answer cell {nbg.get('grade_id', '?')}" if answer
                     else "a cell you added")
            reason = (f"{where} uses what this assignment asks you to write: "
                      + "; ".join(findings)) if findings else None
            if findings:
                record["events"].append(f"own work: {reason}")
                by_name(findings, reason)
                for grade_id in (parts or {}).get(nbg.get("grade_id"), []) if answer else []:
                    flagged.setdefault(grade_id, reason)
            if answer or findings:
                current = reason if answer or current is None else current
        budget = MAX_CHECKED_PY_BYTES
        for path in sorted(workdir.rglob("*.py")) if workdir is not None and workdir.is_dir() else []:
            if path.is_symlink() or not path.is_file():
                continue
            budget -= path.stat().st_size
            if budget < 0:
                findings = [f"more than {MAX_CHECKED_PY_BYTES >> 10} KB of .py files: the rest "
                            "cannot be checked for own work"]
            else:
                findings = _checked_uses(path.read_text(errors="replace"), reserved)
            if findings:
                reason = (f"your file {path.relative_to(workdir)} uses what this assignment asks you "
                          "to write: " + "; ".join(findings))
                record["events"].append(f"own work: {reason}")
                by_name(findings, reason)
                if budget < 0:
                    flagged.update({grade_id: reason for grade_id in tests})
                    break
        return flagged

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
        if self._spec is not None and self._spec.kind == "pod":
            sandbox.kill_uid(self._spec.uid)
        try:
            from jupyter_core.utils import run_sync  # noqa: PLC0415

            run_sync(km.cleanup_resources)()
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
        self.store_widget_state = False  # widget state is student data the grader need not hold
        self._notebook_chars = 0
        cell_timeout = self.timeout
        deadline = time.monotonic() + self.notebook_time_limit
        stopped_reason = None
        record = self._record
        timing = record.setdefault("timing_s", {"startup": 0.0, "kernel": 0.0, "verdict": 0.0})
        started_kernel = time.monotonic()
        with self.setup_kernel():
            self.wait_for_reply(self.kc.kernel_info())
            # the kernel answered, so its sockets exist: freeze the socket directory
            self.km.lock_ipc_dir()
            # the guard only sets up sys.path (the student's modules after the installed ones)
            # and reports tampering at the end: telemetry, never a verdict
            bootstrap = self._run_silent(guard.BOOTSTRAP, self.guard_timeout)
            guard_ready = bool(bootstrap and bootstrap["content"]["status"] == "ok")
            if not guard_ready:
                record["events"].append("integrity guard (telemetry only) did not start")
            timing["startup"] = round(time.monotonic() - started_kernel, 2)
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                is_test = _is_test_cell(cell)
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                entry = {"index": index, "test": is_test, "grade_id": grade_id}
                record["cells"].append(entry)
                if stopped_reason is None and time.monotonic() >= deadline:
                    stopped_reason = (f"the notebook's time limit ({self.notebook_time_limit} s) "
                                      "was reached")
                if stopped_reason is not None:
                    cell.outputs = [_error_output("NotRun", stopped_reason)]
                    entry.update(outcome="not run", reason=stopped_reason)
                    continue
                if grade_id in self._skipped and not is_test:
                    self._show_skipped_cell(cell, self._skipped[grade_id])
                    entry["outcome"] = "skipped (marked in the assignment)"
                    continue
                self.timeout = max(1, min(cell_timeout, int(deadline - time.monotonic())))
                started = time.monotonic()
                if is_test:
                    death = self._grade_test_cell(cell, entry, grade_id)
                else:
                    death = self._run_student_cell(cell, index, entry)
                entry["seconds"] = round(time.monotonic() - started, 2)
                timing["verdict" if is_test else "kernel"] = round(
                    timing["verdict" if is_test else "kernel"] + entry["seconds"], 2)
                if death is not None:
                    stopped_reason = f"not run: the kernel stopped in an earlier cell ({death})"
                    cell.outputs.append(_error_output("KernelStopped", death))
                    entry.update(outcome="kernel stopped", reason=death)
                    record["events"].append(f"cell {index}: {death}")
            if guard_ready and stopped_reason is None:
                found = self._guard("after")
                if not (isinstance(found, dict) and isinstance(found.get("changed"), list)
                        and isinstance(found.get("foreign"), list)):
                    record["guard_findings"].append({"telemetry": "the guard did not answer"})
                elif found["changed"] or found["foreign"]:
                    record["guard_findings"].append(
                        {"telemetry": [str(f)[:200] for f in (found["changed"] + found["foreign"])[:20]]})
            if self._cgroups is not None and stopped_reason is None:
                # bwrap's two processes and the kernel are expected; the rest the student started
                record["processes_left_at_end"] = max(0, len(self._cgroups.pids()) - 3)
            if stopped_reason is not None:
                tail = self.km.stderr_tail() if hasattr(self.km, "stderr_tail") else ""
                if tail.strip():
                    record["kernel_stderr_tail"] = tail[-2000:]

    def _run_student_cell(self, cell, index, entry) -> str | None:
        """Run one of the student's cells as Jupyter would; the death reason if the kernel died."""
        self._last_reply, self._cell_chars, self._cell_messages, self._truncated = None, 0, 0, False
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
        if self._truncated:
            entry["output_truncated"] = True
        reply = self._last_reply
        timed_out = bool(reply and reply["content"].get("ename") == "CellTimeoutError")
        if timed_out:
            entry["timed_out"] = True
            if death is None and self._run_silent("pass", self.interrupt_grace) is None:
                death = (f"cell timed out after {self.timeout} s and the kernel ignored the "
                         "interrupt; it was stopped")
                self._stop_kernel()
        if death is None:
            status = reply["content"]["status"] if reply else "no reply"
            entry["outcome"] = "timed out" if timed_out else status
        return death

    def _grade_test_cell(self, cell, entry, grade_id) -> str | None:
        """Probe every expectation of a test cell, judge here, write the verdict as outputs."""
        specs = self._specs.get(grade_id)
        if specs is None:  # a test cell the gradebook does not know cannot be graded
            cell.outputs = [_error_output("NotGraded", "this test cell is not in the gradebook")]
            entry.update(outcome="failed", reason="not in the gradebook")
            return None
        if grade_id in self._own_work:
            reason = self._own_work[grade_id]
            cell.outputs = [_error_output("OwnWork", f"0 points for this part: {reason}")]
            entry.update(outcome="own-work", reason=reason, hint=reason)
            return None
        cell_deadline = time.monotonic() + self.timeout
        values, death = [], None
        for spec in specs:
            remaining = int(cell_deadline - time.monotonic())
            if death is not None or remaining < 1:
                values.append(verdict.ProbeFailure(
                    "the kernel stopped" if death else f"the test's time limit ({self.timeout} s) was reached"))
                continue
            reply = self._request(verdict.probe_request(spec["expression"]), remaining)
            if reply is None:
                if self._request_saw_death or not self._alive():
                    death = self._death_reason()
                    values.append(verdict.ProbeFailure(f"the kernel stopped: {death}"))
                    continue
                entry["timed_out"] = True
                values.append(verdict.ProbeFailure(f"the test timed out ({remaining} s)"))
                if self._run_silent("pass", self.interrupt_grace) is None:
                    death = (f"a test timed out after {remaining} s and the kernel ignored the "
                             "interrupt; it was stopped")
                    self._stop_kernel()
                continue
            values.append(verdict.read_probe_reply(reply))
        judged = verdict.judge(specs, values)
        cell.outputs = verdict.verdict_outputs(specs, judged)
        entry["checks"] = [{"line": c.line, "hidden": c.hidden, "passed": c.passed,
                            "message": c.message} for c in judged.checks]
        if judged.passed:
            entry["outcome"] = "passed"
        else:
            entry.update(outcome="failed", reason=judged.hint, hint=judged.hint)
        return death

    def _request(self, request: dict, timeout: int):
        """One silent request (a probe) and its reply; None on timeout (the kernel was
        interrupted) or a dead kernel."""
        saved = self.timeout
        self.timeout = timeout
        self._request_saw_death = False
        try:
            msg_id = self.kc.execute(**request)
            return self.wait_for_reply(msg_id)
        except DeadKernelError:
            self._request_saw_death = True
            return None
        except Exception:  # noqa: BLE001 - timeout or dead kernel: the caller decides
            return None
        finally:
            self.timeout = saved

    # ---------------------------------------------------------------- kernel helpers
    def on_cell_executed(self, **kwargs):
        self._last_reply = kwargs["execute_reply"]
        super().on_cell_executed(**kwargs)

    def process_message(self, msg, cell, cell_index):
        """Count every message (all types: streams, displays, display updates, errors, comms) as
        it arrives, and drop it beyond the caps; only `status` (the end of a cell) always passes."""
        if msg.get("msg_type") == "status":
            return super().process_message(msg, cell, cell_index)
        size = _approx_size(msg.get("content")) + sum(len(b) for b in msg.get("buffers") or [])
        self._cell_chars = getattr(self, "_cell_chars", 0) + size
        self._cell_messages = getattr(self, "_cell_messages", 0) + 1
        self._notebook_chars = getattr(self, "_notebook_chars", 0) + size
        if self._cell_chars > self.max_output_chars or self._cell_messages > MAX_CELL_MESSAGES \
                or self._notebook_chars > MAX_NOTEBOOK_OUTPUT_CHARS:
            if not getattr(self, "_truncated", False):
                self._truncated = True
                cell.outputs.append(NotebookNode(
                    output_type="stream", name="stdout",
                    text=f"\n... output beyond the grader's limits ({self.max_output_chars} "
                         f"characters or {MAX_CELL_MESSAGES} messages per cell, "
                         f"{MAX_NOTEBOOK_OUTPUT_CHARS} per notebook) dropped ...\n"))
            return None
        return super().process_message(msg, cell, cell_index)

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
        """Whether the kernel's process still runs. (The async manager's is_alive() returns a
        coroutine, which is always truthy: ask the launched process itself.)"""
        try:
            proc = getattr(self.km.provisioner, "process", None) if self.km and self.km.provisioner else None
            return proc is not None and proc.poll() is None
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
