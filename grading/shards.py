"""Grading across machines: a stable split of the students into shards, and what isolates a shard.

``--shard K/N`` grades only the students whose id falls in shard K (0-based, so K comes straight
from Kubernetes' ``JOB_COMPLETION_INDEX`` or Slurm's ``SLURM_ARRAY_TASK_ID``). The split is

    shard(student) = int.from_bytes(sha256(student.encode("utf-8")).digest()[:8], "big") % N

which depends only on the id's bytes: the same on every machine, operating system and Python
version (Python's ``hash()`` is salted per process, so it cannot be used), and it needs no
coordination between machines. Every student is in exactly one shard of N, so two shards never
grade the same student. sha256 spreads ids evenly: with 1,000 students and 16 shards each shard
gets 62.5 on average (binomial spread, about +-8).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from pathlib import Path

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 100_000


@dataclasses.dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0 <= index < count)."""

    index: int
    count: int

    def __post_init__(self):
        if not 1 <= self.count <= MAX_SHARDS:
            raise ValueError(f"the number of shards must be between 1 and {MAX_SHARDS}, "
                             f"not {self.count}")
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard index {self.index} is out of range: with {self.count} shards "
                             f"the index is 0..{self.count - 1} (0-based, like JOB_COMPLETION_INDEX "
                             "and SLURM_ARRAY_TASK_ID)")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, student: str) -> bool:
        return shard_of(student, self.count) == self.index

    def select(self, students):
        """The students of this shard, in the order given."""
        return [s for s in students if self.owns(s)]


ALL = Shard(0, 1)


def parse(text: str) -> Shard:
    """``"3/16"`` -> Shard(3, 16); a clear ValueError for anything else."""
    match = _SHARD.match(str(text))
    if not match:
        raise ValueError(f"--shard takes K/N with whole numbers, 0 <= K < N (for example 3/16), "
                         f"not {text!r}")
    return Shard(int(match.group(1)), int(match.group(2)))


def shard_of(student: str, count: int) -> int:
    """Which of ``count`` shards grades ``student`` (see the module docstring)."""
    if not isinstance(student, str) or not student:
        raise ValueError(f"a student id must be a non-empty string, not {student!r}")
    digest = hashlib.sha256(student.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


# --- what isolates the kernels of a shard ------------------------------------------------------

def detect_container(root: Path = Path("/"), environ=None) -> str | None:
    """The kind of container this process runs in, or None on a plain machine or VM.

    Kubernetes sets ``KUBERNETES_SERVICE_HOST`` in every pod (unless the pod opts out of service
    links, in which case the service account mount or the ``kubepods`` cgroup still shows it);
    Docker creates ``/.dockerenv``, Podman ``/run/.containerenv``.
    """
    env = os.environ if environ is None else environ
    cgroup = ""
    try:
        cgroup = (root / "proc/self/cgroup").read_text()
    except OSError:
        pass
    if (env.get("KUBERNETES_SERVICE_HOST")
            or (root / "var/run/secrets/kubernetes.io/serviceaccount").exists()
            or "kubepods" in cgroup):
        return "kubernetes pod"
    if (root / ".dockerenv").exists():
        return "docker container"
    if (root / "run/.containerenv").exists():
        return "podman container"
    return None


@dataclasses.dataclass
class Isolation:
    """What isolates student kernels in this run, and whether grading may go ahead."""

    kind: str  # "bubblewrap", "pod" (own uid, limits, clean-up; no namespaces) or "none"
    allowed: bool  # grading may start
    summary: str  # one line for the log, e.g. "sandbox: bubblewrap"
    refusal: str = ""  # why not, when not allowed

    @property
    def sandboxed(self) -> bool:
        """Kernels run under a sandbox uid (bubblewrap or pod)."""
        return self.kind != "none"


def decide_isolation(sandbox_ok: bool, mode: str, allow_unsandboxed: bool,
                     container: str | None, uid_problem: str | None = "not checked") -> Isolation:
    """Choose the isolation from the sandbox probe, ``--isolation`` and the container found.

    ``mode``: ``auto`` (bubblewrap if it works, else refuse), ``bubblewrap`` (refuse without it),
    ``pod`` (inside a detected container where bubblewrap cannot run: the kernel still runs under
    its own unprivileged uid with limits and clean-up, which needs a grader that can switch uids,
    i.e. ``uid_problem`` is None; bubblewrap is used instead when it works), ``none`` (no
    isolation even where bubblewrap works; only with ``--allow-unsandboxed``).
    ``--allow-unsandboxed`` grades without either, for trusted work only.
    """
    seen = f"container: {container} detected" if container else "container: none detected"
    if mode == "none":  # trusted work graded fast, e.g. an instructor's own solutions or CI
        if allow_unsandboxed:
            return Isolation("none", True, f"sandbox: none (--isolation=none); {seen}; UNISOLATED "
                                           "(--allow-unsandboxed)")
        return Isolation("none", False, f"sandbox: none; {seen}", "--isolation=none runs student "
                         "code with your rights and needs --allow-unsandboxed (trusted work only)")
    if sandbox_ok:
        return Isolation("bubblewrap", True, f"sandbox: bubblewrap; {seen}")
    if mode == "pod" and container and uid_problem is None:
        return Isolation("pod", True, f"sandbox: pod; {seen}; isolation: the {container} and an "
                                      "unprivileged uid per kernel (--isolation=pod)")
    if allow_unsandboxed:
        return Isolation("none", True, f"sandbox: none; {seen}; UNISOLATED (--allow-unsandboxed)")
    if mode == "pod" and container:
        why = (f"--isolation=pod needs a grader that can run each kernel under its own uid, and "
               f"{uid_problem}; without that the submission would run as the grader and could "
               "read the hidden tests and the gradebook's password (docs/scaling.md)")
    elif mode == "pod":
        why = ("--isolation=pod was given but no container was detected (no Kubernetes "
               "environment, service account, kubepods cgroup, /.dockerenv or /run/.containerenv)")
    elif mode == "bubblewrap":
        why = "--isolation=bubblewrap was given and the sandbox does not work here"
    else:
        why = "the sandbox does not work here" + (
            f"; this is a {container}: pass --isolation=pod to make it the isolation boundary"
            if container else "")
    return Isolation("none", False, f"sandbox: none; {seen}", why)
