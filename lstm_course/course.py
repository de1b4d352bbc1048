"""Where the course lives: the one place that names its public repository.

Every notebook's "Open in Colab" badge and Colab setup cell are built from these values, and a
test checks each notebook against them. To publish a fork, change them here and run
`python tools/notebook_headers.py --write`.
"""
REPOSITORY = "lstm-course/lstms-for-nlp"  # GitHub owner/name
BRANCH = "main"
PACKAGE = "lstm-course"


def github_url() -> str:
    return f"https://github.com/{REPOSITORY}"


def pip_spec() -> str:
    """What `pip install` needs on Colab to get the helper package from the repository."""
    return f"{PACKAGE} @ git+{github_url()}@{BRANCH}"


def colab_url(notebook_path: str) -> str:
    """Open-in-Colab address for a notebook path relative to the repository root."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook_path}"


def binder_url(notebook_path: str) -> str:
    """Binder address that opens one notebook in JupyterLab."""
    return f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?urlpath=lab/tree/{notebook_path}"
