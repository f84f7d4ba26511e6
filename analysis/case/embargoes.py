"""Multilateral arms embargoes: which were in force on a target, and which deliveries they may have covered.

Pure functions on the curated table ``data/case/embargoes.csv`` as loaded by
``analysis.sources.curated.load_table("embargoes")``: one row per embargo and target state, ``start_date`` at the
first day of its written precision, ``end_date`` at the last day (empty = in force at the source's date).

Deliveries are matched to embargoes by the exact canonical target name; an embargo on named or non-governmental
forces is still matched to deliveries registered to the state (SIPRI records most deliveries to governments), so
the brief must word it by ``embargo_target_scopes`` ("may have fallen under an embargo on UNITA"), never as a
breach.
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

__all__ = ["in_force", "mark_deliveries", "describe", "covers_whole_year", "MARK_COLUMNS"]

MARK_COLUMNS = ("embargo_ids", "embargo_binding", "embargo_partial_year", "embargo_target_scopes")
NAMED_FORCES = "named forces: "
_NEEDED = ("embargo_id", "imposed_by", "target", "target_scope", "binding", "start_date", "start_date_precision",
           "end_date", "end_date_precision")


def _check_columns(frame: pd.DataFrame, needed, what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; expected the columns of the curated table "
                         f"(analysis.sources.curated.load_table('embargoes'))")


def _check_years(start_year, end_year) -> tuple[int, int]:
    for name, value in (("start_year", start_year), ("end_year", end_year)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name}: expected a whole year such as 2018, got {value!r}")
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}; expected start_year <= end_year")
    return start_year, end_year


def _overlaps(embargoes: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """Rows whose [start_date, end_date] (open end = ongoing) meets [first, last]."""
    return (embargoes["start_date"] <= last) & (embargoes["end_date"].isna() | (embargoes["end_date"] >= first))


def in_force(embargoes: pd.DataFrame, target: str, start_year: int, end_year: int) -> pd.DataFrame:
    """Embargoes on ``target`` (canonical name) in force at any time in ``start_year``..``end_year`` (inclusive),
    sorted by start date; a fresh index, the table's columns."""
    _check_columns(embargoes, _NEEDED, "embargoes")
    start_year, end_year = _check_years(start_year, end_year)
    first, last = pd.Timestamp(start_year, 1, 1), pd.Timestamp(end_year, 12, 31)
    rows = embargoes[(embargoes["target"] == target) & _overlaps(embargoes, first, last)]
    return rows.sort_values(["start_date", "embargo_id"], kind="stable").reset_index(drop=True)


def _period_last_day(ts: pd.Timestamp, precision) -> pd.Timestamp:
    if precision == "month":
        return ts + pd.offsets.MonthEnd(0)
    if precision == "year":
        return ts + pd.offsets.YearEnd(0)
    return ts


def _period_first_day(ts: pd.Timestamp, precision) -> pd.Timestamp:
    if precision == "month":
        return pd.Timestamp(ts.year, ts.month, 1)
    if precision == "year":
        return pd.Timestamp(ts.year, 1, 1)
    return ts


def covers_whole_year(row: Mapping, year: int) -> bool:
    """True when the embargo is known to have been in force on every day of ``year``: it started no later than
    1 January (a start known only to the month or year counts from the last day of that month or year) and ended
    no earlier than 31 December (an end known only to the month or year counts from its first day)."""
    first, last = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    latest_start = _period_last_day(row["start_date"], row["start_date_precision"])
    if latest_start > first:
        return False
    end = row["end_date"]
    if pd.isna(end):
        return True
    return _period_first_day(end, row["end_date_precision"]) >= last


def mark_deliveries(deliveries: pd.DataFrame, embargoes: pd.DataFrame, *, recipient: str = "recipient",
                    year: str = "year") -> pd.DataFrame:
    """``deliveries`` (one row per recipient and delivery year) with four columns added, every row and the order
    kept:

    * ``embargo_ids``: the embargoes on the recipient that overlap the delivery year, ", "-joined in start order
      ("" when none);
    * ``embargo_binding``: "binding", "voluntary", "mixed" (both kinds) or "";
    * ``embargo_partial_year``: True when embargoes overlap the year but none is known to cover all of it (one
      began or ended inside the year, or its date is known only to the month or year), so the delivery *may* fall
      outside them: the brief says "may have fallen under";
    * ``embargo_target_scopes``: the distinct ``target_scope`` values of those embargoes, "; "-joined, so the brief
      can say an embargo covered only rebel forces.
    """
    _check_columns(embargoes, _NEEDED, "embargoes")
    for name, column in (("recipient", recipient), ("year", year)):
        if column not in deliveries.columns:
            raise ValueError(f"{name}={column!r}: no such column in deliveries; columns are {list(deliveries.columns)}")
    ordered = embargoes.sort_values(["start_date", "embargo_id"], kind="stable")
    by_target = {t: g for t, g in ordered.groupby("target", sort=False)}
    ids, binding, partial, scopes = [], [], [], []
    for who, when in zip(deliveries[recipient], deliveries[year]):
        group = by_target.get(who) if isinstance(who, str) else None
        if group is None or pd.isna(when):
            ids.append(""), binding.append(""), partial.append(False), scopes.append("")
            continue
        y = int(when)
        hits = group[_overlaps(group, pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 31))]
        ids.append(", ".join(dict.fromkeys(hits["embargo_id"])))
        kinds = set(hits["binding"])
        binding.append("" if not kinds else kinds.pop() if len(kinds) == 1 else "mixed")
        partial.append(bool(len(hits)) and not any(covers_whole_year(r, y) for _, r in hits.iterrows()))
        scopes.append("; ".join(dict.fromkeys(hits["target_scope"])))
    out = deliveries.copy()
    out["embargo_ids"] = pd.Series(ids, index=out.index, dtype="str")
    out["embargo_binding"] = pd.Series(binding, index=out.index, dtype="str")
    out["embargo_partial_year"] = pd.Series(partial, index=out.index, dtype=bool)
    out["embargo_target_scopes"] = pd.Series(scopes, index=out.index, dtype="str")
    return out


def _format_date(value, precision) -> str:
    ts = pd.Timestamp(value)
    if precision == "year":
        return f"{ts.year}"
    if precision == "month":
        return f"{ts:%B} {ts.year}"
    return f"{ts.day} {ts:%B} {ts.year}"


def _format_iso(text) -> str:
    """'2012-10-02' -> '2 October 2012', '2001-10' -> 'October 2001', '2006' -> '2006'."""
    precision = {10: "day", 7: "month", 4: "year"}.get(len(text))
    if precision is None:
        raise ValueError(f"source_date: expected an ISO date YYYY-MM-DD, YYYY-MM or YYYY, got {text!r}")
    return _format_date(text if precision == "day" else text + ("-01" if precision == "month" else "-01-01"),
                        precision)


def _whom(row: Mapping) -> str:
    scope, target = row["target_scope"], row["target"]
    if scope.startswith(NAMED_FORCES):
        return scope[len(NAMED_FORCES):]
    return {"whole state": target, "government forces": f"the government forces of {target}",
            "non-governmental forces": f"non-governmental forces in {target}"}.get(scope, f"{target} ({scope})")


def describe(row: Mapping) -> str:
    """One plain sentence for the brief, e.g. "OSCE (voluntary) embargo on arms deliveries to forces engaged in
    combat in the Nagorno-Karabakh area, from 28 February 1992 (in force as of 2 October 2012)"; an ended embargo
    reads "..., from 4 November 1977 to 25 May 1994". Dates are written to their precision."""
    text = (f"{row['imposed_by']} ({row['binding']}) embargo on arms deliveries to {_whom(row)}, "
            f"from {_format_date(row['start_date'], row['start_date_precision'])}")
    if not pd.isna(row["end_date"]):
        return text + f" to {_format_date(row['end_date'], row['end_date_precision'])}"
    source_date = row.get("source_date")
    if isinstance(source_date, str) and source_date.strip():
        return text + f" (in force as of {_format_iso(source_date.strip())})"
    return text + " (in force according to an undated source)"
