"""UCDP/PRIO Armed Conflict Dataset (conflict-year rows): reader, state pairs, embedded extract.

Reads the conflict-year CSV in UCDP's own format (comma-separated, dates ``yyyy-mm-dd``, LF) and in the
spreadsheet re-save found in ``../shared/ucdp/25.1`` (``;``-separated, dates ``d-m-yyyy``, CRLF). The
delimiter is detected from the header line; a UTF-8 byte-order mark is tolerated. Required columns are
checked by name; a missing column or a bad value raises :class:`UcdpFormatError` naming the file, line,
column and what was expected.

States are mapped by Gleditsch-Ward number. The ``side_*`` cells name governments ("Government of X",
comma-separated) and the ``gwno_*`` cells hold their GW numbers; UCDP sorts the names alphabetically and
the numbers as text ("2, 20, 200, ..., 70, 710, 90"), so the two lists are paired by number, not by
position: each name is read with :func:`analysis.sources.countries.normalise` and its GW number taken
from country_converter's ``GWcode`` column, except for the GW numbers in :data:`GW_EXCEPTIONS`, whose
UCDP names ``normalise`` cannot read or whose GW number country_converter gives differently (``Yemen``
680, ``Vietnam`` 817). Every number must pair with exactly one name; anything else is an error naming
the UCDP name, the GW number, the file and the line.

Known defect of the re-saved copy: one record (conflict 11349, China, East Turkestan) is split over
two physical lines (42-43), and in the continuation the fields ``ep_end_prec, gwno_a, gwno_a_2nd`` and
``gwno_b, gwno_b_2nd`` are still joined by commas (``,710,`` and ``,``). The reader rejoins such a
record only when the result has exactly the header's number of fields, validates it like any other
row and lists the repair in ``frame.attrs["repairs"]``.

Data: UCDP data are CC BY 4.0; cite :data:`CITATION` (the codebook's page 1) and the version.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.sources import countries

__all__ = [
    "CITATION",
    "EXTRACT_PATH",
    "GW_EXCEPTIONS",
    "REQUIRED_COLUMNS",
    "UCDP_COLUMNS",
    "UcdpFormatError",
    "adversaries",
    "find_conflicts",
    "load_conflicts",
    "select_conflicts",
    "state_dyads",
    "write_extract",
]

VERSION = "25.1"
CITATION = (
    "Gleditsch, Nils Petter; Peter Wallensteen, Mikael Eriksson, Margareta Sollenberg & Håvard Strand "
    "(2002) Armed Conflict 1946–2001: A New Dataset. Journal of Peace Research 39(5): 615–637. "
    "Davies, S., Pettersson, T., Sollenberg, M., & Öberg, M. (2025). Organized violence 1989–2024, and "
    "the challenges of identifying civilian victims. Journal of Peace Research, 62(4). "
    "Dataset: UCDP/PRIO Armed Conflict Dataset version 25.1 (codebook: Pettersson, Therese (2025) "
    "UCDP/PRIO Armed Conflict Dataset Codebook v 25.1, https://ucdp.uu.se/downloads/)."
)
SOURCE_COLUMNS = {
    "source_publisher": "UCDP/PRIO",
    "source_title": "UCDP/PRIO Armed Conflict Dataset version 25.1",
    "source_url": "https://ucdp.uu.se/downloads/",
    "source_date": "2025",
}
EXTRACT_PATH = paths.DATA_DIR / "ucdp" / "ucdp_prio_acd_251.csv"

# The 28 columns of the codebook, in UCDP's order.
UCDP_COLUMNS = (
    "conflict_id", "location", "side_a", "side_a_id", "side_a_2nd", "side_b", "side_b_id", "side_b_2nd",
    "incompatibility", "territory_name", "year", "intensity_level", "cumulative_intensity",
    "type_of_conflict", "start_date", "start_prec", "start_date2", "start_prec2", "ep_end", "ep_end_date",
    "ep_end_prec", "gwno_a", "gwno_a_2nd", "gwno_b", "gwno_b_2nd", "gwno_loc", "region", "version",
)
REQUIRED_COLUMNS = (
    "conflict_id", "location", "side_a", "side_a_2nd", "side_b", "side_b_2nd", "incompatibility", "year",
    "intensity_level", "type_of_conflict", "start_date", "ep_end_date", "gwno_a", "gwno_a_2nd", "gwno_b",
    "gwno_b_2nd",
)
# column -> (allowed values or None for any int, required non-empty)
_INT_COLUMNS: dict[str, tuple[range | None, bool]] = {
    "conflict_id": (None, True),
    "incompatibility": (range(1, 4), True),
    "year": (range(1900, 2101), True),
    "intensity_level": (range(1, 3), True),
    "cumulative_intensity": (range(2), True),
    "type_of_conflict": (range(1, 5), True),
    "start_prec": (range(1, 8), False),
    "start_prec2": (range(1, 8), False),
    "ep_end": (range(2), True),
    "ep_end_prec": (range(1, 8), False),
}
_DATE_COLUMNS = {"start_date": True, "start_date2": False, "ep_end_date": False}
_GW_LIST_COLUMNS = ("gwno_a", "gwno_a_2nd", "gwno_b", "gwno_b_2nd", "gwno_loc")
# side column -> (gwno column, canonical-names column added by the reader)
_SIDES = {"side_a": ("gwno_a", "states_a"), "side_a_2nd": ("gwno_a_2nd", "states_a_2nd"),
          "side_b": ("gwno_b", "states_b"), "side_b_2nd": ("gwno_b_2nd", "states_b_2nd")}
_GOVERNMENT = "Government of "
_INCOMPATIBILITY = {1: "territory", 2: "government", 3: "government and territory"}

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
_INT = re.compile(r"-?\d+")


def _before(year_limit: int, old: str, new: str) -> Callable[[int], str]:
    return lambda year: old if year < year_limit else new


def _always(name: str) -> Callable[[int], str]:
    return lambda year: name


# GW number -> (UCDP's name after "Government of ", canonical name as a function of the year, why).
GW_EXCEPTIONS: dict[int, tuple[str, Callable[[int], str], str]] = {
    260: ("Germany", _always("Germany"), "German Federal Republic (West Germany), 'Germany' in this project"),
    315: ("Czechoslovakia", _always("Czechoslovakia"), "former state: no GW code in country_converter"),
    316: ("Czech Republic", _always("Czechia"), "country_converter gives Czechia 315 (Czechoslovakia's number)"),
    345: ("Serbia (Yugoslavia)", _before(2006, "Yugoslavia", "Serbia"),
          "codebook: 345 Yugoslavia (Serbia) 1946-2006; Serbia from 2006"),
    365: ("Russia (Soviet Union)", _before(1992, "Soviet Union", "Russia"), "Soviet Union to 1991"),
    490: ("DR Congo (Zaire)", _always("DR Congo"), "parentheses"),
    552: ("Zimbabwe (Rhodesia)", _always("Zimbabwe"), "parentheses"),
    678: ("Yemen (North Yemen)", _before(1990, "North Yemen", "Yemen"),
          "Yemen Arab Republic to 1989, united Yemen from 1990 (country_converter gives Yemen 680)"),
    680: ("South Yemen", _always("South Yemen"), "country_converter gives 680 to (united) Yemen"),
    751: ("Hyderabad", _always("Hyderabad"), "princely state 1947-1948, in no project name table"),
    775: ("Myanmar (Burma)", _always("Myanmar"), "parentheses"),
    811: ("Cambodia (Kampuchea)", _always("Cambodia"), "parentheses"),
    816: ("Vietnam (North Vietnam)", _always("Viet Nam"),
          "North Vietnam, then Viet Nam (country_converter gives Vietnam 817)"),
    817: ("South Vietnam", _always("South Vietnam"), "former state; country_converter gives 817 to Vietnam"),
}
_EXCEPTION_BY_NAME = {name: gw for gw, (name, _, _) in GW_EXCEPTIONS.items()}


class UcdpFormatError(ValueError):
    """A UCDP file that cannot be read: names the file, the line, the column and what was expected."""

    def __init__(self, path: Path | str, line: int | None, column: str | None, message: str):
        self.path, self.line, self.column = str(path), line, column
        where = self.path + (f", line {line}" if line is not None else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------------------------
# low-level parsing


def _read_records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], str, list[str]]:
    """Header, (line number, fields) per record, the delimiter, and repairs made."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UcdpFormatError(path, None, None, f"not valid UTF-8 ({exc})") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    try:
        for fields in reader:
            if not fields or all(not f.strip() for f in fields) and len(fields) <= 1:
                continue
            if header is None:
                header = [h.strip() for h in fields]
            else:
                records.append((reader.line_num, fields))
    except csv.Error as exc:
        raise UcdpFormatError(path, reader.line_num, None, f"cannot be parsed as CSV: {exc}") from None
    if header is None:
        raise UcdpFormatError(path, 1, None, "empty file: a header row with UCDP's column names was expected")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise UcdpFormatError(path, 1, missing[0], f"required column(s) missing: {missing}; the header is {header}")
    records, repairs = _rejoin_split_records(header, records)
    return header, records, delimiter, repairs


def _rejoin_split_records(header: list[str], records: list[tuple[int, list[str]]]):
    """Rejoin a record split after ``territory_name`` (see the module docstring); strict, else unchanged."""
    if "territory_name" not in header:
        return records, []
    cut = header.index("territory_name") + 1
    out: list[tuple[int, list[str]]] = []
    repairs: list[str] = []
    i = 0
    while i < len(records):
        line, fields = records[i]
        if (i + 1 < len(records) and len(fields) == len(header) and fields[0].strip()
                and all(not f.strip() for f in fields[cut:])):
            next_line, tail = records[i + 1]
            if not tail[0].strip():
                pieces = [p for f in tail[1:] for p in (f.split(",") if "," in f and not _is_int_list(f) else [f])]
                while len(pieces) > len(header) - cut and pieces and not pieces[-1].strip():
                    pieces.pop()
                pieces += [""] * (len(header) - cut - len(pieces))
                if len(pieces) == len(header) - cut:
                    out.append((line, fields[:cut] + pieces))
                    repairs.append(f"lines {line}-{next_line}: one record (conflict_id {fields[0].strip()}) "
                                   f"split over two lines, rejoined")
                    i += 2
                    continue
        out.append((line, fields))
        i += 1
    return out, repairs


def _is_int_list(text: str) -> bool:
    """True for a well-formed comma-separated list of integers ("200, 2")."""
    parts = [p.strip() for p in text.split(",")]
    return all(_INT.fullmatch(p) for p in parts)


def _parse_int(text: str, where: Callable[[str], UcdpFormatError], allowed: range | None, required: bool):
    text = text.strip()
    if not text:
        if required:
            raise where("empty, an integer was expected")
        return pd.NA
    if not _INT.fullmatch(text):
        raise where(f"{text!r} is not an integer")
    value = int(text)
    if allowed is not None and value not in allowed:
        raise where(f"{value} is out of range (expected {allowed.start}-{allowed.stop - 1})")
    return value


def _parse_date(text: str, where: Callable[[str], UcdpFormatError], required: bool):
    text = text.strip()
    if not text:
        if required:
            raise where("empty, a date (yyyy-mm-dd or d-m-yyyy) was expected")
        return pd.NaT
    if m := _ISO.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.fullmatch(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    else:
        raise where(f"{text!r} is not a date (expected yyyy-mm-dd or d-m-yyyy)")
    try:
        return pd.Timestamp(dt.date(y, mo, d))
    except ValueError:
        raise where(f"{text!r} is not a calendar date") from None


def _parse_gw_list(text: str, where: Callable[[str], UcdpFormatError]) -> list[int]:
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    for p in parts:
        if not _INT.fullmatch(p):
            raise where(f"{text!r} is not a comma-separated list of Gleditsch-Ward numbers")
    return [int(p) for p in parts]


def _split_names(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()] if text.strip() else []


# --------------------------------------------------------------------------------------------
# GW numbers -> canonical names


@lru_cache(maxsize=1)
def _coco_gw() -> dict[str, int]:
    """Canonical state name -> GW number, from country_converter's ``GWcode`` column."""
    return dict(countries.gw_numbers())


def _map_states(names: list[str], numbers: list[int], year: int, err: Callable[[str], UcdpFormatError]) -> list[str]:
    """Canonical names aligned with ``numbers`` (GW numbers), paired with the government names by number."""
    governments = [n for n in names if n.startswith(_GOVERNMENT)]
    if len(governments) != len(numbers):
        raise err(f"{len(governments)} government(s) named ({governments}) but {len(numbers)} GW number(s) "
                  f"given ({numbers}): one Gleditsch-Ward number per 'Government of ...' was expected")
    by_gw: dict[int, str] = {}
    for name in governments:
        ucdp_name = name[len(_GOVERNMENT):].strip()
        if ucdp_name in _EXCEPTION_BY_NAME:
            gw = _EXCEPTION_BY_NAME[ucdp_name]
            if gw not in numbers:
                raise err(f"UCDP name {ucdp_name!r} has GW number {gw} but the GW numbers are {numbers}")
            by_gw[gw] = GW_EXCEPTIONS[gw][1](year)
            continue
        try:
            canonical = countries.normalise(ucdp_name)
            kind = countries.kind(ucdp_name)
        except countries.UnknownCountryError:
            raise err(f"unmapped state: UCDP name {ucdp_name!r} (GW numbers {numbers}) is not a known country "
                      f"name; add it to ucdp.GW_EXCEPTIONS") from None
        gw = _coco_gw().get(canonical)
        if kind not in (countries.STATE, countries.FORMER_STATE) or gw is None:
            raise err(f"unmapped state: UCDP name {ucdp_name!r} reads as {canonical!r} ({kind}) which has no "
                      f"Gleditsch-Ward number; add it to ucdp.GW_EXCEPTIONS")
        if gw not in numbers:
            unmatched = [n for n in numbers if n not in by_gw and n not in _gws_of(governments)]
            raise err(f"unknown GW number {unmatched or numbers}: UCDP name {ucdp_name!r} reads as {canonical!r} "
                      f"(GW {gw}), which is not among the GW numbers {numbers}")
        by_gw[gw] = canonical
    for n in numbers:
        if n not in by_gw:
            raise err(f"unknown GW number {n}: no government named ({governments}) has it")
    return [by_gw[n] for n in numbers]


def _gws_of(governments: list[str]) -> set[int]:
    out = set()
    for name in governments:
        ucdp_name = name[len(_GOVERNMENT):].strip()
        if ucdp_name in _EXCEPTION_BY_NAME:
            out.add(_EXCEPTION_BY_NAME[ucdp_name])
        else:
            try:
                gw = _coco_gw().get(countries.normalise(ucdp_name))
            except countries.UnknownCountryError:
                gw = None
            if gw is not None:
                out.add(gw)
    return out


# --------------------------------------------------------------------------------------------
# public API


def load_conflicts(path: Path | str | None = None) -> pd.DataFrame:
    """Conflict-year rows of a UCDP/PRIO Armed Conflict Dataset CSV, typed.

    ``path``: a file in UCDP's own format or the ``;``/``d-m-yyyy`` re-save; None reads the embedded
    extract :data:`EXTRACT_PATH` after checking it against its sidecar. Integer columns (``conflict_id``, ``year``, ``type_of_conflict`` 1-4,
    ``intensity_level`` 1-2, ``incompatibility``, ...) are ``Int64``; dates (``start_date``,
    ``start_date2``, ``ep_end_date``) are timestamps (NaT when empty); ``gwno_*`` are lists of ints in the
    file's order; text columns are strings as written. Added columns ``states_a``, ``states_a_2nd``,
    ``states_b``, ``states_b_2nd``: canonical names of the states, aligned with ``gwno_a`` ...
    (``states_a[i]`` is the state numbered ``gwno_a[i]``). Columns outside the codebook (e.g. the
    extract's ``source_*``) are kept as strings. ``frame.attrs["repairs"]`` lists repaired records and
    ``frame.attrs["path"]`` the file. Raises :class:`UcdpFormatError` for a missing column, a bad value
    or an unmapped state.
    """
    if path is None:
        from analysis.sources import sidecars
        path = EXTRACT_PATH
        sidecars.validate_sidecar(path)  # refuses an extract changed since its sidecar was written
    path = Path(path)
    if not path.is_file():
        raise UcdpFormatError(path, None, None, "file not found")
    header, records, _, repairs = _read_records(path)
    index = {name: i for i, name in enumerate(header)}
    present = [c for c in UCDP_COLUMNS if c in index]
    extra = [c for c in header if c not in UCDP_COLUMNS]
    data: dict[str, list] = {c: [] for c in present + [v[1] for v in _SIDES.values()] + extra}
    for line, fields in records:
        if len(fields) != len(header):
            raise UcdpFormatError(path, line, None, f"{len(fields)} fields, expected {len(header)} as in the header")

        def err_for(column: str, line: int = line) -> Callable[[str], UcdpFormatError]:
            return lambda message: UcdpFormatError(path, line, column, message)

        row: dict[str, object] = {}
        for column in present:
            text = fields[index[column]]
            if column in _INT_COLUMNS:
                allowed, required = _INT_COLUMNS[column]
                row[column] = _parse_int(text, err_for(column), allowed, required)
            elif column in _DATE_COLUMNS:
                row[column] = _parse_date(text, err_for(column), _DATE_COLUMNS[column])
            elif column in _GW_LIST_COLUMNS:
                row[column] = _parse_gw_list(text, err_for(column))
            else:
                row[column] = text.strip()
        year = row["year"]
        for side, (gw_column, states_column) in _SIDES.items():
            row[states_column] = _map_states(_split_names(row[side]), row[gw_column], year,
                                             err_for(f"{side}/{gw_column}"))
        for column in extra:
            row[column] = fields[index[column]].strip()
        for column, values in data.items():
            values.append(row[column])
    frame = pd.DataFrame(data)
    for column in present:
        if column in _INT_COLUMNS:
            frame[column] = frame[column].astype("Int64")
        elif column in _DATE_COLUMNS:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    frame.attrs["repairs"] = repairs
    frame.attrs["path"] = str(path)
    return frame


def _conflict_name(row) -> str:
    if row.type_of_conflict == 2:
        return f"{row.side_a} vs {row.side_b}"
    incompatibility = _INCOMPATIBILITY.get(int(row.incompatibility), str(row.incompatibility))
    territory = getattr(row, "territory_name", "")
    return f"{row.location}: {incompatibility}" + (f" ({territory})" if territory else "")


DYAD_COLUMNS = ("year", "conflict_id", "state_a", "state_b", "role", "is_primary", "type_of_conflict",
                "intensity_level", "conflict_name", "location")


def state_dyads(conflicts: pd.DataFrame) -> pd.DataFrame:
    """One row per (year, conflict_id, state_a, state_b, role): every pair of states on opposite sides.

    Side A's states are the governments in ``side_a`` (primary) and ``side_a_2nd`` (secondary: states
    backing side A with troops); side B's likewise (``side_b`` only when it names governments, i.e.
    interstate conflicts; rebel groups and other non-state sides are not states). ``state_a`` is on side A,
    ``state_b`` on side B (side order kept, not alphabetical). ``role``: ``primary-primary``,
    ``primary-secondary``, ``secondary-primary`` or ``secondary-secondary`` (state_a's role first);
    ``is_primary`` is True for ``primary-primary``. ``conflict_name``: "side_a vs side_b" for interstate
    conflicts, else "location: incompatibility (territory)". A state on both sides is not paired with itself.
    """
    out = []
    for row in conflicts.itertuples(index=False):
        a = [(s, "primary") for s in row.states_a] + [(s, "secondary") for s in row.states_a_2nd]
        b = [(s, "primary") for s in row.states_b] + [(s, "secondary") for s in row.states_b_2nd]
        if not a or not b:
            continue
        name = _conflict_name(row)
        seen = set()
        for state_a, role_a in a:
            for state_b, role_b in b:
                key = (state_a, state_b)
                if state_a == state_b or key in seen:
                    continue
                seen.add(key)
                out.append((row.year, row.conflict_id, state_a, state_b, f"{role_a}-{role_b}",
                            role_a == role_b == "primary", row.type_of_conflict, row.intensity_level,
                            name, row.location))
    frame = pd.DataFrame(out, columns=list(DYAD_COLUMNS))
    for column in ("year", "conflict_id", "type_of_conflict", "intensity_level"):
        frame[column] = frame[column].astype("Int64")
    frame["is_primary"] = frame["is_primary"].astype(bool)
    return frame


def adversaries(dyads: pd.DataFrame, country: str, start: int, end: int) -> dict[str, list[int]]:
    """Other states on the opposite side of ``country`` in ``start``..``end`` (inclusive) -> sorted years.

    ``dyads`` from :func:`state_dyads`; ``country`` any spelling :func:`countries.normalise` reads.
    """
    name = countries.normalise(country)
    window = dyads[(dyads["year"] >= start) & (dyads["year"] <= end)]
    result: dict[str, set[int]] = {}
    for mine, other in (("state_a", "state_b"), ("state_b", "state_a")):
        hits = window[window[mine] == name]
        for state, year in zip(hits[other], hits["year"]):
            result.setdefault(state, set()).add(int(year))
    return {state: sorted(years) for state, years in sorted(result.items())}


def write_extract(source: Path | str, target: Path | str = EXTRACT_PATH) -> Path:
    """Write ``source`` (either format) as ``target`` in UCDP's own format, with the source columns.

    The source is first read with :func:`load_conflicts` (so it must be valid). Output: UTF-8, comma
    delimiter, LF line ends, minimal quoting, all 28 codebook columns in UCDP's order with each cell's text
    as written except dates rewritten ``yyyy-mm-dd`` (a split record rejoined, see the module docstring),
    then ``source_publisher``, ``source_title``, ``source_url``, ``source_date`` (constants).
    """
    source, target = Path(source), Path(target)
    load_conflicts(source)  # validates
    header, records, _, _ = _read_records(source)
    missing = [c for c in UCDP_COLUMNS if c not in header]
    if missing:
        raise UcdpFormatError(source, 1, missing[0], f"the extract needs all codebook columns; missing {missing}")
    index = {name: i for i, name in enumerate(header)}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(UCDP_COLUMNS) + list(SOURCE_COLUMNS))
    for line, fields in records:
        out = []
        for column in UCDP_COLUMNS:
            text = fields[index[column]].strip()
            if column in _DATE_COLUMNS and text:
                stamp = _parse_date(text, lambda m, line=line, column=column: UcdpFormatError(source, line, column, m), True)
                text = stamp.strftime("%Y-%m-%d")
            out.append(text)
        writer.writerow(out + list(SOURCE_COLUMNS.values()))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue().encode("utf-8"))
    return target



def find_conflicts() -> Path | None:
    """The newest UCDP CSV a user dropped in ``data/raw/ucdp/`` (by file name, then modification time)."""
    folder = paths.RAW_UCDP_DIR
    if not folder.is_dir():
        return None
    found = sorted(folder.glob("*.csv"), key=lambda p: (p.name, p.stat().st_mtime))
    return found[-1] if found else None


_LOADED: dict[tuple, pd.DataFrame] = {}


def select_conflicts(path: Path | str | None = "") -> pd.DataFrame:
    """The conflict data a brief uses: ``path`` when given, else a file in ``data/raw/ucdp/``, else the
    embedded extract. Loaded once per process and file state (path, size, modification time)."""
    chosen = Path(path) if path else find_conflicts()
    if chosen is not None and not Path(chosen).is_file():
        raise UcdpFormatError(Path(chosen), None, None, "file not found (parameter 'conflicts')")
    target = chosen if chosen is not None else EXTRACT_PATH
    stat = Path(target).stat()
    key = (str(Path(target).resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_conflicts(chosen)
    return _LOADED[key]
