import pandas as pd
import pytest

from analysis.case import claims
from tests.conftest import make_deliveries


def claim_table(**over):
    base = dict(claim_id="c1", claimant="Someone", claim_date="2024-06-14", claim_text="text",
                check_type="supplier_delivered", check_supplier="Aland", check_recipient="Dorvia",
                check_alliance=None, check_start_year=2018, check_end_year=2022, check_min_suppliers=None)
    base.update(over)
    return pd.DataFrame([base])


@pytest.mark.parametrize("years, verdict", [
    ([2018], claims.PARTLY), ([2018, 2019, 2020], claims.SUPPORTED), ([], claims.NOT_SUPPORTED),
])
def test_supplier_delivered_verdicts(spells, years, verdict):
    d = make_deliveries([("Aland", "Dorvia", y, 10) for y in years] + [("Aland", "Dorvia", 2010, 99)])
    out = claims.check_claims(claim_table(), d, spells)
    assert out.loc[0, "verdict"] == verdict


def test_reported_items_named_but_never_change_verdict(spells):
    reported = pd.DataFrame({"supplier": ["Aland"], "recipient": ["Dorvia"], "designation": ["Jammer"],
                             "evidence": ["leaked documents"], "period_start_year": [2019], "period_end_year": [2020]})
    out = claims.check_claims(claim_table(), make_deliveries([]), spells, reported)
    assert out.loc[0, "verdict"] == claims.NOT_SUPPORTED
    assert "Jammer" in out.loc[0, "basis"] and "leaked documents" in out.loc[0, "basis"]


def test_members_supplied_counts_members_only_while_members(spells):
    c = claim_table(check_type="members_supplied", check_supplier=None, check_alliance="TEST",
                    check_start_year=2016, check_end_year=2020, check_min_suppliers=2)
    two = make_deliveries([("Aland", "Dorvia", 2018, 5), ("Borduria", "Dorvia", 2019, 6), ("Eastia", "Dorvia", 2019, 9)])
    assert claims.check_claims(c, two, spells).loc[0, "verdict"] == claims.SUPPORTED
    one = make_deliveries([("Aland", "Dorvia", 2018, 5), ("Eastia", "Dorvia", 2019, 9)])
    out = claims.check_claims(c, one, spells)
    assert out.loc[0, "verdict"] == claims.PARTLY and "Aland (5.0 mn TIV)" in out.loc[0, "basis"]


def test_uncheckable_and_unknown_type(spells):
    assert claims.check_claims(claim_table(check_type="none"), make_deliveries([]), spells).loc[0, "verdict"] \
        == claims.NOT_CHECKABLE
    with pytest.raises(ValueError, match="unknown check_type 'vibes'"):
        claims.check_claims(claim_table(check_type="vibes"), make_deliveries([]), spells)
