"""Pod mode (issue 10's open point from issue 12): grading inside a container where bubblewrap
cannot run. Without namespaces the kernel still runs under its own unprivileged uid, with rlimits
and cgroups, an explicit environment and a private scratch directory; the batch closes the course
directory to that uid, and after every submission the uid's processes and temporary files are
removed. These tests grade the file-system, environment, process and temporary-file attacks of the
hostile suite in pod mode, on a course directory that starts out world-readable.

Needs root (to switch uids), like the sandbox tests; shares their xdist group because the sandbox
uids are machine-wide.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bad_submissions"))

from grading import runner, sandbox, shards  # noqa: E402
import generate  # noqa: E402

pytestmark = [pytest.mark.xdist_group("grading-sandbox"), pytest.mark.timeout(1800)]

UID_PROBLEM = sandbox.can_switch_uid() if os.geteuid() == 0 else "the tests do not run as root"
needs_uid_switch = pytest.mark.skipif(UID_PROBLEM is not None, reason=f"pod mode unavailable here: {UID_PROBLEM}")

# the attacks that bubblewrap's namespaces stop and pod mode must stop by other means
CASES = ["correct", "read_source", "read_hidden_tests", "write_gradebook", "symlink_escape",
         "environment", "descriptors", "detached_child", "grader_snoop", "reserved_import",
         "shadow_numpy", "untouched"]
LIMITS = {"memory_mb": 1536, "interrupt_grace": 5, "notebook_time_limit": 150, "scratch_mb": 256}


def _open_up(path: Path) -> list[tuple[Path, int]]:
    """Make ``path`` and its parents traversable and readable by everyone (as a careless course
    directory would be); returns the old modes to restore."""
    changed = []
    for p in [path, *path.parents]:
        if p == Path("/"):
            break
        mode = stat.S_IMODE(p.stat().st_mode)
        if mode & 0o005 != 0o005:
            changed.append((p, mode))
            p.chmod(mode | 0o005)
    return changed


@pytest.fixture(scope="module")
def pod_graded(tmp_path_factory):
    if UID_PROBLEM is not None:
        pytest.skip(f"pod mode unavailable here: {UID_PROBLEM}")
    course = tmp_path_factory.mktemp("pod") / "course"
    cases = generate.build_course(course, port=9, only=CASES)
    for path in [course, *course.rglob("*")]:
        path.chmod(stat.S_IMODE(path.stat().st_mode) | 0o005)  # world-readable, like a fresh clone
    restore = _open_up(course)
    assert sandbox.readable_by(sandbox.BASE_SANDBOX_UID, course) is not None  # open before grading
    mode_before = stat.S_IMODE(course.stat().st_mode)
    # the gradebook's URL as the Kubernetes manifest hands it to the grader: an environment variable
    os.environ["GRADEBOOK_URL"] = f"postgresql://grader:{generate.SECRET}@db/gradebook"
    # the scan for readable copies of the hidden tests covers the course's surroundings here; in a
    # pod it covers "/" (this development machine has the repository's solutions/ readable)
    scan_roots, runner.POD_SCAN_ROOTS = runner.POD_SCAN_ROOTS, (str(course.parent),)
    closed = {}
    real_check = runner.Batch._close_course_dir

    def close_and_look(batch):
        real_check(batch)
        closed["mode"] = stat.S_IMODE(course.stat().st_mode)
        closed["readable"] = sandbox.readable_by(sandbox.BASE_SANDBOX_UID, course)

    runner.Batch._close_course_dir = close_and_look
    try:
        outcome = runner.Batch(course, generate.ASSIGNMENT, jobs=2, limits=LIMITS,
                               isolation="pod").run()
    finally:
        os.environ.pop("GRADEBOOK_URL", None)
        runner.POD_SCAN_ROOTS = scan_roots
        runner.Batch._close_course_dir = real_check
    leftovers = {uid: sandbox.processes_of(uid) for uid in (sandbox.BASE_SANDBOX_UID,
                                                            sandbox.BASE_SANDBOX_UID + 1)}
    ipc_left = [line for table in ("shm", "msg", "sem")
                for line in Path(f"/proc/sysvipc/{table}").read_text().splitlines()[1:]
                if {str(sandbox.BASE_SANDBOX_UID), str(sandbox.BASE_SANDBOX_UID + 1)} & set(line.split())]
    yield {"course": course, "cases": cases, "outcome": outcome, "leftovers": leftovers,
           "closed": closed, "mode_before": mode_before,
           "mode_after": stat.S_IMODE(course.stat().st_mode), "ipc_left": ipc_left}
    for path, mode in restore:
        path.chmod(mode)


def _outputs(course: Path, student: str) -> str:
    nb = json.loads((course / "autograded" / student / generate.ASSIGNMENT
                     / f"{generate.ASSIGNMENT}.ipynb").read_text())
    return json.dumps([c.get("outputs", []) for c in nb["cells"]])


def _record(outcome: dict, student: str) -> dict:
    return outcome["results"][student]["notebooks"][generate.ASSIGNMENT]["record"]


@needs_uid_switch
@pytest.mark.parametrize("name", CASES)
def test_each_attack_gets_exactly_its_expected_score_in_pod_mode(pod_graded, name):
    case = pod_graded["cases"][name]
    result = pod_graded["outcome"]["results"][name]
    assert result["status"] == "graded", result
    cells = result["notebooks"][generate.ASSIGNMENT]["cells"]
    assert {k: cells[k]["score"] for k in case.expected} == case.expected, (name, cells)
    assert _record(pod_graded["outcome"], name)["isolation"] == "pod"


@needs_uid_switch
def test_pod_mode_closes_the_course_directory_to_the_kernels(pod_graded):
    course = pod_graded["course"]
    assert pod_graded["closed"] == {"mode": 0o700, "readable": None}  # while grading
    assert pod_graded["mode_after"] == pod_graded["mode_before"]  # given back afterwards
    shown = _outputs(course, "read_source")
    assert "readable: []" in shown and "PermissionError" in shown
    assert generate.HIDDEN_MARK not in _outputs(course, "read_hidden_tests")


@needs_uid_switch
def test_pod_mode_kernel_sees_no_secret_and_cannot_signal_the_grader(pod_graded):
    course = pod_graded["course"]
    snoop = _outputs(course, "grader_snoop")
    assert "SECRET FOUND IN nothing" in snoop and "CAN SIGNAL nothing" in snoop
    env_out = _outputs(course, "environment")
    assert "HOME" in env_out and generate.SECRET not in env_out
    assert "GRADEBOOK_URL" not in env_out and "GRADING_" not in env_out
    uid_line = f"{sandbox.BASE_SANDBOX_UID}"
    assert _record(pod_graded["outcome"], "correct")["isolation"] == "pod" and uid_line


@needs_uid_switch
def test_pod_mode_leaves_no_process_and_no_temporary_file_behind(pod_graded):
    assert pod_graded["leftovers"] == {sandbox.BASE_SANDBOX_UID: set(), sandbox.BASE_SANDBOX_UID + 1: set()}
    for folder in sandbox.SHARED_TEMP_DIRS:
        assert not (Path(folder) / generate.LEFTOVER).exists(), folder
    snoop = _record(pod_graded["outcome"], "grader_snoop")
    # its daemon was there and was killed: by its cgroup where the pod has one, else by its uid
    assert snoop["processes_left_at_end"] + snoop["pod_cleanup"]["processes_killed"] >= 1
    assert snoop["pod_cleanup"]["files_removed"] >= 2  # /tmp and /dev/shm
    assert snoop["pod_cleanup"]["ipc_objects_removed"] >= 1 and pod_graded["ipc_left"] == []
    assert "SYSV SHM True" in _outputs(pod_graded["course"], "grader_snoop")


@needs_uid_switch
def test_pod_mode_refuses_while_a_copy_of_the_hidden_tests_is_readable(tmp_path):
    """A world-readable source notebook elsewhere in the pod (a checkout's solutions/, an image's
    course copy) is within a submission's reach without a mount namespace: refuse, naming it."""
    course = tmp_path / "course"
    generate.build_course(course, port=9, only=["correct"])
    exposed = Path(tempfile.mkdtemp(prefix="pod-exposed-", dir="/tmp"))
    try:
        exposed.chmod(0o755)
        copy = exposed / f"{generate.ASSIGNMENT}.ipynb"
        shutil.copy(course / "source" / generate.ASSIGNMENT / f"{generate.ASSIGNMENT}.ipynb", copy)
        copy.chmod(0o644)
        scan_roots, runner.POD_SCAN_ROOTS = runner.POD_SCAN_ROOTS, (str(exposed), str(course.parent))
        try:
            with pytest.raises(RuntimeError, match="hidden tests can be read by any user") as refused:
                runner.Batch(course, generate.ASSIGNMENT, jobs=1, limits=LIMITS, isolation="pod").run()
            assert str(copy) in str(refused.value)
            assert not (course / "autograded").exists()  # refused before any submission ran
            copy.chmod(0o600)  # private: grading goes ahead
            outcome = runner.Batch(course, generate.ASSIGNMENT, jobs=1, limits=LIMITS, isolation="pod").run()
            assert outcome["results"]["correct"]["score"] == 4.0
        finally:
            runner.POD_SCAN_ROOTS = scan_roots
    finally:
        shutil.rmtree(exposed)


def test_pod_isolation_is_decided_by_what_the_grader_can_do():
    granted = shards.decide_isolation(False, "pod", False, "kubernetes pod", uid_problem=None)
    assert granted.allowed and granted.sandboxed and granted.kind == "pod"
    assert "unprivileged uid per kernel" in granted.summary
    refused = shards.decide_isolation(False, "pod", False, "kubernetes pod",
                                      uid_problem="setpriv: Operation not permitted")
    assert not refused.allowed and not refused.sandboxed
    assert "setpriv: Operation not permitted" in refused.refusal and "password" in refused.refusal
    trusted = shards.decide_isolation(False, "pod", True, "kubernetes pod", uid_problem="no root")
    assert trusted.allowed and trusted.kind == "none" and "UNISOLATED" in trusted.summary
    # bubblewrap wins wherever it works, pod or not
    assert shards.decide_isolation(True, "pod", False, "kubernetes pod", uid_problem=None).kind == "bubblewrap"


def test_pod_mode_refuses_the_gradebook_url_on_the_command_line(monkeypatch, capsys):
    from grading import __main__ as cli
    monkeypatch.setattr(cli.sandbox, "probe", lambda: sandbox.Probe(False, ["no bwrap (test)"], []))
    monkeypatch.setattr(cli.sandbox, "can_switch_uid", lambda: None)
    monkeypatch.setattr(cli.shards, "detect_container", lambda: "kubernetes pod")
    code = cli.main(["autograde", "a2", "--isolation=pod", "--db-url",
                     "postgresql://grader:pw@db/gradebook"])
    assert code == 2 and "--db-url-env" in capsys.readouterr().err
    monkeypatch.delenv("EMPTY_URL", raising=False)
    code = cli.main(["autograde", "a2", "--isolation=pod", "--db-url-env", "EMPTY_URL"])
    assert code == 2 and "EMPTY_URL: that environment variable is empty or not set" in capsys.readouterr().err


@needs_uid_switch
def test_kill_uid_ends_a_detached_process_without_cgroups():
    uid = sandbox.BASE_SANDBOX_UID + 7
    leftover = Path(tempfile.mkdtemp(prefix="pod-shared-", dir="/tmp"))  # a /tmp-like folder
    leftover.chmod(0o1777)
    # as the kernel's uid: two files in the shared folder and a daemon in a session of its own
    script = 'echo x > "$1/mine" && mkdir -p "$1/mine.d/sub" && setsid sleep 300 </dev/null >/dev/null 2>&1 &'
    subprocess.run([*sandbox._drop_privileges(uid), "/bin/sh", "-c", script, "sh", str(leftover)],
                   check=True, cwd="/", timeout=60)
    assert sandbox.processes_of(uid)  # the daemon outlived its parent
    (leftover / "graders").write_text("kept")
    assert sandbox.kill_uid(uid) >= 1 and not sandbox.processes_of(uid)
    assert sandbox.remove_files_of(uid, roots=[str(leftover)]) == 2
    assert sorted(p.name for p in leftover.iterdir()) == ["graders"]
    shutil.rmtree(leftover)


@needs_uid_switch
def test_pod_mode_kernels_cannot_use_the_kernel_keyring(tmp_path):
    from test_safe_grading import KEYRING_PROBE
    scratch = Path(tempfile.mkdtemp(prefix="pod-keyring-", dir="/tmp"))
    try:
        uid = sandbox.BASE_SANDBOX_UID + 13
        os.chown(scratch, uid, uid)
        spec = sandbox.SandboxSpec(scratch, uid, sandbox.Limits(), [], kind="pod")
        # the system Python: this machine keeps the venv's interpreter where the uid cannot read it
        cmd = sandbox.sandbox_command(spec, ["/usr/bin/python3", "-c", KEYRING_PROBE], {})
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=str(scratch),
                             env=sandbox.kernel_env(spec, {}))
        assert run.stdout.strip() == "add_key -1 1", (run.stdout, run.stderr)
    finally:
        shutil.rmtree(scratch)


def test_kill_uid_and_remove_files_of_refuse_real_accounts():
    for uid in (0, 1000, sandbox.BASE_SANDBOX_UID - 1):
        with pytest.raises(ValueError):
            sandbox.kill_uid(uid)
        with pytest.raises(ValueError):
            sandbox.remove_files_of(uid)
