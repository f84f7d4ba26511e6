"""The sections of an alliance-screen brief: every cross-alliance supply case in an alliance."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from IPython.display import HTML

from analysis import __version__
from analysis.case import alliances
from analysis.report import charts
from analysis.report import fragments as rh
from analysis.report.brief import ORIGIN_LABELS, join, screen_table, sources_text
from analysis.case import context
from analysis.case.compute import adversary_relation, load_case_tables
from analysis.case.context import date_text
from analysis.report.sentences import tiv, vintage_text
from analysis.case.params import ScreenParams, check_period_in_data, check_screen_parameters
from analysis.sources.transfers import is_full_register, load_transfers


@dataclass
class Screen:
    params: ScreenParams
    register: object
    is_full: bool
    members: list[str]
    cases: pd.DataFrame
    spells: pd.DataFrame
    conflicts: pd.DataFrame
    conflict_source: str = ""

    @property
    def period(self) -> str:
        return f"{self.params.start_year}–{self.params.end_year}"

    @property
    def source(self) -> str:
        kind = "full register export" if self.is_full else "curated rows restated in data/case/"
        return f"SIPRI Arms Transfers Database, {vintage_text(self.register.vintage)} ({kind})"


def build(alliance, start_year, end_year, transfers) -> Screen:
    """Check the parameters, load the data and run the screen."""
    params = check_screen_parameters(alliance, start_year, end_year, transfers)
    register = load_transfers(params.transfers)
    check_period_in_data(params.start_year, params.end_year, register)
    tables = load_case_tables()
    spells = tables["alliance_membership"]
    spells = spells[spells["alliance"] == params.alliance]
    relation = adversary_relation(tables)
    cases = alliances.cross_alliance_screen(register.deliveries, spells, relation, alliance=params.alliance,
                                            start=params.start_year, end=params.end_year,
                                            reported=tables["reported_transfers"])
    members = alliances.members_in_period(spells, params.alliance, params.start_year, params.end_year)
    # the adversary relations the screen could use: a member on one side, overlapping the period
    ends = relation["end_date"].dt.year.fillna(9999)
    used = relation[(relation["side_a"].isin(members) | relation["side_b"].isin(members))
                    & (relation["start_date"].dt.year <= params.end_year) & (ends >= params.start_year)]
    return Screen(params, register, is_full_register(register), members, cases, spells,
                  used.sort_values(["start_date", "side_a", "side_b"], kind="stable").reset_index(drop=True),
                  conflict_source=context.ucdp_source_label(tables["ucdp"]))


def judgements(s: Screen) -> list[str]:
    """Sentences generated from the screen's results."""
    p = s.params
    reg = s.cases[s.cases["evidence"] == "registered"]
    rep = s.cases[s.cases["evidence"] == "reported"]
    out = [f"{len(s.members)} countries were {p.alliance} members at some point in {s.period}: {', '.join(s.members)}."]
    if reg.empty:
        out.append(f"The screen finds no registered transfers from a {p.alliance} member to an adversary of "
                   f"another member in {s.period}" + ("" if s.is_full else " in the embedded data") + ".")
    else:
        top = reg.iloc[0]
        out.append(f"{alliances.plural(len(reg), 'registered cross-alliance supply case')}, {tiv(float(reg['tiv_mn'].sum()))} in all; "
                   f"the largest: {top['supplier']} → {top['recipient']} ({tiv(float(top['tiv_mn']))}, {top['years']}) "
                   f"while {top['recipient']} was in conflict with member {top['member_at_risk']}.")
        suppliers = sorted(set(reg["supplier"]))
        out.append(f"Members that supplied an adversary of a fellow member: {', '.join(suppliers)}.")
    if not rep.empty:
        out.append(f"{alliances.plural(len(rep), 'further case')} resting only on reported (non-register) evidence: "
                   + "; ".join(f"{a} → {b}" for a, b in zip(rep["supplier"], rep["recipient"])) + ".")
    if not s.is_full:
        out.append("Built on the embedded case data (curated pairs only): run with a full SIPRI export "
                   "(TRANSFERS=path) for a complete screen.")
    return out


def title(s: Screen) -> HTML:
    p = s.params
    return rh.title_block(f"{p.alliance}: cross-alliance supply screen",
                          f"Members that armed a country in conflict with another member, {s.period}",
                          [("Alliance", p.alliance), ("Period", s.period), ("Transfer data", s.source)])


def key_judgements(s: Screen) -> HTML:
    return join(rh.section("Key judgements"), rh.bullets(judgements(s), css_class="key-judgements"))


def cases(s: Screen) -> HTML:
    p = s.params
    parts = [rh.section("Cases", "Ranked by registered TIV; reported cases follow and carry no TIV.")]
    reg = s.cases[s.cases["evidence"] == "registered"]
    if not reg.empty:
        shares = reg.assign(pair=reg["supplier"] + " → " + reg["recipient"]).groupby("pair")["tiv_mn"].sum()
        parts.append(rh.figure(charts.share_bars(shares / shares.sum(), title="Share of screened TIV by case"),
                               caption=f"Registered cross-alliance supply in the {p.alliance}, {s.period}, by case",
                               source=s.source))
    parts.append(screen_table(s.cases, p.alliance, s.period, s.source))
    return join(*parts)


def membership(s: Screen) -> HTML:
    p = s.params
    first = int(s.spells["start_date"].dt.year.min()) if len(s.spells) else p.start_year
    last = int(s.spells["end_date"].dt.year.max()) if s.spells["end_date"].notna().all() and len(s.spells) else None
    c = s.conflicts
    table = pd.DataFrame({
        "Sides": c["side_a"] + " – " + c["side_b"], "Kind": c["kind"], "Name": c["name"],
        "From": [date_text(d, q) for d, q in zip(c["start_date"], c["start_date_precision"])],
        "To": [date_text(d, q) or "ongoing" for d, q in zip(c["end_date"], c["end_date_precision"])],
        "Evidence": c["origin"].map(ORIGIN_LABELS),
        "Source": c["source_publisher"].fillna("")})
    return join(rh.section("Membership and conflicts"),
                rh.figure(charts.membership_timeline(s.spells, start=pd.Timestamp(min(first, p.start_year), 1, 1),
                                                     end=pd.Timestamp(max(p.end_year, last or 2025), 12, 31)),
                          caption=f"Membership of the {p.alliance} over time", source=sources_text(s.spells)),
                rh.table(table, caption=f"Adversary relations of {p.alliance} members used by the screen, {s.period}",
                         source=f"data/case/conflicts.csv (curated, sources per row); {s.conflict_source} (derived)",
                         notes=[context.INTENSITY_RULE, context.ROLE_RULE],
                         empty_text=f"No adversary relation of a {p.alliance} member overlaps {s.period}."))


def methodology(s: Screen) -> HTML:
    return join(rh.section("Methodology and sources"), rh.bullets([
        "The screen lists every transfer from a member S to a country R delivered in a year when R was in an "
        "adversary dyad or conflict with another member A, and S and A were both members that year.",
        f"Adversaries: the curated dyads and episodes (data/case/conflicts.csv) and every pair of states on "
        f"opposite sides of a conflict in {s.conflict_source} in that year (primary or secondary parties). "
        + context.INTENSITY_RULE,
        alliances.YEAR_RULE,
        "SIPRI TIV measure the volume of major conventional arms transferred, not their financial value.",
        "Registered (SIPRI) and reported (press, officials, leaked documents) transfers are kept apart.",
    ]))


def colophon(s: Screen) -> HTML:
    from analysis.sources.sidecars import describe_datasets

    files = [(d["name"], d.get("date_published", ""), d["sha256"]) for d in describe_datasets()]
    if s.is_full:
        files.insert(0, (rh.data_file_name(s.register.source), s.register.vintage or "unknown", s.register.sha256))
    return rh.colophon(s.params.as_dict(), files, __version__)
