"""Execute a notebook the way a learner would (top to bottom, fresh kernel) and collect what it printed."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path, timeout: int = 600, allow_errors: bool = False):
    """Run the notebook in its own folder; return the executed notebook."""
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def streams(nb, name: str) -> str:
    """All text a notebook wrote to `name` ("stdout" or "stderr")."""
    return "".join(
        out.get("text", "")
        for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.output_type == "stream" and out.name == name
    )
