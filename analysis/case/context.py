"""The world around a bilateral case: conflicts (UCDP and curated), alliances, supplier shifts, world ranks,
and the events derived from them for the political timeline.

Pure functions on loaded tables: the UCDP conflict-year frame (analysis.sources.ucdp), the curated
alliance tables and conflicts (analysis.sources.curated) and a register's deliveries. Every derived row
names where it comes from (``origin`` and ``source_*``), so the brief can label it.
"""
from __future__ import annotations

import pandas as pd

from analysis.case import alliances as al
from analysis.case import tiv
from analysis.case.alliances import span_text, year_runs

UCDP_PUBLISHER = "Uppsala Conflict Data Program (UCDP) / PRIO"
CONFLICT_TYPES = {1: "extrasystemic", 2: "interstate", 3: "intrastate", 4: "internationalised intrastate"}
INTENSITY_RULE = ("UCDP counts an armed conflict in a year with at least 25 battle-related deaths; intensity "
                  "'war' means 1,000 or more in that year, 'minor' 25 to 999.")
ROLE_RULE = ("Roles follow UCDP: primary parties fight each other; a secondary party is a state that "
             "sent troops to support a primary party (UN and coalition troop contributors included). Where "
             "control of a state is contested, UCDP's 'government' and SIPRI's recipient of that name may be "
             "different authorities (UCDP codes the Sanaa authorities as Yemen's government from 2015): "
             "check such pairs against the conflict's own coding.")
#: Five-year periods, SIPRI's convention for comparing suppliers (its fact sheets compare five-year periods).
SHIFT_PERIOD_YEARS = 5
SHIFT_PERIODS = 4
SHIFT_TOP = 4
#: A derived event is left out when a curated event about the same country and of the same kind lies this
#: close to it: the curated row carries the richer source and the timeline should not say it twice.
DERIVED_EVENT_WINDOW_DAYS = 31

EVENT_COLUMNS = ["event_date", "event_date_precision", "title", "description", "countries", "kind", "origin",
                 "source_publisher", "source_title", "source_url", "source_date"]


def _ucdp_source(frame: pd.DataFrame) -> dict[str, str]:
    version = str(frame["version"].dropna().iloc[0]) if "version" in frame and frame["version"].notna().any() else ""
    return {"source_publisher": UCDP_PUBLISHER,
            "source_title": f"UCDP/PRIO Armed Conflict Dataset {version}".strip(),
            "source_url": "https://ucdp.uu.se/downloads/", "source_date": ""}


def ucdp_source_label(conflicts: pd.DataFrame) -> str:
    """``"UCDP/PRIO Armed Conflict Dataset 25.1"``: how captions cite the conflict data."""
    return _ucdp_source(conflicts)["source_title"]


# --------------------------------------------------------------------------- conflicts

def _involvement(row, country: str) -> tuple[str, str, list[str]] | None:
    """(side, role, opponents) of ``country`` in one UCDP conflict-year row, else None."""
    sides = {"A": (row.states_a, row.states_a_2nd, row.side_b, row.states_b + row.states_b_2nd),
             "B": (row.states_b, row.states_b_2nd, row.side_a, row.states_a + row.states_a_2nd)}
    for side, (primary, secondary, other_text, other_states) in sides.items():
        if country in primary or country in secondary:
            role = "primary" if country in primary else "secondary"
            opponents = [s.strip() for s in str(other_text).split(",") if s.strip()]
            opponents = [o.removeprefix("Government of ") for o in opponents]
            return side, role, opponents
    return None


def conflicts_of(conflicts: pd.DataFrame, countries: list[str], start: int, end: int) -> pd.DataFrame:
    """UCDP conflicts in which any of ``countries`` was a primary or secondary party in ``start..end``.

    One row per conflict and country: ``country, conflict_id, conflict, type, role, opponents, years``
    (active years in the period, as text), ``war_years`` (years at war intensity), ``first_year``,
    ``last_year``, ``year_list`` and ``war_year_list`` (the same years as sorted lists), ``origin`` ("UCDP"). Ordered by country (in the order
    given), then first year and conflict id.
    """
    window = conflicts[(conflicts["year"] >= start) & (conflicts["year"] <= end)]
    found: dict[tuple[str, int], dict] = {}
    for row in window.itertuples(index=False):
        for country in countries:
            hit = _involvement(row, country)
            if hit is None:
                continue
            side, role, opponents = hit
            entry = found.setdefault((country, int(row.conflict_id)), {
                "country": country, "conflict_id": int(row.conflict_id),
                "conflict": _conflict_title(row), "type": CONFLICT_TYPES.get(int(row.type_of_conflict), ""),
                "roles": set(), "opponents": [], "years": set(), "war_years": set()})
            entry["roles"].add(role)
            entry["opponents"] += [o for o in opponents if o not in entry["opponents"]]
            entry["years"].add(int(row.year))
            if int(row.intensity_level) == 2:
                entry["war_years"].add(int(row.year))
    rows = []
    for entry in found.values():
        years = sorted(entry["years"])
        rows.append({
            "country": entry["country"], "conflict_id": entry["conflict_id"], "conflict": entry["conflict"],
            "type": entry["type"], "role": " and ".join(sorted(entry["roles"])),
            "opponents": ", ".join(entry["opponents"]), "years": span_text(years),
            "war_years": span_text(sorted(entry["war_years"])), "first_year": years[0], "last_year": years[-1],
            "year_list": years, "war_year_list": sorted(entry["war_years"]), "origin": "UCDP"})
    out = pd.DataFrame(rows, columns=["country", "conflict_id", "conflict", "type", "role", "opponents", "years",
                                      "war_years", "first_year", "last_year", "year_list", "war_year_list",
                                      "origin"])
    order = {c: i for i, c in enumerate(countries)}
    out["_order"] = out["country"].map(order)
    return (out.sort_values(["_order", "first_year", "conflict_id"], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def _conflict_title(row) -> str:
    if int(row.type_of_conflict) == 2:
        return f"{row.side_a} vs {row.side_b}".replace("Government of ", "")
    territory = str(getattr(row, "territory_name", "") or "")
    other = str(row.side_b).replace("Government of ", "")
    return f"{row.location}: government vs {other}" + (f", over {territory}" if territory else "")


def curated_conflicts_of(conflicts: pd.DataFrame, countries: list[str], start: int, end: int) -> pd.DataFrame:
    """Curated dyads and episodes (data/case/conflicts.csv) of ``countries`` overlapping ``start..end``."""
    ends = conflicts["end_date"].dt.year.fillna(9999)
    starts = conflicts["start_date"].dt.year
    involved = conflicts["side_a"].isin(countries) | conflicts["side_b"].isin(countries)
    rows = conflicts[involved & (starts <= end) & (ends >= start)].copy()
    rows["origin"] = "curated"
    return rows.sort_values(["start_date", "conflict_id"], kind="stable").reset_index(drop=True)


def ucdp_adversary_rows(dyads: pd.DataFrame, conflicts: pd.DataFrame | None = None) -> pd.DataFrame:
    """UCDP state pairs on opposite sides as rows shaped like the curated conflicts table, so the alliance
    screen reads both. Consecutive years of one conflict and pair become one row (start 1 January of the
    first year, end 31 December of the last, year precision); ``kind`` "armed conflict (UCDP)"."""
    source = _ucdp_source(conflicts) if conflicts is not None else _ucdp_source(pd.DataFrame({"version": []}))
    rows = []
    d = dyads.sort_values(["conflict_id", "state_a", "state_b"], kind="stable")
    for (cid, a, b), group in d.groupby(["conflict_id", "state_a", "state_b"], sort=False):
        roles = dict(zip(group["year"].astype(int), group["role"]))
        name = str(group["conflict_name"].iloc[0])
        for run in year_runs(roles):
            role = roles[run[0]]
            rows.append({"conflict_id": f"ucdp-{cid}-{a}-{b}-{run[0]}", "side_a": a, "side_b": b,
                         "kind": "armed conflict (UCDP)", "name": f"{name} (UCDP {cid}, {role})",
                         "start_date": pd.Timestamp(run[0], 1, 1), "start_date_precision": "year",
                         "end_date": pd.Timestamp(run[-1], 12, 31), "end_date_precision": "year",
                         "notes": f"Derived from UCDP conflict {cid}: {a} and {b} on opposite sides ({role}).",
                         **source})
    return pd.DataFrame(rows, columns=["conflict_id", "side_a", "side_b", "kind", "name", "start_date",
                                       "start_date_precision", "end_date", "end_date_precision", "notes",
                                       "source_publisher", "source_title", "source_url", "source_date"])


def screen_conflicts(curated: pd.DataFrame, dyads: pd.DataFrame, conflicts: pd.DataFrame) -> pd.DataFrame:
    """The adversary relation of the alliance screen: curated dyads and episodes plus UCDP state pairs."""
    ucdp_rows = ucdp_adversary_rows(dyads, conflicts)
    keep = [c for c in ucdp_rows.columns if c in curated.columns]
    both = pd.concat([curated[keep].assign(origin="curated"), ucdp_rows[keep].assign(origin="UCDP")],
                     ignore_index=True)
    return both


# --------------------------------------------------------------------------- alliances

def memberships_of(spells: pd.DataFrame, alliances: pd.DataFrame, countries: list[str], start: int,
                   end: int) -> pd.DataFrame:
    """Every alliance spell of ``countries`` overlapping ``start..end``: country, alliance, name, status,
    years (in the period, as text), since, until (dates as written), source."""
    ends = spells["end_date"].dt.year.fillna(9999)
    rows = spells[spells["country"].isin(countries) & (spells["start_date"].dt.year <= end) & (ends >= start)]
    names = dict(zip(alliances["alliance"], alliances["name"]))
    out = []
    for r in rows.itertuples(index=False):
        first = max(start, r.start_date.year)
        last = min(end, int(r.end_date.year) if pd.notna(r.end_date) else end)
        out.append({"country": r.country, "alliance": r.alliance, "name": names.get(r.alliance, r.alliance),
                    "status": r.status, "years": span_text(list(range(first, last + 1))),
                    "since": date_text(r.start_date, r.start_date_precision),
                    "until": date_text(r.end_date, r.end_date_precision) if pd.notna(r.end_date) else "",
                    "end_reason": r.end_reason if isinstance(r.end_reason, str) else "",
                    "source": f"{r.source_publisher} ({r.source_date})" if isinstance(r.source_date, str)
                    and r.source_date else str(r.source_publisher)})
    frame = pd.DataFrame(out, columns=["country", "alliance", "name", "status", "years", "since", "until",
                                       "end_reason", "source"])
    order = {c: i for i, c in enumerate(countries)}
    frame["_order"] = frame["country"].map(order)
    return frame.sort_values(["_order", "alliance", "since"], kind="stable").drop(columns="_order").reset_index(drop=True)


def shared_alliances(memberships: pd.DataFrame, a: str, b: str) -> list[str]:
    """Alliances in which both ``a`` and ``b`` held a spell in the period (sorted)."""
    of = memberships.groupby("alliance")["country"].agg(set)
    return sorted(k for k, v in of.items() if a in v and b in v)


def date_text(date, precision) -> str:
    """A date printed only as precisely as it is known (day, month or year)."""
    if date is None or pd.isna(date):
        return ""
    fmt = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}.get(str(precision), "%Y-%m-%d")
    return pd.Timestamp(date).strftime(fmt)


# --------------------------------------------------------------------------- derived events

def _event(date, precision, title, description, country, kind, origin, source) -> dict:
    return {"event_date": pd.Timestamp(date), "event_date_precision": precision, "title": title,
            "description": description, "countries": country, "kind": kind, "origin": origin, **source}


def alliance_events(spells: pd.DataFrame, alliances: pd.DataFrame, countries: list[str], start: int,
                    end: int) -> pd.DataFrame:
    """Entries, status changes and exits of ``countries`` in any alliance, dated within ``start..end``."""
    names = dict(zip(alliances["alliance"], alliances["alliance"]))  # ids read as names: "joins NATO"
    rows = []
    own = spells[spells["country"].isin(countries)].sort_values(["country", "alliance", "start_date"], kind="stable")
    for (country, alliance), group in own.groupby(["country", "alliance"], sort=False):
        previous_end = None
        for r in group.itertuples(index=False):
            source = {"source_publisher": r.source_publisher, "source_title": r.source_title,
                      "source_url": r.source_url, "source_date": r.source_date}
            follows = previous_end is not None and (r.start_date - previous_end).days <= 1
            if start <= r.start_date.year <= end:
                if r.status == "member" and not follows:
                    title = f"{country} joins {names[alliance]}"
                elif r.status == "member":
                    title = f"{country} resumes full participation in {names[alliance]}"
                else:
                    title = f"{country}: {names[alliance]} {r.status}"
                rows.append(_event(r.start_date, r.start_date_precision, title, "", country, "alliance",
                                   "alliance table", source))
            if pd.notna(r.end_date) and start <= r.end_date.year <= end and isinstance(r.end_reason, str):
                nxt = group[group["start_date"] > r.start_date]
                if not nxt.empty and (nxt["start_date"].iloc[0] - r.end_date).days <= 1:
                    previous_end = r.end_date
                    continue  # the next spell's start says it (e.g. "participation frozen")
                rows.append(_event(r.end_date, r.end_date_precision,
                                   f"{country} leaves {names[alliance]} ({r.end_reason})", "", country,
                                   "alliance", "alliance table", source))
            previous_end = r.end_date
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def embargo_events(embargoes: pd.DataFrame, countries: list[str], start: int, end: int) -> pd.DataFrame:
    """Start and end of every embargo on ``countries`` dated within ``start..end``."""
    rows = []
    for r in embargoes[embargoes["target"].isin(countries)].itertuples(index=False):
        source = {"source_publisher": r.source_publisher, "source_title": r.source_title,
                  "source_url": r.source_url, "source_date": r.source_date}
        what = f"{r.imposed_by} {r.binding} arms embargo on {r.target}"
        if start <= r.start_date.year <= end:
            rows.append(_event(r.start_date, r.start_date_precision, f"{what} begins ({r.instrument})",
                               str(r.target_scope), r.target, "embargo", "embargo table", source))
        if pd.notna(r.end_date) and start <= r.end_date.year <= end:
            rows.append(_event(r.end_date, r.end_date_precision, f"{what} ends", "", r.target, "embargo",
                               "embargo table", source))
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def conflict_events(found: pd.DataFrame, conflicts: pd.DataFrame) -> pd.DataFrame:
    """One year-precision event per run of active years of each conflict in ``found`` (from
    :func:`conflicts_of`), with its intensity: "UCDP: <conflict> active 2020 (war)". Conflicts in which
    only one of the case's states took part, as a secondary party, are left out."""
    source = _ucdp_source(conflicts)
    rows = []
    seen = set()
    for r in found.itertuples(index=False):
        if r.conflict_id in seen:
            continue  # one conflict involving two of the case's countries is one event
        seen.add(r.conflict_id)
        own = found[found["conflict_id"] == r.conflict_id]
        involved = own["country"].tolist()
        if len(involved) < 2 and "primary" not in str(r.role):
            continue  # a distant war one state sent troops to (e.g. a UN mission) is in the table, not the timeline
        wars = set(r.war_year_list)
        for run in year_runs(r.year_list):
            level = "war" if wars & set(run) else "minor"
            span = str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}"
            rows.append(_event(pd.Timestamp(run[0], 1, 1), "year",
                               f"UCDP: {r.conflict} active {span} ({level})",
                               f"Parties from this case: {', '.join(involved)}.", ";".join(involved), "war",
                               "UCDP", source))
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def merge_events(curated: pd.DataFrame, *derived: pd.DataFrame) -> pd.DataFrame:
    """Curated events (origin "curated") and derived ones in one date-ordered table.

    A derived event is dropped when a curated event of the same kind naming one of its countries lies
    within :data:`DERIVED_EVENT_WINDOW_DAYS` days (year-precision events are compared by year).
    """
    cur = curated.copy()
    cur["origin"] = "curated"
    keep = [cur[EVENT_COLUMNS]]
    for frame in derived:
        if frame is None or frame.empty:
            continue
        mask = [not _said_by_curated(row, cur) for row in frame.itertuples(index=False)]
        keep.append(frame[mask][EVENT_COLUMNS])
    keep = [k for k in keep if not k.empty]
    if not keep:
        return cur[EVENT_COLUMNS].iloc[0:0]
    both = pd.concat(keep, ignore_index=True)
    both["_origin"] = (both["origin"] != "curated").astype(int)
    return (both.sort_values(["event_date", "_origin"], kind="stable").drop(columns="_origin")
            .reset_index(drop=True))


def _said_by_curated(row, curated: pd.DataFrame) -> bool:
    mine = set(str(row.countries).split(";"))
    same_kind = curated[curated["kind"] == row.kind]
    for c in same_kind.itertuples(index=False):
        if not mine & set(str(c.countries).split(";")):
            continue
        if row.event_date_precision == "year":
            if c.event_date.year == row.event_date.year and row.kind != "war":
                return True
        elif abs((c.event_date - row.event_date).days) <= DERIVED_EVENT_WINDOW_DAYS:
            return True
    return False


# --------------------------------------------------------------------------- supplier shifts and world

#: Supplier shifts look this far past the brief's period at most: a 1970s brief shows the 1970s and 1980s,
#: not 2005-2024; a recent brief reaches the latest year in the data.
SHIFT_HORIZON_YEARS = 10


def shift_last_year(latest_in_data: int, end_year: int) -> int:
    """The last year of the supplier-shift periods: the latest delivery year in the data, but no more than
    :data:`SHIFT_HORIZON_YEARS` after the brief's period (and never before its end)."""
    return max(end_year, min(latest_in_data, end_year + SHIFT_HORIZON_YEARS))


def shift_periods(last_year: int, n: int = SHIFT_PERIODS, width: int = SHIFT_PERIOD_YEARS) -> list[tuple[int, int]]:
    """``n`` consecutive ``width``-year periods ending in ``last_year``, oldest first."""
    return [(last_year - width * (n - i) + 1, last_year - width * (n - i - 1)) for i in range(n)]


def supplier_shifts(deliveries: pd.DataFrame, recipient: str, periods: list[tuple[int, int]],
                    top: int = SHIFT_TOP) -> pd.DataFrame:
    """Shares of ``recipient``'s imports by supplier in each period (columns "2005–2009", ...).

    Rows: every supplier that was among the ``top`` in at least one period, ordered by its share in the
    latest period (then the earlier ones); the others are summed in "Others". A period with no imports
    has NaN shares. ``frame.attrs["totals"]`` holds each period's total TIV (mn).
    """
    labels = [f"{a}–{b}" for a, b in periods]
    shares = {}
    totals = {}
    for (a, b), label in zip(periods, labels):
        rows = tiv.in_period(deliveries, a, b)
        by = rows[rows["recipient"] == recipient].groupby("supplier")["tiv_delivered_mn"].sum()
        by = by[by > 0]
        totals[label] = float(by.sum())
        shares[label] = by / by.sum() if by.sum() > 0 else by
    chosen: list[str] = []
    for label in labels:
        s = shares[label].sort_values(ascending=False, kind="stable")
        chosen += [x for x in s.index[:top] if x not in chosen]
    table = pd.DataFrame({label: shares[label].reindex(chosen).fillna(0.0) if totals[label] else float("nan")
                          for label in labels}, index=pd.Index(chosen, name="supplier"))
    table = table.sort_values(labels[::-1], ascending=False, kind="stable")
    others = {label: (1 - table[label].sum()) if totals[label] else float("nan") for label in labels}
    if any(v > 1e-9 for v in others.values() if v == v):
        table.loc["Others"] = pd.Series(others)
    table.attrs["totals"] = totals
    return table


def biggest_shift(table: pd.DataFrame) -> dict | None:
    """The supplier whose share rose most and the one whose share fell most between the last two
    periods with imports, as ``{"from", "to", "riser", "riser_before", "riser_after", "faller", ...}``."""
    cols = [c for c in table.columns if table.attrs.get("totals", {}).get(c, 0) > 0]
    if len(cols) < 2:
        return None
    before, after = cols[-2], cols[-1]
    t = table.drop(index="Others", errors="ignore")
    change = (t[after] - t[before]).sort_values(kind="stable")
    if change.empty:
        return None
    riser, faller = change.index[-1], change.index[0]
    return {"from": before, "to": after,
            "riser": riser, "riser_before": float(t.at[riser, before]), "riser_after": float(t.at[riser, after]),
            "faller": faller, "faller_before": float(t.at[faller, before]),
            "faller_after": float(t.at[faller, after]),
            "leader_before": t[before].idxmax(), "leader_after": t[after].idxmax()}
