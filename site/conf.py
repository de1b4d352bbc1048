"""Sphinx configuration of the course site (built by tools/build_site.py; `make site`).

Pages come from executed copies of the notebooks (lessons, and the student versions of the assignments),
rendered by myst-nb without running anything (`nb_execution_mode = "off"`). Everything the pages load is
local: the theme and search ship with their PyPI packages, MathJax 2.7 with jupyter-server-mathjax.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lstm_course import course  # noqa: E402

project = "LSTMs for NLP"
author = "the course's authors"
copyright = "the course's authors"
extensions = ["myst_nb", "alt_text"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# Notebooks arrive executed (by nbval in `make test`, or by build_site.py): render, never run them again.
nb_execution_mode = "off"
# Interactive widgets need a live kernel; the site shows each explorer's still picture (PNG or HTML) instead.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# MathJax from PyPI (jupyter-server-mathjax ships MathJax 2.7), copied into _static by build_site.py.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
myst_update_mathjax = False  # myst-nb would write MathJax 3 settings; these are MathJax 2's
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                "processRefs": False, "processEnvironments": False},
    # the PyPI build ships STIX-Web fonts only (as the classic notebook configured it), not MathJax's TeX fonts
    "HTML-CSS": {"availableFonts": [], "webFont": "STIX-Web", "imageFont": None, "preferredFont": None},
    "showMathMenu": False,
    "messageStyle": "none",
}

html_theme = "sphinx_book_theme"
html_title = "LSTMs for NLP"
# build_site.py copies MathJax into the generated source folder's _static (named in COURSE_SITE_STATIC)
html_static_path = [os.environ.get("COURSE_SITE_STATIC", str(ROOT / "build" / "site" / "src" / "_static"))]
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": course.github_url(),
    "repository_branch": course.BRANCH,
    "path_to_docs": "",  # pages mirror the repository's layout: lessons/..., assignments/...
    "use_repository_button": True,
    "launch_buttons": {
        "colab_url": "https://colab.research.google.com",
        "binderhub_url": "https://mybinder.org",
        "notebook_interface": "jupyterlab",
    },
    "home_page_in_toc": True,
    "show_navbar_depth": 2,
}
# Offline means no web fonts or analytics either.
html_theme_options["analytics"] = {}
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
