"""HTML fragments: structure, escaping, figures, tables, colophon."""
from __future__ import annotations

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from IPython.display import HTML
from matplotlib.figure import Figure

from analysis.report import charts
from analysis.report import fragments as rh

HOSTILE = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    r"\textbf{bold} $x^2$",
    '"quoted" & <b>bold</b>',
]


def small_chart() -> Figure:
    table = pd.DataFrame({"Belarus": [1.0, 2.0, 3.0], "Russia": [2.0, 1.0, 0.5]}, index=[2020, 2021, 2022])
    return charts.deliveries_by_year(table, highlight="Belarus", title="Test chart")


def fragments_with(text: str) -> list[HTML]:
    return [
        rh.title_block(text, text, [(text, text)]),
        rh.section(text, text),
        rh.paragraph(text),
        rh.bullets([text, text], css_class="key-judgements"),
        rh.callout(text, kind="caveat"),
        rh.figure(small_chart(), text, text, alt=text),
        rh.table(pd.DataFrame({text: [text, None]}), text, text, notes=[text]),
        rh.table(pd.DataFrame(), text, text, empty_text=text),
        rh.colophon({text: text}, [(text, text, text)], text, command=text),
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_data_text_is_always_escaped(text):
    for fragment in fragments_with(text):
        assert isinstance(fragment, HTML)
        markup = fragment.data
        assert "<script" not in markup
        assert "<b>" not in markup
        assert "<a " not in markup and "href=\"javascript" not in markup
        if "<" in text:
            assert "&lt;" in markup
        if "[x](javascript:alert(1))" == text:
            assert text in markup  # shown literally, not turned into a link


def test_fragments_opt_out_of_mathjax_in_the_notebook():
    for fragment in fragments_with("$x$"):
        assert "tex2jax_ignore" in fragment.data


def test_title_block_structure():
    frag = rh.title_block("Belarus → Azerbaijan", "Arms while allied",
                          [("Case", "Belarus → Azerbaijan"), ("Period", "2018–2022"),
                           ("Data", "SIPRI Arms Transfers Database, vintage 2024-04-13")]).data
    assert frag.startswith('<header class="brief-title')
    assert re.search(r'<h1 class="brief-title__h1">Belarus → Azerbaijan</h1>', frag)
    assert '<p class="brief-title__subtitle">Arms while allied</p>' in frag
    assert frag.count("<dt>") == 3 and "<dd>2018–2022</dd>" in frag


def test_title_block_without_subtitle_or_facts():
    frag = rh.title_block("Title", None, []).data
    assert "brief-title__subtitle" not in frag and "<dl" not in frag


def test_section_and_paragraph():
    assert rh.section("Context").data == '<h2 class="section-heading tex2jax_ignore">Context</h2>'
    frag = rh.section("Context", "Lead text").data
    assert '<p class="lead tex2jax_ignore">Lead text</p>' in frag
    assert rh.paragraph("Body").data == '<p class="body-text tex2jax_ignore">Body</p>'


def test_bullets_and_css_class():
    frag = rh.bullets(["one", "two"], css_class="key-judgements").data
    assert 'class="bullets key-judgements tex2jax_ignore"' in frag
    assert frag.count("<li>") == 2
    with pytest.raises(ValueError):
        rh.bullets(["x"], css_class='x" onclick="alert(1)')


def test_callout_kinds():
    assert "callout--note" in rh.callout("n").data and ">Note<" in rh.callout("n").data
    assert "callout--caveat" in rh.callout("c", kind="caveat").data
    with pytest.raises(ValueError):
        rh.callout("x", kind="warning")


# --------------------------------------------------------------------------- figures
def test_figure_is_inline_deterministic_svg():
    a = rh.figure(small_chart(), "Caption", "SIPRI").data
    b = rh.figure(small_chart(), "Caption", "SIPRI").data
    assert a == b
    fig = small_chart()
    assert rh.figure_svg(fig) == rh.figure_svg(fig)  # the same figure twice
    assert "<svg" in a and "<?xml" not in a and "<!DOCTYPE" not in a
    assert "<metadata" not in a and "dc:date" not in a and "<style" not in a
    assert 'style="' not in a  # presentation attributes only: nothing for the page's CSS cascade
    assert '<figure class="chart' in a
    assert '<span class="caption-text">Caption</span>' in a
    assert '<span class="source">Source: SIPRI</span>' in a
    assert 'aria-label="Caption"' in a  # alt defaults to the caption


def test_figure_source_prefix_not_doubled_and_alt_escaped():
    frag = rh.figure(small_chart(), "Cap", "Sources: SIPRI; press", alt='a "b" <c>').data
    assert "Source: Sources:" not in frag and "Sources: SIPRI; press" in frag
    assert 'aria-label="a &quot;b&quot; &lt;c&gt;"' in frag


def test_figure_ids_are_unique_per_figure_and_resolve():
    one = rh.figure_svg(small_chart())
    other = rh.figure_svg(charts.share_bars(pd.Series({"A": 0.6, "B": 0.4})))
    ids_one = set(re.findall(r'\bid="([^"]+)"', one))
    ids_other = set(re.findall(r'\bid="([^"]+)"', other))
    assert ids_one and ids_other and not ids_one & ids_other
    for svg, ids in ((one, ids_one), (other, ids_other)):
        refs = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
        assert refs <= ids


def test_figure_closes_pyplot_figures():
    import matplotlib.pyplot as plt

    with charts.house_style():
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
    number = fig.number
    rh.figure(fig, "c", "s")
    assert not plt.fignum_exists(number)


def test_figure_svg_does_not_change_global_rcparams():
    salt = matplotlib.rcParams["svg.hashsalt"]
    rh.figure(small_chart(), "c", "s")
    assert matplotlib.rcParams["svg.hashsalt"] == salt


# --------------------------------------------------------------------------- tables
def deals() -> pd.DataFrame:
    return pd.DataFrame({
        "Weapon": ["Polonez MLRS", "<script>alert(1)</script>", "Tor-M2"],
        "Number": pd.array([10, pd.NA, 4], dtype="Int64"),
        "TIV (mn)": [1234.56, np.nan, 35.0],
        "Evidence": ["registered", "reported", "registered"],
    })


def test_table_numbers_formats_and_na():
    frag = rh.table(deals(), "Transfers", "SIPRI", formats={"TIV (mn)": "{:,.1f}"}).data
    assert '<th scope="col" class="num">TIV (mn)</th>' in frag
    assert '<th scope="col">Weapon</th>' in frag
    assert '<td class="num">1,234.6</td>' in frag
    assert '<td class="num">10</td>' in frag
    assert '<td class="num na">–</td>' in frag
    assert "– = not available." in frag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frag
    assert '<span class="source">' not in frag and '<p class="source">Source: SIPRI</p>' in frag
    assert frag.index("<figcaption>") < frag.index("<table>") < frag.index('<p class="source">')


def test_table_without_na_has_no_na_note_and_callable_format():
    df = pd.DataFrame({"Year": [2020, 2021], "Share": [0.25, 0.5]})
    frag = rh.table(df, "c", "s", formats={"Share": lambda v: f"{v:.0%}"}).data
    assert "not available" not in frag
    assert '<td class="num">25%</td>' in frag
    assert '<td class="num">2020</td>' in frag  # year columns get no thousands separator
    big = rh.table(pd.DataFrame({"Units": [12000]}), "c", "s").data
    assert '<td class="num">12,000</td>' in big


def test_table_evidence_badges_are_distinct():
    frag = rh.table(deals(), "Transfers", "SIPRI", evidence_column="Evidence").data
    assert frag.count('class="evidence evidence--registered"') == 2
    assert frag.count('class="evidence evidence--reported"') == 1
    assert 'title="In the SIPRI Arms Transfers Database"' in frag
    assert "reported = press" in frag  # the legend note explains the two kinds
    assert '<td class="evidence-cell">' in frag


def test_table_evidence_column_must_exist_and_formats_must_match():
    with pytest.raises(KeyError):
        rh.table(deals(), "c", "s", evidence_column="Kind")
    with pytest.raises(KeyError):
        rh.table(deals(), "c", "s", formats={"TIV": "{:.1f}"})


def test_empty_table_is_a_sentence():
    frag = rh.table(deals().iloc[0:0], "Transfers", "SIPRI",
                    empty_text="No transfers are registered for 2018–2022.").data
    assert frag == '<p class="table-empty tex2jax_ignore">No transfers are registered for 2018–2022.</p>'
    assert "<table" not in rh.table(pd.DataFrame(), "c", "s").data
    assert "No rows." in rh.table(pd.DataFrame(), "c", "s").data


def test_long_tables_may_break_across_pages():
    short = rh.table(pd.DataFrame({"x": range(rh.LONG_TABLE_ROWS)}), "c", "s").data
    long = rh.table(pd.DataFrame({"x": range(rh.LONG_TABLE_ROWS + 1)}), "c", "s").data
    wordy = rh.table(pd.DataFrame({"x": ["word " * 100] * 3}), "c", "s").data
    assert "data-table--long" not in short and "data-table--long" in long and "data-table--long" in wordy


def test_table_index_only_when_named_and_multiindex_columns():
    df = pd.DataFrame({"TIV": [1.0, 2.0]}, index=pd.Index(["Belarus", "Russia"], name="Supplier"))
    assert '<th scope="col">Supplier</th>' in rh.table(df, "c", "s").data
    assert "Supplier" not in rh.table(df.reset_index(drop=True), "c", "s").data
    multi = pd.DataFrame([[1.0, 2.0]], columns=pd.MultiIndex.from_tuples([("TIV", "2021"), ("TIV", "2022")]))
    assert "TIV / 2021" in rh.table(multi, "c", "s").data


def test_table_notes_and_dates():
    df = pd.DataFrame({"Date": pd.to_datetime(["2020-09-27", None]), "Ok": [True, False]})
    frag = rh.table(df, "c", "s", notes="A note.").data
    assert "<td>2020-09-27</td>" in frag and "<td>yes</td>" in frag and "<td>no</td>" in frag
    assert '<p class="note">A note.</p>' in frag


# --------------------------------------------------------------------------- colophon
def test_colophon_lists_parameters_files_version_and_command():
    frag = rh.colophon(
        {"supplier": "Belarus", "start_year": 2018, "allies": ["Armenia", "Kazakhstan"]},
        [("register.csv", "2024-04-13", "a" * 64)],
        "1.2.3",
    ).data
    assert frag.startswith('<footer class="colophon')
    assert "<code>supplier</code>" in frag and "<code>Belarus</code>" in frag
    assert "<code>2018</code>" in frag
    assert "[&#34;Armenia&#34;, &#34;Kazakhstan&#34;]" in frag or '["Armenia", "Kazakhstan"]' in frag
    assert "register.csv" in frag and "2024-04-13" in frag and "a" * 64 in frag
    assert "armsbrief 1.2.3" in frag
    assert "armsbrief brief --supplier Belarus --start 2018" in frag


def test_colophon_default_command_matches_the_cli_and_quotes_values():
    params = {"supplier": "Belarus; rm -rf /", "recipient": "Azerbaijan", "ally": "", "alliance": "CSTO",
              "start_year": 2018, "end_year": 2022, "transfers": "embedded"}
    assert rh.default_rebuild_command(params) == (
        "armsbrief brief --supplier 'Belarus; rm -rf /' --recipient Azerbaijan --alliance CSTO "
        "--start 2018 --end 2022 --transfers embedded")
    screen = {"alliance": "CSTO", "start_year": 2018, "end_year": 2022, "transfers": "embedded"}
    assert rh.default_rebuild_command(screen) == "armsbrief screen --alliance CSTO --start 2018 --end 2022 --transfers embedded"
    assert rh.default_rebuild_command({"x_y": 1}, subcommand="tiv") == "armsbrief tiv --x-y 1"
    frag = rh.colophon({}, [], "0.1", command="armsbrief brief <x>").data
    assert "armsbrief brief &lt;x&gt;" in frag
    assert "No data files recorded." in frag
