"""Deterministic briefs and their colophon; chart data is part of what the nbval references compare.

* The default brief built twice (two kernels, two output folders, no SOURCE_DATE_EPOCH) gives the
  same HTML except the one line with class ``build-stamp``.
* The colophon records the SHA-256 of every data file in data/case/, and of the SIPRI file when one
  is used.
* Charts are inline SVG inside text/html outputs, so nbval compares them: different chart data gives
  different SVG even after nbval's sanitizers (tests/nbval/sanitize.cfg); the same data gives the same
  SVG in another process (tests/test_charts.py::test_svg_is_identical_across_processes).
"""
from __future__ import annotations

import configparser
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis import __version__, paths
from analysis.report import charts
from analysis.render import exporters
from analysis.report import fragments as rh
from analysis.pipeline.build import build_brief

DEFAULT = dict(supplier="Belarus", recipient="Azerbaijan", ally="Armenia", alliance="CSTO",
               start_year=2018, end_year=2022, transfers="embedded")
PER_YEAR = Path(__file__).parent / "fixtures" / "sipri" / "per_year_register.csv"
NBVAL_DIR = Path(__file__).parent / "nbval"


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """The default brief built twice into different folders, with the real clock (one day apart)."""
    tmp = tmp_path_factory.mktemp("determinism")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        first = build_brief(**DEFAULT, formats=("html",), reports_dir=tmp / "one")
        # The stamp has minute precision: shift the clock so that it surely differs between the builds.
        later = datetime.now(timezone.utc) + timedelta(days=1)
        mp.setattr(exporters, "default_built_at", lambda: later)
        second = build_brief(**DEFAULT, formats=("html",), reports_dir=tmp / "two")
    return first, second


def lines(result) -> list[str]:
    return result.html.read_text(encoding="utf-8").splitlines()


@pytest.mark.slow
def test_same_inputs_give_the_same_html_but_the_build_stamp(two_builds):
    a, b = (lines(r) for r in two_builds)
    assert len(a) == len(b)
    differing = [(x, y) for x, y in zip(a, b) if x != y]
    assert len(differing) == 1, differing[:5]
    for line in differing[0]:
        assert line.startswith('<p class="build-stamp">Built ') and line.endswith(f"armsbrief {__version__}</p>")
    stamps = [[line for line in lines(r) if 'class="build-stamp"' in line] for r in two_builds]
    assert [len(s) for s in stamps] == [1, 1]


def colophon_files(html: str) -> dict[str, str]:
    table = BeautifulSoup(html, "html.parser").select_one("footer.colophon table.colophon__files")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.select("tbody tr")]
    return {name: sha for name, _vintage, sha in rows}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_colophon_lists_every_case_data_file_with_its_checksum(two_builds):
    html = two_builds[0].html.read_text(encoding="utf-8")
    data_files = sorted(p for p in paths.CASE_DIR.iterdir() if not p.name.endswith(".meta.yml"))
    assert data_files and all(p.suffix == ".csv" for p in data_files)
    # the founding brief's case pack: one row naming it (no checksum), then its three tables
    pack = paths.DATA_DIR / "cases" / "belarus-azerbaijan"
    pack_files = {f"belarus-azerbaijan/{t}": sha256(pack / f"{t}.csv") for t in ("events", "claims", "reported_transfers")}
    files = colophon_files(html)
    pack_rows = [name for name in files if name.startswith("case pack belarus-azerbaijan:")]
    assert len(pack_rows) == 1 and files.pop(pack_rows[0]) == ""
    ucdp = paths.DATA_DIR / "ucdp" / "ucdp_prio_acd_251.csv"   # the conflict data the brief read
    assert files == {p.stem: sha256(p) for p in data_files} | pack_files | {ucdp.name: sha256(ucdp)}
    colophon = BeautifulSoup(html, "html.parser").select_one("footer.colophon").get_text(" ", strip=True)
    assert f"Produced with armsbrief {__version__}" in colophon
    for name, value in DEFAULT.items():
        assert f"{name} {value}" in colophon


def test_colophon_lists_the_sipri_file_with_its_checksum(tmp_path, monkeypatch):
    """What the notebook's last cell shows when the brief is built from a SIPRI export."""
    from analysis.report import brief

    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    case = brief.build("Israel", "Azerbaijan", "", "", 2018, 2020, str(PER_YEAR))
    files = colophon_files(brief.colophon(case).data)
    # the file name only: a brief is forwarded, and the folders of a user's path can name the user
    assert files[PER_YEAR.name] == sha256(PER_YEAR)
    assert not any(str(PER_YEAR.parent) in name for name in files)
    assert {p.stem for p in paths.CASE_DIR.glob("*.csv")} <= set(files)


# ------------------------------------------------------------------ chart data in the nbval references

def nbval_sanitize(text: str) -> str:
    """Apply tests/nbval/sanitize.cfg the way nbval does before comparing outputs."""
    config = configparser.ConfigParser()
    config.read(NBVAL_DIR / "sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def chart_html(belarus_2022: float) -> str:
    table = pd.DataFrame({"Belarus": [10.0, 25.0, belarus_2022], "Russia": [300.0, 250.0, 200.0]},
                         index=[2020, 2021, 2022])
    return rh.figure(charts.deliveries_by_year(table, highlight="Belarus", title="Imports"), "Imports", "SIPRI").data


def test_different_chart_data_gives_a_different_reference_output():
    same_a, same_b, changed = chart_html(80.0), chart_html(80.0), chart_html(81.0)
    assert nbval_sanitize(same_a) == nbval_sanitize(same_b)
    assert nbval_sanitize(same_a) != nbval_sanitize(changed)


@pytest.mark.parametrize("reference", sorted(p.name for p in NBVAL_DIR.glob("*.ipynb")))
def test_reference_charts_are_inline_svg_that_nbval_compares(reference):
    """nbval skips image/png and image/jpeg outputs but compares text/html, where our charts live."""
    nb = json.loads((NBVAL_DIR / reference).read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    html = ["".join(o["data"]["text/html"]) for o in outputs if "text/html" in o.get("data", {})]
    assert sum(h.count("<svg") for h in html) >= 1
    assert not [o for o in outputs if {"image/png", "image/jpeg"} & set(o.get("data", {}))]
