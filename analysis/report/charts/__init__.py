"""Every chart of the briefs, in one house style: ``style`` (palette, fonts, layout helpers), ``bars``
(TIV by year and shares), ``timelines`` (membership and events).

All functions build a :class:`matplotlib.figure.Figure` through the object API
(no ``pyplot``, no ``plt.show``), so they do not depend on a backend or on
pyplot's global figure registry. Matplotlib's ``rcParams`` are still global, so
the house style is applied with :func:`house_style`, which holds a module lock
while the rc context is active: charts built in several threads are serialised
(each process has its own lock and its own rcParams).

House style: DejaVu Sans (covers Latin, Cyrillic and the Azerbaijani schwa),
a muted grey palette with one highlight colour, no top/right spines, a light
value grid, left-aligned titles, units on the value axis and a fixed width of
16 cm (one A4 text column). Every chart copes with empty data by drawing a
centred notice instead of failing.

The SVG output is made byte-deterministic by :func:`house_style` too
(``svg.hashsalt`` is fixed); :func:`analysis.report.fragments.figure` renders
figures inside it. SVG text stays text (``svg.fonttype="none"``, font
"DejaVu Sans"): WeasyPrint lays it out with the installed DejaVu fonts, so the
PDF's chart labels are real, searchable text. Mathtext is off
(``text.parse_math=False``): a "$" in a label is just a dollar sign.
"""
from analysis.report.charts.bars import deliveries_by_year, share_bars
from analysis.report.charts.style import (EMPTY_DELIVERIES_TEXT, EMPTY_MEMBERSHIP_TEXT, FIG_WIDTH_IN, HIGHLIGHT, NEUTRALS, TIV_AXIS_LABEL,
                                         freeze_layout, house_style)
from analysis.report.charts.timelines import event_timeline, membership_timeline
from analysis.report.charts.trends import paired_share_bars, world_totals_chart

__all__ = [
    "HIGHLIGHT",
    "NEUTRALS",
    "FIG_WIDTH_IN",
    "TIV_AXIS_LABEL",
    "EMPTY_DELIVERIES_TEXT",
    "EMPTY_MEMBERSHIP_TEXT",
    "house_style",
    "freeze_layout",
    "deliveries_by_year",
    "share_bars",
    "membership_timeline",
    "event_timeline",
    "world_totals_chart",
    "paired_share_bars",
]
