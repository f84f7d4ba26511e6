"""Exporters and template: a small brief notebook built in memory, exported to HTML and PDF."""
from __future__ import annotations

import base64
import difflib
import io
import logging
import os
import re
import subprocess
import sys
from datetime import datetime, timezone

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis import __version__
from analysis.report import charts
from analysis.report import fragments as rh
from analysis.render.exporters import (
    UnrenderableNotebookError,
    PDF_ENGINES,
    BriefHTMLExporter,
    BriefPDFExporter,
    css_string,
    parse_built_at,
    strip_active_content,
)
from analysis.paths import PROJECT_ROOT, TEMPLATES_DIR

BUILT = "2024-05-01T12:00:00Z"
TITLE = "Belarusian arms for Azerbaijan — Лукашенко and Əliyev"
PLAIN = "<IPython.core.display.HTML object>"
PNG_1PX = base64.b64encode(
    bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                  "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2b3a5c40000000049454e44ae426082")
).decode()


def html_output(fragment, kind="display_data"):
    if kind == "execute_result":
        return new_output("execute_result", data={"text/html": fragment.data, "text/plain": PLAIN},
                          execution_count=1)
    return new_output("display_data", data={"text/html": fragment.data, "text/plain": PLAIN})


def cell(source, *outputs, tags=()):
    c = new_code_cell(source, outputs=list(outputs), execution_count=1)
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def chart():
    table = pd.DataFrame({"Belarus": [0.0, 25.0, 80.0], "Russia": [300.0, 250.0, 200.0]}, index=[2020, 2021, 2022])
    return charts.deliveries_by_year(table, highlight="Belarus", title="Imports by supplier")


def brief_notebook():
    deals = pd.DataFrame({"Weapon": ["Polonez MLRS", "<script>alert(1)</script>"],
                          "TIV (mn)": [105.0, None], "Evidence": ["registered", "reported"]})
    cells = [
        cell('supplier = "Belarus"  # supplier', tags=["parameters"]),
        cell("SECRET_SOURCE = 1\nimport analysis",
             new_output("stream", name="stdout", text="REMOVED_OUTPUT\n"), tags=["remove_cell"]),
        cell("rh.title_block(...)  # SECRET_SOURCE",
             html_output(rh.title_block(TITLE, "Subtitle: Лукашенко met Əliyev",
                                        [("Case", "Belarus → Azerbaijan"), ("Period", "2018–2022")])),
             tags=["title-block"]),
        cell("rh.section(...)", html_output(rh.section("Key judgements")),
             html_output(rh.bullets(["Belarus delivered 105 mn TIV.", r"\textbf{not latex} $x$"],
                                    css_class="key-judgements"))),
        cell("rh.paragraph(...)", html_output(rh.paragraph("Лукашенко and Əliyev in the body text."),
                                              kind="execute_result"),
             new_output("stream", name="stderr", text="SomeWarning: STDERR_TEXT\n")),
        cell("rh.figure(...)", html_output(rh.figure(chart(), "Imports by supplier.", "SIPRI"))),
        cell("rh.table(...)", html_output(rh.table(deals, "Transfers", "SIPRI", evidence_column="Evidence"))),
        cell("df.shape", new_output("execute_result", data={"text/plain": "(2, 3) PLAIN_REPR"}, execution_count=3)),
        cell("png", new_output("display_data", data={"image/png": PNG_1PX, "text/plain": "<Figure>"})),
        cell("rh.section('Methodology and sources')", html_output(rh.section("Methodology and sources")),
             html_output(rh.bullets(["SIPRI Arms Transfers Database."], css_class="sources"))),
        cell("rh.colophon(...)", html_output(rh.colophon({"supplier": "Belarus"},
                                                         [("register.csv", "2024-04-13", "ab" * 32)], "0.1.0"))),
    ]
    nb = new_notebook(cells=cells)
    nbformat.validate(nb)
    return nb


@pytest.fixture(scope="module")
def nb():
    return brief_notebook()


@pytest.fixture(scope="module")
def html(nb):
    body, _ = BriefHTMLExporter(built_at=BUILT).from_notebook_node(nb)
    return body


# --------------------------------------------------------------------------- HTML
def test_html_is_a_briefing_not_a_notebook(html):
    assert html.startswith("<!DOCTYPE html>")
    for absent in ("SECRET_SOURCE", "REMOVED_OUTPUT", "STDERR_TEXT", "PLAIN_REPR", "IPython.core.display",
                   "In&nbsp;[", "jp-InputPrompt", "jp-OutputPrompt", "jp-Cell", "rh.title_block"):
        assert absent not in html, absent


def test_html_is_self_contained_without_javascript(html):
    lower = html.lower()
    assert "<script" not in lower
    assert "require.js" not in lower and "mathjax" not in lower and "cdnjs" not in lower
    assert "<link" not in lower
    assert not re.search(r'(src|href|url)\s*[=(]\s*["\']?\s*(https?:)?//', lower)  # nothing fetched
    assert "<style" in lower and "@page" in html and "counter(pages)" in html
    assert "data:image/png;base64," in html
    assert "<svg" in lower


def test_html_renders_fragments_in_order_with_escaping(html):
    order = ["brief-title", "build-stamp", "key-judgements", "body-text", 'class="chart',
             'class="data-table', 'class="output-image', "ul class=\"bullets sources", "colophon"]
    body = html[html.index("<main"):]
    positions = [body.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert r"\textbf{not latex} $x$" in html
    assert "<title>Belarusian arms for Azerbaijan — Лукашенко and Əliyev</title>" in html


def test_build_stamp_is_one_line_right_after_the_title_block(html):
    lines = html.splitlines()
    stamps = [i for i, line in enumerate(lines) if "build-stamp" in line and line.startswith("<p")]
    assert len(stamps) == 1
    line = lines[stamps[0]]
    assert line == f'<p class="build-stamp">Built 2024-05-01 12:00 UTC · armsbrief {__version__}</p>'
    previous = next(l for l in reversed(lines[:stamps[0]]) if l.strip())
    assert previous == "</header>"


def test_export_is_deterministic(nb, html):
    again, _ = BriefHTMLExporter(built_at=BUILT).from_notebook_node(nb)
    assert again == html


def test_only_the_build_stamp_differs_between_builds(nb, html):
    later, _ = BriefHTMLExporter(built_at="2025-01-02T03:04:05+00:00").from_notebook_node(nb)
    diff = [l for l in difflib.unified_diff(html.splitlines(), later.splitlines(), lineterm="", n=0)
            if l.startswith(("+", "-")) and not l.startswith(("+++", "---"))]
    assert diff == [
        f'-<p class="build-stamp">Built 2024-05-01 12:00 UTC · armsbrief {__version__}</p>',
        f'+<p class="build-stamp">Built 2025-01-02 03:04 UTC · armsbrief {__version__}</p>',
    ]


def test_built_at_defaults_to_source_date_epoch(monkeypatch, nb):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    body, _ = BriefHTMLExporter().from_notebook_node(nb)
    assert "Built 2023-11-14 22:13 UTC" in body


def test_built_at_defaults_to_now_without_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    exporter = BriefHTMLExporter()
    assert abs((datetime.now(timezone.utc) - exporter.built_at).total_seconds()) < 60


@pytest.mark.parametrize("value, expected", [
    ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    ("2024-05-01T14:00:00+02:00", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    (datetime(2024, 5, 1, 12), datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    (1714564800, datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    ("1714564800", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
])
def test_parse_built_at(value, expected):
    assert parse_built_at(value) == expected


def test_bad_built_at_is_rejected():
    with pytest.raises(Exception):
        BriefHTMLExporter(built_at="yesterday")


def test_stamp_goes_first_without_a_title_block():
    nb = new_notebook(cells=[cell("x", html_output(rh.paragraph("Only text.")))])
    body, _ = BriefHTMLExporter(built_at=BUILT).from_notebook_node(nb)
    assert body.count('<p class="build-stamp">') == 1
    assert body.index("build-stamp") < body.index("Only text.")
    assert "<title>armsbrief briefing</title>" in body


@pytest.mark.parametrize("exporter", [BriefHTMLExporter, BriefPDFExporter])
def test_a_failed_notebook_is_refused_not_printed_as_a_brief(exporter):
    nb = new_notebook(cells=[cell("1/0", new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                    traceback=["\x1b[31mZeroDivisionError\x1b[0m: division by zero"]))])
    with pytest.raises(UnrenderableNotebookError, match="cell 1 raised ZeroDivisionError: division by zero"):
        exporter(built_at=BUILT).from_notebook_node(nb)


def test_an_unexecuted_notebook_is_refused():
    nb = new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("x")])
    with pytest.raises(UnrenderableNotebookError, match="none of its 2 code cells has been executed"):
        BriefHTMLExporter(built_at=BUILT).from_notebook_node(nb)


@pytest.mark.filterwarnings("ignore:Your element with mimetype")
def test_javascript_outputs_never_reach_the_page():
    nb = new_notebook(cells=[
        cell("js", new_output("display_data", data={"application/javascript": "alert('JS')",
                                                    "text/plain": "js"})),
        cell("html", new_output("display_data", data={
            "text/html": '<div onclick="alert(1)">x</div><script>alert(2)</script><a href="javascript:alert(3)">y</a>'
                         '<iframe src="https://example.org"></iframe><link rel="stylesheet" href="https://cdn.x/y.css">'})),
        cell("md", new_output("display_data", data={"text/markdown": "[x](javascript:alert(4))"})),
    ])
    body, _ = BriefHTMLExporter(built_at=BUILT).from_notebook_node(nb)
    lower = body.lower()
    for absent in ("<script", "onclick", "javascript:", "<iframe", "<link", "alert('js')"):
        assert absent not in lower, absent


def test_strip_active_content_leaves_clean_html_untouched():
    clean = "<p>Weapon: [x](javascript-free) on the list</p>"
    assert strip_active_content(clean) is clean


def test_markdown_cells_are_rendered_without_anchor_links():
    nb = new_notebook(cells=[new_markdown_cell("## A note\n\nSome *text*.")])
    body, _ = BriefHTMLExporter(built_at=BUILT).from_notebook_node(nb)
    assert "<em>text</em>" in body and "¶" not in body


def test_template_folder_is_a_proper_nbconvert_template():
    folder = TEMPLATES_DIR / "armsbrief"
    assert (folder / "conf.json").is_file() and (folder / "index.html.j2").is_file()
    exporter = BriefHTMLExporter()
    assert exporter.template_name == "armsbrief"
    assert str(TEMPLATES_DIR) in exporter.extra_template_basedirs
    assert exporter.exclude_input is True
    names = [type(p).__name__ for p in exporter._preprocessors if getattr(p, "enabled", True)]
    assert "TagRemovePreprocessor" in names


def test_exporters_are_loadable_by_nbconvert():
    from nbconvert.exporters.base import get_exporter

    assert get_exporter("analysis.render.exporters.BriefHTMLExporter") is BriefHTMLExporter
    assert get_exporter("analysis.render.exporters.BriefPDFExporter") is BriefPDFExporter
    assert BriefHTMLExporter.export_from_notebook == "armsbrief brief (HTML)"
    assert BriefPDFExporter().file_extension == ".pdf"


# --------------------------------------------------------------------------- PDF
@pytest.fixture(scope="module", params=PDF_ENGINES)
def engine(request):
    return request.param


@pytest.fixture(scope="module")
def pdf_and_log(nb, engine):
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    exporter = BriefPDFExporter(built_at=BUILT, engine=engine)
    handler = Keep(level=logging.WARNING)
    exporter.log.addHandler(handler)
    try:
        pdf, resources = exporter.from_notebook_node(nb)
    finally:
        exporter.log.removeHandler(handler)
    return pdf, resources, records


@pytest.fixture(scope="module")
def reader(pdf_and_log):
    pypdf = pytest.importorskip("pypdf")
    return pypdf.PdfReader(io.BytesIO(pdf_and_log[0]))


def test_pdf_is_binary_a4_with_metadata(pdf_and_log, reader, engine):
    pdf, resources, _ = pdf_and_log
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")
    assert resources["output_extension"] == ".pdf"
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    meta = reader.metadata
    assert meta.title == TITLE
    if engine == "chromium":  # Chromium's print time replaced by the build time
        assert meta["/CreationDate"] == meta["/ModDate"] == "D:20240501120000+00'00'"
    else:
        assert "/CreationDate" not in meta and "/ModDate" not in meta


def test_pdf_has_bookmarks_for_the_headings(reader):
    def titles(items):
        for item in items:
            yield from titles(item) if isinstance(item, list) else [item.title]

    assert any("Key judgements" in title for title in titles(reader.outline))


def test_pdf_embeds_cyrillic_and_schwa_glyphs(pdf_and_log, reader):
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Лукашенко" in text and "Əliyev" in text
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("DejaVu" in f for f in fonts)
    assert not [m for m in pdf_and_log[2] if "WeasyPrint" in m]  # no missing glyphs, no CSS noise


def header_text(page) -> str:
    """Text drawn in the top margin (above 20 mm from the top edge) of a PDF page."""
    parts: list[str] = []
    top = float(page.mediabox.height) - 20 * 72 / 25.4

    def keep(text, cm, tm, font, size):
        y = tm[5] * cm[3] + cm[5]  # text matrix y under the current transformation
        if text.strip() and y > top:
            parts.append(text)

    page.extract_text(visitor_text=keep)
    return " ".join("".join(parts).split())


def test_pdf_running_header_only_from_page_two(reader):
    assert header_text(reader.pages[0]) == ""
    second = header_text(reader.pages[1])
    assert "Belarusian arms for Azerbaijan" in second and "armsbrief briefing" in second


def test_pdf_running_header_and_page_numbers(reader):
    pages = [page.extract_text() for page in reader.pages]
    n = len(pages)
    assert n >= 2
    assert "Page 1 of %d" % n in pages[0]
    assert "armsbrief briefing" not in pages[0]  # no running header on the first page (the kicker is upper case)
    assert "armsbrief briefing" in pages[1] and "Belarusian arms for Azerbaijan" in pages[1]
    assert "Page 2 of %d" % n in pages[1]


def test_pdf_is_deterministic(nb, pdf_and_log, engine):
    again, _ = BriefPDFExporter(built_at=BUILT, engine=engine).from_notebook_node(nb)
    assert again == pdf_and_log[0]


def test_pdf_engine_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ARMSBRIEF_PDF_ENGINE", "weasyprint")
    assert BriefPDFExporter().engine == "weasyprint" and BriefPDFExporter().print_mode
    monkeypatch.setenv("ARMSBRIEF_PDF_ENGINE", "Chromium")
    assert BriefPDFExporter().engine == "chromium" and not BriefPDFExporter().print_mode
    monkeypatch.setenv("ARMSBRIEF_PDF_ENGINE", "latex")
    with pytest.raises(ValueError, match="ARMSBRIEF_PDF_ENGINE='latex': expected one of chromium, weasyprint"):
        BriefPDFExporter().engine  # read when first needed


@pytest.mark.parametrize("title", ['A "quoted" title', "a\\b", "</style><script>alert(1)</script>",
                                   "Belarus \u2192 Azerbaijan: Лукашенко; }  @page {", "x\ny"])
def test_running_title_cannot_escape_its_css_string(title):
    escaped = css_string(title)
    assert re.fullmatch(r'"(?:[A-Za-z0-9]|\\[0-9a-f]{6})*"', escaped)
    decoded = re.sub(r"\\([0-9a-f]{6})", lambda m: chr(int(m.group(1), 16)), escaped[1:-1])
    assert decoded == title


def test_nbconvert_command_line_writes_a_pdf(tmp_path, nb):
    path = tmp_path / "brief.ipynb"
    nbformat.write(nb, path)
    env = dict(os.environ, SOURCE_DATE_EPOCH="1714564800",
               PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    for to in ("analysis.render.exporters.BriefPDFExporter", "analysis.render.exporters.BriefHTMLExporter"):
        done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", to, str(path)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "brief.pdf").read_bytes().startswith(b"%PDF-")
    assert "Built 2024-05-01 12:00 UTC" in (tmp_path / "brief.html").read_text(encoding="utf-8")
