"""Exploratory notebooks must keep running against the current package (outputs are not compared)."""
import nbformat
import pytest
from nbclient import NotebookClient

from analysis import paths

EXPLORATORY = sorted((paths.NOTEBOOKS_DIR / "exploratory").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", EXPLORATORY, ids=[p.name for p in EXPLORATORY])
def test_exploratory_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def test_there_is_an_exploratory_notebook():
    assert EXPLORATORY, "notebooks/exploratory/ should hold at least one worked exploration"
