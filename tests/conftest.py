"""Shared helpers: small hand-made tables in the tidy schema (docs/design.md)."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.sources import sipri
from analysis.sources.sipri import SipriFormatError


def make_deliveries(rows):
    """rows: (supplier, recipient, year, tiv[, designation[, deal_key]])."""
    out = []
    for i, r in enumerate(rows):
        s, rec, y, tiv = r[:4]
        des = r[4] if len(r) > 4 else f"item-{i}"
        key = r[5] if len(r) > 5 else f"d{i}"
        out.append({"deal_key": key, "deal_id": key, "supplier": s, "recipient": rec, "designation": des,
                    "delivery_year": y, "tiv_delivered_mn": float(tiv), "is_tiv_allocated": False})
    frame = pd.DataFrame(out, columns=["deal_key", "deal_id", "supplier", "recipient", "designation",
                                       "delivery_year", "tiv_delivered_mn", "is_tiv_allocated"])
    frame["delivery_year"] = frame["delivery_year"].astype("Int64")
    return frame


def make_spells(rows):
    """rows: (alliance, country, status, start 'YYYY-MM-DD', end or None)."""
    frame = pd.DataFrame(rows, columns=["alliance", "country", "status", "start_date", "end_date"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


def make_conflicts(rows):
    """rows: (side_a, side_b, kind, name, start, end or None)."""
    frame = pd.DataFrame(rows, columns=["side_a", "side_b", "kind", "name", "start_date", "end_date"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


@pytest.fixture
def spells():
    return make_spells([
        ("TEST", "Aland", "member", "1992-05-15", None),
        ("TEST", "Borduria", "member", "1993-01-01", None),
        ("TEST", "Carpania", "member", "1992-05-15", "2024-02-22"),
        ("TEST", "Carpania", "participation frozen", "2024-02-23", None),
        ("TEST", "Dorvia", "member", "1993-01-01", "1999-04-02"),
    ])


@pytest.fixture
def conflicts():
    return make_conflicts([
        ("Carpania", "Dorvia", "adversary dyad", "Carpania-Dorvia rivalry", "1991-01-01", None),
        ("Carpania", "Dorvia", "war", "Autumn war", "2020-09-27", "2020-11-10"),
    ])


def expect_error(path, *, contains, load=sipri.load_register):
    """``load(path)`` raises SipriFormatError naming ``path`` and every text in ``contains``; returns the message."""
    with pytest.raises(SipriFormatError) as err:
        load(path, use_cache=False) if load is sipri.load_register else load(path)
    message = str(err.value)
    assert str(path) in message
    for part in contains:
        assert part in message, message
    return message
