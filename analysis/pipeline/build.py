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
line, or the format being rendered) and why; a file that cannot be written (a full disk) is named.

Outputs of earlier builds: a build replaces only the files it produces. A published file it does not
produce (``--formats html`` over a brief that also has a PDF) is kept in the new folder, renamed
``<slug>.earlier-<its UTC time>.<ext>`` so that it cannot pass for part of this build (an earlier
copy of a format the build produces again is superseded); anything else in the folder (an analyst's
notes) is kept as it is. Kept files are hard links made under the lock, so a build that fails
before the swap leaves the previous folder exactly as it was.

Temporary folders (``.build-*``, and ``.old-*`` during the swap) are named after their owner:
``.build-<slug>.<host>.<pid>.<start>.<random>`` (a hash of the host name, the process id and its
start time in clock ticks). Each build first removes the ones whose owner is gone (a build killed
with ``kill -9``): never a live build's, never one of another host unless it is over
:data:`STALE_AFTER_S` old, nor an unowned one younger than that. A ``.old-*`` folder whose brief
never got replaced (killed during the swap) is put back. Ctrl-C is held off during the swap itself.
"""
from __future__ import annotations

import ast
import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
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
#: Seconds after which a temporary folder whose owner cannot be checked (another host, or made by a
#: version that did not name its owner) counts as abandoned: a build takes seconds, never an hour.
STALE_AFTER_S = 3600
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
    #: Files of an earlier build kept in the folder, as (old name, name now), e.g. the PDF beside a new HTML.
    kept: tuple = ()


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
    except OSError as err:
        raise BuildError(f"{notebook.name}: execution failed: {_os_error(err, out)}") from err
    except Exception as err:  # noqa: BLE001 - kernel died, timeout, unreadable notebook, ...
        raise BuildError(f"{notebook.name}: execution failed: {type(err).__name__}: {err}") from err


#: errno values that mean "this file could not be written" (full disk, quota, read-only, too large).
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _os_error(err: OSError, writing: Path | None = None) -> str:
    """An OSError as a message that names its path: the error's own file name, else ``writing`` (the
    file being written) for a write error such as a full disk, whose OSError names no file."""
    why = err.strerror or str(err)
    if err.filename:
        return f"{err.filename}: {why}"
    if writing is not None and err.errno in _WRITE_ERRORS:
        return f"cannot write {writing}: {why}"
    return f"{type(err).__name__}: {err}"


def _write(target: Path, body) -> None:
    """Write one output file; a failure (a full disk, ...) raises BuildError naming the file."""
    try:
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(body, encoding="utf-8")
    except OSError as err:
        raise BuildError(f"writing {target.suffix[1:].upper()} failed: {_os_error(err, target)}") from None


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
        _write(target, body)
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


# ------------------------------------------------------------------ temporary folders and their owners

_OWNED = re.compile(r"^\.(?P<kind>build|old)-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<host>[0-9a-f]{8})\."
                    r"(?P<pid>\d+)\.(?P<start>\d+)\.[A-Za-z0-9_]+$")
_UNOWNED = re.compile(r"^\.(?:build|old)-[a-z0-9_-]+$")  # made by a version that did not name its owner


def _host_id() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _start_time(pid: int) -> int:
    """A process's start time (clock ticks after boot, /proc/<pid>/stat field 22); 0 where unknown.
    With the pid it tells a process apart from a later one that got the same pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return int(stat[stat.rindex(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _private_folder(kind: str, slug: str, reports_dir: Path) -> Path:
    """``reports/.<kind>-<slug>.<host>.<pid>.<start>.<random>/``: private (0700), its owner in its name."""
    owner = f"{_host_id()}.{os.getpid()}.{_start_time(os.getpid())}"
    return Path(tempfile.mkdtemp(prefix=f".{kind}-{slug}.{owner}.", dir=reports_dir))


def _owner_alive(host: str, pid: int, start: int) -> bool | None:
    """True/False for a process of this host; None when it cannot be told (another host)."""
    if host != _host_id():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return not start or _start_time(pid) in (start, 0)


def remove_stale_builds(reports_dir: Path) -> list[str]:
    """Remove the temporary folders of builds that were killed (their owner is gone; see the module
    docstring); put back a brief left in a ``.old-*`` folder by a build killed during its swap.
    Returns the names removed. Called by every build, under the reports folder's lock."""
    removed = []
    now = dt.datetime.now().timestamp()
    with _lock(reports_dir):
        for entry in sorted(reports_dir.iterdir()):
            owned = _OWNED.match(entry.name)
            if not (owned or _UNOWNED.match(entry.name)) or entry.is_symlink() or not entry.is_dir():
                continue
            alive = _owner_alive(owned["host"], int(owned["pid"]), int(owned["start"])) if owned else None
            if alive is None:
                with contextlib.suppress(OSError):
                    alive = now - entry.stat().st_mtime < STALE_AFTER_S
            if alive is not False:
                continue
            if owned and owned["kind"] == "old" and (entry / "brief").is_dir() \
                    and not os.path.lexists(reports_dir / owned["slug"]):
                with contextlib.suppress(OSError):  # the brief this build had moved aside: put it back
                    os.rename(entry / "brief", reports_dir / owned["slug"])
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def child_processes(pid: int | None = None) -> list[int]:
    """The running children of process ``pid`` (default: this process), from /proc (Linux; elsewhere [])."""
    pid = os.getpid() if pid is None else pid
    found = []
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != b"Z":
                found.append(int(name))
    return found


def stop_child_processes() -> None:
    """Kill this process's children at once (an interrupted build: its kernel, the browser's driver),
    so that none of them outlives the build or prints into the terminal after it has returned."""
    for child in child_processes():
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)


@contextlib.contextmanager
def _children_stop_on_interrupt():
    """While a build runs: Ctrl-C first kills this process's children (the kernel, the browser's
    driver), then raises KeyboardInterrupt as usual. Without it the kernel, told to shut down in the
    middle of a cell, prints a ZeroMQ traceback, and Playwright's failed futures are logged as "Future
    exception was never retrieved". Main thread only (elsewhere, and when SIGINT is ignored, no-op)."""
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if not callable(previous):
        yield
        return

    def interrupted(signum, frame):
        import logging

        stop_child_processes()
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # the futures of the driver just killed
        previous(signum, frame)

    signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ------------------------------------------------------------------ publishing

def _earlier_name(path: Path, slug: str, ext: str, taken: set[str]) -> str:
    """``<slug>.earlier-<UTC time of the file>.<ext>`` (``-2``, ``-3`` ... if that name is taken)."""
    stamp = dt.datetime.fromtimestamp(path.lstat().st_mtime, dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name, n = f"{slug}.earlier-{stamp}.{ext}", 1
    while name in taken:
        n += 1
        name = f"{slug}.earlier-{stamp}-{n}.{ext}"
    return name


def _link(source: Path, target: Path) -> None:
    """``target`` as a hard link of ``source`` (a copy where links are refused); folders recursively."""
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():
        shutil.copytree(source, target, symlinks=True, copy_function=_link_file)
    else:
        _link_file(source, target)


def _link_file(source, target) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _carry_over(old: Path, new: Path, slug: str) -> list[tuple[str, str]]:
    """Put into ``new`` (the finished build) what ``old`` (the published folder) holds that this build
    did not produce: an output of a format not built now as ``<slug>.earlier-<time>.<ext>``, other files
    as they are; an earlier copy of a format built now is superseded. Returns (old name, new name)."""
    produced = {p.name for p in new.iterdir()}
    earlier = re.compile(rf"^{re.escape(slug)}\.earlier-\d{{8}}T\d{{6}}Z(?:-\d+)?\.(?P<ext>\w+)$")
    taken, kept = set(produced), []
    for entry in sorted(old.iterdir()):
        name = entry.name
        if name in produced:
            continue  # replaced by this build's own file
        copy = earlier.match(name)
        if copy and f"{slug}.{copy['ext']}" in produced:
            continue  # an earlier copy of a format this build produced again
        ext = name[len(slug) + 1:] if name.startswith(f"{slug}.") else ""
        target = _earlier_name(entry, slug, ext, taken) if ext in FORMATS else name
        _link(entry, new / target)
        taken.add(target)
        kept.append((name, target))
    return kept


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold off Ctrl-C (SIGINT) for the duration and raise KeyboardInterrupt after it, if one came:
    the swap of a brief is never cut in half. Only the main thread can do this; elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if got and callable(previous):
            previous(signal.SIGINT, None)
        elif got and previous == signal.SIG_DFL:
            raise KeyboardInterrupt


def _publish(tmp: Path, final: Path, reports_dir: Path, slug: str) -> list[tuple[str, str]]:
    """Swap the finished build into place; the old brief survives until the new one is complete.
    Returns the files of the earlier build kept in the folder (see :func:`_carry_over`)."""
    # mkdtemp made the folder private (0700): publish it like any folder made with mkdir.
    os.chmod(tmp, 0o777 & ~_umask())
    with _lock(reports_dir), _interrupts_deferred():
        kept = []
        if os.path.isdir(final) and not os.path.islink(final):
            kept = _carry_over(final, tmp, slug)
        old = None
        if os.path.lexists(final):
            old = _private_folder("old", slug, reports_dir)
            os.rename(final, old / "brief")
        try:
            os.rename(tmp, final)
        except BaseException:
            if old is not None:  # put the previous brief back
                os.rename(old / "brief", final)
                shutil.rmtree(old, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return kept


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
    final = reports_dir / slug
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        for name in remove_stale_builds(reports_dir):
            print(f"armsbrief: removed {reports_dir / name}, left by a build that was killed", file=sys.stderr)
        tmp = _private_folder("build", slug, reports_dir)
    except OSError as err:
        raise BuildError(f"cannot prepare the reports folder: {_os_error(err, reports_dir)}") from None
    try:
        t0 = time.perf_counter()
        executed = tmp / f"{slug}.ipynb"
        # papermill (with nbclient and jupyter_client) is imported here, before the prewarm thread imports
        # nbconvert, which imports them too: two threads importing one package at once can end in
        # "cannot import name ... from partially initialized module" (seen in 1 of ~20 cold builds).
        import papermill  # noqa: F401

        with _children_stop_on_interrupt():  # Ctrl-C: the kernel and the browser go first, quietly
            _prewarm_renderers()
            nb = _execute(notebook, executed, parameters)
            seconds = {"execute": time.perf_counter() - t0}
            rendered = _render(executed, tmp, slug, formats, built_at, nb=nb if isinstance(nb, dict) else None)
        seconds.update(rendered["seconds"])
        try:
            kept = _publish(tmp, final, reports_dir, slug)
        except OSError as err:
            raise BuildError(f"publishing the brief failed: {_os_error(err, final)}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old_name, name in kept:
        if old_name != name:
            print(f"armsbrief: kept {old_name} of an earlier build as {final / name} (this build made "
                  f"{', '.join(f for f in FORMATS if f in rendered['files'])})", file=sys.stderr)
    files = rendered["files"]
    return BuildResult(slug, final, final / files["html"].name if "html" in files else None,
                       final / files["pdf"].name if "pdf" in files else None, final / executed.name, seconds,
                       kept=tuple(kept))


def _check_data(params) -> None:
    """Load the transfer data the notebook will use and check the period against it, before any kernel
    starts: a bad SIPRI file or a period outside the data fails here with the loader's message.
    (A SIPRI file parsed here is cached by checksum, so the notebook does not parse it again.)"""
    from analysis.sources.transfers import load_transfers, selection_notes

    register = load_transfers(params.transfers)
    for note in selection_notes(register):  # transfers 'auto': the register chosen, every file skipped and why
        print(f"armsbrief: {note}", file=sys.stderr)
    check_period_in_data(params.start_year, params.end_year, register)
    _check_packs(params)


def _check_packs(params) -> None:
    """Validate the case packs the notebook will read (every case.yml on the search path, and the tables
    of the packs used: a brief's matching or named packs, every pack for a screen) before any kernel
    starts, so a bad pack fails here with its file, row and column and nothing reaches reports/."""
    from analysis.sources import packs

    if hasattr(params, "supplier"):
        used = packs.select_packs(params.supplier, params.recipient, params.start_year, params.end_year,
                                  getattr(params, "case", ""))
    else:
        used = packs.discover()
    packs.load_pack_tables(used)


def build_brief(supplier, recipient, ally=None, alliance=None, start_year=2018, end_year=2022,
                transfers="embedded", case="", case_dirs=(), conflicts="", compare_with="", **kwargs) -> BuildResult:
    """Check the parameters and the data here (fast, clear errors), then build the bilateral brief.

    ``case``: a case pack's name ("" = the packs that match); ``case_dirs``: folders searched for packs
    before ``$ARMSBRIEF_CASES`` and ``data/cases`` (``--case-dir``; the kernel gets them through the
    environment)."""
    from analysis.sources.packs import extra_folders

    with extra_folders(case_dirs):
        params = check_brief_parameters(supplier, recipient, ally, alliance, start_year, end_year, transfers, case,
                                        conflicts, compare_with)
        if "formats" in kwargs:
            kwargs["formats"] = _check_formats(kwargs["formats"])
        _check_data(params)
        _check_context_files(params)
        for note in params.notes:
            print(f"armsbrief: {note}", file=sys.stderr)
        parameters = params.as_dict()
        parameters.update(ally=parameters["ally"] or "", alliance=params.alliance or "")
        return run_build(paths.BRIEF_NOTEBOOK, params.slug, parameters, **kwargs)


def _check_context_files(params) -> None:
    """Read the conflict file and the register to compare with here, so a bad one fails before any kernel
    starts (the kernel reads them again, the register from the parsed-register cache)."""
    from analysis.sources.ucdp import select_conflicts

    select_conflicts(params.conflicts)
    if params.compare_with:
        from analysis.case.revisions import check_comparable
        from analysis.sources.sipri import load_register
        from analysis.sources.transfers import load_transfers

        check_comparable(load_transfers(params.transfers), load_register(params.compare_with))


def build_screen(alliance, start_year, end_year, transfers="embedded", **kwargs) -> BuildResult:
    """Check the parameters and the data, then build the alliance-screen brief."""
    params = check_screen_parameters(alliance, start_year, end_year, transfers)
    if "formats" in kwargs:
        kwargs["formats"] = _check_formats(kwargs["formats"])
    _check_data(params)
    return run_build(paths.SCREEN_NOTEBOOK, params.slug, params.as_dict(), **kwargs)


TRENDS_NOTEBOOK = paths.NOTEBOOKS_DIR / "trends.ipynb"


def build_trends(start_year, end_year, region="", focus="", transfers="auto", **kwargs) -> BuildResult:
    """Check the parameters and the data (a whole SIPRI register: the embedded data is refused with
    the fix), then build the trends report into ``reports/trends-<period>/``."""
    from analysis.report.trends import check

    if "formats" in kwargs:
        kwargs["formats"] = _check_formats(kwargs["formats"])
    params, _register, _regions = check(start_year, end_year, region, focus, transfers)
    return run_build(TRENDS_NOTEBOOK, params.slug, params.as_dict(), **kwargs)
