"""The sections of a bilateral brief, each one call from the notebook.

Every function takes a computed ``Case`` (analysis.case.compute) and returns one displayable HTML
fragment (analysis.report.fragments); text comes from analysis.report.sentences, charts from analysis.report.charts.
"""
from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from analysis import __version__
from analysis.report import charts, sentences
from analysis.report import fragments as rh
from analysis.case.alliances import YEAR_RULE
from analysis.case.compute import KEY_FIGURES, Case, compute_case, key_figures
from analysis.case.claims import SUPPORTED_YEAR_SHARE
from analysis.case.params import check_brief_parameters, check_period_in_data
from analysis.sources.transfers import load_transfers

TIV_COL = "TIV (mn)"


def join(*fragments) -> HTML:
    """One displayable fragment from several (None and empty ones are skipped)."""
    return HTML("".join(f.data for f in fragments if f is not None and f.data))


def sipri_source(case: Case) -> str:
    reg = case.register
    kind = "full register export" if case.is_full else "curated rows restated in data/case/"
    return f"SIPRI Arms Transfers Database, data generated {reg.vintage} ({kind})"


def build(supplier, recipient, ally, alliance, start_year, end_year, transfers) -> Case:
    """Check the parameters, then compute the case (the notebook's first call)."""
    params = check_brief_parameters(supplier, recipient, ally, alliance, start_year, end_year, transfers)
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
    subtitle = f"Arms transfers from {p.supplier} to {p.recipient}, {sentences.period(case)}"
    if p.ally:
        subtitle += f", set against {p.supplier}'s supply to its ally {p.ally}"
    block = rh.title_block(f"{p.supplier} → {p.recipient}: arms-transfer brief", subtitle, facts)
    # The headline figures ride along in the output's metadata (not shown): the batch index reads them
    # from the executed notebook instead of computing the case again.
    return HTML(block.data, metadata={KEY_FIGURES: key_figures(case)})


def key_judgements(case: Case) -> HTML:
    notes = [rh.callout(note) for note in case.params.notes]
    return join(rh.section("Key judgements"), *notes,
                rh.bullets(sentences.key_judgements(case), css_class="key-judgements"))


def _deals_table(deals: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Weapon": deals["designation"], "Description": deals["description"],
        "Order year": deals["order_year"], "Delivery years in period": deals["years_in_period"],
        "Number delivered (deal)": deals["number_delivered"], TIV_COL: deals["tiv_in_period_mn"],
        "Evidence": "registered", "SIPRI deal id": deals["deal_id"].fillna(deals["deal_key"]),
        "Comments": deals["comments"].fillna(""),
    })


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
                          f"{p.supplier} to {p.recipient}, {sentences.period(case)}", source=sipri_source(case),
                          formats={TIV_COL: "{:,.1f}"}, evidence_column="Evidence",
                          notes="TIV counts only deliveries within the period.",
                          empty_text=sentences.supplied_sentence(case)))
    parts.append(rh.table(_reported_table(case.reported), caption=f"Transfers from {p.supplier} to {p.recipient} "
                          f"reported by the press, officials or leaked documents but not in the SIPRI register",
                          source="as given per row (data/case/reported_transfers.csv)", evidence_column="Evidence",
                          notes="Reported items are a different kind of evidence: they carry no TIV and are never "
                                "added to registered totals.",
                          empty_text=f"No reported (non-register) transfers from {p.supplier} to {p.recipient} "
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
                                                     title=f"Registered arms imports of {p.recipient} by supplier"),
                           caption=f"Deliveries to {p.recipient} by year and supplier{scope}, {p.supplier} highlighted",
                           source=sipri_source(case)))
    if case.is_full:
        shares = case.imports.table.set_index("counterpart")["share"]
        parts.append(rh.figure(charts.share_bars(shares[shares > 0], highlight=p.supplier,
                                                 title=f"Suppliers' shares of {p.recipient}'s imports"),
                               caption=f"Shares of {p.recipient}'s registered arms imports, {sentences.period(case)}",
                               source=sipri_source(case)))
        exp = case.exports.table.set_index("counterpart")["share"]
        parts.append(rh.figure(charts.share_bars(exp[exp > 0], highlight=p.recipient,
                                                 title=f"Recipients' shares of {p.supplier}'s exports"),
                               caption=f"Shares of {p.supplier}'s registered arms exports, {sentences.period(case)}",
                               source=sipri_source(case)))
        parts.append(rh.table(_ranking_table(case.imports), caption=f"{p.recipient}'s suppliers ranked by TIV, "
                              f"{sentences.period(case)}, with the previous period", source=sipri_source(case),
                              formats={"TIV (mn)": "{:,.1f}", "Share": "{:.1%}", "Previous period (mn)": "{:,.1f}",
                                       "Change (mn)": "{:+,.1f}"},
                              empty_text=f"No registered imports of {p.recipient} in this period."))
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
        return join(rh.section("Alliance context"),
                    rh.paragraph("No alliance was given for this brief, so there is no alliance screen."))
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
                                                "to_recipient_mn": f"To {p.recipient} (mn TIV)",
                                                "to_ally_mn": f"To {p.ally} (mn TIV)" if p.ally else "To ally"})
    if not p.ally:
        supply = supply.drop(columns="To ally")
    own = pd.DataFrame([{supply.columns[0]: f"{p.supplier} (the supplier)",
                         supply.columns[1]: case.pair_tiv_mn,
                         **({supply.columns[2]: case.ally_tiv_mn} if p.ally else {})}])
    table = pd.concat([own, supply], ignore_index=True)
    parts.append(rh.table(table, caption=f"What {p.alliance} members delivered to {p.recipient}"
                          + (f" and to {p.ally}" if p.ally else "") + f", {sentences.period(case)} (registered, "
                          "while members)", source=sipri_source(case),
                          formats={c: "{:,.1f}" for c in table.columns[1:]}))
    parts.append(screen_table(case.screen, p.alliance, sentences.period(case), sipri_source(case)))
    return join(*parts)


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
    fmt = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
    return pd.Series([d.strftime(fmt.get(p, "%Y-%m-%d")) for d, p in zip(ev["event_date"], ev["event_date_precision"])],
                     index=ev.index, dtype=object)


def political_timeline(case: Case) -> HTML:
    p = case.params
    deliveries = pd.DataFrame({"year": case.pair_by_year.index, "tiv_mn": case.pair_by_year.values,
                               "label": ""})
    ev = case.events
    parts = [rh.section("Political timeline",
                        f"{len(ev)} dated events between {p.start_year - 2} and {p.end_year + 2} from the curated "
                        "timeline, set against registered deliveries.")]
    parts.append(rh.figure(charts.event_timeline(ev[["event_date", "event_date_precision", "title", "kind"]], deliveries),
                           caption=f"Political events and registered deliveries from {p.supplier} to {p.recipient}",
                           source=f"{sipri_source(case)}; events: {sources_text(ev)}"))
    table = pd.DataFrame({"Date": _event_dates(ev), "Event": ev["title"],
                          "Source": ev["source_publisher"] + ", " + ev["source_title"] + " (" + ev["source_date"] + ")"})
    parts.append(rh.table(table, caption="Dated events", source="as given per row (data/case/events.csv)",
                          empty_text="No curated events fall in this window."))
    return join(*parts)


def claim_checks(case: Case) -> HTML:
    c = case.claim_checks
    table = pd.DataFrame({"Claim": c["claim_text"], "Who, when": c["claimant"] + ", " + c["claim_date"].astype(str),
                          "Verdict": c["verdict"], "What decides it": c["basis"]})
    return join(rh.section("Claim checks", sentences.claims_sentence(case) or None),
                rh.table(table, caption="Public claims checked against the register",
                         source=f"claims: data/case/claims.csv (sources per row); figures: {sipri_source(case)}",
                         notes=f"Supported: deliveries registered in at least {SUPPORTED_YEAR_SHARE:.0%} of the "
                               "claimed period's years (or, for alliance claims, the number of members claimed); "
                               "partly supported: fewer; reported items never change a verdict.",
                         empty_text="No curated claims concern this case."))


def what_to_watch(case: Case) -> HTML:
    return join(rh.section("What to watch"), rh.bullets(sentences.what_to_watch(case)))


def methodology(case: Case) -> HTML:
    from analysis.sources.sipri import ALLOCATION_RULE

    reg = case.register
    text = [
        "SIPRI trend-indicator values (TIV) measure the volume of transfers of major conventional arms on a "
        "common scale based on production costs; they are not sale prices or financial values, and they "
        "leave out small arms, ammunition (other than guided missiles) and most services.",
        f"Transfer data: {sipri_source(case)}; source file {reg.source}"
        + (f", SHA-256 {reg.sha256[:16]}…" if reg.sha256 else "") + ".",
        "A '0' TIV in SIPRI means deliveries under 0.5 million TIV; an empty one means none identified.",
        ALLOCATION_RULE if reg.format == "classic" else
        "Yearly figures come from SIPRI's per-delivery-year records and are exact, not allocated.",
        YEAR_RULE,
        "Registered transfers (SIPRI) and reported transfers (press, officials, leaked documents) are kept "
        "apart: reported items carry no TIV and never enter totals, shares or ranks.",
        "Alliance membership, conflicts, events and claims are curated in data/case/ with a source on every "
        "row; see each file's .meta.yml sidecar for coverage and licence.",
    ]
    if not case.is_full:
        text.append("This brief uses the embedded case data, which restates only curated supplier–recipient "
                    "pairs: shares use SIPRI's published totals and ranks need a full SIPRI export "
                    "(make report TRANSFERS=path, or drop the export into data/raw/sipri/).")
    return join(rh.section("Methodology and sources"), rh.bullets(text))


def colophon(case: Case) -> HTML:
    from analysis.sources.sidecars import describe_datasets

    files = [(d["name"], d.get("date_published", ""), d["sha256"]) for d in describe_datasets()]
    if case.is_full:
        files.insert(0, (str(case.register.source), case.register.vintage, case.register.sha256))
    return rh.colophon(case.params.as_dict(), files, __version__)


#: The sections in the order the brief notebook shows them (after :func:`build` and :func:`title`).
SECTIONS = (key_judgements, what_was_supplied, how_much_it_mattered, alliance_context, political_timeline,
            claim_checks, what_to_watch, methodology, colophon)
