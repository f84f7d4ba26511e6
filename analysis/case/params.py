"""Brief parameters: one checking function, and the output slug.

The notebooks call :func:`check_brief_parameters` in their first cell after the papermill
``parameters`` cell, so a bad value fails with a message naming the parameter and what was
expected before any work is done.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from pathlib import Path

# SIPRI's register starts in 1950; nothing can have been delivered after this year.
MIN_YEAR = 1950
MAX_YEAR = dt.date.today().year

EMBEDDED = "embedded"   # transfers="embedded": the curated case data in data/case/
AUTO = "auto"           # transfers="auto": a register dropped in data/raw/sipri/, else embedded


PDF_ENGINES = ("chromium", "weasyprint")  # see analysis.render.exporters.BriefPDFExporter.engine
PDF_ENGINE_ENV = "ARMSBRIEF_PDF_ENGINE"


class ParameterError(ValueError):
    """A brief parameter has the wrong type or value."""


def default_pdf_engine() -> str:
    """``$ARMSBRIEF_PDF_ENGINE`` when set (checked, any case), else ``chromium``."""
    engine = os.environ.get(PDF_ENGINE_ENV, "").strip().lower() or PDF_ENGINES[0]
    if engine not in PDF_ENGINES:
        raise ParameterError(f"{PDF_ENGINE_ENV}={engine!r}: expected one of {', '.join(PDF_ENGINES)}")
    return engine


@dataclass(frozen=True)
class BriefParams:
    """Checked parameters of a bilateral brief (names canonical, years ints)."""

    supplier: str
    recipient: str
    ally: str | None
    alliance: str | None
    start_year: int
    end_year: int
    transfers: str
    #: An ally given but dropped because it is the supplier or the recipient (see :attr:`notes`).
    dropped_ally: str | None = None
    #: The case pack named for this brief; "" = the packs that match (analysis.sources.packs.MATCH_RULE).
    case: str = ""
    #: A UCDP/PRIO ACD CSV to use instead of data/raw/ucdp/ or the embedded extract ("" = those).
    conflicts: str = ""
    #: A second SIPRI register (another release) whose figures the brief compares ("" = none).
    compare_with: str = ""

    @property
    def notes(self) -> tuple[str, ...]:
        """One-line notes on parameters that were adjusted, for the brief and for stderr."""
        if not self.dropped_ally:
            return ()
        role = "supplier" if self.dropped_ally == self.supplier else "recipient"
        return (f"The ally {self.dropped_ally} is also the {role}, so this brief has no ally comparison "
                "(the default ally belongs to the founding case; give --ally/ALLY= for another).",)

    @property
    def slug(self) -> str:
        """The output name: every parameter that changes the brief, readably (see :func:`output_name`):
        ``belarus-azerbaijan-2018-2022-ally-armenia-csto``; no ally, no alliance: ``belarus-azerbaijan-2018-2022``;
        a SIPRI export adds ``-sipri-<vintage>-<sha>`` (the embedded data adds nothing)."""
        case = getattr(self, "case", "")
        return output_name(self.supplier, self.recipient, f"{self.start_year}-{self.end_year}",
                           *(("ally", self.ally) if self.ally else ()), self.alliance or "",
                           *(("case", case) if case else ()),
                           *(("vs", _file_tag(self.compare_with)) if self.compare_with else ()),
                           *(("ucdp", _file_tag(self.conflicts)) if self.conflicts else ()),
                           transfers=self.transfers)

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    @property
    def states(self) -> list[str]:
        """The states the brief is about: supplier, recipient and, when given, the ally."""
        return [c for c in (self.supplier, self.recipient, self.ally) if c]

    @property
    def previous_period(self) -> tuple[int, int]:
        """The period of equal length just before this one."""
        n = self.end_year - self.start_year + 1
        return self.start_year - n, self.start_year - 1

    def as_dict(self) -> dict:
        """The notebook's parameters (the dropped ally is passed back as the ally, so the kernel's own
        check drops it again and the brief says so)."""
        values = asdict(self)
        dropped = values.pop("dropped_ally")
        if dropped:
            values["ally"] = dropped
        return values


@dataclass(frozen=True)
class ScreenParams:
    """Checked parameters of an alliance screen."""

    alliance: str
    start_year: int
    end_year: int
    transfers: str

    @property
    def slug(self) -> str:
        """``csto-screen-2018-2022``, plus ``-sipri-<vintage>-<sha>`` for a SIPRI export."""
        return output_name(self.alliance, "screen", f"{self.start_year}-{self.end_year}", transfers=self.transfers)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrendsParams:
    """Checked parameters of a trends report (world, or one region; an optional focus country)."""

    start_year: int
    end_year: int
    region: str | None
    focus: str | None
    transfers: str

    @property
    def slug(self) -> str:
        """``trends-2019-2023-sipri-<vintage>-<sha>``, ``trends-europe-2019-2023-ukraine-sipri-...``
        (:func:`output_name`: the register's tag keeps reports from different data apart)."""
        return output_name("trends", self.region or "", f"{self.start_year}-{self.end_year}", self.focus or "",
                           transfers=self.transfers)

    @property
    def previous_period(self) -> tuple[int, int]:
        """The period of equal length just before this one."""
        n = self.end_year - self.start_year + 1
        return self.start_year - n, self.start_year - 1

    def as_dict(self) -> dict:
        """The notebook's parameters ("" for no region / no focus)."""
        return {"start_year": self.start_year, "end_year": self.end_year, "region": self.region or "",
                "focus": self.focus or "", "transfers": self.transfers}


#: What :func:`slugify` returns, and all that :func:`analysis.pipeline.build.run_build` accepts as an output name.
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX_LENGTH = 120


def slugify(text: str) -> str:
    """A file-name-safe slug: lower-case ASCII letters, digits and single hyphens only.

    ``slugify("../../x")`` is ``"x"``: a slug can never name a path outside its folder.
    """
    if not isinstance(text, str):
        raise ParameterError(f"cannot make an output name from {text!r}: expected text")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise ParameterError(f"cannot make an output name from {text!r}: it has no letters or digits")
    if len(slug) > SLUG_MAX_LENGTH:
        raise ParameterError(f"output name from {text!r} is {len(slug)} characters long, over {SLUG_MAX_LENGTH}")
    return slug


def _file_tag(path: str) -> str:
    """A short, stable tag for a data file in an output name: the start of its SHA-256."""
    from analysis.sources.sidecars import sha256_file

    return sha256_file(path)[:6]


def _data_file(name: str, value, what: str) -> str:
    """An optional data file parameter: "" or the path of an existing file (made absolute)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if not isinstance(value, (str, Path)):
        raise ParameterError(f"parameter {name!r} must be the path of {what} or '', got {value!r}")
    path = Path(str(value).strip()).expanduser()
    if not path.is_file():
        raise ParameterError(f"parameter {name!r}: no file at {str(path)!r}; expected the path of {what}")
    return str(path.resolve())


def output_name(*parts: str, transfers: str = EMBEDDED) -> str:
    """The slug of a brief from its parameters (empty parts left out) and the data part of ``transfers``
    (:func:`analysis.sources.transfers.data_tag`: nothing for the embedded data, ``sipri-<vintage>-<sha>``
    for a SIPRI export, also when ``auto`` picks one). A name over :data:`SLUG_MAX_LENGTH` is cut at a
    hyphen and ends with the start of the SHA-256 of the whole name, so it stays unique."""
    from analysis.sources.transfers import data_tag

    text = "-".join(str(p) for p in (*parts, data_tag(transfers)) if p)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    full = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(full) <= SLUG_MAX_LENGTH:
        return slugify(full)
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    head = full[:SLUG_MAX_LENGTH - len(digest) - 1].rsplit("-", 1)[0].strip("-")
    return slugify(f"{head}-{digest}")


def is_slug(value) -> bool:
    """True for a safe output name: what :func:`slugify` produces (no dots, slashes or leading hyphen)."""
    return isinstance(value, str) and len(value) <= SLUG_MAX_LENGTH and SLUG_PATTERN.fullmatch(value) is not None


def _year(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(
            f"parameter {name!r} must be an integer year, got {value!r} ({type(value).__name__})"
        )
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise ParameterError(
            f"parameter {name!r} = {value} is outside the years arms-transfer data can cover "
            f"({MIN_YEAR}-{MAX_YEAR})"
        )
    return value


def _period(start_year, end_year) -> tuple[int, int]:
    start, end = _year("start_year", start_year), _year("end_year", end_year)
    if start > end:
        raise ParameterError(f"start_year ({start}) is after end_year ({end})")
    return start, end


#: The longest country or actor parameter accepted. The longest name the project knows is under 60
#: characters; anything far longer is a paste error, and refusing it at once keeps the close-match
#: search (quadratic in the length) from running for minutes.
MAX_NAME_LENGTH = 120


def _mixed_script(value: str) -> str | None:
    """The first Cyrillic or Greek letter in a name otherwise written in Latin letters (a lookalike:
    Cyrillic 'а' for Latin 'a'), described for a message; None if the name is in one script."""
    scripts = {}
    for position, char in enumerate(value, start=1):
        if char.isalpha():
            script = unicodedata.name(char, "UNKNOWN").split()[0]
            scripts.setdefault(script, (position, char))
    if "LATIN" in scripts:
        for script in ("CYRILLIC", "GREEK"):
            if script in scripts:
                position, char = scripts[script]
                return (f"the {script.title()} letter {char!r} (U+{ord(char):04X}) at position {position}, among "
                        "Latin letters: retype it in Latin letters")
    return None


def _country(name: str, value, *, optional: bool = False) -> str | None:
    from analysis.sources.countries import UnknownCountryError, is_known_spelling, normalise

    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise ParameterError(f"parameter {name!r} is required: give a country name, e.g. 'Belarus'")
    if not isinstance(value, str):
        raise ParameterError(f"parameter {name!r} must be a country name (text), got {value!r}")
    if len(value) > MAX_NAME_LENGTH:
        raise ParameterError(f"parameter {name!r}: a name of {len(value):,} characters is too long for a country "
                             f"or actor (at most {MAX_NAME_LENGTH}); it starts {value[:40]!r}")
    if (lookalike := _mixed_script(value)) is not None:
        raise ParameterError(f"parameter {name!r}: {value!r} contains {lookalike}")
    try:
        canonical = normalise(value)
    except UnknownCountryError as err:
        raise ParameterError(f"parameter {name!r}: {err}") from None
    # Only a regex reading ("Belaruss", "Not Belarus", "Byelorussia"): suggest it, do not take it.
    # (A starred name is a SIPRI actor by its own mark, as in the registers.)
    if not is_known_spelling(value) and not value.strip().endswith("*"):
        raise ParameterError(f"parameter {name!r}: {value!r} is not a known spelling of a country or actor; "
                             f"did you mean {canonical!r}?")
    return canonical


def _alliance(value, *, optional: bool) -> str | None:
    from analysis.sources.curated import load_table

    if value is None or (isinstance(value, str) and not value.strip()) or value == "none":
        if optional:
            return None
        raise ParameterError("parameter 'alliance' is required, e.g. 'CSTO'")
    if not isinstance(value, str):
        raise ParameterError(f"parameter 'alliance' must be text, got {value!r}")
    known = sorted(load_table("alliances")["alliance"])
    for name in known:
        if name.lower() == value.strip().lower():
            return name
    if value.strip().upper().startswith("ATOP"):
        return _atop_alliance(value.strip())
    raise ParameterError(f"parameter 'alliance': unknown alliance {value!r}; known: {', '.join(known)} "
                         "(or 'ATOP <atopid>' with the ATOP member-level file)")


def _atop_alliance(value: str) -> str:
    """'ATOP 3180' (any case and spacing): an alliance of the user's ATOP file (analysis.sources.atop)."""
    from analysis.sources import atop

    number = value[4:].strip()
    if not number.isdigit():
        raise ParameterError(f"parameter 'alliance': {value!r}: expected 'ATOP <atopid>', e.g. 'ATOP 3180'")
    path = atop.find_atop()
    if path is None:
        raise ParameterError(f"parameter 'alliance': {value!r} needs the ATOP member-level file (atop5_1m.csv, "
                             f"downloaded from ATOP): set {atop.ENV_VAR}=PATH, pass --atop PATH, or put it at "
                             f"{atop.DEFAULT_PATH}")
    try:
        ids = set(atop.load_atop(path)[0]["alliance"])
    except (OSError, ValueError) as err:
        raise ParameterError(f"parameter 'alliance': cannot read the ATOP file: {err}") from None
    name = f"ATOP {int(number)}"
    if name not in ids:
        raise ParameterError(f"parameter 'alliance': {name} is not in {path} (or ended before "
                             f"{atop.FIRST_YEAR})")
    return name


def _transfers(value) -> str:
    if not isinstance(value, (str, Path)):
        raise ParameterError(f"parameter 'transfers' must be 'embedded', 'auto' or a file path, got {value!r}")
    value = str(value).strip() or EMBEDDED
    if value in (EMBEDDED, AUTO):
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise ParameterError(
            f"parameter 'transfers': no file at {str(path)!r}; expected 'embedded', 'auto' or the path "
            "of a SIPRI trade-register export (CSV)"
        )
    return str(path.resolve())


def _register_name(register) -> str:
    if register.format == "embedded":
        return "the embedded case data (data/case/registered_deliveries.csv)"
    vintage = f", data generated {register.vintage}" if register.vintage else ""
    return f"the SIPRI {register.format} register {register.source}{vintage}"


def delivery_years(register) -> tuple[int, int] | None:
    """First and last delivery year in a register (``None`` when it records no delivery at all)."""
    years = register.deliveries["delivery_year"].dropna()
    if years.empty:
        return None
    return int(years.min()), int(years.max())


def check_period_in_data(start_year: int, end_year: int, register) -> None:
    """Raise ParameterError when the period has no data at all in ``register``.

    A period that overlaps the register's delivery years is fine even when the supplier and
    recipient have no transfers in it: the brief says so plainly. A period entirely outside
    them has nothing to report from this register, so it is an error naming its year range.
    """
    span = delivery_years(register)
    if span is None:
        raise ParameterError(f"parameter 'transfers': {_register_name(register)} records no deliveries at all; "
                             "expected a SIPRI register with delivery years")
    first, last = span
    if end_year < first or start_year > last:
        raise ParameterError(
            f"parameters 'start_year' and 'end_year': the period {start_year}–{end_year} has no data in "
            f"{_register_name(register)}, which records deliveries from {first} to {last}; choose a period "
            f"that overlaps {first}–{last}"
        )


def _case(value) -> str:
    """A case pack's name ("" = automatic). Packs are looked up on
    :func:`analysis.sources.packs.search_path`: the ``--case-dir`` folders (passed to a kernel through
    ``$ARMSBRIEF_CASES``), then ``$ARMSBRIEF_CASES``, then ``data/cases/``."""
    from analysis.sources.packs import PackError, find_pack

    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if not isinstance(value, str):
        raise ParameterError(f"parameter 'case' must be a case pack's name (text) or '' for automatic, got {value!r}")
    if not is_slug(value.strip()):
        raise ParameterError(f"parameter 'case': {value!r} is not a case pack name (lower-case letters, digits and "
                             "single hyphens, e.g. 'belarus-azerbaijan'); see `armsbrief case list`")
    try:
        return find_pack(value.strip()).name
    except PackError as err:
        raise ParameterError(f"parameter 'case': {err}") from None


def check_brief_parameters(supplier, recipient, ally, alliance, start_year, end_year,
                           transfers=EMBEDDED, case="", conflicts="", compare_with="") -> BriefParams:
    """Check and normalise the parameters of a bilateral brief; raise ParameterError."""
    start, end = _period(start_year, end_year)
    params = BriefParams(
        supplier=_country("supplier", supplier),
        recipient=_country("recipient", recipient),
        ally=_country("ally", ally, optional=True),
        alliance=_alliance(alliance, optional=True),
        start_year=start,
        end_year=end,
        transfers=_transfers(transfers),
        case=_case(case),
        conflicts=_data_file("conflicts", conflicts, "a UCDP/PRIO Armed Conflict Dataset CSV"),
        compare_with=_data_file("compare_with", compare_with, "a second SIPRI trade-register export"),
    )
    if params.supplier == params.recipient:
        raise ParameterError(f"supplier and recipient are both {params.supplier!r}")
    if params.ally in (params.supplier, params.recipient):
        params = replace(params, ally=None, dropped_ally=params.ally)
    return params


def check_screen_parameters(alliance, start_year, end_year, transfers=EMBEDDED) -> ScreenParams:
    """Check and normalise the parameters of an alliance screen; raise ParameterError."""
    start, end = _period(start_year, end_year)
    return ScreenParams(_alliance(alliance, optional=False), start, end, _transfers(transfers))


REGION_TABLE = "data/case/regions.csv"


def _region(value, regions) -> str | None:
    """The region or subregion named ``value`` as the region table spells it (case-insensitive)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ParameterError(f"parameter 'region' must be a SIPRI region name (text) or '' for the world, got {value!r}")
    if len(value) > MAX_NAME_LENGTH:
        raise ParameterError(f"parameter 'region': a name of {len(value):,} characters is too long "
                             f"(at most {MAX_NAME_LENGTH})")
    if regions is None:
        raise ParameterError(f"parameter 'region' = {value!r}: there is no region table ({REGION_TABLE}) in the "
                             "project yet, so no region can be chosen; leave it empty for the world report")
    known = sorted({str(v) for col in ("region", "subregion") if col in regions.columns
                    for v in regions[col].dropna()})
    for name in known:
        if name.casefold() == value.strip().casefold():
            return name
    raise ParameterError(f"parameter 'region': unknown region {value!r}; known regions and subregions "
                         f"({REGION_TABLE}): {', '.join(known)}")


def check_trends_parameters(start_year, end_year, region=None, focus=None, transfers=AUTO,
                            regions=None) -> TrendsParams:
    """Check and normalise the parameters of a trends report; raise ParameterError.

    ``regions``: the region table (columns country, region, subregion) or None when the project has
    none; ``region`` must name one of its regions or subregions ("" or None = the world).
    ``focus``: an optional country, checked like a brief's countries.
    """
    start, end = _period(start_year, end_year)
    return TrendsParams(start, end, _region(region, regions), _country("focus", focus, optional=True),
                        _transfers(transfers))


def check_full_register(register, report: str = "the trends report") -> None:
    """Raise ParameterError when ``register`` is the embedded case data (curated pairs only): world
    totals, shares and ranks need a whole SIPRI register, and the error says how to give one."""
    if register.format == "embedded":
        raise ParameterError(
            f"parameter 'transfers': {report} needs a full SIPRI register (every supplier and recipient), "
            f"but the transfer data is {_register_name(register)}, which restates only curated "
            "supplier-recipient pairs, so world totals, shares and ranks cannot be computed from it. Pass "
            "--transfers PATH (make trends TRANSFERS=PATH) with a SIPRI trade-register export, or drop one "
            "into data/raw/sipri/ (picked up by transfers 'auto')")
