"""The computations of SIPRI's "Trends in international arms transfers" fact sheets.

Pure functions on the tidy ``deliveries`` table (docs/design.md); they return DataFrames, named
tuples or numbers and never format text. Periods are inclusive and filtered by
:func:`analysis.case.tiv.in_period`; the "previous period" is the one of equal length just before.

Counting rules (:data:`COUNTING_RULE`), chosen to follow the fact sheets:

* **World totals** include every delivery row: states, former states, non-state actors,
  organisations (NATO, UN, ...) and "unknown supplier(s)"/"unknown recipient(s)". This is SIPRI's
  "Total world export/import" row: on the 2024-04-13 register the yearly world totals reproduce
  the TIV table's total row, and the 2014-18 -> 2019-23 change reproduces the published -3.3 %.
* **Rankings** (:func:`top_exporters`, :func:`top_importers`, :func:`world_rank`) rank only
  states (``countries.kind`` "state" or "former state"); the fact sheets rank states. Everything
  else stays in the denominator (world total), so ranked shares do not add up to 1.
* **Main partners** are taken among all counterparts (the 2024 fact sheet lists "Houthis" among
  Iran's main recipients); their shares are of that country's own total.
* **Number of partners** (states supplied / supplier states) counts counterparts of kind state or
  former state with at least one delivery row in the period (a TIV of 0 means "under 0.5 mn", a
  delivery).

Shares and changes are fractions (0.42 = 42 %, -0.033 = -3.3 %). A change against a previous
period with no deliveries is NaN (SIPRI prints no figure).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis.case.tiv import TIV, in_period
from analysis.sources import countries

RANKED_KINDS = frozenset({countries.STATE, countries.FORMER_STATE})
COUNTING_RULE = ("World totals include every delivery (states, non-state actors, organisations and "
                 "unknown suppliers/recipients); rankings rank states only (former states included); "
                 "main partners are taken among all counterparts; partner counts count states.")
MOVING_AVERAGE_RULE = ("Each year's moving average is the mean of that year and the preceding years "
                       "(window 5: year-4..year), as in SIPRI's five-year moving averages; NaN until "
                       "a full window of years is available.")
HHI_RULE = ("Herfindahl-Hirschman index: the sum of the squared shares of each supplier in a recipient's "
            "delivered TIV over the period. With shares as fractions it runs from 1/N (N equal "
            "suppliers) to 1 (one supplier); times 10,000 (shares in per cent, squared) it runs to "
            "10,000. Every supplier name, 'unknown supplier(s)' included, counts as one supplier.")
ALLOCATION_EFFECT_RULE = ("Bound on the share of a country in a period when the classic register's deal "
                          "totals are spread over delivery years: each allocated deal's whole TIV is "
                          "placed either in its first or in its last delivery year (a deal whose "
                          "delivery years run from before to after the period may fall entirely "
                          "inside it); the country's deals are placed to minimise (maximise) its TIV "
                          "and all other deals to maximise (minimise) the world total.")
UNASSIGNED = "(not in region table)"
_OWN = {"exports": "supplier", "imports": "recipient"}
_OTHER = {"supplier": "recipient", "recipient": "supplier"}


def _previous(start: int, end: int) -> tuple[int, int]:
    if start > end:
        raise ValueError(f"start year {start} is after end year {end}")
    n = end - start + 1
    return start - n, start - 1


def _column(direction: str) -> str:
    try:
        return _OWN[direction]
    except KeyError:
        raise ValueError(f"direction must be 'exports' or 'imports', not {direction!r}") from None


def _is_ranked(names: pd.Series | pd.Index) -> np.ndarray:
    return np.array([countries.kind(n) in RANKED_KINDS for n in names], dtype=bool)


def _total(deliveries: pd.DataFrame, start: int, end: int) -> float:
    return float(in_period(deliveries, start, end)[TIV].sum())


def _change(now: float | pd.Series, before: float | pd.Series):
    """``now / before - 1``; NaN where ``before`` is 0."""
    if isinstance(before, pd.Series):
        return (now / before.where(before != 0)) - 1
    return now / before - 1 if before else float("nan")


def world_totals(deliveries: pd.DataFrame, start: int, end: int) -> pd.Series:
    """World delivered TIV (millions) per year ``start..end`` (zero-filled), all actors included."""
    if start > end:
        raise ValueError(f"start year {start} is after end year {end}")
    rows = in_period(deliveries, start, end)
    series = rows.groupby("delivery_year")[TIV].sum()
    series.index = series.index.astype("int64")
    return (series.reindex(range(start, end + 1), fill_value=0.0).astype("float64")
            .rename_axis("year").rename("world_tiv_mn"))


def moving_average(series: pd.Series, window: int = 5) -> pd.Series:
    """Trailing moving average (:data:`MOVING_AVERAGE_RULE`): point y is the mean of y-window+1..y.

    The series must be indexed by consecutive years (as :func:`world_totals` returns it); the
    first ``window - 1`` points are NaN.
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    index = pd.Index(series.index)
    if len(index) > 1 and not (np.diff(index.to_numpy()) == 1).all():
        raise ValueError("series must be indexed by consecutive years")
    return series.astype("float64").rolling(window, min_periods=window).mean()


def _top(deliveries: pd.DataFrame, own: str, start: int, end: int, n: int | None) -> pd.DataFrame:
    other = _OTHER[own]
    p0, p1 = _previous(start, end)
    now_rows, before_rows = in_period(deliveries, start, end), in_period(deliveries, p0, p1)
    world, world_before = float(now_rows[TIV].sum()), float(before_rows[TIV].sum())
    now = now_rows.groupby(own)[TIV].sum()
    before = before_rows.groupby(own)[TIV].sum()
    now = now[(now > 0) & _is_ranked(now.index)]
    table = pd.DataFrame({"country": now.index.astype(str), "tiv_mn": now.to_numpy(dtype=float)})
    table["tiv_previous_mn"] = before.reindex(table["country"]).fillna(0.0).to_numpy(dtype=float)
    table = table.sort_values(["tiv_mn", "country"], ascending=[False, True], kind="stable")
    table = table.reset_index(drop=True)
    table.insert(0, "rank", pd.array(range(1, len(table) + 1), dtype="Int64"))
    table["share"] = table["tiv_mn"] / world if world else float("nan")
    table["share_previous"] = table["tiv_previous_mn"] / world_before if world_before else float("nan")
    table["change"] = _change(table["tiv_mn"], table["tiv_previous_mn"])
    if n is not None:
        table = table.head(n)
    mine = now_rows[now_rows[own].isin(table["country"])]
    partners = mine.groupby([own, other])[TIV].sum().rename("tiv").reset_index()
    states = partners[_is_ranked(partners[other])] if len(partners) else partners
    counts = states.groupby(own)[other].nunique()
    table["n_partners"] = counts.reindex(table["country"]).fillna(0).astype("int64").to_numpy()
    partners = partners.sort_values([own, "tiv", other], ascending=[True, False, True], kind="stable")
    for i in (1, 2, 3):
        names, shares = [], []
        for country, total in zip(table["country"], table["tiv_mn"]):
            mine_p = partners[partners[own] == country]
            if len(mine_p) >= i:
                names.append(mine_p[other].iloc[i - 1])
                shares.append(float(mine_p["tiv"].iloc[i - 1]) / total)
            else:
                names.append(None)
                shares.append(float("nan"))
        table[f"partner_{i}"] = pd.Series(names, index=table.index, dtype="object")
        table[f"partner_{i}_share"] = shares
    return table


_TOP_DOC = """

    Columns: ``rank`` (1.., by TIV descending, ties by name; states only, see :data:`COUNTING_RULE`),
    ``country``, ``tiv_mn`` (period), ``tiv_previous_mn`` (previous period of equal length),
    ``share`` and ``share_previous`` (of the world total of each period, all actors), ``change``
    (fraction; NaN where the previous period is 0), ``n_partners`` (number of counterpart states),
    ``partner_1..3`` and ``partner_1..3_share`` (main counterparts, any kind, share of the country's
    own total). ``n=None`` keeps every ranked state.
    """


def top_exporters(deliveries: pd.DataFrame, start: int, end: int, n: int | None = 25) -> pd.DataFrame:
    """The largest exporting states of ``start..end`` (fact sheet Table 1); ``n_partners``: states supplied."""
    return _top(deliveries, "supplier", start, end, n)


def top_importers(deliveries: pd.DataFrame, start: int, end: int, n: int | None = 25) -> pd.DataFrame:
    """The largest importing states of ``start..end`` (fact sheet Table 2); ``n_partners``: supplier states."""
    return _top(deliveries, "recipient", start, end, n)


top_exporters.__doc__ += _TOP_DOC
top_importers.__doc__ += _TOP_DOC


class Hhi(NamedTuple):
    """HHI on the 0-1 scale (``index``) and the 0-10,000 scale (``points``)."""

    index: float
    points: float


def hhi(shares) -> Hhi:
    """Herfindahl-Hirschman index of ``shares`` (fractions, :data:`HHI_RULE`).

    Shares must be non-negative and sum to 1 (within 1e-6); per-cent shares (summing to 100) are
    refused rather than guessed. An empty input gives NaN.
    """
    values = np.asarray(list(shares), dtype="float64")
    if values.size == 0:
        return Hhi(float("nan"), float("nan"))
    if np.isnan(values).any() or (values < 0).any():
        raise ValueError("shares must be non-negative numbers")
    if abs(values.sum() - 1.0) > 1e-6:
        raise ValueError(f"shares must be fractions summing to 1, not {values.sum():g}")
    index = float((values ** 2).sum())
    return Hhi(index, index * 10_000)


class Concentration(NamedTuple):
    """A recipient's suppliers in a period: ``table`` (supplier, tiv_mn, share), HHI, total."""

    recipient: str
    total_mn: float
    n_suppliers: int
    hhi: float
    hhi_points: float
    table: pd.DataFrame


def supplier_concentration(deliveries: pd.DataFrame, recipient: str, start: int, end: int) -> Concentration:
    """How concentrated ``recipient``'s suppliers are in ``start..end`` (:data:`HHI_RULE`).

    Suppliers with TIV > 0 in the period; NaN HHI where the recipient received nothing.
    """
    rows = in_period(deliveries, start, end)
    rows = rows[rows["recipient"] == recipient]
    by = rows.groupby("supplier")[TIV].sum()
    by = by[by > 0]
    table = pd.DataFrame({"supplier": by.index.astype(str), "tiv_mn": by.to_numpy(dtype=float)})
    table = table.sort_values(["tiv_mn", "supplier"], ascending=[False, True], kind="stable")
    table = table.reset_index(drop=True)
    total = float(table["tiv_mn"].sum())
    table["share"] = table["tiv_mn"] / total if total else float("nan")
    index = hhi(table["share"]) if total else Hhi(float("nan"), float("nan"))
    return Concentration(recipient, total, len(table), index.index, index.points, table)


def world_rank(deliveries: pd.DataFrame, country: str, direction: str, start: int,
               end: int) -> tuple[int | None, int, float]:
    """``(rank, of how many ranked states, share of world total)`` for ``country``'s exports or imports.

    Same ranking as :func:`top_exporters`/:func:`top_importers`. The rank is None where the country
    is not a state (its share of the world total is still given) or had no TIV in the period.
    """
    own = _column(direction)
    table = _top(deliveries, own, start, end, None)
    world = _total(deliveries, start, end)
    rows = in_period(deliveries, start, end)
    mine = float(rows.loc[rows[own] == country, TIV].sum())
    share = mine / world if world else float("nan")
    hit = table[table["country"] == country]
    rank = None if hit.empty else int(hit["rank"].iloc[0])
    return rank, len(table), share


class RegionalShares(NamedTuple):
    """``table``: region (or subregion), tiv_mn, share, tiv_previous_mn, share_previous, change.

    Recipients not in the region table are grouped under :data:`UNASSIGNED` in ``table`` and
    listed in ``missing`` (recipient, tiv_mn, tiv_previous_mn).
    """

    table: pd.DataFrame
    missing: pd.DataFrame


def regional_shares(deliveries: pd.DataFrame, regions: pd.DataFrame, start: int, end: int,
                    level: str = "region") -> RegionalShares:
    """Shares of world imports by region (or ``level="subregion"``) in the period and the previous one.

    ``regions`` has columns country, region, subregion (one row per country). Every delivery is
    counted (world total, all actors); recipients absent from ``regions`` go to :data:`UNASSIGNED`
    and are reported in ``missing``, never dropped. Rows sorted by share, then name.
    """
    if level not in ("region", "subregion"):
        raise ValueError(f"level must be 'region' or 'subregion', not {level!r}")
    missing_cols = {"country", "region", "subregion"} - set(regions.columns)
    if missing_cols:
        raise ValueError(f"regions lacks columns {sorted(missing_cols)}")
    dup = regions["country"][regions["country"].duplicated()]
    if not dup.empty:
        raise ValueError(f"regions lists countries more than once: {sorted(set(dup))}")
    mapping = dict(zip(regions["country"], regions[level]))
    p0, p1 = _previous(start, end)
    now = in_period(deliveries, start, end).groupby("recipient")[TIV].sum()
    before = in_period(deliveries, p0, p1).groupby("recipient")[TIV].sum()
    by = pd.DataFrame({"tiv_mn": now, "tiv_previous_mn": before}).fillna(0.0)
    group = pd.Series([mapping.get(c, UNASSIGNED) for c in by.index], index=by.index)
    missing = by[group == UNASSIGNED].rename_axis("recipient").reset_index()
    missing = missing.sort_values(["tiv_mn", "recipient"], ascending=[False, True], kind="stable")
    table = by.groupby(group.rename(level)).sum().reset_index()
    world, world_before = float(by["tiv_mn"].sum()), float(by["tiv_previous_mn"].sum())
    table["share"] = table["tiv_mn"] / world if world else float("nan")
    table["share_previous"] = table["tiv_previous_mn"] / world_before if world_before else float("nan")
    table["change"] = _change(table["tiv_mn"], table["tiv_previous_mn"])
    table = table.sort_values(["share", level], ascending=[False, True], kind="stable")
    cols = [level, "tiv_mn", "share", "tiv_previous_mn", "share_previous", "change"]
    return RegionalShares(table[cols].reset_index(drop=True), missing.reset_index(drop=True))


class AllocationEffect(NamedTuple):
    """Share of ``country`` as allocated, and its bounds (:data:`ALLOCATION_EFFECT_RULE`)."""

    share: float
    share_min: float
    share_max: float
    share_first_year: float
    share_last_year: float
    n_allocated_deals: int


def allocation_effect(deliveries: pd.DataFrame, country: str, direction: str, start: int,
                      end: int) -> AllocationEffect:
    """How much the classic register's allocation can move ``country``'s share of world exports/imports.

    ``deliveries`` must hold every delivery year of each deal (the whole register, not a period
    slice): a deal's TIV is the sum of its rows with ``is_tiv_allocated``. Rows not allocated
    stay in their years. ``share_first_year``/``share_last_year`` place every allocated deal in
    its first/last delivery year; ``share_min``/``share_max`` bound the share
    (:data:`ALLOCATION_EFFECT_RULE`). On a per-year register all five shares are equal.
    """
    own = _column(direction)
    fixed = deliveries[~deliveries["is_tiv_allocated"].astype(bool)]
    fixed = in_period(fixed, start, end)
    c_fixed = float(fixed.loc[fixed[own] == country, TIV].sum())
    o_fixed = float(fixed[TIV].sum()) - c_fixed
    alloc = deliveries[deliveries["is_tiv_allocated"].astype(bool)]
    deals = alloc.groupby("deal_key").agg(tiv=(TIV, "sum"), first=("delivery_year", "min"),
                                          last=("delivery_year", "max"), party=(own, "first"))
    inside = alloc.assign(_in=(alloc["delivery_year"] >= start) & (alloc["delivery_year"] <= end))
    any_in = inside.groupby("deal_key")["_in"].any().reindex(deals.index).fillna(False).astype(bool)
    first_in = (deals["first"] >= start) & (deals["first"] <= end)
    last_in = (deals["last"] >= start) & (deals["last"] <= end)
    t = deals["tiv"].astype(float)
    lo = t.where(first_in & last_in, 0.0)
    hi = t.where(first_in | last_in | any_in, 0.0)
    mine = (deals["party"] == country).to_numpy()

    def share(c: float, o: float) -> float:
        return c / (c + o) if (c + o) else float("nan")

    def placed(flag: pd.Series) -> float:
        v = t.where(flag, 0.0)
        return share(c_fixed + float(v[mine].sum()), o_fixed + float(v[~mine].sum()))

    now = in_period(alloc, start, end)
    c_now = float(now.loc[now[own] == country, TIV].sum())
    o_now = float(now[TIV].sum()) - c_now
    return AllocationEffect(
        share=share(c_fixed + c_now, o_fixed + o_now),
        share_min=share(c_fixed + float(lo[mine].sum()), o_fixed + float(hi[~mine].sum())),
        share_max=share(c_fixed + float(hi[mine].sum()), o_fixed + float(lo[~mine].sum())),
        share_first_year=placed(first_in),
        share_last_year=placed(last_in),
        n_allocated_deals=int(deals.index.size),
    )
