"""Reader of the ATOP member-level file (``atop5_1m.csv``) a user has downloaded; never shipped.

The Alliance Treaty Obligations and Provisions project (Leeds et al.; http://www.atopdata.org/)
publishes, besides the alliance-level file, a member-level file with one row per member of each
alliance phase: ``atopid`` (alliance id), ``member`` (Correlates of War state code), the entry date
``yrent``/``moent``/``dayent``, the exit date ``yrexit``/``moexit``/``dayexit``, and the member's
obligations as 0/1 flags ``defense``, ``offense``, ``neutral``, ``nonagg``, ``consul`` (further columns
are ignored). Only those columns are read, and only what a screen needs is kept.

Conventions of the file, and how they are read here:

* A membership that was still in force at the end of ATOP's coverage has ``yrexit`` 0 (ATOP's
  convention for "no exit"; an empty cell is read the same way): the spell is open (end NaT).
* A month or day of 0 or empty means "not known": the date keeps the precision that is known
  ("year" or "month"; the start then falls on the first day of that period, an end on the last, as
  :func:`analysis.sources.schemas.parse_period` does for the curated tables).
* Memberships that ended before :data:`FIRST_YEAR` (SIPRI's arms-transfer data start in 1950) are
  skipped before their state codes are mapped: the 19th-century states of the file (Bavaria,
  Hanover, the Two Sicilies, ...) have no name in this project and no arms transfers to screen.
* Rows of the same member in the same alliance (ATOP phases) that touch or overlap are merged into
  one spell, so a member has one status on any date (as the curated table requires).

State codes: country_converter has no COW column, but its Gleditsch-Ward ``GWcode`` column equals
the COW code for every current state except those in :data:`COW_EXCEPTIONS` (checked against the
COW state list, StateAbb/CCode/StateNme), which also hold the former states; a code in neither is an
:class:`AtopFormatError` naming the code, the file and the line.

Output (:func:`load_atop`): two frames in the shape of the loaded curated tables ``alliances`` and
``alliance_membership`` (:func:`analysis.sources.curated.load_table`), with alliance ids
``"ATOP <atopid>"`` and names built from the obligations, e.g. ``"ATOP 3180 (defence, consultation)"``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pandas as pd

from analysis import paths

__all__ = ["AtopFormatError", "COW_EXCEPTIONS", "DEFAULT_PATH", "ENV_VAR", "FIRST_YEAR", "OBLIGATIONS",
           "REQUIRED_COLUMNS", "cow_to_country", "find_atop", "load_atop", "with_atop"]

ENV_VAR = "ARMSBRIEF_ATOP"
DEFAULT_PATH = paths.DATA_DIR / "raw" / "atop" / "atop5_1m.csv"  # user-dropped download (data/raw/ is git-ignored)
FIRST_YEAR = 1950
# ATOP flag column -> the word used in alliance names, in this order.
OBLIGATIONS = {"defense": "defence", "offense": "offence", "neutral": "neutrality", "nonagg": "non-aggression",
               "consul": "consultation"}
DATE_COLUMNS = ("yrent", "moent", "dayent", "yrexit", "moexit", "dayexit")
REQUIRED_COLUMNS = ("atopid", "member", *DATE_COLUMNS, *OBLIGATIONS)

SOURCE_PUBLISHER = "Alliance Treaty Obligations and Provisions (ATOP) project"
SOURCE_URL = "http://www.atopdata.org/"
UNDATED = ("Source undated: the version of the user's ATOP file is not recorded in it; ATOP member-level "
           "data, read from {file}.")

ALLIANCE_COLUMNS = ("alliance", "name", "founding_document", "founding_date", "notes", "source_publisher",
                    "source_title", "source_url", "source_date")
SPELL_COLUMNS = ("alliance", "country", "status", "start_date", "start_date_precision", "end_date",
                 "end_date_precision", "end_reason", "notes", "source_publisher", "source_title", "source_url",
                 "source_date")


def _always(name: str) -> Callable[[int], str]:
    return lambda year: name


def _before(year_limit: int, old: str, new: str) -> Callable[[int], str]:
    return lambda year: old if year < year_limit else new


# COW code -> (COW's state name, canonical name as a function of the year, why it is an exception).
# Codes with a year switch are split into two spells at 1 January of the switch year (see _split).
COW_EXCEPTIONS: dict[int, tuple[str, Callable[[int], str], str]] = {
    255: ("Germany", _always("Germany"), "COW 255 is Germany before 1945 and from 1990; country_converter has no GW 255"),
    260: ("German Federal Republic", _always("Germany"), "West Germany is 'Germany' in this project, as in SIPRI's data"),
    265: ("German Democratic Republic", _always("East Germany (GDR)"), "former state"),
    315: ("Czechoslovakia", _always("Czechoslovakia"), "former state; country_converter gives 315 to Czechia"),
    316: ("Czech Republic", _always("Czechia"), "country_converter gives Czechia 315"),
    345: ("Yugoslavia", _before(2006, "Yugoslavia", "Serbia"),
          "COW 345 is Yugoslavia, continued by Serbia; switch year as in analysis.sources.ucdp (2006)"),
    365: ("Russia", _before(1992, "Soviet Union", "Russia"), "COW 365 is the Soviet Union to 1991, then Russia"),
    678: ("Yemen Arab Republic", _always("North Yemen"), "former state (to 1990)"),
    679: ("Yemen", _always("Yemen"), "united Yemen from 1990; country_converter gives Yemen 680"),
    680: ("Yemen People's Republic", _always("South Yemen"), "former state; country_converter gives 680 to Yemen"),
    816: ("Vietnam", _always("Viet Nam"), "North Vietnam, then Viet Nam; country_converter gives Viet Nam 817"),
    817: ("Republic of Vietnam", _always("South Vietnam"), "former state; country_converter gives 817 to Viet Nam"),
    946: ("Kiribati", _always("Kiribati"), "country_converter's GW code differs (970)"),
    947: ("Tuvalu", _always("Tuvalu"), "country_converter's GW code differs (973)"),
    955: ("Tonga", _always("Tonga"), "country_converter's GW code differs (972)"),
    970: ("Nauru", _always("Nauru"), "country_converter gives GW 970 to Kiribati"),
}
_SWITCH_YEARS = {345: 2006, 365: 1992}
_INT = re.compile(r"-?\d+")


class AtopFormatError(ValueError):
    """An ATOP file that cannot be read: names the file, the line, the column and what was expected."""

    def __init__(self, path: Path | str, line: int | None, column: str | None, message: str):
        self.path, self.line, self.column = str(path), line, column
        where = self.path + (f", line {line}" if line is not None else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------------------------
# state codes


@lru_cache(maxsize=1)
def _coco_by_code() -> dict[int, str]:
    """GW code (= COW code outside COW_EXCEPTIONS) -> canonical name, from country_converter's ``GWcode``."""
    from analysis.sources import countries

    return {code: name for name, code in countries.gw_numbers()}


def cow_to_country(code: int, year: int) -> str | None:
    """Canonical country name of COW state code ``code`` in ``year``, or None for an unknown code."""
    if code in COW_EXCEPTIONS:
        return COW_EXCEPTIONS[code][1](year)
    return _coco_by_code().get(code)


# --------------------------------------------------------------------------------------------
# reading


def find_atop() -> Path | None:
    """The ATOP member-level file a user provided: ``$ARMSBRIEF_ATOP``, else ``data/raw/atop/atop5_1m.csv``."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env)
    return DEFAULT_PATH if DEFAULT_PATH.is_file() else None


def _int(path: Path, line: int, column: str, text: str, *, required: bool) -> int | None:
    text = (text or "").strip()
    if text in ("", "."):
        if required:
            raise AtopFormatError(path, line, column, "empty; expected an integer")
        return None
    if text.endswith(".0"):  # files re-saved by spreadsheets or pandas write 1949.0
        text = text[:-2]
    if not _INT.fullmatch(text):
        raise AtopFormatError(path, line, column, f"{text!r} is not an integer")
    return int(text)


def _date(path: Path, line: int, cols: tuple[str, str, str], values: tuple[int | None, ...], side: str
          ) -> tuple[pd.Timestamp | None, str | None]:
    """(timestamp, precision) of an ATOP year/month/day triple; (None, None) for an exit year 0 / empty."""
    year, month, day = values
    if year in (None, 0):
        if side == "start":
            raise AtopFormatError(path, line, cols[0], f"{year!r}; expected the entry year")
        return None, None
    if not 1800 <= year <= 2100:
        raise AtopFormatError(path, line, cols[0], f"{year}; expected a year in 1800..2100")
    if month in (None, 0):
        first, precision = dt.date(year, 1, 1), "year"
    elif not 1 <= month <= 12:
        raise AtopFormatError(path, line, cols[1], f"{month}; expected a month 1..12 (0 = unknown)")
    elif day in (None, 0):
        first, precision = dt.date(year, month, 1), "month"
    else:
        try:
            first, precision = dt.date(year, month, day), "day"
        except ValueError:
            raise AtopFormatError(path, line, cols[2], f"{year}-{month}-{day} is not a calendar date") from None
    stamp = pd.Timestamp(first)
    if side == "end" and precision != "day":
        stamp += pd.offsets.YearEnd(0) if precision == "year" else pd.offsets.MonthEnd(0)
    return stamp, precision


def _read_rows(path: Path) -> list[dict]:
    """One dict per data row with its file line; errors name the file, line and column."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AtopFormatError(path, None, None, "file not found (expected ATOP's member-level CSV, atop5_1m.csv)") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise AtopFormatError(path, 1, None, "empty file; expected a header with " + ", ".join(REQUIRED_COLUMNS)) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        hint = " (is this the alliance-level file atop5_1a.csv?)" if "begyr" in header else ""
        raise AtopFormatError(path, 1, None, f"missing column(s) {missing}; expected ATOP's member-level layout "
                                             f"with {', '.join(REQUIRED_COLUMNS)}{hint}")
    index = {c: header.index(c) for c in REQUIRED_COLUMNS}
    rows = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) < len(header):
            raise AtopFormatError(path, line, None, f"{len(record)} fields; expected {len(header)} as in the header")
        row = {"line": line}
        row["atopid"] = _int(path, line, "atopid", record[index["atopid"]], required=True)
        row["member"] = _int(path, line, "member", record[index["member"]], required=True)
        for col in DATE_COLUMNS:
            row[col] = _int(path, line, col, record[index[col]], required=col == "yrent")
        for col in OBLIGATIONS:
            value = _int(path, line, col, record[index[col]], required=False) or 0
            if value not in (0, 1):
                raise AtopFormatError(path, line, col, f"{value}; expected a 0/1 flag")
            row[col] = value
        rows.append(row)
    return rows


def _spells_of(path: Path, rows: list[dict]) -> list[dict]:
    """Dated membership rows, mapped to canonical names (split where a COW code changes name)."""
    out = []
    for row in rows:
        line = row["line"]
        start, start_prec = _date(path, line, ("yrent", "moent", "dayent"),
                                  (row["yrent"], row["moent"], row["dayent"]), "start")
        end, end_prec = _date(path, line, ("yrexit", "moexit", "dayexit"),
                              (row["yrexit"], row["moexit"], row["dayexit"]), "end")
        if end is not None and end < start:
            raise AtopFormatError(path, line, "yrexit", f"exit {end.date()} before entry {start.date()}")
        if end is not None and end.year < FIRST_YEAR:
            continue  # before SIPRI's coverage (see module docstring)
        for s, s_prec, e, e_prec, cut in _split(row["member"], start, start_prec, end, end_prec):
            country = cow_to_country(row["member"], s.year)
            if country is None:
                raise AtopFormatError(path, line, "member", f"unmapped COW state code {row['member']}: not in "
                                                            "country_converter's codes nor in atop.COW_EXCEPTIONS")
            reason = (f"COW code {row['member']} names {country} to {e.year}, "
                      f"{cow_to_country(row['member'], e.year + 1)} from {e.year + 1}") if cut else None
            out.append({**row, "country": country, "start": s, "start_prec": s_prec, "end": e, "end_prec": e_prec,
                        "cut_reason": reason})
    return out


def _split(code: int, start, start_prec, end, end_prec):
    """The spell, cut at 1 January of the code's switch year when it runs across it; the last item of
    each part says whether it ends at the cut."""
    switch = _SWITCH_YEARS.get(code)
    if switch is None:
        return [(start, start_prec, end, end_prec, False)]
    cut = pd.Timestamp(switch, 1, 1)
    if start >= cut or (end is not None and end < cut):
        return [(start, start_prec, end, end_prec, False)]
    return [(start, start_prec, cut - pd.Timedelta(days=1), "day", True), (cut, "day", end, end_prec, False)]


def _merge(spells: list[dict]) -> list[dict]:
    """Touching or overlapping spells of one country in one alliance, merged (ATOP phases)."""
    merged: list[dict] = []
    key = lambda s: (s["atopid"], s["country"], s["start"])  # noqa: E731
    for spell in sorted(spells, key=key):
        last = merged[-1] if merged else None
        if (last is not None and (last["atopid"], last["country"]) == (spell["atopid"], spell["country"])
                and (last["end"] is None or spell["start"] <= last["end"] + pd.Timedelta(days=1))):
            if last["end"] is not None and (spell["end"] is None or spell["end"] > last["end"]):
                last["end"], last["end_prec"], last["cut_reason"] = spell["end"], spell["end_prec"], spell["cut_reason"]
            last["lines"].append(spell["line"])
            continue
        merged.append({**spell, "lines": [spell["line"]]})
    return merged


def _lines_text(lines: list[int]) -> str:
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(str(n) for n in sorted(lines))


def load_atop(path: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(alliances, spells)`` from ATOP's member-level file, shaped like the curated tables.

    ``path``: the file; None looks for it with :func:`find_atop` (``$ARMSBRIEF_ATOP``, then
    ``data/raw/atop/atop5_1m.csv``). ``alliances`` has the columns of the curated ``alliances`` table
    (``alliance`` = ``"ATOP <atopid>"``, ``name`` from the obligations any member took on,
    ``founding_date`` = the earliest entry date, ISO); ``spells`` those of ``alliance_membership`` after
    loading (status "member", Timestamps, NaT end = still in force). Every row's source names the file
    and its lines. Raises :class:`AtopFormatError` (file, line, column) for anything unreadable and for
    an unmapped state code.
    """
    chosen = Path(path) if path else find_atop()
    if chosen is None:
        raise AtopFormatError(DEFAULT_PATH, None, None, f"no ATOP file: pass a path, set ${ENV_VAR}, or put "
                                                        "ATOP's atop5_1m.csv there")
    rows = _read_rows(chosen)
    spells = _merge(_spells_of(chosen, rows))
    file_name = chosen.name
    undated = UNDATED.format(file=file_name)

    spell_rows = []
    for s in spells:
        spell_rows.append({
            "alliance": f"ATOP {s['atopid']}", "country": s["country"], "status": "member",
            "start_date": s["start"], "start_date_precision": s["start_prec"],
            "end_date": s["end"] if s["end"] is not None else pd.NaT, "end_date_precision": s["end_prec"],
            "end_reason": s["cut_reason"] or ("exit recorded by ATOP" if s["end"] is not None else None),
            "notes": f"{undated} COW code {s['member']}.",
            "source_publisher": SOURCE_PUBLISHER,
            "source_title": f"ATOP member-level data ({file_name}), {_lines_text(s['lines'])}",
            "source_url": SOURCE_URL, "source_date": None,
        })
    spell_frame = pd.DataFrame(spell_rows, columns=list(SPELL_COLUMNS))
    spell_frame["start_date"] = pd.to_datetime(spell_frame["start_date"])
    spell_frame["end_date"] = pd.to_datetime(spell_frame["end_date"])
    for col in SPELL_COLUMNS:
        if col not in ("start_date", "end_date"):
            spell_frame[col] = spell_frame[col].astype("str").where(spell_frame[col].notna())

    alliance_rows = []
    kept = {s["atopid"] for s in spells}
    by_id: dict[int, list[dict]] = {}
    for row in rows:
        if row["atopid"] in kept:
            by_id.setdefault(row["atopid"], []).append(row)
    for atopid in sorted(by_id):
        members = by_id[atopid]
        words = [word for col, word in OBLIGATIONS.items() if any(r[col] for r in members)]
        own = [s for s in spells if s["atopid"] == atopid]
        first = min(own, key=lambda s: s["start"])
        founded = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[first["start_prec"]]
        alliance_rows.append({
            "alliance": f"ATOP {atopid}",
            "name": f"ATOP {atopid} ({', '.join(words) if words else 'no obligation coded'})",
            "founding_document": None, "founding_date": first["start"].strftime(founded),
            "notes": f"{undated} Obligations: union of the members' flags; founding_date: earliest member entry.",
            "source_publisher": SOURCE_PUBLISHER,
            "source_title": f"ATOP member-level data ({file_name}), {_lines_text([r['line'] for r in members])}",
            "source_url": SOURCE_URL, "source_date": None,
        })
    alliance_frame = pd.DataFrame(alliance_rows, columns=list(ALLIANCE_COLUMNS))
    for col in ALLIANCE_COLUMNS:
        alliance_frame[col] = alliance_frame[col].astype("str").where(alliance_frame[col].notna())
    return alliance_frame, spell_frame


def with_atop(alliances: pd.DataFrame, spells: pd.DataFrame, path: str | Path | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The curated ``alliances`` and ``alliance_membership`` frames with the ATOP alliances appended
    (the hook for code that takes the curated tables: pass the result wherever they are used)."""
    atop_alliances, atop_spells = load_atop(path)
    return (pd.concat([alliances, atop_alliances], ignore_index=True),
            pd.concat([spells, atop_spells], ignore_index=True))


_TABLES: dict[tuple, tuple[pd.DataFrame, pd.DataFrame]] = {}


def alliance_tables(alliances: pd.DataFrame, spells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The alliance tables every brief and screen uses: the curated ones, plus the ATOP alliances when the
    user has provided the ATOP file (:func:`find_atop`); loaded once per file state."""
    path = find_atop()
    if path is None:
        return alliances, spells
    if not path.is_file():
        raise AtopFormatError(path, None, None, f"file not found (set by {ENV_VAR})")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, len(alliances), len(spells))
    if key not in _TABLES:
        _TABLES.clear()
        _TABLES[key] = with_atop(alliances, spells, path)
    return _TABLES[key]
