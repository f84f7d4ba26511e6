"""Timelines: alliance membership spells and dated political events."""
from __future__ import annotations

import textwrap
from collections.abc import Iterable

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from analysis.report.charts.style import (
    AXIS, EMPTY_DELIVERIES_TEXT, EMPTY_MEMBERSHIP_TEXT, FIG_WIDTH_IN, HIGHLIGHT, INK, INK_SOFT, LABEL_BOX, MUTED_TEXT, SMALL_SIZE, STATUS_STYLE, TITLE_SIZE, TIV_AXIS_LABEL, as_set, blank_axes, empty_notice, fit_panels, fmt_tiv, house_style, new_figure, set_title, stagger, text_width_pt, thousands,
)


def _to_timestamp(value) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return None if pd.isna(ts) else ts


def membership_timeline(
    spells: pd.DataFrame,
    highlight: Iterable[str] = (),
    start=None,
    end=None,
    events: pd.DataFrame | None = None,
    *,
    title: str | None = "Alliance membership",
    empty_text: str = EMPTY_MEMBERSHIP_TEXT,
) -> Figure:
    """One row per country, membership spells as bars coloured and hatched by status.

    ``spells``: columns ``country``, ``status`` (member | participation frozen |
    suspended), ``start_date``, ``end_date`` (NaT = ongoing, drawn to ``end``
    and marked with an arrow). Rows keep the order in which countries first
    appear. ``start``/``end`` default to the earliest/latest date in the data
    (never "today", so the chart is reproducible). ``events``: optional
    DataFrame with ``date`` and ``label`` drawn as dashed vertical markers.
    """
    highlighted = as_set(highlight)
    with house_style():
        data = spells.copy() if spells is not None else pd.DataFrame(
            columns=["country", "status", "start_date", "end_date"])
        ev = events.copy() if events is not None else pd.DataFrame(columns=["date", "label"])
        if len(data):
            unknown = sorted(set(data["status"].astype(str)) - set(STATUS_STYLE))
            if unknown:
                raise ValueError(f"unknown membership status(es) {unknown}; "
                                 f"expected one of {sorted(STATUS_STYLE)}")
            data["start_date"] = pd.to_datetime(data["start_date"])
            data["end_date"] = pd.to_datetime(data["end_date"])
        if len(ev):
            ev["date"] = pd.to_datetime(ev["date"])

        known = [d for d in list(data.get("start_date", [])) + list(data.get("end_date", []))
                 + list(ev.get("date", [])) if not pd.isna(d)]
        t0 = _to_timestamp(start) or (min(known) if known else None)
        t1 = _to_timestamp(end) or (max(known) if known else None)
        if t0 is not None and t1 is not None and end is None and t1 <= t0:
            t1 = t0 + pd.DateOffset(years=1)
        if t0 is not None and t1 is not None and len(data):
            visible = data["start_date"].le(t1) & (data["end_date"].isna() | data["end_date"].ge(t0))
            data = data[visible]
        countries = list(dict.fromkeys(data["country"].astype(str))) if len(data) else []

        fig = new_figure(1.25 + 0.27 * max(len(countries), 3))
        ax = fig.add_subplot()
        set_title(fig, title)
        if not countries or t0 is None or t1 is None:
            blank_axes(ax)
            empty_notice(ax, empty_text)
            return fig

        row = {c: i for i, c in enumerate(countries)}
        span = (t1 - t0).days or 1
        ongoing_seen = False
        statuses_seen = []
        for rec in data.itertuples(index=False):
            status = str(rec.status)
            face, hatch, edge, _ = STATUS_STYLE[status]
            if status == "member" and str(rec.country) in highlighted:
                face = edge = HIGHLIGHT
            s = max(rec.start_date, t0)
            ongoing = pd.isna(rec.end_date)
            e = t1 if ongoing else min(rec.end_date, t1)
            if e < s:
                continue
            y = row[str(rec.country)]
            ax.broken_barh([(mdates.date2num(s), mdates.date2num(e) - mdates.date2num(s))],
                           (y - 0.3, 0.6), facecolors=face, edgecolors=edge, hatch=hatch or None,
                           linewidth=0.6)
            if status not in statuses_seen:
                statuses_seen.append(status)
            if ongoing:
                ongoing_seen = True
                ax.plot([mdates.date2num(e)], [y], marker=">", markersize=4.5, color=INK_SOFT,
                        clip_on=False, linestyle="none")

        ax.set_ylim(len(countries) - 0.5, -0.5)
        ax.set_yticks(range(len(countries)), labels=countries)
        for tick, country in zip(ax.get_yticklabels(), countries):
            if country in highlighted:
                tick.set_fontweight("bold")
                tick.set_color(INK)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        pad = span * 0.01
        ax.set_xlim(mdates.date2num(t0) - pad, mdates.date2num(t1) + pad * 2.5)
        years = span / 365.25
        ax.xaxis.set_major_locator(_year_locator(ax, base=1 if years <= 12 else (2 if years <= 24 else 5)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.grid(axis="x")

        if len(ev):
            ev = ev[(ev["date"] >= t0) & (ev["date"] <= t1)].sort_values("date", kind="stable")
        if len(ev):
            axis_w_pt = (FIG_WIDTH_IN - 1.6) * 72
            per_pt = (span + 3.5 * pad) / axis_w_pt
            xs = [mdates.date2num(d) for d in ev["date"]]
            widths = [text_width_pt(str(l), SMALL_SIZE) * per_pt for l in ev["label"]]
            placed = stagger(xs, widths, mdates.date2num(t1) + pad * 2.5, gap=6 * per_pt)
            levels = max(level for level, _ in placed) + 1
            head = 0.55 * levels + 0.2
            ax.set_ylim(len(countries) - 0.5, -0.5 - head)
            for x, label, (level, ha) in zip(xs, ev["label"], placed):
                ytext = -0.5 - head + 0.1 + 0.55 * level
                ax.plot([x, x], [ytext + 0.3, len(countries) - 0.5], color=INK_SOFT,
                        linewidth=0.7, linestyle=(0, (3, 2)), zorder=3)
                ax.text(x + (2 * per_pt if ha == "left" else -2 * per_pt), ytext, str(label),
                        ha=ha, va="top", fontsize=SMALL_SIZE, color=INK, zorder=4, bbox=LABEL_BOX)

        handles = [Patch(facecolor=STATUS_STYLE[s][0], edgecolor=STATUS_STYLE[s][2],
                         hatch=STATUS_STYLE[s][1] or None, linewidth=0.6, label=STATUS_STYLE[s][3])
                   for s in STATUS_STYLE if s in statuses_seen]
        if highlighted & set(countries) and "member" in statuses_seen:
            handles.insert(1, Patch(facecolor=HIGHLIGHT, edgecolor=HIGHLIGHT,
                                    label="Member (highlighted)"))
        if ongoing_seen:
            handles.append(Line2D([], [], marker=">", markersize=4.5, color=INK_SOFT,
                                  linestyle="none", label="Ongoing"))
        fig.legend(handles=handles, loc="outside lower left", ncols=len(handles), frameon=False)
        return fig


def _event_date_text(moment: pd.Timestamp, precision=None) -> str:
    """A date only as precise as it is known: "2 Apr 2016", "Apr 2016" or "2016"."""
    if precision == "year":
        return f"{moment:%Y}"
    if precision == "month":
        return f"{moment:%b %Y}"
    return f"{moment.day} {moment:%b %Y}"


def _year_locator(ax, base: int) -> FixedLocator:
    """Ticks on 1 January of every ``base``-th year inside the axis' current x limits (date axis): the
    ticks of ``mdates.YearLocator(base)``, without its rrule machinery (slow, and run on every draw)."""
    lo, hi = sorted(ax.get_xlim())
    first, last = mdates.num2date(lo).year, mdates.num2date(hi).year + 1
    ticks = [mdates.date2num(pd.Timestamp(year, 1, 1)) for year in range(first, last + 1) if year % base == 0]
    return FixedLocator([t for t in ticks if lo <= t <= hi])


def _event_key_columns(entries: list[tuple[str, str]], width_chars: int) -> tuple[list[list[tuple[str, str, int]]], int]:
    """Split numbered key entries into two columns balanced by line count."""
    wrapped = [(num, "\n".join(textwrap.wrap(text, width_chars)) or " ") for num, text in entries]
    counts = [t.count("\n") + 1 for _, t in wrapped]
    total = sum(counts)
    columns: list[list[tuple[str, str, int]]] = [[], []]
    running = 0
    for (num, text), n in zip(wrapped, counts):
        col = 0 if running + n / 2 <= total / 2 or not columns[0] else 1
        columns[col].append((num, text, n))
        if col == 0:
            running += n
    lines = max(sum(n for *_, n in col) for col in columns)
    return columns, lines


def event_timeline(
    events: pd.DataFrame,
    deliveries: pd.DataFrame,
    *,
    title: str | None = "Political events and registered deliveries",
    value_label: str = TIV_AXIS_LABEL,
    empty_text: str = EMPTY_DELIVERIES_TEXT,
    wrap: int = 30,
    max_labels: int = 10,
    max_levels: int = 4,
    key: bool = True,
) -> Figure:
    """Political events above, yearly TIV deliveries below, on one time axis.

    ``events``: ``event_date`` (datetime64), ``title``, ``kind`` and optionally
    ``event_date_precision`` (day | month | year: dates are printed only as
    precisely as they are known; a month-precise date is placed on the first
    of the month, as stored). Each event is
    a marker on a baseline with a stem to its label; labels are staggered on
    as many levels as needed so that none overlap, and flip to the left of
    their date near the right edge. With more than ``max_labels`` events, or
    when the labels would need more than ``max_levels`` tiers, the markers are
    numbered instead (events a few days apart share one label, "17–23") and
    the dated titles are listed in a two-column key under the chart, so the
    figure stays readable and within a page. ``deliveries``:
    ``year``, ``tiv_mn``, ``label`` (rows of one year are summed, labels
    joined). Event dates are repeated as faint dashed lines across the bars
    (when they are labelled). ``key=False`` leaves the key out when a table
    beside the chart lists the events with the same numbers (1 = earliest).
    """
    with house_style():
        ev = events.copy() if events is not None else pd.DataFrame(columns=["event_date", "title", "kind"])
        dl = deliveries.copy() if deliveries is not None else pd.DataFrame(columns=["year", "tiv_mn", "label"])
        if len(ev):
            ev["event_date"] = pd.to_datetime(ev["event_date"])
            ev = ev.dropna(subset=["event_date"]).sort_values("event_date", kind="stable")
            if "kind" not in ev:
                ev["kind"] = ""
            ev["kind"] = ev["kind"].fillna("").astype(str)
        if len(dl):
            dl["tiv_mn"] = pd.to_numeric(dl["tiv_mn"], errors="coerce").fillna(0.0)
            dl["year"] = dl["year"].astype(int)
            if "label" not in dl:
                dl["label"] = ""
            dl["label"] = dl["label"].fillna("").astype(str)
            per_year = (dl.groupby("year", sort=True)
                        .agg(tiv_mn=("tiv_mn", "sum"),
                             label=("label", lambda s: "; ".join(dict.fromkeys(x for x in s if x)))))
        else:
            per_year = pd.DataFrame(columns=["tiv_mn", "label"])
        has_bars = len(per_year) > 0 and float(per_year["tiv_mn"].sum()) > 0

        if not len(ev) and not len(per_year):
            fig = new_figure(2.2)
            ax = fig.add_subplot()
            set_title(fig, title)
            blank_axes(ax)
            empty_notice(ax, empty_text)
            return fig

        dates = list(ev["event_date"]) if len(ev) else []
        if len(per_year):
            dates += [pd.Timestamp(int(min(per_year.index)), 1, 1),
                      pd.Timestamp(int(max(per_year.index)), 12, 31)]
        t0 = pd.Timestamp(min(dates).year, 1, 1)
        t1 = pd.Timestamp(max(dates).year, 12, 31)
        x0, x1 = mdates.date2num(t0), mdates.date2num(t1)
        pad = (x1 - x0) * 0.015
        xmin, xmax = x0 - pad, x1 + pad

        # Lay the event labels out before sizing the figure.
        axis_w_pt = (FIG_WIDTH_IN - 1.0) * 72
        per_pt = (xmax - xmin) / axis_w_pt
        line_h = SMALL_SIZE * 1.25 / 72  # inches per text line
        event_xs = [mdates.date2num(d) for d in ev["event_date"]] if len(ev) else []
        precisions = ev["event_date_precision"] if "event_date_precision" in ev else [None] * len(ev)
        date_texts = [_event_date_text(d, p) for d, p in zip(ev["event_date"], precisions)] if len(ev) else []

        def layout(numbered: bool):
            labels = []  # (x, first line, rest) per label
            key_entries = []
            if numbered:
                # Events closer than a two-digit label share one label ("17–23").
                close = (text_width_pt("00", SMALL_SIZE - 0.5) + 4) * per_pt
                clusters: list[list[int]] = []
                for i, x in enumerate(event_xs):
                    if clusters and x - event_xs[clusters[-1][-1]] < close:
                        clusters[-1].append(i)
                    else:
                        clusters.append([i])
                for members in clusters:
                    first, last = members[0] + 1, members[-1] + 1
                    text = str(first) if first == last else (f"{first}, {last}" if last == first + 1
                                                             else f"{first}\u2013{last}")
                    labels.append((event_xs[members[0]], "", text))
                for i, (rec, when) in enumerate(zip(ev.itertuples(index=False), date_texts), start=1):
                    key_entries.append((str(i), f"{when}: {rec.title}"))
            else:
                for rec, x, when in zip(ev.itertuples(index=False), event_xs, date_texts):
                    text = "\n".join(textwrap.wrap(str(rec.title), wrap)) or " "
                    labels.append((x, when, text))
            widths = [max(text_width_pt(d, SMALL_SIZE - 0.5), text_width_pt(t, SMALL_SIZE)) * per_pt
                      for _, d, t in labels]
            placed = stagger([x for x, _, _ in labels], widths, xmax, gap=(3 if numbered else 8) * per_pt)
            line_counts = [t.count("\n") + (1 if numbered else 2) for _, _, t in labels]
            level_lines: dict[int, int] = {}
            for (level, _), n in zip(placed, line_counts):
                level_lines[level] = max(level_lines.get(level, 0), n)
            return labels, key_entries, placed, level_lines

        # Label every event where that stays readable, else number them and add a key.
        numbered = len(ev) > max_labels
        labels, key_entries, placed, level_lines = layout(numbered)
        if not numbered and len(level_lines) > max_levels:
            numbered = True
            labels, key_entries, placed, level_lines = layout(True)
        n_levels = len(level_lines)
        level_h = [level_lines[i] * line_h + (0.05 if numbered else 0.08) for i in range(n_levels)]
        events_h = (sum(level_h) + 0.25) if labels else 0.45

        key_size = SMALL_SIZE - 0.5
        key_line_pt = key_size * 1.32
        show_key = numbered and key
        key_columns, key_lines = _event_key_columns(key_entries, 52) if show_key else ([[], []], 0)
        key_h = key_lines * key_line_pt / 72 + 0.12 if show_key else 0.0
        bars_h = 2.0 if numbered else 2.3
        heights = [events_h, bars_h] + ([key_h] if show_key else [])

        fig = new_figure(TITLE_SIZE / 72 + 0.4 + sum(heights))
        grid = fig.add_gridspec(len(heights), 1, height_ratios=heights)
        ax_ev = fig.add_subplot(grid[0])
        ax = fig.add_subplot(grid[1], sharex=ax_ev)
        set_title(fig, title)

        # --- events panel (its labels are staggered inside it, so the layout need not measure them)
        ax_ev.set_ylim(0, events_h)
        ax_ev.set_yticks([])
        for side in ("left", "bottom"):
            ax_ev.spines[side].set_visible(False)
        ax_ev.tick_params(axis="x", length=0, labelbottom=False)
        ax_ev.axhline(0.06, color=AXIS, linewidth=0.6)
        kinds = list(dict.fromkeys(ev["kind"])) if len(ev) else []
        markers = ["o", "D", "s", "^", "v", "P"]
        kind_colours = [HIGHLIGHT, "#a4453b", "#6f7c87", "#9c7a3c", "#4a4a4a", "#8fb2d1"]
        kind_style = {k: (markers[i % len(markers)], kind_colours[i % len(kind_colours)])
                      for i, k in enumerate(kinds)}
        tops = [0.2 + sum(level_h[:i + 1]) for i in range(n_levels)]
        for x, kind in zip(event_xs, ev["kind"] if len(ev) else []):
            marker, colour = kind_style[kind]
            ax_ev.plot([x], [0.06], marker=marker, markersize=4.2, color=colour,
                       markeredgecolor="white", markeredgewidth=0.5, zorder=3, clip_on=False)
        for (x, dtext, ttext), (level, ha) in zip(labels, placed):
            y_top = tops[level]
            ax_ev.plot([x, x], [0.06, y_top], color=AXIS, linewidth=0.6, zorder=1)
            dx = 1.5 * per_pt * (1 if ha == "left" else -1)
            if numbered:
                ax_ev.text(x + dx, y_top, ttext, ha=ha, va="top", fontsize=SMALL_SIZE - 0.5,
                           fontweight="bold", color=INK, zorder=4, bbox=LABEL_BOX, in_layout=False)
                continue
            ax_ev.text(x + dx, y_top, dtext, ha=ha, va="top", fontsize=SMALL_SIZE - 0.5,
                       color=MUTED_TEXT, zorder=4, bbox=LABEL_BOX, in_layout=False)
            ax_ev.text(x + dx, y_top - line_h * 1.05, ttext, ha=ha, va="top", fontsize=SMALL_SIZE,
                       color=INK, linespacing=1.15, zorder=4, bbox=LABEL_BOX, in_layout=False)
        if not labels:
            empty_notice(ax_ev, "No political events recorded in this period")
        if len(kinds) > 1 or (kinds and kinds[0] not in ("", "nan")):
            handles = [Line2D([], [], marker=kind_style[k][0], color=kind_style[k][1],
                              markeredgecolor="white", linestyle="none", markersize=5,
                              label=k[:1].upper() + k[1:]) for k in kinds]
            fig.legend(handles=handles, loc="outside lower left", ncols=min(len(handles), 6),
                       frameon=False)

        # --- deliveries panel
        ax.grid(axis="y")
        ax.set_ylabel(value_label)
        ax.spines["left"].set_visible(False)
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.set_xlim(xmin, xmax)
        span_years = t1.year - t0.year + 1
        ax.xaxis.set_major_locator(_year_locator(ax, base=1 if span_years <= 12 else (2 if span_years <= 24 else 5)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        if not numbered:
            for x in event_xs:
                ax.axvline(x, color=AXIS, linewidth=0.5, linestyle=(0, (2, 2)), zorder=0.5)
        if has_bars:
            centres = [mdates.date2num(pd.Timestamp(int(y), 7, 2)) for y in per_year.index]
            values = per_year["tiv_mn"].to_numpy(dtype=float)
            ax.bar(centres, values, width=240, color=HIGHLIGHT, zorder=2)
            top = float(values.max())
            n_label_lines = 1
            for c, v, lab in zip(centres, values, per_year["label"]):
                if v <= 0:
                    continue
                wrapped = "\n".join(textwrap.wrap(lab, 16)[:3])
                n_label_lines = max(n_label_lines, wrapped.count("\n") + 2 if wrapped else 1)
                text = fmt_tiv(v) + ("\n" + wrapped if wrapped else "")
                ax.annotate(text, (c, v), xytext=(0, 2), textcoords="offset points", ha="center",
                            va="bottom", fontsize=SMALL_SIZE - 0.5, color=INK_SOFT, linespacing=1.1,
                            bbox=LABEL_BOX, zorder=4)
            ax.set_ylim(0, top * (1.12 + 0.12 * n_label_lines))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, min_n_ticks=3))
        else:
            ax.set_ylim(0, 1)
            ax.set_yticks([])
            empty_notice(ax, empty_text)

        # --- key of numbered events
        panels = [ax_ev, ax]
        if show_key:
            ax_key = fig.add_subplot(grid[2])
            ax_key.set_axis_off()
            # One text object per line, placed in points from the top: exact spacing
            # whatever height the layout gives this panel (sized for them above, so the
            # layout need not measure them).
            for col, entries in enumerate(key_columns):
                x_num = 0.025 + 0.5 * col
                y_pt = 4.0
                for num, text, _n in entries:
                    ax_key.annotate(num, (x_num, 1), xycoords="axes fraction", xytext=(0, -y_pt),
                                    textcoords="offset points", ha="right", va="top", fontsize=key_size,
                                    fontweight="bold", color=INK, in_layout=False)
                    for line in text.split("\n"):
                        ax_key.annotate(line, (x_num, 1), xycoords="axes fraction", xytext=(4, -y_pt),
                                        textcoords="offset points", ha="left", va="top",
                                        fontsize=key_size, color=INK_SOFT, in_layout=False)
                        y_pt += key_line_pt
            panels.append(ax_key)
        fit_panels(fig, panels, heights)
        return fig
