"""binder/ is what repo2docker (mybinder.org) builds the course image from; check it without Docker.

`repo2docker --no-build` picks the build pack and prints the Dockerfile it would build, which needs no
container engine. pip's own dry run then checks, offline, that binder/requirements.txt resolves from the
repository root exactly as the Dockerfile runs it.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from notebook_runner import ROOT

BINDER = ROOT / "binder"
BIN = Path(sys.executable).parent
# Binder runs linux x86_64 with the Python of runtime.txt: evaluate requirement markers there.
BINDER_PLATFORM = {**default_environment(), "sys_platform": "linux", "platform_machine": "x86_64",
                   "python_version": "3.11", "platform_system": "Linux"}


def repo2docker_executable():
    found = shutil.which("repo2docker", path=str(BIN)) or shutil.which("repo2docker")
    if found is None:
        pytest.fail("repo2docker is missing: pip install jupyter-repo2docker (it is in requirements-dev.txt)")
    return found


@pytest.fixture(scope="module")
def dockerfile():
    """The Dockerfile repo2docker would build for this repository (no Docker needed with --no-build)."""
    run = subprocess.run([repo2docker_executable(), "--no-build", "--user-id", "1000", "--user-name", "jovyan",
                          str(ROOT)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout, run.stderr


def flattened_requirements(path: Path, seen=()) -> list:
    """The requirement lines of `path`, following `-r` includes the way pip does (relative to the file)."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            included = (path.parent / line.split(None, 1)[1]).resolve()
            assert included.exists(), f"{path.name} includes {included}, which does not exist"
            assert included not in seen, f"include loop through {included}"
            lines += flattened_requirements(included, (*seen, path.resolve()))
        else:
            lines.append(line)
    return lines


def test_binder_folder_has_what_repo2docker_reads():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    assert (BINDER / "requirements.txt").exists()
    # binder/ takes precedence over top-level files; an environment.yml would switch to the conda pack
    assert not (BINDER / "environment.yml").exists() and not (ROOT / ".binder").exists()


def test_binder_installs_cpu_tensorflow_the_package_and_the_course_tools():
    lines = flattened_requirements(BINDER / "requirements.txt")
    assert "-e ." in lines  # the helper package, from the repository root
    active = {}
    for line in lines:
        if line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(BINDER_PLATFORM):
            active[requirement.name.lower()] = str(requirement.specifier)
    assert "tensorflow-cpu" in active and "tensorflow" not in active, "Binder has no GPU: CPU TensorFlow only"
    for package in ("keras", "nbgrader", "ipywidgets", "jupyterlab", "notebook"):
        assert package in active, f"{package} is not installed on Binder"
    assert all(spec.startswith("==") for spec in active.values()), f"unpinned on Binder: {active}"


def test_repo2docker_picks_python_311_and_installs_after_copying_the_repository(dockerfile):
    text, log = dockerfile
    assert "Building conda environment for python=3.11" in log
    # the base environment comes from repo2docker's 3.11 lock file (file names are escaped: -2e is ".")
    decoded = text.replace("-2e", ".").replace("-2d", "-").replace("-2f", "/")
    assert "environment.py-3.11-linux-64.lock" in decoded
    install = text.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    copy_all = re.search(r"^COPY --chown=\S+ src/ \$\{REPO_DIR\}/$", text, flags=re.MULTILINE).start()
    # `-r ../requirements.txt` and `-e .` need the whole repository in place before pip runs
    assert copy_all < install
    workdirs = re.findall(r"^WORKDIR (.+)$", text[:install], flags=re.MULTILINE)
    assert workdirs and workdirs[-1].strip() == "${REPO_DIR}", "pip must run from the repository root"


def test_repo2docker_build_pack_choice_through_its_python_api(monkeypatch):
    from repo2docker.app import Repo2Docker
    from repo2docker.buildpacks import PythonBuildPack

    monkeypatch.chdir(ROOT)
    app = Repo2Docker()
    picked = next(bp for bp in (BP(base_image=app.base_image) for BP in app.buildpacks) if bp.detect())
    assert isinstance(picked, PythonBuildPack) and picked.binder_dir == "binder"
    assert picked.python_version == "3.11"
    assert not picked._should_preassemble_pip  # local references: installed after the repository is copied


def test_binder_requirements_resolve_from_the_repository_root_offline():
    """pip's dry run from the repository root, as the Dockerfile runs it; offline, against this environment
    (which requirements-dev.txt installed from the same pins), so it checks paths, pins and the package."""
    pytest.importorskip("setuptools", reason="the editable package's metadata is built with setuptools")
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index", "--no-build-isolation",
         "--disable-pip-version-check", "-r", "binder/requirements.txt"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "PIP_NO_INPUT": "1"})
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"(from -r {ROOT / 'requirements.txt'}" in run.stdout
    assert re.search(r"Would install .*lstm-course-", run.stdout), run.stdout[-1000:]


def test_widget_and_nbgrader_extensions_ship_enabled():
    """Binder installs the same pins as this environment: their JupyterLab extensions are prebuilt and on."""
    jupyter = shutil.which("jupyter", path=str(BIN)) or "jupyter"
    run = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "NO_COLOR": "1"})
    listing = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    for extension in ("@jupyter-widgets/jupyterlab-manager", "@jupyter/nbgrader"):
        assert re.search(rf"{re.escape(extension)} v\S+ enabled OK", listing), listing


def test_readme_quotes_binders_memory_guarantee_as_the_benchmarks_target():
    """Binder guarantees 1 GB (and allows at most 2 GB): the benchmark's per-notebook target is the guarantee,
    and the README says so instead of quoting the 2 GB ceiling as what a learner gets."""
    sys.path.insert(0, str(ROOT / "tools"))
    import benchmark

    assert benchmark.PEAK_BYTES == 1.0 * 1024**3
    readme = (ROOT / "README.md").read_text()
    run_it = readme[readme.index("## Run it"):readme.index("## What is where")]
    assert re.search(r"Binder guarantees 1 GB of memory \(2 GB at most\)", run_it), "README: Binder's guarantee"
    assert "at most 1.0 GB per notebook" in run_it and "make benchmark" in run_it
    assert not re.search(r"Binder gives 2 GB", readme), "2 GB is Binder's ceiling, not its guarantee"
