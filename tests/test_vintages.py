"""analysis.sources.vintages: hand-made Registers for every class, precedence, determinism and cross-format;
the real SIPRI vintages in paths.SHARED_SIPRI_DIR (read there, never copied; skipped when absent)."""
import time

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.sources import sipri, vintages
from analysis.sources.sipri import DEALS_COLUMNS, DELIVERIES_COLUMNS, Register

CLASSIC_2024 = paths.SHARED_SIPRI_DIR / "2024-03-18" / "trade-register.csv"
CLASSIC_2025 = paths.SHARED_SIPRI_DIR / "2025-03-13" / "trade-register.csv"
PER_YEAR_2024 = paths.SHARED_SIPRI_DIR / "2024-04-13" / "trade-register.csv"


# --------------------------------------------------------------------------- hand-made registers

def deal(supplier, recipient, designation, order_year, ordered, delivered, years, unit, *, description="tank",
         deal_id=None, status="New"):
    """One deal; ``years`` maps delivery year -> delivered TIV of that year (a classic register keeps the sum)."""
    return {"supplier": supplier, "recipient": recipient, "designation": designation, "description": description,
                "order_year": order_year, "number_ordered": ordered, "number_delivered": delivered, "years": years,
                "tiv_unit_mn": unit, "deal_id": deal_id, "status": status}


def register(rows, fmt="classic", vintage="2025-01-01"):
    deals, deliveries = [], []
    for n, r in enumerate(rows, start=1):
        key = r["deal_id"] if fmt == "per-year" else f"row-{n}"
        years = sorted(r["years"])
        total = sum(r["years"].values()) if years else np.nan
        deals.append({
            "deal_key": key, "deal_id": r["deal_id"] if fmt == "per-year" else None,
            "supplier": r["supplier"], "recipient": r["recipient"], "supplier_sipri": r["supplier"],
            "recipient_sipri": r["recipient"], "supplier_iso3": None, "recipient_iso3": None,
            "designation": r["designation"], "description": r["description"], "armament_category": None,
            "order_year": r["order_year"], "is_order_year_estimate": False,
            "number_ordered": r["number_ordered"] if fmt == "classic" else None, "is_number_ordered_estimate": False,
            "number_delivered": r["number_delivered"], "is_number_delivered_estimate": False,
            "delivery_years": "; ".join(map(str, years)), "first_delivery_year": min(years) if years else None,
            "last_delivery_year": max(years) if years else None, "status": r["status"], "is_local_production": None,
            "tiv_unit_mn": r["tiv_unit_mn"], "tiv_order_mn": np.nan, "tiv_delivered_mn": total, "comments": "",
            "source_publisher": "SIPRI", "source_title": "test", "source_url": "", "source_date": vintage})
        for y in years:
            deliveries.append({
                "deal_key": key, "deal_id": deals[-1]["deal_id"], "supplier": r["supplier"], "recipient": r["recipient"],
                "supplier_iso3": None, "recipient_iso3": None, "designation": r["designation"], "delivery_year": y,
                "is_delivery_year_estimate": False, "number_delivered": None,
                "tiv_delivered_mn": total / len(years) if fmt == "classic" else r["years"][y],
                "is_tiv_allocated": fmt == "classic"})
    d = pd.DataFrame(deals, columns=list(DEALS_COLUMNS)).astype(DEALS_COLUMNS)
    dl = pd.DataFrame(deliveries, columns=list(DELIVERIES_COLUMNS)).astype(DELIVERIES_COLUMNS)
    return Register(d, dl, "test", fmt, vintage, "")


OLD = [
    deal("Russia", "India", "T-72", 2010, 10, 10, {2011: 10.0}, 1.0),                # 1 unchanged
    deal("Russia", "India", "Su-25", 2012, 5, 5, {2013: 10.0}, 2.0),                 # 2 revalued
    deal("Russia", "India", "BMP-2", 2013, 10, 10, {2014: 5.0}, 0.5),                # 3 numbers changed
    deal("Russia", "India", "BTR-80", 2014, 4, 4, {2015: 2.0}, 0.5),                 # 4 delivery years changed
    deal("Russia", "India", "2A36 152mm", 2015, 6, 6, {2016: 3.0}, 0.5),             # 5 renamed
    deal("Russia", "India", "Mi-8", 2016, 2, 2, {2017: 4.0}, 2.0),                   # 6 dropped
    deal("Russia", "Iraq", "MiG-29", 2017, 4, 4, {2018: 72.0}, 18.0),                # 7 numbers and value
    deal("Russia", "Iraq", "BRDM-2", 2018, 3, 3, {2019: 1.5}, 0.5, description="reconnaissance AV"),  # 8
]
NEW = [
    deal("Russia", "India", "Kh-29", 2019, 20, 20, {2020: 6.0}, 0.3),                # new
    deal("Russia", "Iraq", "BRDM-2", 2018, 3, 3, {2019: 1.5}, 0.5,
         description="armoured reconnaissance vehicle"),                               # 8 re-described
    deal("Russia", "Iraq", "MiG-29", 2017, 5, 5, {2018: 65.0}, 13.0),                # 7
    deal("Russia", "India", "2A36 Giatsint-B 152mm", 2015, 6, 6, {2016: 3.0}, 0.5),  # 5
    deal("Russia", "India", "BTR-80", 2014, 4, 4, {2016: 2.0}, 0.5),                 # 4
    deal("Russia", "India", "BMP-2", 2013, 12, 12, {2014: 6.0}, 0.5),                # 3
    deal("Russia", "India", "Su-25", 2012, 5, 5, {2013: 15.0}, 3.0),                 # 2
    deal("Russia", "India", "T-72", 2010, 10, 10, {2011: 10.0}, 1.0),                # 1
]


def by_old_key(result):
    return result.deals.set_index("old_deal_key")


def test_every_class_once():
    result = vintages.diff(register(OLD, vintage="2024-01-01"), register(NEW))
    d = by_old_key(result)
    assert d.loc["row-1", "class"] == "unchanged" and d.loc["row-1", "new_deal_key"] == "row-8"
    assert d.loc["row-2", "class"] == "revalued" and d.loc["row-2", "delta_mn"] == pytest.approx(5.0)
    assert d.loc["row-3", "class"] == "numbers changed"
    assert d.loc["row-4", "class"] == "delivery years changed"
    assert d.loc["row-4", "changes"] == "delivery years '2015' -> '2016'"
    assert d.loc["row-5", "class"] == "renamed or re-described"
    assert d.loc["row-5", "match"] == "similar designation"
    assert d.loc["row-5", "designation_new"] == "2A36 Giatsint-B 152mm"
    assert d.loc["row-8", "class"] == "renamed or re-described" and "description" in d.loc["row-8", "changes"]
    assert d.loc["row-6", "class"] == "dropped" and pd.isna(d.loc["row-6", "new_deal_key"])
    new_only = result.deals[result.deals["old_deal_key"].isna()]
    assert new_only["class"].tolist() == ["new"] and new_only["new_deal_key"].tolist() == ["row-1"]
    assert set(result.deals["class"]) == set(vintages.CLASSES)
    counts = result.counts()
    assert counts.loc["new", "new_deals"] == 1 and counts.loc["dropped", "old_deals"] == 1
    assert counts["old_deals"].sum() == len(OLD) and counts["new_deals"].sum() == len(NEW)


def test_precedence_numbers_before_value_and_all_changes_listed():
    d = by_old_key(vintages.diff(register(OLD), register(NEW)))
    assert vintages.PRECEDENCE[0] == "numbers changed"
    assert d.loc["row-7", "class"] == "numbers changed"
    changes = d.loc["row-7", "changes"]
    for part in ("number ordered 4 -> 5", "number delivered 4 -> 5", "TIV per unit 18 -> 13",
                 "delivered TIV 72 -> 65"):
        assert part in changes
    # a deal renamed AND revalued is 'revalued'
    old = [deal("Russia", "Iraq", "MiG-29S", 2017, 4, 4, {2021: 75.24}, 18.81, description="FGA aircraft")]
    new = [deal("Russia", "Iraq", "MiG-29", 2017, 4, 4, {2021: 54.52}, 13.63, description="fighter aircraft")]
    row = vintages.diff(register(old), register(new)).deals.iloc[0]
    assert row["class"] == "revalued" and "designation 'MiG-29S' -> 'MiG-29'" in row["changes"]


def test_ties_resolved_in_file_order_and_numbers_break_ties():
    old = [deal("France", "India", "MICA", 2010, 10, 10, {2012: 5.0}, 0.5),
           deal("France", "India", "MICA", 2010, 20, 20, {2013: 10.0}, 0.5),
           deal("France", "India", "MICA", 2010, 10, 10, {2012: 5.0}, 0.5)]
    new = [deal("France", "India", "MICA", 2010, 20, 20, {2013: 10.0}, 0.5),
           deal("France", "India", "MICA", 2010, 10, 10, {2012: 5.0}, 0.5),
           deal("France", "India", "MICA", 2010, 10, 10, {2012: 5.0}, 0.5)]
    d = vintages.diff(register(old), register(new)).deals
    assert list(zip(d["old_deal_key"], d["new_deal_key"])) == [("row-1", "row-2"), ("row-2", "row-1"),
                                                                 ("row-3", "row-3")]
    assert set(d["class"]) == {"unchanged"}


def test_deterministic():
    a = vintages.diff(register(OLD), register(NEW), start=2010, end=2020)
    b = vintages.diff(register(OLD), register(NEW), start=2010, end=2020)
    pd.testing.assert_frame_equal(a.deals, b.deals)
    pd.testing.assert_frame_equal(a.totals(), b.totals())
    pd.testing.assert_frame_equal(a.explain("Russia", "Iraq"), b.explain("Russia", "Iraq"))


def test_period_filter_and_totals_explain():
    result = vintages.diff(register(OLD), register(NEW), start=2016, end=2018)
    keys = set(result.deals["old_deal_key"].dropna())
    # in the period: delivered 2016-2018 or ordered 2016-2018 on either side (row-4 is delivered 2016 in new)
    assert keys == {"row-4", "row-5", "row-6", "row-7", "row-8"}
    t = result.totals().set_index(["supplier", "recipient"])
    assert t.loc[("Russia", "Iraq"), "tiv_delivered_old_mn"] == pytest.approx(72.0)
    assert t.loc[("Russia", "Iraq"), "delta_mn"] == pytest.approx(-7.0)
    assert t.loc[("Russia", "India"), "tiv_delivered_old_mn"] == pytest.approx(3.0 + 4.0)  # BTR-80 moved to 2016
    assert t.loc[("Russia", "India"), "tiv_delivered_new_mn"] == pytest.approx(2.0 + 3.0)
    explained = result.explain("Russia", "India")
    assert explained["old_deal_key"].tolist()[:2] == ["row-6", "row-4"]      # |-4| then |+2|
    assert explained["delta_mn"].sum() == pytest.approx(t.loc[("Russia", "India"), "delta_mn"])
    only_iraq = vintages.diff(register(OLD), register(NEW), recipient="Iraq")
    assert set(only_iraq.deals["recipient"]) == {"Iraq"} and len(only_iraq.deals) == 2


def test_per_year_matches_by_deal_id_even_when_renamed():
    old = [deal("Russia", "India", "Izdeliye-1", 2010, None, 4, {2011: 4.0}, 1.0, deal_id="100"),
           deal("Russia", "India", "T-90S", 2010, None, 4, {2011: 4.0}, 1.0, deal_id="101")]
    new = [deal("Russia", "India", "T-90S", 2010, None, 4, {2011: 4.0}, 1.0, deal_id="102"),
           deal("Russia", "India", "Su-30MKI", 2010, None, 4, {2011: 4.0}, 1.0, deal_id="100")]
    d = vintages.diff(register(old, "per-year"), register(new, "per-year")).deals.set_index("old_deal_key")
    assert d.loc["100", "new_deal_key"] == "100" and d.loc["100", "class"] == "renamed or re-described"
    assert d.loc["100", "match"] == "deal id"
    assert d.loc["101", "class"] == "dropped"        # ids on both sides: a different id is a different deal
    assert vintages.diff(register(old, "per-year"), register(new, "per-year")).counts().loc["new", "new_deals"] == 1


def test_cross_format_compares_delivered_tiv_in_period():
    old = [deal("Russia", "Azerbaijan", "T-90S", 2010, None, 30, {2011: 10.0, 2012: 20.0}, 1.0, deal_id="7"),
           deal("Israel", "Azerbaijan", "Harop", 2016, None, 10, {2016: 5.0, 2017: 1.0}, 0.6, deal_id="8")]
    new = [deal("Russia", "Azerbaijan", "T-90S", 2010, 30, 30, {2011: 15.0, 2012: 15.0}, 1.0),
           deal("Israel", "Azerbaijan", "Harop", 2016, 10, 10, {2016: 3.0, 2017: 3.0}, 0.6)]
    result = vintages.diff(register(old, "per-year"), register(new, "classic"), start=2012, end=2016)
    d = result.deals.set_index("old_deal_key")
    assert d.loc["7", "new_deal_key"] == "row-1" and d.loc["7", "match"] == "designation and numbers"
    assert d.loc["7", "tiv_delivered_old_mn"] == pytest.approx(20.0)   # exact per-year value, 2012
    assert d.loc["7", "tiv_delivered_new_mn"] == pytest.approx(15.0)   # classic total spread over 2011-2012
    assert d.loc["8", "tiv_delivered_old_mn"] == pytest.approx(5.0)
    assert d.loc["8", "tiv_delivered_new_mn"] == pytest.approx(3.0)
    assert set(d["class"]) == {"revalued"}                             # number ordered not compared
    t = result.totals(by="recipient").set_index("recipient")
    assert t.loc["Azerbaijan", "tiv_delivered_old_mn"] == pytest.approx(25.0)
    assert t.loc["Azerbaijan", "tiv_delivered_new_mn"] == pytest.approx(18.0)


def test_matching_rule_documented():
    for words in ("deal id", "normalised designation", "order year", "file order", "canonical"):
        assert words in vintages.MATCHING_RULE
    assert "Precedence" in vintages.CLASS_RULE


# --------------------------------------------------------------------------- real vintages

def need(*files):
    for f in files:
        if not f.exists():
            pytest.skip(f"real SIPRI export not found at {f}")
    return [sipri.load_register(f) for f in files]


def raw_rows(path, prefix):
    """Physical lines of a raw SIPRI file starting with ``prefix`` (read directly, not via the loader)."""
    return [line.rstrip("\r") for line in path.read_bytes().decode("latin-1").split("\n") if line.startswith(prefix)]


@pytest.mark.sipri
def test_real_classic_vintages_account_for_every_deal():
    old, new = need(CLASSIC_2024, CLASSIC_2025)
    started = time.perf_counter()
    result = vintages.diff(old, new)
    elapsed = time.perf_counter() - started
    print(f"classic 2024-03-18 vs 2025-03-13: {elapsed:.2f} s")
    assert elapsed < 10
    counts = result.counts()
    assert counts["old_deals"].sum() == len(old.deals) and counts["new_deals"].sum() == len(new.deals)
    assert result.deals["old_deal_key"].dropna().is_unique and result.deals["new_deal_key"].dropna().is_unique
    assert set(result.deals["old_deal_key"].dropna()) == set(old.deals["deal_key"])
    assert set(result.deals["new_deal_key"].dropna()) == set(new.deals["deal_key"])


@pytest.mark.sipri
def test_real_belarus_exports_findings():
    old, new = need(CLASSIC_2024, CLASSIC_2025)
    result = vintages.diff(old, new, supplier="Belarus")
    print(result.counts())
    d = result.deals
    changed = d[d["class"] != "unchanged"]
    print(changed[["class", "changes", "recipient", "designation_old", "designation_new", "order_year",
                   "delta_mn"]].to_string())
    # Raw rows read here (grep "^Angola,Belarus,2017" / "^Serbia,Belarus" in both files):
    # 2024: Angola,Belarus,2017,?,54,?,2S1 122mm,self-propelled gun,54,,2017; 2018,...,0.36,19.44,19.44
    # 2025: Angola,Belarus,2017,?,54,?,2S1 122mm,self-propelled gun,54,,2017; 2018,...,0.4,21.6,21.6
    assert [r.split(",")[-3:] for r in raw_rows(CLASSIC_2024, "Angola,Belarus,2017") if "2S1 122mm" in r] \
        == [["0.36", "19.44", "19.44"]]
    assert [r.split(",")[-3:] for r in raw_rows(CLASSIC_2025, "Angola,Belarus,2017") if "2S1 122mm" in r] \
        == [["0.4", "21.6", "21.6"]]
    angola = d[(d["recipient"] == "Angola") & (d["designation_old"] == "2S1 122mm") & (d["order_year"] == 2017)]
    assert angola["class"].tolist() == ["revalued"]
    assert angola["delta_mn"].iloc[0] == pytest.approx(21.6 - 19.44)
    # 2024: Serbia,Belarus,2017,,4,,MiG-29S,FGA aircraft,4,,2021,...,18.81,75.24,75.24
    # 2025: Serbia,Belarus,2017,,4,,MiG-29,fighter aircraft,4,,2021,...,13.63,54.52,54.52
    assert [r.split(",")[6:8] + r.split(",")[-3:] for r in raw_rows(CLASSIC_2024, "Serbia,Belarus,2017")] \
        == [["MiG-29S", "FGA aircraft", "18.81", "75.24", "75.24"]]
    assert [r.split(",")[6:8] + r.split(",")[-3:] for r in raw_rows(CLASSIC_2025, "Serbia,Belarus,2017")] \
        == [["MiG-29", "fighter aircraft", "13.63", "54.52", "54.52"]]
    serbia = d[d["recipient"] == "Serbia"]
    assert serbia[["designation_old", "designation_new", "class"]].values.tolist() \
        == [["MiG-29S", "MiG-29", "revalued"]]
    assert "designation 'MiG-29S' -> 'MiG-29'" in serbia["changes"].iloc[0]
    assert serbia["delta_mn"].iloc[0] == pytest.approx(54.52 - 75.24)
    # 2024 lists Sudan,Belarus,2014,...,Mi-8T twice (one with 0 delivered, no delivery year); 2025 once
    assert len([r for r in raw_rows(CLASSIC_2024, "Sudan,Belarus,2014") if ",Mi-8T," in r]) == 2
    assert len([r for r in raw_rows(CLASSIC_2025, "Sudan,Belarus,2014") if ",Mi-8T," in r]) == 1
    mi8 = d[(d["recipient"] == "Sudan") & (d["designation_old"] == "Mi-8T") & (d["order_year"] == 2014)]
    assert sorted(mi8["class"]) == ["dropped", "unchanged"]
    assert mi8.loc[mi8["class"] == "dropped", "number_delivered_old"].tolist() == [0]
    # 2025 only: Kyrgyzstan,Belarus,2021,,1,?,S-125T Pechora-2T,SAM system,1,,2023,New,...,30,30,30
    assert raw_rows(CLASSIC_2024, "Kyrgyzstan,Belarus") == []
    assert len(raw_rows(CLASSIC_2025, "Kyrgyzstan,Belarus")) == 1
    kyr = d[d["recipient"] == "Kyrgyzstan"]
    assert kyr[["class", "designation_new", "delta_mn"]].values.tolist() == [["new", "S-125T Pechora-2T", 30.0]]
    counts = result.counts()
    assert counts["old_deals"].sum() == (old.deals["supplier"] == "Belarus").sum()
    assert counts["new_deals"].sum() == (new.deals["supplier"] == "Belarus").sum()


@pytest.mark.sipri
def test_real_per_year_vs_classic_azerbaijan_imports():
    old, new = need(PER_YEAR_2024, CLASSIC_2025)
    started = time.perf_counter()
    result = vintages.diff(old, new, recipient="Azerbaijan", start=2018, end=2022)
    print(f"per-year 2024-04-13 vs classic 2025-03-13, Azerbaijan 2018-2022: {time.perf_counter() - started:.2f} s")
    print(result.counts())
    t = result.totals(by="recipient").set_index("recipient").loc["Azerbaijan"]
    for reg, column in ((old, "tiv_delivered_old_mn"), (new, "tiv_delivered_new_mn")):
        dl = reg.deliveries
        own = dl.loc[(dl["recipient"] == "Azerbaijan") & dl["delivery_year"].between(2018, 2022),
                     "tiv_delivered_mn"].sum()
        assert t[column] == pytest.approx(own, abs=1e-6)
    assert t["delta_mn"] == pytest.approx(t["tiv_delivered_new_mn"] - t["tiv_delivered_old_mn"])
    by_pair = result.totals()
    assert by_pair["delta_mn"].sum() == pytest.approx(t["delta_mn"])
    top = by_pair.loc[by_pair["delta_mn"].abs().idxmax()]
    explained = result.explain(top["supplier"], top["recipient"])
    assert explained["delta_mn"].sum() == pytest.approx(top["delta_mn"])


def test_register_against_itself_is_unchanged():
    for fmt in ("classic", "per-year"):
        rows = [dict(r, deal_id=str(i)) for i, r in enumerate(OLD)]
        d = vintages.diff(register(rows, fmt), register(rows, fmt)).deals
        assert set(d["class"]) == {"unchanged"} and (d["old_deal_key"] == d["new_deal_key"]).all()


def test_vintages_diff_cli_prints_the_rule_the_classes_and_the_reasons(tmp_path):
    import subprocess
    import sys

    from analysis import paths

    old, new = (paths.SHARED_SIPRI_DIR / v / "trade-register.csv" for v in ("2024-03-18", "2025-03-13"))
    if not (old.exists() and new.exists()):
        pytest.skip(f"real SIPRI registers not found under {paths.SHARED_SIPRI_DIR}")
    out_csv = tmp_path / "deals.csv"
    out = subprocess.run([sys.executable, "-m", "analysis.pipeline.cli", "vintages", "diff", str(old), str(new),
                          "--supplier", "Belarus", "--csv", str(out_csv)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("Matching rule: Deals are matched in three passes")
    assert "Vintages: 2024-03-18 -> 2025-03-13" in out.stdout
    assert "Belarus -> Kyrgyzstan: 0.00 -> 30.00 (+30.00)" in out.stdout  # S-125T Pechora-2T, new in 2025
    assert "'MiG-29S' -> 'MiG-29'" in out.stdout
    import pandas as pd

    assert len(pd.read_csv(out_csv)) == 116  # 114 old deals + the 2 new ones (the dropped one is its own row)
