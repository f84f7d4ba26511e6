"""Declarative pandera schemas of the curated case tables in ``data/case/``.

One :class:`pandera.pandas.DataFrameSchema` per table (``SCHEMAS[name]``), columns in file order,
``strict`` and ``ordered`` (the sidecar test already requires the header to match the sidecar; the
schema requires it to match the code that reads it).

Every rule carries its reason:

* a ``Check`` has ``name`` (the rule's short name), ``error`` (what the value must be) and
  ``description`` (why); frame-level checks list the columns they read in ``statistics["columns"]``
  so an error can show the offending values;
* a non-nullable column gives its reason for being required in ``metadata["required"]``.

The schemas describe a table *as read* by :func:`analysis.sources.curated.load_table`, before its final
conversions: strings (pandas' default ``str`` dtype, missing = NaN), ``Int64`` integers, ``float64``
numbers, flags as nullable ``boolean`` (so an empty required flag is reported as a missing value, not
as a dtype error) and dates still as ISO strings. After validation ``load_table`` turns required flags
into ``bool`` and parses the dates declared in ``metadata["dates"]`` (:data:`DATE_COLUMNS`) with
:func:`parse_period`: start dates to the first day of their period, end dates to the last day.
"""
from __future__ import annotations

import datetime as dt
import re
import warnings
from typing import Callable, Iterable

import pandas as pd
from pandera.pandas import Check, Column, DataFrameSchema

__all__ = [
    "ARMAMENT_CATEGORIES", "DELIVERY_STATUSES", "SCHEMAS", "DATE_COLUMNS", "YEAR_MIN", "YEAR_MAX",
    "ORDER_YEAR_MIN", "PRECISIONS", "parse_period", "schema_for",
]

# ----------------------------------------------------------------------------------------------
# thresholds, each with its reason

YEAR_MIN, YEAR_MAX = 1950, 2030
YEAR_REASON = ("SIPRI's Arms Transfers Database covers deliveries from 1950; 2030 leaves room for the "
               "planned deliveries SIPRI records while catching typos such as 2108 or 20018")
ORDER_YEAR_MIN = 1940
ORDER_YEAR_REASON = ("SIPRI records orders placed before 1950 when deliveries fall in 1950 or later; its "
                     "earliest order year is 1940, so anything earlier is a typo")
# Statuses and armament categories exactly as SIPRI's per-delivery-year export writes them.
DELIVERY_STATUSES = ("New", "Second hand", "Second hand but modernized")
ARMAMENT_CATEGORIES = (
    "Aircraft", "Air defence systems", "Anti-submarine warfare weapons", "Armoured vehicles", "Artillery",
    "Engines", "Missiles", "Naval weapons", "Other", "Satellites", "Sensors", "Ships",
)
PRECISIONS = ("day", "month", "year")
PRECISION_PATTERNS = {"day": re.compile(r"\d{4}-\d{2}-\d{2}"), "month": re.compile(r"\d{4}-\d{2}"),
                      "year": re.compile(r"\d{4}")}
ISO_ANY = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
HTTP_URL = re.compile(r"https?://[^\s/$.?#][^\s]*")

# ----------------------------------------------------------------------------------------------
# building blocks


def _str_col(*checks: Check, required: str | None = None, doc: str = "") -> Column:
    """A string column; ``required`` is the reason it may not be empty (None: may be empty)."""
    return _col("str", *checks, _trimmed(), required=required, doc=doc)


def _col(dtype, *checks: Check, required: str | None = None, doc: str = "") -> Column:
    return Column(dtype, checks=list(checks), nullable=required is None, description=doc or None,
                  metadata={"required": required} if required else {})


def _frame_check(name: str, columns: Iterable[str], fn: Callable[[pd.DataFrame], pd.Series], *,
                 error: str, reason: str) -> Check:
    """A row-wise rule over several columns: ``fn(frame)`` returns a bool Series, True = row passes."""
    def run(frame: pd.DataFrame) -> pd.Series:
        return fn(frame).fillna(False).astype(bool)

    return Check(run, name=name, error=error, description=reason, statistics={"columns": list(columns)})


def _trimmed() -> Check:
    return Check(lambda s: s.str.strip() == s, element_wise=False, name="no surrounding spaces",
                 error="no leading or trailing spaces",
                 description="'Azerbaijan ' and 'Azerbaijan' would silently fail to match in joins and filters")


def _allowed(values: Iterable[str], reason: str) -> Check:
    values = list(values)
    return Check.isin(values, name="allowed values", error="one of: " + ", ".join(values), description=reason)


def _year_range(lo: int = YEAR_MIN, hi: int = YEAR_MAX, reason: str = YEAR_REASON) -> Check:
    return Check.in_range(lo, hi, name="year range", error=f"a year in {lo}..{hi}", description=reason)


def _non_negative(reason: str) -> Check:
    return Check.ge(0, name="non-negative", error=">= 0", description=reason)


def _positive(reason: str) -> Check:
    return Check.gt(0, name="positive", error="> 0", description=reason)


def _is_real_date(text: str, pattern: re.Pattern | None = None) -> bool:
    if not isinstance(text, str) or not (pattern or ISO_ANY).fullmatch(text):
        return False
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def _iso_date_any(reason: str) -> Check:
    return Check(lambda s: s.map(_is_real_date).astype(bool), name="ISO date",
                 error="an ISO date YYYY-MM-DD, or YYYY-MM / YYYY where only that is known",
                 description=reason)


def _not_in_future(reason: str) -> Check:
    def ok(s: pd.Series) -> pd.Series:
        today = dt.date.today().isoformat()
        # ISO strings of any precision compare correctly against a full date by prefix order
        return s.map(lambda v: not _is_real_date(v) or v <= today[: len(v)]).astype(bool)

    return Check(ok, name="not in the future", error="not after today", description=reason)


def _http_url(reason: str) -> Check:
    return Check.str_matches(HTTP_URL.pattern + "$", name="http(s) URL", error="empty or an http(s) URL",
                             description=reason)


def _unique_key(columns: list[str], reason: str) -> Check:
    return _frame_check("unique key", columns, lambda f: ~f.duplicated(columns, keep=False),
                        error=f"({', '.join(columns)}) unique", reason=reason)


def _canonical_country(reason: str, *, separator: str | None = None, also: tuple[str, ...] = ()) -> Check:
    """Every name (or ``separator``-separated item) is a canonical name of analysis.sources.countries
    (or one of the aggregate names in ``also``)."""
    def ok(s: pd.Series) -> pd.Series:
        try:
            from analysis.sources import countries
        except ModuleNotFoundError as exc:  # pragma: no cover - the module exists in the project
            if exc.name != "analysis.sources.countries":
                raise
            warnings.warn("analysis.sources.countries not available: country names not checked", stacklevel=2)
            return pd.Series(True, index=s.index)

        def canonical(name: str) -> bool:
            items = [i.strip() for i in name.split(separator)] if separator else [name]
            for item in items:
                if item in also:
                    continue
                try:
                    if countries.normalise(item) != item:
                        return False
                except ValueError:
                    return False
            return True

        return s.map(canonical).astype(bool)

    what = "canonical country/actor names (analysis.sources.countries.normalise(name) == name)"
    if separator:
        what = f"'{separator}'-separated " + what
    if also:
        what += " or " + ", ".join(repr(a) for a in also)
    return Check(ok, name="canonical country name", error=what, description=reason)


WORLD = "World"
COUNTRY_REASON = ("the brief matches these names against the register, whose names are normalised by "
                  "analysis.sources.countries; any other spelling ('Turkey' for 'Türkiye') silently matches nothing")


def _date_precision_check(date_col: str, prec_col: str) -> Check:
    """``date_col`` is written to the precision ``prec_col`` states, and is a real calendar date."""
    def ok(f: pd.DataFrame) -> pd.Series:
        def row(date, prec) -> bool:
            if pd.isna(date) and pd.isna(prec):
                return True
            if pd.isna(date) or pd.isna(prec) or prec not in PRECISION_PATTERNS:
                return False
            return _is_real_date(date, PRECISION_PATTERNS[prec])
        return pd.Series([row(d, p) for d, p in zip(f[date_col], f[prec_col])], index=f.index, dtype=bool)

    return _frame_check(
        f"{date_col} matches {prec_col}", [date_col, prec_col], ok,
        error=f"{date_col} written as YYYY-MM-DD / YYYY-MM / YYYY for precision day / month / year, a real "
              f"calendar date, and {prec_col} given exactly when {date_col} is",
        reason="the precision says how much of the date is known; a date and its precision that disagree "
               "(or a precision without a date) make the period the date stands for ambiguous")


def _end_not_before_start(start_col: str, start_prec: str | None, end_col: str, end_prec: str | None) -> Check:
    """End of the end period >= start of the start period; years or ISO dates with precisions."""
    def ok(f: pd.DataFrame) -> pd.Series:
        if start_prec is None:  # integer years
            s, e = f[start_col], f[end_col]
            return (s.isna() | e.isna() | (e >= s)).astype(bool)
        starts = [parse_period(d, p, "start") for d, p in zip(f[start_col], f[start_prec])]
        ends = [parse_period(d, p, "end") for d, p in zip(f[end_col], f[end_prec])]
        return pd.Series([s is None or e is None or e >= s for s, e in zip(starts, ends)], index=f.index,
                         dtype=bool)

    return _frame_check(
        f"{end_col} not before {start_col}", [start_col, end_col], ok,
        error=f"{end_col} on or after {start_col}",
        reason="a period cannot end before it starts; this is nearly always a transposed or mistyped date")


def parse_period(value, precision: str | None, side: str) -> pd.Timestamp | None:
    """Timestamp of an ISO date of the given precision: its first day (``side="start"``) or its last
    day (``side="end"``), e.g. ("2024-02", "month", "end") -> 2024-02-29. None for a missing or
    malformed value (validation reports those)."""
    if not isinstance(value, str) or precision not in PRECISION_PATTERNS or not _is_real_date(
            value, PRECISION_PATTERNS[precision]):
        return None
    start = pd.Timestamp(value if precision == "day" else value + ("-01" if precision == "month" else "-01-01"))
    if side == "start" or precision == "day":
        return start
    offset = pd.offsets.MonthEnd(0) if precision == "month" else pd.offsets.YearEnd(0)
    return start + offset


def _precision_of(iso: str) -> str | None:
    return {10: "day", 7: "month", 4: "year"}.get(len(iso)) if isinstance(iso, str) else None


def _source_not_before(date_col: str, prec_col: str, what: str) -> Check:
    """The row's source is dated no earlier than the dated thing it reports (periods compared inclusively)."""
    def ok(f: pd.DataFrame) -> pd.Series:
        out = []
        for d, p, src in zip(f[date_col], f[prec_col], f["source_date"]):
            start = parse_period(d, p, "start")
            end = parse_period(src, _precision_of(src), "end")
            out.append(start is None or end is None or end >= start)
        return pd.Series(out, index=f.index, dtype=bool)

    return _frame_check(
        f"source_date not before {date_col}", [date_col, "source_date"], ok,
        error=f"source_date on or after {date_col} (compared at the precision written)",
        reason=f"a source cannot report {what} before it happened; one of the two dates is mistyped or the "
               "source is the wrong one")


def _deal_constant(columns: list[str]) -> Check:
    def ok(f: pd.DataFrame) -> pd.Series:
        good = pd.Series(True, index=f.index)
        for c in columns:
            n = f.groupby("deal_id", dropna=False)[c].transform(lambda s: s.nunique(dropna=False))
            good &= n.le(1)
        return good

    return _frame_check(
        "same deal attributes on every row", ["deal_id", *columns], ok,
        error="the same " + ", ".join(columns) + " on every row of a deal_id",
        reason="these are attributes of the deal, repeated on each delivery-year row (SIPRI's export never "
               "varies them within a deal); a difference is a transcription error and would make the "
               "per-deal table ambiguous")


def _no_overlapping_spells() -> Check:
    def ok(f: pd.DataFrame) -> pd.Series:
        good = pd.Series(True, index=f.index)
        starts = pd.Series([parse_period(d, p, "start") for d, p in zip(f["start_date"], f["start_date_precision"])],
                           index=f.index, dtype="object")
        # the next spell may start in the same day/month/year in which this one ends (at the precision written)
        end_starts = pd.Series([parse_period(d, p, "start") for d, p in zip(f["end_date"], f["end_date_precision"])],
                               index=f.index, dtype="object")
        for _, group in f.groupby(["alliance", "country"], sort=False):
            known = [i for i in group.index if starts[i] is not None]  # malformed dates: reported elsewhere
            order = sorted(known, key=lambda i: starts[i])
            for prev, nxt in zip(order, order[1:]):
                if end_starts[prev] is None or starts[nxt] < end_starts[prev]:
                    good[prev] = good[nxt] = False
        return good

    return _frame_check(
        "no overlapping spells", ["alliance", "country", "status", "start_date", "end_date"], ok,
        error="spells of one country in one alliance do not overlap (a later spell starts no earlier than the "
              "day/month/year in which the previous one ends; only the last may be open-ended)",
        reason="a country has exactly one status in an alliance on any date; overlapping spells would make "
               "membership at a date (and the member-years of the supply screen) ambiguous")


def _end_fields_together(end_col: str, dependent: str) -> Check:
    return _frame_check(
        f"{dependent} only with {end_col}", [end_col, dependent],
        lambda f: f[end_col].notna() | f[dependent].isna(),
        error=f"{dependent} empty while {end_col} is empty",
        reason=f"a reason for an end that has not happened contradicts the open {end_col}")


# ----------------------------------------------------------------------------------------------
# shared column groups


SOURCE_REASON = "every row carries its own source (docs/design.md): a brief cites each fact it states"


UNDATED_NOTE = "Source undated"


def _undated_sources_say_so() -> Check:
    """For tables whose sources include undated pages (treaty texts, organisation pages): an empty
    source_date is allowed only where the row's notes say so, so a missing date is never an oversight."""
    def ok(frame: pd.DataFrame) -> pd.Series:
        empty = frame["source_date"].isna() | (frame["source_date"].astype("string").str.strip() == "")
        return ~empty | frame["notes"].fillna("").str.contains(UNDATED_NOTE, regex=False)
    return _frame_check("undated source said so", ["source_date", "notes"], ok,
                        error=f"an empty source_date needs '{UNDATED_NOTE}' in notes",
                        reason="treaty texts and organisation pages often carry no publication date; the "
                               "brief must say so rather than leave the reader guessing")


def _source_columns(*, undated_ok: bool = False) -> dict[str, Column]:
    return {
        "source_publisher": _str_col(required=SOURCE_REASON, doc="who published the source"),
        "source_title": _str_col(required=SOURCE_REASON, doc="title of the source (or document reference)"),
        "source_url": _str_col(
            _http_url("a link must be followable from the brief; document references without a URL go in "
                      "source_title and leave source_url empty"),
            doc="URL of the source, empty where it has none"),
        "source_date": _str_col(
            _iso_date_any("the brief prints and sorts source dates; any other form cannot be compared or "
                          "checked"),
            _not_in_future("a source cannot be dated after today: a future date is a typo"),
            required=None if undated_ok else SOURCE_REASON,
            doc="publication date of the source (ISO, day/month/year precision)"
                + ("; empty only for an undated source, said so in notes" if undated_ok else "")),
    }


def _dated(prefix: str, *, required: bool, doc: str) -> dict[str, Column]:
    precision_reason = ("says whether the date is known to the day, month or year; without it a written "
                        "'2024' could not be told apart from 1 January 2024")
    return {
        f"{prefix}_date": _str_col(
            required=f"every {doc} has at least a known year" if required else None,
            doc=f"{doc} date, ISO to the stated precision"),
        f"{prefix}_date_precision": _str_col(
            _allowed(PRECISIONS, precision_reason),
            required=f"every {doc} has a date, so it has a precision" if required else None,
            doc="day | month | year"),
    }


# ----------------------------------------------------------------------------------------------
# the tables

DATE_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    # table -> {date column: (precision column, side)}; side "start" parses to the first day of the period,
    # "end" to its last day (so "start <= d <= end" is inclusive at any precision).
    "alliance_membership": {"start_date": ("start_date_precision", "start"),
                            "end_date": ("end_date_precision", "end")},
    "conflicts": {"start_date": ("start_date_precision", "start"), "end_date": ("end_date_precision", "end")},
    "embargoes": {"start_date": ("start_date_precision", "start"), "end_date": ("end_date_precision", "end")},
    "events": {"event_date": ("event_date_precision", "start")},
    "claims": {"claim_date": ("claim_date_precision", "start")},
}


def _schema(name: str, columns: dict[str, Column], checks: list[Check], doc: str) -> DataFrameSchema:
    return DataFrameSchema(columns, checks=checks, strict=True, ordered=True, name=name, description=doc,
                           metadata={"dates": DATE_COLUMNS.get(name, {})})


def _registered_deliveries() -> DataFrameSchema:
    flag = "SIPRI marks every value as estimate or not ('Yes'/'No'), so the flag is never unknown"
    tiv = "SIPRI TIV is a volume measure and is never negative"
    columns = {
        "deal_id": _str_col(
            Check.str_matches(r"^\d+$", name="SIPRI deal id", error="digits only (SIPRI AT Database ID)",
                              description="the deal key is SIPRI's numeric AT Database ID, so rows can be "
                                          "traced back to SIPRI"),
            required="the deal key: delivery-year rows are grouped into deals by it"),
        "supplier": _str_col(required="a transfer without a supplier cannot be counted", doc="SIPRI spelling"),
        "recipient": _str_col(required="a transfer without a recipient cannot be counted", doc="SIPRI spelling"),
        "designation": _str_col(required="the brief names what was delivered"),
        "description": _str_col(required="the brief says what kind of weapon it is"),
        "armament_category": _str_col(
            _allowed(ARMAMENT_CATEGORIES, "SIPRI's armament categories, as written in its export; anything "
                                          "else would fall outside every category total"),
            required="SIPRI's per-delivery-year register gives a category for every deal"),
        "order_year": _col("Int64", _year_range(ORDER_YEAR_MIN, YEAR_MAX, ORDER_YEAR_REASON),
                           required="SIPRI gives an order year for every deal (estimated where uncertain)"),
        "is_order_year_estimate": _col("boolean", required=flag),
        "number_delivered": _col("Int64", _positive(
            "a delivery-year row records at least one item; an unknown number is left empty, never 0")),
        "is_number_delivered_estimate": _col("boolean", required=flag),
        "delivery_year": _col("Int64", _year_range(),
                              required="one row per deal and delivery year: the year is the row's key"),
        "is_delivery_year_estimate": _col("boolean", required=flag),
        "status": _str_col(_allowed(DELIVERY_STATUSES, "SIPRI's three statuses, as written in its export"),
                           required="SIPRI gives a status for every deal"),
        "tiv_unit_mn": _col("float64", _non_negative(tiv)),
        "tiv_delivered_mn": _col("float64", _non_negative(tiv)),
        "is_local_production": _col("boolean"),
        "comments": _str_col(),
        **_source_columns(),
    }
    checks = [
        _unique_key(["deal_id", "delivery_year"],
                    "one row per deal and delivery year: a duplicate would count the same deliveries twice"),
        _frame_check("supplier differs from recipient", ["supplier", "recipient"],
                     lambda f: f["supplier"] != f["recipient"], error="supplier != recipient",
                     reason="a transfer is between two parties; the same name on both sides is a copy error"),
        _deal_constant(["supplier", "recipient", "designation", "description", "armament_category", "order_year",
                        "is_order_year_estimate", "status", "tiv_unit_mn", "is_local_production"]),
    ]
    return _schema("registered_deliveries", columns, checks,
                   "SIPRI register rows restated for the case: one row per deal and delivery year")


def _tiv_totals() -> DataFrameSchema:
    columns = {
        "country": _str_col(
            _canonical_country(COUNTRY_REASON + "; 'World' is SIPRI's world-total row, the denominator of world "
                               "shares", also=(WORLD,)),
            required="the total belongs to a country (or the world)"),
        "direction": _str_col(_allowed(("imports", "exports"), "SIPRI publishes import and export tables; "
                                       "nothing else is a TIV total"),
                              required="an import total and an export total are different numbers"),
        "year": _col("Int64", _year_range(), required="SIPRI's TIV tables give one total per year"),
        "tiv_mn": _col("float64", _non_negative("SIPRI TIV is a volume measure and is never negative"),
                       doc="empty = no deliveries identified"),
        "is_below_half_mn": _col("boolean", required="SIPRI's '0' (between 0 and 0.5 mn) is either written or not"),
        **_source_columns(),
    }
    checks = [
        _unique_key(["country", "direction", "year"],
                    "one published total per country, direction and year: a duplicate makes the total ambiguous"),
        _frame_check("below-half flag matches tiv_mn", ["tiv_mn", "is_below_half_mn"],
                     lambda f: f["is_below_half_mn"] == f["tiv_mn"].eq(0).fillna(False),
                     error="is_below_half_mn true exactly where tiv_mn is 0",
                     reason="SIPRI writes '0' only for a volume between 0 and 0.5 mn TIV and leaves the cell "
                            "empty when nothing was identified; the flag restates that '0', so the two must agree"),
    ]
    return _schema("tiv_totals", columns, checks, "SIPRI's published TIV import/export totals by year")


def _alliances() -> DataFrameSchema:
    columns = {
        "alliance": _str_col(Check.str_matches(r"^\S+$", name="short key", error="a short key without spaces",
                                               description="the key other tables and parameters use "
                                                           "('CSTO'); spaces invite mismatches"),
                             required="the key other tables refer to"),
        "name": _str_col(required="the brief spells the alliance out"),
        "founding_document": _str_col(),
        "founding_date": _str_col(_iso_date_any("dates are compared and printed; other forms cannot be")),
        "notes": _str_col(),
        **_source_columns(undated_ok=True),
    }
    checks = [_unique_key(["alliance"], "the alliance key identifies one alliance"), _undated_sources_say_so()]
    return _schema("alliances", columns, checks, "Alliances the briefs refer to")


def _alliance_membership() -> DataFrameSchema:
    columns = {
        "alliance": _str_col(required="a spell belongs to an alliance"),
        "country": _str_col(_canonical_country(COUNTRY_REASON), required="a spell belongs to a country"),
        "status": _str_col(
            _allowed(("member", "participation frozen", "suspended"),
                     "the statuses the alliance logic distinguishes (only 'member' counts as membership)"),
            required="membership at a date is read from the status"),
        **_dated("start", required=True, doc="membership spell start"),
        **_dated("end", required=False, doc="membership spell end (empty = ongoing)"),
        "end_reason": _str_col(),
        "notes": _str_col(),
        **_source_columns(undated_ok=True),
    }
    checks = [
        _undated_sources_say_so(),
        _date_precision_check("start_date", "start_date_precision"),
        _date_precision_check("end_date", "end_date_precision"),
        _end_not_before_start("start_date", "start_date_precision", "end_date", "end_date_precision"),
        _end_fields_together("end_date", "end_reason"),
        _unique_key(["alliance", "country", "start_date"],
                    "a country starts one spell in an alliance on a given date; a duplicate is a double entry"),
        _no_overlapping_spells(),
    ]
    return _schema("alliance_membership", columns, checks, "Alliance membership spells, one row per status spell")


def _conflicts() -> DataFrameSchema:
    columns = {
        "conflict_id": _str_col(required="the key claims and notes refer to"),
        "side_a": _str_col(_canonical_country(COUNTRY_REASON), required="a dyad has two sides"),
        "side_b": _str_col(_canonical_country(COUNTRY_REASON), required="a dyad has two sides"),
        "kind": _str_col(_allowed(("adversary dyad", "war", "armed clashes"),
                                  "the kinds the cross-alliance screen and the brief's wording distinguish"),
                         required="the brief words a war differently from a standing rivalry"),
        "name": _str_col(required="the brief names the conflict"),
        **_dated("start", required=True, doc="conflict start"),
        **_dated("end", required=False, doc="conflict end (empty = ongoing)"),
        "notes": _str_col(),
        **_source_columns(),
    }
    checks = [
        _unique_key(["conflict_id"], "the id identifies one conflict"),
        _frame_check("two different sides", ["side_a", "side_b"], lambda f: f["side_a"] != f["side_b"],
                     error="side_a != side_b", reason="a country is not in a conflict with itself"),
        _date_precision_check("start_date", "start_date_precision"),
        _date_precision_check("end_date", "end_date_precision"),
        _end_not_before_start("start_date", "start_date_precision", "end_date", "end_date_precision"),
    ]
    return _schema("conflicts", columns, checks, "Adversary dyads, wars and armed clashes")


EMBARGO_BODIES = ("UN Security Council", "EU", "OSCE", "ECOWAS", "Arab League", "other body")
EMBARGO_BINDING = ("binding", "voluntary")
EMBARGO_SCOPES = ("whole state", "government forces", "non-governmental forces")
NAMED_FORCES = "named forces: "


def _embargoes() -> DataFrameSchema:
    scope_re = "^(" + "|".join(re.escape(s) for s in EMBARGO_SCOPES) + "|" + re.escape(NAMED_FORCES) + r"\S.*)$"
    columns = {
        "embargo_id": _str_col(
            Check.str_matches(r"^[a-z]+-\d{4}-[a-z0-9-]+$", name="embargo slug",
                              error="a slug body-year-target, e.g. un-1992-somalia (lower case, digits, '-')",
                              description="the id is shared by the rows of one decision and quoted in briefs; "
                                          "one spelling rule keeps it stable"),
            required="the key that groups the targets of one decision"),
        "imposed_by": _str_col(_allowed(EMBARGO_BODIES, "the brief names the imposing body; one spelling per body "
                                                        "(an unlisted body is 'other body', named in notes)"),
                               required="the brief says who imposed the embargo"),
        "target": _str_col(_canonical_country(COUNTRY_REASON + "; non-state targets are recorded against the "
                                              "state where they operate, with target_scope naming them"),
                           required="deliveries are matched to embargoes by target"),
        "target_scope": _str_col(
            Check.str_matches(scope_re, name="target scope",
                              error="whole state | government forces | non-governmental forces | "
                                    "'named forces: <which>'",
                              description="a delivery to a government is not covered by an embargo on rebel "
                                          "forces; the brief must say which forces an embargo covered"),
            required="the brief must say whom the embargo covered"),
        "binding": _str_col(_allowed(EMBARGO_BINDING, "the brief says whether suppliers were legally bound "
                                                      "(UNSC Chapter VII decisions, EU acts) or only asked"),
                            required="a binding embargo and a request are worded differently in the brief"),
        "scope": _str_col(required="the brief says what the embargo covered"),
        "instrument": _str_col(required="the brief cites the establishing decision"),
        **_dated("start", required=True, doc="embargo start"),
        **_dated("end", required=False, doc="embargo end (empty = in force at the source's date)"),
        "notes": _str_col(),
        **_source_columns(undated_ok=True),
    }
    checks = [
        _unique_key(["embargo_id", "target"], "one row per embargo and target; a duplicate would mark deliveries "
                                              "twice"),
        _date_precision_check("start_date", "start_date_precision"),
        _date_precision_check("end_date", "end_date_precision"),
        _end_not_before_start("start_date", "start_date_precision", "end_date", "end_date_precision"),
        _undated_sources_say_so(),
    ]
    return _schema("embargoes", columns, checks, "Multilateral arms embargoes, one row per embargo and target")


def _events() -> DataFrameSchema:
    columns = {
        **_dated("event", required=True, doc="event"),
        "title": _str_col(required="the timeline shows a title for every event"),
        "description": _str_col(),
        "countries": _str_col(
            _canonical_country(COUNTRY_REASON, separator=";"),
            Check(lambda s: s.map(lambda v: all(p.strip() for p in v.split(";"))).astype(bool),
                  name="no empty list items", error="';'-separated names with no empty item",
                  description="an empty item (';;' or a trailing ';') is a typo that hides a missing name"),
            required="events are selected for a brief by the countries they concern"),
        "kind": _str_col(_allowed(("war", "diplomacy", "alliance", "arms", "statement"),
                                  "the kinds the timeline chart colours and filters by"),
                         required="the timeline chart colours events by kind"),
        **_source_columns(),
    }
    checks = [
        _date_precision_check("event_date", "event_date_precision"),
        _unique_key(["event_date", "title"], "the same event twice would appear twice in the timeline"),
        _source_not_before("event_date", "event_date_precision", "an event"),
    ]
    return _schema("events", columns, checks, "Political and military events for the timeline")


CHECK_FIELDS = ("check_supplier", "check_recipient", "check_alliance", "check_start_year", "check_end_year",
                "check_min_suppliers")
# check_type -> fields that must be given; every other check field must be empty.
CHECK_FIELDS_REQUIRED = {
    "supplier_delivered": ("check_supplier", "check_recipient", "check_start_year", "check_end_year"),
    "members_supplied": ("check_alliance", "check_recipient", "check_start_year", "check_end_year",
                         "check_min_suppliers"),
    "none": (),
}


def _check_fields_match_type(f: pd.DataFrame) -> pd.Series:
    good = pd.Series(True, index=f.index)
    for kind, needed in CHECK_FIELDS_REQUIRED.items():
        rows = f["check_type"] == kind
        for field in CHECK_FIELDS:
            present = f[field].notna()
            good &= ~rows | (present if field in needed else ~present)
    return good


def _claims() -> DataFrameSchema:
    columns = {
        "claim_id": _str_col(required="the key the brief's claim table uses"),
        "claimant": _str_col(required="a claim is attributed to someone"),
        "claimant_role": _str_col(),
        **_dated("claim", required=True, doc="claim"),
        "claim_text": _str_col(required="the brief quotes or paraphrases the claim"),
        "is_paraphrase": _col("boolean", required="a quotation and a paraphrase are presented differently"),
        "notes": _str_col(),
        **_source_columns(),
        "check_type": _str_col(_allowed(tuple(CHECK_FIELDS_REQUIRED), "the checks analysis.case.claims implements"),
                               required="every claim gets a verdict, 'none' included"),
        "check_supplier": _str_col(_canonical_country(COUNTRY_REASON)),
        "check_recipient": _str_col(_canonical_country(COUNTRY_REASON)),
        "check_alliance": _str_col(),
        "check_start_year": _col("Int64", _year_range()),
        "check_end_year": _col("Int64", _year_range()),
        "check_min_suppliers": _col("Int64", _positive("'at least N members supplied' needs N >= 1")),
    }
    fields_error = "; ".join(f"{k}: {', '.join(v) or 'no check fields'}" for k, v in CHECK_FIELDS_REQUIRED.items())
    checks = [
        _unique_key(["claim_id"], "the id identifies one claim"),
        _date_precision_check("claim_date", "claim_date_precision"),
        _frame_check("check fields match check_type", ["check_type", *CHECK_FIELDS], _check_fields_match_type,
                     error="exactly the fields the check_type needs (" + fields_error + ")",
                     reason="a missing field makes the check impossible; an extra one would be silently ignored "
                            "and usually means the wrong check_type was chosen"),
        _end_not_before_start("check_start_year", None, "check_end_year", None),
        _source_not_before("claim_date", "claim_date_precision", "a claim"),
    ]
    columns["claim_date"] = _str_col(
        _not_in_future("a claim is quoted after it was made: a future date is a typo"),
        required=columns["claim_date"].metadata["required"], doc=columns["claim_date"].description)
    return _schema("claims", columns, checks, "Public claims about the transfers, with machine-checkable forms")


def _reported_transfers() -> DataFrameSchema:
    columns = {
        "report_id": _str_col(required="the key claims and notes refer to"),
        "supplier": _str_col(_canonical_country(COUNTRY_REASON), required="a transfer has a supplier"),
        "recipient": _str_col(_canonical_country(COUNTRY_REASON), required="a transfer has a recipient"),
        "designation": _str_col(),
        "description": _str_col(required="the brief says what was reportedly transferred"),
        "quantity": _col("Int64", _positive("a reported quantity is at least one item; unknown is left empty")),
        "period_start_year": _col("Int64", _year_range()),
        "period_end_year": _col("Int64", _year_range()),
        "evidence": _str_col(_allowed(("leaked documents", "press report", "official statement"),
                                      "the evidence kinds the brief distinguishes when it weighs reports"),
                             required="reported evidence is always labelled by kind, never mixed with the register"),
        "confidence": _str_col(_allowed(("high", "medium", "low"), "the project's three-level confidence scale"),
                               required="every report is graded"),
        "notes": _str_col(),
        **_source_columns(),
    }
    checks = [
        _unique_key(["report_id"], "the id identifies one report"),
        _frame_check("supplier differs from recipient", ["supplier", "recipient"],
                     lambda f: f["supplier"] != f["recipient"], error="supplier != recipient",
                     reason="a transfer is between two parties; the same name on both sides is a copy error"),
        _end_not_before_start("period_start_year", None, "period_end_year", None),
        _frame_check("end year only with start year", ["period_start_year", "period_end_year"],
                     lambda f: f["period_start_year"].notna() | f["period_end_year"].isna(),
                     error="period_end_year empty when period_start_year is",
                     reason="a period with an end but no start cannot be placed in time (the brief reads an "
                            "empty end as 'the start year only')"),
    ]
    return _schema("reported_transfers", columns, checks,
                   "Transfers reported outside the SIPRI register (press, official statements, leaks)")


SIPRI_REGIONS = ("Africa", "Americas", "Asia and Oceania", "Europe", "Middle East")
# SIPRI's subregions by region, as its Military Expenditure Database workbook labels them (the Middle East
# has none; "Central and Western Europe" is the label of SIPRI's recent regional totals).
SIPRI_SUBREGIONS = {
    "Africa": ("North Africa", "sub-Saharan Africa"),
    "Americas": ("Central America and the Caribbean", "North America", "South America"),
    "Asia and Oceania": ("Central Asia", "East Asia", "Oceania", "South Asia", "South East Asia"),
    "Europe": ("Central Europe", "Eastern Europe", "Western Europe", "Central and Western Europe"),
    "Middle East": (),
}


def _regions() -> DataFrameSchema:
    region_reason = "SIPRI's own five regions (SIPRI Yearbook, Arms Transfers and Military Expenditure databases)"
    subregions = [s for group in SIPRI_SUBREGIONS.values() for s in group]
    columns = {
        "country": _str_col(_canonical_country(COUNTRY_REASON), required="a row maps one state"),
        "region": _str_col(_allowed(SIPRI_REGIONS, region_reason), required="regional shares group by region"),
        "subregion": _str_col(_allowed(subregions, "SIPRI's subregions, spelled as SIPRI labels them"),
                              doc="empty where SIPRI's subregion is not in a source read (notes say so)"),
        "notes": _str_col(),
        **_source_columns(),
    }
    checks = [
        _unique_key(["country"], "analysis.case.trends.regional_shares needs one region per country"),
        _frame_check("subregion within region", ["region", "subregion"],
                     lambda f: pd.Series([pd.isna(s) or s in SIPRI_SUBREGIONS.get(r, ()) for r, s in
                                          zip(f["region"], f["subregion"])], index=f.index, dtype=bool),
                     error="a subregion of the row's region (or empty)",
                     reason="a subregion under the wrong region would move a state's imports between regions"),
    ]
    return _schema("regions", columns, checks, "SIPRI's regions and subregions of states")


SCHEMAS: dict[str, DataFrameSchema] = {
    "registered_deliveries": _registered_deliveries(),
    "tiv_totals": _tiv_totals(),
    "alliances": _alliances(),
    "alliance_membership": _alliance_membership(),
    "conflicts": _conflicts(),
    "embargoes": _embargoes(),
    "events": _events(),
    "claims": _claims(),
    "reported_transfers": _reported_transfers(),
    "regions": _regions(),
}


def schema_for(name: str) -> DataFrameSchema:
    """The schema of table ``name`` (file stem, e.g. ``"claims"``)."""
    try:
        return SCHEMAS[name]
    except KeyError:
        raise KeyError(f"no schema for case table {name!r}; known tables: {', '.join(SCHEMAS)}") from None

