"""deploy/: the Kubernetes Indexed Job validated offline against the Kubernetes schema, and the Slurm
job array run by a fake ``sbatch`` that reads the script's #SBATCH lines and runs each task locally."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from grading.__main__ import build_parser

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "kubernetes"
SLURM_SCRIPT = ROOT / "deploy" / "slurm" / "grade-array.sh"
VERSIONS = ["1.33.0", "1.37.0"]  # backoffLimitPerIndex and podReplacementPolicy are GA from 1.33/1.34


def documents():
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


def by_kind(kind):
    return [doc for _, doc in documents() if doc["kind"] == kind]


@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_match_the_kubernetes_schema(version):
    checked = 0
    for name, doc in documents():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name}: {doc['kind']} {doc['metadata']['name']}: {exc.message} at "
                        f"{'/'.join(map(str, exc.path))}")
        checked += 1
    assert checked >= 4


def test_schema_validation_catches_mistakes():
    job = by_kind("Job")[0]
    broken = yaml.safe_load(yaml.safe_dump(job))
    broken["spec"]["completionMode"] = 7
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
    typo = yaml.safe_load(yaml.safe_dump(job))
    typo["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, VERSIONS[-1], strict=True)


def grader_container(job):
    return job["spec"]["template"]["spec"]["containers"][0]


def env_of(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_job_is_indexed_one_pod_per_shard():
    job = by_kind("Job")[0]
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    shards = int(env_of(grader_container(job))["SHARDS"])
    assert spec["completions"] == spec["parallelism"] == shards
    assert spec["podReplacementPolicy"] == "Failed"  # never two live pods for one index
    assert spec["template"]["spec"]["restartPolicy"] == "Never"


def test_job_pods_are_locked_down():
    pod = by_kind("Job")[0]["spec"]["template"]["spec"]
    # the grader is root with a few capabilities, so that every kernel gets its own uid (pod mode)
    assert pod["securityContext"]["runAsUser"] == 0 and "runAsNonRoot" not in pod["securityContext"]
    assert pod["automountServiceAccountToken"] is False
    container = pod["containers"][0]
    sec = container["securityContext"]
    assert sec["readOnlyRootFilesystem"] is True and sec["allowPrivilegeEscalation"] is False
    assert sec.get("privileged") is False
    assert sec["capabilities"]["drop"] == ["ALL"]
    # exactly what setpriv and the clean-up need; none that would let a kernel leave its uid or
    # the pod (SYS_ADMIN, SYS_PTRACE, NET_ADMIN, ...), and all within Pod Security "baseline"
    baseline = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
    added = set(sec["capabilities"]["add"])
    assert {"SETUID", "SETGID", "SETPCAP"} <= added <= baseline
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/work/course/submitted"]["readOnly"] is True
    assert "/tmp" in mounts  # the only writable places: emptyDirs and the output volume
    secret = env_of(container)["GRADEBOOK_URL"]
    assert "secretKeyRef" in secret  # the password never sits in the manifest


def test_network_policy_isolates_the_job_pods():
    policy = by_kind("NetworkPolicy")[0]["spec"]
    labels = by_kind("Job")[0]["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"} and policy["ingress"] == []
    ports = sorted(p["port"] for rule in policy["egress"] for p in rule["ports"])
    assert ports == [53, 53, 5432]  # DNS and the gradebook only
    assert all(rule.get("to") for rule in policy["egress"])  # no rule open to everywhere


def test_job_command_is_a_valid_grading_command():
    job = by_kind("Job")[0]
    container = grader_container(job)
    script = container["args"][0]
    env = {**{k: v for k, v in env_of(container).items() if isinstance(v, str)},
           "GRADEBOOK_URL": "postgresql://grader:pw@db:5432/gradebook"}
    for index in (0, int(env["SHARDS"]) - 1):
        line = script.split("exec ", 1)[1].strip()
        words = [os.path.expandvars(w) for w in shlex.split(line)]
        words = [w.replace("$JOB_COMPLETION_INDEX", str(index)) for w in words]
        expanded = [re.sub(r"\$(\w+)", lambda m: {**env, "JOB_COMPLETION_INDEX": str(index)}[m.group(1)], w)
                    for w in words]
        assert expanded[:3] == ["python", "-m", "grading"]
        args = build_parser().parse_args(expanded[3:])
        assert args.shard == f"{index}/{env['SHARDS']}" and args.isolation == "pod"
        # the URL comes from the environment: a command line is readable by every process
        assert args.db_url is None and args.db_url_env == "GRADEBOOK_URL"
        assert env["GRADEBOOK_URL"] not in " ".join(expanded)


# --- Slurm ---------------------------------------------------------------------------------------

def parse_array(spec: str) -> list[int]:
    """sbatch's --array: '0-15', '1,3,5', '0-15:4', with an optional '%limit'."""
    ids: list[int] = []
    for part in spec.split("%", 1)[0].split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+)(?::(\d+))?)?", part.strip())
        if not match:
            raise ValueError(f"sbatch: invalid --array {spec!r}")
        first, last, step = match.group(1), match.group(2), match.group(3)
        ids += list(range(int(first), int(last or first) + 1, int(step or 1)))
    return sorted(set(ids))


def sbatch_options(script: Path, command_line: list[str]) -> dict[str, str]:
    """#SBATCH lines up to the first command, overridden by the command line (like sbatch)."""
    options = {}
    for line in script.read_text().splitlines()[1:]:
        if line.startswith("#SBATCH"):
            for word in shlex.split(line[len("#SBATCH"):]):
                key, _, value = word.lstrip("-").partition("=")
                options[key] = value
        elif line.strip() and not line.startswith("#"):
            break
    for word in command_line:
        key, _, value = word.lstrip("-").partition("=")
        options[key] = value
    return options


def fake_sbatch(script: Path, command_line: list[str], env: dict[str, str], cwd: Path,
                launcher: list[str] = ()) -> list:
    """Run every array task of ``script`` locally, one after another, with Slurm's variables
    (``launcher``: a command prefix that sets up the stand-in node, e.g. its own /tmp)."""
    options = sbatch_options(script, command_line)
    ids = parse_array(options["array"])
    runs = []
    for task in ids:
        task_env = {**env, "SLURM_JOB_ID": str(1000 + task), "SLURM_ARRAY_JOB_ID": "999",
                    "SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": str(ids[0]),
                    "SLURM_ARRAY_TASK_MAX": str(ids[-1]), "SLURM_ARRAY_TASK_COUNT": str(len(ids)),
                    "SLURM_CPUS_PER_TASK": options.get("cpus-per-task", "1"),
                    "SLURM_SUBMIT_DIR": str(cwd)}
        runs.append(subprocess.run([*launcher, "bash", str(script)], env=task_env, cwd=cwd,
                                   capture_output=True, text=True, timeout=900))
    return runs


def test_fake_sbatch_reads_the_script():
    options = sbatch_options(SLURM_SCRIPT, [])
    assert parse_array(options["array"]) == list(range(16))
    assert options["cpus-per-task"] == "2" and options["mem"] and options["time"]
    assert sbatch_options(SLURM_SCRIPT, ["--array=0-3"])["array"] == "0-3"
    assert parse_array("0-15:4%2") == [0, 4, 8, 12] and parse_array("1,3") == [1, 3]
    with pytest.raises(ValueError, match="invalid --array"):
        parse_array("a-b")


def base_env(tmp_path):
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TMPDIR": str(tmp_path),
            "ASSIGNMENT": "a2_rnn_vs_lstm_stability", "COURSE_DIR": str(tmp_path / "course"),
            "GRADEBOOK_URL": "postgresql://grader:s3cret@db:5432/gradebook"}


def test_every_array_task_grades_its_own_shard(tmp_path):
    runs = fake_sbatch(SLURM_SCRIPT, [], {**base_env(tmp_path), "GRADING_DRY_RUN": "1"}, tmp_path)
    assert len(runs) == 16 and all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    shards = []
    for run in runs:
        assert "s3cret" not in run.stdout
        words = run.stdout.split()
        assert words[:3] == ["python", "-m", "grading"]
        args = build_parser().parse_args(words[3:])
        assert args.jobs == 2 and args.db_url == "$GRADEBOOK_URL"
        shards.append(args.shard)
    assert shards == [f"{i}/16" for i in range(16)]
    resized = fake_sbatch(SLURM_SCRIPT, ["--array=0-3"], {**base_env(tmp_path), "GRADING_DRY_RUN": "1"},
                          tmp_path)
    assert [r.stdout.split("--shard ")[1].split()[0] for r in resized] == ["0/4", "1/4", "2/4", "3/4"]


def test_array_script_refuses_gaps_and_missing_settings(tmp_path):
    gaps = fake_sbatch(SLURM_SCRIPT, ["--array=0,2"], {**base_env(tmp_path), "GRADING_DRY_RUN": "1"},
                       tmp_path)
    assert all(r.returncode == 2 and "contiguous range" in r.stderr for r in gaps)
    env = base_env(tmp_path)
    del env["GRADEBOOK_URL"]
    missing = fake_sbatch(SLURM_SCRIPT, ["--array=0"], env, tmp_path)
    assert missing[0].returncode != 0 and "set GRADEBOOK_URL" in missing[0].stderr
