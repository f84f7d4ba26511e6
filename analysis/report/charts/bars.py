"""Bar charts of TIV: deliveries by year (stacked by counterpart) and shares of a total."""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.report.charts.style import (
    AXIS, EMPTY_DELIVERIES_TEXT, HIGHLIGHT, HIGHLIGHT_LIGHT, INK, INK_SOFT, NEUTRALS, OTHERS_COLOUR, SMALL_SIZE, TIV_AXIS_LABEL, as_set, blank_axes, empty_notice, fmt_tiv, house_style, neutral, new_figure, set_title, thousands, year_ticks,
)


def deliveries_by_year(
    table: pd.DataFrame,
    highlight: str | Iterable[str] | None = None,
    title: str | None = "Registered arms deliveries by year",
    *,
    max_series: int = 6,
    others_label: str = "Others",
    value_label: str = TIV_AXIS_LABEL,
    empty_text: str = EMPTY_DELIVERIES_TEXT,
) -> Figure:
    """Stacked yearly bars of TIV deliveries.

    ``table``: index = year (ints, every year of the period, zero-filled),
    columns = series (e.g. suppliers), values = TIV in millions. Highlighted
    series are drawn in the highlight colour at the bottom of the stacks;
    beyond ``max_series`` series the smallest are merged into ``others_label``.
    """
    with house_style():
        fig = new_figure(3.3)
        ax = fig.add_subplot()
        set_title(fig, title)
        data = table.copy() if table is not None else pd.DataFrame()
        data = data.apply(pd.to_numeric, errors="coerce").fillna(0.0) if not data.empty else data
        years = [int(y) for y in data.index] if len(data.index) else []
        highlighted = as_set(highlight)

        total = float(data.to_numpy().sum()) if not data.empty else 0.0
        if not years:
            blank_axes(ax)
            empty_notice(ax, empty_text)
            return fig

        ax.set_xticks(year_ticks(years))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{int(round(x))}"))
        ax.set_xlim(min(years) - 0.6, max(years) + 0.6)
        ax.set_ylabel(value_label)
        ax.grid(axis="y")
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.spines["left"].set_visible(False)

        if total <= 0:
            ax.set_ylim(0, 1)
            ax.set_yticks([])
            empty_notice(ax, empty_text)
            return fig

        columns = [str(c) for c in data.columns]
        data.columns = columns
        sums = data.sum(axis=0)
        hi_cols = [c for c in columns if c in highlighted]
        rest = [c for c in sums.drop(hi_cols).sort_values(ascending=False, kind="stable").index]
        rest = [c for c in rest if sums[c] > 0]
        keep_n = max(0, max_series - len(hi_cols))
        if len(rest) > keep_n + 1:
            kept, merged = rest[:keep_n], rest[keep_n:]
            data[others_label] = data[merged].sum(axis=1)
            order = hi_cols + kept + [others_label]
        else:
            order = hi_cols + rest

        bottom = np.zeros(len(years))
        width = 0.72
        for i, col in enumerate(order):
            values = data[col].to_numpy(dtype=float)
            if col in highlighted:
                colour = HIGHLIGHT if hi_cols.index(col) == 0 else HIGHLIGHT_LIGHT
            elif col == others_label and others_label not in columns:
                colour = OTHERS_COLOUR
            else:
                colour = neutral(i - len(hi_cols))
            ax.bar(years, values, width=width, bottom=bottom, color=colour, label=col,
                   edgecolor="white", linewidth=0.5)
            bottom += values

        top = float(bottom.max())
        ax.set_ylim(0, top * 1.12)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
        if len(years) <= 14:
            for x, y in zip(years, bottom):
                if y > 0:
                    ax.annotate(fmt_tiv(y), (x, y), xytext=(0, 2), textcoords="offset points",
                                ha="center", va="bottom", fontsize=SMALL_SIZE, color=INK_SOFT)
        if len(order) > 1 or highlighted:
            ax.legend(loc="upper left", bbox_to_anchor=(0, 1.02), ncols=min(len(order), 4),
                      frameon=False, borderaxespad=0.2)
            ax.set_ylim(0, top * (1.12 + 0.1 * math.ceil(len(order) / 4)))
        return fig


def share_bars(
    shares: pd.Series,
    highlight: str | Iterable[str] | None = None,
    title: str | None = "Shares of registered deliveries",
    value_label: str = "share",
    *,
    top_n: int = 8,
    others_label: str = "Others",
    empty_text: str = EMPTY_DELIVERIES_TEXT,
) -> Figure:
    """Horizontal bars of shares (fractions 0..1), largest first, labelled as percentages.

    The ``top_n`` largest are shown; the remainder is summed into one
    ``others_label`` bar at the bottom. ``value_label`` names the axis.
    """
    with house_style():
        values = pd.Series(shares, dtype="float64") if shares is not None else pd.Series(dtype="float64")
        values = values.dropna()
        if (values < -1e-9).any() or (values > 1 + 1e-9).any():
            raise ValueError("share_bars expects fractions between 0 and 1")
        values.index = [str(i) for i in values.index]
        values = values[values > 0].sort_values(ascending=False, kind="stable")
        highlighted = as_set(highlight)

        if len(values) > top_n + 1:
            shown = values.iloc[:top_n]
            others = float(values.iloc[top_n:].sum())
        else:
            shown, others = values, 0.0
        labels = list(shown.index) + ([others_label] if others > 0 else [])
        nums = list(shown.to_numpy()) + ([others] if others > 0 else [])

        height = 1.0 + 0.26 * max(len(labels), 3)
        fig = new_figure(height)
        ax = fig.add_subplot()
        set_title(fig, title)
        if not labels:
            blank_axes(ax)
            empty_notice(ax, empty_text)
            return fig

        ypos = np.arange(len(labels))
        colours = []
        for label in labels:
            if label in highlighted:
                colours.append(HIGHLIGHT)
            elif label == others_label and others > 0 and label == labels[-1]:
                colours.append(OTHERS_COLOUR)
            else:
                colours.append(NEUTRALS[0])
        ax.barh(ypos, nums, height=0.66, color=colours)
        ax.set_yticks(ypos, labels=labels)
        for tick, label in zip(ax.get_yticklabels(), labels):
            if label in highlighted:
                tick.set_fontweight("bold")
                tick.set_color(INK)
        ax.invert_yaxis()
        for y, v, label in zip(ypos, nums, labels):
            text = "<1%" if v < 0.005 else f"{v:.0%}"
            ax.annotate(text, (v, y), xytext=(3, 0), textcoords="offset points", va="center",
                        ha="left", fontsize=SMALL_SIZE + 0.5,
                        color=INK if label in highlighted else INK_SOFT,
                        fontweight="bold" if label in highlighted else "normal")
        ax.set_xlim(0, max(nums) * 1.15)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.0%}"))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_color(AXIS)
        ax.spines["bottom"].set_visible(False)
        ax.tick_params(axis="x", length=0)
        ax.set_xlabel(value_label[:1].upper() + value_label[1:])
        return fig
