"""Colab: what the setup cell of every notebook really does there, and the README's ways in.

test_notebook_hygiene.py checks that each header is the configured text; these tests run that text. The
setup cell is transformed by IPython exactly as a kernel would, then executed with a recording stand-in for
the IPython shell, once as on Colab (a `google.colab` module is loaded) and once as anywhere else.
"""
import sys
import tomllib
import types

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

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
