"""The sections of a bilateral brief, each one call from the notebook.

Every function takes a computed ``Case`` (analysis.case.compute) and returns one displayable HTML
fragment (analysis.report.fragments); text comes from analysis.report.sentences, charts from analysis.report.charts.
"""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from analysis import __version__
from analysis.report import charts, sentences
from analysis.report.sentences import poss, the, vintage_text
from analysis.report import fragments as rh
from analysis.case.alliances import YEAR_RULE
from analysis.case import context
from analysis.case.context import date_text
from analysis.case.alliances import plural
from analysis.case.compute import KEY_FIGURES, TIMELINE_MARGIN_YEARS, Case, compute_case, key_figures
from analysis.case.claims import SUPPORTED_YEAR_SHARE
from analysis.case.params import check_brief_parameters, check_period_in_data
from analysis.sources.transfers import load_transfers, selection_notes

TIV_COL = "TIV (mn)"


def join(*fragments) -> HTML:
    """One displayable fragment from several (None and empty ones are skipped)."""
    return HTML("".join(f.data for f in fragments if f is not None and f.data))


def sipri_source(case: Case) -> str:
    reg = case.register
    kind = "full register export" if case.is_full else "curated rows restated in data/case/"
    return f"SIPRI Arms Transfers Database, {vintage_text(reg.vintage)} ({kind})"


def build(supplier, recipient, ally, alliance, start_year, end_year, transfers, case="", conflicts="",
          compare_with="") -> Case:
    """Check the parameters, then compute the case (the notebook's first call); ``case``: a case pack's
    name, or "" for the packs that match (analysis.sources.packs); ``conflicts``: a UCDP CSV ("" = a file in
    data/raw/ucdp/, else the embedded extract); ``compare_with``: a second SIPRI register to compare."""
    params = check_brief_parameters(supplier, recipient, ally, alliance, start_year, end_year, transfers, case,
                                    conflicts, compare_with)
    register = load_transfers(params.transfers)
    check_period_in_data(params.start_year, params.end_year, register)
    return compute_case(params, register=register)


def title(case: Case) -> HTML:
    p = case.params
    facts = [("Case", f"{p.supplier} → {p.recipient}"),
             ("Period", sentences.period(case))]
    if p.ally or p.alliance:
        facts.append(("Ally / alliance", " / ".join(x for x in (p.ally, p.alliance) if x)))
    facts.append(("Transfer data", sipri_source(case)))
    subtitle = f"Arms transfers from {the(p.supplier)} to {the(p.recipient)}, {sentences.period(case)}"
    if p.ally:
        subtitle += f", set against {poss(p.supplier)} supply to its ally {the(p.ally)}"
    block = rh.title_block(f"{p.supplier} → {p.recipient}: arms-transfer brief", subtitle, facts)
    # The headline figures ride along in the output's metadata (not shown): the batch index reads them
    # from the executed notebook instead of computing the case again.
    return HTML(block.data, metadata={KEY_FIGURES: key_figures(case)})


def key_judgements(case: Case) -> HTML:
    notes = [rh.callout(note) for note in case.params.notes]
    return join(rh.section("Key judgements"), *notes,
                rh.bullets(sentences.key_judgements(case), css_class="key-judgements"))


def _deals_table(deals: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame({
        "Weapon": deals["designation"], "Description": deals["description"],
        "Order year": deals["order_year"], "Delivery years in period": deals["years_in_period"],
        "Number delivered (deal)": deals["number_delivered"], TIV_COL: deals["tiv_in_period_mn"],
        "Evidence": "registered", "SIPRI deal id": deals["deal_id"],
        "Comments": deals["comments"].fillna(""),
    })
    # The classic register assigns no deal ids: the column is shown only where SIPRI gave one.
    return table if deals["deal_id"].notna().any() else table.drop(columns="SIPRI deal id")


def _reported_table(reported: pd.DataFrame) -> pd.DataFrame:
    years = reported["period_start_year"].astype("Int64").astype(str).replace("<NA>", "")
    ends = reported["period_end_year"].astype("Int64").astype(str).replace("<NA>", "")
    return pd.DataFrame({
        "Item": reported["designation"], "Description": reported["description"],
        "Quantity": reported["quantity"], "Years": [a if a == b or not b else f"{a}–{b}" for a, b in zip(years, ends)],
        "Evidence": "reported", "Kind of source": reported["evidence"], "Confidence": reported["confidence"],
        "Source": reported["source_publisher"] + ", " + reported["source_title"] + " (" + reported["source_date"].astype(str) + ")",
    })


def what_was_supplied(case: Case) -> HTML:
    p = case.params
    parts = [rh.section("What was supplied", sentences.supplied_sentence(case))]
    parts.append(rh.table(_deals_table(case.pair_deals), caption=f"Deals registered by SIPRI with deliveries from "
                          f"{the(p.supplier)} to {the(p.recipient)}, {sentences.period(case)}", source=sipri_source(case),
                          formats={TIV_COL: "{:,.1f}"}, evidence_column="Evidence",
                          notes="TIV counts only deliveries within the period.",
                          empty_text=sentences.supplied_sentence(case)))
    parts.append(rh.table(_reported_table(case.reported), caption=f"Transfers from {the(p.supplier)} to {the(p.recipient)} "
                          f"reported by the press, officials or leaked documents but not in the SIPRI register",
                          source=f"as given per row ({_pack_text(case, 'reported_transfers')})", evidence_column="Evidence",
                          notes="Reported items are a different kind of evidence: they carry no TIV and are never "
                                "added to registered totals.",
                          empty_text=f"No reported (non-register) transfers from {the(p.supplier)} to {the(p.recipient)} "
                                     f"in {sentences.period(case)} are in the curated data."))
    return join(*parts)


def how_much_it_mattered(case: Case) -> HTML:
    p = case.params
    deliveries = case.register.deliveries
    from analysis.case.tiv import by_counterpart_year

    imports_by_year = by_counterpart_year(deliveries, country=p.recipient, direction="imports",
                                          start=p.start_year, end=p.end_year)
    scope = "" if case.is_full else " (only the pairs curated in the embedded data)"
    parts = [rh.section("How much it mattered", sentences.weight_sentence(case) or None)]
    parts.append(rh.figure(charts.deliveries_by_year(imports_by_year, highlight=p.supplier,
                                                     title=f"Registered arms imports of {the(p.recipient)} by supplier"),
                           caption=f"Deliveries to {the(p.recipient)} by year and supplier{scope}, {the(p.supplier)} highlighted",
                           source=sipri_source(case)))
    if case.is_full:
        shares = case.imports.table.set_index("counterpart")["share"]
        parts.append(rh.figure(charts.share_bars(shares[shares > 0], highlight=p.supplier,
                                                 title=f"Suppliers' shares of {poss(p.recipient)} imports"),
                               caption=f"Shares of {poss(p.recipient)} registered arms imports, {sentences.period(case)}",
                               source=sipri_source(case)))
        exp = case.exports.table.set_index("counterpart")["share"]
        parts.append(rh.figure(charts.share_bars(exp[exp > 0], highlight=p.recipient,
                                                 title=f"Recipients' shares of {poss(p.supplier)} exports"),
                               caption=f"Shares of {poss(p.supplier)} registered arms exports, {sentences.period(case)}",
                               source=sipri_source(case)))
        parts.append(rh.paragraph(sentences.world_sentence(case)))
        parts.append(rh.table(_ranking_table(case.imports), caption=f"{poss(p.recipient, cap=True)} suppliers ranked by TIV, "
                              f"{sentences.period(case)}, with the previous period", source=sipri_source(case),
                              formats={"TIV (mn)": "{:,.1f}", "Share": "{:.1%}", "Previous period (mn)": "{:,.1f}",
                                       "Change (mn)": "{:+,.1f}"},
                              empty_text=f"No registered imports of {the(p.recipient)} in this period."))
    else:
        parts.append(rh.callout(
            "Shares are computed against SIPRI's own published yearly totals (data/case/tiv_totals.csv) where "
            "they are available; ranks among all suppliers or recipients "
            f"{sentences.NEEDS_REGISTER}.", kind="caveat"))
    return join(*parts)


def _ranking_table(r) -> pd.DataFrame:
    t = r.table
    return pd.DataFrame({"Rank": t["rank"], "Supplier" if r.direction == "imports" else "Recipient": t["counterpart"],
                         "TIV (mn)": t["tiv_mn"], "Share": t["share"], "Previous period (mn)": t["tiv_previous_mn"],
                         "Change (mn)": t["change_mn"]})


def alliance_context(case: Case) -> HTML:
    p = case.params
    if not p.alliance:
        return join(rh.section("Alliance context", sentences.memberships_sentence(case)),
                    _memberships_table(case),
                    rh.paragraph("No alliance was given for this brief, so no alliance is screened; give one "
                                 "with ALLIANCE= or --alliance (the command armsbrief alliances lists those the "
                                 "data holds)."))
    parts = [rh.section("Alliance context", sentences.members_sentence(case))]
    if not case.spells.empty:
        highlight = [c for c in (p.supplier, p.ally, p.recipient) if c]
        parts.append(rh.figure(charts.membership_timeline(case.spells, highlight=highlight,
                                                          start=pd.Timestamp(min(1992, p.start_year), 1, 1),
                                                          end=pd.Timestamp(max(p.end_year, 2025), 12, 31)),
                               caption=f"Membership of the {p.alliance} over time; the brief's period is "
                                       f"{sentences.period(case)}",
                               source=sources_text(case.spells)))
    if p.ally:
        parts.append(rh.paragraph(sentences.ally_sentence(case)))
    supply = case.member_supply.rename(columns={"member": f"{p.alliance} member",
                                                "to_recipient_mn": f"To {the(p.recipient)} (mn TIV)",
                                                "to_ally_mn": f"To {the(p.ally)} (mn TIV)" if p.ally else "To ally"})
    if not p.ally:
        supply = supply.drop(columns="To ally")
    own = pd.DataFrame([{supply.columns[0]: f"{the(p.supplier, cap=True)} (the supplier)",
                         supply.columns[1]: case.pair_tiv_mn,
                         **({supply.columns[2]: case.ally_tiv_mn} if p.ally else {})}])
    table = pd.concat([own, supply], ignore_index=True)
    parts.append(rh.table(table, caption=f"What {p.alliance} members delivered to {the(p.recipient)}"
                          + (f" and to {the(p.ally)}" if p.ally else "") + f", {sentences.period(case)} (registered, "
                          "while members)", source=sipri_source(case),
                          formats={c: "{:,.1f}" for c in table.columns[1:]}))
    parts.append(screen_table(case.screen, p.alliance, sentences.period(case), sipri_source(case)))
    others = case.memberships[case.memberships["alliance"] != p.alliance]
    if not others.empty:
        parts.append(rh.paragraph(sentences.memberships_sentence(case, exclude=p.alliance)))
        parts.append(_memberships_table(case, exclude=p.alliance))
    return join(*parts)


def _memberships_table(case: Case, exclude: str | None = None):
    m = case.memberships
    if exclude:
        m = m[m["alliance"] != exclude]
    table = pd.DataFrame({"State": m["country"], "Alliance": m["alliance"] + " (" + m["name"] + ")",
                          "Status": m["status"], "Years in period": m["years"], "Since": m["since"],
                          "Until": m["until"].where(m["until"] != "", "—") + m["end_reason"].map(
                              lambda r: f" ({r})" if r else ""),
                          "Source": m["source"]})
    return rh.table(table, caption=f"Alliances of the states in this brief, {sentences.period(case)}",
                    source="data/case/alliance_membership.csv (sources per row)",
                    empty_text=sentences.memberships_sentence(case, exclude=exclude))


def screen_table(screen: pd.DataFrame, alliance: str, period_text: str, source: str):
    table = pd.DataFrame({
        "Supplier (member)": screen.get("supplier"), "Recipient": screen.get("recipient"),
        "Member in dyad/conflict with recipient": screen.get("member_at_risk"), "Evidence": screen.get("evidence"),
        "Years": screen.get("years"), "TIV (mn)": screen.get("tiv_mn"), "Deals/items": screen.get("n_deals"),
        "Items": screen.get("items"),
    })
    return rh.table(table, caption=f"Cross-alliance supply screen, {alliance}, {period_text}: transfers from a "
                    "member to a country in a dyad or conflict with another member", source=f"{source}; "
                    "membership and conflicts from data/case/", formats={"TIV (mn)": "{:,.1f}"},
                    evidence_column="Evidence", notes=YEAR_RULE,
                    empty_text=f"The screen finds no cross-alliance supply cases in the {alliance} in {period_text}.")


def sources_text(frame: pd.DataFrame) -> str:
    pubs = sorted(set(frame["source_publisher"].dropna().astype(str)))
    return "; ".join(pubs) if pubs else "see data/case/"


def _event_dates(ev: pd.DataFrame) -> pd.Series:
    """Dates printed only as precisely as they are known (day, month or year)."""
    return pd.Series([date_text(d, p) for d, p in zip(ev["event_date"], ev["event_date_precision"])],
                     index=ev.index, dtype=object)


def conflicts_and_embargoes(case: Case) -> HTML:
    """Armed conflicts of the supplier, recipient and ally in the period (UCDP; curated dyads and episodes
    labelled as curated)."""
    p = case.params
    c = case.conflicts
    parts = [rh.section("Conflicts and embargoes", sentences.conflicts_sentence(case))]
    if not c.empty:
        table = pd.DataFrame({"State": c["country"], "Conflict (UCDP id)": c["conflict"] + " (" +
                              c["conflict_id"].astype(str) + ")", "Type": c["type"], "Role": c["role"],
                              "Against": c["opponents"], "Active years in period": c["years"],
                              "Years at war intensity": c["war_years"].where(c["war_years"] != "", "—")})
        parts.append(rh.table(table, caption=f"Armed conflicts of {sentences.states_text(case)} in {sentences.period(case)}",
                              source=f"{case.conflict_source}, CC BY 4.0 (citation in the methodology)",
                              notes=[context.INTENSITY_RULE, context.ROLE_RULE]))
    cur = case.curated_conflicts
    if not cur.empty:
        table = pd.DataFrame({"Sides": cur["side_a"] + " – " + cur["side_b"], "Kind": cur["kind"],
                              "Name": cur["name"], "From": [date_text(d, q) for d, q in
                                                            zip(cur["start_date"], cur["start_date_precision"])],
                              "To": [date_text(d, q) or "ongoing" for d, q in
                                     zip(cur["end_date"], cur["end_date_precision"])],
                              "Evidence": "curated", "Source": cur["source_publisher"] + " (" +
                              cur["source_date"].fillna("").astype(str) + ")"})
        parts.append(rh.table(table, caption="Curated dyads and episodes: hostile relations and clashes the "
                              "UCDP threshold (25 battle-related deaths a year) may not capture",
                              source="data/case/conflicts.csv (sources per row)"))
    parts.append(rh.paragraph(sentences.embargo_sentence(case)))
    e = case.embargoes
    if not e.empty:
        from analysis.case.embargoes import describe

        table = pd.DataFrame({"Target": e["target"], "Embargo": [describe(r) for _, r in e.iterrows()],
                              "Kind": e["binding"], "Instrument": e["instrument"],
                              "Source": e["source_publisher"] + e["source_date"].fillna("").astype(str).map(
                                  lambda d: f" ({d})" if d else " (undated)")})
        parts.append(rh.table(table, caption=f"Multilateral arms embargoes on {sentences.states_text(case)} in force in "
                              f"{sentences.period(case)}", source="data/case/embargoes.csv (sources per row; "
                              "SIPRI's arms embargo pages are the reference)"))
    u = case.under_embargo
    if not u.empty:
        table = pd.DataFrame({"Recipient": u["recipient"], "Year": u["year"], TIV_COL: u["tiv_mn"],
                              "Items": u["items"], "Embargo in force": u["embargo_ids"],
                              "Kind": u["embargo_binding"],
                              "Whole year?": u["embargo_partial_year"].map({True: "part of the year", False: "yes"}),
                              "Embargo covers": u["embargo_target_scopes"]})
        parts.append(rh.table(table, caption=f"Registered deliveries from {the(p.supplier)} in years an embargo on "
                              "the recipient was in force", source=f"{sipri_source(case)}; data/case/embargoes.csv",
                              formats={TIV_COL: "{:,.1f}"},
                              notes="SIPRI dates deliveries by year only: where an embargo began or ended within "
                                    "the year, the delivery may have fallen outside it. An embargo on named forces "
                                    "covers those forces, not necessarily the recipient's government."))
    return join(*parts)


def supplier_shifts(case: Case) -> HTML:
    """How the recipient's and the ally's suppliers shifted over consecutive five-year periods."""
    p = case.params
    if not case.shifts:
        return join(rh.section("Supplier shifts"),
                    rh.paragraph(f"Shares of each state's suppliers over five-year periods {sentences.NEEDS_REGISTER}."))
    parts = [rh.section("Supplier shifts", " ".join(sentences.shift_sentence(case, c) for c in case.shifts))]
    for country, table in case.shifts.items():
        totals = table.attrs.get("totals", {})
        shown = table.reset_index().rename(columns={"supplier": "Supplier"})
        parts.append(rh.table(shown, caption=f"{poss(country, cap=True)} suppliers' shares of its registered arms "
                              "imports by five-year period", source=sipri_source(case),
                              formats={c: "{:.0%}" for c in table.columns},
                              notes=["Total imports (mn TIV): " + "; ".join(f"{k}: {v:,.1f}" for k, v in totals.items()),
                                     f"Suppliers among the {context.SHIFT_TOP} largest in any period; the rest "
                                     "summed as Others. The last period ends in the latest delivery year in the data, "
                                     f"or {context.SHIFT_HORIZON_YEARS} years after the brief's period if that is earlier."]))
    return join(*parts)


def revisions(case: Case) -> HTML:
    """Revisions between SIPRI vintages: the case's figures in the brief's register and in the one given with
    ``compare_with``, and the deals behind each difference. Nothing (no section) without ``compare_with``."""
    rev = case.revisions
    if rev is None:
        return HTML("")
    brief_v, other_v = (rev.old_vintage, rev.new_vintage) if rev.brief_is_old else (rev.new_vintage, rev.old_vintage)
    parts = [rh.section("Revisions between SIPRI vintages", sentences.revision_sentence(case))]
    f = rev.figures

    def shown(values, signed=False):
        out = []
        for v, is_share in zip(values, f["figure"].str.contains("share")):
            if pd.isna(v):
                out.append("–")
            elif is_share:
                out.append(f"{v * 100:+.1f} points" if signed else f"{v:.1%}")
            else:
                out.append(f"{v:+,.1f}" if signed else f"{v:,.1f}")
        return out

    table = pd.DataFrame({"Figure": f["figure"], f"Release of {rev.old_vintage}": shown(f["old"]),
                          f"Release of {rev.new_vintage}": shown(f["new"]), "Change": shown(f["delta"], True)})
    parts.append(rh.table(table, caption=f"The brief's figures in two SIPRI releases (this brief uses the "
                          f"release of {brief_v})", source=f"SIPRI Arms Transfers Database, releases of "
                          f"{rev.old_vintage} and {rev.new_vintage}"))
    r = rev.reasons
    reasons = pd.DataFrame({"Class": r["class"], "Recipient": r["recipient"],
                            "Designation (old → new)": [_old_new(a, b) for a, b in
                                                        zip(r["designation_old"], r["designation_new"])],
                            "Order year": r["order_year"], "TIV old (mn)": r["tiv_delivered_old_mn"],
                            "TIV new (mn)": r["tiv_delivered_new_mn"], "Change (mn)": r["delta_mn"],
                            "What changed": r["changes"]})
    from analysis.sources.vintages import CLASS_RULE, MATCHING_RULE
    parts.append(rh.table(reasons, caption="Deals of the case that SIPRI revised between the two releases",
                          source=f"deal-level comparison (armsbrief vintages diff) of the releases of "
                                 f"{rev.old_vintage} and {rev.new_vintage}",
                          formats={"TIV old (mn)": "{:,.1f}", "TIV new (mn)": "{:,.1f}", "Change (mn)": "{:+,.1f}"},
                          notes=[MATCHING_RULE, CLASS_RULE] + ([ALLOCATION_NOTE] if rev.mixes_formats else []),
                          empty_text="No deal of the case changed between the two releases."))
    return join(*parts)


ALLOCATION_NOTE = ("One release is a classic register, whose yearly values are the deal's total spread evenly over "
                   "its delivery years, the other a per-year register with SIPRI's own yearly values: a deal's TIV "
                   "within the period can differ between them by this allocation alone, shown as 'revalued'.")


def _old_new(a, b) -> str:
    a = "" if pd.isna(a) else str(a)
    b = "" if pd.isna(b) else str(b)
    if a and b and a != b:
        return f"{a} → {b}"
    return a or b


ORIGIN_LABELS = {"curated": "curated", "UCDP": "derived: UCDP", "alliance table": "derived: alliance table",
                 "embargo table": "derived: embargo table"}


def _pack_text(case: Case, table: str) -> str:
    """Where a case-pack table of this brief comes from: "data/cases/<pack>/events.csv" (or several)."""
    packs = list(getattr(case, "packs", []) or [])
    if not packs:
        return f"no case pack covers this case ({table})"
    return "; ".join(f"case pack {p.name}: {table}.csv" for p in packs)


def _event_source(ev: pd.DataFrame) -> pd.Series:
    date = ev["source_date"].fillna("").astype(str)
    text = ev["source_publisher"].fillna("") + ", " + ev["source_title"].fillna("")
    return text + date.map(lambda d: f" ({d})" if d else "")


def political_timeline(case: Case) -> HTML:
    p = case.params
    ev = case.timeline
    lo, hi = p.start_year - TIMELINE_MARGIN_YEARS, p.end_year + TIMELINE_MARGIN_YEARS
    if ev.empty:
        return join(rh.section("Political timeline"),
                    rh.paragraph(f"No dated events between {lo} and {hi}: none curated, and neither the UCDP "
                                 "conflict data nor the alliance tables date an event for these states."))
    counts = ev["origin"].value_counts()
    derived = [f"{n} derived from {ORIGIN_LABELS.get(o, o).removeprefix('derived: ')}"
               for o, n in counts.items() if o != "curated"]
    lead = (f"{plural(len(ev), 'dated event')} between {lo} and {hi}: {int(counts.get('curated', 0))} curated"
            + "".join(f", {d}" for d in derived) + "; the numbers in the chart are the rows of the table.")
    deliveries = pd.DataFrame({"year": case.pair_by_year.index, "tiv_mn": case.pair_by_year.values, "label": ""})
    parts = [rh.section("Political timeline", lead)]
    parts.append(rh.figure(charts.event_timeline(ev[["event_date", "event_date_precision", "title", "kind"]],
                                                 deliveries, max_labels=0, key=False),
                           caption=f"Political events (numbered as in the table) and registered deliveries from "
                                   f"{the(p.supplier)} to {the(p.recipient)}",
                           source=f"{sipri_source(case)}; events: see the table"))
    table = pd.DataFrame({"No.": range(1, len(ev) + 1), "Date": _event_dates(ev), "Event": ev["title"],
                          "Evidence": ev["origin"].map(lambda o: ORIGIN_LABELS.get(o, o)),
                          "Source": _event_source(ev)})
    parts.append(rh.table(table, caption="Dated events, curated and derived from data",
                          source=f"as given per row (curated: {_pack_text(case, 'events')}; derived: "
                                 f"{case.conflict_source}, data/case/alliance_membership.csv, data/case/embargoes.csv)"))
    return join(*parts)


def claim_checks(case: Case) -> HTML:
    c = case.claim_checks
    when = pd.Series([date_text(d, prec) or "date not known" for d, prec in
                      zip(c["claim_date"], c["claim_date_precision"])], index=c.index, dtype=object)
    claims = case.tables.get("claims") if case.tables else None
    sources = (claims.set_index("claim_id").reindex(c["claim_id"]) if claims is not None and len(c)
               else pd.DataFrame(index=c["claim_id"], columns=["source_publisher", "source_title", "source_date"]))
    source = (sources["source_publisher"].fillna("").astype(str) + ", " + sources["source_title"].fillna("").astype(str)
              + sources["source_date"].fillna("").astype(str).map(lambda d: f" ({d})" if d else "")).to_numpy()
    table = pd.DataFrame({"Claim": c["claim_text"], "Who, when": c["claimant"] + ", " + when, "Source": source,
                          "Verdict": c["verdict"], "What decides it": c["basis"]})
    return join(rh.section("Claim checks", sentences.claims_sentence(case) or None),
                rh.table(table, caption="Public claims checked against the register",
                         source=f"claims: {_pack_text(case, 'claims')} (sources per row); figures: {sipri_source(case)}",
                         notes=f"Supported: deliveries registered in at least {SUPPORTED_YEAR_SHARE:.0%} of the "
                               "claimed period's years (or, for alliance claims, the number of members claimed); "
                               "partly supported: fewer; reported items never change a verdict.",
                         empty_text="No curated claims concern this case."))


def what_to_watch(case: Case) -> HTML:
    return join(rh.section("What to watch"), rh.bullets(sentences.what_to_watch(case)))


def methodology(case: Case) -> HTML:
    from analysis.sources.packs import methodology_sentences
    from analysis.sources.sipri import ALLOCATION_RULE

    reg = case.register
    text = [
        "SIPRI trend-indicator values (TIV) measure the volume of transfers of major conventional arms on a "
        "common scale based on production costs; they are not sale prices or financial values, and they "
        "leave out small arms, ammunition (other than guided missiles) and most services.",
        f"Transfer data: {sipri_source(case)}; source file {rh.data_file_name(reg.source)}"
        + (f", SHA-256 {reg.sha256[:16]}…" if reg.sha256 else "") + ".",
        *(note[0].upper() + note[1:] for note in selection_notes(reg)),  # transfers 'auto': chosen, skipped
        *getattr(reg, "reading_notes", ()),  # what the reader accepted (a re-saved file, identical records)
        "A '0' TIV in SIPRI means deliveries under 0.5 million TIV; an empty one means none identified.",
        ALLOCATION_RULE if reg.format == "classic" else
        "Yearly figures come from SIPRI's per-delivery-year records and are exact, not allocated.",
        YEAR_RULE,
        "Registered transfers (SIPRI) and reported transfers (press, officials, leaked documents) are kept "
        "apart: reported items carry no TIV and never enter totals, shares or ranks.",
        "Alliance membership and conflicts are curated in data/case/, events, claims and reported transfers in "
        "case packs, with a source on every row; see each file's .meta.yml sidecar for coverage and licence.",
        *methodology_sentences(case.packs, case.params),
    ]
    if case.world:
        from analysis.case.trends import HHI_RULE
        text.append(f"World ranks count every state with registered deliveries in the period. {HHI_RULE}")
    text.append(f"Conflicts: {case.conflict_source} ({ucdp_citation()}), CC BY 4.0. {context.INTENSITY_RULE} "
                f"{context.ROLE_RULE} States on opposite sides of a UCDP conflict in a year count as "
                "adversaries in the alliance screen, beside the curated dyads (data/case/conflicts.csv), which "
                "also hold hostile relations below UCDP's threshold.")
    text.append("The political timeline merges the curated events with events derived from data: UCDP conflict "
                "years and intensity, alliance entries and exits; a derived event is left out where a curated "
                f"event of the same kind about the same state lies within {context.DERIVED_EVENT_WINDOW_DAYS} days.")
    if not case.is_full:
        text.append("This brief uses the embedded case data, which restates only curated supplier–recipient "
                    "pairs: shares use SIPRI's published totals and ranks need a full SIPRI export "
                    "(make report TRANSFERS=path, or drop the export into data/raw/sipri/).")
    return join(rh.section("Methodology and sources"), rh.bullets(text))


def ucdp_citation() -> str:
    from analysis.sources.ucdp import CITATION

    return CITATION


def colophon(case: Case) -> HTML:
    from analysis.sources.packs import colophon_files
    from analysis.sources.sidecars import describe_datasets

    files = [(d["name"], d.get("date_published", ""), d["sha256"]) for d in describe_datasets()]
    files += colophon_files(case.packs)  # the case packs used, or a row saying none covers the case
    ucdp_path = case.tables.get("ucdp", pd.DataFrame()).attrs.get("path") if case.tables else None
    if ucdp_path:
        from analysis.sources.sidecars import sha256_file
        files.append((rh.data_file_name(ucdp_path), case.conflict_source, sha256_file(ucdp_path)))
    if case.is_full:
        files.insert(0, (rh.data_file_name(case.register.source), case.register.vintage or "unknown", case.register.sha256))
    return rh.colophon(case.params.as_dict(), files, __version__)


#: The sections in the order the brief notebook shows them (after :func:`build` and :func:`title`).
SECTIONS = (key_judgements, what_was_supplied, how_much_it_mattered, revisions, alliance_context,
            conflicts_and_embargoes, supplier_shifts, political_timeline,
            claim_checks, what_to_watch, methodology, colophon)
