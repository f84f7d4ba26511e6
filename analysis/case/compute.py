"""Everything a bilateral brief states, computed once from the data.

``compute_case(params)`` loads the transfers and the curated tables and returns a ``Case``;
the text (analysis.report.sentences) and the brief sections (analysis.report.brief) only read from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.case import alliances, claims, context, embargoes, tiv
from analysis.case.params import BriefParams
from analysis.sources.transfers import is_full_register, load_transfers

# How far around the period the political timeline reaches: the founding case's framing events
# (Armenia's 2024 freeze of its CSTO participation) come two years after its 2018-2022 period.
TIMELINE_MARGIN_YEARS = 2


@dataclass
class Case:
    """Computed figures of one brief. Registered and reported evidence stay in separate fields."""

    params: BriefParams
    register: object
    is_full: bool
    is_pair_covered: bool
    pair_deals: pd.DataFrame
    pair_by_year: pd.Series
    pair_tiv_mn: float
    pair_previous_tiv_mn: float
    imports: tiv.Ranking
    exports: tiv.Ranking
    share_of_imports: float | None
    share_of_exports: float | None
    imports_total_mn: float | None
    exports_total_mn: float | None
    ally_deals: pd.DataFrame
    ally_tiv_mn: float
    ally_by_year: pd.Series
    members: list[str]
    member_supply: pd.DataFrame
    reported: pd.DataFrame
    screen: pd.DataFrame
    claim_checks: pd.DataFrame
    events: pd.DataFrame
    spells: pd.DataFrame
    open_orders: pd.DataFrame
    # the world around the case (analysis.case.context)
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)          # UCDP conflicts of the case's states
    embargoes: pd.DataFrame = field(default_factory=pd.DataFrame)          # embargoes on them in the period
    under_embargo: pd.DataFrame = field(default_factory=pd.DataFrame)      # supplier's deliveries under one
    revisions: object = None                        # analysis.case.revisions.Revisions with compare_with
    curated_conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)  # curated dyads and episodes
    memberships: pd.DataFrame = field(default_factory=pd.DataFrame)        # alliance spells of the case's states
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame)           # curated + derived events
    shifts: dict = field(default_factory=dict)      # country -> supplier shares per five-year period
    world: dict = field(default_factory=dict)       # world ranks and supplier concentration (full register)
    conflict_source: str = ""
    # the case packs whose events, claims and reported transfers the brief uses (analysis.sources.packs)
    packs: list = field(default_factory=list)
    tables: dict = field(repr=False, default_factory=dict)

    @property
    def has_registered(self) -> bool:
        return not self.pair_deals.empty


def load_case_tables(params: BriefParams | None = None, packs: list | None = None) -> dict[str, pd.DataFrame]:
    """The curated tables a brief uses, validated (see analysis.sources.curated).

    Shared reference tables come from ``data/case/``; ``events``, ``claims`` and ``reported_transfers``
    from case packs (analysis.sources.packs): ``packs`` when given, else the packs ``params`` selects
    (its ``case``, else the matching rule), else every pack on the search path (the alliance screen).
    ``tables["packs"]`` is the list of packs used."""
    from analysis.sources import packs as case_packs
    from analysis.sources.curated import load_table

    from analysis.sources.ucdp import select_conflicts

    names = ["alliances", "alliance_membership", "conflicts", "embargoes", "tiv_totals"]
    tables = {name: load_table(name) for name in names}
    from analysis.sources.atop import alliance_tables  # + the ATOP alliances where the user provided ATOP's file

    tables["alliances"], tables["alliance_membership"] = alliance_tables(tables["alliances"],
                                                                         tables["alliance_membership"])
    if packs is None:
        packs = (case_packs.select_packs(params.supplier, params.recipient, params.start_year, params.end_year,
                                         params.case) if params is not None else case_packs.discover())
    tables.update(case_packs.load_pack_tables(packs))
    tables["packs"] = list(packs)
    tables["ucdp"] = select_conflicts(getattr(params, "conflicts", "") if params is not None else "")
    return tables


def _revisions(register, params: BriefParams):
    """The case's figures in the register given with ``compare_with`` (None without one)."""
    if not params.compare_with:
        return None
    from analysis.case import revisions
    from analysis.sources.sipri import load_register

    return revisions.compare(register, load_register(params.compare_with), supplier=params.supplier,
                             recipient=params.recipient, ally=params.ally, start=params.start_year,
                             end=params.end_year)


def _under_embargo(deliveries, embargo_table, supplier: str, recipients: list[str], start: int, end: int):
    """The supplier's registered deliveries to ``recipients`` by recipient and year, in years an embargo on the
    recipient was in force (analysis.case.embargoes.mark_deliveries; partial years flagged)."""
    rows = tiv.in_period(deliveries, start, end)
    rows = rows[(rows["supplier"] == supplier) & rows["recipient"].isin(recipients)]
    by = (rows.groupby(["recipient", "delivery_year"])
          .agg(tiv_mn=("tiv_delivered_mn", "sum"), items=("designation", alliances.item_list)).reset_index()
          .rename(columns={"delivery_year": "year"}))
    marked = embargoes.mark_deliveries(by, embargo_table)
    return marked[marked["embargo_ids"] != ""].reset_index(drop=True)


def _world(deliveries, s: str, r: str, start: int, end: int) -> dict:
    """World ranks of the supplier (exports) and recipient (imports) and the recipient's supplier HHI."""
    from analysis.case import trends

    return {"supplier": trends.world_rank(deliveries, s, "exports", start, end),
            "recipient": trends.world_rank(deliveries, r, "imports", start, end),
            "concentration": trends.supplier_concentration(deliveries, r, start, end)}


def _member_supply(deliveries, spells, *, alliance, members, recipient, ally, start, end) -> pd.DataFrame:
    """TIV each alliance member delivered to the recipient and to the ally while a member."""
    rows = []
    in_period = tiv.in_period(deliveries, start, end)
    in_period = in_period[in_period["supplier"].isin(members)]  # once, not once per member
    for m in members:
        years = alliances.member_years(spells, alliance, m, start, end)
        d = in_period[(in_period["supplier"] == m) & in_period["delivery_year"].isin(years)]
        to_r = float(d.loc[d["recipient"] == recipient, "tiv_delivered_mn"].sum())
        to_a = float(d.loc[d["recipient"] == ally, "tiv_delivered_mn"].sum()) if ally else float("nan")
        rows.append({"member": m, "to_recipient_mn": to_r, "to_ally_mn": to_a})
    out = pd.DataFrame(rows, columns=["member", "to_recipient_mn", "to_ally_mn"])
    return out.sort_values(["to_recipient_mn", "member"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _reported_for(reported: pd.DataFrame, supplier: str, recipient: str, start: int, end: int) -> pd.DataFrame:
    rows = reported[(reported["supplier"] == supplier) & (reported["recipient"] == recipient)]
    ends = rows["period_end_year"].fillna(rows["period_start_year"])
    keep = rows["period_start_year"].isna() | ((rows["period_start_year"] <= end) & (ends >= start))
    return rows[keep].sort_values(["period_start_year", "designation"], kind="stable").reset_index(drop=True)


def compute_case(params: BriefParams, register=None, tables: dict | None = None) -> Case:
    """Compute every figure of a bilateral brief (pass ``register``/``tables`` to reuse loaded data)."""
    register = register if register is not None else load_transfers(params.transfers)
    tables = tables if tables is not None else load_case_tables(params)
    deals, deliveries = register.deals, register.deliveries
    s, r, a, al = params.supplier, params.recipient, params.ally, params.alliance
    start, end = params.start_year, params.end_year
    pstart, pend = params.previous_period
    full = is_full_register(register)
    covered = full or bool(((deals["supplier"] == s) & (deals["recipient"] == r)).any())

    imports = tiv.ranking(deliveries, country=r, direction="imports", start=start, end=end, is_complete=full)
    exports = tiv.ranking(deliveries, country=s, direction="exports", start=start, end=end, is_complete=full)
    pair_tiv = float(tiv.pair_by_year(deliveries, s, r, start, end).sum())
    if full:
        imports_total, exports_total = imports.total_mn, exports.total_mn
    else:  # SIPRI's own published totals, where the curated TIV table has them
        totals = tables["tiv_totals"]
        imports_total = tiv.published_total(totals, country=r, direction="imports", start=start, end=end)
        exports_total = tiv.published_total(totals, country=s, direction="exports", start=start, end=end)

    spells = tables["alliance_membership"]
    members = alliances.members_in_period(spells, al, start, end) if al else []
    others = [m for m in members if m not in (s, r, a)]
    events = tables["events"]
    ev_years = events["event_date"].dt.year
    wstart, wend = start - TIMELINE_MARGIN_YEARS, end + TIMELINE_MARGIN_YEARS
    events = events[(ev_years >= wstart) & (ev_years <= wend)]
    states = params.states
    ucdp = tables["ucdp"]
    found = context.conflicts_of(ucdp, states, start, end)
    memberships = context.memberships_of(tables["alliance_membership"], tables["alliances"], states, start, end)
    embargo_table = tables["embargoes"]
    timeline = context.merge_events(
        events, context.conflict_events(context.conflicts_of(ucdp, states, wstart, wend), ucdp),
        context.alliance_events(tables["alliance_membership"], tables["alliances"], states, wstart, wend),
        context.embargo_events(embargo_table, states, wstart, wend))
    screen_conflicts = adversary_relation(tables)
    last_year = int(deliveries["delivery_year"].max()) if len(deliveries) else end
    periods = context.shift_periods(context.shift_last_year(last_year, end))
    shifts = ({c: context.supplier_shifts(deliveries, c, periods) for c in (r, a) if c} if full else {})

    relevant = claims.relevant_claims(tables["claims"], supplier=s, recipient=r, ally=a, alliance=al)
    return Case(
        params=params, register=register, is_full=full, is_pair_covered=covered,
        pair_deals=tiv.deals_in_period(deals, deliveries, supplier=s, recipient=r, start=start, end=end),
        pair_by_year=tiv.pair_by_year(deliveries, s, r, start, end),
        pair_tiv_mn=pair_tiv,
        pair_previous_tiv_mn=float(tiv.pair_by_year(deliveries, s, r, pstart, pend).sum()),
        imports=imports, exports=exports,
        share_of_imports=tiv.share_of_total(pair_tiv, imports_total),
        share_of_exports=tiv.share_of_total(pair_tiv, exports_total),
        imports_total_mn=imports_total, exports_total_mn=exports_total,
        ally_deals=(tiv.deals_in_period(deals, deliveries, supplier=s, recipient=a, start=start, end=end)
                    if a else deals.iloc[0:0]),
        ally_tiv_mn=float(tiv.pair_by_year(deliveries, s, a, start, end).sum()) if a else float("nan"),
        ally_by_year=(tiv.pair_by_year(deliveries, s, a, start, end) if a
                      else pd.Series(0.0, index=range(start, end + 1))),
        members=members,
        member_supply=_member_supply(deliveries, spells, alliance=al, members=others, recipient=r, ally=a,
                                     start=start, end=end),
        reported=_reported_for(tables["reported_transfers"], s, r, start, end),
        screen=(alliances.cross_alliance_screen(deliveries, spells, screen_conflicts, alliance=al,
                                                start=start, end=end, reported=tables["reported_transfers"])
                if al else pd.DataFrame()),
        claim_checks=claims.check_claims(relevant, deliveries, spells, tables["reported_transfers"]),
        events=events.sort_values("event_date", kind="stable").reset_index(drop=True),
        spells=spells[spells["alliance"] == al] if al else spells.iloc[0:0],
        open_orders=tiv.open_orders(deals, supplier=s, recipient=r, since=start - 10),
        conflicts=found,
        embargoes=pd.concat([embargoes.in_force(embargo_table, c, start, end) for c in states], ignore_index=True),
        under_embargo=_under_embargo(deliveries, embargo_table, s, [x for x in (r, a) if x], start, end),
        curated_conflicts=context.curated_conflicts_of(tables["conflicts"], states, start, end),
        memberships=memberships, timeline=timeline, shifts=shifts,
        world=_world(deliveries, s, r, start, end) if full else {},
        revisions=_revisions(register, params),
        conflict_source=context.ucdp_source_label(ucdp),
        packs=list(tables.get("packs", [])),
        tables=tables,
    )


def adversary_relation(tables: dict) -> pd.DataFrame:
    """Who counts as an adversary in the alliance screens: curated dyads and episodes plus UCDP state pairs
    (analysis.case.context.screen_conflicts), from the tables of :func:`load_case_tables`."""
    return context.screen_conflicts(tables["conflicts"], _dyads(tables["ucdp"]), tables["ucdp"])


_DYADS: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}  # id -> (frame kept alive, its dyads)


def _dyads(ucdp: pd.DataFrame) -> pd.DataFrame:
    """UCDP state pairs of a loaded conflict frame (computed once per frame object)."""
    from analysis.sources.ucdp import state_dyads

    if id(ucdp) not in _DYADS:
        _DYADS.clear()
        _DYADS[id(ucdp)] = (ucdp, state_dyads(ucdp))
    return _DYADS[id(ucdp)][1]


#: Where a brief's key figures travel: the metadata of the title cell's HTML output, under this key.
KEY_FIGURES = "armsbrief_key_figures"


def key_figures(case: Case) -> dict:
    """The brief's headline figures as plain JSON values (NaN as None), for the batch index page."""
    def number(value):
        if value is None:
            return None
        value = float(value)
        return None if value != value else value  # NaN -> None

    verdicts = case.claim_checks["verdict"].value_counts() if len(case.claim_checks) else {}
    return {
        "pair_tiv_mn": number(case.pair_tiv_mn),
        "share_of_imports": number(case.share_of_imports),
        "imports_total_mn": number(case.imports_total_mn),
        "verdicts": {str(k): int(v) for k, v in dict(verdicts).items()},
        "reported": int(len(case.reported)),
        "is_full": bool(case.is_full),
        "is_pair_covered": bool(case.is_pair_covered),
        "vintage": str(case.register.vintage),
    }


def key_figures_of_notebook(path) -> dict | None:
    """The key figures an executed brief notebook carries (see :data:`KEY_FIGURES`), else None."""
    import json

    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            found = (output.get("metadata") or {}).get("text/html", {}).get(KEY_FIGURES)
            if found is not None:
                return found
    return None
