"""Build many briefs from one YAML spec, in parallel, with an index page.

``armsbrief batch SPEC.yml`` (``make briefs`` uses ``briefs.yml``) calls :func:`run_batch`.

Spec format
-----------

A YAML mapping with two keys::

    defaults:                  # optional: applied to every entry that does not set the key itself
      start: 2018
      end: 2022
      transfers: embedded      # embedded | auto | path of a SIPRI trade-register export
      formats: [html, pdf]     # or "html,pdf"; default both
    briefs:                    # required: a non-empty list of entries
      - {supplier: Belarus, recipient: Azerbaijan, ally: Armenia, alliance: CSTO}
      - {supplier: Russia, recipient: Armenia, start: 2010, end: 2020}
      - {alliance: CSTO, mode: members-vs-adversaries}

An entry is either **one brief** (keys ``supplier``, ``recipient`` and, from the entry or the
defaults, ``start`` and ``end``; optional ``ally``, ``alliance``, ``transfers``, ``formats``; the same
meaning as the options of ``armsbrief brief``), or **an alliance expansion** (``alliance`` and
``mode: members-vs-adversaries``; optional ``start``, ``end``, ``transfers``, ``formats``) meaning
"every member of the alliance against its adversaries": for every member A of the alliance in the
period and every country R that ``data/case/conflicts.csv`` puts in a dyad or conflict with A in a
year of the period in which A was a member, one brief per other member S with S as supplier, R as
recipient and A (the threatened member) as ally. A brief whose output name (``supplier-recipient-
start-end``) another expansion already produced is built once; the index names every threatened
member. Two explicit entries with the same output name are an error.

Every entry is checked before any build starts; a bad spec raises :class:`SpecError` naming the file,
the entry (``briefs[2]``, counting from 0) and the key. Unknown keys are errors (with the closest
known key suggested): a typo never silently drops a parameter.

Running
-------

Briefs are built in worker processes (``concurrent.futures.ProcessPoolExecutor``, ``jobs`` of them,
default one per core), each calling :func:`analysis.pipeline.build.build_brief`; a tqdm progress bar counts
them. Workers are forked from multiprocessing's fork server after it has imported the build's
modules and warmed them up with a throwaway brief once (so a script calling :func:`run_batch` needs
the usual ``if __name__ == "__main__":`` guard); each worker starts a kernel fork server
where the fence allows it (:mod:`analysis.pipeline.fast`), so that its briefs start their kernels
in milliseconds, and all workers print their PDFs with this process's one browser
(:func:`analysis.render.chromium.print_server`). A failing brief does not stop the others: the summary at
the end names every failed brief and why, and :func:`run_batch` returns False (``armsbrief batch``
exits with status 1). Workers keep the notebook kernels' console output in ``<reports>/.batch-logs/``
(named in the summary on failure).

Nothing outlives the batch, whatever ends it (``kill -9`` too): on Linux the fork server and every
worker ask the kernel to kill them when their parent exits (``prctl(PR_SET_PDEATHSIG)``,
:func:`die_with_parent`); a worker's kernel fork server exits when its worker's socket closes, and
kernels when their parent goes (ipykernel's parent poller); multiprocessing's resource tracker exits
once the last of them has gone (its pipe closes), after removing what they left. The batch's one
browser is Playwright's: its driver exits when this process's pipe to it closes, and takes Chromium
with it.

Each worker reads the key figures of the brief it built from the executed notebook (the title cell's
output metadata, :func:`analysis.case.compute.key_figures_of_notebook`; no HTML is parsed, nothing is computed
twice), and this process finally writes ``<reports>/index.html``: one self-contained page (inline CSS,
no JavaScript, every value escaped) linking every brief with the registered TIV of the pair in the
period, its share of the recipient's imports where it can be computed, the claim verdicts and the
number of reported (non-register) items; a brief that failed shows why instead.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import dataclasses
import datetime as dt
import difflib
import multiprocessing
import os
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from analysis.render.index_page import write_index

__all__ = ["SpecError", "BriefJob", "MODES", "load_spec", "run_batch", "write_index"]

MODES = ("members-vs-adversaries",)
BRIEF_KEYS = ("supplier", "recipient", "ally", "alliance", "start", "end", "transfers", "formats")
EXPANSION_KEYS = ("alliance", "mode", "start", "end", "transfers", "formats")
TOP_KEYS = ("defaults", "briefs")
FORMATS = ("html", "pdf")
LOG_DIR_NAME = ".batch-logs"
#: Set by the batch for its multiprocessing fork server: the pid of the batch process (see die_with_parent).
BATCH_PID_ENV = "ARMSBRIEF_BATCH_PID"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
DASK_CONNECT_TIMEOUT_S = 10
# spec key -> the parameter name analysis.case.params uses in its messages
_PARAM_OF_KEY = {"start": "start_year", "end": "end_year"}


class SpecError(ValueError):
    """The batch spec is malformed; the message names the file, the entry and the key."""


@dataclasses.dataclass(frozen=True)
class BriefJob:
    """One brief to build: where it came from in the spec and its checked parameters."""

    entry: str                 # "briefs[3]" or "briefs[2] (CSTO members-vs-adversaries)"
    params: Any                # analysis.case.params.BriefParams
    formats: tuple[str, ...]
    note: str = ""             # e.g. the threatened member(s) of an alliance expansion

    @property
    def slug(self) -> str:
        return self.params.slug

    @property
    def title(self) -> str:
        return f"{self.params.supplier} → {self.params.recipient}, {self.params.start_year}–{self.params.end_year}"

    def build_kwargs(self) -> dict:
        p = self.params
        return {"supplier": p.supplier, "recipient": p.recipient, "ally": p.ally or "",
                "alliance": p.alliance or "", "start_year": p.start_year, "end_year": p.end_year,
                "transfers": p.transfers, "formats": self.formats}


# --------------------------------------------------------------------------------------------- the spec

def _fail(path: Path, where: str, message: str) -> SpecError:
    return SpecError(f"{path}: {where}: {message}" if where else f"{path}: {message}")


def _check_keys(path: Path, where: str, mapping: dict, allowed: tuple[str, ...]) -> None:
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _fail(path, where, f"unknown key {key!r}{hint}; allowed keys: {', '.join(allowed)}")


def _text(path: Path, where: str, key: str, value, *, optional: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise _fail(path, where, f"key {key!r} is required (text)")
    if not isinstance(value, str):
        raise _fail(path, where, f"key {key!r}: expected text, got {value!r}")
    return value.strip()


def _year(path: Path, where: str, key: str, value) -> int:
    if value is None:
        raise _fail(path, where, f"key {key!r} is required (a year), in the entry or in 'defaults'")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, where, f"key {key!r}: expected a year (a whole number), got {value!r}")
    return value


def _period(path: Path, where: str, entry: dict) -> tuple[int, int]:
    start = _year(path, where, "start", entry.get("start"))
    end = _year(path, where, "end", entry.get("end"))
    if start > end:
        raise _fail(path, where, f"keys 'start' and 'end': the period starts ({start}) after it ends ({end})")
    return start, end


def _formats(path: Path, where: str, value) -> tuple[str, ...]:
    if value is None:
        return FORMATS
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise _fail(path, where, f"key 'formats': expected a list such as [html, pdf], got {value!r}")
    out = []
    for item in items:
        item = item.strip().lower() if isinstance(item, str) else item
        if item not in FORMATS:
            raise _fail(path, where, f"key 'formats': expected html and/or pdf, got {item!r}")
        if item not in out:
            out.append(item)
    return tuple(out)


def _transfers(path: Path, where: str, value) -> str:
    from analysis.case.params import EMBEDDED

    if value is None:
        return EMBEDDED
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, f"key 'transfers': expected 'embedded', 'auto' or a file path, got {value!r}")
    value = value.strip()
    if value in ("embedded", "auto"):
        return value
    target = Path(value).expanduser()
    return str(target if target.is_absolute() else (path.parent / target))  # relative to the spec file


def _parameter_error(path: Path, where: str, err: Exception) -> SpecError:
    """A ParameterError from analysis.case.params, re-worded with the spec key it concerns."""
    message = str(err)
    found = re.search(r"parameters? '(\w+)'", message)
    if found:
        param = found.group(1)
        key = next((k for k, p in _PARAM_OF_KEY.items() if p == param), param)
        return _fail(path, where, f"key {key!r}: {message}")
    return _fail(path, where, message)


def _describe(entry: dict) -> str:
    if "mode" in entry:
        return f" ({entry.get('alliance')} {entry.get('mode')})"
    if isinstance(entry.get("supplier"), str) and isinstance(entry.get("recipient"), str):
        return f" ({entry['supplier']} -> {entry['recipient']})"
    return ""


def _brief(path: Path, where: str, entry: dict) -> BriefJob:
    from analysis.case.params import ParameterError, check_brief_parameters

    supplier = _text(path, where, "supplier", entry.get("supplier"))
    recipient = _text(path, where, "recipient", entry.get("recipient"))
    ally = _text(path, where, "ally", entry.get("ally"), optional=True)
    alliance = _text(path, where, "alliance", entry.get("alliance"), optional=True)
    start, end = _period(path, where, entry)
    transfers = _transfers(path, where, entry.get("transfers"))
    formats = _formats(path, where, entry.get("formats"))
    try:
        params = check_brief_parameters(supplier, recipient, ally, alliance, start, end, transfers)
    except ParameterError as err:
        raise _parameter_error(path, where, err) from None
    return BriefJob(where, params, formats)


def expand_alliance(alliance: str, start: int, end: int, transfers: str = "embedded",
                    formats: tuple[str, ...] = FORMATS, entry: str = "") -> list[BriefJob]:
    """The briefs of ``{alliance: X, mode: members-vs-adversaries}`` (see the module docstring)."""
    from analysis.case import alliances
    from analysis.sources.curated import load_table
    from analysis.case.params import check_brief_parameters, check_screen_parameters

    screen = check_screen_parameters(alliance, start, end, transfers)
    alliance, start, end = screen.alliance, screen.start_year, screen.end_year
    spells, conflicts = load_table("alliance_membership"), load_table("conflicts")
    members = alliances.members_in_period(spells, alliance, start, end)
    years = {m: alliances.member_years(spells, alliance, m, start, end) for m in members}
    label = entry or f"{alliance} members-vs-adversaries"
    jobs: list[BriefJob] = []
    for threatened in members:
        for adversary in alliances.adversaries_of(conflicts, threatened):
            hostile = alliances.adversary_years(conflicts, threatened, adversary, start, end)
            if not set(hostile) & years[threatened]:
                continue  # no year of the period with both the dyad active and the member in the alliance
            for supplier in members:
                if supplier in (threatened, adversary):
                    continue
                params = check_brief_parameters(supplier, adversary, threatened, alliance, start, end,
                                                screen.transfers)
                jobs.append(BriefJob(label, params, tuple(formats), note=f"threatened member: {threatened}"))
    return jobs


def _expansion(path: Path, where: str, entry: dict) -> list[BriefJob]:
    from analysis.case.params import ParameterError

    mode = entry.get("mode")
    if mode not in MODES:
        raise _fail(path, where, f"key 'mode': expected one of {', '.join(MODES)}, got {mode!r}")
    alliance = _text(path, where, "alliance", entry.get("alliance"))
    start, end = _period(path, where, entry)
    transfers = _transfers(path, where, entry.get("transfers"))
    formats = _formats(path, where, entry.get("formats"))
    try:
        jobs = expand_alliance(alliance, start, end, transfers, formats, entry=where)
    except ParameterError as err:
        raise _parameter_error(path, where, err) from None
    if not jobs:
        raise _fail(path, where, f"the {alliance} has no member in a dyad or conflict (data/case/conflicts.csv) "
                                 f"with a country in {start}–{end}: this entry expands to no brief")
    return jobs


def load_spec(spec: str | os.PathLike) -> list[BriefJob]:
    """Read, check and expand a batch spec into the briefs to build (see the module docstring)."""
    import yaml

    path = Path(spec)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SpecError(f"{path}: cannot read the spec: {err.strerror or err}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise SpecError(f"{path}: not valid UTF-8 YAML: {err}") from None
    if not isinstance(data, dict):
        raise _fail(path, "", "a spec is a YAML mapping with the keys 'defaults' (optional) and 'briefs'")
    _check_keys(path, "top level", data, TOP_KEYS)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise _fail(path, "defaults", f"expected a mapping of keys ({', '.join(BRIEF_KEYS)}), got {defaults!r}")
    _check_keys(path, "defaults", defaults, BRIEF_KEYS)
    entries = data.get("briefs")
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "briefs", "expected a non-empty list of entries (one mapping per brief or "
                                    "alliance expansion)")

    jobs: list[BriefJob] = []
    by_slug: dict[str, int] = {}
    for i, entry in enumerate(entries):
        where = f"briefs[{i}]"
        if not isinstance(entry, dict):
            raise _fail(path, where, f"expected a mapping such as {{supplier: ..., recipient: ...}}, got {entry!r}")
        where += _describe(entry)
        if "mode" in entry:
            _check_keys(path, where, entry, EXPANSION_KEYS)
            merged = {k: v for k, v in defaults.items() if k in EXPANSION_KEYS} | entry
            new, explicit = _expansion(path, where, merged), False
        else:
            _check_keys(path, where, entry, BRIEF_KEYS)
            new, explicit = [_brief(path, where, defaults | entry)], True
        for job in new:
            if job.slug not in by_slug:
                by_slug[job.slug] = len(jobs)
                jobs.append(job)
                continue
            first = jobs[by_slug[job.slug]]
            if first.params == job.params:
                continue  # the same brief twice: build it once
            if explicit and not first.note:
                raise _fail(path, where, f"builds the same output reports/{job.slug}/ as {first.entry} with other "
                                         "parameters; give one of them another period, or drop one")
            if job.note and job.note not in first.note:  # an expansion met this pair again: name it
                extra = job.note.replace("threatened member: ", "")
                jobs[by_slug[job.slug]] = dataclasses.replace(first, note=f"{first.note}, {extra}" if first.note
                                                              else job.note)
    return jobs


# --------------------------------------------------------------------------------------------- workers

def die_with_parent(parent_pid: int | None = None) -> bool:
    """Have this process killed (SIGKILL) as soon as its parent exits, however the parent ends.

    Linux only (``prctl(PR_SET_PDEATHSIG)`` through ctypes; False elsewhere, where nothing is done).
    The signal comes when the *thread* that forked this process ends: call it in a process forked by a
    main thread (multiprocessing's fork server and pool workers are). ``parent_pid``: a process whose
    death means this one must go (the batch); if it is already gone (it died before the call), this
    process exits at once.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if parent_pid is not None:
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass
    return True


# The multiprocessing fork server imports this module first (see _worker_context): there it arranges to
# die with the batch process (its parent), even while it is still importing and warming up.
if os.environ.get(BATCH_PID_ENV) and os.environ.get(BATCH_PID_ENV) == str(os.getppid()):
    die_with_parent(os.getppid())


def _worker_init(log_dir: str | None, use_fork_server: bool, print_server: str | None = None,
                 batch_pid: int | None = None) -> None:
    """Die with the fork server (and so with the batch: :func:`die_with_parent`); send this worker's (and
    its kernels') console output to a log file; start the kernel fork server (analysis.pipeline.fast.kernels),
    so that every brief gets its kernel in milliseconds; print PDFs with the batch's one browser
    (``print_server``, see analysis.render.chromium.print_server) when there is one."""
    die_with_parent(batch_pid)
    if print_server:
        from analysis.render.chromium import SERVER_ENV

        os.environ[SERVER_ENV] = print_server
    if log_dir:
        with contextlib.suppress(OSError):
            fd = os.open(os.path.join(log_dir, f"worker-{os.getpid()}.log"),
                         os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(fd, 2)
            os.close(fd)
    if use_fork_server:
        from analysis.pipeline import fast

        fast.start_kernel_server(fork=True)  # this fresh worker has no thread yet; the server inherits its imports


def _build_worker(kwargs: dict, reports_dir: str, built_at: str) -> dict:
    """Build one brief; never raises for a failed build (the parent reports it)."""
    t0 = time.perf_counter()
    try:
        from analysis.pipeline.build import build_brief

        result = build_brief(**kwargs, reports_dir=reports_dir, built_at=built_at)
    except Exception as err:  # noqa: BLE001 - continue-on-error: the summary names it
        return {"ok": False, "error": f"{type(err).__name__}: {err}", "seconds": time.perf_counter() - t0,
                "traceback": getattr(err, "traceback", "") or traceback.format_exc()}
    try:
        from analysis.case.compute import key_figures_of_notebook

        figures = key_figures_of_notebook(result.notebook) or {"error": "the notebook carries no key figures"}
    except (OSError, ValueError) as err:
        figures = {"error": f"{type(err).__name__}: {err}"}
    return {"ok": True, "figures": figures, "slug": result.slug, "html": str(result.html) if result.html else None,
            "pdf": str(result.pdf) if result.pdf else None, "seconds": time.perf_counter() - t0,
            "stages": dict(result.seconds)}


# What every worker imports before its first brief: imported once in multiprocessing's fork server
# and inherited by each worker it forks, instead of once per worker.
# (analysis.report.brief, analysis.report.screen and the fence's preload are for the kernel fork server each
# worker forks; its warm-up runs once for all: see analysis.pipeline.fast.warm.)
_WORKER_PRELOAD = ["analysis.pipeline.batch", "analysis.pipeline.build", "analysis.case.compute",
                   "analysis.render.exporters", "papermill", "nbformat", "nbclient", "analysis.report.brief",
                   "analysis.report.screen", "ipykernel.kernelapp", "matplotlib.font_manager"]
# ... and the PDF engine's modules
_ENGINE_PRELOAD = {"chromium": ["analysis.render.chromium", "playwright.sync_api"], "weasyprint": ["weasyprint"]}


def _worker_context():
    """Workers forked from a clean server process that has imported the build's modules once (not
    forked from this process, which may hold threads such as tqdm's monitor)."""
    try:
        ctx = multiprocessing.get_context("forkserver")
        from analysis.case.params import default_pdf_engine
        from analysis.pipeline import fast

        # debugpy (imported by ipykernel's debugger) warns about frozen modules on import unless told not to
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        os.environ[BATCH_PID_ENV] = str(os.getpid())  # the fork server dies with this process
        # the fence's modules last: they end with the warm-up, which runs a brief with all of them
        ctx.set_forkserver_preload([*_WORKER_PRELOAD, *_ENGINE_PRELOAD[default_pdf_engine()], *fast.preload_modules()])
        from multiprocessing import forkserver

        forkserver.ensure_running()  # returns at once; the server preloads in the background
        return ctx
    except ValueError:  # pragma: no cover - platforms without fork
        return multiprocessing.get_context("spawn")


def _build_uses_fork_server() -> bool:
    """Whether the fence's kernel fork server can run here (else a worker would start one in vain)."""
    from analysis.pipeline import fast

    return fast.kernels_available()


# --------------------------------------------------------------------------------------------- run

class DaskError(RuntimeError):
    """The dask.distributed cluster named with ``--dask`` cannot be used."""


@contextlib.contextmanager
def _dask_executor(address: str, workers: int):
    """A ``concurrent.futures`` executor on a dask.distributed cluster: the scheduler at ``address``, or
    a LocalCluster of ``workers`` single-threaded worker processes for ``"local"``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DaskError("--dask needs dask.distributed: pip install 'armsbrief[dask]'") from None
    with contextlib.ExitStack() as stack:
        try:
            if address == "local":
                cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                           dashboard_address=None, silence_logs=logging.ERROR))
                client = stack.enter_context(Client(cluster))
            else:
                client = stack.enter_context(Client(address, timeout=DASK_CONNECT_TIMEOUT_S))
        except OSError as err:
            raise DaskError(f"--dask {address}: cannot reach the dask scheduler ({err}); expected "
                            "'local' or a scheduler address such as tcp://host:8786") from None
        yield client.get_executor(pure=False)


def run_batch(spec: str | os.PathLike, jobs: int | None = None, *, reports_dir: str | os.PathLike | None = None,
              progress: bool = True, write_index_page: bool = True, out=None, dask: str | None = None) -> bool:
    """Build every brief of ``spec`` with ``jobs`` worker processes; True when all were built.

    ``dask``: run the same builds on a dask.distributed cluster instead of the local process pool
    (a scheduler address, or ``"local"`` for a LocalCluster of ``jobs`` workers); its workers must
    see the same project and reports folder (one machine, or a shared file system). Raises
    :class:`SpecError` (before building anything) for a bad spec. Writes ``<reports_dir>/index.html``
    and prints a summary to ``out`` (default stderr).
    """
    from analysis import paths

    out = out or sys.stderr
    # the local pool's server starts importing and warming up now, while the spec is read
    context = None if dask else _worker_context()
    briefs = load_spec(spec)
    if any(job.params.transfers == "auto" for job in briefs):  # said once here: workers' stderr goes to logs
        from analysis.sources.transfers import choose_register

        for note in choose_register()[0].notes():
            print(f"armsbrief: {note}", file=out)
    reports = Path(reports_dir or paths.REPORTS_DIR).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    log_dir = reports / LOG_DIR_NAME
    with contextlib.suppress(OSError):
        for old in log_dir.glob("worker-*.log"):
            old.unlink()
        log_dir.mkdir(exist_ok=True)
    workers = max(1, min(jobs or _cpu_count(), len(briefs)))
    built_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    results: dict[int, dict] = {}
    figures: dict[int, dict] = {}
    t0 = time.perf_counter()

    from tqdm import tqdm

    bar = tqdm(total=len(briefs), desc="briefs", unit="brief", disable=not progress, file=out,
               dynamic_ncols=True)
    # One browser for the whole batch, in this process, lent to the workers (not one per worker).
    from analysis.case.params import default_pdf_engine

    stack = contextlib.ExitStack()
    printer = None
    if dask:  # each dask worker prints with its own browser and starts its kernels the plain way
        try:
            executor = stack.enter_context(_dask_executor(dask, workers))
        except BaseException:
            bar.close()
            raise
    else:
        if default_pdf_engine() == "chromium":
            from analysis.render.chromium import print_server

            printer = stack.enter_context(print_server())
        executor = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                          initializer=_worker_init,
                                          initargs=(str(log_dir) if log_dir.is_dir() else None,
                                                    _build_uses_fork_server(), printer, os.getpid()))
    try:
        futures = {}
        for i, job in enumerate(briefs):
            future = executor.submit(_build_worker, job.build_kwargs(), str(reports), built_at)
            future.add_done_callback(lambda _f: bar.update(1))
            futures[future] = i
        for future in cf.as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
                # the index figures: those of the brief as built (read by the worker from its notebook)
                figures[i] = results[i].pop("figures", None) or {"error": "the brief was not built"}
            except Exception as err:  # noqa: BLE001 - a worker died (killed, out of memory, ...)
                results[i] = {"ok": False, "error": f"worker failed: {type(err).__name__}: {err}",
                              "traceback": ""}
                figures[i] = {"error": "the brief was not built"}
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        stack.close()
        bar.close()
        raise
    executor.shutdown(wait=True)
    stack.close()  # the cluster (dask) or the browser lent to the workers
    bar.close()
    elapsed = time.perf_counter() - t0

    index = None
    if write_index_page:
        index = write_index(reports, briefs, results, figures, built_at=built_at, spec=Path(spec).name)
    _summary(out, briefs, results, elapsed, workers, index, log_dir, where=f"dask {dask}" if dask else None)
    return all(r.get("ok") for r in results.values()) and len(results) == len(briefs)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _summary(out, briefs, results, elapsed, workers, index, log_dir, where=None) -> None:
    failed = [(job, results.get(i, {})) for i, job in enumerate(briefs) if not results.get(i, {}).get("ok")]
    built = len(briefs) - len(failed)
    print(f"armsbrief batch: built {built} of {len(briefs)} briefs in {elapsed:.1f} s ({workers} worker"
          f"{'s' if workers != 1 else ''}{f' on {where}' if where else ''})" + (f"; index: {index}" if index else ""), file=out)
    for job, result in failed:
        print(f"  FAILED {job.entry}: {job.title}: {result.get('error', 'not built')}", file=out)
    if failed and log_dir.is_dir():
        print(f"  (kernel and worker console output: {log_dir}/)", file=out)
