"""Build a brief: papermill executes the notebook, our nbconvert exporters render HTML and PDF,
and the result is published atomically into ``reports/<slug>/``.

Everything runs in this process (the notebook kernel aside): no CLI is spawned per stage.
``build_brief``/``build_screen`` check the parameters and the transfer data (the SIPRI file, the
period against its years) before a kernel starts. ``run_build`` accepts only a safe slug
(:func:`analysis.case.params.is_slug`) and only the parameters the notebook declares.
A build writes into a private temporary folder beside the target and only replaces the
previous brief for that slug when every stage succeeded; an exclusive lock on the reports folder
serialises the final swap so two builds of the same case cannot interleave, and the published
folder gets the usual permissions (mkdtemp's are private). A failed build removes its temporary
folder and leaves the previous brief untouched; its error names the stage (the notebook cell and
line, or the format being rendered) and why.
"""
from __future__ import annotations

import ast
import contextlib
import fcntl
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from analysis import paths
from analysis.pipeline import fast
from analysis.pipeline.kernel import KERNEL
from analysis.case.params import (
    ParameterError,
    check_brief_parameters,
    check_period_in_data,
    check_screen_parameters,
    is_slug,
)

FORMATS = ("html", "pdf")
# How much of a failing cell's error message a BuildError repeats (the rest is in .traceback).
ERROR_LINES = 12
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class BuildError(RuntimeError):
    """A stage of the build failed; the message names the stage (and cell) and why.

    ``traceback`` holds the failing cell's traceback (ANSI colours removed) when there is one.
    """

    def __init__(self, message: str, traceback: str = ""):
        super().__init__(message)
        self.traceback = traceback


@dataclass
class BuildResult:
    slug: str
    folder: Path
    html: Path | None
    pdf: Path | None
    notebook: Path
    seconds: dict = field(default_factory=dict)


def _plain(text: str) -> str:
    return _ANSI.sub("", text or "")


def notebook_parameters(notebook: Path) -> set[str] | None:
    """Names assigned in the notebook's cell tagged ``parameters`` (None when it has no such cell)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and "parameters" in (cell.get("metadata", {}).get("tags") or []):
            names = set()
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else (
                    [node.target] if isinstance(node, ast.AnnAssign) else [])
                names.update(t.id for t in targets if isinstance(t, ast.Name))
            return names
    return None


def _check_parameters(notebook: Path, parameters: dict) -> None:
    """Every parameter passed must be one the notebook declares (papermill would silently ignore it)."""
    if not notebook.is_file():
        raise BuildError(f"no notebook at {notebook}")
    try:
        declared = notebook_parameters(notebook)
    except SyntaxError as err:
        raise BuildError(f"{notebook.name}: the cell tagged 'parameters' is not valid Python: {err}") from None
    except Exception as err:  # noqa: BLE001 - unreadable JSON, not a notebook, ...
        raise BuildError(f"{notebook.name}: cannot read the notebook: {type(err).__name__}: {err}") from None
    if declared is None:
        if parameters:
            raise BuildError(f"{notebook.name} has no cell tagged 'parameters', so it cannot take "
                             f"{', '.join(sorted(parameters))}")
        return
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise BuildError(f"{notebook.name} has no parameter {', '.join(map(repr, unknown))}; "
                         f"its parameters are {', '.join(sorted(declared))}")


def _failing_line(traceback: list[str] | None) -> tuple[int, str] | None:
    """Line number and code of the failing line of the cell, from IPython's ``Cell In[n], line k`` frame."""
    for frame in traceback or []:
        frame = _plain(frame)
        if frame.lstrip().startswith("Cell In"):
            found = re.search(r"^-+>\s*(\d+)\s(.*)$", frame, re.M)
            if found:
                return int(found.group(1)), found.group(2).strip()
    return None


def _cell_label(notebook: Path, source: str, traceback: list[str] | None = None) -> str:
    """``cell 3 (line 4: `case = brief.build(...)`)``: the cell's 1-based position in the notebook file
    and the line that raised (else the cell's first line of code)."""
    import nbformat

    code = [line.strip() for line in (source or "").splitlines() if line.strip() and not line.strip().startswith("#")]
    failing = _failing_line(traceback)
    shown = f"line {failing[0]}: `{failing[1]}`" if failing else (f"`{code[0]}`" if code else "")
    if len(shown) > 100:
        shown = shown[:96] + "...`"
    number = None
    with contextlib.suppress(Exception):
        nb = nbformat.read(notebook, as_version=4)
        number = next((i for i, c in enumerate(nb.cells, start=1) if c.get("source") == source), None)
    if number is None:  # e.g. the cell papermill injected with the parameters
        return f"the cell {shown}" if shown else "a cell"
    return f"cell {number} ({shown})" if shown else f"cell {number}"


def _execute(notebook: Path, out: Path, parameters: dict):
    """Run ``notebook`` with ``parameters`` into ``out``; returns the executed notebook (as written)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        return pm.execute_notebook(str(notebook), str(out), parameters=parameters, kernel_name=KERNEL,
                                   progress_bar=False, log_output=False, cwd=str(paths.NOTEBOOKS_DIR),
                                   request_save_on_cell_execute=False, **fast.papermill_options())
    except PapermillExecutionError as err:
        lines = [line for line in _plain(str(err.evalue)).strip().splitlines() if line.strip()]
        why = "\n".join(lines[:ERROR_LINES]) + (f"\n... ({len(lines) - ERROR_LINES} more lines)"
                                                if len(lines) > ERROR_LINES else "")
        raise BuildError(f"{notebook.name}: {_cell_label(notebook, err.source, err.traceback)} failed: {err.ename}"
                         + (f": {why}" if why else ""),
                         traceback=_plain("\n".join(err.traceback or []))) from None
    except Exception as err:  # noqa: BLE001 - kernel died, timeout, unreadable notebook, ...
        raise BuildError(f"{notebook.name}: execution failed: {type(err).__name__}: {err}") from err


def _prewarm_renderers() -> None:
    """Start the PDF engine (Chromium, or WeasyPrint's fonts) and the template in the background while
    the kernel runs, so a cold build's render stages start warm."""
    def prewarm():
        from analysis.render.exporters import prewarm as run

        run()

    threading.Thread(target=prewarm, name="armsbrief-prewarm", daemon=True).start()


_EXPORTERS: dict = {}  # one exporter per class and PDF engine, kept for the process: templates compiled once


def _exporter(cls, built_at):
    from analysis.case.params import default_pdf_engine

    key = (cls, default_pdf_engine(), fast.enabled())
    exporter = _EXPORTERS.get(key)
    if exporter is None:
        exporter = _EXPORTERS[key] = fast.exporter_class(cls)()
    exporter.built_at = built_at
    return exporter


def _render(executed: Path, folder: Path, slug: str, formats: tuple[str, ...], built_at: str | None,
            nb=None) -> dict:
    """Render ``nb`` (else the notebook saved at ``executed``) into ``folder``."""
    import nbformat

    from analysis.render.exporters import BriefHTMLExporter, BriefPDFExporter, default_built_at

    if nb is None:
        nb = nbformat.read(executed, as_version=4)
    written, seconds = {}, {}
    built_at = built_at or default_built_at()  # one build time for both formats
    page = None  # the HTML page, which Chromium prints as it is
    for fmt in FORMATS:
        if fmt not in formats:
            continue
        t0 = time.perf_counter()
        try:
            if fmt == "html":
                body, _ = _exporter(BriefHTMLExporter, built_at).from_notebook_node(nb)
                page = body
            else:
                exporter = _exporter(BriefPDFExporter, built_at)
                if page is not None and not exporter.print_mode:
                    body = exporter.pdf_from_html(page)
                else:
                    body, _ = exporter.from_notebook_node(nb)
        except Exception as err:  # noqa: BLE001 - any render failure must name the stage
            raise BuildError(f"rendering {fmt.upper()} failed: {type(err).__name__}: {err}") from err
        target = folder / f"{slug}.{fmt}"
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(body, encoding="utf-8")
        written[fmt], seconds[fmt] = target, time.perf_counter() - t0
    return {"files": written, "seconds": seconds}


@contextlib.contextmanager
def _lock(reports_dir: Path):
    """Exclusive lock on the reports folder itself (no lock file is left behind)."""
    fd = os.open(reports_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _publish(tmp: Path, final: Path, reports_dir: Path, slug: str) -> None:
    """Swap the finished build into place; the old brief survives until the new one is complete."""
    # mkdtemp made the folder private (0700): publish it like any folder made with mkdir.
    os.chmod(tmp, 0o777 & ~_umask())
    with _lock(reports_dir):
        old = None
        if os.path.lexists(final):
            old = Path(tempfile.mkdtemp(prefix=f".old-{slug}-", dir=reports_dir))
            os.rename(final, old / "brief")
        os.rename(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _check_formats(formats) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ParameterError(f"formats: expected one or more of {', '.join(FORMATS)}, got "
                             f"{', '.join(map(repr, unknown)) if unknown else 'none'}")
    return formats


def run_build(notebook: Path, slug: str, parameters: dict, *, formats=FORMATS,
              reports_dir: Path | None = None, built_at: str | None = None) -> BuildResult:
    """Execute ``notebook`` with ``parameters`` and publish HTML/PDF as ``reports/<slug>/<slug>.*``."""
    if not is_slug(slug):
        raise BuildError(f"refusing output name {slug!r}: expected a slug of lower-case letters, digits and "
                         "single hyphens (see analysis.case.params.slugify), which cannot name a path outside "
                         "the reports folder")
    formats = _check_formats(formats)
    notebook = Path(notebook)
    _check_parameters(notebook, parameters)
    reports_dir = Path(reports_dir or paths.REPORTS_DIR).resolve()
    reports_dir.mkdir(parents=True, exist_ok=True)
    final = reports_dir / slug
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{slug}-", dir=reports_dir))
    try:
        t0 = time.perf_counter()
        executed = tmp / f"{slug}.ipynb"
        # papermill (with nbclient and jupyter_client) is imported here, before the prewarm thread imports
        # nbconvert, which imports them too: two threads importing one package at once can end in
        # "cannot import name ... from partially initialized module" (seen in 1 of ~20 cold builds).
        import papermill  # noqa: F401

        _prewarm_renderers()
        nb = _execute(notebook, executed, parameters)
        seconds = {"execute": time.perf_counter() - t0}
        rendered = _render(executed, tmp, slug, formats, built_at, nb=nb if isinstance(nb, dict) else None)
        seconds.update(rendered["seconds"])
        _publish(tmp, final, reports_dir, slug)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = rendered["files"]
    return BuildResult(slug, final, final / files["html"].name if "html" in files else None,
                       final / files["pdf"].name if "pdf" in files else None, final / executed.name, seconds)


def _check_data(params) -> None:
    """Load the transfer data the notebook will use and check the period against it, before any kernel
    starts: a bad SIPRI file or a period outside the data fails here with the loader's message.
    (A SIPRI file parsed here is cached by checksum, so the notebook does not parse it again.)"""
    from analysis.sources.transfers import load_transfers

    check_period_in_data(params.start_year, params.end_year, load_transfers(params.transfers))


def build_brief(supplier, recipient, ally=None, alliance=None, start_year=2018, end_year=2022,
                transfers="embedded", **kwargs) -> BuildResult:
    """Check the parameters and the data here (fast, clear errors), then build the bilateral brief."""
    params = check_brief_parameters(supplier, recipient, ally, alliance, start_year, end_year, transfers)
    if "formats" in kwargs:
        kwargs["formats"] = _check_formats(kwargs["formats"])
    _check_data(params)
    for note in params.notes:
        print(f"armsbrief: {note}", file=sys.stderr)
    parameters = params.as_dict()
    parameters.update(ally=parameters["ally"] or "", alliance=params.alliance or "")
    return run_build(paths.BRIEF_NOTEBOOK, params.slug, parameters, **kwargs)


def build_screen(alliance, start_year, end_year, transfers="embedded", **kwargs) -> BuildResult:
    """Check the parameters and the data, then build the alliance-screen brief."""
    params = check_screen_parameters(alliance, start_year, end_year, transfers)
    if "formats" in kwargs:
        kwargs["formats"] = _check_formats(kwargs["formats"])
    _check_data(params)
    return run_build(paths.SCREEN_NOTEBOOK, params.slug, params.as_dict(), **kwargs)
