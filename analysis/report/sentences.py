"""Sentences generated from computed results: key judgements and "what to watch".

Every sentence here is built from a figure in a ``Case``; change the data and the text changes.
Nothing states a number, share, rank or verdict that was not computed.
"""
from __future__ import annotations

import math
import re

from analysis.case.alliances import span_text, plural
from analysis.case.claims import NOT_CHECKABLE, SUPPORTED

NEEDS_REGISTER = "needs a full SIPRI register (TRANSFERS=path)"


def vintage_text(vintage: str) -> str:
    """"data generated 2025-03-13", or says plainly that the register's release is unknown."""
    return f"data generated {vintage}" if vintage else "release unknown (the file has no 'Data generated' line)"


def tiv(x: float) -> str:
    """TIV in millions as the briefs print it."""
    return f"{x:,.1f} mn TIV"


# Country names that take the definite article in running text ("the United States", "the Philippines").
_WITH_ARTICLE = {"Bahamas", "Comoros", "Czech Republic", "Gambia", "Maldives", "Netherlands", "Philippines",
                 "Seychelles", "Soviet Union", "UAE", "United Arab Emirates", "Holy See"}
_WITH_ARTICLE_PATTERN = re.compile(r"^(United |.* (Islands|Republic|Emirates)$)")


def the(name: str, *, cap: bool = False) -> str:
    """A country name as running text writes it: ``the("United States")`` -> "the United States";
    ``cap=True`` at the start of a sentence ("The United States")."""
    name = str(name)
    if name in _WITH_ARTICLE or (_WITH_ARTICLE_PATTERN.match(name) and name != "United Nations"):
        return ("The " if cap else "the ") + name
    return name


def poss(name: str, *, cap: bool = False) -> str:
    """The possessive. Names plural in form take an apostrophe alone ("the United States'", "the
    Philippines'", "the Solomon Islands'"); every other name takes 's ("Belarus's", "the UAE's")."""
    text = the(name, cap=cap)
    plural_form = text != name and text.endswith("s")
    return text + ("'" if plural_form else "'s")


def pct(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def period(case) -> str:
    p = case.params
    return f"{p.start_year}–{p.end_year}" if p.start_year != p.end_year else str(p.start_year)


def supplied_sentence(case) -> str:
    p = case.params
    if not case.is_pair_covered:
        return (f"The embedded data does not cover {the(p.supplier)} → {the(p.recipient)}; whether SIPRI registers "
                f"deliveries in {period(case)} {NEEDS_REGISTER}.")
    if not case.has_registered:
        return f"The SIPRI register records no deliveries from {the(p.supplier)} to {the(p.recipient)} in {period(case)}."
    years = sorted({int(y) for ys in case.pair_deals["years_in_period"] for y in str(ys).split("; ")})
    n_years = p.end_year - p.start_year + 1
    return (f"The SIPRI register records {plural(len(case.pair_deals), 'deal')} from {the(p.supplier)} to "
            f"{the(p.recipient)} with deliveries in {period(case)}, worth {tiv(case.pair_tiv_mn)}{largest_items(case.pair_deals)}; "
            f"deliveries fall in {span_text(years)}, {len(years)} of the period's {n_years} years.")


#: How many deals a sentence names; the table of deals lists all of them.
NAMED_ITEMS = 3


def largest_items(deals) -> str:
    """", the largest: Polonez (12.0 mn TIV) and ..." for the deals with the most TIV in the period
    (``deals`` sorted by TIV, as analysis.case.tiv.deals_in_period returns them); "" for one deal named
    alone when it is the only one."""
    named = deals.head(NAMED_ITEMS)
    parts = [f"{d} ({tiv(t)})" for d, t in zip(named["designation"].astype(str), named["tiv_in_period_mn"])]
    if len(deals) == 1:
        return f" ({parts[0].split(' (')[0]})"
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"; the largest: {listed}" if len(deals) > len(parts) else f": {listed}"


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
        parts.append(f"{the(p.supplier, cap=True)} supplied {pct(case.share_of_imports)} of {poss(p.recipient)} registered arms "
                     f"imports in {period(case)}{basis}{rank_text}")
    else:
        parts.append(f"{poss(p.supplier, cap=True)} share of {poss(p.recipient)} imports {NEEDS_REGISTER}")
    if case.share_of_exports is not None:
        rank = case.exports.row(p.recipient)
        rank_text = (f" ({the(p.recipient)} ranks {int(rank['rank'])} of {int(case.exports.table['rank'].notna().sum())} "
                     f"recipients)" if case.is_full and rank is not None else "")
        parts.append(f"{the(p.recipient)} took {pct(case.share_of_exports)} of {poss(p.supplier)} registered arms "
                     f"exports{rank_text}")
    else:
        parts.append(f"{poss(p.recipient)} share of {poss(p.supplier)} exports {NEEDS_REGISTER}")
    return "; ".join(parts) + "."


def ally_sentence(case) -> str:
    p = case.params
    if not p.ally:
        return ""
    if case.ally_deals.empty:
        ally_text = f"the register records no deliveries from {the(p.supplier)} to {the(p.ally)}"
    else:
        ally_text = f"{the(p.supplier)} delivered {tiv(case.ally_tiv_mn)} to {the(p.ally)}"
    comparison = f", against {tiv(case.pair_tiv_mn)} to {the(p.recipient)}" if case.pair_tiv_mn > 0 else ""
    return f"In the same period {ally_text}{comparison}."


def members_sentence(case) -> str:
    p = case.params
    if not p.alliance:
        return ""
    others = case.member_supply[case.member_supply["to_recipient_mn"] > 0]
    if others.empty:
        return (f"No other {p.alliance} member has registered deliveries to {the(p.recipient)} in {period(case)}"
                + ("" if case.is_full else " in the embedded data") + ".")
    listed = ", ".join(f"{m} ({tiv(t)})" for m, t in zip(others["member"], others["to_recipient_mn"]))
    return f"Other {p.alliance} members with registered deliveries to {the(p.recipient)} in {period(case)}: {listed}."


def reported_sentence(case) -> str:
    p = case.params
    if case.reported.empty:
        return ""
    kinds = ", ".join(sorted(set(case.reported["evidence"].astype(str))))
    n = len(case.reported)
    return (f"Beyond the register, {plural(n, 'item')} supplied by {the(p.supplier)} to {the(p.recipient)} "
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
    """3-8 bullets, each generated from the computed results."""
    first = " ".join(s for s in (supplied_sentence(case), change_sentence(case)) if s)
    under = embargo_sentence(case) if not case.under_embargo.empty else ""
    revised = revision_sentence(case) if case.revisions is not None and case.revisions.headline_changed else ""
    candidates = [first, revised, weight_sentence(case), ally_sentence(case), members_sentence(case), under,
                  reported_sentence(case), claims_sentence(case)]
    return [s for s in candidates if s][:8]


def what_to_watch(case) -> list[str]:
    """Forward-looking points drawn from the data: open orders and the latest deliveries."""
    p = case.params
    points = []
    if not case.open_orders.empty:
        items = ", ".join(f"{d} (ordered {int(y)})" if y == y else str(d)
                          for d, y in zip(case.open_orders["designation"], case.open_orders["order_year"]))
        points.append(f"Open orders from {the(p.supplier)} for {the(p.recipient)} in the register: {items}.")
    else:
        points.append(f"The register shows no open orders from {the(p.supplier)} for {the(p.recipient)}"
                      + ("" if case.register.format == "classic" else
                         " (this register format lists delivered deals only: open orders need the classic register)")
                      + ".")
    deals = case.register.deals
    pair = deals[(deals["supplier"] == p.supplier) & (deals["recipient"] == p.recipient)]
    last = pair["last_delivery_year"].dropna()
    if not last.empty:
        points.append(f"The latest registered delivery from {the(p.supplier)} to {the(p.recipient)} is from "
                      f"{int(last.max())} ({vintage_text(case.register.vintage)}).")
    if not case.reported.empty:
        points.append("Reported items not in the register may enter it in later SIPRI vintages: compare the "
                      "next release against the reported list.")
    return points


def _states(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def states_text(case) -> str:
    """"Belarus, Azerbaijan and Armenia": the brief's states as running text."""
    return _states([the(x) for x in case.params.states])


def memberships_sentence(case, exclude: str | None = None) -> str:
    """Which alliances the supplier, recipient and ally belonged to in the period."""
    p = case.params
    m = case.memberships
    if exclude:
        m = m[m["alliance"] != exclude]
    states = p.states
    other = " other" if exclude else ""
    if m.empty:
        return (f"The alliance tables hold no{other} alliance membership of {states_text(case)} "
                f"in {period(case)}.")
    parts = []
    for state in states:
        own = sorted(set(m.loc[m["country"] == state, "alliance"]))
        parts.append(f"{the(state, cap=not parts)} in {_states(own)}" if own else
                     f"{the(state, cap=not parts)} in none{other}")
    return f"{'Other alliances' if exclude else 'Alliances'} in {period(case)} (from the alliance tables): " \
           + "; ".join(parts) + "."


def conflicts_sentence(case) -> str:
    """The UCDP conflicts of the case's states in the period, in one or two sentences."""
    p = case.params
    c = case.conflicts
    states = p.states
    if c.empty:
        return (f"UCDP records no armed conflict (25 or more battle-related deaths in a year) with "
                f"{states_text(case)} as a party in {period(case)}.")
    primary = c[c["role"].str.contains("primary")]
    text = []
    for state in states:
        own = primary[primary["country"] == state]
        if own.empty:
            continue
        items = [f"against {r.opponents} in {r.years}" + (f" (war intensity in {r.war_years})" if r.war_years else "")
                 for r in own.itertuples(index=False)]
        text.append(f"{the(state, cap=True)} fought {_states(items)}.")
    secondary = c[~c["role"].str.contains("primary")]
    if not secondary.empty:
        n = secondary["conflict_id"].nunique()
        names = sorted(set(secondary["country"]), key=states.index)
        text.append(f"{_states([the(x, cap=i == 0) for i, x in enumerate(names)])} "
                    f"{'was' if len(names) == 1 else 'were'} a secondary party (troops in support of a side) "
                    f"in {plural(n, 'conflict')}.")
    return f"UCDP records {plural(c['conflict_id'].nunique(), 'armed conflict')} of these states in {period(case)}. " \
           + " ".join(text)


def shift_sentence(case, country: str) -> str:
    """Who replaced whom among ``country``'s suppliers between the last two five-year periods."""
    from analysis.case.context import biggest_shift

    table = case.shifts[country]
    shift = biggest_shift(table)
    if shift is None:
        return f"{the(country, cap=True)} has registered imports in fewer than two of the periods compared."
    lead_b, lead_a = shift["leader_before"], shift["leader_after"]
    leader = (f"{the(lead_a, cap=True)} stayed {poss(country)} largest supplier" if lead_a == lead_b else
              f"{the(lead_a, cap=True)} replaced {the(lead_b)} as {poss(country)} largest supplier")
    return (f"{leader} between {shift['from']} and {shift['to']}: {the(shift['riser'])} rose from "
            f"{pct(shift['riser_before'])} to {pct(shift['riser_after'])} of its imports, {the(shift['faller'])} "
            f"fell from {pct(shift['faller_before'])} to {pct(shift['faller_after'])}.")


def _rank_text(rank, of: int) -> str:
    return f"not ranked among {of} states" if rank is None else f"ranked {rank} of {of}"


def world_sentence(case) -> str:
    """World ranks of the supplier and recipient and the concentration of the recipient's suppliers."""
    p = case.params
    w = case.world
    if not w:
        return f"World ranks {NEEDS_REGISTER}."
    (srank, sof, sshare), (rrank, rof, rshare) = w["supplier"], w["recipient"]
    conc = w["concentration"]
    hhi = ("" if conc.n_suppliers == 0 else
           f" {poss(p.recipient, cap=True)} {plural(conc.n_suppliers, 'supplier')} had a Herfindahl-Hirschman index "
           f"of {conc.hhi_points:,.0f} on a 0–10,000 scale (10,000: a single supplier; the rule is in the "
           f"methodology)")
    return (f"In the world, {the(p.supplier)} was {_rank_text(srank, sof)} arms exporters in {period(case)} "
            f"({pct(sshare)} of the world total) and {the(p.recipient)} {_rank_text(rrank, rof)} importers "
            f"({pct(rshare)}).{hhi}" + ("." if hhi else ""))


def embargo_sentence(case) -> str:
    """Embargoes on the case's states in the period, and the supplier's deliveries that fell under one."""
    p = case.params
    e = case.embargoes
    states = p.states
    if e.empty:
        return (f"The embargo table holds no multilateral arms embargo (UN, EU, OSCE) on "
                f"{states_text(case)} in force in {period(case)}.")
    kinds = ", ".join(f"{n} {k}" for k, n in e["binding"].value_counts().sort_index().items())
    text = (f"{plural(len(e), 'multilateral arms embargo', 'multilateral arms embargoes')} on "
            f"{_states([the(x) for x in sorted(set(e['target']), key=states.index)])} "
            f"{'was' if len(e) == 1 else 'were'} in force in {period(case)} ({kinds}).")
    u = case.under_embargo
    if u.empty:
        return text + f" No registered delivery from {the(p.supplier)} fell in a year one covered its recipient."
    partial = bool(u["embargo_partial_year"].all())
    names = {i: f"{b} {k} embargo" for i, b, k in zip(e["embargo_id"], e["imposed_by"], e["binding"])}
    which = sorted({names.get(i.strip(), i.strip()) for ids in u["embargo_ids"] for i in ids.split(",")})
    scopes = sorted({x.strip().removeprefix("named forces: ") for sc in u["embargo_target_scopes"]
                     for x in sc.split(";") if x.strip() and x.strip() != "whole state"})
    if scopes:
        which[-1] += f", which covers {_states(scopes)}"
    return (text + f" {the(p.supplier, cap=True)} delivered {tiv(float(u['tiv_mn'].sum()))} in years when an embargo "
            f"on the recipient was in force ({', '.join(f'{r} {y}' for r, y in zip(u['recipient'], u['year']))}: "
            f"{_states(which)})"
            + (": in each of these years the embargo began or ended within the year, so the deliveries may "
               "have fallen outside it." if partial else "."))


def revision_sentence(case) -> str:
    """How the headline figure moved between the two SIPRI releases, and why (deal classes)."""
    rev = case.revisions
    if rev is None:
        return ""
    p = case.params
    h = rev.headline
    moved = rev.reasons
    counts = moved["class"].value_counts()
    why = ", ".join(f"{plural(int(n), 'deal')} {c}" for c, n in counts.items())
    if not rev.headline_changed:
        head = (f"{poss(p.supplier, cap=True)} registered deliveries to {the(p.recipient)} in {period(case)} are "
                f"{tiv(float(h['new']))} in both the release of {rev.old_vintage} and that of {rev.new_vintage}")
    else:
        head = (f"Between SIPRI's releases of {rev.old_vintage} and {rev.new_vintage}, {poss(p.supplier)} registered "
                f"deliveries to {the(p.recipient)} in {period(case)} moved from {tiv(float(h['old']))} to "
                f"{tiv(float(h['new']))} ({float(h['delta']):+,.1f})")
    tail = (" One release is a classic register with allocated yearly values, so part of the difference is "
            "allocation, not revision." if rev.mixes_formats and rev.headline_changed else "")
    return head + (f"; revised deals: {why}." if why else "; no deal of the case was revised.") + tail
