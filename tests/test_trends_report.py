"""The trends report: parameters, generated text, sections, and the notebook built end to end.

The notebook is executed by papermill and rendered to HTML (``build_trends``) on the hand-made
per-year register ``tests/fixtures/trends/per_year_register.csv`` (expected figures computed by hand
below) and, when ``../shared/sipri`` is present, on SIPRI's 2024-04-13 register against the March 2024
fact sheet (figures imported from tests/test_trends.py).
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis.case.params import ParameterError, TrendsParams, check_trends_parameters
from analysis.report import trends as report
from analysis.sources import sipri
from analysis.sources.sipri import Register
from test_trends import FACT_SHEET_EXPORTERS, FACT_SHEET_IMPORTER_FIGURES, FACT_SHEET_IMPORTERS, REGISTER

FIXTURE = Path(__file__).parent / "fixtures" / "trends" / "per_year_register.csv"

# The fixture, by period (TIV, millions):
# 2018-2020 (previous): US->India 20 (2018), US->Qatar 20 (2019), Russia->India 30 (2019), Russia->China 10,
#   France->Egypt 10, unknown supplier(s)->Egypt 10 (2020): world 20+20+30+10+10+10 = 100.
# 2021-2023 (period): US->India 30, US->Qatar 30, US->NATO 10, France->India 20, France->Qatar 20,
#   France->Egypt 10, Russia->India 20, China->Pakistan 10, Iran->Houthi rebels 10: world 160.
# World change 160/100 - 1 = +60 %.
# Exporters 2021-23: US 70/160 = 43.75 % -> "44"; France 50/160 = 31.25 % -> "31"; Russia 20/160 = 12.5 % ->
#   "13" (half up); China 10/160 = 6.25 % -> "6.3" (half up), Iran the same (tie: by name, China first).
# Previous shares: US 40/100 -> "40", France 10/100 -> "10", Russia 40/100 -> "40", China and Iran 0 -> "0.0".
# Previous ranks: Russia and US tie at 40 (by name: Russia 1, United States 2), France 3.
# Changes: US 70/40 - 1 = +75 %, France 50/10 - 1 = +400 %, Russia 20/40 - 1 = -50 %; China, Iran: none before.
# US recipients: India 30/70 = 42.9 % -> "43", Qatar 30/70 -> "43" (tie: by name), NATO 10/70 = 14.3 % -> "14";
#   states supplied: India, Qatar = 2 (NATO is an organisation).
EXPORTER_ROWS = [
    # rank, previous rank, exporter, share, previous share, change, 1st, 2nd, 3rd, states supplied
    ["1", "2", "United States", "44", "40", "+75", "India (43)", "Qatar (43)", "NATO (14)", "2"],
    ["2", "3", "France", "31", "10", "+400", "India (40)", "Qatar (40)", "Egypt (20)", "3"],
    ["3", "1", "Russia", "13", "40", "-50", "India (100)", "–", "–", "1"],
    ["4", "–", "China", "6.3", "0.0", "–", "Pakistan (100)", "–", "–", "1"],
    ["5", "–", "Iran", "6.3", "0.0", "–", "Houthi rebels (Yemen) (100)", "–", "–", "0"],
]
# Importers 2021-23: India 30+20+20 = 70 -> 43.75 % "44"; Qatar 30+20 = 50 -> "31"; Egypt 10 and Pakistan 10 ->
#   "6.3" (tie: Egypt first). Previous: India 20+30 = 50 -> "50", Egypt 10+10 = 20 -> "20", Qatar 20 -> "20"
#   (tie at 20: Egypt rank 2, Qatar 3), China 10 rank 4. Changes: India 70/50 - 1 = +40 %, Qatar 50/20 - 1 =
#   +150 %, Egypt 10/20 - 1 = -50 %. India's suppliers: US 30/70 -> "43", France 20/70 = 28.6 % -> "29",
#   Russia 20/70 -> "29" (tie: France first).
IMPORTER_ROWS = [
    ["1", "1", "India", "44", "50", "+40", "United States (43)", "France (29)", "Russia (29)", "3"],
    ["2", "3", "Qatar", "31", "20", "+150", "United States (60)", "France (40)", "–", "2"],
    ["3", "2", "Egypt", "6.3", "20", "-50", "France (100)", "–", "–", "1"],
    ["4", "–", "Pakistan", "6.3", "0.0", "–", "China (100)", "–", "–", "1"],
]
# A hand-made region table: Asia and Oceania = India, Pakistan, China; Middle East = Qatar, Egypt.
REGIONS = pd.DataFrame({
    "country": ["India", "Pakistan", "China", "Qatar", "Egypt"],
    "region": ["Asia and Oceania"] * 3 + ["Middle East"] * 2,
    "subregion": ["South Asia", "South Asia", "East Asia", "Middle East", "Middle East"],
})


def fixture_register() -> Register:
    return sipri.load_register(FIXTURE)


def params(**kw) -> TrendsParams:
    values = dict(start_year=2021, end_year=2023, region=None, focus=None, transfers=str(FIXTURE))
    values.update(kw)
    return TrendsParams(**values)


def html_tables(html: str) -> dict[str, list[list[str]]]:
    """Caption text -> body rows (cell texts) of every data table of a page."""
    soup = BeautifulSoup(html, "html.parser")
    out = {}
    for fig in soup.select("figure.data-table"):
        caption = fig.select_one(".caption-text").get_text(" ", strip=True)
        out[caption] = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in fig.select("tbody tr")]
    return out


def table_starting(tables: dict, prefix: str) -> list[list[str]]:
    hits = [rows for caption, rows in tables.items() if caption.startswith(prefix)]
    assert len(hits) == 1, f"expected one table captioned {prefix!r}, found {list(tables)}"
    return hits[0]


def text_of(fragment) -> str:
    return BeautifulSoup(fragment.data, "html.parser").get_text(" ", strip=True)


# --------------------------------------------------------------------------- numbers and parameters
def test_sipri_pct_rounds_as_sipri_prints():
    assert report.sipri_pct(0.41716) == "42"          # 41.716 % -> whole number from 10
    assert report.sipri_pct(0.0625) == "6.3"          # 6.25 % -> one decimal, half up
    assert report.sipri_pct(0.125) == "13"            # 12.5 % -> 13, half up
    assert report.sipri_pct(66.3293, signed=True) == "+6,633"
    assert report.sipri_pct(-0.52549, signed=True) == "-53"
    assert report.sipri_pct(0.0002) == "<0.1" and report.sipri_pct(0.0) == "0.0"
    assert report.sipri_pct(float("nan")) == "" and report.pct_text(float("nan")) == "n/a"


def test_parameters_slug_and_checks():
    p = check_trends_parameters(2019, 2023, "", "Türkiye", str(FIXTURE))
    assert (p.region, p.focus) == (None, "Türkiye")
    # the slug ends with the register's tag (vintage 2024-06-01, start of its SHA-256): analysis.case.params.output_name
    assert re.fullmatch(r"trends-2019-2023-turkiye-sipri-20240601-[0-9a-f]{6}", p.slug), p.slug
    assert p.previous_period == (2014, 2018)
    assert p.as_dict() == {"start_year": 2019, "end_year": 2023, "region": "", "focus": "Türkiye",
                           "transfers": str(FIXTURE.resolve())}
    p = check_trends_parameters(2021, 2023, "middle east", "", str(FIXTURE), regions=REGIONS)
    assert p.region == "Middle East" and p.slug.startswith("trends-middle-east-2021-2023-sipri-20240601-")
    with pytest.raises(ParameterError, match="no region table"):
        check_trends_parameters(2021, 2023, "Europe", "", str(FIXTURE), regions=None)
    with pytest.raises(ParameterError, match="unknown region 'Europa'.*Asia and Oceania"):
        check_trends_parameters(2021, 2023, "Europa", "", str(FIXTURE), regions=REGIONS)
    with pytest.raises(ParameterError, match="focus"):
        check_trends_parameters(2021, 2023, "", "Belaruss", str(FIXTURE))
    with pytest.raises(ParameterError, match="start_year"):
        check_trends_parameters(2023, 2021, "", "", str(FIXTURE))


def test_embedded_data_is_refused_with_the_fix(tmp_path):
    from analysis.pipeline.build import build_trends

    with pytest.raises(ParameterError) as err:
        build_trends(2019, 2023, transfers="embedded", formats=("html",), reports_dir=tmp_path)
    message = str(err.value)
    assert "needs a full SIPRI register" in message
    assert "--transfers PATH" in message and "data/raw/sipri/" in message
    assert not any(tmp_path.iterdir())  # refused before any build started


# --------------------------------------------------------------------------- computed sections
def test_headlines_state_the_computed_changes():
    t = report.compute(params(), fixture_register())
    lines = report.headlines(t)
    # world: 160 against 100 -> 60 % higher
    assert lines[0] == ("The volume of international transfers of major arms in 2021–2023 was 60% higher than in "
                        "2018–2020 (160 mn TIV against 100 mn TIV).")
    assert "The largest exporter in 2021–2023 was the United States, with 44% of world arms exports (40% in 2018–2020)." in lines
    # top 5 exporters: 70+50+20+10+10 = 160 of 160 -> 100 %; top 4 importers: 70+50+10+10 = 140/160 = 87.5 % -> 88
    assert "The 5 largest exporters together accounted for 100% of world arms exports in 2021–2023." in lines
    assert "The 4 largest importers together accounted for 88% of world arms imports in 2021–2023." in lines
    # risers/fallers among the top 10 with a change: France +400 %, Russia -50 %; Qatar +150 %, Egypt -50 %
    assert any("largest increase was by France (+400%) and the largest fall by Russia (-50%)" in s for s in lines)
    assert any("largest increase was by Qatar (+150%) and the largest fall by Egypt (-50%)" in s for s in lines)
    assert report.allocation_sentence(t) is None  # per-year register: exact yearly values
    assert "No region table" in text_of(report.regional_shares(t))


def test_regional_shares_with_a_hand_made_region_table():
    t = report.compute(params(region="Asia and Oceania"), fixture_register(), regions=REGIONS)
    rows = table_starting(html_tables(report.regional_shares(t).data), "Shares of world arms imports by SIPRI region")
    # Asia and Oceania 70+10 = 80/160 = 50 %, previous 50+10 = 60/100 = 60 %, change 80/60 - 1 = +33 %;
    # Middle East 50+10 = 60/160 = 37.5 % -> "38", previous 20+20 = 40 %, change 60/40 - 1 = +50 %;
    # not in the table: NATO 10 + Houthis 10 = 20/160 = 12.5 % -> "13", none before (change: none).
    assert rows == [["Asia and Oceania", "50", "60", "+33"], ["Middle East", "38", "40", "+50"],
                    ["(not in region table)", "13", "0.0", "–"]]
    section = report.region_section(t)
    tables = html_tables(section.data)
    # the region's importers: India 70/80 = 87.5 % -> "88" (of world: 44), Pakistan 10/80 = 12.5 % -> "13"
    assert [r[1:4] for r in table_starting(tables, "Arms importers in Asia and Oceania")] == [
        ["India", "88", "44"], ["Pakistan", "13", "6.3"]]
    # its suppliers: US 30/80 = 37.5 % -> "38", France 20/80 = 25 %, Russia 20/80 = 25 %, China 10/80 -> "13";
    # previous (60): US 20/60 = 33 %, Russia (30+10)/60 = 67 %, France 0, China 0
    assert [r[1:5] for r in table_starting(tables, "Suppliers of major arms to Asia and Oceania")] == [
        ["United States", "38", "33", "+50"], ["France", "25", "0.0", "–"], ["Russia", "25", "67", "-50"],
        ["China", "13", "0.0", "–"]]
    assert "States in Asia and Oceania received 50% of world arms imports in 2021–2023 (60% in 2018–2020)" in (
        report.region_sentence(t))
    # every importing state has a region (NATO and the Houthis are not states): the headline names the largest
    assert ("Asia and Oceania received the largest share of world arms imports in 2021–2023, 50% (60% in "
            "2018–2020).") in report.headlines(t)
    # without Egypt the table is incomplete: Egypt's 10/160 = 6.25 % -> "6.3" is named instead of a leader
    partial = report.compute(params(), fixture_register(), regions=REGIONS[REGIONS["country"] != "Egypt"])
    lines = report.headlines(partial)
    assert ("Regional shares are incomplete: the region table gives no region for 1 importing state, which "
            "received 6.3% of world arms imports in 2021–2023.") in lines
    assert not any("received the largest share" in s for s in lines)


def test_focus_country_in_the_world():
    t = report.compute(params(focus="India"), fixture_register())
    lines = report.focus_sentences(t)
    assert lines[0] == ("In 2021–2023, India registered no arms exports and was the largest arms importer of "
                        "4 states (44% of the world total).")
    # HHI of India's suppliers: (3/7)^2 + (2/7)^2 + (2/7)^2 = 17/49 = 0.3469 -> 3,469 points
    assert any("3 suppliers give a Herfindahl-Hirschman index of 3,469" in s for s in lines)


def deliveries(rows, allocated):
    frame = pd.DataFrame(rows, columns=["deal_key", "supplier", "recipient", "delivery_year", "tiv_delivered_mn"])
    frame["delivery_year"] = frame["delivery_year"].astype("Int64")
    frame["is_tiv_allocated"] = frame["deal_key"].isin(allocated)
    return frame


def test_classic_register_says_figures_are_approximate_and_by_how_much():
    # Deals A (US->India, 10 a year 2019-21) and C (Russia->Egypt, 10 a year 2020-22) allocated; B fixed.
    d = deliveries([("A", "United States", "India", 2019, 10), ("A", "United States", "India", 2020, 10),
                    ("A", "United States", "India", 2021, 10), ("B", "France", "Qatar", 2020, 30),
                    ("C", "Russia", "Egypt", 2020, 10), ("C", "Russia", "Egypt", 2021, 10),
                    ("C", "Russia", "Egypt", 2022, 10)], allocated={"A", "C"})
    register = Register(deals=pd.DataFrame(), deliveries=d, source="hand-made", format="classic", vintage="",
                        sha256="")
    t = report.compute(params(start_year=2020, end_year=2021, transfers="hand-made"), register)
    text = report.allocation_sentence(t)
    assert "approximates SIPRI's own yearly values" in text
    # France leads 2020-21: 30 of 20+30+20 = 70 -> 42.9 % "43". Every deal in its first year: B 30, C 30 (2020),
    # A out (2019): 30/60 = 50 %; in its last year: B 30, A 30 (2021), C out (2022): 30/60 = 50 %.
    # Extremes: France 30 against every other deal in (A 30, C 30): 30/90 = 33 %; against none: 30/30 = 100 %.
    assert "moves the France's" not in text and "moves France's share of world exports (43%) to 50% or 50%" in text
    assert "between 33% and 100%" in text
    # Russia (exports): first year 30/60 = 50 %, last year 0/30 = 0 %: a move of 50.0 points (ties: first row)
    assert "the largest such move is Russia's export share, by 50.0 percentage points" in text
    rows = table_starting(html_tables(report.allocation_effect(t).data), "Shares of world exports and imports")
    assert rows[0] == ["France", "exports", "43", "50", "50", "33", "100"]


# --------------------------------------------------------------------------- the notebook, built
@pytest.mark.slow
def test_notebook_builds_the_report_from_a_hand_made_register(tmp_path):
    from analysis.pipeline.build import build_trends

    result = build_trends(2021, 2023, "", "", str(FIXTURE), formats=("html",), reports_dir=tmp_path)
    assert result.slug.startswith("trends-2021-2023-sipri-20240601-") and result.pdf is None
    html = result.html.read_text(encoding="utf-8")
    tables = html_tables(html)
    assert table_starting(tables, "The 5 largest exporters") == EXPORTER_ROWS
    assert table_starting(tables, "The 4 largest importers") == IMPORTER_ROWS
    text = BeautifulSoup(html, "html.parser").get_text(" ", strip=True)
    assert "was 60% higher than in 2018–2020 (160 mn TIV against 100 mn TIV)" in text
    assert "each point averages the five years up to and including its year" in text
    assert "armsbrief trends --start 2021 --end 2023 --transfers" in text  # the rebuild command


def _number(cell: str) -> float:
    return float(cell.replace(",", "").replace("+", ""))


@pytest.mark.slow
@pytest.mark.sipri
def test_report_on_sipri_register_matches_the_fact_sheet(tmp_path):
    if not REGISTER.exists():
        pytest.skip(f"SIPRI register not found at {REGISTER}")
    from analysis.pipeline.build import build_trends

    result = build_trends(2019, 2023, "", "", str(REGISTER), formats=("html",), reports_dir=tmp_path)
    tables = html_tables(result.html.read_text(encoding="utf-8"))
    exporters = table_starting(tables, "The 25 largest exporters")[:10]
    assert [row[2] for row in exporters] == [row[0] for row in FACT_SHEET_EXPORTERS]
    for row, (country, share, previous, change, *partners) in zip(exporters, FACT_SHEET_EXPORTERS):
        assert [_number(c) for c in row[3:6]] == [share, previous, change], country
        assert row[6:9] == [f"{name} ({value:.1f})" if value < 10 else f"{name} ({value:.0f})"
                            for name, value in partners], country  # SIPRI prints 6.0, 9.5, 15
    importers = table_starting(tables, "The 25 largest importers")[:10]
    assert [row[2] for row in importers] == FACT_SHEET_IMPORTERS
    for row in importers:
        share, change, main = FACT_SHEET_IMPORTER_FIGURES.get(row[2], (None, None, None))
        if share is not None:
            assert _number(row[3]) == share, row[2]
        if change is not None:
            assert _number(row[5]) == change, row[2]
        if main is not None:
            assert row[6] == f"{main[0]} ({main[1]:.0f})", row[2]  # all main-supplier shares are >= 10
