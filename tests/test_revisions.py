"""The brief's "Revisions between SIPRI vintages" (analysis.case.revisions) on two hand-made releases."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis.case import revisions
from analysis.sources.sipri import load_register

FIXTURE = Path(__file__).parent / "fixtures" / "download" / "per_year_register.csv"


def _release(tmp_path: Path, name: str, generated: str, replace: dict[str, str]) -> Path:
    text = FIXTURE.read_text(encoding="utf-8").replace("Data generated: 12 Mar 2026 9:41:07 AM",
                                                       f"Data generated: {generated}")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def releases(tmp_path):
    old = _release(tmp_path, "old.csv", "12 Mar 2025 9:41:07 AM", {})
    # the newer release revalues the 2019 delivery of deal 91001 (20 -> 26 TIV: unit 10 -> 13)
    new = _release(tmp_path, "new.csv", "12 Mar 2026 9:41:07 AM",
                   {"Yes,2019,Yes,New,10,10,20,No": "Yes,2019,Yes,New,13,13,26,No",
                    "No,2018,No,New,10,10,10,No": "No,2018,No,New,13,13,13,No"})
    return load_register(old, use_cache=False), load_register(new, use_cache=False)


def test_figures_in_both_releases_and_the_deal_that_moved(releases):
    old, new = releases
    rev = revisions.compare(new, old, supplier="Israel", recipient="Azerbaijan", ally=None, start=2018, end=2022)
    assert (rev.old_vintage, rev.new_vintage, rev.brief_is_old) == ("2025-03-12", "2026-03-12", False)
    head = rev.headline
    assert (head["old"], head["new"], head["delta"]) == (30.0, 39.0, 9.0)  # 10 + 20 -> 13 + 26
    assert rev.headline_changed
    assert rev.reasons["class"].tolist() == ["revalued"]
    assert rev.reasons["delta_mn"].tolist() == [9.0]
    # Israel's share of Azerbaijan's imports: 30 / (30 + 6) -> 39 / (39 + 6)
    share = rev.figures[rev.figures["figure"].str.contains("share")].iloc[0]
    assert share["old"] == pytest.approx(30 / 36) and share["new"] == pytest.approx(39 / 45)


def test_unchanged_pair_says_so(releases):
    old, new = releases
    rev = revisions.compare(old, new, supplier="Türkiye", recipient="Azerbaijan", ally=None, start=2018, end=2022)
    assert rev.brief_is_old and not rev.headline_changed
    assert rev.reasons.empty and int(rev.counts["unchanged"]) == 1


def test_the_same_file_twice_is_refused(releases):
    old, _ = releases
    with pytest.raises(revisions.RevisionError, match="same file"):
        revisions.compare(old, old, supplier="Israel", recipient="Azerbaijan", ally=None, start=2018, end=2022)
