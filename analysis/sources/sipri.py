"""Readers for SIPRI Arms Transfers Database exports -> the tidy ``Register`` of docs/design.md.

Formats, recognised from the header line (not the file name) by :func:`detect_format`:

* ``classic``: the 16-column trade register (e.g. 2025-03-13). Latin-1 or UTF-8, a preamble with the
  ``Data generated:`` line, '?' marks in the unnamed columns, "Year(s) of delivery" as a ``;`` list, one
  delivered-TIV total per deal. A Comments field may hold a raw line break that splits a record over two
  physical lines: a line that does not parse into 16 fields is joined (with a space) to the next one.
* ``per-year``: the 17-column register (e.g. 2024-04-13), one row per deal and delivery year, UTF-8/ASCII,
  "Yes"/"No" estimate columns. Its "SIPRI estimate" column (TIV of a new unit) has no place in the schema.
* ``tiv-imports`` / ``tiv-exports``: SIPRI's TIV tables by country and year (:func:`load_tiv_table`).

TIV conventions are kept: blank = none identified (NaN), ``0`` = under 0.5 million TIV (0.0).

Allocation rule: the classic register gives one delivered TIV per deal; ``deliveries`` spreads it evenly
over the deal's listed delivery years (``is_tiv_allocated=True``, ``number_delivered`` NA per year).
Per-year rows carry SIPRI's exact yearly TIV (``is_tiv_allocated=False``).

Re-saved exports. A SIPRI export opened and saved again by a spreadsheet program is read when what changed
is unambiguous, and each accepted change is named in ``Register.reading_notes`` (plain sentences for the
brief's methodology): a UTF-8 byte-order mark; CRLF line ends; a classic register in UTF-8 rather than
Latin-1; ``;`` instead of ``,`` as the separator (recognised on the header line; fields holding ``;`` are
then quoted); one trailing ``;`` or ``,`` on every line (recognised on the header line, whose last column is
always named, then required on every non-blank line after it). Still refused, with a message saying what
differs: lines in the other separator than the header's (a mix), a trailing delimiter on only some lines,
an extra trailing field that is not empty, a UTF-8 byte-order mark on a file that is not UTF-8, tab- or
``|``-separated files, decimal commas.

Identical records. The rule, from the real classic registers: a record is a *repeat* when all 16 fields
equal those of an earlier record. SIPRI's own registers hold a few (9 in the 2024-03-18 release, 10 in
the 2025-03-13 one, each repeated once, the closest two 12 records apart) and they are SIPRI's separate
deals: of the 2025 repeats that the per-year register of 2024-04-13 covers (6 of 10: 3 predate 1990, 1 is
not listed there), every one appears there under two distinct SIPRI AT Database IDs with equal values (e.g.
Saudi Arabia's 25 MIM-104 PAC-2 of 2021: deals 65968 and 65987; that register holds 11 deals identical in
all but their id). So repeats are kept, counted
(``Register.identical_records``) and named in a reading note. A file whose duplication cannot be SIPRI's is
refused, naming the first repeated line and the line it repeats:

* a second export inside the file: a line after the header that repeats the header, the file's first line
  or a ``Data generated:`` line (files concatenated);
* two repeats fewer than ``_MIN_REPEAT_GAP`` (3) records apart (a block pasted twice, a file concatenated
  with itself, each row of a selection doubled in place);
* a record present more than twice (SIPRI's repeats appear exactly twice);
* more repeats than ``max(_MAX_REPEATS_FLOOR, _MAX_REPEATS_SHARE x records)`` (20, or 0.2 %: twice and
  about six times what the real registers hold), e.g. a country's rows scattered twice through the file.

A per-year register has SIPRI's deal ids: two rows with the same deal id and delivery year are refused
(naming both lines), so its ``identical_records`` is always 0 (deals that differ only in their id are
SIPRI's separate deals and are not counted).

Vintage: a file without a ``Data generated:`` line still loads, with ``vintage`` "" and a reading note
saying its SIPRI release is unknown. Files over ``DEFAULT_MAX_BYTES`` are refused unread; the limit is the
``max_bytes`` argument, else the environment variable ``ARMSBRIEF_MAX_BYTES``.

Parsed registers are cached as Parquet (:mod:`analysis.sources.cache`: verified on read, keyed by the
file's SHA-256, the schema version and the parsing code).
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from analysis import paths
from analysis.sources import cache, countries

SCHEMA_VERSION = 1
# The whole SIPRI register (every supplier, recipient and year) is about 4 MB and parsing takes about
# 13 times a file's size in memory: a file over this limit is refused unread, never loaded.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
MAX_BYTES_ENV = "ARMSBRIEF_MAX_BYTES"  # overrides DEFAULT_MAX_BYTES (bytes, or with a K/M/G suffix)
ALLOCATION_RULE = ("Where SIPRI's classic register gives one delivered-TIV total per deal, "
                   "that total is spread evenly over the deal's listed delivery years.")
SOURCE_PUBLISHER = "SIPRI"
SOURCE_TITLE = "SIPRI Arms Transfers Database"
SOURCE_URL = "https://www.sipri.org/databases/armstransfers"

CLASSIC_COLUMNS = (
    "Recipient", "Supplier", "Year of order", "", "Number ordered", "", "Weapon designation",
    "Weapon description", "Number delivered", "", "Year(s) of delivery", "status", "Comments",
    "SIPRI TIV per unit", "SIPRI TIV for total order", "SIPRI TIV of delivered weapons",
)
PER_YEAR_COLUMNS = (
    "SIPRI AT Database ID", "Supplier", "Recipient", "Designation", "Description", "Armament category",
    "Order date", "Order date is estimate", "Numbers delivered", "Numbers delivered is estimate",
    "Delivery year", "Delivery year is estimate", "Status", "SIPRI estimate", "TIV deal unit",
    "TIV delivery values", "Local production",
)
_REGISTER_HEADERS = {"classic": CLASSIC_COLUMNS, "per-year": PER_YEAR_COLUMNS}
_TIV_FIRST_COLUMN = {"Recipient": "tiv-imports", "Imports by": "tiv-imports",
                     "Supplier": "tiv-exports", "Exports by": "tiv-exports"}
_DIRECTIONS = {"tiv-imports": "imports", "tiv-exports": "exports"}
_EXPECTED_HEADERS = (
    f"classic register: {', '.join(c or '<blank>' for c in CLASSIC_COLUMNS)}",
    f"per-year register: {', '.join(PER_YEAR_COLUMNS)}",
    "TIV table: Recipient (imports) or Exports by (exports), then one column per year (1990, 1991, ...)",
)
_HEADER_SEARCH_LINES = 50
_SNIFF_BYTES = 64 * 1024
_SEPARATORS = (",", ";")          # accepted field separators (SIPRI writes ","; spreadsheets often ";")
_TRAILING = (";", ",", "")        # a delimiter a spreadsheet may add at the end of every line (tried
                                  # first: a TIV table's header, matched on its first columns, would also
                                  # match with an empty last column)
# Identical records (see the module docstring): measured on the real classic registers of 2024-03-18 and
# 2025-03-13 (9 and 10 repeats in about 29,000 records, each twice, the closest two 12 records apart).
_MAX_REPEATS_FLOOR = 20           # twice the most a real register holds
_MAX_REPEATS_SHARE = 0.002        # 0.2 % of records: about six times the real registers' 0.03 %
_MIN_REPEAT_GAP = 3               # repeats closer than this (in records) are a pasted block, not SIPRI's

DEALS_COLUMNS = {
    "deal_key": "str", "deal_id": "str", "supplier": "str", "recipient": "str",
    "supplier_sipri": "str", "recipient_sipri": "str", "supplier_iso3": "str", "recipient_iso3": "str",
    "designation": "str", "description": "str", "armament_category": "str",
    "order_year": "Int64", "is_order_year_estimate": "bool",
    "number_ordered": "Int64", "is_number_ordered_estimate": "bool",
    "number_delivered": "Int64", "is_number_delivered_estimate": "bool",
    "delivery_years": "str", "first_delivery_year": "Int64", "last_delivery_year": "Int64",
    "status": "str", "is_local_production": "boolean",
    "tiv_unit_mn": "float64", "tiv_order_mn": "float64", "tiv_delivered_mn": "float64",
    "comments": "str", "source_publisher": "str", "source_title": "str", "source_url": "str",
    "source_date": "str",
}
DELIVERIES_COLUMNS = {
    "deal_key": "str", "deal_id": "str", "supplier": "str", "recipient": "str",
    "supplier_iso3": "str", "recipient_iso3": "str", "designation": "str",
    "delivery_year": "Int64", "is_delivery_year_estimate": "bool", "number_delivered": "Int64",
    "tiv_delivered_mn": "float64", "is_tiv_allocated": "bool",
}


class SipriFormatError(ValueError):
    """A file that is not, or not a well-formed, SIPRI export; the message names file, line and expectation."""


@dataclass(frozen=True)
class Register:
    """The tidy transfer schema of docs/design.md.

    ``reading_notes``: plain sentences naming what the reader accepted that SIPRI's own export would not
    have (a re-saved file's separator, trailing delimiters, encoding, byte-order mark, line ends), the
    identical records kept, a missing "Data generated" line; empty for an export as SIPRI writes it.
    ``identical_records``: the number of records that repeat an earlier record in every field (kept and
    counted as SIPRI's separate deals; the rule is in the module docstring).
    """

    deals: pd.DataFrame
    deliveries: pd.DataFrame
    source: str
    format: str
    vintage: str
    sha256: str
    reading_notes: tuple[str, ...] = ()
    identical_records: int = 0


@dataclass(frozen=True)
class _Header:
    format: str
    line: int        # 1-based physical line of the header
    fields: list[str]
    vintage: str     # ISO date or ""
    sep: str = ","       # the field separator
    trailing: str = ""   # the delimiter that ends every line of a re-saved file, "" when none


# --------------------------------------------------------------------------- reading and sniffing

def _fail(path: Path, message: str, line: int | None = None) -> SipriFormatError:
    where = f"{path}, line {line}" if line else f"{path}"
    return SipriFormatError(f"{where}: {message}")


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n:,} bytes"


_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def max_bytes_limit(max_bytes: int | None = None) -> int:
    """The size limit of a SIPRI file: ``max_bytes`` when given, else the environment variable
    ``ARMSBRIEF_MAX_BYTES`` (bytes, or with a K, M or G suffix: ``64M``), else ``DEFAULT_MAX_BYTES``."""
    if max_bytes is not None:
        return max_bytes
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    found = re.fullmatch(r"(\d+)\s*([KMG]?)(?:i?B)?", raw, flags=re.IGNORECASE)
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"environment variable {MAX_BYTES_ENV}={raw!r}: expected a size in bytes greater than 0, "
                         "e.g. 67108864 or 64M")
    return int(found.group(1)) * _UNITS[found.group(2).upper()]


def _read_bytes(path: Path, max_bytes: int | None) -> bytes:
    """The file's bytes, refusing files over the size limit (:func:`max_bytes_limit`) before reading them."""
    limit = max_bytes_limit(max_bytes)
    size = path.stat().st_size
    if size > limit:
        raise _fail(path, f"file is {_size(size)}, over the {_size(limit)} limit; not read (a whole SIPRI register "
                          "export is about 4 MB; if this really is one, raise the limit with the environment "
                          f"variable {MAX_BYTES_ENV}, e.g. {MAX_BYTES_ENV}=64M)")
    return path.read_bytes()


def _not_text(path: Path, data: bytes) -> None:
    """Raise for UTF-16/UTF-32 text and binary files (NUL bytes): SIPRI exports are 8-bit text."""
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            raise _fail(path, f"file is {name} encoded (it starts with a {name} byte-order mark); SIPRI exports "
                              "are UTF-8 or Latin-1 text (save it again as UTF-8 CSV)")
    if data.startswith(b"PK\x03\x04"):
        raise _fail(path, "file is a ZIP archive (an Excel .xlsx workbook?), not a CSV file; download or save "
                          "the SIPRI register as CSV")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise _fail(path, f"NUL byte at offset {nul:,}: this is a binary file or UTF-16/UTF-32 text, not a "
                          "comma-separated SIPRI export in UTF-8 or Latin-1", line)


def _split(line: str, sep: str = ",") -> list[str]:
    return next(csv.reader([line], delimiter=sep)) if '"' in line else line.split(sep)


def _vintage(lines: list[str]) -> str:
    for line in lines:
        found = re.search(r"Data generated:\s*(\d{1,2} [A-Za-z]{3})[a-z]* (\d{4})", line)
        if found:
            return datetime.strptime(" ".join(found.groups()), "%d %b %Y").date().isoformat()
    return ""


def _header_format(fields: list[str]) -> str | None:
    for name, expected in _REGISTER_HEADERS.items():
        if tuple(fields) == expected:
            return name
    if len(fields) > 1 and fields[0] in _TIV_FIRST_COLUMN and re.fullmatch(r"\d{4}", fields[1]):
        return _TIV_FIRST_COLUMN[fields[0]]
    return None


def _header_in(line: str) -> tuple[str, list[str], str, str] | None:
    """(format, fields, separator, trailing delimiter) if ``line`` is a header, as SIPRI writes it or re-saved.

    A header's last column is always named, so a delimiter after it can only be a spreadsheet's addition.
    Register headers match exactly, so at most one reading fits.
    """
    body = line.rstrip()
    for trailing in _TRAILING:
        if trailing and not body.endswith(trailing):
            continue
        text = body[:-1] if trailing else body
        for sep in _SEPARATORS:
            if sep in text:
                fields = [f.strip() for f in _split(text, sep)]
                fmt = _header_format(fields)
                if fmt:
                    return fmt, fields, sep, trailing
    return None


def _near_miss(path: Path, line: str, number: int) -> None:
    """Raise if the line looks like a register header with missing, extra or misnamed columns."""
    body = line.rstrip()
    sep = ";" if body.count(";") > body.count(",") else ","
    if body.endswith(_SEPARATORS):
        body = body[:-1]
    fields = [f.strip() for f in _split(body, sep)]
    for name, expected in _REGISTER_HEADERS.items():
        named = {c for c in expected if c}
        if len(named & set(fields)) < len(named) // 2:
            continue
        listing = ", ".join(c or "<blank>" for c in expected)
        if len(fields) == len(expected):
            differ = [f"column {i} is {got!r} where {want!r} was expected"
                      for i, (got, want) in enumerate(zip(fields, expected), start=1) if got != want]
            more = f"; and {len(differ) - 3} more" if len(differ) > 3 else ""
            raise _fail(path, f"header has the {len(expected)} columns of the {name} register but {len(differ)} "
                              f"differ: {'; '.join(differ[:3])}{more}; expected columns: {listing}", number)
        missing = [c for c in expected if c and c not in fields]
        extra = [c for c in fields if c and c not in named]
        problems = "".join(f"; {what} {cols}" for what, cols in (("missing", missing), ("unexpected", extra)) if cols)
        raise _fail(path, f"header has {len(fields)} columns, expected the {len(expected)} of the {name} "
                          f"register{problems}; expected columns: {listing}", number)


def _wrong_delimiter(path: Path, line: str, number: int) -> None:
    for sep, name in (("\t", "tab"), ("|", "'|'")):
        if sep in line and _header_format([f.strip() for f in line.rstrip().rstrip(sep).split(sep)]):
            raise _fail(path, f"the header is {name}-separated; SIPRI exports are comma-separated (a ';'-separated "
                              "re-save is read too): save the file as comma-separated CSV", number)


def _find_header(path: Path, lines: list[str]) -> _Header:
    for number, line in enumerate(lines[:_HEADER_SEARCH_LINES], start=1):
        found = _header_in(line)
        if found:
            fmt, fields, sep, trailing = found
            return _Header(fmt, number, fields, _vintage(lines[:number]), sep, trailing)
        _near_miss(path, line, number)
        _wrong_delimiter(path, line, number)
    raise _fail(path, f"no SIPRI header line in the first {_HEADER_SEARCH_LINES} lines; expected one of: "
                      + " | ".join(_EXPECTED_HEADERS))


def _lines(text: str) -> list[str]:
    return [line.rstrip("\r") for line in text.lstrip("\ufeff").split("\n")]


def _sniff(path: Path, head: bytes) -> _Header:
    """The header found in the first bytes of a file (decoded as Latin-1: header lines are ASCII)."""
    if not head.strip():
        raise _fail(path, "file is empty; expected a SIPRI export with a header line")
    _not_text(path, head[:_SNIFF_BYTES])
    return _find_header(path, _lines(head[:_SNIFF_BYTES].removeprefix(codecs.BOM_UTF8).decode("latin-1")))


def _sniff_file(path: Path) -> _Header:
    with path.open("rb") as fh:
        return _sniff(path, fh.read(_SNIFF_BYTES))


def detect_format(path: str | Path) -> str:
    """"classic", "per-year", "tiv-imports" or "tiv-exports", from the header line; else SipriFormatError."""
    return _sniff_file(Path(path)).format


def _decode(path: Path, data: bytes, fmt: str) -> tuple[str, list[str]]:
    """Text and reading notes. Classic: UTF-8, else Latin-1. Per-year and TIV tables: UTF-8 (ASCII) only.
    A UTF-8 byte-order mark is dropped (and noted); on a file that is not UTF-8 it is an error."""
    _not_text(path, data)
    notes = []
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8):]
        notes.append("The file starts with a UTF-8 byte-order mark (as spreadsheet programs write one); "
                     "it was ignored.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        if bom:
            raise _fail(path, f"the file starts with a UTF-8 byte-order mark but byte 0x{data[err.start]:02x} is "
                              "not UTF-8: the file mixes encodings (save it again as UTF-8)", line) from None
        if fmt == "classic":
            return data.decode("latin-1"), notes
        raise _fail(path, f"byte 0x{data[err.start]:02x} is not UTF-8; the {fmt} format is UTF-8/ASCII "
                          "(re-export the file from SIPRI or convert it to UTF-8)", line) from None
    if fmt == "classic" and not text.isascii():
        notes.append("The file is UTF-8 encoded (SIPRI's classic exports are Latin-1); it was read as UTF-8.")
    return text, notes


def _strip_trailing(path: Path, lines: list[str], header: _Header) -> list[str]:
    """Lines without the trailing delimiter of a re-saved file, which every non-blank line after the header
    must carry (on only some lines, where a line's last field ends would be a guess)."""
    mark = header.trailing
    out = []
    for number, line in enumerate(lines, start=1):
        if line.endswith(mark):
            out.append(line[:-1].rstrip("\r"))
        elif number > header.line and line.strip():
            raise _fail(path, f"line does not end in {mark!r} although the header (line {header.line}) does: a "
                              f"trailing {mark!r} on only some lines leaves their field count ambiguous (save the "
                              "file again so that every line ends alike)", number)
        else:
            out.append(line)
    return out


def _one_export(path: Path, lines: list[str], header: _Header) -> None:
    """Raise if a line after the header repeats the header, the file's first line or a 'Data generated'
    line: a second export inside the file (two files concatenated)."""
    first = next(i for i, line in enumerate(lines, start=1) if line.strip())
    generated = next((i for i in range(1, header.line) if "Data generated:" in lines[i - 1]), None)
    markers = {lines[header.line - 1]: ("the header", header.line), lines[first - 1]: ("the file's first line", first)}
    for number in range(header.line + 1, len(lines) + 1):
        line = lines[number - 1]
        found = markers.get(line)
        if found is None and line.lstrip('"').startswith("Data generated:"):
            found = ("a 'Data generated' line", generated)
        if found:
            what, original = found
            at = f" (line {original})" if original else ""
            raise _fail(path, f"this line repeats {what}{at}: the file holds a second SIPRI export after its "
                              "records (files concatenated?); expected one preamble and one header, then records "
                              "only (keep one export per file)", number)


def _text(path: Path, data: bytes, formats: tuple[str, ...]) -> tuple[list[str], _Header, list[str]]:
    """Decoded lines (trailing delimiters of a re-saved file removed), header and reading notes of a file
    that must be in one of ``formats``."""
    header = _sniff(path, data)
    if header.format not in formats:
        raise _fail(path, f"is a {header.format} file; expected {' or '.join(formats)}", header.line)
    text, notes = _decode(path, data, header.format)
    crlf = text.count("\r\n")
    if crlf and 2 * crlf > text.count("\n"):
        notes.append("Lines end in CRLF (Windows line ends, as spreadsheet programs write them); they were read "
                     "as plain line ends.")
    lines = _lines(text)
    if header.sep != ",":
        notes.append(f"The file is {header.sep!r}-separated (as spreadsheet programs save CSV in many locales); it "
                     f"was read with {header.sep!r} as the separator.")
    if header.trailing:
        lines = _strip_trailing(path, lines, header)
        notes.append(f"The file had been re-saved: every line ended in a trailing {header.trailing!r}, which was "
                     "ignored.")
    _one_export(path, lines, header)
    if not header.vintage:
        line = next((line.strip() for line in lines[:header.line] if "Data generated" in line), None)
        notes.append("The file has no 'Data generated' line: its SIPRI release is unknown." if line is None else
                     f"The file's 'Data generated' line ({line[:60]!r}) has no date in SIPRI's form "
                     "('13 Mar 2025'): its SIPRI release is unknown.")
    return lines, header, notes


# --------------------------------------------------------------------------- record splitting

def _field_count(text: str, sep: str = ",") -> int:
    return text.count(sep) + 1 if '"' not in text else len(_split(text, sep))


def _hint(lines: list[str], header: _Header, number: int, width: int) -> str:
    """Why line ``number`` may not have ``width`` fields: a mix of separators, trailing delimiters."""
    line = lines[number - 1]
    other = ";" if header.sep == "," else ","
    if _field_count(line, header.sep) < width <= _field_count(line, other) <= width + 1:
        return (f"; line {number} is {other!r}-separated but the header (line {header.line}) is "
                f"{header.sep!r}-separated: the file mixes separators")
    if header.trailing:
        return (f"; the trailing {header.trailing!r} that ends every line of this re-saved file was removed "
                "first")
    fields = _split(line, header.sep)
    if len(fields) == width + 1:
        last = fields[-1].strip()
        if not last:
            return (f"; line {number} ends in a trailing {header.sep!r} (an empty field {width + 1}) that the "
                    f"header (line {header.line}) does not have: only some lines carry a trailing delimiter")
        return f"; its field {width + 1} ({last[:40]!r}) is not empty, so it is not a trailing delimiter"
    return ""


def _classic_records(path: Path, lines: list[str], header: _Header) -> tuple[list[str], list[int]]:
    """Records (rejoining records split by a raw line break) and the physical line each starts on."""
    width = len(CLASSIC_COLUMNS)
    sep = header.sep
    other = ";" if sep == "," else ","
    records, starts = [], []
    pending, start = None, 0
    for number in range(header.line + 1, len(lines) + 1):
        line = lines[number - 1]
        if pending is None and not line.strip():
            continue
        text = line if pending is None else f"{pending} {line}"
        start = start or number
        fields = _field_count(text, sep)
        if fields == width:
            records.append(text)
            starts.append(start)
            pending, start = None, 0
        elif fields < width:
            if pending is None and _field_count(line, other) in (width, width + 1):
                raise _fail(path, f"line has {fields} fields, expected {width}{_hint(lines, header, number, width)}",
                            number)
            pending = text
        else:
            joined = f"lines {start}-{number} joined have" if number > start else "it has"
            raise _fail(path, f"record does not parse into {width} fields ({joined} {fields}); expected columns: "
                              f"{', '.join(c or '<blank>' for c in CLASSIC_COLUMNS)}"
                              f"{_hint(lines, header, start, width)}", start)
    if pending is not None:
        raise _fail(path, f"truncated last record: {_field_count(pending, sep)} fields up to the end of the file, "
                          f"expected {width}{_hint(lines, header, start, width)}", start)
    return records, starts


def _per_year_records(path: Path, lines: list[str], header: _Header) -> tuple[list[str], list[int]]:
    """Data lines (each must have 17 fields) and their physical line numbers."""
    width = len(PER_YEAR_COLUMNS)
    records, starts = [], []
    last = max((i for i, line in enumerate(lines, start=1) if line.strip()), default=0)
    for number in range(header.line + 1, len(lines) + 1):
        line = lines[number - 1]
        if not line.strip():
            continue
        fields = _field_count(line, header.sep)
        if fields != width:
            what = "truncated last line" if number == last and fields < width else "line"
            raise _fail(path, f"{what} has {fields} fields, expected {width}: {', '.join(PER_YEAR_COLUMNS)}"
                              f"{_hint(lines, header, number, width)}", number)
        records.append(line)
        starts.append(number)
    return records, starts


def _table(path: Path, records: list[str], starts: list[int], width: int, sep: str = ",") -> pd.DataFrame:
    """String columns c0.. (whitespace-trimmed) of one-line records, plus each record's ``line``."""
    if not records:
        raise _fail(path, "has a header but no records")
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO("\n".join(records).encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid as err:  # e.g. an unbalanced quote
        raise _fail(path, f"records do not parse as CSV with {width} columns: {err}") from None
    frame = pa.table({name: pc.utf8_trim_whitespace(table[name]) for name in names}).to_pandas()
    frame["line"] = np.asarray(starts)
    return frame


def _join_lines(lines) -> str:
    lines = [str(int(n)) for n in lines]
    return ", ".join(lines[:-1]) + f" and {lines[-1]}" if len(lines) > 1 else lines[0]


def _repeats(path: Path, f: pd.DataFrame, width: int) -> tuple[int, list[str]]:
    """The number of records that repeat an earlier record in every field, and a reading note; raise where
    the duplication cannot be SIPRI's (the rule is in the module docstring)."""
    names = [f"c{i}" for i in range(width)]
    hashed = pd.util.hash_pandas_object(f[names], index=False)
    suspects = f.loc[hashed.duplicated(keep=False).to_numpy()]
    if suspects.empty:
        return 0, []
    group = suspects.groupby(names, sort=False).ngroup().to_numpy()  # exact comparison, among the few suspects
    line = suspects["line"].to_numpy()
    rank = pd.Series(group).groupby(group).cumcount().to_numpy()    # 0 for a record's first occurrence
    original = pd.Series(line).groupby(group).transform("first").to_numpy()
    repeat = np.flatnonzero(rank > 0)
    if not repeat.size:  # equal hashes of different records
        return 0, []
    positions = suspects.index.to_numpy()[repeat]    # record numbers (0-based) of the repeats
    gaps = np.diff(positions)
    close = np.flatnonzero(gaps < _MIN_REPEAT_GAP)
    if close.size:
        k = int(close[0])
        apart = np.flatnonzero(gaps[k:] >= _MIN_REPEAT_GAP)
        end = k + int(apart[0]) if apart.size else len(positions) - 1
        a, b = repeat[k], repeat[k + 1]
        more = (f", and {end - k - 1:,} more repeats follow as closely, up to line {line[repeat[end]]}"
                if end > k + 1 else "")
        apart = "next to each other" if gaps[k] == 1 else "two records apart"
        raise _fail(path, f"line {line[a]} repeats line {original[a]} and line {line[b]} repeats line "
                          f"{original[b]} in every field{more}: repeats {apart} are a block of rows pasted twice (a "
                          "file concatenated with itself, or rows doubled in place?), not SIPRI's: in SIPRI's own "
                          f"registers no two repeats are fewer than {_MIN_REPEAT_GAP} records apart", int(line[a]))
    if (rank >= 2).any():
        third = int(np.flatnonzero(rank >= 2)[0])
        where = line[group == group[third]]
        raise _fail(path, f"lines {_join_lines(where)} hold the same record {len(where)} times; SIPRI's registers "
                          "list an identical deal at most twice, so this duplication cannot be SIPRI's (rows "
                          "pasted again, or a file concatenated with itself?)", int(line[third]))
    count, first = len(repeat), repeat[0]
    limit = max(_MAX_REPEATS_FLOOR, int(_MAX_REPEATS_SHARE * len(f)))
    if count > limit:
        raise _fail(path, f"{count:,} of {len(f):,} records ({count / len(f):.1%}) repeat an earlier record in every "
                          f"field (the first: line {line[first]} repeats line {original[first]}); SIPRI's own "
                          "registers hold 9 or 10 such records in about 29,000 (0.03%), so more than "
                          f"{limit:,} here cannot be SIPRI's (rows pasted twice?)", int(line[first]))
    several = count != 1
    note = (f"{count} record{'s' if several else ''} repeat{'' if several else 's'} an earlier record in every field "
            f"(the first: line {line[first]} repeats line {original[first]}); SIPRI lists such identical deals "
            "separately (its per-year register gives them distinct deal ids), so they are kept and counted.")
    return count, [note]


# --------------------------------------------------------------------------- field conversion

def _first_bad(path: Path, frame: pd.DataFrame, bad, col: str, column: str, expected: str):
    """Error naming the line and value of the first row flagged in the boolean mask ``bad``."""
    row = frame.loc[np.asarray(bad)].iloc[0]
    return _fail(path, f"column {column!r} has {row[col]!r}; expected {expected}", int(row["line"]))


def _number(path: Path, frame: pd.DataFrame, col: str, column: str, *, integer: bool) -> pd.Series:
    """Non-negative number or blank (NaN/NA); anything else raises naming the line."""
    text = frame[col]
    arrow = pa.array(text, type=pa.string())
    try:
        parsed = pc.cast(pc.if_else(pc.equal(arrow, ""), pa.scalar(None, pa.string()), arrow), pa.float64())
        values = pd.Series(parsed.to_numpy(zero_copy_only=False), index=text.index)
    except pa.ArrowInvalid:  # some cell is not a number: find it below
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (values.isna() & (text != "")) | (values < 0) | np.isinf(values)
    if integer:
        bad |= values.notna() & (values % 1 != 0)
    if bad.any():
        kind = "a whole number" if integer else "a number"
        comma = re.fullmatch(r"\d+,\d+", text[bad].iloc[0])
        hint = " (a decimal comma is not read: save the file with '.' as the decimal separator)" if comma else ""
        raise _first_bad(path, frame, bad, col, column, f"{kind} >= 0 or blank{hint}")
    return values.astype("Int64") if integer else values.astype("float64")


def _flag(path: Path, frame: pd.DataFrame, col: str, column: str, yes: str, no: str) -> pd.Series:
    text = frame[col]
    bad = ~text.isin([yes, no])
    if bad.any():
        raise _first_bad(path, frame, bad, col, column, f"{yes!r} or {no!r}")
    return text == yes


def _years(path: Path, frame: pd.DataFrame, col: str, column: str) -> tuple[pd.Series, pd.Series]:
    """The year lists normalised to '2018; 2019' ('' if none), and one row per listed year (index = row)."""
    text = frame[col]
    listed = text[text != ""].str.split(";", regex=False).explode().str.strip()
    bad = ~listed.str.fullmatch(r"\d{4}")
    if bad.any():
        raise _first_bad(path, frame, text.index.isin(bad[bad].index), col, column,
                         "years like '2018; 2019' or blank")
    untidy = ~text.str.fullmatch(r"(\d{4}(; \d{4})*)?")
    if untidy.any():
        text = text.mask(untidy, text.str.replace(r"\s*;\s*", "; ", regex=True))
    return text, listed.astype("int64")


def _canonical(path: Path, frame: pd.DataFrame, col: str, column: str) -> tuple[pd.Series, pd.Series]:
    """Canonical names and ISO3 codes of a name column, normalising each distinct name once."""
    names = frame[col]
    unique = names.unique()
    try:
        canonical = countries.normalise_many(unique)
    except countries.UnknownCountryError as err:
        line = int(frame.loc[(names == err.name).to_numpy(), "line"].iloc[0])
        raise countries.UnknownCountryError(err.name, context=f"{path}, line {line}, column {column!r}") from None
    codes = {name: countries.iso3(name) for name in unique}
    return names.map(canonical), names.map(codes)


def _typed(frame: pd.DataFrame, spec: dict[str, str]) -> pd.DataFrame:
    return frame.loc[:, list(spec)].astype(spec).reset_index(drop=True)


def _with_parties(path: Path, frame: pd.DataFrame, supplier: str, recipient: str) -> dict[str, pd.Series]:
    sup, sup_iso = _canonical(path, frame, supplier, "Supplier")
    rec, rec_iso = _canonical(path, frame, recipient, "Recipient")
    return {"supplier": sup, "recipient": rec, "supplier_sipri": frame[supplier],
            "recipient_sipri": frame[recipient], "supplier_iso3": sup_iso, "recipient_iso3": rec_iso}


def _source(vintage: str) -> dict[str, str]:
    return {"source_publisher": SOURCE_PUBLISHER, "source_title": SOURCE_TITLE,
            "source_url": SOURCE_URL, "source_date": vintage}


def _deliveries(deals: pd.DataFrame, per_year: pd.DataFrame) -> pd.DataFrame:
    """Per-year rows (deal_key, delivery_year, ...) completed with the deal's parties and designation."""
    parties = deals[["deal_id", "supplier", "recipient", "supplier_iso3", "recipient_iso3", "designation"]]
    rows = pd.Index(deals["deal_key"]).get_indexer(per_year["deal_key"])
    joined = pd.concat([per_year.reset_index(drop=True), parties.take(rows).reset_index(drop=True)], axis=1)
    return _typed(joined, DELIVERIES_COLUMNS)


# --------------------------------------------------------------------------- the two register formats

def _parse_classic(path: Path, lines: list[str], header: _Header) -> tuple[pd.DataFrame, pd.DataFrame, int, list[str]]:
    records, starts = _classic_records(path, lines, header)
    f = _table(path, records, starts, len(CLASSIC_COLUMNS), header.sep)
    identical, notes = _repeats(path, f, len(CLASSIC_COLUMNS))
    years, listed = _years(path, f, "c10", "Year(s) of delivery")
    deals = pd.DataFrame({
        "deal_key": "row-" + pd.Series(np.arange(1, len(f) + 1)).astype("str"),
        "deal_id": pd.Series(np.nan, index=f.index, dtype="str"),
        **_with_parties(path, f, "c1", "c0"),
        "designation": f["c6"], "description": f["c7"],
        "armament_category": pd.Series(np.nan, index=f.index, dtype="str"),
        "order_year": _number(path, f, "c2", "Year of order", integer=True),
        "is_order_year_estimate": _flag(path, f, "c3", "? after Year of order", "?", ""),
        "number_ordered": _number(path, f, "c4", "Number ordered", integer=True),
        "is_number_ordered_estimate": _flag(path, f, "c5", "? after Number ordered", "?", ""),
        "number_delivered": _number(path, f, "c8", "Number delivered", integer=True),
        "is_number_delivered_estimate": _flag(path, f, "c9", "? after Number delivered", "?", ""),
        "delivery_years": years,
        "status": f["c11"], "is_local_production": pd.Series(pd.NA, index=f.index, dtype="boolean"),
        "tiv_unit_mn": _number(path, f, "c13", "SIPRI TIV per unit", integer=False),
        "tiv_order_mn": _number(path, f, "c14", "SIPRI TIV for total order", integer=False),
        "tiv_delivered_mn": _number(path, f, "c15", "SIPRI TIV of delivered weapons", integer=False),
        "comments": f["c12"], **_source(header.vintage),
    })
    per_year = pd.DataFrame({"deal_key": deals.loc[listed.index, "deal_key"], "delivery_year": listed})
    span = per_year.groupby(level=0)["delivery_year"].agg(["min", "max", "size"])
    deals["first_delivery_year"] = span["min"].reindex(deals.index)
    deals["last_delivery_year"] = span["max"].reindex(deals.index)
    per_year["is_delivery_year_estimate"] = False  # the classic format marks no delivery year as estimated
    per_year["number_delivered"] = pd.NA
    per_year["tiv_delivered_mn"] = (deals["tiv_delivered_mn"] / span["size"]).loc[per_year.index]
    per_year["is_tiv_allocated"] = True
    deals = _typed(deals, DEALS_COLUMNS)
    return deals, _deliveries(deals, per_year), identical, notes


def _check_per_year_rows(path: Path, f: pd.DataFrame) -> None:
    """One row per deal and delivery year; deal-level columns equal on all rows of a deal."""
    dup = f.duplicated(["c0", "c10"], keep=False)
    if dup.any():
        rows = f[dup & (f["c0"] == f.loc[dup.idxmax(), "c0"]) & (f["c10"] == f.loc[dup.idxmax(), "c10"])]
        same = len(rows.drop(columns="line").drop_duplicates()) == 1
        raise _fail(path, f"duplicate rows for deal {rows['c0'].iloc[0]}, delivery year {rows['c10'].iloc[0]!r} "
                          f"on lines {', '.join(map(str, rows['line']))} ({'identical' if same else 'conflicting'}); "
                          "expected one row per deal and delivery year", int(rows["line"].iloc[-1]))
    deal_level = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c12", "c14", "c16"]
    varying = f.groupby("c0", sort=False)[deal_level].nunique() > 1
    if varying.to_numpy().any():
        deal = varying.any(axis=1).idxmax()
        column = PER_YEAR_COLUMNS[int(varying.loc[deal].idxmax()[1:])]
        lines = f.loc[f["c0"] == deal, "line"]
        raise _fail(path, f"deal {deal} has different {column!r} values on lines "
                          f"{', '.join(map(str, lines))}; expected one value per deal", int(lines.iloc[-1]))


def _year_lists(delivered: pd.DataFrame) -> dict[str, str]:
    """deal_key -> its delivery years as '2018; 2019'."""
    years: dict[str, list[int]] = {}
    for key, year in zip(delivered["deal_key"].tolist(), delivered["delivery_year"].tolist()):
        years.setdefault(key, []).append(year)
    return {key: "; ".join(map(str, sorted(found))) for key, found in years.items()}


def _parse_per_year(path: Path, lines: list[str], header: _Header) -> tuple[pd.DataFrame, pd.DataFrame, int, list[str]]:
    records, starts = _per_year_records(path, lines, header)
    f = _table(path, records, starts, len(PER_YEAR_COLUMNS), header.sep)
    bad_id = f["c0"] == ""
    if bad_id.any():
        raise _first_bad(path, f, bad_id, "c0", "SIPRI AT Database ID", "a deal id")
    _check_per_year_rows(path, f)
    rows = pd.DataFrame({
        "deal_key": f["c0"],
        "delivery_year": _number(path, f, "c10", "Delivery year", integer=True),
        "is_delivery_year_estimate": _flag(path, f, "c11", "Delivery year is estimate", "Yes", "No"),
        "number_delivered": _number(path, f, "c8", "Numbers delivered", integer=True),
        "is_number_delivered_estimate": _flag(path, f, "c9", "Numbers delivered is estimate", "Yes", "No"),
        "tiv_delivered_mn": _number(path, f, "c15", "TIV delivery values", integer=False),
        "is_tiv_allocated": False,
    })
    first = ~f["c0"].duplicated()
    d = f[first]
    deals = pd.DataFrame({
        "deal_key": d["c0"], "deal_id": d["c0"], **_with_parties(path, d, "c1", "c2"),
        "designation": d["c3"], "description": d["c4"], "armament_category": d["c5"],
        "order_year": _number(path, d, "c6", "Order date", integer=True),
        "is_order_year_estimate": _flag(path, d, "c7", "Order date is estimate", "Yes", "No"),
        "number_ordered": pd.Series(pd.NA, index=d.index, dtype="Int64"),
        "is_number_ordered_estimate": False,
        "status": d["c12"],
        "is_local_production": _flag(path, d, "c16", "Local production", "Yes", "No").astype("boolean"),
        "tiv_unit_mn": _number(path, d, "c14", "TIV deal unit", integer=False),
        "tiv_order_mn": np.nan, "comments": "", **_source(header.vintage),
    }).set_index("deal_key", drop=False)
    delivered = rows[rows["delivery_year"].notna()]
    by_deal = delivered.groupby("deal_key", sort=False)
    deals["delivery_years"] = pd.Series(_year_lists(delivered)).reindex(deals.index, fill_value="")
    deals["first_delivery_year"] = by_deal["delivery_year"].min().reindex(deals.index)
    deals["last_delivery_year"] = by_deal["delivery_year"].max().reindex(deals.index)
    totals = rows.groupby("deal_key", sort=False)
    deals["number_delivered"] = totals["number_delivered"].sum(min_count=1).reindex(deals.index)
    deals["is_number_delivered_estimate"] = totals["is_number_delivered_estimate"].any().reindex(deals.index)
    deals["tiv_delivered_mn"] = totals["tiv_delivered_mn"].sum(min_count=1).reindex(deals.index)
    deals = _typed(deals, DEALS_COLUMNS)
    # identical rows (same deal id and delivery year) were refused above: nothing to count
    return deals, _deliveries(deals, delivered), 0, []


_PARSERS = {"classic": _parse_classic, "per-year": _parse_per_year}


# --------------------------------------------------------------------------- cache

#: The code whose output the register cache holds (a change to any of it misses the cache).
_CACHED_BY = ("sources/sipri.py", "sources/countries.py")
_CACHED_WITH = ("pandas", "pyarrow", "numpy", "country_converter", "pycountry")


def _cache_key(sha256: str) -> str:
    code = cache.fingerprint(_CACHED_BY, _CACHED_WITH)[:16]
    return f"{sha256}-schema{SCHEMA_VERSION}-code{code}"


def _read_cache(path: Path, sha256: str) -> Register | None:
    files = cache.read("registers", _cache_key(sha256))
    if files is None:
        return None
    try:
        meta = json.loads(files["meta.json"])
        return Register(pd.read_parquet(io.BytesIO(files["deals.parquet"])),
                        pd.read_parquet(io.BytesIO(files["deliveries.parquet"])),
                        str(path), meta["format"], meta["vintage"], sha256,
                        tuple(str(note) for note in meta["reading_notes"]), int(meta["identical_records"]))
    except Exception as err:  # noqa: BLE001 - verified bytes that still do not parse: rebuild
        print(f"armsbrief: cached register of {path} unreadable ({type(err).__name__}); re-parsing it",
              file=sys.stderr)
        return None


def _write_cache(register: Register) -> None:
    def parquet(frame: pd.DataFrame) -> bytes:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()

    meta = {"format": register.format, "vintage": register.vintage, "schema_version": SCHEMA_VERSION,
            "reading_notes": list(register.reading_notes), "identical_records": register.identical_records}
    cache.write("registers", _cache_key(register.sha256),
                {"deals.parquet": parquet(register.deals), "deliveries.parquet": parquet(register.deliveries),
                 "meta.json": json.dumps(meta).encode()})


# --------------------------------------------------------------------------- public loaders

def load_register(path: str | Path, *, use_cache: bool = True, max_bytes: int | None = None) -> Register:
    """Read a classic or per-year SIPRI register into the tidy :class:`Register` (Parquet-cached by SHA-256).

    ``max_bytes``: the size limit (default: :func:`max_bytes_limit`, i.e. ``ARMSBRIEF_MAX_BYTES`` or
    ``DEFAULT_MAX_BYTES``). What a re-saved file needed, and identical records kept, are in
    ``reading_notes``.
    """
    path = Path(path)
    data = _read_bytes(path, max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    if use_cache and (cached := _read_cache(path, sha256)) is not None:
        return cached
    lines, header, notes = _text(path, data, tuple(_PARSERS))
    deals, deliveries, identical, more = _PARSERS[header.format](path, lines, header)
    register = Register(deals, deliveries, str(path), header.format, header.vintage, sha256,
                        tuple(notes + more), identical)
    if use_cache:
        _write_cache(register)
    return register


def _tiv_rows(path: str | Path, max_bytes: int | None) -> tuple[pd.DataFrame, _Header]:
    """Every row of a TIV table in long form (country_sipri, year, tiv_mn, line), and its header."""
    path = Path(path)
    lines, header, _ = _text(path, _read_bytes(path, max_bytes), ("tiv-imports", "tiv-exports"))
    years = [(i, int(c)) for i, c in enumerate(header.fields) if re.fullmatch(r"\d{4}", c)]
    records = []
    for number in range(header.line + 1, len(lines) + 1):
        if not lines[number - 1].strip():
            continue
        fields = _split(lines[number - 1], header.sep)
        if len(fields) != len(header.fields):
            raise _fail(path, f"row has {len(fields)} fields, expected {len(header.fields)} like the header "
                              f"({header.fields[0]}, {years[0][1]}, ...)", number)
        records.extend([fields[0].strip(), year, fields[i].strip(), number] for i, year in years)
    if not records:
        raise _fail(path, "has a header but no rows")
    frame = pd.DataFrame(records, columns=["country_sipri", "year", "value", "line"])
    frame["tiv_mn"] = _number(path, frame, "value", "TIV value", integer=False)
    return frame.drop(columns=["value"]), header


def load_tiv_table(path: str | Path, *, max_bytes: int | None = None) -> pd.DataFrame:
    """SIPRI TIV table in long form: country, country_sipri, direction, year, tiv_mn (NaN = none, 0 = < 0.5).

    Total rows and the summary columns (period total, percentages) are left out; see
    :func:`load_tiv_world_total`.
    """
    frame, header = _tiv_rows(path, max_bytes)
    frame = frame[~frame["country_sipri"].str.startswith("Total world")]
    country, _ = _canonical(Path(path), frame, "country_sipri", header.fields[0])
    result = pd.DataFrame({"country": country, "country_sipri": frame["country_sipri"],
                           "direction": _DIRECTIONS[header.format], "year": frame["year"].astype("int64"),
                           "tiv_mn": frame["tiv_mn"]})
    return result.astype({"country": "str", "country_sipri": "str", "direction": "str"}).reset_index(drop=True)


def load_tiv_world_total(path: str | Path, *, max_bytes: int | None = None) -> pd.DataFrame:
    """The table's "Total world import/export" row: direction, year, tiv_mn."""
    frame, header = _tiv_rows(path, max_bytes)
    total = frame[frame["country_sipri"].str.startswith("Total world")]
    if total.empty:
        raise _fail(Path(path), "has no 'Total world ...' row")
    return pd.DataFrame({"direction": _DIRECTIONS[header.format], "year": total["year"].astype("int64"),
                         "tiv_mn": total["tiv_mn"]}).astype({"direction": "str"}).reset_index(drop=True)


def find_user_register() -> Path | None:
    """Newest register (by SIPRI's "Data generated" date, then file time) among ``RAW_SIPRI_DIR/*.csv``."""
    found = []
    for candidate in paths.RAW_SIPRI_DIR.glob("*.csv"):
        try:
            header = _sniff_file(candidate)
        except SipriFormatError:
            continue
        if header.format in _PARSERS:
            found.append((header.vintage, candidate.stat().st_mtime, candidate))
    return max(found)[2] if found else None
