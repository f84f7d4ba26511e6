"""nbconvert exporters for the briefs: ``brief_html`` and ``brief_pdf``.

``BriefHTMLExporter`` renders an executed brief notebook with the template in
``analysis/templates/armsbrief`` into one self-contained HTML page (inline CSS,
inline SVG/data-URI images, no JavaScript, no code cells, no prompts).
``BriefPDFExporter`` turns the same page into an A4 PDF (bytes) with one of two
engines (``engine`` trait, default ``$ARMSBRIEF_PDF_ENGINE`` or ``chromium``):
``chromium`` prints the page itself with a warm headless Chromium
(:mod:`analysis.render.chromium`: fast, needs the system's Chromium); ``weasyprint``
lays out a print-mode page (no inline stylesheet: WeasyPrint gets it
pre-parsed) with WeasyPrint (pure Python, slower). Both read the same
``@page`` rules: A4, the brief's title in the running header, "Page X of Y".

Both are registered under the ``nbconvert.exporters`` entry point, so
``jupyter nbconvert --to brief_pdf brief.ipynb`` works once the package is
installed; they are also usable by dotted name
(``--to analysis.render.exporters.BriefPDFExporter``).

Reproducibility: two exports of the same notebook with the same ``built_at``
are byte-identical; with different ``built_at`` they differ only in the
``<p class="build-stamp">`` line. ``built_at`` defaults to
``SOURCE_DATE_EPOCH`` when that is set, else the current UTC time.
"""
from __future__ import annotations

import copy
import functools
import logging
import os
import re
import threading
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from markupsafe import Markup
from nbconvert.exporters import HTMLExporter
from traitlets import Bool, Enum, TraitError, TraitType, default
from traitlets.config import Config

from analysis import __version__
from analysis.case.params import PDF_ENGINES, default_pdf_engine
from analysis.paths import TEMPLATES_DIR

__all__ = [
    "TEMPLATE_NAME",
    "TITLE_BLOCK_TAG",
    "BriefHTMLExporter",
    "BriefPDFExporter",
    "parse_built_at",
    "default_built_at",
    "html_to_pdf",
    "prewarm",
    "PDF_ENGINES",
    "default_pdf_engine",
    "css_string",
]

TEMPLATE_NAME = "armsbrief"
TITLE_BLOCK_TAG = "title-block"
REMOVE_CELL_TAG = "remove_cell"
RENDERED_MIMETYPES = ("text/html", "image/svg+xml", "image/png", "image/jpeg")
DEFAULT_TITLE = "armsbrief briefing"


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: everything but ASCII letters and digits as a 6-digit escape,
    so no title can end the string, the rule or the ``<style>`` element it sits in. (Spaces too: CSS
    reads one whitespace after an escape as part of it.)"""
    return '"' + "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}"
                         for ch in text) + '"'


# --------------------------------------------------------------------------- built_at
def parse_built_at(value: Any) -> datetime:
    """A timezone-aware UTC datetime from a datetime (naive = UTC), POSIX seconds or ISO 8601 text."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            moment = datetime.fromtimestamp(float(text), tz=timezone.utc)
        else:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValueError(f"built_at: not an ISO 8601 date-time: {value!r}") from exc
    else:
        raise ValueError(f"built_at: expected a datetime, POSIX seconds or ISO 8601 text, got {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def default_built_at() -> datetime:
    """``SOURCE_DATE_EPOCH`` (reproducible builds convention) if set, else now (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        return parse_built_at(epoch)
    return datetime.now(timezone.utc)


class UTCDateTime(TraitType):
    """Trait holding an aware UTC datetime; accepts what :func:`parse_built_at` accepts."""

    info_text = "a date-time (datetime, POSIX seconds or ISO 8601 text; naive = UTC)"

    def validate(self, obj, value):
        try:
            return parse_built_at(value)
        except ValueError as exc:
            raise TraitError(str(exc)) from exc

    def from_string(self, s):
        return s


# --------------------------------------------------------------------------- helpers
class _FirstH1Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._depth = 0
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag, attrs):
        if tag == "h1" and not self.done:
            self._depth += 1

    def handle_endtag(self, tag):
        if tag == "h1" and self._depth:
            self._depth -= 1
            if not self._depth:
                self.done = True

    def handle_data(self, data):
        if self._depth and not self.done:
            self.parts.append(data)


def _h1_text(html: str) -> str:
    parser = _FirstH1Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


_ACTIVE_HINT = re.compile(
    r"(?i)<(script|iframe|object|embed|applet|noscript|link|base|meta\s+http-equiv)\b"
    r"|\son[a-z]+\s*=|(javascript|vbscript)\s*:"
)
_URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "data"}


def strip_active_content(html: str, log: logging.Logger | None = None) -> str:
    """Remove scripts, embedded objects, external stylesheets, event handlers and script URLs.

    Returns ``html`` unchanged (same string) when there is nothing to remove.
    """
    if not _ACTIVE_HINT.search(html):
        return html
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, features="html.parser")
    removed: list[str] = []
    for tag in soup.find_all(["script", "iframe", "object", "embed", "applet", "noscript", "base"]):
        removed.append(tag.name)
        tag.decompose()
    for tag in soup.find_all(["link", "meta"]):
        if tag.name == "link" or tag.get("http-equiv"):
            removed.append(tag.name)
            tag.decompose()
    for tag in soup.find_all(True):
        for attr in list(tag.attrs):
            value = tag.attrs[attr]
            lowered = attr.lower()
            if lowered.startswith("on"):
                removed.append(f"{tag.name}[{attr}]")
                del tag.attrs[attr]
            elif lowered in _URL_ATTRS and isinstance(value, str) and re.match(
                    r"(?i)\s*(javascript|vbscript)\s*:", value):
                removed.append(f"{tag.name}[{attr}]")
                del tag.attrs[attr]
    if not removed:
        return html
    if log is not None:
        log.warning("armsbrief: removed active content from the brief: %s", ", ".join(removed))
    return str(soup)


# --------------------------------------------------------------------------- HTML
class UnrenderableNotebookError(ValueError):
    """The notebook is not an executed, successful brief: there is no brief to render."""


def check_executed(nb, name: str = "the notebook") -> None:
    """Refuse a notebook that was never executed or whose execution failed (an error output, or
    papermill's failure mark): rendering it would print an empty brief or a traceback as a brief."""
    code = [(i, c) for i, c in enumerate(nb.cells, start=1) if c.get("cell_type") == "code"]
    for number, cell in code:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise UnrenderableNotebookError(
                    f"{name}: cell {number} raised {output.get('ename')}: {output.get('evalue')}; a failed "
                    "execution is not rendered as a brief (fix the error and execute it again)")
    if (nb.metadata.get("papermill") or {}).get("exception"):
        raise UnrenderableNotebookError(f"{name}: papermill recorded a failed execution; not rendered as a brief")
    if code and not any(c.get("execution_count") or c.get("outputs") for _, c in code):
        raise UnrenderableNotebookError(
            f"{name}: none of its {len(code)} code cells has been executed; execute it first "
            "(papermill notebooks/brief.ipynb out.ipynb -p supplier ..., or armsbrief brief), or pass "
            "--execute to nbconvert")


class BriefHTMLExporter(HTMLExporter):
    """Executed brief notebook -> self-contained briefing page (HTML)."""

    export_from_notebook = "armsbrief brief (HTML)"

    built_at = UTCDateTime(
        help="Build time shown in the build stamp (default: SOURCE_DATE_EPOCH if set, else now, UTC)."
    ).tag(config=True)

    print_mode = Bool(
        False,
        help="Render for the PDF exporter: no inline stylesheet (WeasyPrint is given the same "
             "stylesheet pre-parsed).",
    ).tag(config=True)

    @default("built_at")
    def _built_at_default(self):
        return default_built_at()

    @default("template_name")
    def _template_name_default(self):
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATES_DIR)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    @default("exclude_anchor_links")
    def _exclude_anchor_links_default(self):
        return True

    @property
    def default_config(self):
        c = super().default_config.copy()
        c.merge(Config({
            "NbConvertBase": {
                # no JavaScript, widgets, Markdown or LaTeX outputs; text/plain last (never rendered)
                "display_data_priority": [*RENDERED_MIMETYPES, "text/plain"],
            },
        }))
        return c

    # -- notebook inspection -------------------------------------------------
    def _inspect(self, nb) -> tuple[str, bool]:
        """Mark the first title-block cell, log what will not be shown, find the title."""
        title = ""
        stamped = False
        for index, cell in enumerate(nb.cells):
            tags = _tags(cell)
            if REMOVE_CELL_TAG in tags or cell.get("cell_type") != "code":
                continue
            if TITLE_BLOCK_TAG in tags and not stamped:
                cell.metadata.setdefault("armsbrief", {})["build_stamp"] = True
                stamped = True
                for output in cell.get("outputs", []):
                    html = _joined(output.get("data", {}).get("text/html", ""))
                    if html and not title:
                        title = _h1_text(html)
            if "remove_output" in tags:
                continue
            for output in cell.get("outputs", []):
                kind = output.get("output_type")
                if kind == "stream" and output.get("name") == "stderr":
                    self.log.warning("armsbrief: stderr output of cell %d is not shown in the brief",
                                     index)
                elif kind in ("display_data", "execute_result"):
                    data = output.get("data", {})
                    if not any(m in data for m in RENDERED_MIMETYPES):
                        self.log.warning("armsbrief: an output of cell %d has none of %s and is not "
                                         "shown (types: %s)", index, ", ".join(RENDERED_MIMETYPES),
                                         ", ".join(sorted(data)) or "none")
        if not title:
            title = str(nb.metadata.get("title", "") or "")
        return title, stamped

    def _stamp_html(self) -> Markup:
        moment = self.built_at
        return Markup('<p class="build-stamp">Built {} UTC \u00b7 armsbrief {}</p>').format(
            moment.strftime("%Y-%m-%d %H:%M"), __version__)

    def from_notebook_node(self, nb, resources=None, **kw):
        if not self.config.get("ExecutePreprocessor", {}).get("enabled", False):  # nbconvert --execute runs it first
            check_executed(nb, ((resources or {}).get("metadata") or {}).get("name") or "the notebook")
        nb = copy.deepcopy(nb)
        title, stamped = self._inspect(nb)
        resources = dict(resources or {})
        name = (resources.get("metadata") or {}).get("name") or ""
        resources["armsbrief"] = {
            "version": __version__,
            "built_at": self.built_at.isoformat(),
            "stamp_html": self._stamp_html(),
            "title": title or name or DEFAULT_TITLE,
            # the running header of printed pages (CSS-escaped; @page margin boxes of both engines)
            "page_title_css": Markup(css_string(title)) if title else "",
            "print_mode": bool(self.print_mode),
            "has_title_block": stamped,
        }
        html, resources = self.render_page(nb, resources, **kw)
        return strip_active_content(html, self.log), resources

    def render_page(self, nb, resources, **kw):
        """The page: nbconvert's own ``HTMLExporter.from_notebook_node`` with this template.

        The one hook a faster variant may replace (``analysis.pipeline.fast``); it must return the
        same document."""
        return super().from_notebook_node(nb, resources, **kw)


# --------------------------------------------------------------------------- PDF
_PDF_LOCK = threading.Lock()


@functools.lru_cache(maxsize=8)
def _print_assets(stylesheet: str):
    """FontConfiguration and parsed print stylesheet: built once per process and stylesheet."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    css = CSS(filename=stylesheet, font_config=font_config)
    return font_config, css


def _url_fetcher():
    from weasyprint.urls import URLFetcher

    # Briefs are self-contained: never reach out to the network while rendering.
    return URLFetcher(allowed_protocols={"data", "file"})


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def html_to_pdf(html: str, stylesheet: str | os.PathLike, base_url: str | None = None,
                log: logging.Logger | None = None) -> bytes:
    """Lay out ``html`` (a print-mode brief) with ``stylesheet`` into PDF bytes with WeasyPrint.

    No creation/modification date and no random file identifier are written, so
    the PDF depends only on its input. WeasyPrint warnings are passed to ``log``.
    """
    import weasyprint

    font_config, css = _print_assets(str(Path(stylesheet).resolve()))
    collector = _Collect()
    wlogger = logging.getLogger("weasyprint")
    with _PDF_LOCK:
        wlogger.addHandler(collector)
        try:
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_url_fetcher())
            pdf = document.write_pdf(stylesheets=[css], font_config=font_config,
                                     pdf_identifier=False)
        finally:
            wlogger.removeHandler(collector)
    if log is not None:
        for message in collector.messages:
            log.warning("WeasyPrint: %s", message)
    return pdf


_PREWARM_LOCK = threading.Lock()
_prewarmed = False


def prewarm(engine: str | None = None) -> None:
    """Do once, ahead of time, the work of a process's first render that does not depend on the brief.

    With the ``chromium`` engine (``engine`` default: :func:`default_pdf_engine`) starts the
    browser in its own thread and renders an empty notebook with the template. With ``weasyprint``:
    imports nbconvert and WeasyPrint, builds the FontConfiguration and parses the print stylesheet
    (both kept for the process, see :func:`_print_assets`), lays out a tiny page (Pango and
    fontconfig load the DejaVu fonts) and renders an empty notebook with the template (~1.5 s on a
    cold process). Meant to run in a background thread while the notebook executes (the builder is
    idle then): a cold build's HTML and PDF stages then start warm. Idempotent and thread-safe;
    never raises (a failure here resurfaces, with its proper message, in the real render).
    """
    global _prewarmed
    if _prewarmed:
        return
    with _PREWARM_LOCK:
        if _prewarmed:
            return
        try:
            import nbformat

            if (engine or default_pdf_engine()) == "chromium":
                from analysis.render import chromium

                chromium.prewarm()
            else:
                import weasyprint

                font_config, css = _print_assets(str((TEMPLATES_DIR / TEMPLATE_NAME / "brief.css").resolve()))
                weasyprint.HTML(string="<p>armsbrief</p>", url_fetcher=_url_fetcher()).render(
                    stylesheets=[css], font_config=font_config)
            BriefHTMLExporter(built_at=0).from_notebook_node(nbformat.v4.new_notebook())
        except Exception as err:  # noqa: BLE001
            logging.getLogger(__name__).debug("armsbrief: prewarm failed: %s", err)
        finally:
            _prewarmed = True


class BriefPDFExporter(BriefHTMLExporter):
    """Executed brief notebook -> A4 PDF (bytes), printed by Chromium (default) or laid out by WeasyPrint."""

    export_from_notebook = "armsbrief brief (PDF)"

    engine = Enum(
        list(PDF_ENGINES),
        help="PDF engine: 'chromium' prints the brief page with a warm headless Chromium "
             "(analysis.render.chromium); 'weasyprint' lays out the print-mode page with WeasyPrint. "
             "Default: $ARMSBRIEF_PDF_ENGINE, else chromium.",
    ).tag(config=True)

    @default("engine")
    def _engine_default(self):
        return default_pdf_engine()

    @default("print_mode")
    def _print_mode_default(self):
        return self.engine == "weasyprint"  # Chromium prints the page with its inline stylesheet

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"  # the HTML template is the source of the PDF

    def stylesheet_path(self) -> Path:
        """``brief.css`` of the template in use (first match on the template path)."""
        for directory in self.template_paths:
            candidate = Path(directory) / "brief.css"
            if candidate.is_file():
                return candidate
        return TEMPLATES_DIR / TEMPLATE_NAME / "brief.css"

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources, **kw)
        path = (resources.get("metadata") or {}).get("path") or ""
        pdf = self.pdf_from_html(html, base_url=Path(path).resolve().as_uri() + "/" if path else None)
        resources["output_extension"] = ".pdf"
        return pdf, resources

    def pdf_from_html(self, html: str, base_url: str | None = None) -> bytes:
        """PDF bytes of a brief page this exporter rendered (or, for ``chromium``, the HTML exporter's
        page: it is the same page, so a build renders it once and prints it)."""
        if self.engine == "chromium":
            from analysis.render import chromium

            self.log.info("armsbrief: printing the PDF with Chromium")
            return chromium.normalise(chromium.print_pdf(html), self.built_at)
        self.log.info("armsbrief: laying out the PDF with WeasyPrint")
        return html_to_pdf(html, self.stylesheet_path(), base_url=base_url or (TEMPLATES_DIR.as_uri() + "/"),
                           log=self.log)
