"""Sentences generated from computed results: key judgements and "what to watch".

Every sentence here is built from a figure in a ``Case``; change the data and the text changes.
Nothing states a number, share, rank or verdict that was not computed.
"""
from __future__ import annotations

import math

from analysis.case.alliances import span_text, plural
from analysis.case.claims import NOT_CHECKABLE, SUPPORTED

NEEDS_REGISTER = "needs a full SIPRI register (TRANSFERS=path)"


def tiv(x: float) -> str:
    """TIV in millions as the briefs print it."""
    return f"{x:,.1f} mn TIV"


def pct(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def period(case) -> str:
    p = case.params
    return f"{p.start_year}–{p.end_year}" if p.start_year != p.end_year else str(p.start_year)


def supplied_sentence(case) -> str:
    p = case.params
    if not case.is_pair_covered:
        return (f"The embedded data does not cover {p.supplier} → {p.recipient}; whether SIPRI registers "
                f"deliveries in {period(case)} {NEEDS_REGISTER}.")
    if not case.has_registered:
        return f"The SIPRI register records no deliveries from {p.supplier} to {p.recipient} in {period(case)}."
    years = sorted({int(y) for ys in case.pair_deals["years_in_period"] for y in str(ys).split("; ")})
    n_years = p.end_year - p.start_year + 1
    items = ", ".join(case.pair_deals["designation"].astype(str))
    return (f"The SIPRI register records {plural(len(case.pair_deals), 'deal')} from {p.supplier} to {p.recipient} "
            f"with deliveries in {period(case)} ({items}), worth {tiv(case.pair_tiv_mn)}; deliveries fall in "
            f"{span_text(years)}, {len(years)} of the period's {n_years} years.")


def change_sentence(case) -> str:
    p = case.params
    a, b = p.previous_period
    before, now = case.pair_previous_tiv_mn, case.pair_tiv_mn
    if not case.is_pair_covered:
        return ""
    if before == 0 and now == 0:
        return f"Nothing was registered in the previous period ({a}–{b}) either."
    if before == 0:
        return f"In the previous period of equal length ({a}–{b}) the register records no deliveries."
    ratio = now / before
    return (f"That is {ratio:.1f} times the {tiv(before)} of the previous period ({a}–{b})."
            if ratio >= 1 else
            f"That is {1 - ratio:.0%} less than the {tiv(before)} of the previous period ({a}–{b}).")


def weight_sentence(case) -> str:
    p = case.params
    if not case.has_registered:
        return ""
    parts = []
    if case.share_of_imports is not None:
        rank = case.imports.row(p.supplier)
        rank_text = (f", rank {int(rank['rank'])} of {int(case.imports.table['rank'].notna().sum())} suppliers"
                     if case.is_full and rank is not None else "")
        basis = "" if case.is_full else " (against SIPRI's published total)"
        parts.append(f"{p.supplier} supplied {pct(case.share_of_imports)} of {p.recipient}'s registered arms "
                     f"imports in {period(case)}{basis}{rank_text}")
    else:
        parts.append(f"{p.supplier}'s share of {p.recipient}'s imports {NEEDS_REGISTER}")
    if case.share_of_exports is not None:
        rank = case.exports.row(p.recipient)
        rank_text = (f" ({p.recipient} ranks {int(rank['rank'])} of {int(case.exports.table['rank'].notna().sum())} "
                     f"recipients)" if case.is_full and rank is not None else "")
        parts.append(f"{p.recipient} took {pct(case.share_of_exports)} of {p.supplier}'s registered arms "
                     f"exports{rank_text}")
    else:
        parts.append(f"{p.recipient}'s share of {p.supplier}'s exports {NEEDS_REGISTER}")
    return "; ".join(parts) + "."


def ally_sentence(case) -> str:
    p = case.params
    if not p.ally:
        return ""
    if case.ally_deals.empty:
        ally_text = f"the register records no deliveries from {p.supplier} to {p.ally}"
    else:
        ally_text = f"{p.supplier} delivered {tiv(case.ally_tiv_mn)} to {p.ally}"
    comparison = f", against {tiv(case.pair_tiv_mn)} to {p.recipient}" if case.pair_tiv_mn > 0 else ""
    return f"In the same period {ally_text}{comparison}."


def members_sentence(case) -> str:
    p = case.params
    if not p.alliance:
        return ""
    others = case.member_supply[case.member_supply["to_recipient_mn"] > 0]
    if others.empty:
        return (f"No other {p.alliance} member has registered deliveries to {p.recipient} in {period(case)}"
                + ("" if case.is_full else " in the embedded data") + ".")
    listed = ", ".join(f"{m} ({tiv(t)})" for m, t in zip(others["member"], others["to_recipient_mn"]))
    return f"Other {p.alliance} members with registered deliveries to {p.recipient} in {period(case)}: {listed}."


def reported_sentence(case) -> str:
    p = case.params
    if case.reported.empty:
        return ""
    kinds = ", ".join(sorted(set(case.reported["evidence"].astype(str))))
    n = len(case.reported)
    return (f"Beyond the register, {plural(n, 'item')} supplied by {p.supplier} to {p.recipient} "
            f"{'is' if n == 1 else 'are'} reported ({kinds}): reported, not registered, so without TIV.")


def claims_sentence(case) -> str:
    checks = case.claim_checks
    checkable = checks[checks["verdict"] != NOT_CHECKABLE]
    if checkable.empty:
        return ""
    counts = checkable["verdict"].value_counts()
    parts = [f"{n} {v}" for v, n in sorted(counts.items(), key=lambda kv: (kv[0] != SUPPORTED, kv[0]))]
    return f"Of {len(checkable)} public claims checkable against the register: {', '.join(parts)}."


def key_judgements(case) -> list[str]:
    """3-6 bullets, each generated from the computed results."""
    first = " ".join(s for s in (supplied_sentence(case), change_sentence(case)) if s)
    candidates = [first, weight_sentence(case), ally_sentence(case), members_sentence(case),
                  reported_sentence(case), claims_sentence(case)]
    return [s for s in candidates if s][:6]


def what_to_watch(case) -> list[str]:
    """Forward-looking points drawn from the data: open orders and the latest deliveries."""
    p = case.params
    points = []
    if not case.open_orders.empty:
        items = ", ".join(f"{d} (ordered {int(y)})" if y == y else str(d)
                          for d, y in zip(case.open_orders["designation"], case.open_orders["order_year"]))
        points.append(f"Open orders from {p.supplier} for {p.recipient} in the register: {items}.")
    else:
        points.append(f"The register shows no open orders from {p.supplier} for {p.recipient}"
                      + ("" if case.register.format == "classic" else
                         " (this register format lists delivered deals only: open orders need the classic register)")
                      + ".")
    deals = case.register.deals
    pair = deals[(deals["supplier"] == p.supplier) & (deals["recipient"] == p.recipient)]
    last = pair["last_delivery_year"].dropna()
    if not last.empty:
        points.append(f"The latest registered delivery from {p.supplier} to {p.recipient} is from "
                      f"{int(last.max())} (data vintage {case.register.vintage}).")
    if not case.reported.empty:
        points.append("Reported items not in the register may enter it in later SIPRI vintages: compare the "
                      "next release against the reported list.")
    return points
