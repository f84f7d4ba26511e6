"""The index page of a batch (``reports/index.html``): one self-contained page (inline CSS, no
JavaScript) linking every brief with its key figures, rendered by Jinja with autoescaping from
``templates/batch/`` (every value from data is escaped; links are relative and URL-quoted)."""
from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path
from urllib.parse import quote

from analysis.paths import TEMPLATES_DIR
from analysis.sources.cache import atomic_write

INDEX_NAME = "index.html"
VERDICT_ORDER = ("supported", "partly supported", "not supported by the register", "not checkable with this data")


@functools.cache
def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR / "batch"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=False, lstrip_blocks=False)
    return env.get_template("index.html.j2")


def _number(value, fmt: str) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return fmt.format(value)


def _href(reports: Path, target: str | Path | None) -> str | None:
    """A link relative to the reports folder, or None for a missing target or one outside it."""
    if not target:
        return None
    try:
        return quote(Path(target).resolve().relative_to(reports).as_posix())
    except ValueError:
        return None


def _verdicts(fig: dict) -> str:
    verdicts = fig.get("verdicts") or {}
    names = [v for v in VERDICT_ORDER if v in verdicts] + sorted(set(verdicts) - set(VERDICT_ORDER))
    return "; ".join(f"{verdicts[v]} {v}" for v in names) if names else "no curated claims"


def _row(reports: Path, job, result: dict, fig: dict) -> dict:
    p = job.params
    ok = bool(result.get("ok"))
    previous = reports / p.slug / f"{p.slug}.html"
    return {
        "title": f"{p.supplier} → {p.recipient}", "note": job.note, "period": f"{p.start_year}–{p.end_year}",
        "ally": p.ally or "—", "alliance": p.alliance or "—", "ok": ok,
        "html": _href(reports, result.get("html")) if ok else None,
        "pdf": _href(reports, result.get("pdf")) if ok else None,
        "error": fig.get("error"), "covered": fig.get("is_pair_covered", True),
        "tiv": _number(fig.get("pair_tiv_mn"), "{:,.1f}"), "share": _number(fig.get("share_of_imports"), "{:.1%}"),
        "verdicts": _verdicts(fig), "reported": _number(fig.get("reported"), "{:d}"),
        "failure": result.get("error", "not built"),
        "previous": _href(reports, previous) if not ok and previous.is_file() else None,
    }


def _utc(moment: str) -> str:
    try:
        return dt.datetime.fromisoformat(moment).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return str(moment)


def write_index(reports: Path, briefs: list, results: dict, figures: dict, *, built_at: str, spec: str = "") -> Path:
    """Write ``<reports>/index.html`` (atomically) and return its path."""
    from analysis import __version__

    reports = Path(reports).resolve()
    page = _template().render(
        version=__version__, css=(TEMPLATES_DIR / "batch" / "index.css").read_text(encoding="utf-8"),
        rows=[_row(reports, job, results.get(i, {}), figures.get(i, {})) for i, job in enumerate(briefs)],
        built=sum(1 for i in range(len(briefs)) if results.get(i, {}).get("ok")), spec=spec, built_at=_utc(built_at),
        vintages=sorted({f.get("vintage") for f in figures.values() if f.get("vintage")}))
    return atomic_write(reports / INDEX_NAME, page)
