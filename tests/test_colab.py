"""Colab: what the setup cell of every notebook really does there, and the README's ways in.

test_notebook_hygiene.py checks that each header is the configured text; these tests run that text. The
setup cell is transformed by IPython exactly as a kernel would, then executed with a recording stand-in for
the IPython shell, once as on Colab (a `google.colab` module is loaded) and once as anywhere else.
"""
import re
import sys
import tomllib
import types

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import lstm_course
from lstm_course import course
from notebook_runner import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import notebook_headers  # noqa: E402

NOTEBOOKS = notebook_headers.all_notebooks()
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


class RecordingShell:
    """Stands in for get_ipython(): records line magics instead of running them."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line, *args, **kwargs):
        self.magics.append((name, line))


def run_setup_cell(path, monkeypatch, on_colab: bool):
    source = nbformat.read(str(path), as_version=4).cells[1].source
    python = TransformerManager().transform_cell(source)  # `%pip ...` -> get_ipython().run_line_magic(...)
    shell, setups = RecordingShell(), []
    monkeypatch.setattr(lstm_course, "setup", lambda **kwargs: setups.append(kwargs))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(python, f"{path.name}: setup cell", "exec"), {"get_ipython": lambda: shell})
    return shell.magics, setups


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell_installs_the_package_only_on_colab(path, monkeypatch):
    magics, setups = run_setup_cell(path, monkeypatch, on_colab=True)
    assert magics == [("pip", f'install -q "{course.pip_spec()}"')]
    assert len(setups) == 1 and "seed" in setups[0]
    magics, setups = run_setup_cell(path, monkeypatch, on_colab=False)
    assert magics == [], "locally and on Binder the package is already installed: nothing to pip install"
    assert len(setups) == 1


def test_colab_installs_the_package_from_the_configured_repository():
    requirement = Requirement(course.pip_spec())
    assert requirement.name == course.PACKAGE
    assert requirement.url == f"git+https://github.com/{course.REPOSITORY}@{course.BRANCH}"


def test_the_package_leaves_colabs_tensorflow_and_ipywidgets_7_alone():
    dependencies = [Requirement(d) for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    names = {d.name.lower(): d.specifier for d in dependencies}
    assert not {"tensorflow", "tensorflow-cpu"} & set(names), "installing the package must not replace Colab's TensorFlow"
    assert all(not str(s).startswith("==") for s in names.values()), "lower bounds only"
    assert SpecifierSet(str(names["ipywidgets"])).contains("7.7.1"), "Colab ships ipywidgets 7"


def test_badges_use_the_configured_repository():
    # hygiene checks the exact text; this names what a broken badge would cost: a wrong Colab address
    for path, rel in zip(NOTEBOOKS, IDS):
        badge = nbformat.read(str(path), as_version=4).cells[0].source
        assert course.colab_url(rel) in badge and course.binder_url(rel) in badge, rel


def test_readme_opens_every_lesson_in_colab_and_binder():
    readme = (ROOT / "README.md").read_text()
    lessons = sorted((ROOT / "lessons").glob("*.ipynb"))
    assert lessons
    missing = [(p.name, kind) for p in lessons for kind, url in
               (("Colab", course.colab_url(f"lessons/{p.name}")), ("Binder", course.binder_url(f"lessons/{p.name}")))
               if url not in readme]
    assert not missing, f"README lacks these links: {missing}"


# ------------------------------------------------------------------ Colab's stack in CI (tools/colab_stack.sh)
STACK = ROOT / "tests" / "stacks" / "colab.txt"


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            pins[requirement.name.lower().replace("_", "-")] = requirement.specifier
    return pins


def test_colab_stack_is_colabs_published_freeze_with_its_source_date_and_refresh_command():
    header = [line for line in STACK.read_text().splitlines() if line.startswith("#")]
    text = "\n".join(header)
    assert "googlecolab/backend-info" in text and "pip-freeze.txt" in text
    assert re.search(r"\d{4}-\d{2}-\d{2}", text), "the freeze's date"
    assert "tools/refresh_colab_stack.py" in text, "the one-line refresh command"
    pins = _pins(STACK)
    assert all(str(spec).startswith("==") for spec in pins.values()), "a freeze pins exact versions"
    # what the issue measured on Colab: the course must keep working on exactly these
    for name, version in {"tensorflow": "2.20.0", "keras": "3.13.2", "numpy": "2.1.3", "matplotlib": "3.10.0",
                          "scikit-learn": "1.6.1", "ipywidgets": "7.7.1", "ipykernel": "6.17.1",
                          "ipython": "7.34.0"}.items():
        assert str(pins[name]) == f"=={version}", name


def test_declared_lower_bounds_are_the_lowest_versions_ci_runs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    colab, pinned = _pins(STACK), _pins(ROOT / "requirements.txt")
    for dependency in map(Requirement, project["dependencies"]):
        lower = [Version(s.version) for s in dependency.specifier if s.operator == ">="]
        tested = [Version(str(p[dependency.name.lower()])[2:]) for p in (colab, pinned) if dependency.name.lower() in p]
        assert lower and tested, dependency
        assert lower[0] == min(tested), f"{dependency}: CI tests {sorted(map(str, tested))}, the lowest must be the bound"
    assert project["requires-python"] == ">=3.11"


def test_refresh_keeps_exact_pins_and_drops_colabs_own_builds():
    from refresh_colab_stack import render

    freeze = ("# comment\nkeras==3.13.2\ngoogle-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz\n"
              "torch @ https://example.invalid/torch.whl\nAbsl-Py==1.4.0\n")
    lines = render(freeze, "2026-08-19", "abc").splitlines()
    assert [l for l in lines if not l.startswith("#")] == ["Absl-Py==1.4.0", "keras==3.13.2"]
    assert any("2026-08-19" in l and "abc" in l for l in lines)
    with pytest.raises(SystemExit):
        render("nothing pinned here\n", "2026-08-19", "abc")
