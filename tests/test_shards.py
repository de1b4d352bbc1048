"""The stable student split behind ``--shard K/N`` and the isolation decision for shards."""
import hashlib
import random
import string
import subprocess
import sys

import pytest

from grading import shards

# Pinned: a changed split would make a restarted shard grade other students than it started with.
KNOWN = {"alice": (15, 2), "bob": (10, 2), "student-001": (9, 0), "José": (14, 0), "s0001": (7, 0)}


@pytest.mark.parametrize("student", sorted(KNOWN))
def test_split_is_pinned(student):
    assert shards.shard_of(student, 16) == KNOWN[student][0]
    assert shards.shard_of(student, 3) == KNOWN[student][1]


def test_split_is_independent_of_python_hash_seed():
    code = "from grading.shards import shard_of; print([shard_of(s, 16) for s in %r])" % sorted(KNOWN)
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={"PYTHONHASHSEED": seed}, check=True).stdout
               for seed in ("0", "1", "12345")}
    assert outputs == {str([KNOWN[s][0] for s in sorted(KNOWN)]) + "\n"}


def test_split_matches_the_documented_formula():
    rng = random.Random(7)
    for _ in range(200):
        sid = "".join(rng.choices(string.ascii_letters + string.digits + "._-", k=rng.randint(1, 20)))
        n = rng.randint(1, 64)
        expected = int.from_bytes(hashlib.sha256(sid.encode()).digest()[:8], "big") % n
        assert shards.shard_of(sid, n) == expected


@pytest.mark.parametrize("count", [1, 2, 3, 16, 100])
def test_every_student_in_exactly_one_shard(count):
    students = [f"s{i:05d}" for i in range(2000)]
    parts = [shards.Shard(k, count).select(students) for k in range(count)]
    flat = [s for part in parts for s in part]
    assert sorted(flat) == sorted(students) and len(flat) == len(set(flat))


def test_split_is_even():
    students = [f"learner{i}" for i in range(16_000)]
    sizes = [len(shards.Shard(k, 16).select(students)) for k in range(16)]
    # 1,000 expected per shard, binomial sd ~31: 5 sd either side
    assert all(845 <= size <= 1155 for size in sizes), sizes


@pytest.mark.parametrize("text,expected", [("3/16", (3, 16)), ("0/1", (0, 1)), (" 15 / 16 ", (15, 16))])
def test_parse(text, expected):
    shard = shards.parse(text)
    assert (shard.index, shard.count) == expected and str(shard) == f"{expected[0]}/{expected[1]}"


@pytest.mark.parametrize("text,message", [("16/16", "0..15"), ("-1/4", "K/N"), ("1/0", "between 1"),
                                          ("3", "K/N"), ("a/b", "K/N"), ("1/2/3", "K/N")])
def test_parse_rejects_bad_shards_clearly(text, message):
    with pytest.raises(ValueError, match=message):
        shards.parse(text)


def test_empty_id_is_rejected():
    with pytest.raises(ValueError, match="non-empty"):
        shards.shard_of("", 4)


def test_detect_container(tmp_path):
    assert shards.detect_container(tmp_path, environ={}) is None
    assert shards.detect_container(tmp_path, environ={"KUBERNETES_SERVICE_HOST": "10.0.0.1"}) \
        == "kubernetes pod"
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("0::/kubepods/besteffort/pod1234/abc\n")
    assert shards.detect_container(tmp_path, environ={}) == "kubernetes pod"
    (tmp_path / "proc/self/cgroup").write_text("0::/\n")
    (tmp_path / ".dockerenv").write_text("")
    assert shards.detect_container(tmp_path, environ={}) == "docker container"


def test_isolation_decisions():
    ok = shards.decide_isolation(True, "auto", False, None)
    assert ok.sandboxed and ok.allowed and ok.summary.startswith("sandbox: bubblewrap")
    refused = shards.decide_isolation(False, "auto", False, "kubernetes pod")
    assert not refused.allowed and "--isolation=pod" in refused.refusal
    pod = shards.decide_isolation(False, "pod", False, "kubernetes pod", uid_problem=None)
    assert pod.allowed and pod.sandboxed and pod.kind == "pod"
    assert pod.summary == ("sandbox: pod; container: kubernetes pod detected; isolation: the "
                           "kubernetes pod and an unprivileged uid per kernel (--isolation=pod)")
    unchecked = shards.decide_isolation(False, "pod", False, "kubernetes pod")
    assert not unchecked.allowed  # never granted without proof that kernels get their own uid
    no_pod = shards.decide_isolation(False, "pod", False, None)
    assert not no_pod.allowed and "no container was detected" in no_pod.refusal
    forced = shards.decide_isolation(False, "bubblewrap", True, None)
    assert forced.allowed and "UNISOLATED" in forced.summary
    assert not shards.decide_isolation(False, "bubblewrap", False, "docker container").allowed
    trusted = shards.decide_isolation(True, "none", True, None)
    assert trusted.allowed and not trusted.sandboxed and "UNISOLATED" in trusted.summary
    unacknowledged = shards.decide_isolation(True, "none", False, None)
    assert not unacknowledged.allowed and "--allow-unsandboxed" in unacknowledged.refusal
