"""Case packs: one folder per story with its own events, claims and reported transfers.

A brief's story material (dated events, public claims, transfers reported outside the SIPRI register)
lives in *case packs*, so a journalist adds a story without touching the project's code or its shared
reference tables (SIPRI restatements, totals, alliances, conflicts, embargoes: ``data/case/``).

Layout of a pack ``<folder>/<name>/``::

    case.yml                        what the pack is about and who compiled it (keys below)
    events.csv + events.meta.yml    dated events for the timeline
    claims.csv + claims.meta.yml    public claims, with their machine-checkable form
    reported_transfers.csv + .meta.yml   transfers reported by the press, officials or leaked documents
    README.md                       what each column takes (written by ``armsbrief case new``)

The three tables have exactly the schemas, sidecars and checks of ``data/case/`` tables
(:func:`analysis.sources.curated.load_table` with the pack's folder): errors name the file, the line
(the header is line 1), the column, the value, what was expected and why.

``case.yml`` keys (:data:`CASE_KEYS`; any other key is an error): ``title``, ``description``,
``supplier``, ``recipient`` (required; country names as the brief's parameters take them, checked
with :func:`analysis.sources.countries.normalise`, so "Belaruss" is refused with "did you mean
'Belarus'?"), ``ally``, ``alliance`` (optional; the alliance must be one of ``data/case/alliances.csv``),
``start_year``, ``end_year`` (optional, both or neither, whole years), ``compiled_by``, ``compiled_on``
(required; an ISO date, not in the future) and ``notes`` (optional).

**Where packs are looked up** (:func:`search_path`), in this order: the folders given with
``--case-dir`` (the ``extra`` argument), then the folders of the environment variable
``ARMSBRIEF_CASES`` (``os.pathsep``-separated, like ``PATH``), then the project's ``data/cases/``.
Every sub-folder holding a ``case.yml`` is a pack, named after its folder (a slug: lower-case letters,
digits, single hyphens). Two packs with the same name anywhere on the path are an error naming both
folders (a newsroom's copy never silently shadows the project's pack, nor the other way round).

**Which packs a brief uses** (:data:`MATCH_RULE`, printed in the brief's methodology): with ``case``
empty ("automatic"), every pack whose supplier and recipient are the brief's and whose period
overlaps the brief's (a pack without years matches any period); the ally and alliance of a pack are
context, not a condition. With ``case`` set to a pack's name, only that pack, whatever its
parameters (the methodology says when they differ). Packs used together must not give one key
(``claim_id``, ``report_id``, or an event's date and title) two different rows; identical rows are
kept once. Within the packs used, the brief shows the events in its timeline window, the claims and
the reported transfers for its pair and period, as it did with the shared tables.

Every case.yml is validated when packs are looked up (a broken one could hide a pack that matches);
the tables of a pack are validated when it is used or checked. :func:`check_pack` reports a sidecar
whose checksum no longer matches its edited CSV with the hint to run ``armsbrief case check NAME
--update-checksums``, which rewrites the checksums and row counts (``refresh_checksum``) and says
which files it updated; nothing is refreshed silently.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd
import yaml

from analysis import paths

__all__ = [
    "CASES_ENV", "DEFAULT_CASES_DIR", "PACK_TABLES", "CASE_FILE", "CASE_KEYS", "MATCH_RULE", "PackError", "Pack",
    "search_path", "extra_folders", "discover", "find_pack", "select_packs", "load_pack_tables", "check_pack",
    "new_pack", "read_case_file",
]

CASES_ENV = "ARMSBRIEF_CASES"
DEFAULT_CASES_DIR = paths.DATA_DIR / "cases"
PACK_TABLES = ("events", "claims", "reported_transfers")
CASE_FILE = "case.yml"
# key -> (required?, what it takes)
CASE_KEYS: dict[str, tuple[bool, str]] = {
    "title": (True, "a short title of the story (text)"),
    "description": (True, "what the pack covers and leaves out (text)"),
    "supplier": (True, "the supplying country, as a brief's --supplier takes it"),
    "recipient": (True, "the receiving country, as a brief's --recipient takes it"),
    "ally": (False, "the supplier's ally the story compares with (optional)"),
    "alliance": (False, "the alliance the story is about, one of data/case/alliances.csv (optional)"),
    "start_year": (False, "first year of the story's period (optional, with end_year)"),
    "end_year": (False, "last year of the story's period (optional, with start_year)"),
    "compiled_by": (True, "who compiled the pack (person or newsroom)"),
    "compiled_on": (True, "when it was compiled or last revised: an ISO date YYYY-MM-DD"),
    "notes": (False, "anything else a reader of the pack should know (optional)"),
}
MATCH_RULE = ("A case pack is used when its supplier and recipient are the brief's and its period overlaps the "
              "brief's (a pack without years covers any period), or when it is named with --case / CASE=.")
# Keys that identify a row when packs are combined.
_ROW_KEYS = {"events": ["event_date", "title"], "claims": ["claim_id"], "reported_transfers": ["report_id"]}
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_YEAR_MIN = 1950
_UPDATE_HINT = "run `armsbrief case check {name} --update-checksums` after checking your edit"


class PackError(ValueError):
    """A case pack is missing, malformed or ambiguous; the message names the file and what was expected."""


@dataclass(frozen=True)
class Pack:
    """A case pack as described by its ``case.yml`` (names canonical, years ints or None)."""

    name: str
    path: Path
    title: str
    description: str
    supplier: str
    recipient: str
    ally: str | None
    alliance: str | None
    start_year: int | None
    end_year: int | None
    compiled_by: str
    compiled_on: str
    notes: str | None = None
    extra: dict = field(default_factory=dict, repr=False, compare=False)

    def table_path(self, table: str) -> Path:
        """``<pack>/<table>.csv``."""
        return self.path / f"{table}.csv"

    @property
    def period(self) -> str:
        """``2018-2022``, or ``any period``."""
        return f"{self.start_year}-{self.end_year}" if self.start_year is not None else "any period"

    @property
    def parameters(self) -> str:
        """One line: ``Belarus -> Azerbaijan, 2018-2022, ally Armenia, alliance CSTO``."""
        text = f"{self.supplier} -> {self.recipient}, {self.period}"
        if self.ally:
            text += f", ally {self.ally}"
        if self.alliance:
            text += f", alliance {self.alliance}"
        return text

    def covers(self, supplier: str, recipient: str, start_year: int, end_year: int) -> bool:
        """Whether this pack matches a brief by :data:`MATCH_RULE`."""
        if (self.supplier, self.recipient) != (supplier, recipient):
            return False
        if self.start_year is None:
            return True
        return self.start_year <= end_year and start_year <= self.end_year


# ------------------------------------------------------------------------------------------------
# where packs are


def search_path(extra: Iterable[Path | str] = ()) -> list[Path]:
    """The folders searched for packs: ``extra`` (``--case-dir``), ``$ARMSBRIEF_CASES``, ``data/cases``.

    Each folder once (resolved); ``extra`` and environment folders that do not exist are an error
    (a mistyped folder would otherwise silently find nothing)."""
    folders: list[Path] = []
    given = [(Path(f).expanduser(), "--case-dir") for f in extra if str(f).strip()]
    given += [(Path(f).expanduser(), CASES_ENV) for f in os.environ.get(CASES_ENV, "").split(os.pathsep)
              if f.strip()]
    for folder, origin in given:
        if not folder.is_dir():
            raise PackError(f"{origin}: {str(folder)!r} is not a folder; expected a folder of case packs "
                            "(each a sub-folder with a case.yml)")
        folders.append(folder.resolve())
    folders.append(DEFAULT_CASES_DIR.resolve())
    return list(dict.fromkeys(folders))


@contextlib.contextmanager
def extra_folders(folders: Iterable[Path | str]) -> Iterator[None]:
    """Put ``folders`` (``--case-dir``) first on ``$ARMSBRIEF_CASES`` for the duration, so that a
    notebook kernel started meanwhile (it inherits the environment) looks packs up in the same
    places as the process that checked them."""
    folders = [str(Path(f).expanduser().resolve()) for f in folders if str(f).strip()]
    if not folders:
        yield
        return
    before = os.environ.get(CASES_ENV)
    os.environ[CASES_ENV] = os.pathsep.join(folders + ([before] if before else []))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CASES_ENV, None)
        else:
            os.environ[CASES_ENV] = before


def discover(extra: Iterable[Path | str] = ()) -> list[Pack]:
    """Every pack on the search path, in search order then by name; every case.yml validated.

    Raises :class:`PackError` for a malformed case.yml or for two packs with the same name."""
    found: dict[str, Pack] = {}
    for folder in search_path(extra):
        if not folder.is_dir():
            continue
        for sub in sorted(p for p in folder.iterdir() if (p / CASE_FILE).is_file()):
            pack = read_case_file(sub)
            if pack.name in found:
                raise PackError(f"two case packs are named {pack.name!r}: {found[pack.name].path} and {pack.path}; "
                                "rename one folder (a pack's name is its folder's name) or remove it from the "
                                f"search path (--case-dir, {CASES_ENV})")
            found[pack.name] = pack
    return list(found.values())


def find_pack(name_or_path: str | Path, extra: Iterable[Path | str] = ()) -> Pack:
    """The pack named ``name_or_path`` on the search path, or the pack folder at that path.

    An unknown name is an error listing the known packs."""
    text = str(name_or_path).strip()
    path = Path(text).expanduser()
    if os.sep in text or text.startswith(".") or (path / CASE_FILE).is_file():
        if not (path / CASE_FILE).is_file():
            raise PackError(f"{path}: not a case pack (expected a folder with {CASE_FILE}); "
                            "create one with `armsbrief case new NAME --supplier ... --recipient ...`")
        return read_case_file(path)
    packs = discover(extra)
    for pack in packs:
        if pack.name == text:
            return pack
    known = ", ".join(p.name for p in packs) or "none"
    raise PackError(f"unknown case pack {text!r}; known packs: {known} (searched: "
                    f"{', '.join(str(f) for f in search_path(extra))})")


def select_packs(supplier: str, recipient: str, start_year: int, end_year: int, case: str = "",
                 extra: Iterable[Path | str] = ()) -> list[Pack]:
    """The packs a brief uses (:data:`MATCH_RULE`): the one named ``case``, else every matching pack."""
    if case and str(case).strip():
        return [find_pack(str(case).strip(), extra)]
    return [p for p in discover(extra) if p.covers(supplier, recipient, start_year, end_year)]


# ------------------------------------------------------------------------------------------------
# case.yml


def _country(value, key: str, where: str, problems: list[str], *, optional: bool) -> str | None:
    from analysis.sources.countries import UnknownCountryError, is_known_spelling, normalise

    if value is None or (isinstance(value, str) and not value.strip()):
        if not optional:
            problems.append(f"{where}, {key}: missing; expected {CASE_KEYS[key][1]}, e.g. 'Belarus'")
        return None
    if not isinstance(value, str):
        problems.append(f"{where}, {key}: expected a country name (text), found {value!r}")
        return None
    try:
        canonical = normalise(value)
    except UnknownCountryError as err:
        problems.append(f"{where}, {key}: {err}")
        return None
    if not is_known_spelling(value):
        problems.append(f"{where}, {key}: {value!r} is not a known spelling of a country or actor; "
                        f"did you mean {canonical!r}?")
        return None
    return canonical


def _alliance(value, where: str, problems: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        problems.append(f"{where}, alliance: expected an alliance key (text), found {value!r}")
        return None
    from analysis.sources.curated import load_table

    known = sorted(load_table("alliances")["alliance"])
    for name in known:
        if name.lower() == value.strip().lower():
            return name
    problems.append(f"{where}, alliance: unknown alliance {value!r}; known (data/case/alliances.csv): "
                    f"{', '.join(known)}")
    return None


def _year(value, key: str, where: str, problems: list[str]) -> int | None:
    if value is None or value == "":
        return None
    last = dt.date.today().year
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{where}, {key}: expected a whole year such as 2018, found {value!r}")
        return None
    if not _YEAR_MIN <= value <= last:
        problems.append(f"{where}, {key}: {value} is outside the years arms-transfer data can cover "
                        f"({_YEAR_MIN}-{last})")
        return None
    return value


def _date(value, key: str, where: str, problems: list[str]) -> str | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        text = value.strip()
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            problems.append(f"{where}, {key}: {value!r} is not a calendar date; expected YYYY-MM-DD")
            return None
    else:
        problems.append(f"{where}, {key}: expected an ISO date YYYY-MM-DD, found {value!r}")
        return None
    if text > dt.date.today().isoformat():
        problems.append(f"{where}, {key}: {text} is in the future; expected the date the pack was compiled")
        return None
    return text


def _text(value, key: str, where: str, problems: list[str], *, optional: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if not optional:
            problems.append(f"{where}, {key}: missing; expected {CASE_KEYS[key][1]}")
        return None
    if not isinstance(value, str):
        problems.append(f"{where}, {key}: expected text, found {value!r}")
        return None
    return value.strip()


def read_case_file(folder: Path | str) -> Pack:
    """The validated ``case.yml`` of the pack in ``folder``; :class:`PackError` lists every problem."""
    folder = Path(folder).resolve()
    path = folder / CASE_FILE
    where = str(path)
    if not _NAME.fullmatch(folder.name):
        raise PackError(f"{folder}: a case pack's folder name is its name and must be a slug (lower-case letters, "
                        f"digits and single hyphens, e.g. 'belarus-azerbaijan'), found {folder.name!r}")
    if not path.is_file():
        raise PackError(f"{path}: missing; every case pack has a {CASE_FILE} (keys: {', '.join(CASE_KEYS)})")
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise PackError(f"{path}: not valid UTF-8 YAML: {err}") from None
    if not isinstance(meta, dict):
        raise PackError(f"{path}: expected a YAML mapping of the keys {', '.join(CASE_KEYS)}, "
                        f"found {type(meta).__name__}")
    problems: list[str] = []
    for key in meta:
        if key not in CASE_KEYS:
            problems.append(f"{where}, {key}: unknown key; allowed: {', '.join(CASE_KEYS)}")
    values = dict(
        title=_text(meta.get("title"), "title", where, problems, optional=False),
        description=_text(meta.get("description"), "description", where, problems, optional=False),
        supplier=_country(meta.get("supplier"), "supplier", where, problems, optional=False),
        recipient=_country(meta.get("recipient"), "recipient", where, problems, optional=False),
        ally=_country(meta.get("ally"), "ally", where, problems, optional=True),
        alliance=_alliance(meta.get("alliance"), where, problems),
        start_year=_year(meta.get("start_year"), "start_year", where, problems),
        end_year=_year(meta.get("end_year"), "end_year", where, problems),
        compiled_by=_text(meta.get("compiled_by"), "compiled_by", where, problems, optional=False),
        compiled_on=(_date(meta["compiled_on"], "compiled_on", where, problems) if meta.get("compiled_on")
                     else problems.append(f"{where}, compiled_on: missing; expected {CASE_KEYS['compiled_on'][1]}")),
        notes=_text(meta.get("notes"), "notes", where, problems, optional=True),
    )
    if (meta.get("start_year") in (None, "")) != (meta.get("end_year") in (None, "")):
        problems.append(f"{where}, start_year/end_year: give both or neither")
    s, e = values["start_year"], values["end_year"]
    if s is not None and e is not None and s > e:
        problems.append(f"{where}, start_year/end_year: start_year ({s}) is after end_year ({e})")
    if values["supplier"] and values["supplier"] == values["recipient"]:
        problems.append(f"{where}, recipient: the same as the supplier ({values['supplier']!r})")
    if problems:
        raise PackError(f"{path}: {len(problems)} problem(s) in case pack {folder.name!r}\n"
                        + "\n".join(f"  - {p}" for p in problems))
    return Pack(name=folder.name, path=folder, **values)


# ------------------------------------------------------------------------------------------------
# the tables


def _load(pack: Pack, table: str) -> pd.DataFrame:
    """One validated table of a pack; a checksum mismatch gets the pack's own hint."""
    from analysis.sources.curated import load_table
    from analysis.sources.sidecars import SidecarError

    try:
        return load_table(table, pack.path)
    except SidecarError as err:
        if any(p.startswith("checksum_sha256:") or p.startswith("rows:") for p in err.problems):
            raise PackError(f"{err}\n  hint: {pack.table_path(table).name} was edited after its sidecar was "
                            f"written; {_UPDATE_HINT.format(name=pack.name)}") from None
        raise


def _check_alliances(pack: Pack, claims: pd.DataFrame) -> None:
    from analysis.sources.curated import load_table

    known = set(load_table("alliances")["alliance"])
    bad = sorted(set(claims["check_alliance"].dropna()) - known)
    if bad:
        raise PackError(f"{pack.table_path('claims')}: check_alliance {bad} not defined in data/case/alliances.csv "
                        f"(known: {', '.join(sorted(known))})")


def load_pack_tables(packs: Iterable[Pack]) -> dict[str, pd.DataFrame]:
    """``events``, ``claims``, ``reported_transfers`` of ``packs``, validated and combined, with a last
    column ``pack`` (the pack's name). No packs: empty tables of the right columns and types."""
    packs = list(packs)
    out: dict[str, pd.DataFrame] = {}
    for table in PACK_TABLES:
        frames = []
        for pack in packs:
            frame = _load(pack, table)
            if table == "claims":
                _check_alliances(pack, frame)
            frames.append(frame.assign(pack=pack.name))
        if not frames:  # the right columns and dtypes, no rows: the schema of a header-only table
            out[table] = _empty(table)
            continue
        combined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        out[table] = _deduplicated(table, combined)
    return out


def _empty(table: str) -> pd.DataFrame:
    """A validated header-only table (read from a temporary folder, so types match real tables)."""
    if table not in _EMPTY:
        import tempfile

        from analysis.sources.curated import load_table

        with tempfile.TemporaryDirectory(prefix="armsbrief-empty-") as tmp:
            folder = Path(tmp)
            _write_table(folder, table, title="empty", producer="armsbrief", date="2000-01-01")
            _EMPTY[table] = load_table(table, folder, use_cache=False).assign(pack=pd.Series(dtype="str"))
    return _EMPTY[table].copy()


_EMPTY: dict[str, pd.DataFrame] = {}


def _deduplicated(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of several packs: identical rows once; one key with different rows is an error."""
    key = _ROW_KEYS[table]
    content = [c for c in frame.columns if c != "pack"]
    frame = frame.drop_duplicates(subset=content, keep="first")
    clash = frame[frame.duplicated(subset=key, keep=False)]
    if not clash.empty:
        first = clash.iloc[0]
        names = sorted(set(clash.loc[(clash[key] == first[key]).all(axis=1), "pack"]))
        shown = ", ".join(f"{k} = {first[k]!s}" for k in key)
        raise PackError(f"{table}.csv: {shown} has different rows in the case packs {', '.join(names)}; "
                        "packs used together must agree on a row with the same key (edit one of them, "
                        "or name one pack with --case)")
    return frame.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# checking


@dataclass
class CheckResult:
    """What :func:`check_pack` found: the pack, rows per table, files it refreshed, warnings."""

    pack: Pack
    rows: dict[str, int]
    updated: list[Path]
    warnings: list[str]


_PLACEHOLDER_URL = "https://example.org/replace-with-the-main-source-of-this-case"
_PLACEHOLDER_COMPILER = "(your name or newsroom)"


def check_pack(name_or_path: str | Path, *, update_checksums: bool = False,
               extra: Iterable[Path | str] = ()) -> CheckResult:
    """Validate a pack: case.yml, every table against its sidecar and schema, claim alliances.

    With ``update_checksums`` the sidecars whose checksum or row count no longer match their CSV
    are refreshed first (and listed in ``updated``); the tables are then validated in full.
    Raises :class:`PackError` (or the loaders' CaseDataError/SidecarError) naming file, row and column."""
    from analysis.sources import sidecars

    pack = find_pack(name_or_path, extra)
    updated: list[Path] = []
    warnings: list[str] = []
    if pack.compiled_by == _PLACEHOLDER_COMPILER:
        warnings.append(f"{pack.path / CASE_FILE}: compiled_by is still the placeholder; say who compiled the pack")
    missing = [t for t in PACK_TABLES if not pack.table_path(t).is_file()]
    if missing:
        raise PackError(f"{pack.path}: table(s) {', '.join(m + '.csv' for m in missing)} missing; a pack has "
                        f"{', '.join(t + '.csv' for t in PACK_TABLES)} (each may be header-only)")
    for table in PACK_TABLES:
        csv_path = pack.table_path(table)
        if update_checksums:
            meta = sidecars.load_sidecar(csv_path)
            data = csv_path.read_bytes()
            _, rows = sidecars.csv_header_and_rows(data, csv_path)
            if str(meta.get("checksum_sha256", "")).lower() != sidecars.sha256_bytes(data) or meta.get("rows") != rows:
                sidecars.refresh_checksum(csv_path)
                updated.append(sidecars.sidecar_path(csv_path))
        if sidecars.load_sidecar(csv_path).get("url") == _PLACEHOLDER_URL:
            warnings.append(f"{sidecars.sidecar_path(csv_path)}: url is still the placeholder; put the main source "
                            "of the case there (every row keeps its own source)")
    try:
        tables = load_pack_tables([pack])
    except ValueError as err:  # CaseDataError, SidecarError, PackError: say what was refreshed before it
        if not updated:
            raise
        raise PackError(f"{err}\n(refreshed before this check: {', '.join(str(p) for p in updated)})") from None
    rows = {t: len(tables[t]) for t in PACK_TABLES}
    return CheckResult(pack, rows, updated, warnings)


# ------------------------------------------------------------------------------------------------
# a new pack

# Column descriptions, types and units, copied from the founding pack's sidecars.
_SOURCE_DOCS = {
    "source_publisher": ("Who published the source of this row (outlet, agency, government body; 'via'/'reposted "
                         "by' when the text was seen in a copy).", "string", None),
    "source_title": ("Title of the source as published; '[title from URL]' marks a title reconstructed from the "
                     "URL slug, '[title not seen]' a description written by us where the title was not visible.",
                     "string", None),
    "source_url": ("URL of the source as seen in search results (may be a mirror or repost, named in "
                   "source_publisher); empty for a document cited without a URL.", "string", None),
    "source_date": ("Publication date of the source: ISO YYYY-MM-DD, or YYYY-MM / YYYY where only that is known "
                    "(never guessed).", "date", None),
}
COLUMN_DOCS: dict[str, dict[str, tuple[str, str, str | None]]] = {
    "events": {
        "event_date": ("Date of the event (ISO to the stated precision).", "date", None),
        "event_date_precision": ("Precision of event_date: day | month | year (empty only when the date is empty).",
                                 "string", None),
        "title": ("Short title (under 80 characters).", "string", None),
        "description": ("What happened, with short quotations where the wording was seen, and date caveats.",
                        "string", None),
        "countries": ("Countries concerned, ';'-separated plain English canonical names.", "string", None),
        "kind": ("war | diplomacy | alliance | arms | statement.", "string", None),
        **_SOURCE_DOCS,
    },
    "claims": {
        "claim_id": ("Key: a slug naming claimant, gist and year.", "string", None),
        "claimant": ("Who made the claim (person or outlet).", "string", None),
        "claimant_role": ("The claimant's office or role at the time.", "string", None),
        "claim_date": ("When the claim was made (ISO to the stated precision).", "date", None),
        "claim_date_precision": ("Precision of claim_date: day | month | year (empty only when the date is empty).",
                                 "string", None),
        "claim_text": ("The claim: a short quotation as published (English translation where the original was not "
                       "English), or a paraphrase when is_paraphrase is true; [...] marks omissions, [ ] insertions.",
                       "string", None),
        "is_paraphrase": ("true if claim_text is our paraphrase or reported speech rather than the claimant's quoted "
                          "words.", "boolean", None),
        "notes": ("Context, alternative translations, disagreements, and the reasoning behind the check fields.",
                  "string", None),
        **_SOURCE_DOCS,
        "check_type": ("supplier_delivered = check_supplier delivered arms to check_recipient in "
                       "check_start_year..check_end_year | members_supplied = at least check_min_suppliers members "
                       "of check_alliance delivered arms to check_recipient in the period | none = not checkable "
                       "with transfer data.", "string", None),
        "check_supplier": ("Supplier for supplier_delivered; empty otherwise.", "string", None),
        "check_recipient": ("Recipient for supplier_delivered and members_supplied; empty for none.", "string", None),
        "check_alliance": ("Alliance id (alliances.csv) for members_supplied; empty otherwise.", "string", None),
        "check_start_year": ("First year of the checked period (inclusive); empty for none.", "year", "year"),
        "check_end_year": ("Last year of the checked period (inclusive); empty for none.", "year", "year"),
        "check_min_suppliers": ("For members_supplied: minimum number of distinct alliance members that must have "
                                "delivered; empty otherwise.", "integer", "count"),
    },
    "reported_transfers": {
        "report_id": ("Key: slug of the report and item.", "string", None),
        "supplier": ("Supplier state (plain English canonical name); for a private firm, its country (firm named in "
                     "description).", "string", None),
        "recipient": ("Recipient state.", "string", None),
        "designation": ("Weapon designation as reported; empty where none was reported.", "string", None),
        "description": ("What was reportedly transferred or provided, in the source's terms.", "string", None),
        "quantity": ("Number of items reported; empty = not reported (never estimated).", "integer", "count"),
        "period_start_year": ("First year of the reported period.", "year", "year"),
        "period_end_year": ("Last year of the reported period.", "year", "year"),
        "evidence": ("leaked documents | press report | official statement.", "string", None),
        "confidence": ("high | medium | low: our grading that the transfer happened as described, justified in "
                       "notes.", "string", None),
        "notes": ("Provenance of the report, verification status, overlaps with other rows or with the SIPRI "
                  "register, justification of the confidence grade.", "string", None),
        **_SOURCE_DOCS,
    },
}
_TABLE_TITLES = {"events": "dated events", "claims": "public claims",
                 "reported_transfers": "transfers reported outside the SIPRI register"}
_LICENCE = ("Facts restated by hand, with attribution, from the public sources cited in each row; short quotations "
            "are used for reference and remain the property of their publishers.")


def _sidecar_text(table: str, *, title: str, producer: str, date: str, url: str = _PLACEHOLDER_URL) -> str:
    meta = {
        "title": f"{title}: {_TABLE_TITLES[table]}",
        "description": f"The {_TABLE_TITLES[table]} of the case pack '{title}', one row per item, each with its "
                       "own source (source_publisher, source_title, source_url, source_date).",
        "producer": producer,
        "date_accessed": date,
        "licence": _LICENCE,
        "citation": "Sources cited per row (source_publisher, source_title, source_url, source_date).",
        "url": url,
        "date_published": date,
        "file": f"{table}.csv",
        "checksum_sha256": "0" * 64,
        "rows": 0,
        "columns": {name: {"description": d, "type": t, "unit": u} for name, (d, t, u) in COLUMN_DOCS[table].items()},
    }
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=110)


def _write_table(folder: Path, table: str, *, title: str, producer: str, date: str) -> None:
    """A header-only ``<table>.csv`` and its sidecar (checksum and rows filled in)."""
    from analysis.sources.sidecars import refresh_checksum

    (folder / f"{table}.csv").write_text(",".join(COLUMN_DOCS[table]) + "\n", encoding="utf-8")
    (folder / f"{table}.meta.yml").write_text(_sidecar_text(table, title=title, producer=producer, date=date),
                                              encoding="utf-8")
    refresh_checksum(folder / f"{table}.csv")


def _readme(pack_name: str, title: str) -> str:
    from analysis.sources.schemas import schema_for

    lines = [f"# Case pack `{pack_name}`: {title}", "",
             "Edit `case.yml` (what the story is about) and add rows to the three tables; every row carries its own "
             "source. Then run", "", f"    armsbrief case check {pack_name} --update-checksums", "",
             "which validates every row and refreshes the sidecars' checksums (it lists the files it updated). "
             "Dates are ISO (`2024-06-13`, or `2024-06` / `2024` with the precision column saying month / year); "
             "booleans are `true`/`false`; country names are canonical (`Türkiye`, not `Turkey`); an unknown value "
             "is left empty, never guessed. Values with commas are quoted (`\"a, b\"`).", ""]
    for table in PACK_TABLES:
        schema = schema_for(table)
        lines += [f"## {table}.csv", "", "| column | required | what it takes |", "|---|---|---|"]
        for name, (doc, _, _) in COLUMN_DOCS[table].items():
            required = "no" if schema.columns[name].nullable else "yes"
            lines.append(f"| `{name}` | {required} | {doc.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)


def new_pack(name: str, *, supplier: str, recipient: str, ally: str | None = None, alliance: str | None = None,
             start_year: int | None = None, end_year: int | None = None, folder: Path | str | None = None,
             title: str | None = None, description: str | None = None, compiled_by: str | None = None,
             extra: Iterable[Path | str] = ()) -> Pack:
    """Write a new pack ``<folder>/<name>/`` (default folder ``data/cases``): case.yml, header-only tables
    with sidecars, README.md. Refuses an existing folder or a name already on the search path."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise PackError(f"case pack name {name!r}: expected a slug of lower-case letters, digits and single hyphens, "
                        "e.g. 'israel-azerbaijan-drones'")
    base = Path(folder).expanduser() if folder else DEFAULT_CASES_DIR
    target = base / name
    if target.exists():
        raise PackError(f"{target}: already exists; a new pack never overwrites one (choose another name or "
                        "remove the folder)")
    taken = {p.name: p for p in discover([base, *extra] if folder else extra)}
    if name in taken:
        raise PackError(f"a case pack named {name!r} already exists at {taken[name].path}; choose another name")
    today = dt.date.today().isoformat()
    problems: list[str] = []
    where = f"case new {name}"
    canonical = {k: _country(v, k, where, problems, optional=k == "ally")
                 for k, v in (("supplier", supplier), ("recipient", recipient), ("ally", ally))}
    known_alliance = _alliance(alliance, where, problems)
    for key, value in (("start_year", start_year), ("end_year", end_year)):
        _year(value, key, where, problems)
    if (start_year is None) != (end_year is None):
        problems.append(f"{where}: give both --start and --end, or neither")
    elif start_year is not None and end_year is not None and start_year > end_year:
        problems.append(f"{where}: --start ({start_year}) is after --end ({end_year})")
    if problems:
        raise PackError("\n".join(problems))
    title = title or f"{canonical['supplier']} -> {canonical['recipient']}"
    meta = {"title": title,
            "description": description or "What this pack covers and what it leaves out (replace this text).",
            "supplier": canonical["supplier"], "recipient": canonical["recipient"]}
    if canonical["ally"]:
        meta["ally"] = canonical["ally"]
    if known_alliance:
        meta["alliance"] = known_alliance
    if start_year is not None:
        meta.update(start_year=start_year, end_year=end_year)
    meta.update(compiled_by=compiled_by or _PLACEHOLDER_COMPILER, compiled_on=today)
    target.mkdir(parents=True)
    try:
        (target / CASE_FILE).write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=110),
                                        encoding="utf-8")
        for table in PACK_TABLES:
            _write_table(target, table, title=title, producer=meta["compiled_by"], date=today)
        (target / "README.md").write_text(_readme(name, title), encoding="utf-8")
    except BaseException:
        import shutil

        shutil.rmtree(target, ignore_errors=True)
        raise
    return read_case_file(target)


def _brief_pair(params) -> str:
    return f"{params.supplier} -> {params.recipient}, {params.start_year}-{params.end_year}"


def methodology_sentences(packs: Iterable[Pack], params) -> list[str]:
    """What a brief's methodology says about its case packs: the rule, the packs used (title, compiler,
    date, parameters), or plainly that none covers the case."""
    packs = list(packs)
    named = bool(getattr(params, "case", ""))
    how = f"This brief uses only the case pack named with --case {params.case}." if named else MATCH_RULE
    if not packs:
        return [f"Case packs: none covers this case ({_brief_pair(params)}), so the brief has no curated events, "
                "claims or reported transfers; a pack adds them (armsbrief case new, see the README). " + how]
    out = []
    for pack in packs:
        text = (f"Case pack '{pack.name}': {pack.title}, compiled by {pack.compiled_by} on {pack.compiled_on} "
                f"({pack.parameters}); its events, claims and reported transfers carry a source on every row")
        if not pack.covers(params.supplier, params.recipient, params.start_year, params.end_year):
            text += f"; its parameters differ from this brief's ({_brief_pair(params)})"
        out.append(text + ".")
    out.append(how)
    return out


def colophon_files(packs: Iterable[Pack]) -> list[tuple[str, str, str]]:
    """Colophon rows for the packs: one per pack (title, compiler; date compiled), then its tables
    (``pack/table``, date published, SHA-256); one row saying so when there is none."""
    packs = list(packs)
    if not packs:
        return [("case packs: none covers this case", "", "")]
    out = []
    for pack in packs:
        out.append((f"case pack {pack.name}: {pack.title} (compiled by {pack.compiled_by})", pack.compiled_on, ""))
        out.extend(describe_pack_datasets([pack]))
    return out


def describe_pack_datasets(packs: Iterable[Pack]) -> list[tuple[str, str, str]]:
    """``(pack/table, date_published, sha256)`` of every table of ``packs``, for a brief's colophon."""
    from analysis.sources.sidecars import load_sidecar, sha256_file

    out = []
    for pack in packs:
        for table in PACK_TABLES:
            meta = load_sidecar(pack.table_path(table))
            published = meta.get("date_published", "")
            published = published.isoformat() if isinstance(published, dt.date) else str(published)
            out.append((f"{pack.name}/{table}", published, sha256_file(pack.table_path(table))))
    return out
