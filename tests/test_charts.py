"""Charts: house style, empty data, determinism, no pyplot state."""
from __future__ import annotations

import itertools
import threading

import matplotlib
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from analysis.report import charts
from analysis.report.fragments import figure_svg

T = pd.Timestamp


def deliveries_table() -> pd.DataFrame:
    years = list(range(2018, 2023))
    return pd.DataFrame(
        {
            "Russia": [300.0, 250, 200, 120, 80],
            "Israel": [150.0, 160, 210, 190, 170],
            "Belarus": [0.0, 25, 80, 0, 12],
            "Türkiye": [10.0, 0, 60, 90, 140],
        },
        index=pd.Index(years, name="year"),
    )


def spells() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("Armenia", "member", T("2002-10-07"), T("2024-02-22")),
            ("Armenia", "participation frozen", T("2024-02-22"), pd.NaT),
            ("Belarus", "member", T("2002-10-07"), pd.NaT),
            ("Uzbekistan", "member", T("2006-08-16"), T("2008-12-20")),
            ("Uzbekistan", "suspended", T("2008-12-20"), T("2012-12-19")),
        ],
        columns=["country", "status", "start_date", "end_date"],
    )


def events() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (T("2020-09-27"), "Second Karabakh war begins", "military"),
            (T("2020-10-10"), "Humanitarian ceasefire announced in Moscow", "political"),
            (T("2020-11-10"), "Trilateral ceasefire statement signed", "political"),
            (T("2021-05-12"), "Border crisis on the Armenia–Azerbaijan border", "military"),
            (T("2022-09-13"), "Azerbaijani strikes on Armenian territory", "military"),
        ],
        columns=["event_date", "title", "kind"],
    )


def deliveries() -> pd.DataFrame:
    return pd.DataFrame(
        [(2018, 60.0, "Polonez MLRS"), (2020, 80.0, "Polonez-M"), (2020, 5.0, "Tor-M2"), (2022, 12.0, "")],
        columns=["year", "tiv_mn", "label"],
    )


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


BUILDERS = {
    "deliveries_by_year": lambda: charts.deliveries_by_year(deliveries_table(), highlight="Belarus"),
    "share_bars": lambda: charts.share_bars(pd.Series({"Russia": 0.5, "Belarus": 0.3, "Israel": 0.2}),
                                            highlight="Belarus"),
    "membership_timeline": lambda: charts.membership_timeline(spells(), highlight=["Armenia"]),
    "event_timeline": lambda: charts.event_timeline(events(), deliveries()),
}

EMPTY_BUILDERS = {
    "deliveries_by_year-no-rows": lambda: charts.deliveries_by_year(pd.DataFrame()),
    "deliveries_by_year-zero-filled": lambda: charts.deliveries_by_year(
        pd.DataFrame({"Belarus": [0.0] * 5}, index=range(2018, 2023))),
    "deliveries_by_year-years-no-columns": lambda: charts.deliveries_by_year(pd.DataFrame(index=range(2018, 2023))),
    "share_bars-empty": lambda: charts.share_bars(pd.Series(dtype=float)),
    "share_bars-zeros": lambda: charts.share_bars(pd.Series({"Belarus": 0.0})),
    "event_timeline-none": lambda: charts.event_timeline(None, None),
    "event_timeline-empty-frames": lambda: charts.event_timeline(
        pd.DataFrame(columns=["event_date", "title", "kind"]), pd.DataFrame(columns=["year", "tiv_mn", "label"])),
    "event_timeline-events-only": lambda: charts.event_timeline(events(), None),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_charts_are_plain_figures_with_a_title(name):
    fig = BUILDERS[name]()
    assert isinstance(fig, Figure)
    assert fig.canvas.manager is None  # not registered with pyplot
    assert fig._suptitle is not None and fig._suptitle.get_ha() == "left"
    width, _height = fig.get_size_inches()
    assert width == pytest.approx(16 / 2.54)
    figure_svg(fig)  # draws without error


@pytest.mark.parametrize("name", sorted(EMPTY_BUILDERS))
def test_charts_with_no_data_show_a_notice(name):
    fig = EMPTY_BUILDERS[name]()
    assert charts.EMPTY_DELIVERIES_TEXT in texts(fig)
    figure_svg(fig)


def test_membership_timeline_with_no_spells_shows_a_notice():
    fig = charts.membership_timeline(pd.DataFrame(columns=["country", "status", "start_date", "end_date"]))
    assert charts.EMPTY_MEMBERSHIP_TEXT in texts(fig)
    figure_svg(fig)


def test_house_style_is_restored_after_each_chart():
    before = dict(matplotlib.rcParams)
    BUILDERS["deliveries_by_year"]()
    assert matplotlib.rcParams["svg.hashsalt"] == before["svg.hashsalt"]
    assert matplotlib.rcParams["font.sans-serif"] == before["font.sans-serif"]


def test_house_style_settings():
    with charts.house_style():
        assert matplotlib.rcParams["font.sans-serif"][0] == "DejaVu Sans"
        assert matplotlib.rcParams["axes.spines.top"] is False
        assert matplotlib.rcParams["axes.spines.right"] is False
        assert matplotlib.rcParams["svg.hashsalt"]
        assert matplotlib.rcParams["text.parse_math"] is False


def test_deliveries_by_year_highlight_colour_units_and_integer_years():
    fig = charts.deliveries_by_year(deliveries_table(), highlight="Belarus")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "SIPRI TIV (millions)"
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    handles, labels = ax.get_legend_handles_labels()
    assert labels[0] == "Belarus"  # highlighted series sits at the bottom of the stack
    colours = {lab: to_hex(h.patches[0].get_facecolor()) for h, lab in zip(handles, labels)}
    assert colours["Belarus"] == charts.HIGHLIGHT
    assert all(c != charts.HIGHLIGHT for lab, c in colours.items() if lab != "Belarus")
    ticks = [t for t in ax.get_xticks()]
    assert ticks == [2018, 2019, 2020, 2021, 2022]
    FigureCanvasAgg(fig).draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2018", "2019", "2020", "2021", "2022"]


def test_deliveries_by_year_merges_small_series_into_others():
    table = pd.DataFrame({f"S{i}": [float(i + 1)] * 3 for i in range(10)}, index=[2020, 2021, 2022])
    fig = charts.deliveries_by_year(table, highlight="S0", max_series=4)
    _handles, labels = fig.axes[0].get_legend_handles_labels()
    assert labels == ["S0", "S9", "S8", "S7", "Others"]


def test_share_bars_top_n_others_and_percent_labels():
    shares = pd.Series({f"C{i}": v for i, v in enumerate([0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.01, 0.004, 0.002])})
    fig = charts.share_bars(shares, highlight="C1", top_n=5, value_label="share of imports")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["C0", "C1", "C2", "C3", "C4", "Others"]
    shown = texts(fig)
    assert "30%" in shown and "20%" in shown
    assert ax.get_xlabel() == "Share of imports"
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["C1"]
    widths = [p.get_width() for p in ax.patches if isinstance(p, Rectangle)]
    assert widths[:5] == sorted(widths[:5], reverse=True)
    assert widths[5] == pytest.approx(0.07 + 0.05 + 0.03 + 0.01 + 0.004 + 0.002)


def test_share_bars_small_shares_and_validation():
    fig = charts.share_bars(pd.Series({"A": 0.996, "B": 0.004}))
    assert "<1%" in texts(fig)
    with pytest.raises(ValueError):
        charts.share_bars(pd.Series({"A": 1.5}))


def test_membership_timeline_status_colours_highlight_and_ongoing():
    fig = charts.membership_timeline(spells(), highlight=["Armenia"], end="2025-12-31",
                                     events=pd.DataFrame({"date": [T("2022-09-13")], "label": ["CSTO declines help"]}))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Armenia", "Belarus", "Uzbekistan"]  # order of first appearance
    assert [t.get_fontweight() for t in ax.get_yticklabels()] == ["bold", "normal", "normal"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Member", "Member (highlighted)", "Participation frozen", "Suspended", "Ongoing"]
    hatches = {c.get_hatch() for c in ax.collections}
    assert {"////", "xxx"} <= hatches
    assert "CSTO declines help" in texts(fig)


def test_membership_timeline_is_reproducible_without_end():
    a = figure_svg(charts.membership_timeline(spells()))
    b = figure_svg(charts.membership_timeline(spells()))
    assert a == b  # the default end is taken from the data, never from "today"


def test_membership_timeline_rejects_unknown_status():
    bad = spells().assign(status="observer")
    with pytest.raises(ValueError, match="observer"):
        charts.membership_timeline(bad)


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_event_timeline_labels_do_not_overlap():
    crowded = pd.DataFrame(
        [(T("2020-09-27") + pd.Timedelta(days=12 * i), f"Event number {i} with a fairly long title", "political")
         for i in range(8)],
        columns=["event_date", "title", "kind"],
    )
    fig = charts.event_timeline(crowded, deliveries(), max_levels=10)  # keep every label
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax_ev = fig.axes[0]
    boxes = [t.get_window_extent(renderer) for t in ax_ev.texts if t.get_text().strip()]
    assert len(boxes) == 16  # date line + title per event
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlaps(a, b)
    fig_box = fig.bbox
    for box in boxes:  # nothing clipped at the figure edges
        assert box.x0 >= fig_box.x0 - 0.5 and box.x1 <= fig_box.x1 + 0.5


def test_event_timeline_sums_deliveries_per_year_and_labels_them():
    fig = charts.event_timeline(events(), deliveries())
    ax = fig.axes[1]
    heights = sorted(p.get_height() for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0)
    assert heights == [12.0, 60.0, 85.0]
    assert any("Polonez-M; Tor-M2" in " ".join(t.split()) for t in texts(fig))
    assert ax.get_ylabel() == "SIPRI TIV (millions)"


def test_dollar_signs_and_backslashes_are_not_mathtext():
    table = pd.DataFrame({r"$\alpha$ \textbf{x}": [1.0, 2.0]}, index=[2021, 2022])
    svg = figure_svg(charts.deliveries_by_year(table, highlight=r"$\alpha$ \textbf{x}"))
    assert r"$\alpha$ \textbf{x}" in svg


def test_svg_is_deterministic_and_text_stays_text():
    a = figure_svg(BUILDERS["event_timeline"]())
    b = figure_svg(BUILDERS["event_timeline"]())
    assert a == b
    assert "Second Karabakh war begins" in a
    assert "DejaVu Sans" in a


def test_charts_can_be_built_from_several_threads():
    expected = figure_svg(BUILDERS["deliveries_by_year"]())
    results: list[str] = []
    errors: list[BaseException] = []

    def work():
        try:
            results.append(figure_svg(BUILDERS["deliveries_by_year"]()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [expected] * 4


def many_events(n: int) -> pd.DataFrame:
    start = T("2016-01-10")
    rows = [(start + pd.Timedelta(days=int(d)), f"Event {i + 1}: a fairly long title about what happened", k)
            for i, (d, k) in enumerate(zip(
                [i * 120 for i in range(n - 5)] + [3000, 3002, 3004, 3006, 3008], itertools.cycle(["war", "arms"])))]
    return pd.DataFrame(rows, columns=["event_date", "title", "kind"])


def test_event_timeline_numbers_many_events_and_lists_them_in_a_key():
    fig = charts.event_timeline(many_events(23), deliveries())
    assert len(fig.axes) == 3  # events, bars, key
    width, height = fig.get_size_inches()
    assert height < 8.5  # fits on an A4 page with its caption
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ev_labels = [t.get_text() for t in fig.axes[0].texts]
    assert "19\u201323" in ev_labels  # five events within days of each other share one label
    key = fig.axes[2].texts
    assert any(t.get_text().startswith("10 Jan 2016: Event 1") for t in key)
    boxes = [t.get_window_extent(renderer) for t in list(fig.axes[0].texts) + list(key)]
    legend = fig.legends[0].get_window_extent(renderer)
    bars = fig.axes[1].get_tightbbox(renderer)  # bars, tick labels, axis label
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlaps(a, b)
    for box in boxes:  # the key and the event labels stay clear of the legend and of the bars panel
        assert not _overlaps(box, legend) and not _overlaps(box, bars)
    for box in boxes:
        assert box.x1 <= fig.bbox.x1 + 0.5 and box.y0 >= fig.bbox.y0 - 0.5


def test_event_timeline_switches_to_numbers_when_labels_would_tower():
    dense = pd.DataFrame([(T("2020-01-01") + pd.Timedelta(days=20 * i), f"Long event title number {i}", "war")
                          for i in range(8)], columns=["event_date", "title", "kind"])
    fig = charts.event_timeline(dense, deliveries(), max_levels=3)
    assert len(fig.axes) == 3


def test_event_dates_are_only_as_precise_as_known():
    ev = pd.DataFrame({"event_date": [T("2024-05-01"), T("2016-01-01"), T("2020-09-27")],
                       "event_date_precision": ["month", "year", "day"],
                       "title": ["A", "B", "C"], "kind": ["x", "x", "x"]})
    shown = texts(charts.event_timeline(ev, deliveries()))
    assert "May 2024" in shown and "2016" in shown and "27 Sep 2020" in shown
    assert "1 May 2024" not in shown and "1 Jan 2016" not in shown


def test_svg_is_identical_across_processes():
    """Builds run in fresh processes: memory layout and hash seeds must not leak into the SVG."""
    import hashlib
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    code = ("import hashlib, test_charts as t; from analysis.report.fragments import figure_svg; "
            "print(hashlib.sha256(figure_svg(t.charts.event_timeline(t.many_events(23), t.deliveries()))"
            ".encode()).hexdigest())")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(here.parent), str(here)]), PYTHONHASHSEED="random")
    digests = {subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                              timeout=300).stdout.strip() for _ in range(2)}
    local = hashlib.sha256(figure_svg(charts.event_timeline(many_events(23), deliveries())).encode()).hexdigest()
    assert digests == {local}
