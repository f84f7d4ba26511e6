"""analysis.case.tiv on the hand-written fixture registers."""
from pathlib import Path

import pytest

from analysis.sources import sipri
from analysis.case import tiv
from analysis.sources.countries import UnknownCountryError

FIXTURES = Path(__file__).parent / "fixtures" / "sipri"


@pytest.fixture(scope="module")
def classic():
    return sipri.load_register(FIXTURES / "classic_register.csv", use_cache=False).deliveries


@pytest.fixture(scope="module")
def per_year():
    return sipri.load_register(FIXTURES / "per_year_register.csv", use_cache=False).deliveries


def test_imports_by_supplier_sorted_by_total(classic):
    table = tiv.delivered_tiv(classic, recipient="azerbaijan", start=2018, end=2021)
    assert table.index.name == "supplier"
    assert table.index.tolist() == ["Israel", "Türkiye"]
    assert table.columns.tolist() == [2018, 2019, 2020, 2021, "Total"]
    assert table.loc["Israel"].tolist() == [11.0, 11.0, 1.0, 0.0, 23.0]
    assert table.loc["Türkiye"].tolist() == [0.0, 0.0, 6.0, 0.0, 6.0]


def test_exports_by_recipient_ties_sorted_by_name(per_year):
    table = tiv.delivered_tiv(per_year, supplier="China", start=2016, end=2017)
    assert table.index.name == "recipient" and table.index.tolist() == ["Nigeria"]
    assert table.loc["Nigeria"].tolist() == [0.5, 1.5, 2.0]
    world = tiv.delivered_tiv(per_year, start=2020, end=2020, by="recipient")
    assert world.index.tolist() == ["Azerbaijan"]
    tie = tiv.delivered_tiv(per_year, start=2016, end=2016, by="supplier")
    assert tie.index.tolist() == ["China", "Iran"]  # 0.5 vs 0.0


def test_empty_period_gives_empty_table(classic):
    table = tiv.delivered_tiv(classic, recipient="Azerbaijan", start=1990, end=1991)
    assert table.empty and table.columns.tolist() == [1990, 1991, "Total"]


def test_by_must_be_clear(classic):
    with pytest.raises(ValueError, match="by="):
        tiv.delivered_tiv(classic, start=2018, end=2020)
    with pytest.raises(ValueError, match="by must be"):
        tiv.delivered_tiv(classic, recipient="Azerbaijan", start=2018, end=2020, by="country")
    with pytest.raises(ValueError, match="after end year"):
        tiv.delivered_tiv(classic, recipient="Azerbaijan", start=2020, end=2018)
    with pytest.raises(UnknownCountryError):
        tiv.delivered_tiv(classic, recipient="Azerbajan-land", start=2018, end=2020)


def test_yearly_totals(classic, per_year):
    imports = tiv.yearly_totals(classic, "Azerbaijan", "imports", 2017, 2021)
    assert imports.to_dict() == {2017: 0.0, 2018: 11.0, 2019: 11.0, 2020: 7.0, 2021: 0.0}
    exports = tiv.yearly_totals(per_year, "Turkey", "exports", 2020, 2020)
    assert exports.to_dict() == {2020: 6.0} and exports.name == "Türkiye exports"
    with pytest.raises(ValueError, match="direction"):
        tiv.yearly_totals(classic, "Azerbaijan", "import", 2018, 2020)
