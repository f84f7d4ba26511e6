"""Delivered TIV tables from a register's ``deliveries`` (see docs/design.md).

Country arguments go through :func:`analysis.countries.normalise`, so "belarus" or "Turkey" work.
Classic-register deliveries carry allocated yearly TIV (``analysis.sipri.ALLOCATION_RULE``).
"""
from __future__ import annotations

import pandas as pd

from analysis import countries

_COUNTERPART = {"supplier": "recipient", "recipient": "supplier"}
_DIRECTION_COLUMN = {"imports": "recipient", "exports": "supplier"}


def _years(start: int, end: int) -> list[int]:
    if start > end:
        raise ValueError(f"start year {start} is after end year {end}")
    return list(range(start, end + 1))


def _in_period(deliveries: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    return deliveries[deliveries["delivery_year"].between(years[0], years[-1])]


def _by(supplier: str | None, recipient: str | None, by: str | None) -> str:
    if by is None:
        if (supplier is None) == (recipient is None):
            raise ValueError("give by='supplier' or by='recipient' unless exactly one of supplier/recipient is set")
        return "recipient" if supplier is not None else "supplier"
    if by not in _COUNTERPART:
        raise ValueError(f"by must be 'supplier' or 'recipient', not {by!r}")
    return by


def delivered_tiv(deliveries: pd.DataFrame, *, supplier: str | None = None, recipient: str | None = None,
                  start: int, end: int, by: str | None = None) -> pd.DataFrame:
    """Delivered TIV (millions) by counterpart (rows) and year (columns start..end, zero-filled) plus ``Total``.

    ``by`` defaults to the counterpart of whichever of ``supplier``/``recipient`` is given. Rows are sorted
    by total descending, then name.
    """
    by = _by(supplier, recipient, by)
    years = _years(start, end)
    rows = _in_period(deliveries, years)
    for column, name in (("supplier", supplier), ("recipient", recipient)):
        if name is not None:
            rows = rows[rows[column] == countries.normalise(name)]
    table = (rows.groupby([by, "delivery_year"])["tiv_delivered_mn"].sum()
             .unstack("delivery_year")
             .reindex(columns=years, fill_value=0.0)
             .fillna(0.0))
    table.columns = pd.Index(years, name="year")
    table["Total"] = table.sum(axis=1)
    table = table.rename_axis(index=by).reset_index()
    table = table.sort_values(["Total", by], ascending=[False, True], kind="stable")
    return table.set_index(by)


def yearly_totals(deliveries: pd.DataFrame, country: str, direction: str, start: int, end: int) -> pd.Series:
    """A country's delivered TIV per year (index start..end, zero-filled); ``direction`` "imports" or "exports"."""
    if direction not in _DIRECTION_COLUMN:
        raise ValueError(f"direction must be 'imports' or 'exports', not {direction!r}")
    years = _years(start, end)
    rows = _in_period(deliveries, years)
    name = countries.normalise(country)
    rows = rows[rows[_DIRECTION_COLUMN[direction]] == name]
    totals = rows.groupby("delivery_year")["tiv_delivered_mn"].sum().reindex(years, fill_value=0.0)
    return totals.rename_axis("year").rename(f"{name} {direction}").astype("float64")
