"""The course package as the grading kernel sees it: reserved reference functions replaced.

An assignment asks students to write some functions the course package also holds (the lessons
use them; `lstm_course.own_work.RESERVED` lists them). The grading kernel gets a read-only copy of
the package in which each reserved function raises, bound over the real one inside the sandbox,
so a probe cannot be answered by calling the reference implementation, whatever the answer cell
did to reach it. The reference code is not in the copy at all: each reserved function's body is
replaced in the source text (its signature and docstring kept), so reading the module's file and
executing it gives nothing either. The decision to score such a part 0 is made separately, from the submitted source
(grading/execute.py); this copy only makes sure such code does not compute the right values.
"""
from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

MARKER = "# --- added by the grader (grading/course_copy.py) ---"


def reserved_for(assignment: str) -> dict[str, list[str]]:
    """RESERVED[assignment] ({} when the assignment reserves nothing or own_work is missing)."""
    try:
        from lstm_course import own_work  # noqa: PLC0415
    except ImportError:
        return {}
    return dict(getattr(own_work, "RESERVED", {}).get(assignment, {}))


def _module_file(package_dir: Path, dotted: str) -> Path | None:
    parts = dotted.split(".")[1:]
    if not parts:
        return package_dir / "__init__.py"
    as_module = package_dir.joinpath(*parts).with_suffix(".py")
    as_package = package_dir.joinpath(*parts, "__init__.py")
    return as_module if as_module.is_file() else as_package if as_package.is_file() else None


def stub_block(names: list[str]) -> str:
    return (f"\n\n{MARKER}\n"
            "def _reserved_by_the_grader(qualified):\n"
            "    def reserved(*args, **kwargs):\n"
            "        raise RuntimeError(f'{qualified} is not available while grading: this '\n"
            "                           'assignment asks you to write it yourself')\n"
            "    reserved.__name__ = qualified.rsplit('.', 1)[-1]\n"
            "    reserved.__qualname__ = reserved.__name__\n"
            "    return reserved\n\n\n"
            f"for _reserved_name in {sorted(set(names))!r}:\n"
            "    globals()[_reserved_name] = _reserved_by_the_grader(f'{__name__}.{_reserved_name}')\n"
            "del _reserved_name\n")


def without_bodies(source: str, names: list[str], module: str) -> str:
    """``source`` with the body of each top-level function in ``names`` replaced by a raise
    (decorators, signature and docstring kept). A name that is not defined there (a re-export such
    as ``models.lstm_param_count``) is left to the stub block; its defining module must be
    reserved too, which tests/test_course_copy.py checks for every assignment."""
    lines = source.splitlines(keepends=True)
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
            found[node.name] = node
    # from the last function up, so the line numbers of the earlier ones stay valid
    for node in sorted(found.values(), key=lambda n: n.lineno, reverse=True):
        body = node.body
        keep = 1 if (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                     and isinstance(body[0].value.value, str) and len(body) > 1) else 0
        first, last = body[keep].lineno - 1, node.end_lineno
        indent = " " * body[keep].col_offset
        raising = (f"{indent}raise RuntimeError('{module}.{node.name} is not available while grading: "
                   "this assignment asks you to write it yourself')\n")
        lines[first:last] = [raising]
    return "".join(lines)


def build(reserved: dict[str, list[str]], destination: Path, package_dir: Path | None = None) -> Path:
    """Copy the package to `destination` with every reserved function replaced; return it."""
    if package_dir is None:
        import lstm_course  # noqa: PLC0415

        package_dir = Path(lstm_course.__file__).resolve().parent
    shutil.copytree(package_dir, destination,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    for module, names in reserved.items():
        if not module.startswith("lstm_course"):
            continue
        path = _module_file(destination, module)
        if path is None:
            raise FileNotFoundError(f"own_work.RESERVED names {module}, which the package does not have")
        source = path.read_text(encoding="utf-8")
        path.write_text(without_bodies(source, names, module) + stub_block(names), encoding="utf-8")
    for root, dirs, files in os.walk(destination):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    return destination
