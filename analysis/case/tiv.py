"""Every TIV figure: delivered TIV by pair, counterpart and year, totals, shares, ranks, periods.

All functions take the tidy ``deliveries`` table (one row per deal and delivery year, see
docs/design.md) and return plain DataFrames or numbers; nothing here formats text. A period is
always inclusive and filtered by :func:`in_period`. Classic-register deliveries carry allocated
yearly TIV (``analysis.sources.sipri.ALLOCATION_RULE``).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.sources import countries

TIV = "tiv_delivered_mn"
_COUNTERPART = {"supplier": "recipient", "recipient": "supplier"}
_DIRECTION_COLUMN = {"imports": "recipient", "exports": "supplier"}


def in_period(deliveries: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """Rows delivered in ``start..end`` (inclusive)."""
    years = deliveries["delivery_year"]
    return deliveries[(years >= start) & (years <= end)]


def pair_by_year(deliveries: pd.DataFrame, supplier: str, recipient: str, start: int, end: int) -> pd.Series:
    """Delivered TIV from supplier to recipient for every year of the period (zero-filled)."""
    rows = in_period(deliveries, start, end)
    rows = rows[(rows["supplier"] == supplier) & (rows["recipient"] == recipient)]
    series = rows.groupby("delivery_year")[TIV].sum()
    return series.reindex(range(start, end + 1), fill_value=0.0).astype(float).rename_axis("year")


def by_counterpart_year(deliveries: pd.DataFrame, *, country: str, direction: str,
                        start: int, end: int) -> pd.DataFrame:
    """Delivered TIV by counterpart (columns) and year (index, zero-filled).

    ``direction="imports"``: the country's suppliers; ``"exports"``: its recipients.
    Columns are ordered by total TIV, largest first (the transpose of :func:`delivered_tiv`).
    """
    own = _DIRECTION_COLUMN.get(direction)
    if own is None:
        raise ValueError(f"direction must be 'imports' or 'exports', not {direction!r}")
    return delivered_tiv(deliveries, start=start, end=end, normalise=False, **{own: country}).drop(columns="Total").T


@dataclass(frozen=True)
class Ranking:
    """A country's partners over a period, with shares and ranks.

    ``table`` columns: counterpart, tiv_mn, share, rank, tiv_previous_mn, change_mn.
    ``total_mn`` is the denominator of the shares. ``is_complete`` says whether the
    deliveries cover every partner (a full SIPRI register) or only curated pairs.
    """

    country: str
    direction: str
    start: int
    end: int
    table: pd.DataFrame
    total_mn: float
    total_previous_mn: float
    is_complete: bool

    def row(self, counterpart: str) -> pd.Series | None:
        hit = self.table[self.table["counterpart"] == counterpart]
        return None if hit.empty else hit.iloc[0]


def ranking(deliveries: pd.DataFrame, *, country: str, direction: str, start: int, end: int,
            is_complete: bool = True) -> Ranking:
    """Partners of ``country`` by delivered TIV in ``start..end``: share, rank, change.

    Ranks are dense over partners with TIV > 0, ties broken by name; the change is against the
    previous period of equal length.
    """
    own, other = ("recipient", "supplier") if direction == "imports" else ("supplier", "recipient")
    n = end - start + 1

    def totals(a: int, b: int) -> pd.Series:
        rows = in_period(deliveries, a, b)
        return rows[rows[own] == country].groupby(other)[TIV].sum()

    now, before = totals(start, end), totals(start - n, start - 1)
    table = pd.DataFrame({"tiv_mn": now, "tiv_previous_mn": before}).fillna(0.0)
    table = table.rename_axis("counterpart").reset_index()
    table = table[(table["tiv_mn"] > 0) | (table["tiv_previous_mn"] > 0)]
    table = table.sort_values(["tiv_mn", "counterpart"], ascending=[False, True], kind="stable")
    total = float(table["tiv_mn"].sum())
    table["share"] = table["tiv_mn"] / total if total else 0.0
    table["rank"] = pd.Series(range(1, len(table) + 1), index=table.index).where(table["tiv_mn"] > 0)
    table["rank"] = table["rank"].astype("Int64")
    table["change_mn"] = table["tiv_mn"] - table["tiv_previous_mn"]
    cols = ["counterpart", "tiv_mn", "share", "rank", "tiv_previous_mn", "change_mn"]
    return Ranking(country, direction, start, end, table[cols].reset_index(drop=True), total,
                   float(table["tiv_previous_mn"].sum()), is_complete)


def share_of_total(part_mn: float, total_mn: float | None) -> float | None:
    """``part / total``, or None where the total is unknown or zero."""
    if total_mn is None or pd.isna(total_mn) or total_mn == 0:
        return None
    return part_mn / total_mn


def published_total(tiv_totals: pd.DataFrame, *, country: str, direction: str, start: int,
                    end: int) -> float | None:
    """SIPRI's own published total for the period from the curated TIV table, or None.

    None unless every year of the period is present (an empty SIPRI cell, "none identified",
    counts as 0; a missing year means we do not know).
    """
    rows = tiv_totals[(tiv_totals["country"] == country) & (tiv_totals["direction"] == direction)]
    rows = rows[(rows["year"] >= start) & (rows["year"] <= end)]
    if set(rows["year"]) != set(range(start, end + 1)):
        return None
    return float(rows["tiv_mn"].fillna(0.0).sum())


def deals_in_period(deals: pd.DataFrame, deliveries: pd.DataFrame, *, supplier: str | None,
                    recipient: str | None, start: int, end: int) -> pd.DataFrame:
    """Deals with deliveries in the period, with the TIV and years delivered *within* it.

    Columns: the deal's own columns plus ``tiv_in_period_mn`` and ``years_in_period``.
    Sorted by TIV in the period, then first delivery year, then designation.
    """
    rows = in_period(deliveries, start, end)
    if supplier is not None:
        rows = rows[rows["supplier"] == supplier]
    if recipient is not None:
        rows = rows[rows["recipient"] == recipient]
    if rows.empty:
        return deals.iloc[0:0].assign(tiv_in_period_mn=pd.Series(dtype=float),
                                      years_in_period=pd.Series(dtype=str))
    grouped = rows.groupby("deal_key").agg(
        tiv_in_period_mn=(TIV, "sum"),
        years_in_period=("delivery_year", lambda y: "; ".join(str(v) for v in sorted(set(y)))),
    )
    out = deals.merge(grouped, left_on="deal_key", right_index=True, how="inner")
    return out.sort_values(["tiv_in_period_mn", "first_delivery_year", "designation"],
                           ascending=[False, True, True], kind="stable").reset_index(drop=True)


def open_orders(deals: pd.DataFrame, *, supplier: str | None = None, recipient: str | None = None,
                since: int | None = None) -> pd.DataFrame:
    """Deals ordered but with nothing (or not everything) delivered yet.

    A deal is open where nothing was delivered, or where fewer were delivered than ordered.
    Only registers that carry ``number_ordered`` (the classic register) can show the second kind.
    """
    rows = deals
    if supplier is not None:
        rows = rows[rows["supplier"] == supplier]
    if recipient is not None:
        rows = rows[rows["recipient"] == recipient]
    if since is not None:
        rows = rows[rows["order_year"] >= since]
    delivered = rows["number_delivered"].fillna(0)
    ordered = rows["number_ordered"] if "number_ordered" in rows else pd.Series(pd.NA, index=rows.index)
    is_open = rows["delivery_years"].fillna("").eq("") | (ordered.notna() & (delivered < ordered.fillna(0)))
    return rows[is_open.fillna(False).astype(bool)].sort_values(["order_year", "designation"], kind="stable")


def _years(start: int, end: int) -> list[int]:
    if start > end:
        raise ValueError(f"start year {start} is after end year {end}")
    return list(range(start, end + 1))


def _by(supplier: str | None, recipient: str | None, by: str | None) -> str:
    if by is None:
        if (supplier is None) == (recipient is None):
            raise ValueError("give by='supplier' or by='recipient' unless exactly one of supplier/recipient is set")
        return "recipient" if supplier is not None else "supplier"
    if by not in _COUNTERPART:
        raise ValueError(f"by must be 'supplier' or 'recipient', not {by!r}")
    return by


def delivered_tiv(deliveries: pd.DataFrame, *, supplier: str | None = None, recipient: str | None = None,
                  start: int, end: int, by: str | None = None, normalise: bool = True) -> pd.DataFrame:
    """Delivered TIV (millions) by counterpart (rows) and year (columns start..end, zero-filled) plus ``Total``.

    ``by`` defaults to the counterpart of whichever of ``supplier``/``recipient`` is given. Rows are sorted
    by total descending, then name. Names go through :func:`analysis.sources.countries.normalise`
    ("belarus", "Turkey") unless ``normalise=False`` (names already canonical).
    """
    by = _by(supplier, recipient, by)
    years = _years(start, end)
    rows = in_period(deliveries, start, end)
    for column, name in (("supplier", supplier), ("recipient", recipient)):
        if name is not None:
            rows = rows[rows[column] == (countries.normalise(name) if normalise else name)]
    table = (rows.groupby([by, "delivery_year"])[TIV].sum()
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
    rows = in_period(deliveries, start, end)
    name = countries.normalise(country)
    rows = rows[rows[_DIRECTION_COLUMN[direction]] == name]
    totals = rows.groupby("delivery_year")[TIV].sum().reindex(years, fill_value=0.0)
    return totals.rename_axis("year").rename(f"{name} {direction}").astype("float64")
