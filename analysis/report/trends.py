"""The sections of the trends report (SIPRI's "Trends in international arms transfers" form), each one
call from ``notebooks/trends.ipynb``.

:func:`build` checks the parameters and the data and computes every figure once (:class:`Trends`);
each section function takes that result and returns one displayable HTML fragment
(:mod:`analysis.report.fragments`). The sentences are generated here from the computed figures
(:func:`headlines` and the section leads): change the data and the text changes. Percentages are
printed as SIPRI prints them (:func:`sipri_pct`), so text and tables show the same figures.

The report needs a whole SIPRI register: the embedded case data (curated pairs only) is refused
with the fix (:func:`analysis.case.params.check_full_register`).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from IPython.display import HTML

from analysis import __version__, paths
from analysis.case import trends as tr
from analysis.case.params import (TrendsParams, check_full_register, check_period_in_data,
                                  check_trends_parameters, delivery_years)
from analysis.report import charts
from analysis.report import fragments as rh
from analysis.sources import countries
from analysis.sources.transfers import load_transfers

TOP_N = 25          # rows of the exporter and importer tables (SIPRI's fact sheets list 25 in the text tables)
HEADLINE_N = 10     # the headline risers and fallers are taken among the top 10, as the fact sheets' Table 1
CHART_N = 10        # exporters/importers shown in the share charts
ALLOCATION_N = 10   # exporters and importers whose allocation effect is tabulated (classic registers)
WINDOW = 5          # SIPRI's five-year moving average
ROUNDING_RULE = ("Percentages are rounded as SIPRI prints them: one decimal below 10 per cent, whole numbers "
                 "from 10 per cent (half up); a share above 0 that rounds to 0.0 is shown as <0.1.")
REGIONS_FILE = "regions.csv"


# --------------------------------------------------------------------------- numbers as printed
def sipri_pct(fraction, signed: bool = False) -> str:
    """A fraction as SIPRI prints a percentage: ``0.41716 -> "42"``, ``0.0245 -> "2.4"``.

    One decimal below 10 per cent, whole numbers from 10 (half up, on the decimal value);
    ``signed`` prefixes "+" to positive values (changes). NaN gives "" (the table shows "–").
    """
    if fraction is None or pd.isna(fraction):
        return ""
    pct = Decimal(repr(100 * float(fraction)))
    step = Decimal("1") if abs(pct) >= 10 else Decimal("0.1")
    value = pct.quantize(step, rounding=ROUND_HALF_UP)
    if value == 0 and pct > 0 and not signed:
        return "<0.1"
    text = f"{value:,}" if step == 1 else f"{value:,.1f}"
    if text in ("-0", "-0.0"):
        text = text[1:]
    return f"+{text}" if signed and value > 0 else text


def pct_text(fraction, signed: bool = False) -> str:
    """``sipri_pct`` with a per-cent sign, for sentences ("n/a" for NaN)."""
    text = sipri_pct(fraction, signed)
    return f"{text}%" if text else "n/a"


def tiv_text(value: float) -> str:
    """Millions of TIV as the sentences print them (whole millions)."""
    return f"{value:,.0f} mn TIV"


def _short(start: int, end: int) -> str:
    """SIPRI's period label: 2019–23 (2019 for one year; 1998–2003 across centuries)."""
    if start == end:
        return str(start)
    return f"{start}–{str(end)[2:]}" if start // 100 == end // 100 else f"{start}–{end}"


def _long(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}–{end}"


#: Names read with "the" in a sentence ("the United States", "the Netherlands").
_WITH_ARTICLE = {"Netherlands", "Philippines", "UAE", "Central African Republic", "Czech Republic",
                 "Dominican Republic", "Bahamas", "Gambia", "Comoros", "Maldives", "Seychelles", "Solomon Islands",
                 "Marshall Islands", "Soviet Union", "DR Congo", "Democratic Republic of the Congo", "Congo"}


def _the(name: str) -> str:
    """``United States`` -> ``the United States`` (mid-sentence); other names unchanged."""
    return f"the {name}" if name.startswith("United ") or name in _WITH_ARTICLE else name


def _possessive(name: str) -> str:
    name = _the(name)
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- inputs
def load_regions() -> pd.DataFrame | None:
    """The region table (``data/case/regions.csv``: country, region, subregion), or None while the
    project has none. Read through the curated loader when it knows the table (schema and sidecar
    checks); otherwise its sidecar is validated here and the CSV read as text."""
    from analysis.sources import curated, sidecars

    path = paths.case_file(REGIONS_FILE)
    if "regions" in curated.TABLES:
        return curated.load_table("regions")
    if not path.is_file():
        return None
    sidecars.validate_sidecar(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", np.nan)
    missing = {"country", "region", "subregion"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: expected columns country, region, subregion; missing {sorted(missing)}")
    return frame


def check(start_year, end_year, region="", focus="", transfers="auto"):
    """Check the parameters and the transfer data before any work: ``(params, register, regions)``.

    Raises ParameterError for a bad value, for the embedded data (it holds curated pairs only) and
    for a period outside the register's delivery years.
    """
    regions = load_regions()
    params = check_trends_parameters(start_year, end_year, region, focus, transfers, regions=regions)
    register = load_transfers(params.transfers)
    check_full_register(register)
    check_period_in_data(params.start_year, params.end_year, register)
    return params, register, regions


# --------------------------------------------------------------------------- the computed report
@dataclass
class RegionFocus:
    """The report's region (``params.region``): its share of world imports, importers and suppliers."""

    name: str
    level: str                  # "region" or "subregion"
    members: list[str]
    tiv_mn: float
    tiv_previous_mn: float
    share: float
    share_previous: float
    importers: pd.DataFrame     # tr.top_importers on the region's deliveries, with world shares added
    suppliers: pd.DataFrame     # tr.top_exporters on the region's deliveries (shares of the region's imports)
    subregions: pd.DataFrame | None


@dataclass
class Focus:
    """The focus country in the world: ranks, shares, partners, supplier concentration."""

    country: str
    export_rank: tuple          # (rank or None, of n ranked states, share of world exports)
    import_rank: tuple
    exporter_row: pd.Series | None
    importer_row: pd.Series | None
    concentration: tr.Concentration
    allocation: dict            # direction -> tr.AllocationEffect (classic registers only)


@dataclass
class Trends:
    """Every figure of a trends report, computed once by :func:`compute`."""

    params: TrendsParams
    register: object
    data_years: tuple[int, int]
    world: pd.Series            # yearly world totals, chart range
    moving: pd.Series           # five-year moving average of ``world``
    total_mn: float
    total_previous_mn: float
    exporters: pd.DataFrame     # top TOP_N, plus ``rank_previous``
    importers: pd.DataFrame
    exporters_all: pd.DataFrame
    importers_all: pd.DataFrame
    regions: pd.DataFrame | None
    regional: tr.RegionalShares | None
    region: RegionFocus | None
    focus: Focus | None
    allocation: pd.DataFrame | None  # classic registers: allocation effect of the top exporters/importers

    @property
    def period(self) -> str:
        return _long(self.params.start_year, self.params.end_year)

    @property
    def previous(self) -> str:
        return _long(*self.params.previous_period)

    @property
    def change(self) -> float:
        return self.total_mn / self.total_previous_mn - 1 if self.total_previous_mn else float("nan")

    @property
    def is_allocated(self) -> bool:
        """True for a classic register (yearly values allocated from deal totals)."""
        return bool(self.register.deliveries["is_tiv_allocated"].astype(bool).any())

    @property
    def source(self) -> str:
        reg = self.register
        return (f"SIPRI Arms Transfers Database, {reg.format} register, data generated {reg.vintage}"
                if reg.vintage else f"SIPRI Arms Transfers Database, {reg.format} register")


def _with_previous_rank(table: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    ranks = previous.set_index("country")["rank"]
    out = table.copy()
    out.insert(1, "rank_previous", pd.array(ranks.reindex(out["country"]).to_numpy(), dtype="Int64"))
    return out


def _region_focus(deliveries, regions, name, start, end, world_importers) -> RegionFocus:
    level = "region" if name in set(regions["region"].dropna()) else "subregion"
    members = sorted(regions.loc[regions[level] == name, "country"].astype(str))
    mine = deliveries[deliveries["recipient"].isin(members)]
    importers = tr.top_importers(mine, start, end, n=None)
    world_share = world_importers.set_index("country")["share"]
    importers.insert(importers.columns.get_loc("share") + 1, "world_share",
                     world_share.reindex(importers["country"]).to_numpy())
    p0, p1 = start - (end - start + 1), start - 1
    tiv, before = tr.world_totals(mine, start, end).sum(), tr.world_totals(mine, p0, p1).sum()
    world, world_before = tr.world_totals(deliveries, start, end).sum(), tr.world_totals(deliveries, p0, p1).sum()
    subregions = None
    sub = regions[regions["region"] == name]
    if level == "region" and sub["subregion"].notna().any():
        sub = sub.assign(subregion=sub["subregion"].fillna(f"{name} (no subregion)"))
        subregions = tr.regional_shares(mine, sub, start, end, level="subregion").table
    return RegionFocus(name, level, members, float(tiv), float(before),
                       float(tiv / world) if world else float("nan"),
                       float(before / world_before) if world_before else float("nan"),
                       importers, tr.top_exporters(mine, start, end, n=None), subregions)


def _focus(deliveries, country, start, end, exporters_all, importers_all, allocated) -> Focus:
    def row(table):
        hit = table[table["country"] == country]
        return None if hit.empty else hit.iloc[0]

    allocation = {}
    if allocated:
        for direction in ("exports", "imports"):
            allocation[direction] = tr.allocation_effect(deliveries, country, direction, start, end)
    return Focus(country, tr.world_rank(deliveries, country, "exports", start, end),
                 tr.world_rank(deliveries, country, "imports", start, end), row(exporters_all), row(importers_all),
                 tr.supplier_concentration(deliveries, country, start, end), allocation)


def _allocation_table(deliveries, exporters, importers, start, end) -> pd.DataFrame:
    rows = []
    for direction, table in (("exports", exporters), ("imports", importers)):
        for country in table["country"].head(ALLOCATION_N):
            e = tr.allocation_effect(deliveries, country, direction, start, end)
            rows.append({"direction": direction, "country": country, **e._asdict()})
    return pd.DataFrame(rows)


def compute(params: TrendsParams, register, regions: pd.DataFrame | None = None) -> Trends:
    """Every figure of the report from a whole register (``regions``: the region table or None)."""
    d = register.deliveries
    start, end = params.start_year, params.end_year
    p0, p1 = params.previous_period
    span = delivery_years(register)
    first = min(span[0], start)
    world = tr.world_totals(d, first, end)
    exporters_all = _with_previous_rank(tr.top_exporters(d, start, end, n=None), tr.top_exporters(d, p0, p1, n=None))
    importers_all = _with_previous_rank(tr.top_importers(d, start, end, n=None), tr.top_importers(d, p0, p1, n=None))
    allocated = bool(d["is_tiv_allocated"].astype(bool).any())
    regional = tr.regional_shares(d, regions, start, end) if regions is not None else None
    region = (_region_focus(d, regions, params.region, start, end, importers_all)
              if params.region and regions is not None else None)
    focus = (_focus(d, params.focus, start, end, exporters_all, importers_all, allocated)
             if params.focus else None)
    return Trends(
        params=params, register=register, data_years=span, world=world,
        moving=tr.moving_average(world, WINDOW),
        total_mn=float(tr.world_totals(d, start, end).sum()),
        total_previous_mn=float(tr.world_totals(d, p0, p1).sum()),
        exporters=exporters_all.head(TOP_N).copy(), importers=importers_all.head(TOP_N).copy(),
        exporters_all=exporters_all, importers_all=importers_all, regions=regions, regional=regional,
        region=region, focus=focus,
        allocation=_allocation_table(d, exporters_all, importers_all, start, end) if allocated else None,
    )


def build(start_year, end_year, region="", focus="", transfers="auto") -> Trends:
    """Check the parameters and the data, then compute the report (the notebook's first call)."""
    params, register, regions = check(start_year, end_year, region, focus, transfers)
    return compute(params, register, regions)


# --------------------------------------------------------------------------- sentences
def _riser_faller(table: pd.DataFrame) -> tuple[pd.Series | None, pd.Series | None]:
    top = table.head(HEADLINE_N).dropna(subset=["change"])
    if top.empty:
        return None, None
    up = top.loc[top["change"].idxmax()]
    down = top.loc[top["change"].idxmin()]
    return (up if up["change"] > 0 else None), (down if down["change"] < 0 else None)


def direction_sentences(t: Trends, table: pd.DataFrame, noun: str, verb: str) -> list[str]:
    """Headlines of one ranking (``noun`` "exporter"/"importer", ``verb`` "exports"/"imports"): the
    largest and its share, the top five's combined share, the biggest riser and faller of the top 10."""
    if table.empty:
        return [f"No state {verb[:-1]}ed major arms in {t.period}."]
    lead = table.iloc[0]
    out = [f"The largest {noun} in {t.period} was {_the(lead['country'])}, with {pct_text(lead['share'])} of world "
           f"arms {verb} ({pct_text(lead['share_previous'])} in {t.previous})."]
    n = min(5, len(table))
    if n > 1:
        out.append(f"The {n} largest {noun}s together accounted for {pct_text(table['share'].head(n).sum())} of "
                   f"world arms {verb} in {t.period}.")
    up, down = _riser_faller(table)
    k = min(HEADLINE_N, len(table))
    parts = []
    if up is not None:
        parts.append(f"the largest increase was by {_the(up['country'])} ({pct_text(up['change'], True)})")
    if down is not None:
        parts.append(f"the largest fall by {_the(down['country'])} ({pct_text(down['change'], True)})")
    if parts:
        out.append(f"Among the top {k} {noun}s, " + " and ".join(parts) + f" in the volume of {verb} against "
                   f"{t.previous}.")
    return out


def _ranking_lead(t: Trends, all_rows: pd.DataFrame, noun: str, verb: str) -> str:
    """A section's lead: how many states, and where the table's figures come from."""
    partners = "recipients" if noun == "exporter" else "suppliers"
    return (f"{len(all_rows)} states {verb[:-1]}ed major arms in {t.period}. The table lists the "
            f"{min(TOP_N, len(all_rows))} largest {noun}s with their shares of world arms {verb} in {t.period} and "
            f"{t.previous}, the change in their volume of {verb}, and their three main {partners}.")


def world_sentence(t: Trends) -> str:
    """The world total of the period against the previous one."""
    if not t.total_previous_mn:
        return (f"International transfers of major arms in {t.period} totalled {tiv_text(t.total_mn)}; the register "
                f"records none in {t.previous}, so there is no change to state.")
    way = "higher" if t.change > 0 else "lower" if t.change < 0 else "no different"
    size = pct_text(abs(t.change)) + " " if t.change else ""
    return (f"The volume of international transfers of major arms in {t.period} was {size}{way} than in "
            f"{t.previous} ({tiv_text(t.total_mn)} against {tiv_text(t.total_previous_mn)}).")


def allocation_sentence(t: Trends) -> str | None:
    """On a classic register: the figures approximate SIPRI's yearly values, and by how much."""
    if t.allocation is None or t.allocation.empty:
        return None
    exp = t.allocation[t.allocation["direction"] == "exports"]
    text = ("This register is SIPRI's classic one: it gives one delivered TIV per deal, which is spread evenly "
            "over the deal's delivery years, so every yearly figure here approximates SIPRI's own yearly values.")
    if exp.empty:
        return text
    lead = exp.iloc[0]
    swing = (t.allocation["share_first_year"] - t.allocation["share_last_year"]).abs()
    worst = t.allocation.loc[swing.idxmax()]
    return (text + f" Placing each deal wholly in its first or its last delivery year instead moves "
            f"{_possessive(lead['country'])} share of world exports ({pct_text(lead['share'])}) to "
            f"{pct_text(lead['share_first_year'])} or {pct_text(lead['share_last_year'])}; among the top "
            f"{ALLOCATION_N} exporters and importers the largest such move is {_possessive(worst['country'])} "
            f"{worst['direction'][:-1]} share, by {100 * swing.max():.1f} percentage points. At the extreme "
            f"(the country's deals all outside the period, every other deal inside, and the reverse) "
            f"{_possessive(lead['country'])} share could lie anywhere between {pct_text(lead['share_min'])} and "
            f"{pct_text(lead['share_max'])}.")


def headlines(t: Trends) -> list[str]:
    """The headline changes, every number from the computed results."""
    out = [world_sentence(t)]
    out += direction_sentences(t, t.exporters, "exporter", "exports")
    out += direction_sentences(t, t.importers, "importer", "imports")
    if t.regional is not None:
        table = t.regional.table[t.regional.table["region"] != tr.UNASSIGNED]
        states, share = unassigned_states(t)
        if len(states):  # a region's lead over incomplete regions would mislead: say what is missing instead
            out.append(f"Regional shares are incomplete: the region table gives no region for {len(states)} importing "
                       f"{'state' if len(states) == 1 else 'states'}, which received {pct_text(share)} of world arms "
                       f"imports in {t.period}.")
        elif not table.empty:
            top = table.iloc[0]
            out.append(f"{top['region']} received the largest share of world arms imports in {t.period}, "
                       f"{pct_text(top['share'])} ({pct_text(top['share_previous'])} in {t.previous}).")
    if t.region is not None:
        out.append(region_sentence(t))
    if t.focus is not None:
        out.append(focus_sentences(t)[0])
    return out


def unassigned_states(t: Trends) -> tuple[list[str], float]:
    """Importing states (former states included) the region table has no region for, and their share of
    world imports in the period (organisations, non-state actors and unknown recipients are not counted)."""
    if t.regional is None:
        return [], 0.0
    missing = t.regional.missing
    states = missing[[countries.kind(r) in tr.RANKED_KINDS for r in missing["recipient"]]]
    states = states[states["tiv_mn"] > 0]
    share = float(states["tiv_mn"].sum()) / t.total_mn if t.total_mn else 0.0
    return list(states["recipient"]), share


def region_sentence(t: Trends) -> str:
    r = t.region
    change = r.tiv_mn / r.tiv_previous_mn - 1 if r.tiv_previous_mn else float("nan")
    text = (f"States in {r.name} received {pct_text(r.share)} of world arms imports in {t.period} "
            f"({pct_text(r.share_previous)} in {t.previous})")
    if not np.isnan(change):
        text += f"; their imports changed by {pct_text(change, True)} in volume"
    if not r.importers.empty:
        lead = r.importers.iloc[0]
        text += (f". The largest importer in the {r.level} was {_the(lead['country'])} ({pct_text(lead['share'])} of the "
                 f"{r.level}'s imports)")
    if not r.suppliers.empty:
        lead = r.suppliers.iloc[0]
        text += f", and its largest supplier {_the(lead['country'])} ({pct_text(lead['share'])})"
    return text + "."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def focus_sentences(t: Trends) -> list[str]:
    """The focus country's ranks, shares, changes, partners and supplier concentration."""
    f = t.focus
    out = []

    def rank(r, noun):
        position, n, share = r
        if position is None:
            return (f"registered no arms {noun}s" if not share else
                    f"accounted for {pct_text(share)} of world arms {noun}s (not ranked: not a state)")
        nth = "" if position == 1 else f"{_ordinal(position)} "
        return (f"was the {nth}largest arms {noun}er of {n} states ({pct_text(share)} of the world "
                "total")

    exp = rank(f.export_rank, "export")
    imp = rank(f.import_rank, "import")
    exp += ")" if f.export_rank[0] is not None else ""
    imp += ")" if f.import_rank[0] is not None else ""
    out.append(f"In {t.period}, {_the(f.country)} {exp} and {imp}.")
    for row, noun, partners in ((f.exporter_row, "exports", "recipients"), (f.importer_row, "imports", "suppliers")):
        if row is None:
            continue
        named = [f"{row[f'partner_{i}']} ({pct_text(row[f'partner_{i}_share'])})" for i in (1, 2, 3)
                 if isinstance(row[f"partner_{i}"], str)]
        change = (f"changed by {pct_text(row['change'], True)} against {t.previous}" if not pd.isna(row["change"])
                  else f"had no registered counterpart in {t.previous}")
        out.append(f"{_cap(_possessive(f.country))} arms {noun} {change}; its main {partners}: {', '.join(named)}.")
    c = f.concentration
    if c.n_suppliers:
        out.append(f"{_cap(_possessive(f.country))} {c.n_suppliers} {'supplier' if c.n_suppliers == 1 else 'suppliers'} "
                   f"give a Herfindahl-Hirschman index of {c.hhi_points:,.0f} (of 10,000; 10,000 = a single "
                   "supplier).")
    for direction, e in f.allocation.items():
        out.append(f"Allocation of deal totals over delivery years (classic register) moves {_possessive(f.country)} "
                   f"share of world {direction} ({pct_text(e.share)}) to {pct_text(e.share_first_year)} or "
                   f"{pct_text(e.share_last_year)} when each deal is placed in its first or last delivery year "
                   f"(bounds {pct_text(e.share_min)}–{pct_text(e.share_max)}).")
    return out


def data_caveats(t: Trends) -> list[str]:
    """Where the period or the previous period reach beyond the register's delivery years."""
    first, last = t.data_years
    p0, p1 = t.params.previous_period
    out = []
    if p0 < first:
        out.append(f"The register records deliveries from {first}: the previous period {t.previous} "
                   + ("lies entirely before that, so previous-period shares and changes cannot be computed."
                      if p1 < first else "starts before that, so previous-period figures are incomplete."))
    if t.params.end_year > last:
        out.append(f"The register records deliveries up to {last}: the years after it in {t.period} hold no "
                   "data, so the period's figures are incomplete.")
    return out


# --------------------------------------------------------------------------- sections
def join(*fragments) -> HTML:
    """One displayable fragment from several (None and empty ones are skipped)."""
    return HTML("".join(f.data for f in fragments if f is not None and f.data))


def title(t: Trends) -> HTML:
    """Title block with the period, the comparison period, region, focus and data."""
    p = t.params
    where = f": {p.region}" if p.region else ""
    facts = [("Period", t.period), ("Compared with", t.previous), ("Region", p.region or "World")]
    if p.focus:
        facts.append(("Focus", p.focus))
    facts.append(("Transfer data", t.source))
    return rh.title_block(f"Trends in international arms transfers{where}, {t.period}",
                          f"Exporters, importers, their shares and main partners, compared with {t.previous}", facts)


def key_findings(t: Trends) -> HTML:
    """The headline changes (generated) and the data caveats."""
    notes = [rh.callout(c, kind="caveat") for c in data_caveats(t)]
    allocation = allocation_sentence(t)
    return join(rh.section("Key findings"), *notes, rh.bullets(headlines(t), css_class="key-judgements"),
                rh.callout(allocation, kind="caveat") if allocation else None)


def world_totals(t: Trends) -> HTML:
    """Yearly world totals with the five-year moving average."""
    first, last = int(t.world.index.min()), int(t.world.index.max())
    p = t.params
    chart = charts.world_totals_chart(t.world, t.moving, period=(p.start_year, p.end_year),
                                      title=f"Transfers of major arms, world total by year, {first}–{last}")
    return join(rh.section("The world total", world_sentence(t)),
                rh.figure(chart, caption=f"The trend in international transfers of major arms, {first}–{last}. Bars: "
                          "yearly world totals; line: five-year moving average, SIPRI's convention: each point "
                          f"averages the five years up to and including its year (the {WINDOW - 1} years before it "
                          f"and the year itself), so the line starts in {first + WINDOW - 1}.",
                          source=t.source))


def _partner(row, i: int):
    name = row[f"partner_{i}"]
    return None if not isinstance(name, str) else f"{name} ({sipri_pct(row[f'partner_{i}_share'])})"


def ranking_table(t: Trends, table: pd.DataFrame, noun: str) -> pd.DataFrame:
    """The exporter or importer table as printed (shares as fractions, formatted by the table)."""
    (s, e), (a, b) = (t.params.start_year, t.params.end_year), t.params.previous_period
    partners = "recipients" if noun == "Exporter" else "suppliers"
    count = "States supplied" if noun == "Exporter" else "Supplier states"
    out = pd.DataFrame({
        f"Rank {_short(s, e)}": pd.array(table["rank"], dtype="Int64"),
        f"Rank {_short(a, b)}": pd.array(table["rank_previous"], dtype="Int64"),
        noun: table["country"].to_numpy(),
        f"Share {_short(s, e)} (%)": table["share"].to_numpy(dtype=float),
        f"Share {_short(a, b)} (%)": table["share_previous"].to_numpy(dtype=float),
        "Change (%)": table["change"].to_numpy(dtype=float),
    })
    for i, label in ((1, "1st"), (2, "2nd"), (3, "3rd")):
        out[f"{label} {partners[:-1]} (%)"] = [_partner(row, i) for _, row in table.iterrows()]
    out[count] = table["n_partners"].to_numpy()
    return out


def _share_formats(frame: pd.DataFrame) -> dict:
    return {c: (lambda v, signed=c.startswith("Change"): sipri_pct(v, signed)) for c in frame.columns
            if c.endswith("(%)") and pd.api.types.is_float_dtype(frame[c])}


def _ranking_section(t: Trends, table: pd.DataFrame, all_rows: pd.DataFrame, noun: str, verb: str) -> HTML:
    p = t.params
    frame = ranking_table(t, table, noun)
    partners = "recipients" if noun == "Exporter" else "suppliers"
    lead = _ranking_lead(t, all_rows, noun.lower(), verb)
    cap = (f"The {len(table)} largest {noun.lower()}s of major arms and their main {partners}, {t.period}, with "
           f"shares of the world total and the change in volume against {t.previous}")
    notes = [f"Shares: of world arms {verb} in each period (every supplier and recipient counted); change: in the "
             f"{noun.lower()}'s volume of {verb} (TIV), {t.previous} to {t.period}; main {partners}: share of the "
             f"{noun.lower()}'s own total in {t.period}. {len(all_rows)} states {verb[:-1]}ed major arms in "
             f"{t.period}.",
             f"{'States supplied' if noun == 'Exporter' else 'Supplier states'}: states (former states included) "
             f"with at least one registered delivery in {t.period}; organisations, non-state actors and unknown "
             f"{partners} are not counted.", ROUNDING_RULE]
    top = table.head(CHART_N)
    previous = tr.top_exporters if noun == "Exporter" else tr.top_importers
    before = previous(t.register.deliveries, *p.previous_period, n=None).set_index("country")["share"]
    chart = charts.paired_share_bars(
        top.set_index("country")["share"], before.reindex(top["country"]).fillna(0.0),
        labels=(t.period, t.previous), highlight=p.focus,
        title=f"Shares of world arms {verb} of the {len(top)} largest {noun.lower()}s",
        value_label=f"Share of world arms {verb}")
    return join(rh.section(f"{noun}s", lead),
                rh.table(frame, caption=cap, source=t.source, formats=_share_formats(frame), notes=notes,
                         empty_text=f"No state {verb[:-1]}ed major arms in {t.period}."),
                rh.figure(chart, caption=f"Shares of world arms {verb} of the {len(top)} largest {noun.lower()}s, "
                          f"{t.period} against {t.previous}", source=t.source))


def exporters(t: Trends) -> HTML:
    """The top exporters (SIPRI's Table 1) and their shares chart."""
    return _ranking_section(t, t.exporters, t.exporters_all, "Exporter", "exports")


def importers(t: Trends) -> HTML:
    """The top importers (SIPRI's Table 2) and their shares chart."""
    return _ranking_section(t, t.importers, t.importers_all, "Importer", "imports")


def regional_shares(t: Trends) -> HTML:
    """Regional shares of world imports (needs the region table)."""
    heading = "Imports by region"
    if t.regional is None:
        return join(rh.section(heading),
                    rh.callout(f"No region table: data/case/{REGIONS_FILE} (SIPRI's regions and subregions) is not in "
                               "the project yet, so regional shares of imports are not computed.", kind="note"))
    table = t.regional.table
    (s, e), (a, b) = (t.params.start_year, t.params.end_year), t.params.previous_period
    frame = pd.DataFrame({"Region": table["region"], f"Share {_short(s, e)} (%)": table["share"].astype(float),
                          f"Share {_short(a, b)} (%)": table["share_previous"].astype(float),
                          "Change (%)": table["change"].astype(float)})
    notes = [ROUNDING_RULE]
    missing = t.regional.missing
    caveat = None
    states, share = unassigned_states(t)
    if len(states):
        caveat = rh.callout(f"The region table ({len(t.regions)} states) gives no region for {len(states)} importing "
                            f"{'state' if len(states) == 1 else 'states'} that received "
                            f"{pct_text(share)} of world arms imports in {t.period}; "
                            f"their imports are shown as {tr.UNASSIGNED}, so the regional shares are incomplete.",
                            kind="caveat")
    if not missing.empty:
        shown = ", ".join(f"{r} ({v:,.0f} mn)" for r, v in zip(missing["recipient"].head(8), missing["tiv_mn"].head(8)))
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        notes.insert(0, f"{tr.UNASSIGNED}: recipients the region table does not list (organisations, non-state "
                        f"actors, unknown recipients or gaps in the table), kept in the world total: {shown}{more}.")
    known = table[table["region"] != tr.UNASSIGNED]
    chart = charts.paired_share_bars(known.set_index("region")["share"], known.set_index("region")["share_previous"],
                                     labels=(t.period, t.previous), title="Shares of world arms imports by region",
                                     highlight=t.params.region, value_label="Share of world arms imports")
    return join(rh.section(heading), caveat,
                rh.table(frame, caption=f"Shares of world arms imports by SIPRI region, {t.period} and {t.previous}",
                         source=f"{t.source}; regions: data/case/{REGIONS_FILE}", formats=_share_formats(frame),
                         notes=notes),
                rh.figure(chart, caption=f"Regional shares of world arms imports, {t.period} against {t.previous}",
                          source=f"{t.source}; regions: data/case/{REGIONS_FILE}"))


def region_section(t: Trends) -> HTML:
    """The report's region: its importers and suppliers (empty for a world report)."""
    r = t.region
    if r is None:
        return HTML("")
    (s, e), (a, b) = (t.params.start_year, t.params.end_year), t.params.previous_period
    imp = r.importers.head(TOP_N)
    imp_frame = pd.DataFrame({f"Rank {_short(s, e)}": imp["rank"], "Importer": imp["country"],
                              f"Share of the {r.level}'s imports (%)": imp["share"].astype(float),
                              "Share of world imports (%)": imp["world_share"].astype(float),
                              "Change (%)": imp["change"].astype(float)})
    sup = r.suppliers.head(TOP_N)
    sup_frame = pd.DataFrame({"Rank": sup["rank"], "Supplier": sup["country"],
                              f"Share {_short(s, e)} (%)": sup["share"].astype(float),
                              f"Share {_short(a, b)} (%)": sup["share_previous"].astype(float),
                              "Change (%)": sup["change"].astype(float), f"States supplied in the {r.level}": sup["n_partners"]})
    parts = [rh.section(r.name, region_sentence(t)),
             rh.table(imp_frame, caption=f"Arms importers in {r.name}, {t.period}", source=t.source,
                      formats=_share_formats(imp_frame),
                      notes=[f"{r.name}: the {len(r.members)} {'state' if len(r.members) == 1 else 'states'} the region "
                             f"table (data/case/{REGIONS_FILE}) places in this {r.level}.", ROUNDING_RULE],
                      empty_text=f"No state in {r.name} imported major arms in {t.period}."),
             rh.table(sup_frame, caption=f"Suppliers of major arms to {r.name}, {t.period}: shares of the {r.level}'s "
                      f"imports in each period", source=t.source, formats=_share_formats(sup_frame), notes=ROUNDING_RULE,
                      empty_text=f"No registered deliveries to {r.name} in {t.period}.")]
    if r.subregions is not None and len(r.subregions):
        sub = r.subregions
        sub_frame = pd.DataFrame({"Subregion": sub["subregion"], f"Share {_short(s, e)} (%)": sub["share"].astype(float),
                                  f"Share {_short(a, b)} (%)": sub["share_previous"].astype(float),
                                  "Change (%)": sub["change"].astype(float)})
        parts.append(rh.table(sub_frame, caption=f"Subregions' shares of {_possessive(r.name)} arms imports",
                              source=t.source, formats=_share_formats(sub_frame)))
    return join(*parts)


def focus_section(t: Trends) -> HTML:
    """The focus country in the world (empty without a focus)."""
    f = t.focus
    if f is None:
        return HTML("")
    parts = [rh.section(f"{_cap(_the(f.country))} in the world"), rh.bullets(focus_sentences(t))]
    c = f.concentration
    if c.n_suppliers:
        table = c.table.head(10)
        frame = pd.DataFrame({"Supplier": table["supplier"], "TIV (mn)": table["tiv_mn"],
                              "Share (%)": table["share"].astype(float)})
        parts.append(rh.table(frame, caption=f"{_cap(_possessive(f.country))} suppliers, {t.period}", source=t.source,
                              formats={"TIV (mn)": "{:,.0f}", **_share_formats(frame)},
                              notes=[tr.HHI_RULE, ROUNDING_RULE]))
    return join(*parts)


def allocation_effect(t: Trends) -> HTML:
    """On a classic register: how far allocation over delivery years can move the leading shares."""
    if t.allocation is None:
        return HTML("")
    a = t.allocation
    frame = pd.DataFrame({"Country": a["country"], "Share of": a["direction"],
                          "Share, allocated (%)": a["share"].astype(float),
                          "All in first year (%)": a["share_first_year"].astype(float),
                          "All in last year (%)": a["share_last_year"].astype(float),
                          "Lowest (%)": a["share_min"].astype(float), "Highest (%)": a["share_max"].astype(float)})
    return join(rh.section("How far allocation moves the shares", allocation_sentence(t)),
                rh.table(frame, caption=f"Shares of world exports and imports, {t.period}, under other placements of "
                         f"the classic register's deal totals (top {ALLOCATION_N} exporters and importers)",
                         source=t.source, formats=_share_formats(frame), notes=[tr.ALLOCATION_EFFECT_RULE, ROUNDING_RULE]))


def methodology(t: Trends) -> HTML:
    """Counting rules, the moving average, TIV and the data."""
    from analysis.sources.sipri import ALLOCATION_RULE

    reg = t.register
    text = [
        "SIPRI trend-indicator values (TIV) measure the volume of transfers of major conventional arms on a common "
        "scale based on production costs; they are not sale prices or financial values.",
        f"Periods: {t.period} against the previous period of equal length, {t.previous}. " + tr.COUNTING_RULE,
        f"Moving average: the point of each year is the mean of that year and the {WINDOW - 1} years before it "
        "(SIPRI's five-year moving average, plotted at the last year of its window); the line starts once "
        f"{WINDOW} years of data are available.",
        (ALLOCATION_RULE + " The yearly figures therefore approximate SIPRI's yearly values (see the allocation "
         "section).") if t.is_allocated else
        "Yearly figures come from SIPRI's per-delivery-year records and are exact, not allocated.",
        ROUNDING_RULE,
        f"Transfer data: {t.source}; file {reg.source}" + (f", SHA-256 {reg.sha256[:16]}…" if reg.sha256 else "") + ".",
    ]
    if t.focus is not None:
        text.append(tr.HHI_RULE)
    return join(rh.section("Methodology and sources"), rh.bullets(text))


def colophon(t: Trends) -> HTML:
    """Parameters, the register with its checksum, version and the rebuild command."""
    files = [(str(t.register.source), t.register.vintage, t.register.sha256)]
    if t.regions is not None:
        from analysis.sources.sidecars import sha256_file

        path = paths.case_file(REGIONS_FILE)
        files.append((f"data/case/{REGIONS_FILE}", "", sha256_file(path) if path.is_file() else ""))
    params = t.params.as_dict()
    return rh.colophon(params, files, __version__, command=rh.default_rebuild_command(params, "trends"))


#: The sections in the order the notebook shows them (after :func:`build` and :func:`title`).
SECTIONS = (key_findings, world_totals, exporters, importers, regional_shares, region_section, focus_section,
            allocation_effect, methodology, colophon)
