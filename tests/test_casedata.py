"""Case-table schemas (one test per rule family), load_table's errors and types, the embedded
register, and validation of every real file in data/case."""
from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.sources import curated, sidecars, schemas
from analysis.sources.curated import CaseDataError
from analysis.sources.sidecars import SidecarError

SRC = {"source_publisher": "Test publisher", "source_title": "Test source", "source_url": "https://example.org/a",
       "source_date": "2024-04-13"}

# One valid row per table (strings exactly as written in the CSV).
GOOD = {
    "registered_deliveries": {
        "deal_id": "62218", "supplier": "Belarus", "recipient": "Azerbaijan", "designation": "2A36 152mm",
        "description": "towed gun", "armament_category": "Artillery", "order_year": "2016",
        "is_order_year_estimate": "true", "number_delivered": "26", "is_number_delivered_estimate": "false",
        "delivery_year": "2017", "is_delivery_year_estimate": "false", "status": "Second hand",
        "tiv_unit_mn": "0.4", "tiv_delivered_mn": "10.4", "is_local_production": "false", "comments": "",
        **SRC},
    "tiv_totals": {"country": "Azerbaijan", "direction": "imports", "year": "2018", "tiv_mn": "369",
                   "is_below_half_mn": "false", **SRC},
    "alliances": {"alliance": "CSTO", "name": "Collective Security Treaty Organization",
                  "founding_document": "Collective Security Treaty", "founding_date": "1992-05-15", "notes": "",
                  **SRC},
    "alliance_membership": {"alliance": "CSTO", "country": "Armenia", "status": "member",
                            "start_date": "1992-05-15", "start_date_precision": "day", "end_date": "2024-02",
                            "end_date_precision": "month", "end_reason": "participation frozen", "notes": "",
                            **SRC},
    "conflicts": {"conflict_id": "arm-aze", "side_a": "Armenia", "side_b": "Azerbaijan", "kind": "war",
                  "name": "Second Nagorno-Karabakh war", "start_date": "2020-09-27", "start_date_precision": "day",
                  "end_date": "2020", "end_date_precision": "year", "notes": "", **SRC},
    "events": {"event_date": "2024-02", "event_date_precision": "month", "title": "Armenia freezes CSTO participation",
               "description": "", "countries": "Armenia;Azerbaijan", "kind": "alliance", **SRC},
    "claims": {"claim_id": "c1", "claimant": "Someone", "claimant_role": "", "claim_date": "2024-06",
               "claim_date_precision": "month", "claim_text": "Belarus armed Azerbaijan", "is_paraphrase": "false",
               "notes": "", **SRC, "source_date": "2024-06-14", "check_type": "supplier_delivered", "check_supplier": "Belarus",
               "check_recipient": "Azerbaijan", "check_alliance": "", "check_start_year": "2018",
               "check_end_year": "2022", "check_min_suppliers": ""},
    "reported_transfers": {"report_id": "r1", "supplier": "Belarus", "recipient": "Azerbaijan",
                           "designation": "Groza-S", "description": "counter-drone station", "quantity": "",
                           "period_start_year": "2018", "period_end_year": "2022", "evidence": "leaked documents",
                           "confidence": "medium", "notes": "", **SRC},
    "embargoes": {"embargo_id": "osce-1992-nagorno-karabakh", "imposed_by": "OSCE", "target": "Armenia",
                  "target_scope": "named forces: forces engaged in combat in the Nagorno-Karabakh area",
                  "binding": "voluntary", "scope": "all deliveries of weapons and munitions",
                  "instrument": "CSCE CSO decision of 28 February 1992", "start_date": "1992-02-28",
                  "start_date_precision": "day", "end_date": "", "end_date_precision": "", "notes": "", **SRC},
    "regions": {"country": "Azerbaijan", "region": "Europe", "subregion": "Eastern Europe", "notes": "", **SRC},
}

SIDECAR_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}


def kind_of(name: str, column: str) -> str:
    return curated._kind(schemas.SCHEMAS[name].columns[column].dtype)


def write_table(folder: Path, name: str, rows: list[dict], header: list[str] | None = None) -> Path:
    """Write ``<name>.csv`` and a correct sidecar for it (checksum, rows, columns from the header)."""
    header = header or list(schemas.SCHEMAS[name].columns)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    data = buffer.getvalue().encode("utf-8")
    path = folder / f"{name}.csv"
    path.write_bytes(data)
    meta = {
        "title": f"Test {name}", "description": "Test rows.", "producer": "tests", "citation": "Tests",
        "url": "https://example.org", "date_published": "2024-04-13", "date_accessed": "2026-11-26",
        "licence": "CC0", "file": path.name, "checksum_sha256": hashlib.sha256(data).hexdigest(),
        "rows": len(rows),
        "columns": {c: {"description": f"Column {c}.",
                        "type": SIDECAR_TYPES[kind_of(name, c)] if c in schemas.SCHEMAS[name].columns else "string",
                        "unit": None} for c in header},
    }
    (folder / f"{name}.meta.yml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def case_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(paths, "CASE_DIR", tmp_path)
    return tmp_path


def rows_with(name: str, *changes: dict) -> list[dict]:
    """The good row, then one row per ``changes`` dict applied to a copy of it."""
    return [dict(GOOD[name])] + [{**GOOD[name], **change} for change in changes]


def problems_of(case_dir: Path, name: str, rows: list[dict]) -> list[curated.Problem]:
    write_table(case_dir, name, rows)
    with pytest.raises(CaseDataError) as err:
        curated.load_table(name)
    assert str(case_dir / f"{name}.csv") in str(err.value)
    return err.value.problems


def assert_rule(problems, *, line: int, rule: str, column: str | None = None):
    hits = [p for p in problems if p.line == line and p.rule == rule and (column is None or column in (p.column or ""))]
    assert hits, f"no {rule!r} problem on line {line} ({column}); got: {[str(p) for p in problems]}"
    assert all(p.reason for p in hits), "every rule states its reason"


# ------------------------------------------------------------------------------------ good tables


@pytest.mark.parametrize("name", list(GOOD))
def test_good_row_loads(case_dir, name):
    write_table(case_dir, name, rows_with(name))
    frame = curated.load_table(name)
    assert len(frame) == 1 and list(frame.columns) == list(schemas.SCHEMAS[name].columns)


def test_every_schema_has_a_good_row_and_every_rule_a_reason():
    assert set(GOOD) == set(schemas.SCHEMAS) == set(curated.TABLES)
    for name, schema in schemas.SCHEMAS.items():
        for check in schema.checks:
            assert check.name and check.error and check.description, (name, check)
        for column_name, column in schema.columns.items():
            for check in column.checks:
                assert check.name and check.error and check.description, (name, column_name, check)
            if not column.nullable:
                assert column.metadata.get("required"), (name, column_name, "a required column says why")


def test_types_and_dates(case_dir):
    write_table(case_dir, "alliance_membership", rows_with("alliance_membership", {
        "country": "Belarus", "start_date": "1992", "start_date_precision": "year", "end_date": "",
        "end_date_precision": "", "end_reason": ""}))
    frame = curated.load_table("alliance_membership")
    # start dates at the first day of their period, end dates at the last day; precision kept
    assert frame.loc[0, "start_date"] == pd.Timestamp("1992-05-15")
    assert frame.loc[0, "end_date"] == pd.Timestamp("2024-02-29") and frame.loc[0, "end_date_precision"] == "month"
    assert frame.loc[1, "start_date"] == pd.Timestamp("1992-01-01") and pd.isna(frame.loc[1, "end_date"])
    assert pd.api.types.is_datetime64_any_dtype(frame["start_date"])
    assert frame.loc[0, "source_date"] == "2024-04-13"  # dates without a precision column stay strings

    write_table(case_dir, "conflicts", rows_with("conflicts"))
    assert curated.load_table("conflicts").loc[0, "end_date"] == pd.Timestamp("2020-12-31")

    write_table(case_dir, "registered_deliveries", rows_with("registered_deliveries", {
        "delivery_year": "2018", "number_delivered": "", "tiv_delivered_mn": "", "comments": "Second-hand"}))
    rd = curated.load_table("registered_deliveries")
    assert str(rd["order_year"].dtype) == "Int64" and rd["is_order_year_estimate"].dtype == bool
    assert str(rd["is_local_production"].dtype) == "boolean"   # optional flag stays nullable
    assert rd["tiv_delivered_mn"].dtype == "float64" and pd.isna(rd.loc[1, "tiv_delivered_mn"])
    assert pd.isna(rd.loc[1, "number_delivered"]) and pd.isna(rd.loc[0, "comments"])
    assert isinstance(rd.index, pd.RangeIndex)


# ------------------------------------------------------------------------- one test per rule family


@pytest.mark.parametrize(("name", "column", "bad"), [
    ("alliance_membership", "status", "observer"),
    ("events", "kind", "economy"),
    ("claims", "check_type", "supplier delivered"),
    ("reported_transfers", "evidence", "rumour"),
    ("reported_transfers", "confidence", "certain"),
    ("registered_deliveries", "status", "Used"),
    ("registered_deliveries", "armament_category", "Tanks"),
    ("tiv_totals", "direction", "import"),
    ("conflicts", "kind", "cold war"),
    ("alliance_membership", "start_date_precision", "season"),
])
def test_wrong_allowed_value(case_dir, name, column, bad):
    problems = problems_of(case_dir, name, rows_with(name, {column: bad}))
    assert_rule(problems, line=3, rule="allowed values", column=column)


@pytest.mark.parametrize("name", list(GOOD))
@pytest.mark.parametrize("column", ["source_publisher", "source_title", "source_date"])
def test_null_source(case_dir, name, column):
    problems = problems_of(case_dir, name, rows_with(name, {column: ""}))
    if column == "source_date" and name in ("alliances", "alliance_membership", "embargoes"):
        # undated treaty texts and organisation pages are allowed, but only where the notes say so
        assert_rule(problems, line=3, rule="undated source said so", column="source_date")
    else:
        assert_rule(problems, line=3, rule="required", column=column)


@pytest.mark.parametrize("name", ["alliances", "alliance_membership"])
def test_an_undated_source_that_says_so_passes(case_dir, name):
    other = {"alliances": {"alliance": "NATO"}, "alliance_membership": {"country": "Belarus"}}[name]
    write_table(case_dir, name, rows_with(name, {"source_date": "", "notes": "Source undated: no date.", **other}))
    assert len(curated.load_table(name)) == 2


@pytest.mark.parametrize(("name", "change", "column"), [
    ("registered_deliveries", {"delivery_year": "1949"}, "delivery_year"),
    ("registered_deliveries", {"delivery_year": "2031", "deal_id": "1"}, "delivery_year"),
    ("registered_deliveries", {"order_year": "1939", "deal_id": "1"}, "order_year"),
    ("tiv_totals", {"year": "20018"}, "year"),
    ("claims", {"claim_id": "c2", "check_start_year": "1900"}, "check_start_year"),
    ("reported_transfers", {"report_id": "r2", "period_end_year": "2040"}, "period_end_year"),
])
def test_year_out_of_range(case_dir, name, change, column):
    problems = problems_of(case_dir, name, rows_with(name, change))
    assert_rule(problems, line=3, rule="year range", column=column)


@pytest.mark.parametrize(("name", "change", "rule"), [
    ("alliance_membership", {"country": "Belarus", "end_date": "1992-05-14", "end_date_precision": "day"},
     "end_date not before start_date"),
    ("conflicts", {"conflict_id": "x", "start_date": "2021", "start_date_precision": "year"},
     "end_date not before start_date"),
    ("claims", {"claim_id": "c2", "check_start_year": "2022", "check_end_year": "2018"},
     "check_end_year not before check_start_year"),
    ("reported_transfers", {"report_id": "r2", "period_start_year": "2022", "period_end_year": "2019"},
     "period_end_year not before period_start_year"),
])
def test_end_before_start(case_dir, name, change, rule):
    problems = problems_of(case_dir, name, rows_with(name, change))
    assert_rule(problems, line=3, rule=rule)


def test_same_period_end_is_not_before_start(case_dir):
    """"2020" as an end is 2020-12-31, so a war starting 2020-09-27 may end in "2020"."""
    write_table(case_dir, "conflicts", rows_with("conflicts"))
    curated.load_table("conflicts")


@pytest.mark.parametrize(("name", "change"), [
    ("registered_deliveries", {}),
    ("tiv_totals", {}),
    ("alliances", {"name": "Other name"}),
    ("alliance_membership", {"end_date": "", "end_date_precision": "", "end_reason": ""}),
    ("conflicts", {"name": "Other"}),
    ("events", {"description": "again"}),
    ("claims", {"claimant": "Other"}),
    ("reported_transfers", {"designation": "Other"}),
])
def test_duplicate_key(case_dir, name, change):
    problems = problems_of(case_dir, name, rows_with(name, change))
    assert_rule(problems, line=2, rule="unique key")
    assert_rule(problems, line=3, rule="unique key")


# ------------------------------------------------------------------------------- further rules


def test_date_must_match_its_precision(case_dir):
    problems = problems_of(case_dir, "events", rows_with(
        "events", {"title": "b", "event_date": "2024-02-01"},            # day written, month stated
        {"title": "c", "event_date": "2023-02-29", "event_date_precision": "day"},  # no such day
        {"title": "d", "event_date": "24/02/2024", "event_date_precision": "day"}))
    for line in (3, 4, 5):
        assert_rule(problems, line=line, rule="event_date matches event_date_precision")


def test_end_precision_only_with_end_date(case_dir):
    problems = problems_of(case_dir, "conflicts", rows_with(
        "conflicts", {"conflict_id": "x", "end_date": "", "end_date_precision": "day"}))
    assert_rule(problems, line=3, rule="end_date matches end_date_precision")


def test_source_url_must_be_http(case_dir):
    problems = problems_of(case_dir, "events", rows_with("events", {"title": "b", "source_url": "doc ref 12"}))
    assert_rule(problems, line=3, rule="http(s) URL", column="source_url")
    write_table(case_dir, "events", rows_with("events", {"title": "b", "source_url": ""}))  # empty is fine
    curated.load_table("events")


def test_source_date_is_iso_and_not_in_future(case_dir):
    problems = problems_of(case_dir, "alliances", rows_with(
        "alliances", {"alliance": "A", "source_date": "April 2024"}, {"alliance": "B", "source_date": "2999-01"}))
    assert_rule(problems, line=3, rule="ISO date", column="source_date")
    assert_rule(problems, line=4, rule="not in the future", column="source_date")


@pytest.mark.parametrize(("name", "change", "rule"), [
    ("events", {"title": "b", "source_date": "2024-01-31"}, "source_date not before event_date"),
    ("claims", {"claim_id": "c2", "source_date": "2024-05"}, "source_date not before claim_date"),
])
def test_source_not_dated_before_what_it_reports(case_dir, name, change, rule):
    problems = problems_of(case_dir, name, rows_with(name, change))
    assert_rule(problems, line=3, rule=rule)
    write_table(case_dir, name, rows_with(name, {**change, "source_date": "2024"}))  # same year: may be later
    curated.load_table(name)


def test_bad_boolean_and_number_name_the_line(case_dir):
    write_table(case_dir, "claims", rows_with("claims", {"claim_id": "c2", "is_paraphrase": "yes"},
                                              {"claim_id": "c3", "check_start_year": "2018.5"}))
    with pytest.raises(CaseDataError) as err:
        curated.load_table("claims")
    assert_rule(err.value.problems, line=3, rule="type", column="is_paraphrase")
    assert_rule(err.value.problems, line=4, rule="type", column="check_start_year")
    assert "line 3" in str(err.value) and "is_paraphrase = 'yes'" in str(err.value)


def test_line_numbers_follow_quoted_line_breaks(case_dir):
    problems = problems_of(case_dir, "events", rows_with(
        "events", {"title": "b", "description": "two\nlines"}, {"title": "c", "kind": "economy"}))
    assert_rule(problems, line=5, rule="allowed values", column="kind")


def test_ragged_row(case_dir):
    path = write_table(case_dir, "tiv_totals", rows_with("tiv_totals"))
    path.write_bytes(path.read_bytes() + b"Armenia,imports,2018\n")
    sidecars.refresh_checksum(path)
    with pytest.raises(CaseDataError) as err:
        curated.load_table("tiv_totals")
    assert_rule(err.value.problems, line=3, rule="field count")


def test_surrounding_spaces(case_dir):
    problems = problems_of(case_dir, "alliances", rows_with("alliances", {"alliance": "NATO", "name": "NATO "}))
    assert_rule(problems, line=3, rule="no surrounding spaces", column="name")


def test_deal_attributes_constant_within_a_deal(case_dir):
    problems = problems_of(case_dir, "registered_deliveries", rows_with(
        "registered_deliveries", {"delivery_year": "2018", "tiv_unit_mn": "0.5"}))
    assert_rule(problems, line=2, rule="same deal attributes on every row")
    assert_rule(problems, line=3, rule="same deal attributes on every row")


def test_supplier_differs_from_recipient(case_dir):
    problems = problems_of(case_dir, "reported_transfers", rows_with(
        "reported_transfers", {"report_id": "r2", "recipient": "Belarus"}))
    assert_rule(problems, line=3, rule="supplier differs from recipient")


def test_claim_check_fields_follow_check_type(case_dir):
    problems = problems_of(case_dir, "claims", rows_with(
        "claims",
        {"claim_id": "c2", "check_supplier": ""},                                    # needed field missing
        {"claim_id": "c3", "check_type": "none"},                                     # fields given with none
        {"claim_id": "c4", "check_type": "members_supplied", "check_supplier": "", "check_alliance": "CSTO",
         "check_min_suppliers": "2"},                                                 # complete: fine
        {"claim_id": "c5", "check_type": "members_supplied", "check_supplier": "", "check_alliance": "CSTO"}))
    for line in (3, 4, 6):
        assert_rule(problems, line=line, rule="check fields match check_type")
    assert not [p for p in problems if p.line == 5]


def test_overlapping_membership_spells(case_dir):
    problems = problems_of(case_dir, "alliance_membership", rows_with(
        "alliance_membership",
        {"status": "participation frozen", "start_date": "2023-06-01", "end_date": "", "end_date_precision": "",
         "end_reason": ""}))
    assert_rule(problems, line=2, rule="no overlapping spells")
    assert_rule(problems, line=3, rule="no overlapping spells")


def test_consecutive_spells_may_meet_in_the_same_month(case_dir):
    write_table(case_dir, "alliance_membership", rows_with(
        "alliance_membership",
        {"status": "participation frozen", "start_date": "2024-02", "start_date_precision": "month",
         "end_date": "", "end_date_precision": "", "end_reason": ""}))
    frame = curated.load_table("alliance_membership")
    assert list(frame["status"]) == ["member", "participation frozen"]


def test_below_half_flag_matches_zero(case_dir):
    problems = problems_of(case_dir, "tiv_totals", rows_with(
        "tiv_totals", {"year": "2019", "is_below_half_mn": "true"},             # 369 is not "0"
        {"year": "2020", "tiv_mn": "0", "is_below_half_mn": "false"},             # a SIPRI '0' needs the flag
        {"year": "2021", "tiv_mn": "0", "is_below_half_mn": "true"},              # fine
        {"year": "2022", "tiv_mn": "", "is_below_half_mn": "false"}))             # none identified: fine
    assert {p.line for p in problems} == {3, 4}


@pytest.mark.skipif(importlib.util.find_spec("analysis.sources.countries") is None, reason="analysis.sources.countries missing")
def test_country_names_are_canonical(case_dir):
    problems = problems_of(case_dir, "alliance_membership", rows_with(
        "alliance_membership", {"country": "Turkey"}))
    assert_rule(problems, line=3, rule="canonical country name", column="country")
    write_table(case_dir, "tiv_totals", rows_with("tiv_totals", {"country": "World"}))  # SIPRI's world row
    curated.load_table("tiv_totals")


def test_empty_list_item_in_countries(case_dir):
    problems = problems_of(case_dir, "events", rows_with("events", {"title": "b", "countries": "Armenia;;Azerbaijan"}))
    assert_rule(problems, line=3, rule="no empty list items", column="countries")


# ------------------------------------------------------------------------ load_table's other errors


def test_missing_file_names_the_path(case_dir):
    with pytest.raises(FileNotFoundError, match=str(case_dir / "claims.csv")):
        curated.load_table("claims")


def test_unknown_table_name(case_dir):
    with pytest.raises(KeyError, match="known tables"):
        curated.load_table("nonsense")


def test_checksum_is_checked_before_the_schema(case_dir):
    path = write_table(case_dir, "events", rows_with("events"))
    path.write_bytes(path.read_bytes().replace(b"alliance", b"nonsense"))  # bad kind AND bad checksum
    with pytest.raises(SidecarError, match="checksum_sha256"):
        curated.load_table("events")


def test_header_must_match_the_schema(case_dir):
    header = [c for c in schemas.SCHEMAS["alliances"].columns if c != "notes"] + ["comment"]
    write_table(case_dir, "alliances", [GOOD["alliances"]], header=header)
    with pytest.raises(CaseDataError, match=r"missing: \['notes'\]; unexpected: \['comment'\]"):
        curated.load_table("alliances")


def test_error_message_names_file_line_rule_and_reason(case_dir):
    write_table(case_dir, "alliance_membership", rows_with("alliance_membership", {"status": "observer"}))
    with pytest.raises(CaseDataError) as err:
        curated.load_table("alliance_membership")
    text = str(err.value)
    assert "alliance_membership.csv" in text and "line 3: status = 'observer'" in text
    assert "rule 'allowed values'" in text and "why: " in text


def test_check_references(case_dir):
    tables = {"alliances": pd.DataFrame({"alliance": ["CSTO"]}),
              "alliance_membership": pd.DataFrame({"alliance": ["CSTO", "NATO"]}),
              "claims": pd.DataFrame({"check_alliance": [None, "CSTO"]})}
    problems = curated.check_references(tables)
    assert len(problems) == 1 and "['NATO']" in problems[0]


# ------------------------------------------------------------------------------ embedded register

needs_sipri = pytest.mark.skipif(
    importlib.util.find_spec("analysis.sources.sipri") is None,
    reason="analysis.sources.sipri (home of the Register dataclass) is not in the tree yet")


@needs_sipri
def test_embedded_register_aggregates_deals(case_dir):
    write_table(case_dir, "registered_deliveries", rows_with(
        "registered_deliveries",
        {"delivery_year": "2018", "number_delivered": "4", "tiv_delivered_mn": "1.6", "is_number_delivered_estimate": "true",
         "comments": "Second-hand"},
        {"deal_id": "64322", "supplier": "Turkey", "designation": "A-200", "description": "guided rocket",
         "armament_category": "Missiles", "order_year": "2017", "number_delivered": "", "status": "New",
         "tiv_unit_mn": "0.1", "tiv_delivered_mn": "30", "delivery_year": "2018"}))
    register = curated.load_embedded_register()
    assert register.format == "embedded" and register.vintage == "2024-04-13" and register.sha256 == ""
    deals = register.deals.set_index("deal_key")
    first = deals.loc["62218"]
    assert first["number_delivered"] == 30 and first["tiv_delivered_mn"] == pytest.approx(12.0)
    assert first["delivery_years"] == "2017; 2018" and first["first_delivery_year"] == 2017
    assert first["last_delivery_year"] == 2018 and bool(first["is_number_delivered_estimate"])
    assert first["comments"] == "Second-hand"
    second = deals.loc["64322"]
    assert pd.isna(second["number_delivered"])               # unknown stays unknown
    assert second["supplier_sipri"] == "Turkey" and second["supplier"] != "" and pd.isna(second["tiv_order_mn"])
    assert len(register.deliveries) == 3 and not register.deliveries["is_tiv_allocated"].any()
    assert list(register.deliveries["deal_key"]) == ["62218", "62218", "64322"]
    if importlib.util.find_spec("analysis.sources.countries"):
        assert second["supplier"] == "Türkiye" and second["supplier_iso3"] == "TUR"


@needs_sipri
def test_embedded_register_columns_follow_the_tidy_schema(case_dir):
    from analysis.sources import sipri

    write_table(case_dir, "registered_deliveries", rows_with("registered_deliveries"))
    register = curated.load_embedded_register()
    assert list(register.deals.columns) == list(sipri.DEALS_COLUMNS)
    assert list(register.deliveries.columns) == list(sipri.DELIVERIES_COLUMNS)
    assert {c: str(t) for c, t in register.deals.dtypes.items()} == \
        {c: str(pd.Series(dtype=t).dtype) for c, t in sipri.DEALS_COLUMNS.items()}


@needs_sipri
def test_embedded_register_needs_one_vintage(case_dir):
    write_table(case_dir, "registered_deliveries", rows_with(
        "registered_deliveries", {"delivery_year": "2018", "source_date": "2025-03-13"}))
    with pytest.raises(CaseDataError, match="one vintage"):
        curated.load_embedded_register()


# ----------------------------------------------------------------------- the real curated files


def real_folder(name: str) -> Path | None:
    """Where the real table lives: the founding case pack for a story's tables, else data/case/."""
    story_tables = ("events", "claims", "reported_transfers")
    return paths.DATA_DIR / "cases" / "belarus-azerbaijan" if name in story_tables else None


@pytest.mark.parametrize("name", curated.TABLES)
def test_real_file_validates(name):
    curated.load_table(name, real_folder(name))


def test_real_case_dir_has_only_known_tables():
    unknown = sorted(p.stem for p in paths.CASE_DIR.glob("*.csv") if p.stem not in schemas.SCHEMAS)
    assert not unknown, f"datasets without a schema in analysis/schemas.py: {unknown}"


@pytest.mark.parametrize("name", curated.TABLES)
def test_real_sidecar_types_agree_with_the_schema(name):
    meta = sidecars.load_sidecar(curated.case_path(name, real_folder(name)))
    allowed = {"int": {"integer", "year"}, "float": {"number"}, "bool": {"boolean"}, "str": {"string", "date"}}
    wrong = {c: e["type"] for c, e in meta["columns"].items()
             if c in schemas.SCHEMAS[name].columns and e.get("type") not in allowed[kind_of(name, c)]}
    assert not wrong, f"{name}.meta.yml column types disagree with analysis/schemas.py: {wrong}"


def test_real_cross_table_references():
    tables = {name: curated.load_table(name, real_folder(name)) for name in curated.TABLES}
    assert curated.check_references(tables) == []


@needs_sipri
def test_real_embedded_register_matches_its_sidecar_vintage():
    register = curated.load_embedded_register()
    meta = sidecars.load_sidecar(curated.case_path("registered_deliveries"))
    assert register.vintage == str(meta["date_published"])
    assert register.deliveries["tiv_delivered_mn"].sum() == pytest.approx(register.deals["tiv_delivered_mn"].sum())
