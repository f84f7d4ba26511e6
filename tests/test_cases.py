"""Briefs for other cases, and the founding brief on the real register (issue 4's acceptance)."""
import re

import pytest

from analysis import paths
from analysis.pipeline.build import build_brief, build_screen
from analysis.case.compute import compute_case
from analysis.case.params import check_brief_parameters
from analysis.case.tiv import delivered_tiv
from analysis.sources.transfers import load_transfers

CLASSIC = paths.SHARED_SIPRI_DIR / "2025-03-13" / "trade-register.csv"


def text_of(html_path):
    """Visible text of a brief, tags stripped, whitespace folded."""
    html = html_path.read_text(encoding="utf-8")
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.slow
@pytest.mark.parametrize("args, expected", [
    # the ally of the founding case: no registered transfers in the period, stated plainly
    (dict(supplier="Belarus", recipient="Armenia", ally="", alliance="CSTO", start_year=2018, end_year=2022),
     "The SIPRI register records no deliveries from Belarus to Armenia in 2018–2022."),
    # outside any alliance: Israel is in no curated alliance
    (dict(supplier="Israel", recipient="Azerbaijan", ally="", alliance="", start_year=2016, end_year=2020),
     "No alliance was given for this brief"),
    (dict(supplier="Turkey", recipient="Azerbaijan", ally="", alliance="NATO", start_year=2018, end_year=2022),
     "from Türkiye to Azerbaijan with deliveries in 2018–2022"),
])
def test_other_cases_render(tmp_path, args, expected):
    result = build_brief(**args, formats=("html",), reports_dir=tmp_path)
    text = text_of(result.html)
    assert expected in text
    assert "Methodology and sources" in text and "SIPRI Arms Transfers Database" in text


@pytest.mark.slow
def test_pair_outside_embedded_data_is_not_called_empty(tmp_path):
    result = build_brief("Germany", "Greece", "", "NATO", 2018, 2022, formats=("html",), reports_dir=tmp_path)
    assert "The embedded data does not cover Germany → Greece" in text_of(result.html)


@pytest.mark.slow
def test_csto_screen_brief(tmp_path):
    result = build_screen("CSTO", 2018, 2022, formats=("html",), reports_dir=tmp_path)
    text = text_of(result.html)
    assert "Belarus Azerbaijan Armenia" in text and "Russia Azerbaijan Armenia" in text


@pytest.fixture(scope="module")
def real_case():
    if not CLASSIC.is_file():
        pytest.skip(f"real SIPRI register not found at {CLASSIC}")
    params = check_brief_parameters("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, str(CLASSIC))
    return compute_case(params)


@pytest.mark.sipri
def test_real_register_figures_match_tiv_command(real_case):
    register = load_transfers(str(CLASSIC))
    by_supplier = delivered_tiv(register.deliveries, recipient="Azerbaijan", start=2018, end=2022, by="supplier")
    by_recipient = delivered_tiv(register.deliveries, supplier="Belarus", start=2018, end=2022, by="recipient")
    assert real_case.pair_tiv_mn == pytest.approx(by_supplier.loc["Belarus", "Total"])
    assert real_case.share_of_imports == pytest.approx(by_supplier.loc["Belarus", "Total"] / by_supplier["Total"].sum())
    rank = list(by_recipient.index).index("Azerbaijan") + 1
    assert real_case.exports.row("Azerbaijan")["rank"] == rank


@pytest.mark.sipri
def test_real_register_case_names_russia_and_labels_reported(real_case):
    members = real_case.member_supply.set_index("member")["to_recipient_mn"]
    assert members["Russia"] > 0
    screen = real_case.screen
    registered = screen[screen["evidence"] == "registered"]
    assert {("Belarus", "Azerbaijan"), ("Russia", "Azerbaijan")} <= set(zip(registered["supplier"], registered["recipient"]))
    assert set(real_case.reported["evidence"]) <= {"leaked documents", "press report", "official statement"}
    assert not real_case.reported.empty
