"""The house style of every chart: palette, fonts, sizes, the style lock, layout and text helpers.

See the package docstring (:mod:`analysis.report.charts`) for the style and its determinism.
"""
from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from typing import Iterator

import matplotlib
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath


# --------------------------------------------------------------------------- palette
INK = "#1a1a1a"
INK_SOFT = "#4a4a4a"
MUTED_TEXT = "#6b6b6b"
AXIS = "#8c8c8c"
GRID = "#e4e4e4"
#: The one highlight colour (also the accent colour of the HTML/PDF brief).
HIGHLIGHT = "#1d5a8e"
HIGHLIGHT_LIGHT = "#8fb2d1"
#: Muted colours for everything that is not highlighted, alternating cool and
#: warm greys so that neighbouring stack segments stay distinguishable.
NEUTRALS = ("#9aa5af", "#d6cebf", "#6f7c87", "#b7c2a8", "#a8997f", "#c9d4de", "#847a6b")
OTHERS_COLOUR = "#e8e8e8"

FONT = "DejaVu Sans"
FIG_WIDTH_IN = 16 / 2.54  # one A4 text column
TITLE_SIZE = 9.5
BASE_SIZE = 8.0
SMALL_SIZE = 7.0

TIV_AXIS_LABEL = "SIPRI TIV (millions)"
EMPTY_DELIVERIES_TEXT = "No registered deliveries in this period"
EMPTY_MEMBERSHIP_TEXT = "No membership records in this period"

STATUS_STYLE = {
    # status: (face colour, hatch, edge colour, legend label)
    "member": ("#6f8596", "", "#6f8596", "Member"),
    "participation frozen": ("#f1e6d0", "////", "#9c7a3c", "Participation frozen"),
    "suspended": ("#f3dcd8", "xxx", "#a4453b", "Suspended"),
}

HOUSE_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": BASE_SIZE,
    "text.color": INK,
    "axes.titlesize": TITLE_SIZE,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": BASE_SIZE,
    "axes.labelcolor": INK_SOFT,
    "axes.edgecolor": AXIS,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,  # switched on per chart for the value axis only
    "axes.axisbelow": True,
    "axes.facecolor": "white",
    "axes.prop_cycle": matplotlib.cycler(color=list(NEUTRALS)),
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.color": AXIS,
    "ytick.color": AXIS,
    "xtick.labelcolor": INK_SOFT,
    "ytick.labelcolor": INK_SOFT,
    "xtick.labelsize": SMALL_SIZE + 0.5,
    "ytick.labelsize": SMALL_SIZE + 0.5,
    "xtick.major.size": 2.5,
    "ytick.major.size": 0,
    "xtick.major.width": 0.6,
    "legend.frameon": False,
    "legend.fontsize": SMALL_SIZE + 0.5,
    "legend.handlelength": 1.2,
    "legend.handleheight": 0.9,
    "legend.columnspacing": 1.4,
    "hatch.linewidth": 0.6,
    "figure.facecolor": "white",
    "figure.titlesize": TITLE_SIZE,
    "figure.titleweight": "bold",
    "figure.constrained_layout.h_pad": 0.06,
    "figure.constrained_layout.w_pad": 0.06,
    "savefig.facecolor": "white",
    "svg.fonttype": "none",          # real <text>: small SVGs, fast PDF layout, searchable text
    "text.parse_math": False,        # "$...$" in data is shown literally, never as mathtext
    "svg.hashsalt": "armsbrief",     # fixed salt: deterministic clip-path ids
    "svg.image_inline": True,
    "path.simplify": True,
}

STYLE_LOCK = threading.RLock()
# White box behind annotation text so that stems and marker lines never run through it.
LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 1.0}


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house rcParams (and hold the module lock) for the duration.

    Re-entrant: chart functions use it and so does the SVG renderer of
    :mod:`analysis.report.fragments`; a caller may wrap both in one block.
    """
    with STYLE_LOCK, matplotlib.rc_context(HOUSE_RC):
        yield


# --------------------------------------------------------------------------- helpers
def new_figure(height_in: float) -> Figure:
    return Figure(figsize=(FIG_WIDTH_IN, height_in), layout="constrained")


def freeze_layout(fig: Figure, *, laid_out: bool = False) -> None:
    """Run the figure's layout engine once and fix the result (layout engine "none").

    Constrained layout nudges positions on every draw, so without this the same figure would not
    render the same twice; the solver also leaves ~1e-12 noise that depends on memory layout (set
    iteration order), rounded away here so that the SVG (whose clip-path ids hash full-precision
    geometry) is byte-identical. A figure already frozen is left as it is. ``laid_out``: the engine
    has just run on the figure at its current size, so only the fixing is left to do.
    """
    engine = fig.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine):
        return
    if not laid_out:
        engine.execute(fig)
    for ax in fig.get_axes():
        ax.set_position([round(v, 6) for v in ax.get_position().bounds], which="both")
    fig.set_layout_engine("none")


def fit_panels(fig: Figure, panels: list, heights: list[float]) -> None:
    """Grow ``fig`` so that its stacked ``panels`` get their planned ``heights`` (inches), then freeze it.

    Constrained layout gives the panels what the title, tick labels and legend leave, in proportion
    to their height ratios; the texts placed inside the panels are kept out of the layout (measuring
    them costs more than the rest of the chart), so the panels must really be as tall as planned.
    """
    engine = fig.get_layout_engine()
    for _ in range(3):
        engine.execute(fig)
        short = sum(heights) - sum(ax.get_position().height for ax in panels) * fig.get_figheight()
        if short <= 0.005:
            freeze_layout(fig, laid_out=True)
            return
        fig.set_figheight(fig.get_figheight() + short)
    freeze_layout(fig)


def set_title(fig: Figure, title: str | None) -> None:
    if title:
        fig.suptitle(title, x=0.012, ha="left", fontsize=TITLE_SIZE, fontweight="bold", color=INK)


def empty_notice(ax, text: str) -> None:
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
        fontsize=BASE_SIZE + 0.5, color=MUTED_TEXT, style="italic",
    )


def blank_axes(ax) -> None:
    ax.set_axis_off()


def as_set(values) -> set:
    if values is None:
        return set()
    if isinstance(values, str):
        return {values}
    return set(values)


def neutral(i: int) -> str:
    return NEUTRALS[i % len(NEUTRALS)]


def fmt_tiv(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.0f}"
    return f"{value:.1f}"


def thousands(x, _pos=None) -> str:
    return f"{x:,.0f}" if abs(x) >= 1 or x == 0 else f"{x:.1f}"


def text_width_pt(text: str, size: float, weight: str = "normal") -> float:
    """Width of the widest line of ``text`` in points, measured from the glyph outlines."""
    prop = FontProperties(family=FONT, size=size, weight=weight)
    widest = 0.0
    for line in str(text).split("\n"):
        if line.strip():
            widest = max(widest, TextPath((0, 0), line, size=size, prop=prop).get_extents().width)
    return widest


def stagger(xs: list[float], widths: list[float], xmax: float, gap: float) -> list[tuple[int, str]]:
    """Assign each label (sorted by x) a level and alignment so that none overlap.

    A label starts at its x and runs right; if it would leave the plot it is
    right-aligned on its x instead. Returns ``(level, ha)`` per label.
    """
    level_ends: list[float] = []
    placed: list[tuple[int, str]] = []
    for x, width in zip(xs, widths):
        if x + width <= xmax:
            ha, left, right = "left", x, x + width
        else:
            ha, left, right = "right", x - width, x
        for level, end in enumerate(level_ends):
            if left > end + gap:
                level_ends[level] = right
                placed.append((level, ha))
                break
        else:
            level_ends.append(right)
            placed.append((len(level_ends) - 1, ha))
    return placed


def year_ticks(years: list[int], max_ticks: int = 12) -> list[int]:
    if not years:
        return []
    step = max(1, math.ceil(len(years) / max_ticks))
    return years[::step]


# --------------------------------------------------------------------------- charts
