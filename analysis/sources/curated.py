"""Load and validate the curated case datasets in ``data/case/``.

:func:`load_table` reads ``CASE_DIR/<name>.csv`` (or ``<folder>/<name>.csv``: a case pack's events, claims
and reported transfers, see analysis.sources.packs) in this order, stopping at the first stage that fails:

1. the file must exist (the error names the path);
2. its sidecar must be valid and describe exactly these bytes (:func:`analysis.sources.sidecars.validate_sidecar`:
   schema, header, row count, SHA-256);
3. the header must equal the columns of ``analysis.sources.schemas.SCHEMAS[name]``, every record must have as
   many fields as the header, and every cell must convert to its column's type (integers, numbers,
   booleans written ``true``/``false``; empty = missing);
4. the pandera schema: every rule, each with its reason.

Every error names the file, the line (1-based line of the file, so the header is line 1 and the first
data row line 2), the column and value, the rule and its reason; all problems of a stage are reported
together (:class:`CaseDataError`).

The returned frame has a fresh ``RangeIndex``, strings in pandas' default ``str`` dtype (missing = NaN),
``Int64`` integers, ``float64`` numbers, required flags as ``bool`` and optional ones as ``boolean``.
Date columns that have a precision column (``start_date``/``start_date_precision`` ...; see
``analysis.sources.schemas.DATE_COLUMNS``) become Timestamps: **start and event/claim dates at the first day of
their period, ``end_date`` at the last day of its period** ("2024" -> 2024-01-01 as a start,
2024-12-31 as an end; "2024-02" as an end -> 2024-02-29), so ``start_date <= d <= end_date`` is
inclusive at any precision. The precision columns are kept, so the written precision is never lost.
Other dates (``source_date``, ``founding_date``) stay ISO strings.

:func:`load_embedded_register` turns ``registered_deliveries.csv`` into the tidy ``Register`` of
docs/design.md (``format="embedded"``).
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import pickle
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from analysis import paths
from analysis.sources import cache

if TYPE_CHECKING:  # imported lazily: pandera (via analysis.sources.schemas) costs ~0.5 s and is only
    import pandera.errors  # needed when a table is validated, not when it comes from the cache

__all__ = [
    "CaseDataError", "Problem", "TABLES", "EMBEDDED_SOURCE",
    "load_table", "load_all", "check_references", "load_embedded_register", "case_path",
]

# The tables of analysis.sources.schemas.SCHEMAS, in its order (a test checks that the two agree; spelled
# out here so that importing this module does not import pandera).
TABLES = ("registered_deliveries", "tiv_totals", "alliances", "alliance_membership", "conflicts", "embargoes",
          "events", "claims", "reported_transfers", "regions")
EMBEDDED_SOURCE = "embedded case data"
MAX_PROBLEMS_SHOWN = 30
HEADER_LINES = 1  # data row n (1-based) is on line n + HEADER_LINES when no field spans lines

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_BOOLS = {"true": True, "false": False}


# ------------------------------------------------------------------------------------------------
# errors


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (line, column, value), what was expected, the rule and why."""

    line: int | None
    column: str | None
    value: Any
    rule: str
    expected: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        if self.column is not None:
            where += f", {self.column}" + ("" if self.value is _NO_VALUE else f" = {_show(self.value)}")
        text = f"{where}: expected {self.expected} [rule: {self.rule}]"
        return text + (f"; why: {self.reason}" if self.reason else "")


_NO_VALUE = object()


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict, str)) and pd.isna(value)):
        return "(empty)"
    return repr(value) if isinstance(value, str) else str(value)


class CaseDataError(ValueError):
    """A case dataset breaks its schema. ``problems`` holds every :class:`Problem` found."""

    def __init__(self, path: Path | str, problems: list[Problem], stage: str = "schema"):
        self.path = Path(path)
        self.problems = sorted(problems, key=lambda p: (p.line is not None, p.line or 0, p.column or ""))
        self.stage = stage
        super().__init__(f"{self.path}: {len(self.problems)} problem(s) ({stage}; rules in analysis/schemas.py; "
                         f"line numbers count the header as line 1)\n{_grouped(self.problems)}")


def _grouped(problems: list[Problem]) -> str:
    """Problems grouped by rule (reason stated once), then by column and value with their lines."""
    rules: dict[tuple[str, str, str], dict[tuple[str | None, str], list[int | None]]] = {}
    for p in problems:
        what = "" if p.column is None else p.column + ("" if p.value is _NO_VALUE else f" = {_show(p.value)}")
        rules.setdefault((p.rule, p.expected, p.reason), {}).setdefault((what, ""), []).append(p.line)
    out, shown = [], 0
    for (rule, expected, reason), places in rules.items():
        out.append(f"  rule {rule!r}: expected {expected}" + (f"\n    why: {reason}" if reason else ""))
        for (what, _), lines in places.items():
            if shown >= MAX_PROBLEMS_SHOWN:
                break
            known = [n for n in lines if n is not None]
            where = (("line " if len(known) == 1 else "lines ") + _line_ranges(known)) if known else "file"
            out.append(f"    - {where}" + (f": {what}" if what else ""))
            shown += 1
    hidden = sum(len(places) for places in rules.values()) - shown
    if hidden > 0:
        out.append(f"  ... and {hidden} more")
    return "\n".join(out)


def _line_ranges(lines: list[int]) -> str:
    lines = sorted(set(lines))
    parts, start = [], None
    for i, n in enumerate(lines):
        if start is None:
            start = n
        if i + 1 == len(lines) or lines[i + 1] != n + 1:
            parts.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)


# ------------------------------------------------------------------------------------------------
# reading


def case_path(name: str, folder: Path | str | None = None) -> Path:
    """``<folder>/<name>.csv`` for a table name (``"claims"`` or ``"claims.csv"``); ``folder`` defaults
    to ``CASE_DIR`` (a case pack passes its own folder, see analysis.sources.packs)."""
    return Path(folder if folder is not None else paths.CASE_DIR) / f"{_table_name(name)}.csv"


def _table_name(name: str) -> str:
    return name[:-4] if name.endswith(".csv") else name


def _records(data: bytes, path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line number, fields)`` of every data record (blank lines skipped)."""
    text = data.decode("utf-8-sig")  # validate_sidecar has already rejected invalid UTF-8
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for fields in reader:
            start, last = last + 1, reader.line_num
            if not fields:
                continue
            if header is None:
                header = fields
            else:
                records.append((start, fields))
    except csv.Error as exc:
        raise CaseDataError(path, [Problem(reader.line_num, None, _NO_VALUE, "CSV syntax", "well-formed CSV",
                                           str(exc))], stage="reading") from None
    if header is None:
        raise CaseDataError(path, [Problem(None, None, _NO_VALUE, "header", "a header row", "")], stage="reading")
    return header, records


def _kind(dtype: Any) -> str:
    text = str(dtype)
    if text == "Int64":
        return "int"
    if text.startswith("float"):
        return "float"
    if text in ("boolean", "bool"):
        return "bool"
    return "str"


def _convert(header: list[str], records: list[tuple[int, list[str]]], schema, path: Path) -> pd.DataFrame:
    """Typed frame indexed by line number; raises CaseDataError on ragged records or unconvertible cells."""
    problems: list[Problem] = []
    width = len(header)
    good = []
    for line, fields in records:
        if len(fields) != width:
            problems.append(Problem(line, None, _NO_VALUE, "field count", f"{width} fields like the header, "
                                    f"found {len(fields)}",
                                    "a missing or extra comma (or an unquoted comma in a text) shifts every "
                                    "later value into the wrong column"))
        else:
            good.append((line, fields))
    lines = [line for line, _ in good]
    index = pd.Index(lines, dtype="int64", name="line")
    columns: dict[str, pd.Series] = {}
    for pos, name in enumerate(header):
        raw = [fields[pos] for _, fields in good]
        kind = _kind(schema.columns[name].dtype)
        values: list[Any] = []
        for line, cell in zip(lines, raw):
            if cell == "":
                values.append(None)
            elif kind == "int" and _INT.fullmatch(cell):
                values.append(int(cell))
            elif kind == "float" and _FLOAT.fullmatch(cell):
                values.append(float(cell))
            elif kind == "bool" and cell in _BOOLS:
                values.append(_BOOLS[cell])
            elif kind == "str":
                values.append(cell)
            else:
                expected = {"int": "a whole number", "float": "a number (decimal point '.')",
                            "bool": "true or false (lower case)"}[kind]
                problems.append(Problem(line, name, cell, "type", expected,
                                        "the column's type is fixed by its schema; empty means unknown"))
                values.append(None)
        if kind == "int":
            series = pd.Series(pd.array(values, dtype="Int64"), index=index)
        elif kind == "float":
            series = pd.Series([np.nan if v is None else v for v in values], index=index, dtype="float64")
        elif kind == "bool":
            series = pd.Series(pd.array(values, dtype="boolean"), index=index)
        else:
            series = pd.Series(values, index=index, dtype="str")
        columns[name] = series
    if problems:
        raise CaseDataError(path, problems, stage="reading")
    return pd.DataFrame(columns, index=index)


def _schema_problems(err: pandera.errors.SchemaErrors, frame: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    for se in err.schema_errors:
        check = se.check
        component = se.schema
        column = getattr(component, "name", None) if component is not None and hasattr(component, "dtype") \
            and not hasattr(component, "columns") else None
        code = str(getattr(se.reason_code, "name", se.reason_code))
        cases = se.failure_cases if isinstance(se.failure_cases, pd.DataFrame) else None

        if code == "SERIES_CONTAINS_NULLS" and cases is not None:
            reason = (component.metadata or {}).get("required", "") if component is not None else ""
            for line in cases["index"]:
                problems.append(Problem(_line(line), column, None, "required", "a value (not empty)", reason))
        elif hasattr(check, "description") and cases is not None and "index" in cases:
            rule = check.name or str(check)
            expected = check.error or rule
            reason = check.description or ""
            frame_columns = (check.statistics or {}).get("columns")
            if column is None and frame_columns:  # a frame-level rule: show the row's values it read
                for line in pd.unique(cases["index"]):
                    values = ", ".join(f"{c} = {_show(frame.at[line, c])}" for c in frame_columns)
                    problems.append(Problem(_line(line), f"[{values}]", _NO_VALUE, rule, expected, reason))
            else:
                for line, value in zip(cases["index"], cases["failure_case"]):
                    problems.append(Problem(_line(line), column, value, rule, expected, reason))
        else:  # wrong dtype, missing column, a check that raised: pandera's own message
            problems.append(Problem(None, column, _NO_VALUE, code.lower().replace("_", " "),
                                    "see pandera's message", str(se).strip().splitlines()[0]))
    return problems


def _line(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


# ------------------------------------------------------------------------------------------------
# the validated-table cache
#
# Validation (sidecar + pandera) is a pure function of the CSV bytes, the sidecar bytes and the code
# and libraries that validate them, so its result is cached under a key made of exactly those:
# SHA-256 of the CSV, SHA-256 of its sidecar, and a fingerprint of the validating code (the sources of
# this module, analysis.sources.schemas, analysis.sources.sidecars, analysis.sources.countries and analysis.sources.sipri, and the
# versions of Python, pandas, numpy, pandera, pyarrow, pycountry and country_converter). Any change to
# a file or to that code misses the cache and is validated in full; only tables that passed are
# cached. (The one time-dependent rule, "claim date not in the future", can only go from failing to
# passing as time moves on, so a cached pass stays a pass.) Entries are pickles of the validated
# frames in ``paths.CACHE_DIR/case-tables/`` (git-ignored, written atomically: concurrent builds are
# safe); ``ARMSBRIEF_CASE_CACHE=0`` switches the cache off.

CACHE_FORMAT = 2
_FINGERPRINT_MODULES = ("sources/curated.py", "sources/schemas.py", "sources/sidecars.py", "sources/countries.py",
                        "sources/sipri.py")
_FINGERPRINT_PACKAGES = ("pandas", "numpy", "pandera", "pyarrow", "pycountry", "country_converter")


def _cache_enabled(use_cache: bool) -> bool:
    return use_cache and os.environ.get("ARMSBRIEF_CASE_CACHE", "1").strip().lower() not in ("0", "no", "false", "off")


def _cache_key(kind: str, name: str, path: Path, data: bytes) -> str | None:
    """Key of ``path`` (with bytes ``data``) and its sidecar; None when there is no sidecar to key on."""
    try:
        sidecar = (path.parent / f"{path.stem}.meta.yml").read_bytes()
    except OSError:
        return None  # validation reports the missing sidecar
    digest = hashlib.sha256(f"{CACHE_FORMAT}\0{kind}\0{name}\0{path.name}\0".encode())
    digest.update(hashlib.sha256(data).digest())
    digest.update(hashlib.sha256(sidecar).digest())
    digest.update(cache.fingerprint(_FINGERPRINT_MODULES, _FINGERPRINT_PACKAGES).encode())
    return f"{kind}-{name}-{digest.hexdigest()[:40]}"


def _cache_read(key: str | None):
    if key is None:
        return None
    files = cache.read("case-tables", key)
    if files is None:
        return None
    try:
        return pickle.loads(files["value.pickle"])
    except Exception:  # noqa: BLE001 - verified but unreadable (another pandas): validate again
        return None


def _cache_write(key: str | None, value) -> None:
    if key is not None:
        cache.write("case-tables", key, {"value.pickle": pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)})


def _read_table_bytes(name: str, folder: Path | str | None = None) -> tuple[str, Path, bytes]:
    name = _table_name(name)
    if name not in TABLES:
        from analysis.sources.schemas import schema_for

        schema_for(name)  # raises KeyError naming the known tables
    path = case_path(name, folder)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: case dataset missing (expected table {name!r} in {path.parent})")
    return name, path, path.read_bytes()


def _load(name: str, *, use_cache: bool = True, read: tuple[str, Path, bytes] | None = None,
          folder: Path | str | None = None) -> tuple[pd.DataFrame, np.ndarray, Path]:
    """Validated frame, the file line of each row, and the path (from the cache when the bytes,
    their sidecar and the validating code are unchanged). ``read``: ``_read_table_bytes(name)``
    when the caller has already read the file; ``folder``: where the table is (default ``CASE_DIR``)."""
    name, path, data = read or _read_table_bytes(name, folder)
    key = _cache_key("table", name, path, data) if _cache_enabled(use_cache) else None
    cached = _cache_read(key)
    if cached is not None:
        frame, lines = cached
        return frame, lines, path
    frame, lines = _validate(name, path, data)
    _cache_write(key, (frame, lines))
    return frame, lines, path


def _validate(name: str, path: Path, data: bytes) -> tuple[pd.DataFrame, np.ndarray]:
    """Every check of the module docstring on ``data`` (the bytes of ``path``)."""
    import pandera.errors

    from analysis.sources import sidecars
    from analysis.sources.schemas import parse_period, schema_for

    schema = schema_for(name)
    sidecars.validate_sidecar(path, data=data)  # raises SidecarError: checksum, header, rows, columns

    header, records = _records(data, path)
    expected = list(schema.columns)
    if header != expected:
        detail = sidecars.column_difference(expected, header, expected_name="schema", actual_name="file")
        raise CaseDataError(path, [Problem(1, None, _NO_VALUE, "header", f"the columns {expected}",
                                           detail + "; the schema (analysis/schemas.py), the sidecar "
                                           "and the file must agree")], stage="header")
    frame = _convert(header, records, schema, path)
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        raise CaseDataError(path, _schema_problems(err, frame)) from None
    except pandera.errors.SchemaError as err:  # pragma: no cover - lazy=True collects everything
        raise CaseDataError(path, [Problem(None, None, _NO_VALUE, "schema", "see message", str(err))]) from None

    for column_name, column in schema.columns.items():  # required flags: bool, as docs/design.md says
        if str(column.dtype) == "boolean" and not column.nullable:
            frame[column_name] = frame[column_name].astype("bool")
    for date_col, (prec_col, side) in schema.metadata.get("dates", {}).items():
        parsed = [parse_period(d, p, side) for d, p in zip(frame[date_col], frame[prec_col])]
        frame[date_col] = pd.to_datetime(pd.Series([pd.NaT if v is None else v for v in parsed],
                                                   index=frame.index, dtype="object"))
    lines = frame.index.to_numpy()
    return frame.reset_index(drop=True), lines


def load_table(name: str, folder: Path | str | None = None, *, use_cache: bool = True) -> pd.DataFrame:
    """The validated case table ``name`` (``"claims"``, ``"alliance_membership"``, ...; see ``TABLES``)
    read from ``folder`` (default ``CASE_DIR``; a case pack's folder for its events, claims and
    reported transfers), with the same checks and messages wherever it lives.

    Raises ``FileNotFoundError`` (naming the path) for a missing file,
    :class:`analysis.sources.sidecars.SidecarError` for a missing/wrong sidecar or a changed checksum, and
    :class:`CaseDataError` (file, line, column, value, rule, reason) for data that break the schema.
    A table whose bytes, sidecar and validating code are unchanged since it last passed comes from
    the validated-table cache (see above); ``use_cache=False`` validates it regardless.
    """
    return _load(name, use_cache=use_cache, folder=folder)[0]


def load_all(names: Iterable[str] = TABLES) -> dict[str, pd.DataFrame]:
    """Every case table, validated, keyed by name."""
    return {name: load_table(name) for name in names}


def check_references(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Cross-table problems: alliance keys used in ``alliance_membership`` and ``claims`` that
    ``alliances`` does not define. Tables absent from ``tables`` are not checked."""
    problems = []
    if "alliances" not in tables:
        return problems
    known = set(tables["alliances"]["alliance"])
    for table, column in (("alliance_membership", "alliance"), ("claims", "check_alliance")):
        if table in tables:
            unknown = sorted(set(tables[table][column].dropna()) - known)
            if unknown:
                problems.append(f"{table}.csv: {column} {unknown} not defined in alliances.csv "
                                f"(known: {sorted(known)})")
    return problems


# ------------------------------------------------------------------------------------------------
# the embedded register

def _country_functions():
    """``(normalise, iso3)`` from analysis.sources.countries, or an identity fallback while it is missing."""
    try:
        from analysis.sources import countries
    except ModuleNotFoundError as exc:
        if exc.name != "analysis.sources.countries":
            raise
        # TODO(countries): remove this fallback once analysis/countries.py is in the tree.
        warnings.warn("TODO: analysis.sources.countries is missing: embedded register names are left as SIPRI "
                      "writes them and ISO3 codes are empty", RuntimeWarning, stacklevel=3)
        return (lambda name, context=None: name), (lambda name, context=None: None)
    return countries.normalise, countries.iso3


def _join_distinct(values: pd.Series, sep: str) -> str | float:
    seen = list(dict.fromkeys(v for v in values if isinstance(v, str) and v))
    return sep.join(seen) if seen else np.nan


def load_embedded_register(*, use_cache: bool = True):
    """The embedded ``registered_deliveries.csv`` as an ``analysis.sources.sipri.Register`` (docs/design.md).

    ``deal_key`` is SIPRI's deal id. Deals are aggregated from the per-year rows: ``number_delivered``
    summed (unknown if any year's number is unknown), ``tiv_delivered_mn`` summed (NaN only if no
    year has a value), ``delivery_years`` joined ``"2018; 2019"``, estimates flagged if any year is
    an estimate. ``number_ordered`` and ``tiv_order_mn`` are not in the per-year register: empty.
    Names go through ``analysis.sources.countries`` (SIPRI spellings kept in ``*_sipri``). ``vintage`` is
    the rows' common ``source_date``; rows with different source dates are an error.
    Cached like the tables (same key: the CSV, its sidecar and the code that builds the register).
    """
    # lazily: analysis.sources.sipri is the home of the Register and of its column types
    from analysis.sources.sipri import Register

    read = _read_table_bytes("registered_deliveries")
    key = _cache_key("register", *read) if _cache_enabled(use_cache) else None
    cached = _cache_read(key)
    if cached is None:
        cached = _embedded_register_frames(read, use_cache)
        _cache_write(key, cached)
    deals, deliveries, vintage = cached
    return Register(deals=deals, deliveries=deliveries, source=EMBEDDED_SOURCE, format="embedded",
                    vintage=vintage, sha256="")


def _embedded_register_frames(read, use_cache: bool) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    from analysis.sources.sipri import DEALS_COLUMNS, DELIVERIES_COLUMNS

    rows, lines, path = _load("registered_deliveries", use_cache=use_cache, read=read)
    vintages = sorted(set(rows["source_date"].dropna()))
    if len(vintages) != 1:
        by_vintage = {v: [int(n) for n in lines[(rows["source_date"] == v).to_numpy()]][:5] for v in vintages}
        raise CaseDataError(path, [Problem(None, "source_date", _NO_VALUE, "one vintage",
                                           "the same source_date (the SIPRI data vintage) on every row; found "
                                           + "; ".join(f"{v} (lines {ls}...)" for v, ls in by_vintage.items()),
                                           "an embedded register is one SIPRI vintage; mixing vintages mixes "
                                           "revised and unrevised TIV values")], stage="register")
    vintage = vintages[0]

    normalise, iso3 = _country_functions()
    names: dict[str, tuple[str, str | None]] = {}
    for column in ("supplier", "recipient"):
        for name, line in zip(rows[column], lines):
            if name not in names:
                context = f"{path.name}, line {line}, {column}"
                names[name] = (normalise(name, context=context), iso3(name, context=context))

    rows = rows.copy()
    for column in ("supplier", "recipient"):
        rows[f"{column}_sipri"] = rows[column]
        rows[f"{column}_iso3"] = pd.Series([names[n][1] for n in rows[column]], index=rows.index, dtype="str")
        rows[column] = pd.Series([names[n][0] for n in rows[column]], index=rows.index, dtype="str")
    rows["deal_key"] = rows["deal_id"]

    deliveries = rows.assign(is_tiv_allocated=False)[list(DELIVERIES_COLUMNS)]
    deliveries = deliveries.astype(DELIVERIES_COLUMNS).reset_index(drop=True)

    grouped = rows.groupby("deal_id", sort=False)
    deals = rows.drop_duplicates("deal_id", keep="first").set_index("deal_id", drop=False)
    number = grouped["number_delivered"].sum(min_count=1)
    number[rows["number_delivered"].isna().groupby(rows["deal_id"], sort=False).any()] = pd.NA
    deals["number_delivered"] = number.astype("Int64")
    deals["is_number_delivered_estimate"] = grouped["is_number_delivered_estimate"].any()
    deals["delivery_years"] = grouped["delivery_year"].agg(
        lambda s: "; ".join(str(y) for y in sorted(set(int(v) for v in s.dropna())))).astype("str")
    deals["first_delivery_year"] = grouped["delivery_year"].min().astype("Int64")
    deals["last_delivery_year"] = grouped["delivery_year"].max().astype("Int64")
    deals["tiv_delivered_mn"] = grouped["tiv_delivered_mn"].sum(min_count=1).astype("float64")
    for column, sep in (("comments", " | "), ("source_publisher", "; "), ("source_title", "; "),
                        ("source_url", " "), ("source_date", "; ")):
        deals[column] = grouped[column].agg(lambda s, sep=sep: _join_distinct(s, sep)).astype("str")
    deals["number_ordered"] = pd.array([pd.NA] * len(deals), dtype="Int64")
    deals["is_number_ordered_estimate"] = False
    deals["tiv_order_mn"] = np.nan
    deals = deals[list(DEALS_COLUMNS)].astype(DEALS_COLUMNS).reset_index(drop=True)
    return deals, deliveries, vintage
