"""Build a brief: papermill executes the notebook, our nbconvert exporters render HTML and PDF,
and the result is published atomically into ``reports/<slug>/``.

Everything runs in this process (the notebook kernel aside): no CLI is spawned per stage.
A build writes into a private temporary folder beside the target and only replaces the
previous brief for that slug when every stage succeeded; a lock serialises the final swap so
two builds of the same case cannot interleave.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from analysis import paths
from analysis.params import check_brief_parameters, check_screen_parameters

KERNEL = "python3"  # always passed explicitly: never trust a kernel name saved in a notebook


class BuildError(RuntimeError):
    """A stage of the build failed; the message names the stage (and cell) and why."""


@dataclass
class BuildResult:
    slug: str
    folder: Path
    html: Path | None
    pdf: Path | None
    notebook: Path
    seconds: dict = field(default_factory=dict)


def _execute(notebook: Path, out: Path, parameters: dict) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(str(notebook), str(out), parameters=parameters, kernel_name=KERNEL,
                            progress_bar=False, log_output=False, cwd=str(paths.NOTEBOOKS_DIR))
    except PapermillExecutionError as err:
        message = str(err.evalue).strip().splitlines()[0] if str(err.evalue).strip() else ""
        raise BuildError(f"{notebook.name}: cell {err.exec_count} failed: {err.ename}: {message}") from None


def _render(executed: Path, folder: Path, slug: str, formats: tuple[str, ...], built_at: str | None) -> dict:
    import nbformat

    from analysis.exporters import BriefHTMLExporter, BriefPDFExporter

    nb = nbformat.read(executed, as_version=4)
    written, seconds = {}, {}
    for fmt, exporter_cls, mode in (("html", BriefHTMLExporter, "w"), ("pdf", BriefPDFExporter, "wb")):
        if fmt not in formats:
            continue
        t0 = time.perf_counter()
        exporter = exporter_cls(**({"built_at": built_at} if built_at else {}))
        try:
            body, _ = exporter.from_notebook_node(nb)
        except Exception as err:  # noqa: BLE001 - any render failure must name the stage
            raise BuildError(f"rendering {fmt.upper()} failed: {type(err).__name__}: {err}") from err
        target = folder / f"{slug}.{fmt}"
        with open(target, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(body)
        written[fmt], seconds[fmt] = target, time.perf_counter() - t0
    return {"files": written, "seconds": seconds}


@contextlib.contextmanager
def _lock(reports_dir: Path, slug: str):
    lock_path = reports_dir / f".{slug}.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _publish(tmp: Path, final: Path, reports_dir: Path, slug: str) -> None:
    """Swap the finished build into place; the old brief survives until the new one is complete."""
    with _lock(reports_dir, slug):
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{slug}-", dir=reports_dir))
            os.rename(final, old / "brief")
        os.rename(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def run_build(notebook: Path, slug: str, parameters: dict, *, formats=("html", "pdf"),
              reports_dir: Path | None = None, built_at: str | None = None) -> BuildResult:
    """Execute ``notebook`` with ``parameters`` and publish HTML/PDF as ``reports/<slug>/<slug>.*``."""
    reports_dir = Path(reports_dir or paths.REPORTS_DIR).resolve()
    reports_dir.mkdir(parents=True, exist_ok=True)
    final = (reports_dir / slug).resolve()
    if final.parent != reports_dir:
        raise BuildError(f"refusing to write outside {reports_dir}: {final}")
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{slug}-", dir=reports_dir))
    try:
        t0 = time.perf_counter()
        executed = tmp / f"{slug}.ipynb"
        _execute(notebook, executed, parameters)
        seconds = {"execute": time.perf_counter() - t0}
        rendered = _render(executed, tmp, slug, tuple(formats), built_at)
        seconds.update(rendered["seconds"])
        _publish(tmp, final, reports_dir, slug)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = rendered["files"]
    return BuildResult(slug, final, final / files["html"].name if "html" in files else None,
                       final / files["pdf"].name if "pdf" in files else None, final / executed.name, seconds)


def build_brief(supplier, recipient, ally=None, alliance=None, start_year=2018, end_year=2022,
                transfers="embedded", **kwargs) -> BuildResult:
    """Check the parameters here (fast, clear errors), then build the bilateral brief."""
    params = check_brief_parameters(supplier, recipient, ally, alliance, start_year, end_year, transfers)
    parameters = params.as_dict()
    parameters.update(ally=params.ally or "", alliance=params.alliance or "")
    return run_build(paths.BRIEF_NOTEBOOK, params.slug, parameters, **kwargs)


def build_screen(alliance, start_year, end_year, transfers="embedded", **kwargs) -> BuildResult:
    """Check the parameters, then build the alliance-screen brief."""
    params = check_screen_parameters(alliance, start_year, end_year, transfers)
    return run_build(paths.SCREEN_NOTEBOOK, params.slug, params.as_dict(), **kwargs)
