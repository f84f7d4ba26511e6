#!/usr/bin/env python
"""armsbrief benchmarks: ``make bench`` (``.venv/bin/python bench/run.py [--quick]``).

Everything is measured in one run on this machine, so the ratios against the floor are meaningful
even where the machine is noisy (the absolute seconds are not). Reported values are medians.

* **floor**: papermill executing an empty notebook with kernel ``python3`` (kernel start, one
  round trip, shutdown): the least any notebook build can cost. Measured at the start and again at
  the end of the run (at least 5 runs each); the median of all those runs is the floor.
* **default brief** (Belarus -> Azerbaijan, ally Armenia, CSTO, 2018-2022, embedded data; HTML and
  PDF) end to end with :func:`analysis.pipeline.build.build_brief`:
  - *cold*: the first build in a fresh process (each run a new process; imports included);
  - *warm*: repeat builds in one process, with each stage (execute, HTML, PDF, the rest = parameter
    and data checks and the atomic publish). With kernels forked from the kernel fork server
    (the fence :mod:`analysis.pipeline.fast`) where the fence allows it, and then also
    without it for comparison. Each build has floor runs beside it in the same process (the better
    of two, alternately before and after it); the goal's ratio is the median of build / floor over
    those pairs, which cancels the machine's drift over minutes (the run's floor is printed too).
* **registers**: each real SIPRI register in ``../shared/sipri/*/trade-register.csv`` loaded and
  normalised (:func:`analysis.sources.sipri.load_register`) cold (``use_cache=False``) and from the Parquet
  cache (a private cache folder: the project's ``data/cache`` is not touched).
* **peak memory** (``getrusage`` maxrss of the building process and of its notebook kernel) of a brief
  built on the full classic register, and the resident memory of the PDF browser's processes after it.
* **batch**: the project's ``briefs.yml`` (what ``make briefs`` builds; ``--batch N``: N briefs of
  the CSTO members-vs-adversaries expansion, quick: 6) built by ``armsbrief batch SPEC --jobs N`` (a
  fresh process each time, as a user runs it) with one worker and with two, HTML and PDF, in the
  order 1, 2, 2, 1 workers (quick: 1, 2); the best run of each; throughput ratio (the goal). Beside
  it, what two cores give this machine at best (a CPU-bound loop in one process and in two at once:
  on shared virtual machines two "cores" often give well under 2x) and the same briefs built one
  after another with ``armsbrief brief`` (a fresh process each), once.

The header also prints the CPU "steal" during the run (Linux /proc/stat: time the hypervisor gave to
other guests): on a shared virtual machine a busy host slows everything down, and not evenly (a build
of several processes suffers more than the mostly-waiting floor), so compare runs with similar steal.

The real-register parts are skipped, with the reason printed, when ``../shared/sipri`` is absent.
Scratch output goes to ``.bench/`` (git-ignored) and is removed at the end (``--keep`` keeps it).
This is a benchmark, not a test: it prints figures and flags the goals, and exits 0 either way.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
WORK = ROOT / ".bench"

DEFAULT_BRIEF = dict(supplier="Belarus", recipient="Azerbaijan", ally="Armenia", alliance="CSTO",
                     start_year=2018, end_year=2022, transfers="embedded")
GOALS = {"warm_ratio": 2.5, "register_cold_s": 1.0, "register_cache_s": 0.2, "batch_speedup": 1.6,
         "memory_mib": 1024}
MIB = 1024 * 1024
# Floor runs at the start and again at the end (even with --quick): about one run in five takes ~3 s
# longer (papermill waiting for ipykernel to exit at shutdown), and the median must not land on those.
FLOOR_RUNS = 5


# ------------------------------------------------------------------------------------------------ helpers

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def maxrss_mib(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (/proc/stat, Linux), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            return [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def steal_share(start: list[int] | None, end: list[int] | None) -> float | None:
    """Share of the CPU time between two :func:`cpu_times` that the hypervisor gave to other guests
    ("steal"): on a shared virtual machine, the benchmark's own noise."""
    if not start or not end or len(start) < 8 or len(end) < 8:
        return None
    total = sum(end[:8]) - sum(start[:8])
    return (end[7] - start[7]) / total if total > 0 else None


def quiet_kernel_logs() -> None:
    import logging

    for name in ("papermill", "traitlets", "nbclient", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)


def uses_fork_server() -> bool:
    from analysis.pipeline import fast

    return fast.kernels_available()


def empty_notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "empty.ipynb"
    nbformat.write(nb, path)
    return path


def floor_once(notebook: Path, out: Path) -> float:
    """papermill executing an empty notebook with kernel python3, as analysis.pipeline.build calls it."""
    import papermill as pm

    from analysis import paths

    t0 = time.perf_counter()
    pm.execute_notebook(str(notebook), str(out), kernel_name="python3", progress_bar=False, log_output=False,
                        cwd=str(paths.NOTEBOOKS_DIR))
    return time.perf_counter() - t0


def registers() -> list[Path]:
    from analysis import paths

    return sorted(paths.SHARED_SIPRI_DIR.glob("*/trade-register.csv")) if paths.SHARED_SIPRI_DIR.is_dir() else []


def classic_register() -> Path | None:
    from analysis.sources.sipri import detect_format

    for path in reversed(registers()):  # newest first
        with contextlib.suppress(Exception):
            if detect_format(path) == "classic":
                return path
    return None


# ------------------------------------------------------------------------------------------------ children
# Each child runs in a fresh process (python bench/run.py --child NAME ...) and writes JSON.

def child_cold(args) -> dict:
    t_start = time.perf_counter()
    quiet_kernel_logs()
    from analysis.pipeline.build import build_brief

    t_import = time.perf_counter() - t_start
    t0 = time.perf_counter()
    result = build_brief(**DEFAULT_BRIEF, reports_dir=args.reports)
    return {"build_s": time.perf_counter() - t0, "import_s": t_import, "stages": result.seconds,
            "in_process_s": time.perf_counter() - t_start,
            "self_mib": maxrss_mib(), "kernel_mib": maxrss_mib(resource.RUSAGE_CHILDREN)}


def child_warm(args) -> dict:
    quiet_kernel_logs()
    from analysis.pipeline import fast
    from analysis.pipeline.build import build_brief

    forkserver = args.forkserver and uses_fork_server()
    if forkserver:
        fast.start_kernel_server()
    paired = args.paired
    floor_out = Path(args.reports) / "floor-out.ipynb"
    if paired:  # floor runs beside every build, in this process: the ratio of each pair
        notebook = empty_notebook(Path(args.reports))
        floor_once(notebook, floor_out)  # warm-up: first kernel start

    def floor_beside() -> float:
        """The better of two floor runs (one in five hangs ~3 s in ipykernel's shutdown; taking the
        better one can only make the floor smaller, i.e. the ratio stricter)."""
        return min(floor_once(notebook, floor_out) for _ in range(2))

    runs = []
    try:
        for i in range(args.runs + 1):  # the first build warms the process up and is reported apart
            floor_before = floor_beside() if paired and i % 2 else None  # floors before, then after, ...
            t0 = time.perf_counter()
            result = build_brief(**DEFAULT_BRIEF, reports_dir=args.reports)
            total = time.perf_counter() - t0
            floor = floor_before or (floor_beside() if paired else None)
            runs.append({"total_s": total, "floor_s": floor, **{f"{k}_s": v for k, v in result.seconds.items()}})
    finally:
        fast.stop_kernel_server()
    return {"first": runs[0], "runs": runs[1:], "fork_server": forkserver,
            "self_mib": maxrss_mib(), "kernel_mib": maxrss_mib(resource.RUSAGE_CHILDREN),
            "browser_mib": browser_mib()}


def child_registers(args) -> dict:
    from analysis import paths
    from analysis.sources import sipri

    paths.CACHE_DIR = Path(args.reports) / "cache"  # private: never touch the project's data/cache
    out = []
    for path in registers():
        fmt = sipri.detect_format(path)
        cold = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            reg = sipri.load_register(path, use_cache=False)
            cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sipri.load_register(path)  # parses and writes the cache
        first_cached = time.perf_counter() - t0
        cached = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            reg = sipri.load_register(path)
            cached.append(time.perf_counter() - t0)
        out.append({"path": str(path), "format": fmt, "vintage": reg.vintage, "deals": len(reg.deals),
                    "deliveries": len(reg.deliveries), "cold_s": cold, "write_cache_s": first_cached,
                    "cached_s": cached})
    # armsbrief vintages diff on two whole registers (the two classic vintages), registers already parsed
    from analysis.sources import vintages
    classic = [Path(r["path"]) for r in out if r["format"] == "classic"]
    diff_s = []
    if len(classic) >= 2:
        old, new = (sipri.load_register(p) for p in sorted(classic)[:2])
        for _ in range(args.runs):
            t0 = time.perf_counter()
            vintages.diff(old, new)
            diff_s.append(time.perf_counter() - t0)
    return {"registers": out, "vintages_diff_s": diff_s, "self_mib": maxrss_mib()}


def browser_mib() -> float:
    """Memory of this process's PDF browser now: the proportional set size (PSS: shared pages split
    between the processes sharing them) of Playwright's driver and every Chromium process, summed."""
    import psutil

    total = 0
    for proc in psutil.Process().children(recursive=True):
        try:
            if any(key in " ".join(proc.cmdline()[:2]).lower() for key in ("chrom", "playwright", "node")):
                total += proc.memory_full_info().pss
        except psutil.Error:
            continue
    return total / MIB


def child_memory(args) -> dict:
    quiet_kernel_logs()
    from analysis.pipeline.build import build_brief

    t0 = time.perf_counter()
    result = build_brief(**{**DEFAULT_BRIEF, "transfers": args.transfers}, reports_dir=args.reports)
    return {"build_s": time.perf_counter() - t0, "stages": result.seconds, "pdf_bytes": result.pdf.stat().st_size,
            "self_mib": maxrss_mib(), "kernel_mib": maxrss_mib(resource.RUSAGE_CHILDREN),
            "browser_mib": browser_mib()}


CHILDREN = {"cold": child_cold, "warm": child_warm, "registers": child_registers, "memory": child_memory}


def run_child(name: str, *extra: str, runs: int = 1, log: Path) -> tuple[dict | None, float]:
    """Run a child benchmark in a fresh process; return its JSON and the process wall time."""
    reports = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=WORK))
    out = reports / "result.json"
    cmd = [sys.executable, str(HERE), "--child", name, "--runs", str(runs), "--reports", str(reports),
           "--out", str(out), *extra]
    t0 = time.perf_counter()
    with open(log, "ab") as fh:
        fh.write(f"\n==== {' '.join(cmd)}\n".encode())
        fh.flush()
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not out.is_file():
        print(f"    ! child {name!r} failed (exit {proc.returncode}); see {log}")
        return None, wall
    return json.loads(out.read_text()), wall


# ------------------------------------------------------------------------------------------------ batch

def batch_spec(folder: Path, n: int | None) -> tuple[Path, list]:
    """The batch to build: the project's own ``briefs.yml`` (what ``make briefs`` builds) when ``n`` is
    None, else ``n`` briefs from the CSTO members-vs-adversaries expansion (embedded data, HTML and
    PDF). Returns the spec and its briefs (:class:`analysis.pipeline.batch.BriefJob`)."""
    from analysis import paths
    from analysis.pipeline.batch import expand_alliance, load_spec

    if n is None:
        spec = paths.PROJECT_ROOT / "briefs.yml"
        return spec, load_spec(spec)
    jobs = expand_alliance("CSTO", 2018, 2022)[:n]
    lines = ["defaults: {start: 2018, end: 2022, transfers: embedded, formats: [html, pdf]}", "briefs:"]
    for job in jobs:
        p = job.params
        lines.append(f"  - {{supplier: {p.supplier}, recipient: {p.recipient}, ally: {p.ally}, alliance: CSTO}}")
    spec = folder / "batch.yml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return spec, load_spec(spec)


def run_one_by_one_timed(jobs: list, folder: Path, log: Path) -> tuple[float, bool]:
    """The same briefs built one after another with ``armsbrief brief`` (a fresh process each), as a
    user without the batch command would (wall time)."""
    env = {**os.environ, "ARMSBRIEF_REPORTS_DIR": str(folder)}
    ok, t0 = True, time.perf_counter()
    for job in jobs:
        k = job.build_kwargs()
        cmd = [sys.executable, "-m", "analysis.pipeline.cli", "brief", "--supplier", k["supplier"],
               "--recipient", k["recipient"], "--ally", k["ally"], "--alliance", k["alliance"],
               "--start", str(k["start_year"]), "--end", str(k["end_year"]), "--transfers", k["transfers"],
               "--formats", ",".join(k["formats"])]
        ok = run_logged(cmd, env, log)[1] and ok
    return time.perf_counter() - t0, ok


SPIN = "s = 0\nfor i in range(12_000_000):\n    s += i * i\n"


def parallel_ceiling(order: list[int]) -> dict:
    """What two cores give this machine at best: the same CPU-bound Python loop in one process, and in
    two at once (order as given, the best time of each); throughput ratio = 2 x t(one) / t(two)."""
    times: dict[int, list[float]] = {1: [], 2: []}
    for n in order:
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n)]
        for proc in procs:
            proc.wait()
        times[n].append(time.perf_counter() - t0)
    return {"runs_s": times, "ratio": 2 * min(times[1]) / min(times[2])}


def run_batch_timed(spec: Path, jobs: int, folder: Path, log: Path) -> tuple[float, bool]:
    """``armsbrief batch SPEC --jobs N`` in a fresh process, as a user runs it (wall time)."""
    cmd = [sys.executable, "-m", "analysis.pipeline.cli", "batch", str(spec), "--jobs", str(jobs)]
    return run_logged(cmd, {**os.environ, "ARMSBRIEF_REPORTS_DIR": str(folder)}, log)


FAILED: list[str] = []  # commands that failed in this run (their output is kept in the log)


def run_logged(cmd: list[str], env: dict, log: Path) -> tuple[float, bool]:
    """Run ``cmd`` with its output appended to ``log``; (wall seconds, success). A failure is shown at
    once (the end of its output), and the scratch folder is then kept for its logs."""
    with open(log, "ab") as fh:
        fh.write(f"\n==== {' '.join(cmd)}\n".encode())
        fh.flush()
        start = fh.tell()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        FAILED.append(" ".join(cmd))
        with open(log, "rb") as fh:
            fh.seek(start)
            tail = fh.read().decode("utf-8", "replace").replace("\r", "\n").splitlines()[-12:]
        print(f"    ! exit {proc.returncode}: {' '.join(cmd)}\n" + "\n".join(f"      | {line}" for line in tail),
              file=sys.stderr, flush=True)
    return seconds, proc.returncode == 0


# ------------------------------------------------------------------------------------------------ report

class Report:
    def __init__(self):
        self.data: dict = {}
        self.goals: list[tuple[str, bool | None, str]] = []

    def line(self, label: str, value: str = "", note: str = "") -> None:
        dots = "." * max(2, 58 - len(label))
        print(f"  {label} {dots} {value}" + (f"   {note}" if note else ""), flush=True)

    def goal(self, name: str, ok: bool | None, detail: str) -> str:
        self.goals.append((name, ok, detail))
        return "[goal: " + ("OK" if ok else ("MISSED" if ok is False else "n/a")) + f", {detail}]"


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}x" if floor and floor == floor else "n/a"


def section(title: str) -> None:
    print(f"\n{title}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs and a smaller batch (~2-3 minutes)")
    parser.add_argument("--runs", type=int, default=None, help="measured runs per figure (default 5, quick 2)")
    parser.add_argument("--batch", type=int, default=None,
                        help="briefs in the batch benchmark, from the CSTO expansion (default: the project's briefs.yml; quick: 6)")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["cold", "warm", "registers", "memory", "batch"], help="skip a part (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder .bench/")
    # internal: child processes
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--reports", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--transfers", help=argparse.SUPPRESS)
    parser.add_argument("--forkserver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--paired", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = CHILDREN[args.child](args)
        Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
        return 0

    runs = args.runs or (2 if args.quick else 5)
    n_batch = args.batch or (6 if args.quick else None)  # None: the project's briefs.yml
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    log = WORK / "children.log"
    rep = Report()
    try:
        return _bench(args, runs, n_batch, log, rep)
    finally:
        if args.json:
            args.json.write_text(json.dumps({"figures": rep.data, "goals": rep.goals}, indent=1, default=str))
        if FAILED:
            print(f"\n{len(FAILED)} command(s) failed; their output is in {log} (scratch kept in {WORK})")
        elif not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)


def progress(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


def _bench(args, runs: int, n_batch: int | None, log: Path, rep: Report) -> int:
    quiet_kernel_logs()
    from analysis import __version__, paths

    forkserver = uses_fork_server()
    skip = set(args.skip)
    load_start = os.getloadavg()
    cpu_start = cpu_times()
    d = rep.data

    # ================================================================ measure
    progress("floor (papermill, empty notebook)")
    folder = Path(tempfile.mkdtemp(prefix="floor-", dir=WORK))
    notebook = empty_notebook(folder)
    floor_once(notebook, folder / "out.ipynb")  # warm-up: imports, first kernel start
    floors = [floor_once(notebook, folder / "out.ipynb") for _ in range(max(runs, FLOOR_RUNS))]

    if "cold" not in skip:
        n_cold = max(2, runs // 2 + 1)
        results = []
        for i in range(n_cold):
            progress(f"cold build {i + 1}/{n_cold} (fresh process)")
            results.append(run_child("cold", runs=1, log=log))
        good = [(r, wall) for r, wall in results if r]
        if good:
            d["cold"] = {"build_s": median([r["build_s"] for r, _ in good]),
                         "import_s": median([r["import_s"] for r, _ in good]),
                         "process_s": median([wall for _, wall in good]),
                         "runs_s": [r["build_s"] for r, _ in good],
                         "stages": {s: median([r["stages"].get(s) for r, _ in good]) for s in ("execute", "html", "pdf")}}
    if "warm" not in skip:
        warm_runs = runs if args.quick else max(runs, 8)
        progress(f"warm builds: 1 + {warm_runs} in one process, each beside a floor run"
                 + (" (kernel fork server)" if forkserver else ""))
        d["warm"], _ = run_child("warm", "--forkserver", "--paired", runs=warm_runs, log=log)
        if forkserver:
            progress(f"warm builds without the kernel fork server: 1 + {runs}")
            d["warm_without_fork_server"], _ = run_child("warm", runs=runs, log=log)

    progress("floor again")
    floors += [floor_once(notebook, folder / "out.ipynb") for _ in range(max(runs, FLOOR_RUNS))]
    floor = median(floors)
    d["floor"] = {"median_s": floor, "runs_s": floors}

    found = registers()
    if "registers" not in skip and found:
        progress(f"registers: {len(found)} x ({runs} cold + {runs} cached loads)")
        d["registers"], _ = run_child("registers", runs=runs, log=log)
    classic = classic_register() if found else None
    if "memory" not in skip and classic is not None:
        progress("brief on the full classic register (memory)")
        d["memory_full_register"], _ = run_child("memory", "--transfers", str(classic), runs=1, log=log)
    if "batch" not in skip:
        folder = Path(tempfile.mkdtemp(prefix="batch-", dir=WORK))
        spec, jobs_ = batch_spec(folder, n_batch)
        # Alternating order (1, 2, 2, 1 workers; quick: 1, 2) and the best run of each: noise from
        # other processes on the machine only ever adds time.
        order = [1, 2] if args.quick else [1, 2, 2, 1]
        progress("parallel ceiling: a CPU-bound loop in 1 and in 2 processes")
        ceiling = parallel_ceiling([1, 2, 2, 1, 1, 2])
        times: dict[int, list[float]] = {1: [], 2: []}
        all_ok = True
        for i, jobs in enumerate(order):
            progress(f"batch of {len(jobs_)}: {jobs} worker{'s' if jobs > 1 else ''} ({i + 1}/{len(order)})")
            seconds, ok = run_batch_timed(spec, jobs, folder / f"run-{i}-{jobs}", log)
            times[jobs].append(seconds)
            all_ok = all_ok and ok
        seq, par = min(times[1]), min(times[2])
        progress(f"{len(jobs_)} briefs one after another with `armsbrief brief`")
        one_by_one, ok = run_one_by_one_timed(jobs_, folder / "one-by-one", log)
        d["batch"] = {"spec": str(spec.relative_to(ROOT)) if spec.is_relative_to(ROOT) else spec.name,
                      "own_spec": n_batch is None, "briefs": [job.title for job in jobs_],
                      "sequential_s": seq, "parallel_s": par, "speedup": seq / par, "runs_s": times,
                      "all_built": all_ok and ok, "one_by_one_s": one_by_one, "ceiling": ceiling}

    # ================================================================ report
    print(f"armsbrief {__version__} benchmarks, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; "
          f"Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"load average {' '.join(f'{x:.2f}' for x in load_start)} at the start, "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end; medians of {runs} runs"
          f"{' (--quick)' if args.quick else ''}; ratios against the floor of this run")
    steal = d["steal_share"] = steal_share(cpu_start, cpu_times())
    if steal is not None:
        print(f"CPU steal during the run (time the hypervisor gave to other guests): {steal:.1%}"
              + (": a busy host, expect slower and noisier figures" if steal > 0.05 else ""))
    print("kernel fork server (analysis.pipeline.fast): "
          + ("available" if forkserver else "NOT available (see the fence's message above)"))

    section("Floor")
    slow = sum(f > 2 * floor for f in floors)
    rep.line("papermill, empty notebook, kernel python3", f"{floor:.2f} s  (1.00x)",
             f"{len(floors)} runs, {min(floors):.2f}-{max(floors):.2f} s"
             + (f", {slow} of them over twice the median (slow kernel shutdown)" if slow else ""))

    section("Default brief (Belarus -> Azerbaijan, ally Armenia, CSTO, 2018-2022, embedded data), HTML + PDF")
    cold, warm, plain = d.get("cold"), d.get("warm"), d.get("warm_without_fork_server")
    if "cold" in skip:
        print("  cold: skipped (--skip cold)")
    elif cold:
        rep.line("cold: first build in a fresh process", f"{cold['build_s']:.2f} s  ({ratio(cold['build_s'], floor)})",
                 f"runs {', '.join(f'{v:.1f}' for v in cold['runs_s'])} s; + {cold['import_s']:.2f} s importing "
                 f"analysis.pipeline.build; process wall {cold['process_s']:.2f} s")
        rep.line("  execute / HTML / PDF", " / ".join(f"{cold['stages'][s]:.2f}" for s in ("execute", "html", "pdf"))
                 + " s")
    if "warm" in skip:
        print("  warm: skipped (--skip warm)")
    elif warm:
        totals = [r["total_s"] for r in warm["runs"]]
        value = median(totals)
        # The goal's ratio: each build against the floor run beside it (same minute, same process), the
        # median of those ratios; the machine's speed drifts over minutes, which the pairs cancel.
        pairs = [r["total_s"] / r["floor_s"] for r in warm["runs"] if r.get("floor_s")]
        goal_ratio = median(pairs) if pairs else value / floor
        ok = goal_ratio <= GOALS["warm_ratio"]
        over = "" if ok else f", {goal_ratio - GOALS['warm_ratio']:.2f}x over"
        rep.line("warm: repeat builds" + (" (kernel fork server)" if warm["fork_server"] else ""),
                 f"{value:.2f} s  ({ratio(value, floor)})",
                 rep.goal("default brief warm <= 2.5x floor", ok,
                          f"{goal_ratio:.2f}x" + (" paired" if pairs else "") + over))
        if pairs:
            rep.line("  each build / the floor run beside it", f"{goal_ratio:.2f}x",
                     f"median of {len(pairs)} pairs ({min(pairs):.2f}-{max(pairs):.2f}x); those floors: median "
                     f"{median([r['floor_s'] for r in warm['runs'] if r.get('floor_s')]):.2f} s")
        stages = {s: median([r.get(f"{s}_s") for r in warm["runs"]]) for s in ("execute", "html", "pdf")}
        stages["checks + publish"] = median([r["total_s"] - sum(r.get(f"{s}_s") or 0 for s in ("execute", "html", "pdf"))
                                             for r in warm["runs"]])
        for name, v in stages.items():
            rep.line(f"  {name}", f"{v:.2f} s  ({ratio(v, floor)})")
        rep.line("  runs", ", ".join(f"{v:.2f}" for v in totals) + " s",
                 f"first build of the process {warm['first']['total_s']:.2f} s")
        if plain:
            pv = median([r["total_s"] for r in plain["runs"]])
            rep.line("warm without the fork server (comparison)", f"{pv:.2f} s  ({ratio(pv, floor)})",
                     f"execute {median([r['execute_s'] for r in plain['runs']]):.2f} s")

    section("SIPRI registers: load + normalise (analysis.sources.sipri.load_register)")
    if "registers" in skip:
        print("  skipped (--skip registers)")
    elif not found:
        print(f"  skipped: no trade-register.csv under {paths.SHARED_SIPRI_DIR} (absent)")
    for r in (d.get("registers") or {}).get("registers", []):
        c, k = median(r["cold_s"]), median(r["cached_s"])
        vintage = Path(r["path"]).parent.name
        name = f"{vintage} {r['format']}, {r['deals']:,} deals"
        rep.line(f"{name}: cold", f"{c:.3f} s",
                 rep.goal(f"register {vintage} cold < 1 s", c < GOALS["register_cold_s"], f"{c:.2f} s"))
        rep.line(f"{name}: Parquet cache", f"{k:.3f} s",
                 rep.goal(f"register {vintage} cached < 0.2 s", k < GOALS["register_cache_s"], f"{k:.3f} s"))

    diff_s = (d.get("registers") or {}).get("vintages_diff_s") or []
    if diff_s:
        cold = [median(r["cold_s"]) for r in d["registers"]["registers"] if r["format"] == "classic"]
        v = median(diff_s)
        rep.line("vintages diff, the two classic registers (parsed)", f"{v:.2f} s",
                 f"{v / max(cold):.1f}x one register's cold load in the same run")

    section("Peak memory (getrusage maxrss)")
    if warm:
        rep.line("default brief, embedded data (warm process)",
                 f"builder {warm['self_mib']:.0f} MiB, largest kernel {warm['kernel_mib']:.0f} MiB, "
                 f"PDF browser {warm.get('browser_mib', 0):.0f} MiB (PSS)")
    mem = d.get("memory_full_register")
    if "memory" in skip:
        print("  full register: skipped (--skip memory)")
    elif classic is None:
        print(f"  full register: skipped: no classic register under {paths.SHARED_SIPRI_DIR}")
    elif mem:
        peak = max(mem["self_mib"], mem["kernel_mib"])
        together = mem["self_mib"] + mem["kernel_mib"] + mem.get("browser_mib", 0)
        rep.line(f"brief on the full classic register ({classic.parent.name})",
                 f"builder {mem['self_mib']:.0f} MiB, kernel {mem['kernel_mib']:.0f} MiB, "
                 f"PDF browser {mem.get('browser_mib', 0):.0f} MiB (PSS)",
                 rep.goal("peak memory, brief on the full register < 1 GiB", peak < GOALS["memory_mib"],
                          f"largest process {peak:.0f} MiB, all of them together {together:.0f} MiB"))
        rep.line("  its build (cold process)", f"{mem['build_s']:.2f} s",
                 "execute / HTML / PDF " + " / ".join(f"{mem['stages'].get(s, float('nan')):.2f}"
                                                      for s in ("execute", "html", "pdf")) + " s")

    section("Batch (armsbrief batch SPEC --jobs N, fresh process each run), HTML + PDF, embedded data")
    b = d.get("batch")
    if "batch" in skip:
        print("  skipped (--skip batch)")
    elif b:
        n = len(b["briefs"])
        runs = b["runs_s"]
        print(f"  the batch: {b['spec']}" + (" (the project's own spec, what `make briefs` builds)" if b["own_spec"]
                                            else f" ({n} briefs of the CSTO members-vs-adversaries expansion)"))
        rep.line(f"{n} briefs, sequential (1 worker)", f"{b['sequential_s']:.1f} s  ({n / b['sequential_s']:.3f} briefs/s)",
                 "best of " + ", ".join(f"{v:.1f}" for v in runs[1]) + " s")
        rep.line(f"{n} briefs, parallel (2 workers)", f"{b['parallel_s']:.1f} s  ({n / b['parallel_s']:.3f} briefs/s)",
                 "best of " + ", ".join(f"{v:.1f}" for v in runs[2]) + " s")
        rep.line("throughput, parallel / sequential", f"{b['speedup']:.2f}x",
                 rep.goal("batch throughput >= 1.6x on 2 cores", b["speedup"] >= GOALS["batch_speedup"],
                          f"{b['speedup']:.2f}x"))
        c = b["ceiling"]
        rep.line("  ceiling here: CPU-bound loop, 2 vs 1 process", f"{c['ratio']:.2f}x",
                 "best of 1 process " + ", ".join(f"{v:.2f}" for v in c["runs_s"][1]) + " s; of 2 at once "
                 + ", ".join(f"{v:.2f}" for v in c["runs_s"][2]) + " s")
        if b.get("one_by_one_s"):
            rep.line(f"{n} briefs one after another (`armsbrief brief` each)", f"{b['one_by_one_s']:.1f} s  "
                     f"({n / b['one_by_one_s']:.3f} briefs/s)",
                     f"batch with 2 workers: {b['one_by_one_s'] / b['parallel_s']:.2f}x their throughput")
        if not b["all_built"]:
            print("  ! some briefs failed to build: see the failures printed above and .bench/children.log")

    section("Goals")
    for name, ok, detail in rep.goals:
        print(f"  {'OK    ' if ok else 'MISSED' if ok is False else 'n/a   '} {name}: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
