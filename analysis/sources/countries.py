"""Country and actor names: SIPRI spellings -> one canonical name and ISO 3166 alpha-3.

Canonical names (the rule briefs rely on):

* States use SIPRI's current spelling ("United States", "Russia", "Czechia", "Viet Nam", "UAE",
  "DR Congo", "Bosnia-Herzegovina", "eSwatini"), with the diacritics SIPRI's ASCII exports drop
  restored: **"Türkiye"** (SIPRI publications, the UN and ISO 3166 spell it so; "Turkiye" and "Turkey"
  are aliases) and "Côte d'Ivoire". States SIPRI does not list take country_converter's short name.
* Former states keep their own names and have no ISO3: "Soviet Union", "Yugoslavia", "Czechoslovakia",
  "East Germany (GDR)", "North Yemen" (also written "Yemen Arab Republic (North Yemen)"), ... West Germany
  is "Germany", as in SIPRI's data.
* SIPRI marks non-state actors with ``*`` and organisations with ``**``; the canonical name drops the
  marks ("Houthi rebels (Yemen)*" -> "Houthi rebels (Yemen)", "NATO**" -> "NATO"), the actor stays
  distinct from the state in its parentheses, and :func:`kind` keeps the distinction. Any new starred
  name in a SIPRI file is accepted the same way.
* "unknown supplier(s)" and "unknown recipient(s)" are kept as written.
* ISO3 is given only where ISO 3166-1 currently has a code (checked against pycountry): none for former
  states, non-state actors, organisations, Kosovo or Northern Cyprus.

Lookup is case-, whitespace-, accent- and apostrophe-insensitive. Names not in the tables fall back
to country_converter's regular expressions (only for names without ``*`` or parentheses, so
"Wagner (Russia)" is never silently read as Russia). Those regexes search anywhere in a name
("Korea, Republic of"), so they also accept "Belaruss" or "Not Belarus": a brief's parameters must
therefore be known spellings (:func:`is_known_spelling`; :mod:`analysis.case.params` suggests the regex's
reading instead of taking it). country_converter's data file is read directly:
its ``CountryConverter()`` constructor fails under pandas 3.
"""
from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Iterable

import pycountry

STATE, FORMER_STATE, NON_STATE, ORGANISATION, UNKNOWN = (
    "state", "former state", "non-state actor", "organisation", "unknown")

# ISO3 -> SIPRI's spelling, where it differs from country_converter's short name.
_SIPRI_SPELLINGS = {
    "BIH": "Bosnia-Herzegovina",
    "BRN": "Brunei",
    "COG": "Congo",
    "FSM": "Micronesia",
    "KNA": "Saint Kitts and Nevis",
    "SWZ": "eSwatini",
    "VCT": "Saint Vincent",
    "ARE": "UAE",
    "VNM": "Viet Nam",
}

# Extra spellings of states country_converter has (its regexes miss or mis-read these).
_STATE_ALIASES = {
    "Germany": ("West Germany", "West Germany (FRG)", "Germany (FRG)", "FRG"),
    "Türkiye": ("Turkiye", "Turkey", "Republic of Türkiye"),
    "Viet Nam": ("Vietnam",),
    "United States": ("USA", "US", "United States of America"),
    "United Kingdom": ("UK", "Britain", "Great Britain"),
    "Russia": ("Russian Federation",),
}

# Entities country_converter lacks or gets wrong: canonical -> (kind, aliases). No ISO3.
_OTHER_ENTITIES = {
    "Soviet Union": (FORMER_STATE, ("USSR", "Soviet Union (former)", "Union of Soviet Socialist Republics")),
    "Yugoslavia": (FORMER_STATE, ("SFR Yugoslavia", "SFRY", "Socialist Federal Republic of Yugoslavia")),
    "Czechoslovakia": (FORMER_STATE, ("Czecho-Slovakia", "CSSR")),
    "East Germany (GDR)": (FORMER_STATE, ("East Germany", "GDR", "German Democratic Republic")),
    "North Yemen": (FORMER_STATE, ("Yemen Arab Republic (North Yemen)", "Yemen Arab Republic")),
    "South Yemen": (FORMER_STATE, ("People's Democratic Republic of Yemen",)),
    "South Vietnam": (FORMER_STATE, ("Republic of Vietnam",)),
    "Biafra": (FORMER_STATE, ()),
    "Katanga": (FORMER_STATE, ()),
    "Northern Cyprus": (STATE, ("Turkish Republic of Northern Cyprus", "TRNC")),
    "Libya GNC": (NON_STATE, ()),  # rival government; SIPRI gives it no star
    "unknown supplier(s)": (UNKNOWN, ("unknown supplier", "unknown suppliers")),
    "unknown recipient(s)": (UNKNOWN, ("unknown recipient", "unknown recipients")),
    "NATO": (ORGANISATION, ("North Atlantic Treaty Organization",)),
    "African Union": (ORGANISATION, ()),
    "United Nations": (ORGANISATION, ("UN",)),
    "European Union": (ORGANISATION, ("EU",)),
    "OSCE": (ORGANISATION, ("Organization for Security and Co-operation in Europe",)),
    "Regional Security System": (ORGANISATION, ()),
    "Houthi rebels (Yemen)": (NON_STATE, ("Houthis", "Houthi rebels")),
    "Hezbollah (Lebanon)": (NON_STATE, ("Hezbollah",)),
    "Hamas (Palestine)": (NON_STATE, ("Hamas",)),
}

# Non-state actors named in SIPRI registers (written there with a trailing '*').
_NON_STATE_ACTORS = (
    "ANC (South Africa)", "Amal (Lebanon)", "Anti-Castro rebels (Cuba)", "Armas (Guatemala)",
    "Contras (Nicaragua)", "Darfur rebels (Sudan)", "ELF (Ethiopia)", "EPLF (Ethiopia)", "FAN (Chad)",
    "FMLN (El Salvador)", "FNLA (Angola)", "FRELIMO (Portugal)", "GUNT (Chad)", "Haiti rebels",
    "Indonesia rebels", "Khmer Rouge (Cambodia)", "Kurdistan Regional Government (Iraq)", "LF (Lebanon)",
    "LRA (Uganda)", "LTTE (Sri Lanka)", "Lebanon Palestinian rebels", "Libya HoR", "MNLF (Philippines)",
    "MPLA (Portugal)", "MTA (Myanmar)", "Mujahedin (Afghanistan)", "NLA (Macedonia)", "NTC (Libya)",
    "Northern Alliance (Afghanistan)", "PAIGC (Portugal)", "PIJ (Israel/Palestine)", "PKK (Turkiye)",
    "PLO (Israel)", "PRC (Israel/Palestine)", "Pathet Lao (Laos)", "Provisional IRA (UK)", "RPF (Rwanda)",
    "RUF (Sierra Leone)", "SLA (Lebanon)", "SNA (Somalia)", "SPLA (Sudan)", "Southern rebels (Yemen)",
    "Syria rebels", "UIC (Somalia)", "UNITA (Angola)", "Ukraine Rebels", "United Wa State (Myanmar)",
    "Viet Cong (South Vietnam)", "Viet Minh (France)", "ZAPU (Zimbabwe)", "unknown rebel group",
)


@dataclass(frozen=True)
class _Entity:
    name: str
    iso3: str | None
    kind: str


class UnknownCountryError(ValueError):
    """A name no table or country_converter rule recognises."""

    def __init__(self, name: str, context: str | None = None):
        self.name = name
        self.context = context
        self.suggestions = _suggest(name)
        where = f" (in {context})" if context else ""
        hint = ("; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
                if self.suggestions else "")
        super().__init__(f"unknown country or actor {name!r}{where}{hint}")


def _key(name: str) -> str:
    """Lookup key: accents stripped, apostrophes unified, case-folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", name.replace("\u2019", "'").replace("`", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split()).casefold()


@lru_cache(maxsize=1)
def _coco_rows() -> tuple[dict[str, str], ...]:
    """Current (non-obsolete) rows of country_converter's country table."""
    table = Path(find_spec("country_converter").origin).parent / "country_data.tsv"  # without importing pandas
    with table.open(encoding="utf-8") as fh:
        return tuple(row for row in csv.DictReader(fh, delimiter="\t") if not row["obsolete"])


def _iso3_if_current(code: str) -> str | None:
    return code if pycountry.countries.get(alpha_3=code) is not None else None


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, _Entity], dict[str, str], dict[str, _Entity]]:
    """Lookup key -> entity, key -> display spelling (for suggestions), country_converter ISO3 -> entity."""
    index: dict[str, _Entity] = {}
    display: dict[str, str] = {}
    by_code: dict[str, _Entity] = {}

    def add(spelling: str, entity: _Entity) -> None:
        key = _key(spelling)
        known = index.get(key)
        if known is not None and known != entity:
            raise RuntimeError(f"name table conflict: {spelling!r} means {known.name!r} and {entity.name!r}")
        index[key] = entity
        display.setdefault(key, spelling)

    for row in _coco_rows():
        entity = _Entity(_SIPRI_SPELLINGS.get(row["ISO3"], row["name_short"]), _iso3_if_current(row["ISO3"]), STATE)
        by_code[row["ISO3"]] = entity
        for spelling in (entity.name, row["name_short"], row["name_official"], *_STATE_ALIASES.get(entity.name, ())):
            add(spelling, entity)
    for name, (kind, aliases) in _OTHER_ENTITIES.items():
        for spelling in (name, *aliases):
            add(spelling, _Entity(name, None, kind))
    for name in _NON_STATE_ACTORS:
        add(name, _Entity(name, None, NON_STATE))
    return index, display, by_code


@lru_cache(maxsize=1)
def _coco_regexes() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(row["regex"], re.IGNORECASE), row["ISO3"]) for row in _coco_rows())


def _by_regex(name: str) -> _Entity | None:
    """country_converter's rule: the one country whose regex matches, else None."""
    codes = {code for regex, code in _coco_regexes() if regex.search(name)}
    return _index()[2][codes.pop()] if len(codes) == 1 else None


@lru_cache(maxsize=4096)
def _in_tables(cleaned: str, bare: str) -> _Entity | None:
    """The entity a spelling names in the tables (as written, or without SIPRI's ``*`` marks)."""
    index = _index()[0]
    return index.get(_key(cleaned)) or index.get(_key(bare))


def _resolve(name: str) -> _Entity | None:
    cleaned = " ".join(name.split())
    stars = len(cleaned) - len(cleaned.rstrip("*"))
    bare = cleaned.rstrip("*").rstrip()
    if not bare:
        return None
    entity = _in_tables(cleaned, bare)
    if entity is not None:
        return entity
    if stars:
        return _Entity(bare, None, ORGANISATION if stars >= 2 else NON_STATE)
    if "(" in bare:
        return None
    return _by_regex(bare)


def _entity(name: str, context: str | None) -> _Entity:
    entity = _resolve(name) if isinstance(name, str) else None
    if entity is None:
        raise UnknownCountryError(str(name), context)
    return entity


def _suggest(name: str) -> list[str]:
    index, display, _ = _index()
    keys = difflib.get_close_matches(_key(str(name)).rstrip("*"), list(index), n=6, cutoff=0.6)
    suggestions: list[str] = []
    for key in keys:
        shown = index[key].name if display[key] == index[key].name else f"{display[key]} -> {index[key].name}"
        if shown not in suggestions:
            suggestions.append(shown)
    return suggestions[:3]


def is_known_spelling(name: str) -> bool:
    """True when ``name`` is a spelling in the tables (a canonical name, one of country_converter's short
    or official names, an alias; case, accents and spacing aside), not just a match of one of
    country_converter's regular expressions ("Belaruss" and "Byelorussia" both match Belarus's)."""
    if not isinstance(name, str):
        return False
    cleaned = " ".join(name.split())
    return _in_tables(cleaned, cleaned.rstrip("*").rstrip()) is not None


def normalise(name: str, *, context: str | None = None) -> str:
    """Canonical name of a SIPRI spelling or user input; ``context`` (e.g. "file.csv, line 12") goes into errors."""
    return _entity(name, context).name


def iso3(name: str, *, context: str | None = None) -> str | None:
    """ISO 3166-1 alpha-3 code of a country name, None for entities without one."""
    return _entity(name, context).iso3


def kind(name: str, *, context: str | None = None) -> str:
    """"state", "former state", "non-state actor", "organisation" or "unknown" (unknown supplier/recipient)."""
    return _entity(name, context).kind


def normalise_many(names: Iterable[str], *, context: str | None = None) -> dict[str, str]:
    """``{name: canonical}`` over the distinct names; map a column with ``s.map(normalise_many(s.unique()))``."""
    return {name: normalise(name, context=context) for name in set(names)}


def known_names() -> list[str]:
    """All canonical names in the tables, sorted."""
    return sorted({entity.name for entity in _index()[0].values()})


@lru_cache(maxsize=1)
def gw_numbers() -> tuple[tuple[str, int], ...]:
    """(canonical name, Gleditsch-Ward number) for every state country_converter gives a ``GWcode``, in its
    table's order (the conflict and alliance readers map state numbers with it, plus their own exceptions)."""
    by_iso3 = _index()[2]
    out = []
    for row in _coco_rows():
        code = (row.get("GWcode") or "").strip()
        entity = by_iso3.get(row["ISO3"])
        if code.isdigit() and entity is not None:
            out.append((entity.name, int(code)))
    return tuple(out)

