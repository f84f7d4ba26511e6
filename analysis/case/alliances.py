"""Alliance logic: who was a member when, and the cross-alliance supply screen.

Inputs are the curated tables (see analysis.sources.curated): ``spells`` (alliance_membership: alliance,
country, status, start_date, end_date; NaT end = ongoing) and ``conflicts`` (side_a, side_b, kind,
name, start_date, end_date). Dates are pandas Timestamps.

Year rule: a country counts as a member in a year, or a dyad as active in a year, when the
membership spell (status "member") or the conflict period overlaps any day of that calendar year.
"""
from __future__ import annotations

import pandas as pd

ACTIVE = "member"
FAR_FUTURE = pd.Timestamp("2262-01-01")

YEAR_RULE = (
    "A country counts as an alliance member in a year, and an adversary dyad as active in a year, "
    "when its membership spell (status 'member') or the dyad's period overlaps any part of that year."
)


def _ends(frame: pd.DataFrame) -> pd.Series:
    return frame["end_date"].fillna(FAR_FUTURE)


def membership_status(spells: pd.DataFrame, alliance: str, country: str, date) -> str | None:
    """Status of ``country`` in ``alliance`` on ``date`` ("member", "participation frozen", ...), or None."""
    date = pd.Timestamp(date)
    rows = spells[(spells["alliance"] == alliance) & (spells["country"] == country)]
    rows = rows[(rows["start_date"] <= date) & (_ends(rows) >= date)]
    return None if rows.empty else str(rows.iloc[-1]["status"])


def members_at(spells: pd.DataFrame, alliance: str, date) -> list[str]:
    """Countries whose status in ``alliance`` on ``date`` is "member" (sorted)."""
    date = pd.Timestamp(date)
    rows = spells[(spells["alliance"] == alliance) & (spells["status"] == ACTIVE)]
    rows = rows[(rows["start_date"] <= date) & (_ends(rows) >= date)]
    return sorted(set(rows["country"]))


def _member_spells(spells: pd.DataFrame, alliance: str) -> dict[str, list[tuple[int, int]]]:
    """Country -> (first, last) calendar years of each membership spell in ``alliance``.

    Plain Python over the (small) table: called for every country of an alliance, where a pandas
    filter per call would cost a millisecond each."""
    out: dict[str, list[tuple[int, int]]] = {}
    for a, country, status, s, e in zip(spells["alliance"], spells["country"], spells["status"],
                                         spells["start_date"], _ends(spells)):
        if a == alliance and status == ACTIVE:
            out.setdefault(country, []).append((s.year, e.year))
    return out


def _years(spans: list[tuple[int, int]], start: int, end: int) -> set[int]:
    years: set[int] = set()
    for first, last in spans:
        years.update(range(max(start, first), min(end, last) + 1))
    return years


def member_years(spells: pd.DataFrame, alliance: str, country: str, start: int, end: int) -> set[int]:
    """Years in ``start..end`` in which ``country`` was a member (year rule above)."""
    return _years(_member_spells(spells, alliance).get(country, []), start, end)


def members_in_period(spells: pd.DataFrame, alliance: str, start: int, end: int) -> list[str]:
    """Countries that were members in at least one year of ``start..end`` (sorted)."""
    spans = _member_spells(spells, alliance)
    countries = spells.loc[spells["alliance"] == alliance, "country"].unique()
    return sorted(c for c in countries if _years(spans.get(c, []), start, end))


def joint_membership(spells: pd.DataFrame, alliance: str, a: str, b: str) -> list[tuple[pd.Timestamp, pd.Timestamp | None]]:
    """Periods when both ``a`` and ``b`` were members of ``alliance`` (end None = ongoing)."""
    def spans(country):
        rows = spells[(spells["alliance"] == alliance) & (spells["country"] == country) & (spells["status"] == ACTIVE)]
        return list(zip(rows["start_date"], _ends(rows)))

    out = []
    for s1, e1 in spans(a):
        for s2, e2 in spans(b):
            s, e = max(s1, s2), min(e1, e2)
            if s <= e:
                out.append((s, None if e == FAR_FUTURE else e))
    return sorted(out)


def adversary_years(conflicts: pd.DataFrame, a: str, b: str, start: int, end: int) -> dict[int, list[str]]:
    """Years in ``start..end`` in which ``a`` and ``b`` were in a dyad or conflict, with its names."""
    pair = ((conflicts["side_a"] == a) & (conflicts["side_b"] == b)) | ((conflicts["side_a"] == b) & (conflicts["side_b"] == a))
    rows = conflicts[pair]
    years: dict[int, list[str]] = {}
    for name, s, e in zip(rows["name"], rows["start_date"], _ends(rows)):
        for y in range(max(start, s.year), min(end, e.year) + 1):
            years.setdefault(y, []).append(str(name))
    return years


def adversaries_of(conflicts: pd.DataFrame, country: str) -> list[str]:
    """Every country that appears in a dyad or conflict with ``country`` (sorted)."""
    a = conflicts.loc[conflicts["side_a"] == country, "side_b"]
    b = conflicts.loc[conflicts["side_b"] == country, "side_a"]
    return sorted(set(a) | set(b))


def cross_alliance_screen(deliveries: pd.DataFrame, spells: pd.DataFrame, conflicts: pd.DataFrame, *,
                          alliance: str, start: int, end: int,
                          reported: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every transfer from a member S to a country R in a year when R was in a dyad or conflict
    with another member A, and S and A were both members.

    Returns one row per (supplier, recipient, threatened member, evidence) with columns
    ``supplier, recipient, member_at_risk, evidence, years, tiv_mn, n_deals, items, conflicts``,
    registered cases ranked by TIV first, then reported ones (which carry no TIV).
    """
    members = members_in_period(spells, alliance, start, end)
    member_years_of = {m: member_years(spells, alliance, m, start, end) for m in members}
    rows = []
    registered = deliveries[deliveries["supplier"].isin(members)]
    registered = registered[(registered["delivery_year"] >= start) & (registered["delivery_year"] <= end)]
    for (s, r), group in registered.groupby(["supplier", "recipient"], sort=True):
        for a in adversaries_of(conflicts, r):
            if a in (s, r) or a not in member_years_of:
                continue
            hostile = adversary_years(conflicts, r, a, start, end)
            ok_years = {y for y in hostile if y in member_years_of[s] and y in member_years_of[a]}
            hit = group[group["delivery_year"].isin(ok_years)]
            if hit.empty:
                continue
            years = sorted(set(int(y) for y in hit["delivery_year"]))
            rows.append({
                "supplier": s, "recipient": r, "member_at_risk": a, "evidence": "registered",
                "years": span_text(years), "tiv_mn": float(hit["tiv_delivered_mn"].sum()),
                "n_deals": int(hit["deal_key"].nunique()),
                "items": item_list(hit["designation"]),
                "conflicts": "; ".join(sorted({n for y in years for n in hostile[y]})),
            })
    for row in _reported_cases(reported, members, member_years_of, conflicts, start, end):
        rows.append(row)
    cols = ["supplier", "recipient", "member_at_risk", "evidence", "years", "tiv_mn", "n_deals", "items", "conflicts"]
    out = pd.DataFrame(rows, columns=cols)
    out["_order"] = out["evidence"].map({"registered": 0, "reported": 1})
    out = out.sort_values(["_order", "tiv_mn", "supplier", "recipient", "member_at_risk"],
                          ascending=[True, False, True, True, True], kind="stable", na_position="last")
    return out.drop(columns="_order").reset_index(drop=True)


def _reported_cases(reported, members, member_years_of, conflicts, start, end):
    if reported is None or reported.empty:
        return
    rows = reported[reported["supplier"].isin(members)]
    for (s, r), group in rows.groupby(["supplier", "recipient"], sort=True):
        for a in adversaries_of(conflicts, r):
            if a in (s, r) or a not in member_years_of:
                continue
            hostile = adversary_years(conflicts, r, a, start, end)
            years = set()
            for ps, pe in zip(group["period_start_year"], group["period_end_year"]):
                if pd.isna(ps):
                    continue
                pe = ps if pd.isna(pe) else pe
                years |= {y for y in range(int(ps), int(pe) + 1)
                          if y in hostile and y in member_years_of[s] and y in member_years_of[a]}
            if not years:
                continue
            yield {
                "supplier": s, "recipient": r, "member_at_risk": a, "evidence": "reported",
                "years": span_text(sorted(years)), "tiv_mn": float("nan"),
                "n_deals": int(len(group)),
                "items": item_list(group["designation"]),
                "conflicts": "; ".join(sorted({n for y in years for n in hostile[y]})),
            }


def item_list(designations: pd.Series) -> str:
    """Distinct designations, sorted, ``;``-joined; unnamed items counted, not dropped."""
    named = sorted(set(designations.dropna().astype(str)) - {""})
    unnamed = int(designations.isna().sum() + (designations.astype(str) == "").sum())
    if unnamed:
        named.append(f"{plural(unnamed, 'item')} without a reported designation")
    return "; ".join(named)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``plural(1, "deal")`` -> "1 deal", ``plural(3, "deal")`` -> "3 deals"."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def year_runs(years) -> list[list[int]]:
    """``[2018, 2019, 2020, 2022]`` -> ``[[2018, 2019, 2020], [2022]]``: runs of consecutive years, sorted."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return runs


def span_text(years: list[int]) -> str:
    """``[2018, 2019, 2020, 2022]`` -> ``"2018–2020, 2022"``."""
    return ", ".join(str(p[0]) if len(p) == 1 else f"{p[0]}–{p[-1]}" for p in year_runs(years))


def coverage(alliances: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """What the alliance tables hold: per alliance its name, founding date, number of member states and
    the years its membership spells cover (``last_year`` NA while any member spell is ongoing)."""
    member = spells[spells["status"] == "member"]
    rows = []
    for alliance, name, founded in alliances[["alliance", "name", "founding_date"]].itertuples(index=False):
        own = member[member["alliance"] == alliance]
        ongoing = own["end_date"].isna().any()
        rows.append({"alliance": alliance, "name": name, "founding_date": founded,
                     "members": own["country"].nunique(),
                     "first_year": int(own["start_date"].min().year) if len(own) else pd.NA,
                     "last_year": pd.NA if ongoing or not len(own) else int(own["end_date"].max().year)})
    return pd.DataFrame(rows).astype({"first_year": "Int64", "last_year": "Int64"})
