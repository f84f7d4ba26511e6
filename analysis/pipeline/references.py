"""Regenerate the nbval reference notebooks in tests/nbval/ (``make references``).

Run this after an intended change to a brief's content, review the diff of the outputs, and commit
it: nbval then fails whenever a later change alters what a brief says.
"""
from __future__ import annotations

import nbformat

from analysis import paths
from analysis.pipeline import kernel
from analysis.pipeline.kernel import GENERIC_KERNELSPEC, KERNEL

REFERENCE_DIR = paths.PROJECT_ROOT / "tests" / "nbval"

# name -> (notebook, parameters). The founding case, a second bilateral case and the CSTO screen.
REFERENCES = {
    "brief-belarus-azerbaijan-2018-2022": (paths.BRIEF_NOTEBOOK, dict(
        supplier="Belarus", recipient="Azerbaijan", ally="Armenia", alliance="CSTO",
        start_year=2018, end_year=2022, transfers="embedded")),
    "brief-russia-armenia-2010-2020": (paths.BRIEF_NOTEBOOK, dict(
        supplier="Russia", recipient="Armenia", ally="", alliance="CSTO",
        start_year=2010, end_year=2020, transfers="embedded")),
    "screen-csto-2018-2022": (paths.SCREEN_NOTEBOOK, dict(
        alliance="CSTO", start_year=2018, end_year=2022, transfers="embedded")),
}


def _strip_volatile(nb) -> None:
    """Drop timings and machine-specific kernel names so the committed references diff cleanly (the
    generic ``python3`` kernelspec stays: plain papermill and nbval need one)."""
    nb.metadata["kernelspec"] = dict(GENERIC_KERNELSPEC)
    nb.metadata.get("papermill", {}).pop("start_time", None)
    nb.metadata.get("papermill", {}).pop("end_time", None)
    nb.metadata.get("papermill", {}).pop("duration", None)
    nb.metadata.get("papermill", {}).pop("input_path", None)
    nb.metadata.get("papermill", {}).pop("output_path", None)
    nb.metadata.get("papermill", {}).pop("environment_variables", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)


def regenerate(names=None) -> list:
    """Execute each reference case and write it to tests/nbval/<name>.ipynb."""
    import papermill as pm

    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (notebook, parameters) in REFERENCES.items():
        if names and name not in names:
            continue
        out = REFERENCE_DIR / f"{name}.ipynb"
        pm.execute_notebook(str(notebook), str(out), parameters=parameters, kernel_name=KERNEL,
                            progress_bar=False, cwd=str(paths.NOTEBOOKS_DIR), **kernel.papermill_options())
        nb = nbformat.read(out, as_version=4)
        _strip_volatile(nb)
        nbformat.write(nb, out)
        written.append(out)
        print(out.relative_to(paths.PROJECT_ROOT))
    return written


if __name__ == "__main__":
    regenerate()
