"""The two cells every course notebook starts with, built from lstm_course/course.py.

    python tools/notebook_headers.py --check   # list notebooks whose header is missing or stale
    python tools/notebook_headers.py --write   # rewrite headers (after changing the repository)

`new_notebook()` is what authors use to create a notebook with the header and no outputs.
"""
import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstm_course import course  # noqa: E402

NOTEBOOK_DIRS = ("lessons", "solutions", "assignments")
HEADER_TAG = "course-header"


def badge_markdown(rel_path: str) -> str:
    colab = course.colab_url(rel_path)
    binder = course.binder_url(rel_path)
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab}) "
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder})"
    )


def setup_source(seed: int = 42) -> str:
    return (
        "# Setup: run this cell first. On Colab it installs the course's helper package;\n"
        "# locally and on Binder the package is already installed.\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "{course.pip_spec()}"\n'
        "import lstm_course\n"
        f"lstm_course.setup(seed={seed})"
    )


def header_cells(rel_path: str, seed: int = 42) -> list:
    badge = nbformat.v4.new_markdown_cell(badge_markdown(rel_path))
    setup = nbformat.v4.new_code_cell(setup_source(seed))
    for cell in (badge, setup):
        cell.metadata["tags"] = [HEADER_TAG]
    return [badge, setup]


def _rel(path: Path) -> str:
    return Path(path).resolve().relative_to(ROOT).as_posix()


def new_notebook(path, cells, seed: int = 42) -> Path:
    """Write a clean notebook: header cells, then `cells` given as ("md" | "code", source) pairs."""
    path = Path(path)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    body = []
    for kind, source in cells:
        if kind == "md":
            body.append(nbformat.v4.new_markdown_cell(source.strip("\n")))
        elif kind == "code":
            body.append(nbformat.v4.new_code_cell(source.strip("\n")))
        else:
            raise ValueError(f"cell kind must be 'md' or 'code', not {kind!r}")
    nb.cells = header_cells(_rel(path), seed) + body
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def header_problems(path: Path) -> list:
    """What is wrong with a notebook's header (empty list when it matches the configuration)."""
    nb = nbformat.read(str(path), as_version=4)
    rel = _rel(path)
    if len(nb.cells) < 2:
        return [f"{rel}: fewer than two cells"]
    problems = []
    if nb.cells[0].cell_type != "markdown" or nb.cells[0].source != badge_markdown(rel):
        problems.append(f"{rel}: first cell is not the Colab/Binder badge for this path")
    setup = nb.cells[1]
    if setup.cell_type != "code" or not setup.source.startswith(setup_source(0).split("lstm_course.setup(")[0]):
        problems.append(f"{rel}: second cell is not the standard setup cell")
    return problems


def all_notebooks() -> list:
    found = []
    for folder in NOTEBOOK_DIRS:
        found += sorted((ROOT / folder).rglob("*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def rewrite_header(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    rel = _rel(path)
    seed = 42
    old_header = [c for c in nb.cells if HEADER_TAG in c.metadata.get("tags", [])]
    cells = [c for c in nb.cells if HEADER_TAG not in c.metadata.get("tags", [])]
    new = header_cells(rel, seed)
    # keep cell ids and the nbgrader metadata (e.g. read-only marking) of the old header cells,
    # so that rewriting with an unchanged configuration changes nothing
    for old, fresh in zip(old_header, new):
        fresh.id = old.get("id", fresh.id)
        if "nbgrader" in old.metadata:
            fresh.metadata["nbgrader"] = old.metadata["nbgrader"]
    nb.cells = new + cells
    nbformat.write(nb, str(path))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true")
    group.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    notebooks = all_notebooks()
    if args.write:
        for path in notebooks:
            if "assignments" not in path.parts:  # student versions are generated, never edited
                rewrite_header(path)
        print(f"rewrote {len(notebooks)} headers; now regenerate assignments/ from solutions/")
        return 0
    problems = [p for path in notebooks for p in header_problems(path)]
    print("\n".join(problems) or f"all {len(notebooks)} notebook headers match {course.REPOSITORY}@{course.BRANCH}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
