"""Build the course website from executed notebooks: lessons and the student versions of the assignments.

    python tools/build_site.py                           # run the notebooks here, then build
    python tools/build_site.py --executed build/executed # reuse the copies `make test` (nbval) executed

A reused copy must have exactly the cells of the notebook in the repository; any notebook without such a
copy is executed here (an assignment up to its first placeholder, as in the tests). The site goes to
build/site/html; it needs no network: the theme and search come with their PyPI packages, MathJax 2.7 with
jupyter-server-mathjax. Widgets cannot run on a static page: each explorer shows its still picture, whose
alt text is the explorer's own text summary.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SITE_CONFIG = ROOT / "site"
HEADER_TAG = "course-header"
PLACEHOLDER = "raise NotImplementedError"
WIDGET = "application/vnd.jupyter.widget-view+json"


def site_notebooks() -> list[Path]:
    """What the site shows: every lesson and every student version (never the solutions)."""
    return sorted((ROOT / "lessons").glob("*.ipynb")) + sorted((ROOT / "assignments").glob("*/*.ipynb"))


def _sources(nb) -> list:
    return [(c.cell_type, c.source) for c in nb.cells]


def reusable_copy(source: Path, executed_dir: Path | None):
    """The executed copy of `source` if there is one with exactly the same cells, else None."""
    if executed_dir is None:
        return None
    copy = executed_dir / source.relative_to(ROOT)
    if not copy.exists():
        return None
    executed = nbformat.read(str(copy), as_version=4)
    return executed if _sources(executed) == _sources(nbformat.read(str(source), as_version=4)) else None


def execute(source: Path):
    """Run a notebook in its folder, up to its first placeholder cell; later cells stay unexecuted."""
    from nbclient import NotebookClient

    nb = nbformat.read(str(source), as_version=4)
    stop = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and PLACEHOLDER in c.source),
                len(nb.cells))
    head = nbformat.from_dict({**nb, "cells": nb.cells[:stop]})
    NotebookClient(head, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    nb.cells = head.cells + nb.cells[stop:]
    return nb


def problems(nb, name: str) -> list[str]:
    """Failed self-checks and stderr output: a page must not publish them."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr" and out.get("text", "").strip():
                found.append(f"{name}: stderr: {out['text'][:300]}")
            elif out.get("output_type") == "error":
                found.append(f"{name}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream":
                found += [f"{name}: {line}" for line in out.get("text", "").splitlines() if line.startswith("FAIL:")]
    return found


def for_the_page(nb):
    """The page's version of an executed notebook: no badge cell (the theme has launch buttons), the title
    first, and each widget replaced by its still picture, with the explorer's text summary as alt text."""
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and HEADER_TAG in c.metadata.get("tags", []))]
    # the page opens with the lesson's title; the setup cell (and what it printed) follows it
    if (len(nb.cells) > 1 and HEADER_TAG in nb.cells[0].metadata.get("tags", []) and nb.cells[1].cell_type == "markdown"
            and nb.cells[1].source.lstrip().startswith("# ")):
        nb.cells[0], nb.cells[1] = nb.cells[1], nb.cells[0]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET not in data:
                continue
            del data[WIDGET]
            summary = str(data.get("text/plain", "")).strip()
            if "image/png" in data and summary:
                out.setdefault("metadata", {}).setdefault("image/png", {}).setdefault(
                    "alt", "Still picture of the interactive explorer. " + summary)
    return nb


def build(executed_dir: Path | None, out: Path, jobs: str = "2") -> int:
    started = time.perf_counter()
    source_dir = out / "src"
    shutil.rmtree(source_dir, ignore_errors=True)
    (source_dir / "_static").mkdir(parents=True)
    shutil.copy(SITE_CONFIG / "index.md", source_dir / "index.md")
    import jupyter_server_mathjax

    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", source_dir / "_static" / "mathjax")
    reused, ran, found = [], [], []
    for source in site_notebooks():
        rel = source.relative_to(ROOT)
        nb = reusable_copy(source, executed_dir)
        if nb is None:
            print(f"executing {rel} (no executed copy with these cells)", flush=True)
            nb, _ = execute(source), ran.append(rel)
            if executed_dir is not None:  # the next build reuses it
                (executed_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, str(executed_dir / rel))
        else:
            reused.append(rel)
        found += problems(nb, str(rel))
        target = source_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(for_the_page(nb), str(target))
    if found:
        print("not building a site that shows failures:\n" + "\n".join(found), file=sys.stderr)
        return 1
    html = out / "html"
    run = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", jobs, "-c", str(SITE_CONFIG),
                          "-d", str(out / "doctrees"), str(source_dir), str(html)], cwd=ROOT,
                         env={**os.environ, "COURSE_SITE_STATIC": str(source_dir / "_static")})
    if run.returncode:
        return run.returncode
    pages = len([p for p in html.rglob("*.html") if "_static" not in p.parts])  # not the theme's templates
    print(f"site: {html.relative_to(ROOT) if html.is_relative_to(ROOT) else html} | {pages} HTML pages "
          f"({len(reused) + len(ran)} notebooks: {len(reused)} reused executed copies, {len(ran)} executed here) "
          f"| {time.perf_counter() - started:.1f} s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executed", type=Path, default=None, help="folder of executed copies to reuse")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args(argv)
    executed = args.executed.resolve() if args.executed else None
    return build(executed, args.out.resolve())


if __name__ == "__main__":
    sys.exit(main())
