"""The ecosystem's own clients work on our notebooks, through their real command lines: papermill's
--help-notebook and a plain papermill run, nbconvert with our exporters (and its refusals)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import paths
from analysis.pipeline.kernel import GENERIC_KERNELSPEC

BIN = Path(sys.executable).parent
NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.rglob("*.ipynb")) + sorted((paths.PROJECT_ROOT / "tests" / "nbval").glob("*.ipynb"))


def run(*args, timeout=300, env=None, cwd=None):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_carries_the_generic_python3_kernelspec(path):
    meta = json.loads(path.read_text())["metadata"]
    assert meta.get("kernelspec") == GENERIC_KERNELSPEC


@pytest.mark.parametrize("notebook", [paths.BRIEF_NOTEBOOK, paths.SCREEN_NOTEBOOK], ids=lambda p: p.name)
def test_papermill_help_notebook_lists_every_parameter_with_its_help(notebook):
    import papermill as pm

    out = run(BIN / "papermill", "--help-notebook", notebook)
    assert out.returncode == 0, out.stderr[-2000:]
    declared = pm.inspect_notebook(str(notebook))
    assert declared, "the notebook declares no parameters"
    lines = out.stdout.splitlines()
    for name, spec in declared.items():
        at = next((i for i, ln in enumerate(lines) if ln.strip().startswith(f"{name}:")), None)
        assert at is not None, f"{name} missing from --help-notebook:\n{out.stdout}"
        assert spec["help"] and spec["help"] in " ".join(lines[at:at + 2]), lines[at:at + 2]


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory):
    """A plain papermill run as a new user types it (the notebook's default ally is the recipient here)."""
    folder = tmp_path_factory.mktemp("papermill")
    out = folder / "russia-armenia.ipynb"
    result = run(BIN / "papermill", paths.BRIEF_NOTEBOOK, out, "-p", "supplier", "Russia", "-p", "recipient", "Armenia",
                 "--cwd", paths.NOTEBOOKS_DIR, timeout=600)
    return result, out


@pytest.mark.slow
def test_a_plain_papermill_run_builds_a_correct_executed_notebook(plain_run):
    result, out = plain_run
    assert result.returncode == 0, result.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "Arms transfers from Russia to Armenia" in html
    # the default ally (Armenia) is the recipient: dropped, with a note in the brief
    assert "The ally Armenia is also the recipient" in html


@pytest.mark.slow
def test_nbconvert_renders_an_executed_brief_with_our_exporter(plain_run, tmp_path):
    _, executed = plain_run
    out = run(BIN / "jupyter", "nbconvert", "--to", "brief_html", executed, "--output-dir", tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    page = (tmp_path / "russia-armenia.html").read_text()
    assert "Arms transfers from Russia to Armenia" in page and "<script" not in page


@pytest.mark.parametrize("fmt", ["brief_html", "brief_pdf"])
def test_nbconvert_refuses_an_unexecuted_notebook(fmt, tmp_path):
    out = run(BIN / "jupyter", "nbconvert", "--to", fmt, paths.BRIEF_NOTEBOOK, "--output-dir", tmp_path)
    assert out.returncode != 0
    assert "none of its" in out.stderr and "has been executed" in out.stderr, out.stderr[-2000:]
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("fmt", ["brief_html", "brief_pdf"])
def test_nbconvert_refuses_a_failed_notebook(fmt, tmp_path):
    nb = nbformat.read(paths.BRIEF_NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("error", ename="UnknownCountryError", evalue="'Atlantis' is not a country",
                                           traceback=["Traceback ..."])]
    failed = tmp_path / "failed.ipynb"
    nbformat.write(nb, failed)
    out = run(BIN / "jupyter", "nbconvert", "--to", fmt, failed, "--output-dir", tmp_path / "out")
    assert out.returncode != 0
    assert "raised UnknownCountryError" in out.stderr, out.stderr[-2000:]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
