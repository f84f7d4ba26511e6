"""The brief's sentences come from the data: change an input table and the text changes."""
import csv
import dataclasses

import pandas as pd
import pytest

from analysis import paths
from analysis.sources import curated
from analysis.report import sentences
from analysis.case.compute import compute_case, load_case_tables
from analysis.case.params import BriefParams

PARAMS = BriefParams("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, "embedded")


@pytest.fixture(scope="module")
def register():
    return curated.load_embedded_register()


@pytest.fixture(scope="module")
def tables():
    return load_case_tables()


def csv_pair_tiv(supplier, recipient, start, end):
    """Independent of the code under test: sum straight from the CSV with the csv module."""
    with open(paths.case_file("registered_deliveries.csv"), newline="", encoding="utf-8") as fh:
        return sum(float(r["tiv_delivered_mn"]) for r in csv.DictReader(fh)
                   if r["supplier"] == supplier and r["recipient"] == recipient
                   and start <= int(r["delivery_year"]) <= end)


def test_founding_case_figures_match_the_csv(register, tables):
    case = compute_case(PARAMS, register, tables)
    expected = csv_pair_tiv("Belarus", "Azerbaijan", 2018, 2022)
    assert case.pair_tiv_mn == pytest.approx(expected)
    assert f"{expected:,.1f} mn TIV" in sentences.key_judgements(case)[0]


def test_adding_a_delivery_changes_the_judgements(register, tables):
    before = sentences.key_judgements(compute_case(PARAMS, register, tables))
    key = register.deliveries.loc[(register.deliveries["supplier"] == "Belarus")
                                  & (register.deliveries["recipient"] == "Azerbaijan"), "deal_key"].iloc[0]
    extra = register.deliveries[register.deliveries["deal_key"] == key].iloc[[0]].copy()
    extra["delivery_year"] = pd.array([2020], dtype="Int64")
    extra["tiv_delivered_mn"] = 100.0
    changed = dataclasses.replace(register, deliveries=pd.concat([register.deliveries, extra], ignore_index=True))
    after = sentences.key_judgements(compute_case(PARAMS, changed, tables))
    assert before != after
    total = csv_pair_tiv("Belarus", "Azerbaijan", 2018, 2022) + 100.0
    assert f"{total:,.1f} mn TIV" in after[0]
    assert "2 of the period's 5 years" in after[0] and "1 of the period's 5 years" in before[0]


def test_removing_the_supplier_deliveries_says_none(register, tables):
    d = register.deliveries
    keep = ~((d["supplier"] == "Belarus") & (d["recipient"] == "Azerbaijan") & (d["delivery_year"] >= 2018))
    changed = dataclasses.replace(register, deliveries=d[keep])
    text = sentences.key_judgements(compute_case(PARAMS, changed, tables))
    assert text[0].startswith("The SIPRI register records no deliveries from Belarus to Azerbaijan in 2018–2022")


def test_claim_verdict_follows_the_data(register, tables):
    case = compute_case(PARAMS, register, tables)
    verdicts = dict(zip(case.claim_checks["claim_id"], case.claim_checks["verdict"]))
    csto = tables["claims"].query("check_type == 'members_supplied'").iloc[0]
    # Drop every Russian delivery: only Belarus remains, so "at least two members" loses support.
    d = register.deliveries
    changed = dataclasses.replace(register, deliveries=d[d["supplier"] != "Russia"])
    after = compute_case(PARAMS, changed, tables).claim_checks.set_index("claim_id")["verdict"]
    assert verdicts[csto["claim_id"]] == "supported"
    assert after[csto["claim_id"]] == "partly supported"


def test_ally_sentence_uses_ally_figures(register, tables):
    case = compute_case(dataclasses.replace(PARAMS, ally="Armenia", start_year=2005, end_year=2009), register, tables)
    expected = csv_pair_tiv("Belarus", "Armenia", 2005, 2009)
    assert f"Belarus delivered {expected:,.1f} mn TIV to Armenia" in sentences.ally_sentence(case)
