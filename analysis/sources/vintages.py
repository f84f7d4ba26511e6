"""Deal-level comparison of two SIPRI registers (vintages), of any format pair.

``diff(old, new, supplier=..., recipient=..., start=..., end=...) -> VintageDiff`` matches the deals of two
:class:`~analysis.sources.sipri.Register` objects (classic/classic, per-year/per-year or classic/per-year)
by :data:`MATCHING_RULE`, puts every deal of either register into exactly one class (:data:`CLASSES`,
primary class by :data:`PRECEDENCE`, every change listed in ``changes``), and compares delivered TIV per
deal, per pair (:meth:`VintageDiff.totals`) and explains a pair's move (:meth:`VintageDiff.explain`).

Period rule (``start``/``end``, inclusive, either may be None): a deal is in the comparison when it has a
delivery year in the period or its order year is in the period (SIPRI's own "deliveries or orders made
for year range" rule); a matched pair is kept when either side is in the period. With a period, the
delivered TIV compared is the sum of the deal's ``deliveries`` rows in the period (for a classic
register these are the deal total spread evenly over its delivery years, ``is_tiv_allocated``); without
one, the deal's whole ``tiv_delivered_mn``. ``supplier``/``recipient`` (any spelling
:func:`analysis.sources.countries.normalise` knows) keep pairs where either side has that party. Matching
always runs on the whole registers, so a filter never turns a matched deal into new/dropped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.sources import countries
from analysis.sources.sipri import Register

MATCHING_RULE = (
    "Deals are matched in three passes, each on the deals still unmatched, ties resolved in file order: "
    "1) the SIPRI deal id, where both registers carry one (deals with an id on both sides are matched by id "
    "only); 2) supplier, recipient, normalised designation (case, punctuation and spacing ignored) and order "
    "year, pairing first the deals whose numbers ordered and delivered are also equal, then the rest of each "
    "group in file order; 3) renamed or re-described designations: supplier, recipient, order year and numbers "
    "ordered and delivered equal, and similar designations (at least half of the shorter designation's "
    "tokens shared, or one designation contains the other once spaces and punctuation are removed, e.g. "
    "'A-200 BLR' and 'A200'), best similarity first. Renamed countries need no rule: both registers hold canonical "
    "names. Numbers ordered are used only where both registers have them (the per-year register has none)."
)
CLASSES = ("unchanged", "revalued", "numbers changed", "delivery years changed", "renamed or re-described",
           "new", "dropped")
#: A matched pair whose several things changed gets the first class of this list that applies.
PRECEDENCE = ("numbers changed", "revalued", "delivery years changed", "renamed or re-described")
CLASS_RULE = (
    "numbers changed: number ordered or delivered differs; revalued: TIV per unit differs, or the delivered "
    "TIV compared differs while numbers and delivery years do not; delivery years changed: delivery years or "
    "order year differ; renamed or re-described: designation, description, status or a party differs; "
    "unchanged: none of these (estimate marks and comments are not compared). Precedence when several apply: "
    + " > ".join(PRECEDENCE) + "; the 'changes' column lists all of them."
)
TIV_TOLERANCE_MN = 0.005   # TIV differences up to this are rounding, not change
_SIMILARITY = 0.5
_MIN_CONTAINED = 3         # characters: a shorter compact designation is too generic to match on
_NA = -1                   # stands for a missing number or year in merge keys

_SIDE_COLUMNS = ("deal_key", "deal_id", "supplier", "recipient", "designation", "description", "status",
                 "order_year", "number_ordered", "number_delivered", "delivery_years", "tiv_unit_mn",
                 "tiv_delivered_mn", "in_period", "pos")


@dataclass(frozen=True)
class VintageDiff:
    """The deal-level comparison: ``deals`` has one row per matched pair or unmatched deal."""

    deals: pd.DataFrame
    old_vintage: str
    new_vintage: str
    start: int | None = None
    end: int | None = None

    def counts(self) -> pd.DataFrame:
        """class -> number of old deals and of new deals in it (every class listed, zeros included)."""
        d = self.deals
        out = pd.DataFrame({"old_deals": d["old_deal_key"].notna().groupby(d["class"]).sum(),
                            "new_deals": d["new_deal_key"].notna().groupby(d["class"]).sum()})
        return out.reindex(list(CLASSES), fill_value=0).astype("int64").rename_axis("class")

    def totals(self, by: tuple[str, ...] | str = ("supplier", "recipient")) -> pd.DataFrame:
        """Delivered TIV per group in both vintages (each side grouped by its own parties) and the move."""
        by = [by] if isinstance(by, str) else list(by)
        d = self.deals
        sides = []
        for side in ("old", "new"):
            rows = d[d[f"{side}_deal_key"].notna()]
            keys = [rows[f"{c}_{side}"].rename(c) for c in by]
            sides.append(rows[f"tiv_delivered_{side}_mn"].fillna(0.0).groupby(keys).sum()
                         .rename(f"tiv_delivered_{side}_mn"))
        out = pd.concat(sides, axis=1).fillna(0.0)
        out["delta_mn"] = out["tiv_delivered_new_mn"] - out["tiv_delivered_old_mn"]
        return out.sort_index().reset_index()

    def explain(self, supplier: str, recipient: str) -> pd.DataFrame:
        """The deals behind a pair's move, largest |delta| first, then old and new deal keys."""
        s, r = countries.normalise(supplier), countries.normalise(recipient)
        d = self.deals
        mask = (((d["supplier_old"] == s) & (d["recipient_old"] == r))
                | ((d["supplier_new"] == s) & (d["recipient_new"] == r)))
        rows = d[mask].assign(_abs=d["delta_mn"].abs(), _o=_key_order(d["old_deal_key"]),
                              _n=_key_order(d["new_deal_key"]))
        rows = rows.sort_values(["_abs", "_o", "_n"], ascending=[False, True, True], kind="mergesort")
        return rows.drop(columns=["_abs", "_o", "_n"]).reset_index(drop=True)


def _key_order(keys: pd.Series) -> pd.Series:
    """Sort key for deal keys: 'row-12' and '55238' by number, missing last."""
    num = pd.to_numeric(keys.astype("string").str.replace("row-", "", regex=False), errors="coerce").astype("float64")
    return num.fillna(np.inf)


def _tokens(designation: pd.Series) -> pd.Series:
    return (designation.fillna("").str.lower().str.replace(r"[^0-9a-z]+", " ", regex=True)
            .str.strip().str.replace(r"\s+", " ", regex=True))


def _side(reg: Register, start: int | None, end: int | None) -> pd.DataFrame:
    """The deal columns compared, plus normalised designation, in-period flag and in-period delivered TIV."""
    d = reg.deals
    lo = -np.inf if start is None else start
    hi = np.inf if end is None else end
    dl = reg.deliveries
    years = dl["delivery_year"].astype("float64")
    in_window = dl.loc[(years >= lo) & (years <= hi)]
    delivered_in = pd.Index(d["deal_key"]).isin(in_window["deal_key"])
    oy = d["order_year"].astype("float64")
    out = pd.DataFrame({c: d[c] for c in _SIDE_COLUMNS if c in d.columns})
    out["in_period"] = delivered_in | ((oy >= lo) & (oy <= hi)).to_numpy()
    if start is not None or end is not None:
        per_deal = in_window.groupby("deal_key", sort=False)["tiv_delivered_mn"].sum(min_count=1)
        out["tiv_delivered_mn"] = d["deal_key"].map(per_deal).astype("float64")
    out["pos"] = np.arange(len(d))
    out["norm"] = _tokens(d["designation"])
    for c in ("order_year", "number_ordered", "number_delivered"):
        out[f"k_{c}"] = d[c].astype("Int64").fillna(_NA).astype("int64")
    return out.reset_index(drop=True)


def _pair(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Pairs (pos_old, pos_new): the i-th deal of a key group in old with the i-th in new (file order)."""
    o = old[keys + ["pos"]].assign(_i=old.groupby(keys, sort=False).cumcount())
    n = new[keys + ["pos"]].assign(_i=new.groupby(keys, sort=False).cumcount())
    m = o.merge(n, on=keys + ["_i"], suffixes=("_old", "_new"))
    return m[["pos_old", "pos_new"]]


def _similar_pairs(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Pass 3: candidates on ``keys`` with similar designations, assigned greedily (best first, file order)."""
    cand = old[keys + ["pos", "norm"]].merge(new[keys + ["pos", "norm"]], on=keys, suffixes=("_old", "_new"))
    if cand.empty:
        return cand[["pos_old", "pos_new"]]
    sims = []
    for a, b in zip(cand["norm_old"].tolist(), cand["norm_new"].tolist()):
        ta, tb = set(a.split()), set(b.split())
        ca, cb = a.replace(" ", ""), b.replace(" ", "")
        if min(len(ca), len(cb)) >= _MIN_CONTAINED and (ca in cb or cb in ca):
            sims.append(1.0)  # "A-200 BLR" and "A200": one contains the other once spaces go
            continue
        sims.append(len(ta & tb) / min(len(ta), len(tb)) if ta and tb else 0.0)
    cand["sim"] = sims
    cand = cand[cand["sim"] >= _SIMILARITY].sort_values(["sim", "pos_old", "pos_new"],
                                                         ascending=[False, True, True], kind="mergesort")
    used_old, used_new, pairs = set(), set(), []
    for po, pn in zip(cand["pos_old"].tolist(), cand["pos_new"].tolist()):
        if po not in used_old and pn not in used_new:
            used_old.add(po)
            used_new.add(pn)
            pairs.append((po, pn))
    return pd.DataFrame(pairs, columns=["pos_old", "pos_new"], dtype="int64")


def _match(old: pd.DataFrame, new: pd.DataFrame, use_ordered: bool) -> pd.DataFrame:
    """pos_old, pos_new, match (how) for all matched pairs, by MATCHING_RULE."""
    found = []
    with_id_old, with_id_new = old["deal_id"].notna(), new["deal_id"].notna()
    if with_id_old.any() and with_id_new.any():
        m = old.loc[with_id_old, ["deal_id", "pos"]].merge(new.loc[with_id_new, ["deal_id", "pos"]],
                                                           on="deal_id", suffixes=("_old", "_new"))
        found.append(m[["pos_old", "pos_new"]].assign(match="deal id"))
        # deals with an id on both sides are matched by id only
        old, new = old[~with_id_old], new[~with_id_new]
    numbers = ["k_number_delivered"] + (["k_number_ordered"] if use_ordered else [])
    base = ["supplier", "recipient", "norm", "k_order_year"]
    for keys, how in ((base + numbers, "designation and numbers"), (base, "designation"),
                      (["supplier", "recipient", "k_order_year"] + numbers, "similar designation")):
        done_old = set(np.concatenate([f["pos_old"].to_numpy() for f in found])) if found else set()
        done_new = set(np.concatenate([f["pos_new"].to_numpy() for f in found])) if found else set()
        o, n = old[~old["pos"].isin(done_old)], new[~new["pos"].isin(done_new)]
        if o.empty or n.empty:
            continue
        pairs = _similar_pairs(o, n, keys) if how == "similar designation" else _pair(o, n, keys)
        found.append(pairs.assign(match=how))
    if not found:
        return pd.DataFrame({"pos_old": pd.Series(dtype="int64"), "pos_new": pd.Series(dtype="int64"),
                             "match": pd.Series(dtype="str")})
    return pd.concat(found, ignore_index=True)


def _differs(a: pd.Series, b: pd.Series, tol: float = 0.0) -> np.ndarray:
    """Both present and different (beyond tol), or exactly one missing."""
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
        x, y = a.astype("float64").to_numpy(), b.astype("float64").to_numpy()
        xn, yn = np.isnan(x), np.isnan(y)
        with np.errstate(invalid="ignore"):
            return (xn != yn) | (~xn & ~yn & (np.abs(x - y) > tol))
    return (a.fillna("").astype(str).to_numpy() != b.fillna("").astype(str).to_numpy())


def _fmt(s: pd.Series) -> pd.Series:
    out = s.astype("object").where(s.notna(), "blank")
    return out.map(lambda v: f"{v:g}" if isinstance(v, float) else str(v)) if len(out) else out.astype(str)


def _classify(d: pd.DataFrame, use_ordered: bool, both: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Primary class and 'changes' text of every row (matched pairs, new, dropped)."""
    checks = [  # (label, column stem, group, tolerance, quoted)
        ("number ordered", "number_ordered", "numbers", 0.0, False),
        ("number delivered", "number_delivered", "numbers", 0.0, False),
        ("TIV per unit", "tiv_unit", "value", 1e-9, False),
        ("delivered TIV", "tiv_delivered", "delivered", TIV_TOLERANCE_MN, False),
        ("delivery years", "delivery_years", "years", 0.0, True),
        ("order year", "order_year", "years", 0.0, False),
        ("designation", "designation", "labels", 0.0, True),
        ("description", "description", "labels", 0.0, True),
        ("status", "status", "labels", 0.0, True),
        ("supplier", "supplier", "labels", 0.0, True),
        ("recipient", "recipient", "labels", 0.0, True),
    ]
    if not use_ordered:
        checks = checks[1:]
    n = len(d)
    groups = {g: np.zeros(n, dtype=bool) for g in ("numbers", "value", "delivered", "years", "labels")}
    text = pd.Series([""] * n, index=d.index, dtype="object")
    for label, stem, group, tol, quoted in checks:
        a = d[f"{stem}_old_mn" if stem.startswith("tiv") else f"{stem}_old"]
        b = d[f"{stem}_new_mn" if stem.startswith("tiv") else f"{stem}_new"]
        hit = _differs(a, b, tol) & both
        if not hit.any():
            continue
        groups[group] |= hit
        q = "'" if quoted else ""
        piece = label + " " + q + _fmt(a[hit]) + q + " -> " + q + _fmt(b[hit]) + q
        text[hit] = np.where(text[hit] == "", piece, text[hit] + "; " + piece)
    revalued = groups["value"] | (groups["delivered"] & ~groups["numbers"] & ~groups["years"])
    cls = np.select([~both & d["old_deal_key"].isna().to_numpy(), ~both & d["new_deal_key"].isna().to_numpy(),
                     groups["numbers"], revalued, groups["years"], groups["labels"]],
                    ["new", "dropped", "numbers changed", "revalued", "delivery years changed",
                     "renamed or re-described"], default="unchanged")
    text = text.mask(~both & d["old_deal_key"].isna().to_numpy(), "only in new")
    text = text.mask(~both & d["new_deal_key"].isna().to_numpy(), "only in old")
    return cls, text.to_numpy()


def diff(old: Register, new: Register, *, supplier: str | None = None, recipient: str | None = None,
         start: int | None = None, end: int | None = None) -> VintageDiff:
    """Compare two registers deal by deal (see the module docstring, MATCHING_RULE and CLASS_RULE)."""
    o, n = _side(old, start, end), _side(new, start, end)
    use_ordered = bool(o["number_ordered"].notna().any() and n["number_ordered"].notna().any())
    m = _match(o, n, use_ordered)
    matched_old, matched_new = set(m["pos_old"].tolist()), set(m["pos_new"].tolist())
    rows = pd.concat([
        m,
        pd.DataFrame({"pos_old": o.loc[~o["pos"].isin(matched_old), "pos"], "match": ""}),
        pd.DataFrame({"pos_new": n.loc[~n["pos"].isin(matched_new), "pos"], "match": ""}),
    ], ignore_index=True)
    rows["pos_old"] = rows["pos_old"].astype("Int64")
    rows["pos_new"] = rows["pos_new"].astype("Int64")
    # stable order: rows with an old deal in old file order, then new-only deals in new file order
    rows = rows.sort_values(["pos_old", "pos_new"], na_position="last", kind="mergesort").reset_index(drop=True)
    cols = [c for c in _SIDE_COLUMNS if c != "pos"]
    take_o = o.reindex(rows["pos_old"].astype("float64").to_numpy())[cols].reset_index(drop=True)
    take_n = n.reindex(rows["pos_new"].astype("float64").to_numpy())[cols].reset_index(drop=True)
    d = pd.DataFrame(index=rows.index)
    for c in cols:
        stem = c.removesuffix("_mn")
        suffix = "_mn" if c.endswith("_mn") else ""
        if c == "deal_key":
            d["old_deal_key"], d["new_deal_key"] = take_o[c].astype("object"), take_n[c].astype("object")
            continue
        d[f"{stem}_old{suffix}"] = take_o[c].to_numpy()
        d[f"{stem}_new{suffix}"] = take_n[c].to_numpy()
    for c in ("order_year_old", "order_year_new", "number_ordered_old", "number_ordered_new",
              "number_delivered_old", "number_delivered_new"):
        d[c] = pd.array(d[c], dtype="Int64")
    for c in ("tiv_unit_old_mn", "tiv_unit_new_mn", "tiv_delivered_old_mn", "tiv_delivered_new_mn"):
        d[c] = d[c].astype("float64")
    for c in ("in_period_old", "in_period_new"):
        d[c] = d[c].astype("boolean").fillna(False).astype(bool)
    both = d["old_deal_key"].notna().to_numpy() & d["new_deal_key"].notna().to_numpy()
    d["match"] = rows["match"].to_numpy()
    d["class"], d["changes"] = _classify(d, use_ordered, both)
    d["supplier"] = d["supplier_new"].where(d["supplier_new"].notna(), d["supplier_old"])
    d["recipient"] = d["recipient_new"].where(d["recipient_new"].notna(), d["recipient_old"])
    d["order_year"] = d["order_year_new"].fillna(d["order_year_old"])
    d["delta_mn"] = d["tiv_delivered_new_mn"].fillna(0.0) - d["tiv_delivered_old_mn"].fillna(0.0)
    keep = d["in_period_old"] | d["in_period_new"]
    for name, value in (("supplier", supplier), ("recipient", recipient)):
        if value is not None:
            value = countries.normalise(value)
            keep &= (d[f"{name}_old"] == value) | (d[f"{name}_new"] == value)
    d = d[keep].drop(columns=["in_period_old", "in_period_new"]).reset_index(drop=True)
    first = ["class", "changes", "match", "old_deal_key", "new_deal_key", "supplier", "recipient",
             "designation_old", "designation_new", "order_year", "tiv_delivered_old_mn", "tiv_delivered_new_mn",
             "delta_mn"]
    d = d[first + [c for c in d.columns if c not in first]]
    return VintageDiff(d, old.vintage, new.vintage, start, end)
