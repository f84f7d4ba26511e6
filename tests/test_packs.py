"""Case packs (analysis.sources.packs): a new story's events, claims and reported transfers, added
without touching code; checked with errors naming file, row and column; used by the brief that matches.

The rows written into temporary packs below are test fixtures (example.org sources), not project data.
"""
from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from analysis import paths
from analysis.case.compute import compute_case, load_case_tables
from analysis.case.params import BriefParams, ParameterError, check_brief_parameters
from analysis.pipeline.cli import main
from analysis.sources import packs, sidecars
from analysis.sources.curated import CaseDataError

FOUNDING = paths.DATA_DIR / "cases" / "belarus-azerbaijan"

# ---------------------------------------------------------------------------------- fixture rows

EVENTS = [
    {"event_date": "2016-04", "event_date_precision": "month", "title": "[test] Defence ministers meet in Baku",
     "description": "Test fixture row, with a comma, to check quoting", "countries": "Israel;Azerbaijan",
     "kind": "diplomacy", "source_publisher": "Example Agency", "source_title": "Ministers meet (test source one)",
     "source_url": "https://example.org/one", "source_date": "2016-04-20"},
    {"event_date": "2017-09-01", "event_date_precision": "day", "title": "[test] Drone contract reported",
     "description": "", "countries": "Israel;Azerbaijan", "kind": "arms", "source_publisher": "Example Daily",
     "source_title": "Drone contract (test source two)", "source_url": "https://example.org/two",
     "source_date": "2017-09-02"},
    {"event_date": "2020", "event_date_precision": "year", "title": "[test] Deliveries continue during the war",
     "description": "", "countries": "Azerbaijan", "kind": "war", "source_publisher": "Example Weekly",
     "source_title": "Deliveries continue (test source three)", "source_url": "", "source_date": "2021-01"},
]
CLAIMS = [
    {"claim_id": "test-supplier-delivered-2016-2020", "claimant": "Example Daily", "claimant_role": "newspaper",
     "claim_date": "2021-02-01", "claim_date_precision": "day", "claim_text": "[test] Israel armed Azerbaijan "
     "throughout 2016-2020.", "is_paraphrase": "true", "notes": "", "source_publisher": "Example Daily",
     "source_title": "Who armed whom (test source four)", "source_url": "https://example.org/four",
     "source_date": "2021-02-01", "check_type": "supplier_delivered", "check_supplier": "Israel",
     "check_recipient": "Azerbaijan", "check_alliance": "", "check_start_year": "2016", "check_end_year": "2020",
     "check_min_suppliers": ""},
    {"claim_id": "test-statement-2021", "claimant": "A test official", "claimant_role": "spokesperson",
     "claim_date": "2021-03", "claim_date_precision": "month", "claim_text": "[test] Our cooperation with Azerbaijan "
     "breaks no rule.", "is_paraphrase": "false", "notes": "", "source_publisher": "Example Agency",
     "source_title": "Official statement (test source five)", "source_url": "https://example.org/five",
     "source_date": "2021-03", "check_type": "none", "check_supplier": "", "check_recipient": "",
     "check_alliance": "", "check_start_year": "", "check_end_year": "", "check_min_suppliers": ""},
]
REPORTED = [
    {"report_id": "test-report-loitering-munitions", "supplier": "Israel", "recipient": "Azerbaijan",
     "designation": "[test] Loitering munition", "description": "Test fixture: munitions reported by the press.",
     "quantity": "", "period_start_year": "2017", "period_end_year": "2018", "evidence": "press report",
     "confidence": "low", "notes": "", "source_publisher": "Example Weekly",
     "source_title": "Munitions seen (test source six)", "source_url": "https://example.org/six",
     "source_date": "2019-05-05"},
]
ROWS = {"events": EVENTS, "claims": CLAIMS, "reported_transfers": REPORTED}


def append_rows(pack_dir: Path, table: str, rows: list[dict]) -> None:
    """Append rows as a user would (the csv module quotes where needed), keeping the header's order."""
    path = pack_dir / f"{table}.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write(buffer.getvalue())


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)


@pytest.fixture
def newsroom(tmp_path, monkeypatch):
    """An empty newsroom folder of packs on $ARMSBRIEF_CASES, and a private cache."""
    folder = tmp_path / "newsroom"
    folder.mkdir()
    monkeypatch.setenv(packs.CASES_ENV, str(folder))
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    return folder


def new_filled_pack(folder: Path, name: str = "israel-azerbaijan-test") -> Path:
    result = run("case", "new", name, "--supplier", "Israel", "--recipient", "Azerbaijan", "--start", "2016",
                 "--end", "2020", "--title", "Test story", "--compiled-by", "Test desk", "--dir", folder)
    assert result.exit_code == 0, result.output
    pack_dir = folder / name
    for table, rows in ROWS.items():
        append_rows(pack_dir, table, rows)
    return pack_dir


# ---------------------------------------------------------------------------------- the founding pack


def test_the_founding_pack_holds_the_rows_of_before_the_move():
    """Counts and ids recorded from data/case/*.csv before the move (23 events, 15 claims, 5 reports);
    the SHA-256s are the ones their sidecars carried in data/case/, so the bytes are unchanged."""
    pack = packs.read_case_file(FOUNDING)
    tables = packs.load_pack_tables([pack])
    assert len(tables["events"]) == 23
    assert list(tables["claims"]["claim_id"]) == [
        "politico-belarus-armed-azerbaijan-2018-2022", "pashinyan-two-csto-states-prepared-2020-war",
        "armenia-mfa-polonez-deadly-tool-2018", "pashinyan-csto-members-sold-arms-2022",
        "lukashenko-polonez-sold-to-azerbaijan-2018", "lukashenko-no-military-cargo-six-months-2020",
        "lukashenko-cooperation-violates-no-treaty-2017", "belarus-mfa-what-belarus-has-to-do-with-it-2024",
        "lukashenka-admits-arms-sales-2025", "aliyev-we-buy-military-equipment-in-belarus-2018",
        "lukashenko-war-can-be-won-2024", "lukashenko-aliyev-our-man-2022", "pashinyan-cst-not-fulfilled-2024",
        "pashinyan-bubble-alliance-planned-war-2024", "occrp-belarusian-air-defence-used-2020-war"]
    assert list(tables["reported_transfers"]["report_id"]) == [
        "politico-leak-groza-s", "politico-leak-artillery-targeting", "politico-leak-artillery-modernisation",
        "politico-leak-ew-drone-gear", "occrp-leak-tetraedr-pechora-2tm"]
    before = {"events": "48fcea4e2f03971ae7171b2364d924df087dcc8ca3d5447635c267991648c231",
              "claims": "0b1e34512cdb165eebcc9771851e14a785889928c17139b02b5b4ff52690954c",
              "reported_transfers": "993f729f96d4b9a8310bdabc60dedfe8b00043f36cdae32f502b2cbb140dee77"}
    for table, sha in before.items():
        assert hashlib.sha256((FOUNDING / f"{table}.csv").read_bytes()).hexdigest() == sha
        sidecars.validate_sidecar(FOUNDING / f"{table}.csv")
    assert not (paths.CASE_DIR / "events.csv").exists()  # moved, not copied


def test_the_founding_brief_uses_its_pack_and_the_same_rows(monkeypatch):
    monkeypatch.delenv(packs.CASES_ENV, raising=False)
    params = BriefParams("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, "embedded")
    case = compute_case(params)
    assert [p.name for p in case.packs] == ["belarus-azerbaijan"]
    # every event is dated 2016-04-02 .. 2024-06, inside the window 2018-2 .. 2022+2: all 23
    assert len(case.events) == 23
    # 13 of the 15 claims concern the case (two check_type 'none' claims name none of its countries)
    assert len(case.claim_checks) == 13
    assert len(case.reported) == 5


@pytest.mark.parametrize("start, end, expected", [
    (2018, 2022, ["belarus-azerbaijan"]),   # the pack's own period
    (2015, 2018, ["belarus-azerbaijan"]),   # overlaps 2018
    (2010, 2017, []),                       # ends before 2018
    (2023, 2024, []),                       # starts after 2022
])
def test_the_matching_rule_needs_the_pair_and_an_overlapping_period(monkeypatch, start, end, expected):
    monkeypatch.delenv(packs.CASES_ENV, raising=False)
    assert [p.name for p in packs.select_packs("Belarus", "Azerbaijan", start, end)] == expected
    assert packs.select_packs("Azerbaijan", "Belarus", 2018, 2022) == []  # the other direction is another story
    assert packs.select_packs("Russia", "Armenia", 2010, 2020) == []


def test_every_pack_in_the_project_passes_its_check(monkeypatch):
    monkeypatch.delenv(packs.CASES_ENV, raising=False)
    found = packs.discover()
    assert "belarus-azerbaijan" in [p.name for p in found]
    for pack in found:
        result = packs.check_pack(pack.name)
        assert result.updated == [] and result.warnings == []


# ---------------------------------------------------------------------------------- a new story end to end


def test_a_new_case_from_case_new_to_the_brief_data(newsroom):
    pack_dir = new_filled_pack(newsroom)
    assert sorted(p.name for p in pack_dir.iterdir()) == sorted(
        ["case.yml", "README.md", *(f"{t}{s}" for t in ROWS for s in (".csv", ".meta.yml"))])
    for table in ROWS:  # sidecars describe every column, with the founding pack's descriptions
        described = yaml.safe_load((pack_dir / f"{table}.meta.yml").read_text(encoding="utf-8"))["columns"]
        founding = yaml.safe_load((FOUNDING / f"{table}.meta.yml").read_text(encoding="utf-8"))["columns"]
        assert described == founding

    # The edit changed the CSVs: check refuses until checksums are refreshed on request, and says how.
    refused = run("case", "check", "israel-azerbaijan-test")
    assert refused.exit_code == 1
    assert "--update-checksums" in refused.output and "events.csv" in refused.output
    updated = run("case", "check", "israel-azerbaijan-test", "--update-checksums")
    assert updated.exit_code == 0, updated.output
    assert sorted(line.rsplit("/", 1)[-1] for line in updated.output.splitlines() if line.startswith("updated")) == \
        ["claims.meta.yml", "events.meta.yml", "reported_transfers.meta.yml"]
    assert "3 events, 2 claims, 1 reported_transfers" in updated.output
    again = run("case", "check", "israel-azerbaijan-test", "--update-checksums")
    assert "updated" not in again.output  # nothing to refresh: nothing refreshed

    listed = run("case", "list")
    assert "israel-azerbaijan-test: Test story" in listed.output and "3 events, 2 claims, 1 reported_transfers" \
        in listed.output

    from analysis.report import brief

    case = brief.build("Israel", "Azerbaijan", "", "", 2016, 2020, "embedded")
    assert [p.name for p in case.packs] == ["israel-azerbaijan-test"]
    assert sorted(case.events["title"]) == sorted(e["title"] for e in EVENTS)
    assert sorted(case.claim_checks["claim_id"]) == sorted(c["claim_id"] for c in CLAIMS)
    assert list(case.reported["report_id"]) == ["test-report-loitering-munitions"]
    assert set(case.events["source_title"]) == {e["source_title"] for e in EVENTS}
    methodology = brief.methodology(case).data
    assert "Case pack &#39;israel-azerbaijan-test&#39;: Test story, compiled by Test desk" in methodology
    colophon = brief.colophon(case).data
    assert "case pack israel-azerbaijan-test: Test story (compiled by Test desk)" in colophon
    assert "israel-azerbaijan-test/events" in colophon


@pytest.mark.slow
def test_a_new_case_through_the_cli_build(newsroom, tmp_path, monkeypatch):
    """One real `armsbrief brief` build, the pack found through --case-dir (not the environment)."""
    pack_dir = new_filled_pack(newsroom)
    assert run("case", "check", pack_dir, "--update-checksums").exit_code == 0
    monkeypatch.delenv(packs.CASES_ENV)
    reports = tmp_path / "reports"
    monkeypatch.setattr(paths, "REPORTS_DIR", reports)
    result = run("brief", "--supplier", "Israel", "--recipient", "Azerbaijan", "--start", "2016", "--end", "2020",
                 "--transfers", "embedded", "--formats", "html", "--case-dir", newsroom)
    assert result.exit_code == 0, result.output
    html = (reports / "israel-azerbaijan-2016-2020" / "israel-azerbaijan-2016-2020.html").read_text(encoding="utf-8")
    for event in EVENTS:
        assert event["title"] in html and event["source_title"] in html and event["source_publisher"] in html
    for claim in CLAIMS:
        assert claim["claim_text"] in html and claim["claimant"] in html
    assert REPORTED[0]["designation"] in html and REPORTED[0]["source_title"] in html
    assert "israel-azerbaijan-test" in html


# ---------------------------------------------------------------------------------- bad packs


BAD_ROWS = {
    "events": [dict(EVENTS[0], countries="Israel;Azerbajan")],                       # unknown country
    "claims": [dict(CLAIMS[0], claim_date="2021-02-30")],                             # not a calendar date
    "reported_transfers": [dict(REPORTED[0], source_publisher="")],                   # missing source
}


@pytest.mark.parametrize("table, column", [("events", "countries"), ("claims", "claim_date"),
                                           ("reported_transfers", "source_publisher")])
def test_a_bad_row_fails_the_check_and_the_build_and_writes_nothing(newsroom, tmp_path, monkeypatch, table, column):
    run("case", "new", "bad-case", "--supplier", "Israel", "--recipient", "Azerbaijan", "--dir", newsroom)
    pack_dir = newsroom / "bad-case"
    append_rows(pack_dir, table, BAD_ROWS[table])
    checked = run("case", "check", "bad-case", "--update-checksums")
    assert checked.exit_code == 1
    path = str(pack_dir / f"{table}.csv")
    assert path in checked.output and "line 2" in checked.output and column in checked.output
    assert f"refreshed before this check: {pack_dir / table}.meta.yml" in checked.output  # never silently

    reports = tmp_path / "reports"
    monkeypatch.setattr(paths, "REPORTS_DIR", reports)
    built = run("brief", "--supplier", "Israel", "--recipient", "Azerbaijan", "--start", "2016", "--end", "2020",
                "--transfers", "embedded")
    assert built.exit_code == 1
    assert path in built.output and "line 2" in built.output and column in built.output
    assert not reports.exists() or list(reports.iterdir()) == []


def test_an_edited_csv_is_reported_with_the_update_hint_in_the_build_too(newsroom):
    pack_dir = new_filled_pack(newsroom)  # rows appended, checksums not refreshed
    with pytest.raises(packs.PackError, match="--update-checksums"):
        packs.load_pack_tables([packs.read_case_file(pack_dir)])


@pytest.mark.parametrize("change, message", [
    ({"supplier": "Belaruss"}, "supplier: 'Belaruss' is not a known spelling of a country or actor; did you mean "
                               "'Belarus'?"),
    ({"recipient": "Xyzzyland"}, "recipient: unknown country or actor 'Xyzzyland'"),
    ({"start_year": 2100}, "start_year: 2100 is outside the years"),
    ({"start_year": 2020, "end_year": 2018}, "start_year (2020) is after end_year (2018)"),
    ({"end_year": None}, "start_year/end_year: give both or neither"),
    ({"compiled_on": "26 Nov 2026"}, "compiled_on: expected an ISO date YYYY-MM-DD"),
    ({"suplier": "Belarus"}, "suplier: unknown key"),
    ({"alliance": "SCOO"}, "alliance: unknown alliance 'SCOO'"),
])
def test_case_yml_errors_name_the_file_and_key(tmp_path, change, message):
    folder = tmp_path / "a-case"
    folder.mkdir()
    meta = {"title": "t", "description": "d", "supplier": "Belarus", "recipient": "Azerbaijan", "start_year": 2018,
            "end_year": 2022, "compiled_by": "me", "compiled_on": "2026-11-26"}
    meta.update(change)
    meta = {k: v for k, v in meta.items() if v is not None}
    (folder / "case.yml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    with pytest.raises(packs.PackError) as err:
        packs.read_case_file(folder)
    assert str(folder / "case.yml") in str(err.value) and message in str(err.value)


def test_an_unknown_case_name_lists_the_known_packs(newsroom):
    with pytest.raises(ParameterError, match=r"unknown case pack 'no-such-case'; known packs: belarus-azerbaijan"):
        check_brief_parameters("Belarus", "Azerbaijan", None, None, 2018, 2022, "embedded", "no-such-case")
    result = run("brief", "--supplier", "Belarus", "--recipient", "Azerbaijan", "--start", "2018", "--end", "2022",
                 "--transfers", "embedded", "--case", "no-such-case")
    assert result.exit_code == 1 and "known packs: belarus-azerbaijan" in result.output


def test_two_packs_with_one_name_are_an_error_naming_both(newsroom, tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    run("case", "new", "same-name", "--supplier", "Israel", "--recipient", "Azerbaijan", "--dir", newsroom)
    (other / "same-name").mkdir()
    (other / "same-name" / "case.yml").write_text((newsroom / "same-name" / "case.yml").read_text(encoding="utf-8"),
                                                  encoding="utf-8")
    with pytest.raises(packs.PackError) as err:
        packs.discover([other])
    assert str(other / "same-name") in str(err.value) and str(newsroom / "same-name") in str(err.value)
    # a copy of the founding pack in a newsroom folder is refused too, not silently preferred
    monkeypatch.setenv(packs.CASES_ENV, str(other))
    (other / "same-name" / "case.yml").unlink()
    (other / "belarus-azerbaijan").mkdir()
    (other / "belarus-azerbaijan" / "case.yml").write_bytes((FOUNDING / "case.yml").read_bytes())
    with pytest.raises(packs.PackError, match="two case packs are named 'belarus-azerbaijan'"):
        packs.discover()


def test_the_search_path_order_and_a_missing_folder(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.setenv(packs.CASES_ENV, str(b))
    assert packs.search_path([a]) == [a.resolve(), b.resolve(), packs.DEFAULT_CASES_DIR.resolve()]
    with pytest.raises(packs.PackError, match="--case-dir: .*nowhere.* is not a folder"):
        packs.search_path([tmp_path / "nowhere"])


def test_case_new_refuses_to_overwrite(newsroom):
    assert run("case", "new", "once", "--supplier", "Israel", "--recipient", "Azerbaijan", "--dir", newsroom
               ).exit_code == 0
    again = run("case", "new", "once", "--supplier", "Israel", "--recipient", "Azerbaijan", "--dir", newsroom)
    assert again.exit_code == 1 and "already exists" in again.output
    taken = run("case", "new", "belarus-azerbaijan", "--supplier", "Israel", "--recipient", "Azerbaijan",
                "--dir", newsroom)
    assert taken.exit_code == 1 and str(FOUNDING) in taken.output


def test_packs_used_together_must_agree_on_a_key(newsroom):
    first = new_filled_pack(newsroom, "first-pack")
    second = new_filled_pack(newsroom, "second-pack")
    for pack_dir in (first, second):
        for table in ROWS:
            sidecars.refresh_checksum(pack_dir / f"{table}.csv")
    both = [packs.read_case_file(first), packs.read_case_file(second)]
    tables = packs.load_pack_tables(both)
    assert len(tables["events"]) == 3 and len(tables["claims"]) == 2  # identical rows kept once
    append_rows(second, "reported_transfers", [dict(REPORTED[0], report_id="other")])
    path = second / "reported_transfers.csv"
    text = path.read_text(encoding="utf-8").replace("[test] Loitering munition,", "[test] Other munition,", 1)
    path.write_text(text, encoding="utf-8")
    sidecars.refresh_checksum(path)
    with pytest.raises(packs.PackError, match="report_id = test-report-loitering-munitions has different rows in "
                                              "the case packs first-pack, second-pack"):
        packs.load_pack_tables(both)


def test_no_pack_says_so_in_methodology_and_colophon(monkeypatch):
    monkeypatch.delenv(packs.CASES_ENV, raising=False)
    from analysis.report import brief

    case = brief.build("Russia", "Armenia", "", "", 2010, 2020, "embedded")
    assert case.packs == [] and case.events.empty and case.claim_checks.empty and case.reported.empty
    assert "Case packs: none covers this case (Russia -&gt; Armenia, 2010-2020)" in brief.methodology(case).data
    assert "case packs: none covers this case" in brief.colophon(case).data


def test_the_screen_reads_every_pack(monkeypatch):
    monkeypatch.delenv(packs.CASES_ENV, raising=False)
    tables = load_case_tables()
    assert "belarus-azerbaijan" in [p.name for p in tables["packs"]]
    assert len(tables["reported_transfers"]) >= 5


def test_a_named_pack_is_used_whatever_its_parameters_and_the_brief_says_so(monkeypatch):
    monkeypatch.delenv(packs.CASES_ENV, raising=False)
    from analysis.report import brief

    case = brief.build("Russia", "Armenia", "", "", 2010, 2020, "embedded", "belarus-azerbaijan")
    assert [p.name for p in case.packs] == ["belarus-azerbaijan"]
    text = brief.methodology(case).data
    assert "its parameters differ from this brief&#39;s (Russia -&gt; Armenia, 2010-2020)" in text
    assert "uses only the case pack named with --case belarus-azerbaijan" in text
    assert case.params.as_dict()["case"] == "belarus-azerbaijan"  # the colophon's rebuild command names it
