import pandas as pd

from analysis.case import alliances
from tests.conftest import make_deliveries


def test_membership_at_dates(spells):
    assert alliances.members_at(spells, "TEST", "1995-01-01") == ["Aland", "Borduria", "Carpania", "Dorvia"]
    assert alliances.members_at(spells, "TEST", "2024-06-01") == ["Aland", "Borduria"]
    assert alliances.membership_status(spells, "TEST", "Carpania", "2024-06-01") == "participation frozen"
    assert alliances.membership_status(spells, "TEST", "Dorvia", "2005-01-01") is None


def test_joint_membership_periods(spells):
    periods = alliances.joint_membership(spells, "TEST", "Borduria", "Carpania")
    assert periods == [(pd.Timestamp("1993-01-01"), pd.Timestamp("2024-02-22"))]
    assert alliances.joint_membership(spells, "TEST", "Aland", "Borduria") == [(pd.Timestamp("1993-01-01"), None)]


def test_member_years_overlap_rule(spells):
    assert alliances.member_years(spells, "TEST", "Carpania", 2022, 2025) == {2022, 2023, 2024}
    assert alliances.member_years(spells, "TEST", "Dorvia", 1998, 2001) == {1998, 1999}


def test_screen_finds_member_arming_adversary_of_member(spells, conflicts):
    d = make_deliveries([
        ("Aland", "Dorvia", 2018, 37, "Rocket"), ("Borduria", "Dorvia", 2020, 100, "Tank"),
        ("Aland", "Carpania", 2019, 5, "Gun"),    # Carpania's adversary Dorvia is no longer a member
        ("Eastia", "Dorvia", 2019, 500, "Jet"),   # not a member
        ("Aland", "Dorvia", 2025, 9, "Late"),     # Carpania frozen: outside the period anyway
    ])
    reported = pd.DataFrame({"supplier": ["Aland"], "recipient": ["Dorvia"], "designation": ["Jammer"],
                             "period_start_year": [2019], "period_end_year": [2020]})
    out = alliances.cross_alliance_screen(d, spells, conflicts, alliance="TEST", start=2018, end=2022, reported=reported)
    assert list(zip(out["supplier"], out["evidence"])) == [("Borduria", "registered"), ("Aland", "registered"),
                                                            ("Aland", "reported")]
    assert set(out["member_at_risk"]) == {"Carpania"}
    assert out.loc[1, "tiv_mn"] == 37.0 and out.loc[1, "years"] == "2018"
    assert out.loc[2, "years"] == "2019–2020" and pd.isna(out.loc[2, "tiv_mn"])


def test_screen_ignores_years_after_member_left(spells, conflicts):
    d = make_deliveries([("Aland", "Dorvia", 2025, 10)])
    out = alliances.cross_alliance_screen(d, spells, conflicts, alliance="TEST", start=2025, end=2025)
    assert out.empty  # Carpania froze its participation in 2024: no longer an active member
    d = make_deliveries([("Aland", "Dorvia", 2024, 10)])
    out = alliances.cross_alliance_screen(d, spells, conflicts, alliance="TEST", start=2024, end=2024)
    assert len(out) == 1  # year rule: a membership spell overlapping part of 2024 counts


def test_span_text():
    assert alliances.span_text([2018, 2019, 2020, 2022]) == "2018–2020, 2022"


def test_coverage_counts_members_and_years(spells):
    table = pd.DataFrame({"alliance": ["TEST"], "name": ["Test pact"], "founding_date": ["1992-05-15"]})
    (row,) = alliances.coverage(table, spells).itertuples(index=False)
    # Aland, Borduria, Carpania (member until 2024; then frozen: not a member), Dorvia (until 1999)
    assert (row.members, row.first_year) == (4, 1992)
    assert row.last_year is pd.NA  # Aland and Borduria are still members


def test_the_alliance_tables_hold_the_main_collective_defence_alliances():
    from analysis.sources.curated import load_table

    listed = alliances.coverage(load_table("alliances"), load_table("alliance_membership")).set_index("alliance")
    wanted = {"NATO", "CSTO", "WARSAW", "ANZUS", "RIO", "SEATO", "CENTO", "ARAB-JDEC", "GCC", "US-JAPAN", "US-ROK",
              "US-PHILIPPINES", "CHINA-DPRK", "UNION-STATE"}
    assert wanted <= set(listed.index)
    assert (listed.loc[list(wanted), "members"] >= 2).all()
    # historic alliances end; each ended in the year its dissolution is sourced
    assert listed.loc["WARSAW", "last_year"] == 1991 and listed.loc["SEATO", "last_year"] == 1977
    assert listed.loc["CENTO", "last_year"] == 1979
