"""The curated arms-embargo table (data/case/embargoes.csv), its schema, and analysis.case.embargoes."""
from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.case import embargoes as emb
from analysis.sources import curated, schemas
from analysis.sources.curated import CaseDataError

COLUMNS = list(schemas.SCHEMAS["embargoes"].columns)

GOOD = {
    "embargo_id": "osce-1992-nagorno-karabakh", "imposed_by": "OSCE", "target": "Armenia",
    "target_scope": "named forces: forces engaged in combat in the Nagorno-Karabakh area", "binding": "voluntary",
    "scope": "all deliveries of weapons and munitions", "instrument": "CSCE CSO decision of 28 February 1992",
    "start_date": "1992-02-28", "start_date_precision": "day", "end_date": "", "end_date_precision": "",
    "notes": "", "source_publisher": "Test publisher", "source_title": "Test source",
    "source_url": "https://example.org/a", "source_date": "2012-10-02",
}


# ------------------------------------------------------------------------------------------ the real table

@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return curated.load_table("embargoes", use_cache=False)


def test_table_loads_and_every_row_has_a_source(table):
    assert len(table) >= 2 and list(table.columns) == COLUMNS
    for column in ("source_publisher", "source_title"):
        assert table[column].notna().all() and (table[column].str.strip() != "").all(), column
    undated = table["source_date"].isna()
    # an undated source is allowed only where the notes say so
    assert table.loc[undated, "notes"].str.contains("Source undated", regex=False).all()
    assert table["source_url"].notna().sum() == len(table), "every row read was found at a URL"


def test_osce_rows_for_armenia_and_azerbaijan(table):
    osce = table[table["embargo_id"] == "osce-1992-nagorno-karabakh"]
    assert sorted(osce["target"]) == ["Armenia", "Azerbaijan"]
    assert (osce["start_date"] == pd.Timestamp("1992-02-28")).all()
    assert (osce["start_date_precision"] == "day").all()
    assert (osce["binding"] == "voluntary").all() and (osce["imposed_by"] == "OSCE").all()
    assert osce["end_date"].isna().all()  # never repealed as of the sources


def test_ids_group_one_decision_and_sidecar_matches(table):
    assert not table.duplicated(["embargo_id", "target"]).any()
    meta = yaml.safe_load((paths.CASE_DIR / "embargoes.meta.yml").read_text(encoding="utf-8"))
    assert meta["rows"] == len(table) and list(meta["columns"]) == COLUMNS
    assert meta["checksum_sha256"] == hashlib.sha256((paths.CASE_DIR / "embargoes.csv").read_bytes()).hexdigest()


def test_tables_list_agrees_with_schemas():
    assert list(curated.TABLES) == list(schemas.SCHEMAS)


# ------------------------------------------------------------------------------------------ bad rows

def write_table(folder: Path, rows: list[dict]) -> Path:
    """embargoes.csv with these rows and a correct sidecar (checksum, rows, columns)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    data = buffer.getvalue().encode("utf-8")
    path = folder / "embargoes.csv"
    path.write_bytes(data)
    types = {"start_date": "date", "end_date": "date", "source_date": "date"}
    meta = {
        "title": "Test embargoes", "description": "Test rows.", "producer": "tests", "citation": "Tests",
        "url": "https://example.org", "date_published": "2024-04-13", "date_accessed": "2026-11-26",
        "licence": "CC0", "file": path.name, "checksum_sha256": hashlib.sha256(data).hexdigest(), "rows": len(rows),
        "columns": {c: {"description": f"Column {c}.", "type": types.get(c, "string"), "unit": None} for c in COLUMNS},
    }
    (folder / "embargoes.meta.yml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def case_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(paths, "CASE_DIR", tmp_path)
    return tmp_path


def problems_of(case_dir: Path, *changes: dict) -> list[curated.Problem]:
    write_table(case_dir, [dict(GOOD)] + [{**GOOD, **c} for c in changes])
    with pytest.raises(CaseDataError) as err:
        curated.load_table("embargoes", use_cache=False)
    assert str(case_dir / "embargoes.csv") in str(err.value)
    return err.value.problems


def assert_rule(problems, *, line: int, rule: str):
    hits = [p for p in problems if p.line == line and p.rule == rule]
    assert hits, f"no {rule!r} problem on line {line}; got: {[str(p) for p in problems]}"
    assert all(p.reason for p in hits), "every rule states its reason"


def test_good_row_loads_with_dates_at_period_bounds(case_dir):
    write_table(case_dir, [GOOD, {**GOOD, "embargo_id": "un-1990-iraq", "target": "Iraq", "target_scope": "whole state",
                                  "binding": "binding", "start_date": "1990-08", "start_date_precision": "month",
                                  "end_date": "2004", "end_date_precision": "year"}])
    frame = curated.load_table("embargoes", use_cache=False)
    # a month start is its first day, a year end its last day
    assert frame.loc[1, "start_date"] == pd.Timestamp("1990-08-01")
    assert frame.loc[1, "end_date"] == pd.Timestamp("2004-12-31")


@pytest.mark.parametrize(("change", "rule"), [
    ({"target": "Atlantis"}, "canonical country name"),
    ({"target": "Turkey"}, "canonical country name"),  # a known alias, but not the canonical 'Türkiye'
    ({"end_date": "1991-12-31", "end_date_precision": "day"}, "end_date not before start_date"),
    ({"binding": "mandatory"}, "allowed values"),
    ({"imposed_by": "UN"}, "allowed values"),
    ({"target_scope": "rebels"}, "target scope"),
    ({"start_date": "1992-02", "start_date_precision": "day"}, "start_date matches start_date_precision"),
    ({"source_date": "", "notes": ""}, "undated source said so"),
])
def test_schema_rejects_a_bad_row(case_dir, change, rule):
    problems = problems_of(case_dir, {"embargo_id": "osce-1992-other", **change})
    assert_rule(problems, line=3, rule=rule)


def test_schema_rejects_duplicate_embargo_and_target(case_dir):
    assert_rule(problems_of(case_dir, {}), line=3, rule="unique key")


# ------------------------------------------------------------------------------------------ logic

def frame(rows: list[dict]) -> pd.DataFrame:
    """Embargo rows as load_table returns them: starts at the first day, ends at the last day of the period."""
    out = pd.DataFrame(rows)
    out["start_date"] = [schemas.parse_period(d, p, "start") for d, p in zip(out["start_date"], out["start_date_precision"])]
    out["end_date"] = pd.to_datetime(pd.Series(
        [schemas.parse_period(d, p, "end") if d else pd.NaT for d, p in zip(out["end_date"], out["end_date_precision"])],
        dtype="object"))
    return out


def row(**kw) -> dict:
    base = {"embargo_id": "x", "imposed_by": "UN Security Council", "target": "Iraq", "target_scope": "whole state",
            "binding": "binding", "start_date": "2000-01-01", "start_date_precision": "day", "end_date": "",
            "end_date_precision": "", "source_date": "2024-01-01"}
    return {**base, **kw}


EMB = frame([
    row(embargo_id="mid-2003", start_date="2003-06-15"),                     # starts mid-year 2003, open
    row(embargo_id="eu-1990", imposed_by="EU", start_date="1990-08-04", end_date="2004-07-19",
        end_date_precision="day", binding="voluntary"),                       # ends mid-2004
    row(embargo_id="other-target", target="Libya", start_date="1992-03-31"),
    row(embargo_id="year-start", target="Liberia", start_date="2009", start_date_precision="year"),
])


def test_mark_deliveries_on_a_hand_made_frame():
    deliveries = pd.DataFrame({
        "recipient": ["Iraq", "Iraq", "Iraq", "Iraq", "Syria", "Liberia", "Liberia"],
        "year": pd.array([2003, 1989, 2004, 2010, 2003, 2009, 2010], dtype="Int64"),
        "tiv_mn": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    }, index=[10, 11, 12, 13, 14, 15, 16])
    out = emb.mark_deliveries(deliveries, EMB)
    assert list(out.index) == [10, 11, 12, 13, 14, 15, 16] and list(out["tiv_mn"]) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    # 2003: eu-1990 (from 1990) covers all of 2003, mid-2003 starts 15 June -> both ids in start order, kinds mixed,
    # not partial because eu-1990 covers the whole year
    assert out.loc[10, "embargo_ids"] == "eu-1990, mid-2003" and out.loc[10, "embargo_binding"] == "mixed"
    assert not out.loc[10, "embargo_partial_year"]
    # 1989: before every start -> nothing
    assert out.loc[11, "embargo_ids"] == "" and out.loc[11, "embargo_binding"] == ""
    assert not out.loc[11, "embargo_partial_year"]
    # 2004: mid-2003 covers all of 2004 (binding); eu-1990 ends 19 July 2004 -> both ids, mixed, not partial
    assert out.loc[12, "embargo_ids"] == "eu-1990, mid-2003" and not out.loc[12, "embargo_partial_year"]
    # 2010: only mid-2003 (open) -> binding, whole year
    assert out.loc[13, "embargo_ids"] == "mid-2003" and out.loc[13, "embargo_binding"] == "binding"
    assert out.loc[14, "embargo_ids"] == ""  # no embargo on Syria in this frame
    # a start known only to the year 2009 may fall anywhere in 2009 -> partial in 2009, whole year in 2010
    assert out.loc[15, "embargo_ids"] == "year-start" and out.loc[15, "embargo_partial_year"]
    assert not out.loc[16, "embargo_partial_year"]
    assert out["embargo_partial_year"].dtype == bool


def test_an_embargo_starting_mid_year_is_partial_and_the_year_before_has_no_id():
    one = frame([row(embargo_id="mid-2003", start_date="2003-06-15")])
    deliveries = pd.DataFrame({"country": ["Iraq", "Iraq"], "delivery_year": [2003, 2002]})
    out = emb.mark_deliveries(deliveries, one, recipient="country", year="delivery_year")
    assert out["embargo_ids"].tolist() == ["mid-2003", ""]
    assert out["embargo_partial_year"].tolist() == [True, False]
    assert out["embargo_binding"].tolist() == ["binding", ""]


def test_two_embargoes_on_one_target_join_both_ids():
    two = frame([row(embargo_id="un-a", start_date="1990-01-01"), row(embargo_id="eu-b", imposed_by="EU",
                                                                       start_date="1995-01-01")])
    out = emb.mark_deliveries(pd.DataFrame({"recipient": ["Iraq"], "year": [1996]}), two)
    assert out.loc[0, "embargo_ids"] == "un-a, eu-b" and out.loc[0, "embargo_binding"] == "binding"
    assert not out.loc[0, "embargo_partial_year"]


def test_mark_deliveries_names_a_missing_column():
    with pytest.raises(ValueError, match="recipient='buyer'"):
        emb.mark_deliveries(pd.DataFrame({"recipient": [], "year": []}), EMB, recipient="buyer")


def test_in_force_selects_overlapping_embargoes_on_the_target():
    # Iraq 1991-2002: eu-1990 (1990-08-04..2004-07-19) only; mid-2003 starts after 2002
    assert emb.in_force(EMB, "Iraq", 1991, 2002)["embargo_id"].tolist() == ["eu-1990"]
    assert emb.in_force(EMB, "Iraq", 2003, 2003)["embargo_id"].tolist() == ["eu-1990", "mid-2003"]
    assert emb.in_force(EMB, "Iraq", 1980, 1989).empty
    with pytest.raises(ValueError, match="end_year 1990 is before start_year 1991"):
        emb.in_force(EMB, "Iraq", 1991, 1990)


def test_describe_writes_dates_to_their_precision():
    osce = frame([row(imposed_by="OSCE", binding="voluntary", target="Armenia",
                      target_scope="named forces: forces engaged in combat in the Nagorno-Karabakh area",
                      start_date="1992-02-28", source_date="2012-10-02")]).iloc[0]
    assert emb.describe(osce) == ("OSCE (voluntary) embargo on arms deliveries to forces engaged in combat in the "
                                  "Nagorno-Karabakh area, from 28 February 1992 (in force as of 2 October 2012)")
    ended = frame([row(start_date="1990-08", start_date_precision="month", end_date="2004",
                       end_date_precision="year")]).iloc[0]
    assert emb.describe(ended) == ("UN Security Council (binding) embargo on arms deliveries to Iraq, "
                                   "from August 1990 to 2004")
    ngf = frame([row(target="Rwanda", target_scope="non-governmental forces", source_date=None)]).iloc[0]
    assert emb.describe(ngf).endswith("non-governmental forces in Rwanda, from 1 January 2000 "
                                      "(in force according to an undated source)")


def test_real_table_marks_the_founding_case(table):
    # Belarus -> Azerbaijan deliveries 2018-2022 fall under the 1992 OSCE request (voluntary), whole years
    out = emb.mark_deliveries(pd.DataFrame({"recipient": ["Azerbaijan"] * 2, "year": [2018, 2022]}), table)
    assert out["embargo_ids"].tolist() == ["osce-1992-nagorno-karabakh"] * 2
    assert out["embargo_binding"].tolist() == ["voluntary"] * 2 and not out["embargo_partial_year"].any()
