"""The world around a case (analysis.case.context) and the brief defects of issue 12, on hand-made tables
and, where the real SIPRI register is beside the repository, on it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.case import context
from analysis.report import sentences
from conftest import make_deliveries

CLASSIC_2025 = paths.SHARED_SIPRI_DIR / "2025-03-13" / "trade-register.csv"
needs_register = pytest.mark.skipif(not CLASSIC_2025.is_file(),
                                    reason=f"real SIPRI register not found at {CLASSIC_2025}")


def ucdp_rows(rows):
    """rows: (conflict_id, year, side_a, states_a, states_a_2nd, side_b, states_b, states_b_2nd, type, intensity)."""
    out = []
    for cid, year, side_a, sa, sa2, side_b, sb, sb2, kind, intensity in rows:
        out.append({"conflict_id": cid, "year": year, "side_a": side_a, "states_a": sa, "states_a_2nd": sa2,
                    "side_b": side_b, "states_b": sb, "states_b_2nd": sb2, "type_of_conflict": kind,
                    "intensity_level": intensity, "location": side_a.removeprefix("Government of "),
                    "territory_name": "", "incompatibility": 1, "version": "25.1"})
    return pd.DataFrame(out)


@pytest.fixture
def ucdp():
    return ucdp_rows([
        (1, 2019, "Government of Aland", ["Aland"], [], "Rebels", [], ["Borduria"], 4, 1),
        (1, 2020, "Government of Aland", ["Aland"], [], "Rebels", [], ["Borduria"], 4, 2),
        (1, 2022, "Government of Aland", ["Aland"], [], "Rebels", [], ["Borduria"], 4, 1),
        (2, 2020, "Government of Farland", ["Farland"], ["Borduria"], "Other rebels", [], [], 4, 1),
    ])


def test_conflicts_of_roles_years_and_war_years(ucdp):
    found = context.conflicts_of(ucdp, ["Aland", "Borduria"], 2018, 2022)
    # Aland is primary in conflict 1 (active 2019, 2020, 2022; war in 2020); Borduria secondary in 1 and 2
    assert found[["country", "conflict_id", "role", "years", "war_years"]].values.tolist() == [
        ["Aland", 1, "primary", "2019–2020, 2022", "2020"],
        ["Borduria", 1, "secondary", "2019–2020, 2022", "2020"],
        ["Borduria", 2, "secondary", "2020", ""],
    ]
    assert found.loc[0, "opponents"] == "Rebels"
    assert context.conflicts_of(ucdp, ["Aland"], 2023, 2024).empty


def test_conflict_events_skip_distant_secondary_wars(ucdp):
    found = context.conflicts_of(ucdp, ["Aland", "Borduria"], 2018, 2022)
    events = context.conflict_events(found, ucdp)
    # conflict 1: runs 2019-2020 (war) and 2022 (minor); conflict 2 has only Borduria as a secondary party
    assert events["title"].tolist() == ["UCDP: Aland: government vs Rebels active 2019–2020 (war)",
                                        "UCDP: Aland: government vs Rebels active 2022 (minor)"]
    assert set(events["event_date_precision"]) == {"year"} and set(events["origin"]) == {"UCDP"}


def test_ucdp_adversary_rows_collapse_consecutive_years():
    dyads = pd.DataFrame({"year": [2019, 2020, 2022], "conflict_id": [1, 1, 1], "state_a": ["Aland"] * 3,
                          "state_b": ["Borduria"] * 3, "role": ["primary-secondary"] * 3,
                          "conflict_name": ["Aland: territory"] * 3})
    rows = context.ucdp_adversary_rows(dyads)
    assert [(r.start_date.year, r.end_date.year) for r in rows.itertuples()] == [(2019, 2020), (2022, 2022)]
    assert rows["end_date"].iloc[0] == pd.Timestamp(2020, 12, 31)


def test_supplier_shifts_and_biggest_shift():
    d = make_deliveries([("A", "R", 2001, 30), ("B", "R", 2003, 10),      # 2000-2004: A 75 %, B 25 %
                         ("B", "R", 2006, 20), ("C", "R", 2008, 20)])     # 2005-2009: B 50 %, C 50 %
    table = context.supplier_shifts(d, "R", [(2000, 2004), (2005, 2009)])
    assert table.loc["A"].tolist() == [0.75, 0.0]
    assert table.loc["B"].tolist() == [0.25, 0.5]
    assert table.loc["C"].tolist() == [0.0, 0.5]
    assert "Others" not in table.index
    assert table.attrs["totals"] == {"2000–2004": 40.0, "2005–2009": 40.0}
    shift = context.biggest_shift(table)
    # changes: A -0.75, B +0.25, C +0.5
    assert (shift["riser"], shift["faller"], shift["leader_before"]) == ("C", "A", "A")
    assert context.shift_periods(2024) == [(2005, 2009), (2010, 2014), (2015, 2019), (2020, 2024)]
    assert context.shift_last_year(2024, 2022) == 2024      # a recent brief: up to the latest year
    assert context.shift_last_year(2024, 1973) == 1983      # a 1967-1973 brief: ten years past its end
    assert context.shift_last_year(2020, 2022) == 2022


def test_supplier_shifts_sum_small_suppliers_as_others():
    d = make_deliveries([("A", "R", 2001, 50), ("B", "R", 2001, 20), ("C", "R", 2001, 15), ("D", "R", 2001, 10),
                         ("E", "R", 2001, 5)])
    table = context.supplier_shifts(d, "R", [(2000, 2004)], top=2)
    assert table.index.tolist() == ["A", "B", "Others"]
    assert table.loc["Others"].iloc[0] == pytest.approx(0.30)  # (15 + 10 + 5) / 100


def test_merge_events_drops_derived_event_a_curated_one_already_tells():
    curated = pd.DataFrame({"event_date": pd.to_datetime(["2024-02-22"]), "event_date_precision": ["day"],
                            "title": ["Carpania freezes its participation"], "description": [""],
                            "countries": ["Carpania"], "kind": ["alliance"], "source_publisher": ["P"],
                            "source_title": ["T"], "source_url": ["https://x.example"], "source_date": ["2024-02-23"]})
    derived = pd.DataFrame([
        context._event("2024-02-23", "day", "Carpania: TEST participation frozen", "", "Carpania", "alliance",
                       "alliance table", {"source_publisher": "Q", "source_title": "", "source_url": "", "source_date": ""}),
        context._event("2024-06-01", "day", "Carpania leaves TEST", "", "Carpania", "alliance", "alliance table",
                       {"source_publisher": "Q", "source_title": "", "source_url": "", "source_date": ""}),
    ])
    merged = context.merge_events(curated, derived)
    assert merged["title"].tolist() == ["Carpania freezes its participation", "Carpania leaves TEST"]
    assert merged["origin"].tolist() == ["curated", "alliance table"]


def test_alliance_events_entry_freeze_and_exit(spells):
    spells = spells.assign(start_date_precision="day", end_date_precision="day",
                           end_reason=[None, None, "froze participation", None, "withdrew"],
                           source_publisher="P", source_title="T", source_url="u", source_date="2024")
    alliances = pd.DataFrame({"alliance": ["TEST"], "name": ["Test pact"]})
    events = context.alliance_events(spells, alliances, ["Carpania", "Dorvia"], 1990, 2025)
    assert events["title"].tolist() == [
        "Carpania joins TEST",                      # 1992-05-15
        "Carpania: TEST participation frozen",      # the member spell's end is the next spell's start
        "Dorvia joins TEST",
        "Dorvia leaves TEST (withdrew)",
    ]


@pytest.mark.parametrize("name, running, possessive", [
    ("United States", "the United States", "The United States'"),
    ("Philippines", "the Philippines", "The Philippines'"),
    ("Netherlands", "the Netherlands", "The Netherlands'"),
    ("United Kingdom", "the United Kingdom", "The United Kingdom's"),
    ("UAE", "the UAE", "The UAE's"),
    ("Belarus", "Belarus", "Belarus's"),
    ("Azerbaijan", "Azerbaijan", "Azerbaijan's"),
])
def test_names_that_take_the_article(name, running, possessive):
    assert sentences.the(name) == running
    assert sentences.poss(name, cap=True) == possessive


def test_key_judgement_names_the_largest_items_and_the_count():
    deals = pd.DataFrame({"designation": [f"item-{i}" for i in range(35)],
                          "tiv_in_period_mn": [float(100 - i) for i in range(35)]})
    text = sentences.largest_items(deals)
    assert text == "; the largest: item-0 (100.0 mn TIV), item-1 (99.0 mn TIV) and item-2 (98.0 mn TIV)"
    assert "item-3" not in text


# --------------------------------------------------------------------------- on the real register

def _html(case) -> str:
    from analysis.report import brief
    return brief.title(case).data + "".join(f(case).data for f in brief.SECTIONS)


@pytest.fixture(scope="module")
def us_pakistan():
    from analysis.report import brief
    if not CLASSIC_2025.is_file():
        pytest.skip(f"real SIPRI register not found at {CLASSIC_2025}")
    return brief.build("United States", "Pakistan", "India", "", 2001, 2010, str(CLASSIC_2025))


@needs_register
def test_brief_far_from_the_founding_case_has_its_context(us_pakistan):
    case = us_pakistan
    # UCDP 25.1 codes India vs Pakistan (interstate, Kashmir) in 2001-2003: the brief must know it
    ind = case.conflicts[(case.conflicts["country"] == "India") & case.conflicts["opponents"].str.contains("Pakistan")]
    assert not ind.empty
    assert not case.timeline.empty and {"curated", "UCDP"} & set(case.timeline["origin"])
    assert set(case.shifts) == {"Pakistan", "India"}


@needs_register
def test_brief_defects_of_issue_12_are_gone(us_pakistan, tmp_path):
    html = _html(us_pakistan)
    assert "United States's" not in html and "the United States" in html
    assert "row-" not in html                      # the classic register assigns no deal ids
    assert "SIPRI deal id" not in html
    assert "/work/" not in html and str(paths.SHARED_SIPRI_DIR) not in html   # no absolute path of the user's file
    assert "null" not in html
    # the first key judgement names at most three items, not every designation
    first = sentences.key_judgements(us_pakistan)[0]
    assert len(us_pakistan.pair_deals) > 3 and first.count("mn TIV)") <= 3


@needs_register
def test_cstoscreen_finds_every_member_that_armed_an_adversary_of_another():
    """A second reader: every (supplier, recipient, member at risk) triple found by brute force over the
    register's delivery rows, the membership spells and the adversary relation, against the screen."""
    from analysis.case import alliances
    from analysis.case.compute import adversary_relation, load_case_tables
    from analysis.sources.sipri import load_register

    reg = load_register(CLASSIC_2025)
    tables = load_case_tables()
    spells = tables["alliance_membership"]
    relation = adversary_relation(tables)
    screen = alliances.cross_alliance_screen(reg.deliveries, spells[spells["alliance"] == "CSTO"], relation,
                                             alliance="CSTO", start=2018, end=2022)
    found = {(r.supplier, r.recipient, r.member_at_risk) for r in screen.itertuples() if r.evidence == "registered"}

    csto = spells[spells["alliance"] == "CSTO"]

    def member(country, year):
        rows = csto[(csto["country"] == country) & (csto["status"] == "member")]
        return any(s.year <= year and (pd.isna(e) or e.year >= year) for s, e in zip(rows["start_date"], rows["end_date"]))

    def hostile(a, b, year):
        pair = relation[((relation["side_a"] == a) & (relation["side_b"] == b)) |
                        ((relation["side_a"] == b) & (relation["side_b"] == a))]
        return any(s.year <= year and (pd.isna(e) or e.year >= year) for s, e in zip(pair["start_date"], pair["end_date"]))

    members = sorted(set(csto["country"]))
    expected = set()
    d = reg.deliveries
    d = d[(d["delivery_year"] >= 2018) & (d["delivery_year"] <= 2022) & d["supplier"].isin(members)]
    for s, r, y in d[["supplier", "recipient", "delivery_year"]].drop_duplicates().itertuples(index=False):
        for a in members:
            if a not in (s, r) and member(s, int(y)) and member(a, int(y)) and hostile(r, a, int(y)):
                expected.add((s, r, a))
    assert found == expected
    assert ("Belarus", "Azerbaijan", "Armenia") in found


def test_a_register_without_its_release_date_says_so(tmp_path):
    """Issue 15 item 8: no blank vintage in a brief built from a file without its 'Data generated' line."""
    from analysis.report import brief

    fixture = Path(__file__).parent / "fixtures" / "download" / "per_year_register.csv"
    lines = [line for line in fixture.read_text(encoding="utf-8").splitlines(keepends=True)
             if not line.startswith("Data generated")]
    path = tmp_path / "no-date.csv"
    path.write_text("".join(lines), encoding="utf-8")
    case = brief.build("Israel", "Azerbaijan", "", "", 2018, 2020, str(path))
    html = _html(case)
    assert "release unknown (the file has no " in html
    assert "data generated  (" not in html and "data generated (" not in html
