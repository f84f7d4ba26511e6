"""Claim checks: each curated claim gets a verdict and the figures that decide it.

Verdicts (``VERDICTS``) and the rules that give them:

* ``supplier_delivered`` (S delivered arms to R in a..b): *supported* where the register has
  deliveries from S to R in at least half the years of the period; *partly supported* where it
  has deliveries in fewer years (the register backs the claim for those years only); *not
  supported by the register* where it has none. Reported (non-register) items for the pair are
  listed beside the verdict but never change it: they are different evidence.
* ``members_supplied`` (at least N members of an alliance delivered arms to R in a..b): counts the
  suppliers that were members in the year they delivered; *supported* where the count reaches N,
  *partly supported* where it is between 1 and N-1, *not supported by the register* at 0.
* ``none``: *not checkable with this data*.
"""
from __future__ import annotations

import pandas as pd

from analysis.case import alliances
from analysis.case.tiv import in_period

SUPPORTED = "supported"
PARTLY = "partly supported"
NOT_SUPPORTED = "not supported by the register"
NOT_CHECKABLE = "not checkable with this data"
VERDICTS = (SUPPORTED, PARTLY, NOT_SUPPORTED, NOT_CHECKABLE)

# Half the years: a claim that S "supplied R in a..b" describes supply across the period, so
# deliveries in a single year of a five-year period back it only in part.
SUPPORTED_YEAR_SHARE = 0.5


def _fmt(x: float) -> str:
    return f"{x:,.1f}"


def check_supplier_delivered(deliveries, reported, *, supplier, recipient, start, end) -> tuple[str, str]:
    """Verdict and deciding figures for "supplier delivered arms to recipient in start..end"."""
    rows = in_period(deliveries, start, end)
    rows = rows[(rows["supplier"] == supplier) & (rows["recipient"] == recipient)]
    years = sorted(set(int(y) for y in rows["delivery_year"]))
    n_years = end - start + 1
    tiv = float(rows["tiv_delivered_mn"].sum())
    if not years:
        verdict = NOT_SUPPORTED
        basis = f"The register records no deliveries from {supplier} to {recipient} in {start}–{end}."
    else:
        verdict = SUPPORTED if len(years) / n_years >= SUPPORTED_YEAR_SHARE else PARTLY
        items = alliances.item_list(rows["designation"])
        basis = (f"The register records {alliances.plural(rows['deal_key'].nunique(), 'deal')} ({items}) delivered in "
                 f"{alliances.span_text(years)}: {len(years)} of {n_years} years, {_fmt(tiv)} mn TIV.")
    extra = _reported_note(reported, supplier, recipient, start, end)
    return verdict, f"{basis} {extra}".strip()


def check_members_supplied(deliveries, spells, *, alliance, recipient, start, end, min_suppliers) -> tuple[str, str]:
    """Verdict and deciding figures for "at least N members of alliance supplied recipient"."""
    rows = in_period(deliveries, start, end)
    rows = rows[rows["recipient"] == recipient]
    found = {}
    for supplier, group in rows.groupby("supplier", sort=True):
        years = alliances.member_years(spells, alliance, supplier, start, end)
        hit = group[group["delivery_year"].isin(years)]
        if not hit.empty:
            found[supplier] = float(hit["tiv_delivered_mn"].sum())
    n = len(found)
    if n >= min_suppliers:
        verdict = SUPPORTED
    elif n:
        verdict = PARTLY
    else:
        verdict = NOT_SUPPORTED
    listed = ", ".join(f"{s} ({_fmt(t)} mn TIV)" for s, t in sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
    basis = (f"{alliances.plural(n, alliance + ' member')} with registered deliveries to {recipient} in {start}–{end}"
             + (f": {listed}." if n else ".") + f" The claim needs at least {min_suppliers}.")
    return verdict, basis


def _reported_note(reported, supplier, recipient, start, end) -> str:
    if reported is None or reported.empty:
        return ""
    rows = reported[(reported["supplier"] == supplier) & (reported["recipient"] == recipient)]
    ends = rows["period_end_year"].fillna(rows["period_start_year"])
    rows = rows[(rows["period_start_year"] <= end) & (ends >= start)]
    if rows.empty:
        return ""
    items = alliances.item_list(rows["designation"])
    kinds = ", ".join(sorted(set(rows["evidence"].astype(str))))
    return f"Not in the register but reported ({kinds}): {alliances.plural(len(rows), 'item')}: {items}."


def check_claims(claims: pd.DataFrame, deliveries: pd.DataFrame, spells: pd.DataFrame,
                 reported: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim: claim_id, claimant, claim_date, claim_date_precision, claim_text, verdict, basis."""
    out = []
    for claim in claims.itertuples(index=False):
        kind = claim.check_type
        if kind == "supplier_delivered":
            verdict, basis = check_supplier_delivered(
                deliveries, reported, supplier=claim.check_supplier, recipient=claim.check_recipient,
                start=int(claim.check_start_year), end=int(claim.check_end_year))
        elif kind == "members_supplied":
            verdict, basis = check_members_supplied(
                deliveries, spells, alliance=claim.check_alliance, recipient=claim.check_recipient,
                start=int(claim.check_start_year), end=int(claim.check_end_year),
                min_suppliers=int(claim.check_min_suppliers))
        elif kind == "none":
            verdict, basis = NOT_CHECKABLE, "Arms-transfer data cannot confirm or refute this statement."
        else:
            raise ValueError(f"claim {claim.claim_id!r}: unknown check_type {kind!r}; expected one of "
                             "supplier_delivered, members_supplied, none")
        out.append({"claim_id": claim.claim_id, "claimant": claim.claimant, "claim_date": claim.claim_date,
                    "claim_date_precision": getattr(claim, "claim_date_precision", "day"),
                    "claim_text": claim.claim_text, "verdict": verdict, "basis": basis})
    return pd.DataFrame(out, columns=["claim_id", "claimant", "claim_date", "claim_date_precision", "claim_text",
                                      "verdict", "basis"])


def relevant_claims(claims: pd.DataFrame, *, supplier: str, recipient: str, ally: str | None,
                    alliance: str | None) -> pd.DataFrame:
    """Claims that concern this case: its supplier or recipient, or (with an alliance) that alliance."""
    mask = claims["check_supplier"].isin([supplier]) | claims["check_recipient"].isin([recipient])
    if alliance:
        mask |= claims["check_alliance"].isin([alliance])
    texts = claims["claimant"].astype(str) + " " + claims["claim_text"].astype(str)
    for name in (supplier, recipient, ally):
        if name:
            mask |= texts.str.contains(name, regex=False) & claims["check_type"].eq("none")
    return claims[mask]
