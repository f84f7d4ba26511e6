import math

import pandas as pd

from analysis.case import tiv
from tests.conftest import make_deliveries


def deliveries():
    return make_deliveries([
        ("Aland", "Dorvia", 2018, 30, "Rocket"), ("Aland", "Dorvia", 2018, 7, "Launcher"),
        ("Borduria", "Dorvia", 2019, 50), ("Borduria", "Dorvia", 2014, 20),
        ("Aland", "Dorvia", 2015, 10), ("Aland", "Carpania", 2020, 3), ("Eastia", "Dorvia", 2022, 13),
    ])


def test_pair_by_year_zero_fills_period():
    s = tiv.pair_by_year(deliveries(), "Aland", "Dorvia", 2018, 2022)
    assert list(s.index) == [2018, 2019, 2020, 2021, 2022]
    assert s.tolist() == [37.0, 0.0, 0.0, 0.0, 0.0]


def test_ranking_shares_ranks_and_previous_period():
    r = tiv.ranking(deliveries(), country="Dorvia", direction="imports", start=2018, end=2022)
    t = r.table.set_index("counterpart")
    assert list(r.table["counterpart"]) == ["Borduria", "Aland", "Eastia"]
    assert r.total_mn == 100.0
    assert t.loc["Aland", "share"] == 0.37 and t.loc["Aland", "rank"] == 2
    # previous period of equal length is 2013-2017
    assert t.loc["Borduria", "tiv_previous_mn"] == 20.0 and t.loc["Borduria", "change_mn"] == 30.0
    assert t.loc["Aland", "tiv_previous_mn"] == 10.0


def test_ranking_exports_and_missing_counterpart():
    r = tiv.ranking(deliveries(), country="Aland", direction="exports", start=2018, end=2022)
    assert r.row("Dorvia")["rank"] == 1 and r.row("Carpania")["rank"] == 2
    assert r.row("Nowhere") is None


def test_by_counterpart_year_orders_columns_by_total():
    t = tiv.by_counterpart_year(deliveries(), country="Dorvia", direction="imports", start=2018, end=2022)
    assert list(t.columns) == ["Borduria", "Aland", "Eastia"]
    assert t.loc[2022, "Eastia"] == 13.0 and t.loc[2021].sum() == 0


def test_published_total_needs_every_year():
    totals = pd.DataFrame({"country": ["Dorvia"] * 3, "direction": ["imports"] * 3,
                           "year": [2018, 2019, 2020], "tiv_mn": [10.0, None, 5.0]})
    assert tiv.published_total(totals, country="Dorvia", direction="imports", start=2018, end=2020) == 15.0
    assert tiv.published_total(totals, country="Dorvia", direction="imports", start=2018, end=2021) is None


def test_share_of_total_handles_unknown():
    assert tiv.share_of_total(5, 20) == 0.25
    assert tiv.share_of_total(5, None) is None and tiv.share_of_total(5, 0) is None
    assert tiv.share_of_total(5, math.nan) is None


def test_deals_in_period_counts_only_years_inside():
    d = make_deliveries([("Aland", "Dorvia", 2017, 5, "Tank", "k1"), ("Aland", "Dorvia", 2018, 6, "Tank", "k1")])
    deals = pd.DataFrame({"deal_key": ["k1"], "designation": ["Tank"], "first_delivery_year": [2017]})
    out = tiv.deals_in_period(deals, d, supplier="Aland", recipient="Dorvia", start=2018, end=2022)
    assert out.loc[0, "tiv_in_period_mn"] == 6.0 and out.loc[0, "years_in_period"] == "2018"


def test_open_orders():
    deals = pd.DataFrame({"supplier": ["A", "A", "A"], "recipient": ["B"] * 3, "designation": ["x", "y", "z"],
                          "order_year": [2019, 2020, 2021], "delivery_years": ["2020", "", "2022"],
                          "number_ordered": pd.array([2, 4, 10], dtype="Int64"),
                          "number_delivered": pd.array([2, pd.NA, 6], dtype="Int64")})
    assert list(tiv.open_orders(deals, supplier="A")["designation"]) == ["y", "z"]
