"""SIPRI's region table (data/case/regions.csv): schema, SIPRI's names, hand-checked states, coverage."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import paths
from analysis.case.trends import regional_shares
from analysis.sources import countries
from analysis.sources.curated import load_table
from analysis.sources.schemas import SIPRI_REGIONS, SIPRI_SUBREGIONS

REGISTERS = ("2024-03-18", "2024-04-13", "2025-03-13")


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return load_table("regions", use_cache=False)


def test_region_names_are_sipris_five(regions):
    # SIPRI fact sheets name the five: "Africa, the Americas, Asia and Oceania, [Europe] and the Middle East"
    assert SIPRI_REGIONS == ("Africa", "Americas", "Asia and Oceania", "Europe", "Middle East")
    assert set(regions["region"]) <= set(SIPRI_REGIONS)
    assert SIPRI_SUBREGIONS["Middle East"] == ()
    known = {s for group in SIPRI_SUBREGIONS.values() for s in group}
    assert set(regions["subregion"].dropna()) <= known


def test_every_row_is_a_sourced_state(regions):
    assert regions["country"].is_unique
    for name in regions["country"]:
        assert countries.kind(name) in (countries.STATE, countries.FORMER_STATE), name
    assert regions["source_url"].notna().all() and regions["source_publisher"].notna().all()


@pytest.mark.parametrize("country, region, subregion", [
    # analitikaua.net 2021 (SIPRI milex data, Apr. 2021): Azerbaijan's rise "the largest among the countries
    # of Eastern Europe in 2020"
    ("Azerbaijan", "Europe", "Eastern Europe"),
    # SIPRI Yearbook 2013, ch. 3 sect. IV: "Central America—from Mexico to Panama"; subregion label of
    # SIPRI's milex workbook: "Central America and the Caribbean" (under Americas)
    ("Mexico", "Americas", "Central America and the Caribbean"),
    # News-Pravda 11 Mar 2025 (SIPRI arms transfers report): "two North African countries, Morocco and Algeria"
    ("Morocco", "Africa", "North Africa"),
    # analitikaua.net 2021: Saudi Arabia among the five top-burden states "located in the Middle East"
    ("Saudi Arabia", "Middle East", None),
])
def test_hand_checked_states(regions, country, region, subregion):
    row = regions.set_index("country").loc[country]
    assert row["region"] == region
    assert (pd.isna(row["subregion"]) if subregion is None else row["subregion"] == subregion)


@pytest.mark.xfail(strict=True, reason="not yet sourced: Armenia (SIPRI: Europe/Eastern Europe?), Türkiye, "
                   "Egypt (Middle East in SIPRI milex; a 2023 press report of the arms transfers fact sheet "
                   "counts it in Africa), Australia, Kazakhstan - no SIPRI source listing them was read")
def test_hand_checked_states_still_missing(regions):
    assert {"Armenia", "Türkiye", "Egypt", "Australia", "Kazakhstan"} <= set(regions["country"])


def test_regional_shares_reads_the_table(regions):
    # two deliveries in 2020: 30 to Algeria (North Africa), 10 to Azerbaijan (Eastern Europe); one in 2015 of 20
    # to Algeria. Shares 2016-2020: Africa 30/40 = 0.75, Europe 10/40 = 0.25; previous period 2011-2015: Africa 1.
    deliveries = pd.DataFrame({
        "supplier": ["Russia", "Israel", "Russia"], "recipient": ["Algeria", "Azerbaijan", "Algeria"],
        "delivery_year": pd.array([2020, 2020, 2015], dtype="Int64"), "tiv_delivered_mn": [30.0, 10.0, 20.0]})
    result = regional_shares(deliveries, regions[["country", "region", "subregion"]], 2016, 2020)
    table = result.table.set_index("region")
    assert table.loc["Africa", "share"] == pytest.approx(0.75)
    assert table.loc["Europe", "share"] == pytest.approx(0.25)
    assert table.loc["Africa", "share_previous"] == pytest.approx(1.0)
    assert result.missing.empty


def _register_states() -> set[str]:
    from analysis.sources.sipri import load_register

    names: set[str] = set()
    for folder in REGISTERS:
        register = load_register(paths.SHARED_SIPRI_DIR / folder / "trade-register.csv")
        for frame in (register.deals, register.deliveries):
            for column in ("supplier", "recipient"):
                if column in frame:
                    names |= set(frame[column].dropna())
    return {n for n in names if countries.kind(n) in (countries.STATE, countries.FORMER_STATE)}


@pytest.mark.xfail(strict=True, reason="regions.csv is incomplete: only states whose SIPRI region was read in a "
                   "source are listed (see regions.meta.yml); remove this mark when every state has a row")
def test_every_register_state_has_a_row(regions):
    if not (paths.SHARED_SIPRI_DIR / REGISTERS[0]).is_dir():
        pytest.skip(f"{paths.SHARED_SIPRI_DIR} absent: the real SIPRI registers are needed for this check")
    missing = sorted(_register_states() - set(regions["country"]))
    assert not missing, f"{len(missing)} register states without a region: {missing}"
