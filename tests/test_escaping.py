"""Text from data is shown literally in the HTML and the PDF, never interpreted.

A brief is built from a tiny hand-made per-year SIPRI register (tests/fixtures/sipri/
hostile_per_year_register.csv) whose designations, descriptions and one deal id hold script tags, an
event-handler image, a Markdown ``javascript:`` link and LaTeX specials; the register's file name
holds markup too (it reaches the methodology, the colophon and the rebuild command).
The per-year format has no Comments column; comments, sources and claims go through the same
escaping functions (tests/test_report_html.py covers each fragment).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from analysis import paths
from analysis.pipeline.build import build_brief

FIXTURE = Path(__file__).parent / "fixtures" / "sipri" / "hostile_per_year_register.csv"
FILE_NAME = "register <img src=x onerror=window.__xss=2>.csv"

#: (text in the data, how it must appear in the HTML source)
PAYLOADS = {
    "<script>alert(1)</script>": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<img src=x onerror=alert(1)>": "&lt;img src=x onerror=alert(1)&gt;",
    "[click](javascript:alert(1))": "[click](javascript:alert(1))",
    r"\textbf{x} $x$ % & # _ ^ ~": r"\textbf{x} $x$ % &amp; # _ ^ ~",
    "<script>window.__xss=1</script>": "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "<img src=x onerror=window.__xss=1>": "&lt;img src=x onerror=window.__xss=1&gt;",
    "<svg onload=window.__xss=1>": "&lt;svg onload=window.__xss=1&gt;",
    FILE_NAME: "register &lt;img src=x onerror=window.__xss=2&gt;.csv",
}


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def hostile_register(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    shutil.copyfile(FIXTURE, path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("escaping")
    register = hostile_register(tmp / "data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "CACHE_DIR", tmp / "cache")
        return build_brief("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, str(register),
                           reports_dir=tmp / "reports")


@pytest.fixture(scope="module")
def html(built):
    return built.html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_text(built):
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(built.pdf).pages)
    # WeasyPrint may wrap and hyphenate (U+2010 at a line end) long cell text: undo both.
    return flat(re.sub("\u2010\\s*\n", "", text))


@pytest.mark.slow
@pytest.mark.parametrize("text", list(PAYLOADS))
def test_payload_is_escaped_in_the_html_source(html, text):
    assert PAYLOADS[text] in html


@pytest.mark.slow
@pytest.mark.parametrize("text", list(PAYLOADS))
def test_payload_is_literal_text_of_the_parsed_page(html, text):
    assert text in BeautifulSoup(html, "html.parser").get_text()


@pytest.mark.slow
def test_no_live_element_or_handler_from_data(html):
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == []
    assert soup.find_all(["img", "iframe", "object", "embed"]) == []  # the brief's charts are inline SVG
    handlers = [(tag.name, attr) for tag in soup.find_all(True) for attr in tag.attrs if attr.lower().startswith("on")]
    assert handlers == []
    links = [tag for tag in soup.find_all(True) for attr in ("href", "src", "xlink:href")
             if re.match(r"\s*javascript:", str(tag.get(attr, "")), re.I)]
    assert links == []
    assert "<script" not in html.lower() and "<img" not in html.lower()


@pytest.mark.slow
def test_the_data_went_where_it_is_shown(html):
    """The payloads reached the deals table and the generated sentences (so the checks above mean something)."""
    soup = BeautifulSoup(html, "html.parser")
    cells = [td.get_text() for td in soup.select("figure.data-table td")]
    for text in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))",
                 r"\textbf{x} $x$ % & # _ ^ ~", "<svg onload=window.__xss=1>"):
        assert text in cells
    # the first key judgement names the largest items (sentences.largest_items): hostile names among them
    first = soup.select_one("ul.key-judgements li").get_text()
    assert "the largest: " in first or ": " in first
    assert any(p in first for p in ("<script>alert(1)</script> (", "[click](javascript:alert(1)) (",
                                    "<script>window.__xss=1</script> ("))


@pytest.mark.slow
@pytest.mark.parametrize("text", list(PAYLOADS))
def test_payload_is_literal_text_in_the_pdf_wherever_the_html_shows_it(html, pdf_text, text):
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "title"]):
        tag.decompose()
    shown = flat(soup.get_text()).count(flat(text))
    assert shown >= 1 and pdf_text.count(flat(text)) == shown


@pytest.mark.slow
def test_pdf_has_no_script_or_link_actions(built):
    from pypdf import PdfReader

    reader = PdfReader(built.pdf)
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    assert "/JavaScript" not in (root.get("/Names") or {})
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            assert action.get("/S") not in ("/JavaScript", "/Launch", "/URI"), action
