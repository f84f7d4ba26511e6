"""A brief's figures in two SIPRI releases (vintages), and the deals that explain each difference.

``compare(register, other, supplier=..., recipient=..., ally=..., start=..., end=...)`` orders the two
registers by their "Data generated" date (the older is "old"), computes the case's headline figures in
both, and runs the deal-level comparison of analysis.sources.vintages on the pair (and the ally pair).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.case import tiv
from analysis.sources import vintages


class RevisionError(ValueError):
    """Two registers that cannot be compared as vintages (same release, unknown release date)."""


@dataclass(frozen=True)
class Revisions:
    """``figures``: one row per figure (label, old, new, delta); ``reasons``: the pair's deals that moved
    (class, changes, designations, TIV old/new/delta), largest move first; ``counts``: class -> deals."""

    old_vintage: str
    new_vintage: str
    brief_is_old: bool
    figures: pd.DataFrame
    reasons: pd.DataFrame
    counts: pd.Series
    formats: tuple[str, str] = ("", "")  # of the old and the new register

    @property
    def mixes_formats(self) -> bool:
        """One classic and one per-year register: period TIV then differs by allocation alone."""
        return "classic" in self.formats and len(set(self.formats)) == 2

    @property
    def headline(self) -> pd.Series:
        return self.figures.iloc[0]

    @property
    def headline_changed(self) -> bool:
        return abs(float(self.headline["delta"])) > vintages.TIV_TOLERANCE_MN


def _pair_tiv(register, s: str, r: str, start: int, end: int) -> float:
    return float(tiv.pair_by_year(register.deliveries, s, r, start, end).sum())


def _share(register, s: str, r: str, start: int, end: int) -> float:
    rows = tiv.in_period(register.deliveries, start, end)
    total = float(rows.loc[rows["recipient"] == r, "tiv_delivered_mn"].sum())
    return _pair_tiv(register, s, r, start, end) / total if total else float("nan")


def check_comparable(register, other) -> None:
    """Raise :class:`RevisionError` unless the two registers are two dated releases (not one file twice)."""
    if not register.vintage or not other.vintage:
        missing = register if not register.vintage else other
        raise RevisionError(f"{missing.source}: the register has no 'Data generated' date, so it cannot be "
                            "ordered against the other release")
    if register.vintage == other.vintage and register.sha256 == other.sha256:
        raise RevisionError(f"both registers are the same file (SHA-256 {register.sha256[:12]}…): nothing "
                            "to compare")


def compare(register, other, *, supplier: str, recipient: str, ally: str | None, start: int,
            end: int) -> Revisions:
    """The case's figures in ``register`` (the brief's) and ``other``, ordered by release date."""
    check_comparable(register, other)
    brief_is_old = register.vintage < other.vintage
    old, new = (register, other) if brief_is_old else (other, register)
    pairs = [(f"{supplier} → {recipient}, {start}–{end} (mn TIV)", supplier, recipient)]
    if ally:
        pairs.append((f"{supplier} → {ally}, {start}–{end} (mn TIV)", supplier, ally))
    rows = [{"figure": label, "old": _pair_tiv(old, s, r, start, end), "new": _pair_tiv(new, s, r, start, end)}
            for label, s, r in pairs]
    if old.format != "embedded" and new.format != "embedded":
        rows.append({"figure": f"{supplier}'s share of {recipient}'s imports, {start}–{end}",
                     "old": _share(old, supplier, recipient, start, end),
                     "new": _share(new, supplier, recipient, start, end)})
    figures = pd.DataFrame(rows)
    figures["delta"] = figures["new"] - figures["old"]
    diffs = [vintages.diff(old, new, supplier=supplier, recipient=r, start=start, end=end)
             for r in ([recipient, ally] if ally else [recipient])]
    deals = pd.concat([d.deals for d in diffs], ignore_index=True)
    moved = deals[(deals["class"] != "unchanged") | (deals["delta_mn"].abs() > vintages.TIV_TOLERANCE_MN)]
    moved = moved.assign(_abs=moved["delta_mn"].abs()).sort_values(
        ["_abs", "recipient", "order_year"], ascending=[False, True, True], kind="mergesort")
    reasons = moved[["class", "changes", "recipient", "designation_old", "designation_new", "order_year",
                     "tiv_delivered_old_mn", "tiv_delivered_new_mn", "delta_mn"]].reset_index(drop=True)
    counts = deals["class"].value_counts().reindex(list(vintages.CLASSES), fill_value=0)
    return Revisions(old.vintage, new.vintage, brief_is_old, figures, reasons, counts, (old.format, new.format))
