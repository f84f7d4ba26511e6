"""The loaders against the real SIPRI exports in ``paths.SHARED_SIPRI_DIR`` (never copied into the project).

Expected counts and sums are computed here with the csv module, independently of analysis.sources.sipri.
"""
import csv
import re

import pandas as pd
import pytest

from analysis import paths
from analysis.sources import countries, sipri
from analysis.case import tiv

pytestmark = pytest.mark.sipri

CLASSIC_2025 = paths.SHARED_SIPRI_DIR / "2025-03-13" / "trade-register.csv"
PER_YEAR_2024 = paths.SHARED_SIPRI_DIR / "2024-04-13" / "trade-register.csv"
IMPORTS_2024 = paths.SHARED_SIPRI_DIR / "2024-04-13" / "import-values_1990-2023.csv"
EXPORTS_2024 = paths.SHARED_SIPRI_DIR / "2024-04-13" / "export-values_1990-2023.csv"
NUMBER_OR_BLANK = re.compile(r"(\d+(\.\d+)?)?")

# SIPRI's TIV tables are the per-year register's yearly sums rounded to whole millions; on the
# 2024-04-13 files the largest |register - table| over all 5,408 non-blank cells is exactly 0.5 (308 cells,
# e.g. Morocco imports 2016: 286.5 vs 287), so anything beyond rounding is a real mismatch.
ROUNDING = 0.5 + 1e-6


def need(path):
    if not path.exists():
        pytest.skip(f"real SIPRI export not found at {path}")
    return path


def physical_rows(path, encoding):
    """csv-parsed physical lines after the header (records split by a line break stay split)."""
    lines = path.read_bytes().decode(encoding).split("\n")
    header = next(i for i, line in enumerate(lines) if line.startswith(("Recipient,", "SIPRI AT Database ID,")))
    return [next(csv.reader([line.rstrip("\r")])) for line in lines[header + 1:] if line.strip()]


@pytest.fixture(scope="module")
def classic():
    return sipri.load_register(need(CLASSIC_2025), use_cache=False)


@pytest.fixture(scope="module")
def per_year():
    return sipri.load_register(need(PER_YEAR_2024), use_cache=False)


def test_classic_register_loses_no_record(classic):
    rows = physical_rows(CLASSIC_2025, "latin-1")
    starts = [r for r in rows if len(r) > 3 and re.fullmatch(r"\d{4}", r[2]) and r[3] in ("", "?")]
    ends = [r for r in rows if len(r) > 3 and all(NUMBER_OR_BLANK.fullmatch(v) for v in r[-3:])]
    assert len(rows) > len(starts), "the file should contain records split over two lines"
    assert (classic.format, classic.vintage) == ("classic", "2025-03-13")
    assert len(classic.deals) == len(starts) == len(ends)
    assert classic.deals["tiv_delivered_mn"].sum() == pytest.approx(sum(float(r[-1] or 0) for r in ends))
    assert classic.deals["number_delivered"].sum() == sum(int(r[8]) for r in starts)
    assert len(classic.deliveries) == sum(len(r[10].split(";")) for r in starts if r[10])
    assert not classic.deals["comments"].str.contains("\n|\r", regex=True).any()


def test_classic_allocation_keeps_each_deal_total(classic):
    allocated = classic.deliveries.groupby("deal_key")["tiv_delivered_mn"].sum()
    totals = classic.deals.set_index("deal_key")["tiv_delivered_mn"].loc[allocated.index]
    pd.testing.assert_series_equal(allocated, totals, check_names=False)


def test_per_year_register_loses_no_row(per_year):
    rows = physical_rows(PER_YEAR_2024, "utf-8")
    assert {len(r) for r in rows} == {17}
    assert (per_year.format, per_year.vintage) == ("per-year", "2024-04-13")
    assert len(per_year.deliveries) == len(rows)
    assert len(per_year.deals) == len({r[0] for r in rows})
    assert per_year.deliveries["tiv_delivered_mn"].sum() == pytest.approx(sum(float(r[15]) for r in rows))
    assert per_year.deliveries["number_delivered"].sum() == sum(int(r[8]) for r in rows)


def test_every_real_name_normalises():
    names = {n for r in physical_rows(need(CLASSIC_2025), "latin-1") if len(r) > 3 and re.fullmatch(r"\d{4}", r[2])
             for n in r[:2]}
    names |= {n for r in physical_rows(need(PER_YEAR_2024), "utf-8") for n in r[1:3]}
    for table in (need(IMPORTS_2024), need(EXPORTS_2024)):
        names |= set(sipri.load_tiv_table(table)["country_sipri"])
    assert len(names) > 250
    canonical = countries.normalise_many(names)
    assert canonical["Turkiye"] == "Türkiye" and canonical["Houthi rebels (Yemen)*"] == "Houthi rebels (Yemen)"


@pytest.mark.parametrize("table_path, direction", [(IMPORTS_2024, "imports"), (EXPORTS_2024, "exports")])
def test_per_year_register_matches_sipri_tiv_tables(per_year, table_path, direction):
    table = sipri.load_tiv_table(need(table_path))
    column = {"imports": "recipient", "exports": "supplier"}[direction]
    ours = per_year.deliveries.groupby([column, "delivery_year"])["tiv_delivered_mn"].agg(["sum", "size"])
    ours.index = ours.index.set_names(["country", "year"]).set_levels(
        ours.index.levels[1].astype("int64"), level=1)
    merged = table.join(ours, on=["country", "year"])
    assert (merged["tiv_mn"].isna() == merged["size"].isna()).all(), "blank cell <=> no delivery"
    diff = (merged["sum"].fillna(0) - merged["tiv_mn"].fillna(0)).abs()
    worst = merged.assign(diff=diff).nlargest(5, "diff")[["country", "year", "tiv_mn", "sum", "diff"]]
    assert (diff <= ROUNDING).all(), worst.to_string()
    covered = set(table["country"])
    assert set(per_year.deliveries[column]) <= covered, "a country missing from SIPRI's table"
    world = sipri.load_tiv_world_total(table_path).set_index("year")["tiv_mn"]
    ours_world = per_year.deliveries.groupby("delivery_year")["tiv_delivered_mn"].sum()
    assert ((ours_world.reindex(world.index).fillna(0) - world).abs() <= ROUNDING).all()


def test_azerbaijan_imports_2018_2022_led_by_israel(classic):
    table = tiv.delivered_tiv(classic.deliveries, recipient="Azerbaijan", start=2018, end=2022)
    assert table.index[0] == "Israel"


def test_real_register_cache_round_trip(tmp_path, monkeypatch, classic):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path)
    sipri.load_register(CLASSIC_2025)
    cached = sipri.load_register(CLASSIC_2025)
    pd.testing.assert_frame_equal(cached.deals, classic.deals)
    pd.testing.assert_frame_equal(cached.deliveries, classic.deliveries)
