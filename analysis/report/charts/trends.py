"""Charts of the trends report: annual world totals with the five-year moving average, and shares of
two periods side by side (exporters, importers, regions). House style of :mod:`.style`."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.report.charts.style import (
    AXIS, EMPTY_DELIVERIES_TEXT, GRID, HIGHLIGHT, HIGHLIGHT_LIGHT, INK, INK_SOFT, NEUTRALS, SMALL_SIZE, TIV_AXIS_LABEL,
    as_set, blank_axes, empty_notice, house_style, new_figure, set_title, thousands, year_ticks,
)

PREVIOUS_COLOUR = NEUTRALS[5]


def _percent(value: float) -> str:
    return "<0.1%" if 0 < value < 0.0005 else f"{100 * value:.1f}%" if value < 0.1 else f"{100 * value:.0f}%"


def world_totals_chart(totals: pd.Series, moving: pd.Series, period: tuple[int, int] | None = None,
                       title: str | None = "Transfers of major arms, world total by year",
                       *, moving_label: str = "Five-year moving average",
                       value_label: str = TIV_AXIS_LABEL, empty_text: str = EMPTY_DELIVERIES_TEXT) -> Figure:
    """Bars of the yearly world totals and a line of their moving average.

    ``totals`` and ``moving`` are indexed by consecutive years (``analysis.case.trends.world_totals``
    and ``moving_average``); NaN moving-average points (no full window yet) are not drawn. The
    bars of ``period`` (first, last year) are drawn in the highlight's light tint. The legend sits
    below the plot, never over the bars.
    """
    with house_style():
        fig = new_figure(3.0)
        ax = fig.add_subplot()
        set_title(fig, title)
        values = pd.Series(totals, dtype="float64") if totals is not None else pd.Series(dtype="float64")
        years = [int(y) for y in values.index]
        if not years or float(values.sum()) <= 0:
            blank_axes(ax)
            empty_notice(ax, empty_text)
            return fig
        first, last = period if period is not None else (None, None)
        in_period = [first is not None and first <= y <= last for y in years]
        colours = [HIGHLIGHT_LIGHT if hit else NEUTRALS[5] for hit in in_period]
        width = 0.78 if len(years) <= 40 else 0.9
        ax.bar(years, values.to_numpy(), width=width, color=colours, linewidth=0)
        line = pd.Series(moving, dtype="float64").reindex(values.index)
        ax.plot(years, line.to_numpy(), color=HIGHLIGHT, linewidth=1.6, solid_capstyle="round")
        ax.set_xticks(year_ticks(years, max_ticks=12))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{int(round(x))}"))
        ax.set_xlim(min(years) - 0.7, max(years) + 0.7)
        ax.set_ylabel(value_label)
        ax.grid(axis="y")
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
        ax.spines["left"].set_visible(False)
        ax.set_ylim(0, float(np.nanmax([values.max(), np.nanmax(line.to_numpy()) if line.notna().any() else 0])) * 1.08)
        handles = [Patch(color=NEUTRALS[5], label="Yearly total")]
        if any(in_period):
            handles.append(Patch(color=HIGHLIGHT_LIGHT, label=f"Yearly total, {first}–{last}"))
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color=HIGHLIGHT, linewidth=1.6, label=moving_label))
        fig.legend(handles=handles, loc="outside lower left", ncols=len(handles), frameon=False)
        return fig


def paired_share_bars(now: pd.Series, before: pd.Series, labels: tuple[str, str],
                      title: str | None = None, *, highlight: str | Iterable[str] | None = None,
                      value_label: str = "Share of the world total",
                      value_text: Callable[[float], str] = _percent,
                      empty_text: str = EMPTY_DELIVERIES_TEXT) -> Figure:
    """Horizontal bars of shares (fractions 0..1) in two periods, one pair per row, in ``now``'s order.

    ``labels``: the legend names of the two periods (e.g. "2019–2023", "2014–2018"). Each bar of
    the period carries its value (``value_text``); highlighted rows have bold labels.
    """
    with house_style():
        current = pd.Series(now, dtype="float64").fillna(0.0)
        previous = pd.Series(before, dtype="float64").reindex(current.index).fillna(0.0)
        if ((current < -1e-9) | (current > 1 + 1e-9) | (previous < -1e-9) | (previous > 1 + 1e-9)).any():
            raise ValueError("paired_share_bars expects fractions between 0 and 1")
        names = [str(i) for i in current.index]
        fig = new_figure(0.95 + 0.3 * max(len(names), 3))
        ax = fig.add_subplot()
        set_title(fig, title)
        if not names:
            blank_axes(ax)
            empty_notice(ax, empty_text)
            return fig
        highlighted = as_set(highlight)
        y = np.arange(len(names))
        h = 0.38
        ax.barh(y - h / 2, current.to_numpy(), height=h, color=HIGHLIGHT, label=labels[0])
        ax.barh(y + h / 2, previous.to_numpy(), height=h, color=PREVIOUS_COLOUR, label=labels[1])
        for yi, value in zip(y, current.to_numpy()):
            ax.annotate(value_text(value), (value, yi - h / 2), xytext=(3, 0), textcoords="offset points",
                        va="center", ha="left", fontsize=SMALL_SIZE, color=INK)
        ax.set_yticks(y, labels=names)
        for tick, name in zip(ax.get_yticklabels(), names):
            if name in highlighted:
                tick.set_fontweight("bold")
                tick.set_color(INK)
        ax.invert_yaxis()
        top = float(max(current.max(), previous.max()))
        ax.set_xlim(0, (top if top > 0 else 1) * 1.14)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.0%}"))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.grid(axis="x", color=GRID)
        ax.tick_params(axis="y", length=0)
        ax.tick_params(axis="x", length=0)
        ax.spines["left"].set_color(AXIS)
        ax.spines["bottom"].set_visible(False)
        ax.set_xlabel(value_label, color=INK_SOFT)
        fig.legend(loc="outside lower left", ncols=2, frameon=False)
        return fig
