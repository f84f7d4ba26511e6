"""ATOP member-level reader (analysis.sources.atop) on hand-made files in ATOP's layout.

tests/fixtures/atop/README.md describes the invented rows; expected values are read off those rows
by hand (comments show how).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.case.alliances import coverage, members_at
from analysis.sources import atop
from analysis.sources.atop import AtopFormatError, load_atop

FIXTURES = Path(__file__).parent / "fixtures" / "atop"
MEMBERS = FIXTURES / "members.csv"


@pytest.fixture(scope="module")
def loaded():
    return load_atop(MEMBERS)


def _spell(spells, alliance, country):
    rows = spells[(spells["alliance"] == alliance) & (spells["country"] == country)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_alliances_ids_names_and_founding(loaded):
    alliances, _ = loaded
    # 9003 (ended 1920) and 9004 (code 240, ended 1866) end before 1950 and are skipped
    assert list(alliances["alliance"]) == ["ATOP 9001", "ATOP 9002"]
    # 9001: defense=1 and consul=1 on lines 2-3 (UK); 9002: defense only
    assert list(alliances["name"]) == ["ATOP 9001 (defence, consultation)", "ATOP 9002 (defence)"]
    # earliest entries: 1960-03-15 (day known); 1985-05 (dayent 0 -> month precision)
    assert list(alliances["founding_date"]) == ["1960-03-15", "1985-05"]
    assert list(alliances.columns) == list(atop.ALLIANCE_COLUMNS)


def test_pact_with_exit_phases_merged(loaded):
    _, spells = loaded
    uk = _spell(spells, "ATOP 9001", "United Kingdom")  # COW 200
    # phase 1 ends 1970-12-31, phase 2 starts 1971-01-01 (the next day): one spell 1960-03-15..1975-06-30
    assert uk["start_date"] == pd.Timestamp("1960-03-15") and uk["start_date_precision"] == "day"
    assert uk["end_date"] == pd.Timestamp("1975-06-30") and uk["end_date_precision"] == "day"
    assert "lines 2, 3" in uk["source_title"] and "members.csv" in uk["source_title"]
    assert uk["status"] == "member"


def test_active_membership_is_open(loaded):
    _, spells = loaded
    france = _spell(spells, "ATOP 9001", "France")  # COW 220, yrexit 0 = still in force
    assert pd.isna(france["end_date"]) and pd.isna(france["end_date_precision"]) and pd.isna(france["end_reason"])
    assert members_at(spells, "ATOP 9001", "2020-01-01") == ["France"]
    assert members_at(spells, "ATOP 9001", "1970-01-01") == ["France", "United Kingdom"]


def test_historic_codes_and_month_precision(loaded):
    _, spells = loaded
    gdr = _spell(spells, "ATOP 9002", "East Germany (GDR)")  # COW 265
    assert gdr["start_date"] == pd.Timestamp("1985-05-01") and gdr["start_date_precision"] == "month"
    assert gdr["end_date"] == pd.Timestamp("1990-10-03")
    # COW 365 from 1985-05 with no exit: Soviet Union to 1991-12-31, Russia from 1992-01-01
    ussr = _spell(spells, "ATOP 9002", "Soviet Union")
    russia = _spell(spells, "ATOP 9002", "Russia")
    assert ussr["end_date"] == pd.Timestamp("1991-12-31") and "COW code 365" in ussr["end_reason"]
    assert russia["start_date"] == pd.Timestamp("1992-01-01") and pd.isna(russia["end_date"])


def test_same_shape_as_curated_tables(loaded):
    from analysis.sources.curated import load_table

    alliances, spells = loaded
    curated = load_table("alliance_membership")
    assert list(spells.columns) == list(curated.columns)
    assert str(spells["start_date"].dtype).startswith("datetime64")
    assert list(alliances.columns) == list(load_table("alliances").columns)


def test_coverage_lists_atop_alliances(loaded):
    from analysis.sources.curated import load_table

    both = atop.with_atop(load_table("alliances"), load_table("alliance_membership"), MEMBERS)
    table = coverage(*both).set_index("alliance")
    # 9001: UK and France from 1960, France still in -> ongoing; 9002: GDR, Soviet Union, Russia from 1985
    assert (table.loc["ATOP 9001", "members"], table.loc["ATOP 9001", "first_year"]) == (2, 1960)
    assert pd.isna(table.loc["ATOP 9001", "last_year"])
    assert (table.loc["ATOP 9002", "members"], table.loc["ATOP 9002", "first_year"]) == (3, 1985)
    assert "CSTO" in table.index  # the curated alliances stay


def test_unknown_code_names_code_line_and_file():
    with pytest.raises(AtopFormatError) as err:
        load_atop(FIXTURES / "unknown_code.csv")
    text = str(err.value)
    assert "unknown_code.csv" in text and "line 3" in text and "999" in text and "member" in text


def test_missing_column_and_missing_file(tmp_path):
    bad = tmp_path / "atop5_1a.csv"
    bad.write_text("atopid,begyr,begmo,begday\n1,1950,1,1\n", encoding="utf-8")
    with pytest.raises(AtopFormatError, match=r"atop5_1a\.csv, line 1: missing column.*alliance-level"):
        load_atop(bad)
    with pytest.raises(AtopFormatError, match="file not found"):
        load_atop(tmp_path / "absent.csv")


def test_bad_value_names_line_and_column(tmp_path):
    text = MEMBERS.read_text(encoding="utf-8").replace("9001,220,1960,3,15", "9001,220,1960,13,15")
    bad = tmp_path / "atop5_1m.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(AtopFormatError, match=r"line 4, column moent: 13"):
        load_atop(bad)


def test_file_found_through_environment(monkeypatch):
    monkeypatch.setenv(atop.ENV_VAR, str(MEMBERS))
    assert atop.find_atop() == MEMBERS
    alliances, _ = load_atop()
    assert "ATOP 9002" in set(alliances["alliance"])


def test_cli_lists_atop_alliances(monkeypatch):
    from analysis.pipeline.cli import main

    monkeypatch.delenv(atop.ENV_VAR, raising=False)
    result = CliRunner().invoke(main, ["alliances", "--atop", str(MEMBERS)])
    assert result.exit_code == 0, result.output
    line = next(l for l in result.output.splitlines() if l.startswith("ATOP 9001"))
    assert "1960-ongoing" in line and "2 members" in line and "(defence, consultation)" in line
    assert any(l.startswith("CSTO") for l in result.output.splitlines())
    bad = CliRunner().invoke(main, ["alliances", "--atop", str(FIXTURES / "unknown_code.csv")])
    assert bad.exit_code != 0 and "999" in bad.output


def test_an_atop_alliance_can_be_screened(monkeypatch):
    """Issue 12 item 2: with the user's ATOP file, 'ATOP <atopid>' is an alliance like the curated ones."""
    from analysis.case.compute import load_case_tables
    from analysis.case.params import ParameterError, check_screen_parameters
    from analysis.report import screen

    members = Path(__file__).parent / "fixtures" / "atop" / "members.csv"
    monkeypatch.setenv("ARMSBRIEF_ATOP", str(members))
    assert check_screen_parameters("atop  9001", 1960, 1965).alliance == "ATOP 9001"
    with pytest.raises(ParameterError, match="ATOP 1 is not in"):
        check_screen_parameters("ATOP 1", 1960, 1965)
    tables = load_case_tables()
    assert {"ATOP 9001", "CSTO"} <= set(tables["alliances"]["alliance"])
    # the fixture: COW 220 (France) joined 9001 on 15 March 1960 and never left; COW 200 (United Kingdom)
    # left on 30 June 1975, so the 2018-2022 screen has France alone
    s = screen.build("ATOP 9001", 2018, 2022, "embedded")
    assert s.members == ["France"]


def test_an_atop_alliance_without_the_file_says_how_to_get_it(monkeypatch, tmp_path):
    from analysis.case.params import ParameterError, check_screen_parameters
    from analysis.sources import atop

    monkeypatch.delenv("ARMSBRIEF_ATOP", raising=False)
    monkeypatch.setattr(atop, "DEFAULT_PATH", tmp_path / "absent.csv")
    with pytest.raises(ParameterError, match="needs the ATOP member-level file"):
        check_screen_parameters("ATOP 9001", 2018, 2022)
