"""Regenerate the student versions in assignments/ from the nbgrader sources in solutions/.

    python tools/release_assignments.py            # rewrite assignments/ (all assignments)
    python tools/release_assignments.py a1_lstm_concepts
    python tools/release_assignments.py --check    # exit 1 if assignments/ is not what nbgrader makes
    python tools/release_assignments.py --register # also record the assignments in ./gradebook.db
                                                   # (needed once before `nbgrader autograde` here)

`nbgrader generate_assignment` runs in a throw-away copy of the course (this repository's
nbgrader_config.py next to a copy of solutions/), so the real gradebook is never touched. The
result is then normalised so that regenerating is byte-for-byte reproducible and the release is
usable on its own:
  - the Colab/Binder badge points at the student notebook in assignments/, not at the solution;
  - notebooks are written by nbformat with a fixed layout (sorted keys, one-space indent, final
    newline); outputs and execution counts are empty (nbgrader clears them).
"""
import argparse
import difflib
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from notebook_headers import HEADER_TAG, badge_markdown  # noqa: E402

SOURCE_DIR = "solutions"
RELEASE_DIR = "assignments"
IGNORED_NAMES = {".ipynb_checkpoints", "__pycache__"}


def nbgrader_command() -> list:
    """nbgrader from the same environment as this Python (the course venv)."""
    return [sys.executable, "-m", "nbgrader"]


def nbgrader_env() -> dict:
    """The environment with this Python's bin/ first on PATH: nbgrader runs `alembic` from PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def assignment_ids(root: Path = ROOT) -> list:
    source = root / SOURCE_DIR
    return sorted(p.name for p in source.iterdir() if p.is_dir() and p.name not in IGNORED_NAMES)


def normalise_notebook(path: Path, rel_path: str) -> None:
    """Point the header badge at `rel_path` and rewrite the file in nbformat's canonical layout."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and HEADER_TAG in cell.metadata.get("tags", []):
            cell.source = badge_markdown(rel_path)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, str(path))


def generate(ids, course_dir: Path, root: Path = ROOT) -> Path:
    """Run nbgrader generate_assignment for `ids` in `course_dir`; return its normalised release dir."""
    course_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", course_dir / "nbgrader_config.py")
    for assignment in ids:
        src = root / SOURCE_DIR / assignment
        if not src.is_dir():
            raise FileNotFoundError(f"no nbgrader source folder {src}")
        shutil.copytree(src, course_dir / SOURCE_DIR / assignment,
                        ignore=shutil.ignore_patterns(*IGNORED_NAMES), dirs_exist_ok=True)
        result = subprocess.run(
            nbgrader_command() + ["generate_assignment", assignment, "--force"],
            cwd=course_dir, capture_output=True, text=True, env=nbgrader_env(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.stdout}\n{result.stderr}")
    release = course_dir / RELEASE_DIR
    for notebook in sorted(release.rglob("*.ipynb")):
        normalise_notebook(notebook, f"{RELEASE_DIR}/{notebook.relative_to(release).as_posix()}")
    return release


def register(ids, root: Path = ROOT) -> int:
    """generate_assignment in the real course root (updates gradebook.db), then the same normalisation."""
    for assignment in ids:
        result = subprocess.run(nbgrader_command() + ["generate_assignment", assignment, "--force"],
                                cwd=root, capture_output=True, text=True, env=nbgrader_env())
        if result.returncode != 0:
            print(result.stdout, result.stderr, file=sys.stderr)
            return result.returncode
        release = root / RELEASE_DIR
        for notebook in sorted((release / assignment).rglob("*.ipynb")):
            normalise_notebook(notebook, f"{RELEASE_DIR}/{notebook.relative_to(release).as_posix()}")
        print(f"registered {assignment} in {root / 'gradebook.db'} and released it to {RELEASE_DIR}/{assignment}")
    return 0


def _files(folder: Path) -> dict:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
            if p.is_file() and not IGNORED_NAMES.intersection(p.parts)}


def differences(generated: Path, committed: Path) -> list:
    """Human-readable differences between two release folders (empty list when identical)."""
    new, old = _files(generated), _files(committed)
    problems = [f"missing in {committed}: {name}" for name in sorted(set(new) - set(old))]
    problems += [f"not produced by nbgrader (stale or hand-made): {name}" for name in sorted(set(old) - set(new))]
    for name in sorted(set(new) & set(old)):
        if not filecmp.cmp(new[name], old[name], shallow=False):
            diff = difflib.unified_diff(
                old[name].read_text().splitlines(), new[name].read_text().splitlines(),
                f"committed/{name}", f"generated/{name}", lineterm="", n=1,
            )
            problems.append(f"differs: {name}\n" + "\n".join(list(diff)[:40]))
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: every folder in solutions/)")
    parser.add_argument("--check", action="store_true", help="compare with assignments/ instead of writing")
    parser.add_argument("--register", action="store_true",
                        help="run generate_assignment in this course root too, so gradebook.db knows the "
                             "assignments, their cells and points (autograde needs that)")
    args = parser.parse_args(argv)
    ids = args.assignments or assignment_ids()
    if args.register:
        return register(ids)
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        release = generate(ids, Path(tmp) / "course")
        problems = []
        for assignment in ids:
            target = ROOT / RELEASE_DIR / assignment
            if args.check:
                problems += differences(release / assignment, target)
            else:
                if target.exists():
                    shutil.rmtree(target)
                shutil.copytree(release / assignment, target)
                print(f"released {assignment} -> {target.relative_to(ROOT)}")
    if args.check:
        print("\n".join(problems) or f"assignments/ matches nbgrader's release of {', '.join(ids)}")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
