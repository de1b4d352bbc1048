"""The sandbox one submission's kernel runs in: bubblewrap + an unprivileged uid + cgroups + rlimits.

Layers, outermost first (each is verified by tests/test_safe_grading.py, not just configured):

* cgroups v1 (memory, pids, cpu), one set per kernel: a memory ceiling the kernel cannot exceed,
  a process/thread ceiling that stops fork bombs, an equal CPU share so a busy submission cannot
  starve the one graded beside it, and a list of every process the submission started, which is
  how everything is killed at the end.
* rlimits via ``prlimit``: file size, core dumps, open files, processes per uid (and address space
  when cgroups are missing).
* ``bwrap`` (run as root, so it can build mounts from root-only paths) unshares the mount, pid,
  network, ipc and uts namespaces: the only network is a private loopback; the file system holds
  the Python installation read-only and ONE writable scratch directory, and nothing of the course
  directory (no source/, no gradebook, no other submission); ``--die-with-parent`` and the pid
  namespace make every process die with the kernel.
* ``setpriv`` inside the sandbox drops to an unprivileged uid (one per worker slot) with no
  capabilities and no_new_privs, so even files bound into the sandbox are read as "nobody".

Inside a container where bubblewrap cannot run (a Kubernetes pod without user namespaces), the
``pod`` kind keeps every layer that needs no mount namespace: cgroups where writable, rlimits, the
unprivileged uid (setpriv), an explicit environment, the private scratch directory and, after the
kernel, every process and temporary file of that uid removed (``kill_uid``, ``remove_files_of``).
What it cannot give (a private file system, network and pid namespace) is listed in
docs/scaling.md; the grader refuses pod mode where it cannot switch uids (``can_switch_uid``).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from . import syscall_filter

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu")
SCRATCH_PARENT = Path("/tmp/grading-scratch")  # root-owned 0711; one subdirectory per kernel
BASE_SANDBOX_UID = 61000  # uid/gid = base + worker slot; unused by any account on the machine


@dataclasses.dataclass
class Limits:
    """Resource limits for one submission's kernel."""

    memory_mb: int = 3072
    max_processes: int = 256  # processes AND threads (TensorFlow starts ~30 threads)
    max_file_mb: int = 256
    max_open_files: int = 1024
    tmpfs_mb: int = 512  # the sandbox's private /tmp
    shm_mb: int = 64  # the sandbox's private /dev/shm
    scratch_mb: int = 1024  # the working directory (a tmpfs: its pages count as memory too)


@dataclasses.dataclass
class SandboxSpec:
    """Everything needed to start one sandboxed kernel."""

    scratch_dir: Path  # the writable working directory, bound at the same path inside
    uid: int
    limits: Limits
    readonly_paths: list[str]
    cgroups: "CgroupSet | None" = None
    ipc_dir: Path | None = None  # the kernel's sockets; locked once the kernel has started
    overlays: list = dataclasses.field(default_factory=list)  # (source, target): read-only binds
    kind: str = "bubblewrap"  # or "pod": the same uid, rlimits and cgroups without bwrap's namespaces


def trusted_readonly_paths() -> list[str]:
    """Directories a kernel needs to read: the interpreter, the venv and editable packages.

    Only these are visible: the course directory is deliberately NOT among them.
    """
    paths = {"/usr", os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(os.path.realpath(sysconfig.get_paths()[key]))
    # editable installs (e.g. lstm_course -> /work/main/lstm_course): bind the package dir only,
    # never the repository around it (which holds solutions/ with the hidden tests)
    try:
        import lstm_course  # noqa: PLC0415

        paths.add(os.path.dirname(os.path.realpath(lstm_course.__file__)))
    except ImportError:
        pass
    return sorted(_drop_nested(paths))


def _drop_nested(paths: set[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(paths):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


# The exact names a kernel may inherit from the grader; no prefixes (a `TF_*` rule once carried
# an unrelated TF_API_TOKEN into the sandbox). Everything else is cleared by bwrap --clearenv.
PASSTHROUGH_ENV = (
    "NBGRADER_EXECUTION", "PYTHONHASHSEED", "KERAS_BACKEND",
    "OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
    "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "TF_DETERMINISTIC_OPS",
)


def passthrough_env() -> dict[str, str]:
    """The few variables a kernel gets from the grader (PASSTHROUGH_ENV, exactly)."""
    return {name: os.environ[name] for name in PASSTHROUGH_ENV if name in os.environ}


def kernel_env(spec: SandboxSpec, env: dict[str, str]) -> dict[str, str]:
    """The kernel's whole environment: ``env`` (the passthrough) and fixed paths in its scratch."""
    scratch = str(spec.scratch_dir)
    home = f"{scratch}/home"
    tmp = "/tmp" if spec.kind == "bubblewrap" else f"{home}/tmp"  # pod: /tmp is shared
    if spec.kind == "pod" and spec.overlays:
        # no mount namespace to bind the course copy over the package: put it first on the path
        env = {**env, "PYTHONPATH": os.pathsep.join(os.path.dirname(src) for src, _ in spec.overlays)}
    return {**env, "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
            "TMPDIR": tmp, "PYTHONNOUSERSITE": "1", "MPLCONFIGDIR": f"{home}/.mpl",
            "JUPYTER_RUNTIME_DIR": f"{home}/.runtime", "IPYTHONDIR": f"{home}/.ipython",
            "USER": "sandbox"}


def sandbox_command(spec: SandboxSpec, inner: list[str], env: dict[str, str]) -> list[str]:
    """The kernel's command line for the spec's kind (bubblewrap, or pod without namespaces)."""
    if spec.kind == "pod":
        return _limits_prefix(spec) + ["--", *_as_kernel_user(spec.uid, inner)]
    return bwrap_command(spec, inner, env)


def _limits_prefix(spec: SandboxSpec) -> list[str]:
    """cgroup attach and rlimits: every descendant of the kernel inherits both."""
    lim = spec.limits
    cmd: list[str] = []
    if spec.cgroups is not None and spec.cgroups.paths:
        # the shell puts itself in the cgroups, then execs the rest: every descendant inherits them
        procs_files = spec.cgroups.procs_files()
        script = "".join(f'echo $$ > "${i + 1}" && ' for i in range(len(procs_files)))
        script += f"shift {len(procs_files)} && exec \"$@\""
        cmd += ["/bin/sh", "-c", script, "sandbox-attach", *procs_files]
    cmd += ["prlimit",
            f"--fsize={lim.max_file_mb * 2**20}", "--core=0",
            f"--nofile={lim.max_open_files}", f"--nproc={lim.max_processes}"]
    if spec.cgroups is None or not spec.cgroups.has("memory"):
        # without a memory cgroup, cap the address space instead (cruder: counts reservations)
        cmd.append(f"--as={lim.memory_mb * 4 * 2**20}")
    return cmd


def _as_kernel_user(uid: int, inner: list[str]) -> list[str]:
    """``inner`` under the syscall filter, as ``uid`` without privileges (both sandbox kinds)."""
    return syscall_filter.wrap([*_drop_privileges(uid), *inner], sys.executable)


def _drop_privileges(uid: int) -> list[str]:
    """setpriv: the unprivileged uid and gid, no groups, no capabilities, no_new_privs."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


def bwrap_command(spec: SandboxSpec, inner: list[str], env: dict[str, str]) -> list[str]:
    """The full command line: cgroup attach, rlimits, bwrap, setpriv, then ``inner``."""
    scratch = str(spec.scratch_dir)
    lim = spec.limits
    cmd: list[str] = _limits_prefix(spec)
    cmd += ["--", "bwrap",
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--hostname", "sandbox", "--clearenv",
            "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(lim.tmpfs_mb * 2**20), "--tmpfs", "/tmp",
            # POSIX semaphores and shared memory (multiprocessing.Pool, joblib) live in /dev/shm
            "--perms", "1777", "--size", str(lim.shm_mb * 2**20), "--tmpfs", "/dev/shm",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin"]
    made: set[str] = {"/", "/tmp", "/proc", "/dev"}
    writable = [scratch] + ([str(spec.ipc_dir)] if spec.ipc_dir is not None else [])
    for path in [*spec.readonly_paths, *writable]:
        for parent in reversed(Path(path).parents):
            p = str(parent)
            if p not in made:
                # bwrap would create missing parents 0700 (root-only); make them traversable
                cmd += ["--perms", "0755", "--dir", p]
                made.add(p)
        made.add(path)
    for path in spec.readonly_paths:
        cmd += ["--ro-bind", path, path]
    for source, target in spec.overlays:
        cmd += ["--ro-bind", source, target]  # bound later, so it hides what is at `target`
    for etc_file in ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/hosts"):
        cmd += ["--ro-bind-try", etc_file, etc_file]
    for path in writable:
        cmd += ["--bind", path, path]
    cmd += ["--chdir", scratch]
    for key, value in kernel_env(spec, env).items():
        cmd += ["--setenv", key, value]
    cmd += _as_kernel_user(spec.uid, inner)
    return cmd


class CgroupSet:
    """One cgroup per controller (memory, pids, cpu) for one kernel, under our own cgroup."""

    def __init__(self, name: str, limits: Limits):
        self.paths: dict[str, Path] = {}
        for controller in CONTROLLERS:
            parent = _own_cgroup(controller)
            if parent is None:
                continue
            path = parent / name
            try:
                path.mkdir(exist_ok=True)
            except OSError:
                continue
            self.paths[controller] = path
        if "memory" in self.paths:
            limit = str(limits.memory_mb * 2**20)
            (self.paths["memory"] / "memory.limit_in_bytes").write_text(limit)
            memsw = self.paths["memory"] / "memory.memsw.limit_in_bytes"
            if memsw.exists():  # memory+swap: swapping out does not escape the ceiling
                try:
                    memsw.write_text(limit)
                except OSError:
                    pass
        if "pids" in self.paths:
            (self.paths["pids"] / "pids.max").write_text(str(limits.max_processes))

    def has(self, controller: str) -> bool:
        return controller in self.paths

    def procs_files(self) -> list[str]:
        return [str(p / "cgroup.procs") for p in self.paths.values()]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.paths.values():
            try:
                found |= {int(x) for x in (path / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def stats(self) -> dict[str, int]:
        """Evidence for the report: OOM kills, refused forks, peak memory."""
        out: dict[str, int] = {}
        mem = self.paths.get("memory")
        if mem is not None:
            for line in _read(mem / "memory.oom_control").splitlines():
                if line.startswith("oom_kill "):
                    out["oom_kills"] = int(line.split()[1])
            peak = _read(mem / "memory.max_usage_in_bytes").strip()
            if peak:
                out["peak_memory_mb"] = int(peak) // 2**20
        pids = self.paths.get("pids")
        if pids is not None:
            for line in _read(pids / "pids.events").splitlines():
                if line.startswith("max "):
                    out["forks_refused"] = int(line.split()[1])
        return out

    def kill_all(self, timeout: float = 10.0) -> int:
        """SIGKILL every process left in the cgroups; returns how many were found."""
        return kill_until_gone(self.pids, timeout)

    def remove(self) -> None:
        self.kill_all()
        for path in self.paths.values():
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def mount_scratch(path: Path, uid: int, size_mb: int) -> bool:
    """Make ``path`` a tmpfs of ``size_mb`` owned by ``uid``: a submission cannot fill the disk,
    and what it writes is charged to its memory cgroup. False where mounting is not allowed."""
    run = subprocess.run(["mount", "-t", "tmpfs", "-o",
                          f"size={size_mb}m,mode=0700,uid={uid},gid={uid},nosuid,nodev",
                          "grading-scratch", str(path)], capture_output=True)
    return run.returncode == 0


def unmount_scratch(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def sweep_stale(scratch_parent: Path = SCRATCH_PARENT) -> int:
    """Remove cgroups and scratch directories left by grading workers that no longer exist
    (e.g. killed with SIGKILL). Names start with the worker's pid. Returns how many."""
    def dead(name: str) -> bool:
        pid = name.removeprefix("grading-").split("-", 1)[0]
        return pid.isdigit() and not Path(f"/proc/{pid}").exists()

    removed = 0
    for controller in CONTROLLERS:
        parent = _own_cgroup(controller)
        for path in parent.glob("grading-*") if parent is not None else []:
            if dead(path.name):
                leftover = CgroupSet.__new__(CgroupSet)
                leftover.paths = {controller: path}
                leftover.remove()
                removed += 1
    if scratch_parent.is_dir():
        for path in scratch_parent.iterdir():
            if dead(path.name):
                if (path / "work").is_mount():
                    unmount_scratch(path / "work")
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
    return removed


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _own_cgroup(controller: str) -> Path | None:
    """The directory of this process's cgroup for a v1 controller, if writable."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, rel = line.split(":", 2)
        if controller in names.split(","):
            path = CGROUP_ROOT / controller / rel.lstrip("/")
            if path.is_dir() and os.access(path, os.W_OK):
                return path
    return None


@dataclasses.dataclass
class Probe:
    """What this machine offers; ``ok`` is False when untrusted code must not be graded."""

    ok: bool
    reasons: list[str]
    cgroups: list[str]

    def summary(self) -> str:
        have = ", ".join(self.cgroups) or "none"
        return ("sandbox available (bwrap + unprivileged uid + namespaces; cgroups: " + have + ")"
                if self.ok else "NO SANDBOX: " + "; ".join(self.reasons))


def probe(scratch_parent: Path | None = None) -> Probe:
    """Try the sandbox for real: start ``/bin/true``-like Python in it and check what it sees."""
    reasons: list[str] = []
    if os.geteuid() != 0:
        reasons.append("the grader is not root, so it cannot switch the kernel to another uid "
                       "or build the sandbox's mounts (run it as root, e.g. in the grading container)")
    for tool in ("bwrap", "prlimit", "setpriv"):
        if shutil.which(tool) is None:
            reasons.append(f"'{tool}' is not installed (apt-get install -y bubblewrap util-linux)")
    cgroups = [c for c in CONTROLLERS if _own_cgroup(c) is not None]
    if reasons:
        return Probe(False, reasons, cgroups)
    import tempfile  # noqa: PLC0415

    base = Path(tempfile.mkdtemp(prefix="grading-probe-", dir=scratch_parent))
    try:
        scratch = base / "work"
        scratch.mkdir()
        os.chown(scratch, BASE_SANDBOX_UID, BASE_SANDBOX_UID)
        spec = SandboxSpec(scratch, BASE_SANDBOX_UID, Limits(), trusted_readonly_paths())
        code = ("import os,socket;print(os.getuid(), len(socket.if_nameindex()), "
                "os.path.exists(%r))" % str(Path.cwd()))
        cmd = bwrap_command(spec, [sys.executable, "-c", code], {})
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            reasons.append("bwrap could not start a sandbox here: " + run.stderr.strip()[-300:])
        else:
            uid, interfaces, *_ = run.stdout.split()
            if int(uid) != BASE_SANDBOX_UID:
                reasons.append(f"sandboxed code ran as uid {uid}")
            if int(interfaces) != 1:
                reasons.append("sandboxed code saw network interfaces besides loopback")
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        reasons.append(f"sandbox probe failed: {exc}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return Probe(not reasons, reasons, cgroups)


# ------------------------------------------------------------------ pod mode: one uid, no namespaces
def processes_of(uid: int) -> set[int]:
    """Pids whose real or effective uid is ``uid`` (read from /proc)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        for line in _read(entry / "status").splitlines():
            if line.startswith("Uid:"):
                if uid in {int(x) for x in line.split()[1:3]}:
                    found.add(int(entry.name))
                break
    return found


def kill_uid(uid: int, timeout: float = 10.0) -> int:
    """SIGKILL every process of ``uid`` until none is left (a submission's double-forked
    daemons included: without a pid namespace nothing else ends them). Returns how many."""
    if uid < BASE_SANDBOX_UID:  # never an account of the machine, whatever the caller passes
        raise ValueError(f"refusing to kill the processes of uid {uid}")
    return kill_until_gone(lambda: processes_of(uid), timeout)


def kill_until_gone(find, timeout: float = 10.0) -> int:
    """SIGKILL what ``find()`` lists until it lists nothing (or ``timeout``); returns how many."""
    killed: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = find()
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)
    return len(killed)


def clean_up_uid(uid: int) -> dict:
    """Pod mode after a kernel (or at a batch's start): its uid's processes, temporary files and
    System V IPC objects, removed; how many of each."""
    return {"processes_killed": kill_uid(uid), "files_removed": remove_files_of(uid),
            "ipc_objects_removed": remove_ipc_of(uid)}


SHARED_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")
# System V IPC objects outlive their processes (no ipc namespace in pod mode): (table, id column, ipcrm flag)
SYSV_IPC = (("shm", "shmid", "-m"), ("msg", "msqid", "-q"), ("sem", "semid", "-s"))


def remove_ipc_of(uid: int) -> int:
    """Delete the System V shared memory segments, message queues and semaphores that ``uid``
    created or owns (a 200 MB segment would otherwise pin memory, and pass notes to the next
    submission graded under the same uid). Returns how many."""
    if uid < BASE_SANDBOX_UID:
        raise ValueError(f"refusing to delete the IPC objects of uid {uid}")
    removed = 0
    for table, id_column, flag in SYSV_IPC:
        lines = _read(Path("/proc/sysvipc") / table).splitlines()
        if not lines:
            continue
        header = lines[0].split()
        for line in lines[1:]:
            row = dict(zip(header, line.split()))
            if str(uid) in (row.get("uid"), row.get("cuid")):
                run = subprocess.run(["ipcrm", flag, row[id_column]], capture_output=True)
                removed += run.returncode == 0
    return removed


def remove_files_of(uid: int, roots=SHARED_TEMP_DIRS) -> int:
    """Delete what ``uid`` left in the shared temporary directories (pod mode has no private
    /tmp), so the next submission graded under the same uid finds nothing. Symlinks are removed,
    never followed. Returns how many entries were removed."""
    if uid < BASE_SANDBOX_UID:
        raise ValueError(f"refusing to delete the files of uid {uid}")
    removed = 0
    # the uid can only have written where it may: its own directories (removed whole) and
    # world-writable ones, the only ones worth descending into
    for entry, info in _entries(roots, lambda info: info.st_uid != uid and bool(info.st_mode & 0o002)):
        if info.st_uid == uid:
            try:
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def _entries(roots, descend):
    """Every entry below ``roots`` with its lstat, never following a link; a directory is entered
    only if ``descend(its lstat)``."""
    pending = [root for root in roots if os.path.isdir(root)]
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode) and descend(info) and entry.path not in NOT_SCANNED:
                pending.append(entry.path)
            yield entry, info


def can_switch_uid() -> str | None:
    """None if this process can run a kernel as BASE_SANDBOX_UID (pod mode), else why not."""
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return f"'{tool}' is not installed (apt-get install -y util-linux)"
    try:
        run = subprocess.run([*_drop_privileges(BASE_SANDBOX_UID), sys.executable, "-c",
                              "import os; print(os.getuid(), os.getgid())"],
                             capture_output=True, text=True, timeout=60, cwd="/")
    except (OSError, subprocess.SubprocessError) as exc:
        return f"setpriv failed: {exc}"
    if run.returncode != 0 or run.stdout.split() != [str(BASE_SANDBOX_UID)] * 2:
        return ("the grader cannot switch a kernel to another uid (it needs to run as root with "
                "the capabilities SETUID, SETGID and SETPCAP): " + (run.stderr.strip()[-200:] or run.stdout))
    return None


def readable_by(uid: int, path: Path) -> str | None:
    """None if ``uid`` can neither list nor enter ``path`` (checked by running as that uid), else
    what it could do."""
    # listing needs read permission, and reaching a known name inside needs search permission
    code = ("import os, sys\n"
            "done = []\n"
            "for what, step in (('listed', os.listdir), ('entered', lambda p: os.stat(p + '/.'))):\n"
            "    try:\n        step(sys.argv[1]); done.append(what)\n"
            "    except PermissionError:\n        pass\n"
            "print(' and '.join(done) or 'denied')\n")
    run = subprocess.run([*_drop_privileges(uid), sys.executable, "-c", code, str(path)],
                         capture_output=True, text=True, timeout=60, cwd="/")
    if run.stdout.strip() == "denied":
        return None
    return (f"a kernel's uid {uid} can read {path} ({run.stdout.strip() or run.stderr.strip()[-200:]}); "
            "make it and its parents private to the grader (chmod 700)")


def interpreter_problem(uid: int) -> str | None:
    """None if ``uid``, with no capabilities left, can start this Python again (as student code
    that runs a subprocess or a spawned multiprocessing worker does); else why not. setpriv's own
    exec still holds the grader's capabilities, so the kernel itself starts either way."""
    run = subprocess.run([*_drop_privileges(uid), "/bin/sh", "-c", '"$0" -c "import sys"',
                          sys.executable], capture_output=True, text=True, timeout=60, cwd="/")
    if run.returncode == 0:
        return None
    return (f"uid {uid} cannot run {sys.executable} ({run.stderr.strip()[-160:]}): install Python "
            "where every user can read it (as a container image does), or student code that "
            "starts Python subprocesses will fail")


# Not scanned for copies of the hidden tests: the kernel's views of the system, and the software
# (the operating system, the Python installation), which a course does not write into.
NOT_SCANNED = ("/proc", "/sys", "/dev", "/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/boot",
               "/etc", "/run", "/var/lib", "/var/cache", "/var/log", "/snap")


def exposed_files(markers: list[str], roots=("/",), limit_bytes: int = 50 * 2**20) -> list[str]:
    """Files any user can read (mode bits for "other", every parent directory searchable by
    "other", which is what a kernel's uid without groups gets) that contain one of ``markers``
    (lines of an assignment's hidden tests), in any format stored as text (notebooks, exports,
    gradebooks), plus any readable git object store (whose compressed history may hold them). In
    pod mode there is no mount namespace, so such a file anywhere in the pod is within a
    submission's reach."""
    wanted = [m.encode() for m in markers if m]
    installed = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    found: list[str] = []
    for entry, info in _entries(roots if wanted else (), lambda info: bool(info.st_mode & 0o001)):
        if entry.name == ".git" and stat.S_ISDIR(info.st_mode) and info.st_mode & 0o005 == 0o005:
            found.append(entry.path + " (a git repository: its history may hold them)")
        elif (stat.S_ISREG(info.st_mode) and info.st_mode & 0o004 and info.st_size <= limit_bytes
                and not any(entry.path.startswith(p + os.sep) for p in installed)):
            try:
                with open(entry.path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            if any(m in data for m in wanted):
                found.append(entry.path)
    return sorted(found)
