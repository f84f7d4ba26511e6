"""HTML fragments that the brief notebook displays.

Every function returns an :class:`IPython.display.HTML` object whose markup is
built by Jinja2 with autoescaping on: text that comes from data (weapon names,
captions, parameters) is always HTML-escaped and shown literally; it is never
interpreted as HTML, Markdown or LaTeX. Each fragment's root element carries
``tex2jax_ignore`` so that Jupyter's MathJax leaves ``$...$`` alone in the
notebook view too.

Numbering ("1", "Figure 2.", "Table 3.") is done by CSS counters in the brief's
stylesheet, not here, so fragments do not depend on each other or on order.

The fragments are flat (one or two sibling top-level elements) so that the
exporter can place them directly in the page and the print stylesheet can keep
headings with what follows.
"""
from __future__ import annotations

import hashlib
import html
import io
import json
import math
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Callable

import numpy as np
import pandas as pd
from IPython.display import HTML
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from analysis.report.charts import freeze_layout, house_style

__all__ = [
    "NA_MARK",
    "title_block",
    "section",
    "paragraph",
    "bullets",
    "callout",
    "figure",
    "figure_svg",
    "table",
    "colophon",
]

#: What a missing value looks like in a table (explained by a legend note).
NA_MARK = "\u2013"
NA_NOTE = f"{NA_MARK} = not available."
EVIDENCE_NOTE = ("registered = in the SIPRI Arms Transfers Database; reported = press, official "
                 "or documentary reports of transfers not in the register.")
#: Tables with more rows than this, or more characters of cell text than
#: LONG_TABLE_CHARS, may break across pages (class ``data-table--long``);
#: smaller ones are kept whole on one page.
LONG_TABLE_ROWS = 10
LONG_TABLE_CHARS = 1200
EVIDENCE_TITLES = {
    "registered": "In the SIPRI Arms Transfers Database",
    "reported": "Reported (press, official statements, documents); not in the SIPRI register",
}
_IGNORE = "tex2jax_ignore"  # keeps Jupyter's MathJax off data text

_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=False)

_TITLE_BLOCK = _ENV.from_string("""\
<header class="brief-title {{ ignore }}">
<p class="brief-title__kicker">armsbrief briefing</p>
<h1 class="brief-title__h1">{{ title }}</h1>
{% if subtitle %}
<p class="brief-title__subtitle">{{ subtitle }}</p>
{% endif %}
{% if facts %}
<dl class="brief-title__facts">
{% for label, value in facts %}
<div class="fact"><dt>{{ label }}</dt><dd>{{ value }}</dd></div>
{% endfor %}
</dl>
{% endif %}
</header>""")

_SECTION = _ENV.from_string("""\
<h2 class="section-heading {{ ignore }}">{{ title }}</h2>
{% if lead %}
<p class="lead {{ ignore }}">{{ lead }}</p>
{% endif %}""")

_PARAGRAPH = _ENV.from_string('<p class="body-text {{ ignore }}">{{ text }}</p>')

_BULLETS = _ENV.from_string("""\
<ul class="bullets{% if css_class %} {{ css_class }}{% endif %} {{ ignore }}">
{% for item in items %}
<li>{{ item }}</li>
{% endfor %}
</ul>""")

_CALLOUT = _ENV.from_string("""\
<aside class="callout callout--{{ kind }} {{ ignore }}">
<p class="callout__label">{{ label }}</p>
<p class="callout__text">{{ text }}</p>
</aside>""")

_FIGURE = _ENV.from_string("""\
<figure class="chart {{ ignore }}">
<div class="chart__image">{{ svg }}</div>
<figcaption><span class="caption-label"></span><span class="caption-text">{{ caption }}</span>
<span class="source">{{ source }}</span></figcaption>
</figure>""")

_TABLE = _ENV.from_string("""\
<figure class="data-table{% if long %} data-table--long{% endif %} {{ ignore }}">
<figcaption><span class="caption-label"></span><span class="caption-text">{{ caption }}</span></figcaption>
<table>
<thead>
<tr>{% for col, is_num in header %}<th scope="col"{% if is_num %} class="num"{% endif %}>{{ col }}</th>{% endfor %}</tr>
</thead>
<tbody>
{% for row in rows %}
<tr>{% for cell in row %}<td{% if cell.cls %} class="{{ cell.cls }}"{% endif %}>{{ cell.html }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
<div class="table-foot">
{% for note in notes %}
<p class="note">{{ note }}</p>
{% endfor %}
<p class="source">{{ source }}</p>
</div>
</figure>""")

_TABLE_EMPTY = _ENV.from_string('<p class="table-empty {{ ignore }}">{{ text }}</p>')

_BADGE = _ENV.from_string(
    '<span class="evidence evidence--{{ kind }}" title="{{ title }}">{{ kind }}</span>')

_COLOPHON = _ENV.from_string("""\
<footer class="colophon {{ ignore }}">
<h2 class="colophon__title">Colophon and reproducibility</h2>
<div class="colophon__block">
<h3>Parameters</h3>
<table class="colophon__params">
<tbody>
{% for name, value in parameters %}
<tr><th scope="row"><code>{{ name }}</code></th><td><code>{{ value }}</code></td></tr>
{% endfor %}
</tbody>
</table>
</div>
<div class="colophon__block">
<h3>Data files</h3>
{% if data_files %}
<table class="colophon__files">
<thead><tr><th scope="col">File</th><th scope="col">Vintage</th><th scope="col">SHA-256</th></tr></thead>
<tbody>
{% for name, vintage, sha in data_files %}
<tr><td>{{ name }}</td><td class="nowrap">{{ vintage }}</td><td class="checksum"><code>{{ sha }}</code></td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>No data files recorded.</p>
{% endif %}
</div>
<p class="colophon__version">Produced with armsbrief {{ version }}. To rebuild this brief from the same data:</p>
<pre class="colophon__command"><code>{{ command }}</code></pre>
</footer>""")


def _html(markup: str) -> HTML:
    return HTML(str(markup).strip())


def _text(value: Any) -> str:
    """Plain text of a value for display (None -> empty)."""
    if value is None:
        return ""
    return str(value)


def _source_line(source: str) -> str:
    text = _text(source).strip()
    if not text:
        return ""
    if re.match(r"(?i)sources?\s*:", text):
        return text
    return f"Source: {text}"


# --------------------------------------------------------------------------- text
def title_block(title: str, subtitle: str | None, facts: Iterable[tuple[str, Any]] = ()) -> HTML:
    """Title block: kicker, ``<h1>`` (read by the PDF running header), subtitle, key facts.

    ``facts``: (label, value) pairs, e.g. ``("Case", "Belarus → Azerbaijan")``.
    """
    pairs = [(_text(k), _text(v)) for k, v in facts]
    return _html(_TITLE_BLOCK.render(title=_text(title), subtitle=_text(subtitle), facts=pairs,
                                     ignore=_IGNORE))


def section(title: str, lead: str | None = None) -> HTML:
    """A numbered ``<h2>`` (numbered by CSS counters) and an optional lead paragraph."""
    return _html(_SECTION.render(title=_text(title), lead=_text(lead), ignore=_IGNORE))


def paragraph(text: str) -> HTML:
    """One paragraph of body text."""
    return _html(_PARAGRAPH.render(text=_text(text), ignore=_IGNORE))


def bullets(items: Iterable[Any], css_class: str | None = None) -> HTML:
    """A bulleted list; ``css_class="key-judgements"`` gives the key-judgements panel."""
    if css_class is not None and not re.fullmatch(r"[A-Za-z][\w-]*( [A-Za-z][\w-]*)*", css_class):
        raise ValueError(f"not a valid CSS class list: {css_class!r}")
    return _html(_BULLETS.render(items=[_text(i) for i in items], css_class=css_class,
                                 ignore=_IGNORE))


def callout(text: str, kind: str = "note") -> HTML:
    """A boxed note (``kind="note"``) or caveat (``kind="caveat"``)."""
    labels = {"note": "Note", "caveat": "Caveat"}
    if kind not in labels:
        raise ValueError(f"callout kind must be one of {sorted(labels)}, not {kind!r}")
    return _html(_CALLOUT.render(kind=kind, label=labels[kind], text=_text(text), ignore=_IGNORE))


# --------------------------------------------------------------------------- figures
_SVG_DROP = [
    re.compile(r"<\?xml[^>]*\?>\s*"),
    re.compile(r"<!DOCTYPE[^>]*>\s*", re.S),
    re.compile(r"<metadata>.*?</metadata>\s*", re.S),
    re.compile(r"<style[^>]*>.*?</style>\s*", re.S),
]


_STYLED_TAG = re.compile(r'<[A-Za-z][^<>]*?\sstyle="[^"]*"[^<>]*>')
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')


def _style_to_attributes(tag: str) -> str:
    """``<path style="fill: #fff; stroke: none"/>`` -> ``<path fill="#fff" stroke="none"/>``.

    SVG presentation attributes are equivalent to the style declarations for
    the renderers that matter (browsers, WeasyPrint's SVG module), but unlike
    ``style`` they are not run through the HTML page's CSS cascade, which
    would warn about every SVG-only property (fill, stroke, text-anchor, ...).
    """
    declarations = _STYLE_ATTR.search(tag).group(1)
    tag = _STYLE_ATTR.sub("", tag, count=1)
    for declaration in declarations.split(";"):
        name, sep, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not re.fullmatch(r"[a-z-]+", name):
            continue
        value = value.replace('"', "&quot;")
        existing = re.compile(rf'(\s{name}=")[^"]*(")')
        if existing.search(tag):
            tag = existing.sub(lambda m: m.group(1) + value + m.group(2), tag, count=1)
        else:
            end = -2 if tag.endswith("/>") else -1
            tag = f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'
    return tag


def figure_svg(fig, alt: str | None = None) -> str:
    """Render a matplotlib Figure to inline-ready SVG markup (byte-deterministic).

    Saved under :func:`analysis.report.charts.house_style` (fixed ``svg.hashsalt``,
    no date); the XML prolog, metadata and global style are dropped, inline
    styles become presentation attributes, and every id is prefixed with a
    hash of the SVG so that several figures can share one HTML page. Does not
    close the figure, but freezes its layout (computed once, on the first
    render), so that rendering the same figure again gives the same bytes.
    """
    buf = io.StringIO()
    with house_style():
        freeze_layout(fig)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    for pattern in _SVG_DROP:
        svg = pattern.sub("", svg)
    prefix = "f" + hashlib.sha256(svg.encode("utf-8")).hexdigest()[:10] + "-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = _STYLED_TAG.sub(lambda m: _style_to_attributes(m.group(0)), svg)
    # matplotlib's global rule "*{stroke-linejoin: round; stroke-linecap: butt}", as inherited attributes
    root = ' stroke-linejoin="round" stroke-linecap="butt"'
    if alt:
        root += f' role="img" aria-label="{html.escape(_text(alt), quote=True)}"'
    svg = re.sub(r"<svg\b", lambda _m: "<svg" + root, svg, count=1)
    return svg.strip()


def _close(fig) -> None:
    manager = getattr(getattr(fig, "canvas", None), "manager", None)
    if manager is not None:  # created through pyplot: release it there
        import matplotlib.pyplot as plt

        plt.close(fig)


def figure(fig, caption: str, source: str, alt: str | None = None) -> HTML:
    """A numbered figure: the chart as inline SVG, caption and source line under it.

    ``alt`` (default: the caption) is the accessible description of the chart.
    The figure is closed afterwards.
    """
    try:
        svg = figure_svg(fig, alt=alt if alt is not None else caption)
    finally:
        _close(fig)
    return _html(_FIGURE.render(svg=Markup(svg), caption=_text(caption),
                                source=_source_line(source), ignore=_IGNORE))


# --------------------------------------------------------------------------- tables
def _column_name(col: Any) -> str:
    if isinstance(col, tuple):
        return " / ".join(_text(c) for c in col if _text(c))
    return _text(col)


def _default_format(value: Any, dtype) -> str:
    if isinstance(value, bool) or pd.api.types.is_bool_dtype(dtype):
        return "yes" if bool(value) else "no"
    if isinstance(value, (pd.Timestamp, datetime)):
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) or pd.api.types.is_float_dtype(dtype):
        number = float(value)
        if math.isfinite(number) and number.is_integer() and not pd.api.types.is_float_dtype(dtype):
            return f"{int(number):,}"
        return f"{number:,.1f}"
    if isinstance(value, int) or pd.api.types.is_integer_dtype(dtype):
        return f"{int(value):,}"
    return _text(value)


def _format_value(value: Any, fmt: str | Callable[[Any], str] | None, dtype, column: str = "") -> str:
    if fmt is None:
        if "year" in column.lower() and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return str(int(value))  # 2020, not 2,020
        return _default_format(value, dtype)
    if callable(fmt):
        return _text(fmt(value))
    return fmt.format(value)


def _is_na(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, list, tuple, dict, set)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes
        return False


def table(
    df: pd.DataFrame,
    caption: str,
    source: str,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    notes: str | Sequence[str] | None = None,
    evidence_column: str | None = None,
    *,
    empty_text: str = "No rows.",
    index: bool | None = None,
) -> HTML:
    """A numbered data table with caption above and notes/source below.

    ``formats`` maps column -> ``str.format`` pattern (``"{:,.1f}"``) or a
    callable; by default floats get one decimal and thousands separators,
    integers thousands separators, except in columns whose name contains
    "year". Numeric columns are right-aligned. Missing values show as "–"
    and add the legend note "– = not available". Tables of more than
    :data:`LONG_TABLE_ROWS` rows or :data:`LONG_TABLE_CHARS` characters may
    break across pages (the header row repeats); smaller ones are kept on
    one page. ``evidence_column`` names a
    column whose values ``registered``/``reported`` are shown as two visibly
    different badges (with an explanatory note). ``index``: include the index
    (default: only if it is named). An empty ``df`` renders ``empty_text`` as a
    plain sentence instead of an empty table.
    """
    if df is None or len(df) == 0:
        return _html(_TABLE_EMPTY.render(text=_text(empty_text), ignore=_IGNORE))
    formats = dict(formats or {})
    data = df
    if index is None:
        index = any(name is not None for name in df.index.names)
    if index:
        data = df.reset_index()
    if evidence_column is not None and evidence_column not in data.columns:
        raise KeyError(f"evidence_column {evidence_column!r} is not a column of the table")
    unknown = [c for c in formats if c not in data.columns]
    if unknown:
        raise KeyError(f"formats given for unknown column(s): {unknown}")

    columns = list(data.columns)
    numeric = {
        col: pd.api.types.is_numeric_dtype(data[col]) and not pd.api.types.is_bool_dtype(data[col])
        for col in columns
    }
    numeric[evidence_column] = False
    header = [(_column_name(col), numeric[col]) for col in columns]

    any_na = False
    evidence_seen = False
    rows = []
    for values in data.itertuples(index=False, name=None):
        row = []
        for col, value in zip(columns, values):
            cls = "num" if numeric[col] else ""
            if _is_na(value):
                any_na = True
                row.append({"html": NA_MARK, "cls": (cls + " na").strip()})
                continue
            if col == evidence_column:
                kind = _text(value).strip().lower()
                if kind in EVIDENCE_TITLES:
                    evidence_seen = True
                    row.append({"html": Markup(_BADGE.render(kind=kind, title=EVIDENCE_TITLES[kind])),
                                "cls": "evidence-cell"})
                    continue
            text = _format_value(value, formats.get(col), data[col].dtype, _column_name(col))
            row.append({"html": text, "cls": cls})
        rows.append(row)

    note_list = [notes] if isinstance(notes, str) else list(notes or [])
    note_list = [_text(n) for n in note_list if _text(n)]
    if evidence_seen:
        note_list.append(EVIDENCE_NOTE)
    if any_na:
        note_list.append(NA_NOTE)
    text_size = sum(len(str(cell["html"])) for row in rows for cell in row)
    is_long = len(rows) > LONG_TABLE_ROWS or text_size > LONG_TABLE_CHARS
    # cells are pre-rendered: plain text is escaped here, badges are already markup
    for row in rows:
        for cell in row:
            if not isinstance(cell["html"], Markup):
                cell["html"] = Markup.escape(cell["html"])
    return _html(_TABLE.render(caption=_text(caption), header=header, rows=rows, notes=note_list,
                               source=_source_line(source), long=is_long,
                               ignore=_IGNORE))


# --------------------------------------------------------------------------- colophon
def _param_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


#: Notebook parameter -> ``armsbrief`` command-line option, where the names differ.
CLI_OPTIONS = {"start_year": "--start", "end_year": "--end"}


def default_rebuild_command(parameters: Mapping[str, Any], subcommand: str | None = None) -> str:
    """The ``armsbrief`` command that rebuilds a brief from its parameters.

    ``subcommand`` defaults to ``brief`` when there is a ``supplier`` parameter,
    else ``screen``. Parameters become options (``start_year`` -> ``--start``,
    see :data:`CLI_OPTIONS`; others ``--name-with-hyphens``); empty values
    (the CLI's defaults) are left out; values are shell-quoted.
    """
    if subcommand is None:
        subcommand = "brief" if "supplier" in parameters else "screen"
    parts = ["armsbrief", subcommand]
    for name, value in parameters.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        option = CLI_OPTIONS.get(str(name), f"--{str(name).replace('_', '-')}")
        parts += [option, shlex.quote(_param_text(value))]
    return " ".join(parts)


#: Parameters whose value may be the path of a user's file: a brief prints only the file name.
PATH_PARAMETERS = ("transfers", "conflicts", "compare_with", "case_dir")


def data_file_name(source) -> str:
    """A data file as a forwarded brief names it: its file name only, never the folders of the user's
    path (they can hold a user name); the SHA-256 printed beside it identifies the file."""
    from pathlib import PureWindowsPath

    return PureWindowsPath(str(source)).name  # splits on both / and \\


def _public(parameters: Mapping[str, Any]) -> dict:
    return {k: data_file_name(v) if k in PATH_PARAMETERS and isinstance(v, str) and v else v
            for k, v in parameters.items()}


def colophon(
    parameters: Mapping[str, Any],
    data_files: Iterable[tuple[str, str, str]],
    version: str,
    command: str | None = None,
) -> HTML:
    """Reproducibility footer: parameters, data files (name, vintage, SHA-256), version, rebuild command.

    ``command`` defaults to :func:`default_rebuild_command` of ``parameters``;
    pass the exact CLI invocation when the caller knows it.
    """
    parameters = _public(parameters)
    params = [(_text(k), "(none)" if v is None or v == "" else _param_text(v)) for k, v in parameters.items()]
    files = [(_text(n), _text(v), _text(s)) for n, v, s in data_files]
    cmd = command if command is not None else default_rebuild_command(parameters)
    return _html(_COLOPHON.render(parameters=params, data_files=files, version=_text(version),
                                  command=cmd, ignore=_IGNORE))
