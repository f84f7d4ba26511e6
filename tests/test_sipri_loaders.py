"""analysis.sources.sipri on small hand-written fixtures (invented deals in SIPRI's layouts)."""
import math
import os
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.sources import sipri
from conftest import expect_error
from analysis.sources.countries import UnknownCountryError
from analysis.sources.sipri import SipriFormatError

FIXTURES = Path(__file__).parent / "fixtures" / "sipri"
CLASSIC = FIXTURES / "classic_register.csv"
PER_YEAR = FIXTURES / "per_year_register.csv"
IMPORTS = FIXTURES / "import_values.csv"
EXPORTS = FIXTURES / "export_values.csv"


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("latin-1"))
    return path


def edited(source: Path, old: str, new: str, count: int = 1) -> str:
    text = source.read_bytes().decode("latin-1")
    assert old in text
    return text.replace(old, new, count)


def deal(register, key):
    return register.deals.set_index("deal_key").loc[key]


# ------------------------------------------------------------------ formats

@pytest.mark.parametrize("path, expected", [
    (CLASSIC, "classic"), (PER_YEAR, "per-year"), (IMPORTS, "tiv-imports"), (EXPORTS, "tiv-exports")])
def test_detect_format_from_header(path, expected, tmp_path):
    renamed = write(tmp_path, "whatever-name.csv", path.read_bytes())
    assert sipri.detect_format(renamed) == expected


def test_detect_format_rejects_other_csv_listing_expected_headers(tmp_path):
    path = write(tmp_path, "other.csv", "name,value\nfoo,1\n")
    with pytest.raises(SipriFormatError) as err:
        sipri.detect_format(path)
    message = str(err.value)
    assert str(path) in message and "SIPRI AT Database ID" in message and "Year(s) of delivery" in message


# ------------------------------------------------------------------ classic register

def test_classic_register_reads_every_record_and_the_vintage():
    reg = sipri.load_register(CLASSIC, use_cache=False)
    assert (reg.format, reg.vintage, len(reg.deals), len(reg.deliveries)) == ("classic", "2025-01-02", 11, 14)
    assert reg.deals["deal_key"].tolist() == [f"row-{n}" for n in range(1, 12)]
    assert reg.source == str(CLASSIC) and len(reg.sha256) == 64
    assert list(reg.deals.columns) == list(sipri.DEALS_COLUMNS)
    assert list(reg.deliveries.columns) == list(sipri.DELIVERIES_COLUMNS)


def test_classic_question_marks_become_estimate_flags():
    first = deal(sipri.load_register(CLASSIC, use_cache=False), "row-1")
    assert (first.is_order_year_estimate, first.is_number_ordered_estimate,
            first.is_number_delivered_estimate) == (True, False, True)


def test_classic_split_record_is_rejoined():
    split = deal(sipri.load_register(CLASSIC, use_cache=False), "row-4")
    assert split.comments == "Delivered in two batches"
    assert (split.tiv_unit_mn, split.tiv_order_mn, split.tiv_delivered_mn) == (0.5, 4.0, 4.0)


def test_classic_latin1_names_are_decoded_and_normalised():
    curacao = deal(sipri.load_register(CLASSIC, use_cache=False), "row-5")
    assert (curacao.recipient_sipri, curacao.recipient, curacao.recipient_iso3) == ("Curaçao", "Curaçao", "CUW")


def test_classic_blank_and_zero_tiv_are_kept_apart():
    reg = sipri.load_register(CLASSIC, use_cache=False)
    undelivered, not_available, under_half = deal(reg, "row-6"), deal(reg, "row-7"), deal(reg, "row-8")
    assert undelivered.tiv_delivered_mn == 0.0 and undelivered.delivery_years == ""
    assert math.isnan(not_available.tiv_delivered_mn) and math.isnan(not_available.tiv_order_mn)
    assert pd.isna(not_available.number_ordered)
    assert under_half.tiv_delivered_mn == 0.0
    assert reg.deliveries.loc[reg.deliveries.deal_key == "row-8", "tiv_delivered_mn"].tolist() == [0.0]


def test_classic_delivered_tiv_is_spread_evenly_over_delivery_years():
    reg = sipri.load_register(CLASSIC, use_cache=False)
    rows = reg.deliveries[reg.deliveries.deal_key == "row-3"]
    assert rows["delivery_year"].tolist() == [2018, 2019, 2020]
    assert rows["tiv_delivered_mn"].tolist() == [1.0, 1.0, 1.0]
    assert rows["is_tiv_allocated"].all() and rows["number_delivered"].isna().all()
    assert (deal(reg, "row-3").first_delivery_year, deal(reg, "row-3").last_delivery_year) == (2018, 2020)
    totals = reg.deliveries.groupby("deal_key")["tiv_delivered_mn"].sum()
    delivered = reg.deals.set_index("deal_key")["tiv_delivered_mn"].loc[totals.index]
    pd.testing.assert_series_equal(totals, delivered, check_names=False)
    assert "evenly" in sipri.ALLOCATION_RULE


def test_classic_parties_keep_sipri_spelling_and_canonical_name():
    reg = sipri.load_register(CLASSIC, use_cache=False)
    turkish = deal(reg, "row-2")
    assert (turkish.supplier_sipri, turkish.supplier, turkish.supplier_iso3) == ("Turkiye", "Türkiye", "TUR")
    houthi, soviet, nato = deal(reg, "row-9"), deal(reg, "row-10"), deal(reg, "row-11")
    assert (houthi.recipient, pd.isna(houthi.recipient_iso3)) == ("Houthi rebels (Yemen)", True)
    assert (soviet.supplier, pd.isna(soviet.supplier_iso3)) == ("Soviet Union", True)
    assert (nato.recipient, nato.supplier) == ("NATO", "unknown supplier(s)")


def test_classic_quoted_field_with_comma(tmp_path):
    text = edited(CLASSIC, ",Invented deal,", ',"Invented deal, quoted",')
    reg = sipri.load_register(write(tmp_path, "quoted.csv", text), use_cache=False)
    assert deal(reg, "row-1").comments == "Invented deal, quoted" and len(reg.deals) == 11


def test_classic_utf8_file_is_read_as_utf8(tmp_path):
    path = write(tmp_path, "utf8.csv", CLASSIC.read_bytes().decode("latin-1").encode("utf-8"))
    assert deal(sipri.load_register(path, use_cache=False), "row-5").recipient_sipri == "Curaçao"


# ------------------------------------------------------------------ per-year register

def test_per_year_register_builds_deals_and_deliveries():
    reg = sipri.load_register(PER_YEAR, use_cache=False)
    assert (reg.format, reg.vintage, len(reg.deals), len(reg.deliveries)) == ("per-year", "2024-04-13", 6, 8)
    assert not reg.deliveries["is_tiv_allocated"].any()
    vt9 = deal(reg, "90003")
    assert (vt9.deal_id, vt9.designation, vt9.delivery_years, vt9.number_delivered) == ("90003", "VT-9", "2016; 2017", 4)
    assert (vt9.tiv_delivered_mn, vt9.is_number_delivered_estimate, vt9.is_local_production) == (2.0, True, True)
    assert pd.isna(vt9.number_ordered) and math.isnan(vt9.tiv_order_mn)
    rows = reg.deliveries[reg.deliveries.deal_key == "90003"].sort_values("delivery_year")
    assert rows["number_delivered"].tolist() == [1, 3]
    assert rows["tiv_delivered_mn"].tolist() == [0.5, 1.5]
    assert rows["is_delivery_year_estimate"].tolist() == [True, False]


def test_per_year_zero_tiv_is_zero_not_missing():
    reg = sipri.load_register(PER_YEAR, use_cache=False)
    assert deal(reg, "90005").tiv_delivered_mn == 0.0


def test_both_formats_share_dtypes():
    classic, per_year = (sipri.load_register(p, use_cache=False) for p in (CLASSIC, PER_YEAR))
    pd.testing.assert_series_equal(classic.deals.dtypes, per_year.deals.dtypes)
    pd.testing.assert_series_equal(classic.deliveries.dtypes, per_year.deliveries.dtypes)


# ------------------------------------------------------------------ TIV tables

def test_tiv_table_long_format_without_totals_and_summary_columns():
    table = sipri.load_tiv_table(IMPORTS)
    assert list(table.columns) == ["country", "country_sipri", "direction", "year", "tiv_mn"]
    assert set(table["country"]) == {"Azerbaijan", "Türkiye", "Houthi rebels (Yemen)"}
    assert sorted(set(table["year"])) == [2018, 2019, 2020] and set(table["direction"]) == {"imports"}
    turkiye = table[table.country == "Türkiye"].set_index("year")["tiv_mn"]
    assert math.isnan(turkiye[2018]) and turkiye[2019] == 0.0


def test_tiv_world_total_and_exports():
    assert sipri.load_tiv_world_total(IMPORTS)["tiv_mn"].tolist() == [23.0, 11.0, 7.0]
    exports = sipri.load_tiv_table(EXPORTS)
    assert set(exports["direction"]) == {"exports"} and "European Union" in set(exports["country"])


# ------------------------------------------------------------------ malformed input

def test_missing_column(tmp_path):
    text = edited(CLASSIC, ",status,Comments,", ",Comments,")
    expect_error(write(tmp_path, "missing.csv", text), contains=["line 8", "missing ['status']", "expected columns"])


def test_wrong_delimiter(tmp_path):
    # ';' is read (a spreadsheet's re-save, tests/test_sipri_reading.py); a tab is not
    text = PER_YEAR.read_text().replace(",", "\t")
    expect_error(write(tmp_path, "tabs.csv", text), contains=["line 6", "tab-separated"])


def test_truncated_last_record_classic(tmp_path):
    text = CLASSIC.read_bytes().decode("latin-1")
    expect_error(write(tmp_path, "cut.csv", text[: text.rindex(",1,?,2020")]),
                 contains=["line 20", "truncated last record", "expected 16"])


def test_truncated_last_line_per_year(tmp_path):
    text = PER_YEAR.read_text()
    expect_error(write(tmp_path, "cut.csv", text[: text.rindex(",2023,")]),
                 contains=["line 14", "truncated last line", "expected 17"])


def test_short_line_followed_by_a_record(tmp_path):
    text = edited(CLASSIC, ",Invented deal,10,20,20\n", "\n")
    expect_error(write(tmp_path, "short.csv", text), contains=["line 9", "expected columns"])


def test_non_numeric_tiv(tmp_path):
    text = edited(CLASSIC, "1.5,6,6\n", "1.5,6,six\n")
    expect_error(write(tmp_path, "text.csv", text),
                 contains=["line 10", "'SIPRI TIV of delivered weapons'", "'six'", "a number >= 0"])


def test_negative_tiv(tmp_path):
    text = edited(PER_YEAR, "1.5,1.5,6,No", "1.5,1.5,-6,No")
    expect_error(write(tmp_path, "negative.csv", text), contains=["line 9", "'TIV delivery values'", "'-6'"])


def test_bad_estimate_mark(tmp_path):
    text = edited(CLASSIC, "2016,?,2", "2016,x,2")
    expect_error(write(tmp_path, "mark.csv", text), contains=["line 9", "'?' or ''"])


def test_duplicate_per_year_rows(tmp_path):
    text = PER_YEAR.read_text()
    line = text.splitlines()[8] + "\n"
    expect_error(write(tmp_path, "dup.csv", text + line),
                 contains=["deal 90002", "lines 9, 15", "identical", "one row per deal and delivery year"])


def test_conflicting_deal_level_values(tmp_path):
    text = edited(PER_YEAR, "90001,Israel,Azerbaijan,WX-1,SAM system,Air defence systems,2016,Yes,1,Yes",
                  "90001,Israel,Armenia,WX-1,SAM system,Air defence systems,2016,Yes,1,Yes")
    expect_error(write(tmp_path, "conflict.csv", text), contains=["deal 90001", "'Recipient'", "lines 7, 8"])


def test_empty_file(tmp_path):
    expect_error(write(tmp_path, "empty.csv", b""), contains=["empty"])
    expect_error(write(tmp_path, "blank.csv", b"\n\n"), contains=["empty"], load=sipri.detect_format)


def test_header_without_records(tmp_path):
    text = "\n".join(PER_YEAR.read_text().splitlines()[:6]) + "\n"
    expect_error(write(tmp_path, "header-only.csv", text), contains=["no records"])


def test_non_utf8_per_year(tmp_path):
    text = edited(PER_YEAR, "90006,Poland,Czechia", "90006,Poland,Czechia\xe9")
    expect_error(write(tmp_path, "latin1.csv", text), contains=["line 14", "0xe9", "not UTF-8"])


def test_file_over_size_limit_is_refused(tmp_path):
    with pytest.raises(SipriFormatError, match="over the 100 bytes limit"):
        sipri.load_register(CLASSIC, use_cache=False, max_bytes=100)
    with pytest.raises(SipriFormatError, match="over the 100 bytes limit"):
        sipri.load_tiv_table(IMPORTS, max_bytes=100)


def test_unknown_country_names_file_line_and_column(tmp_path):
    text = edited(PER_YEAR, "90006,Poland,Czechia", "90006,Polland,Czechia")
    with pytest.raises(UnknownCountryError) as err:
        sipri.load_register(write(tmp_path, "typo.csv", text), use_cache=False)
    message = str(err.value)
    assert "'Polland'" in message and "typo.csv, line 14" in message and "'Supplier'" in message
    assert "'Poland'" in message


def test_register_loader_refuses_tiv_table_and_back():
    expect_error(IMPORTS, contains=["tiv-imports", "expected classic or per-year"])
    expect_error(CLASSIC, contains=["classic", "expected tiv-imports or tiv-exports"], load=sipri.load_tiv_table)


def test_tiv_table_row_with_wrong_field_count(tmp_path):
    text = edited(IMPORTS, "Azerbaijan,11,11,7,29,71%,29,71%", "Azerbaijan,11,11,7,29")
    expect_error(write(tmp_path, "short.csv", text), contains=["line 9", "expected 8"], load=sipri.load_tiv_table)


# ------------------------------------------------------------------ cache

def test_second_load_comes_from_the_parquet_cache(tmp_cache, monkeypatch):
    first = sipri.load_register(CLASSIC)
    assert (tmp_cache / "registers" / sipri._cache_key(first.sha256) / "deals.parquet").exists()

    def no_parse(*args):
        raise AssertionError("parsed again")

    monkeypatch.setitem(sipri._PARSERS, "classic", no_parse)
    second = sipri.load_register(CLASSIC)
    pd.testing.assert_frame_equal(first.deals, second.deals)
    pd.testing.assert_frame_equal(first.deliveries, second.deliveries)
    assert (second.format, second.vintage, second.sha256) == (first.format, first.vintage, first.sha256)
    with pytest.raises(AssertionError, match="parsed again"):
        sipri.load_register(CLASSIC, use_cache=False)


def test_cache_leaves_no_temporary_folders(tmp_cache):
    reg = sipri.load_register(PER_YEAR)
    assert [p.name for p in (tmp_cache / "registers").iterdir()] == [sipri._cache_key(reg.sha256)]


def _entry_file(tmp_cache, reg, name):
    return tmp_cache / "registers" / sipri._cache_key(reg.sha256) / name


@pytest.mark.parametrize("damage", ["flip-bit", "truncate", "delete"])
def test_a_damaged_cache_entry_is_discarded_with_a_warning_and_rebuilt(tmp_cache, capsys, damage):
    first = sipri.load_register(PER_YEAR)
    target = _entry_file(tmp_cache, first, "deliveries.parquet")
    data = bytearray(target.read_bytes())
    if damage == "flip-bit":
        data[len(data) // 2] ^= 0x04  # one bit in the middle of the column data
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(bytes(data[: len(data) // 3]))
    else:
        target.unlink()
    capsys.readouterr()
    second = sipri.load_register(PER_YEAR)
    err = capsys.readouterr().err
    assert "discarded, rebuilding it" in err and str(target.parent) in err
    pd.testing.assert_frame_equal(first.deliveries, second.deliveries)
    # rebuilt: the next load is silent and served from a sound entry
    third = sipri.load_register(PER_YEAR)
    assert capsys.readouterr().err == ""
    pd.testing.assert_frame_equal(first.deliveries, third.deliveries)


def test_the_register_cache_key_changes_with_the_parsing_code(tmp_cache, monkeypatch):
    from analysis.sources import cache

    reg = sipri.load_register(PER_YEAR)
    before = sipri._cache_key(reg.sha256)
    monkeypatch.setattr(sipri, "_CACHED_BY", (*sipri._CACHED_BY, "sources/schemas.py"))
    assert sipri._cache_key(reg.sha256) != before
    assert cache.fingerprint(("sources/sipri.py",)) != cache.fingerprint(("sources/countries.py",))


# ------------------------------------------------------------------ user-dropped registers

def test_find_user_register_picks_the_newest_register(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    monkeypatch.setattr(paths, "RAW_SIPRI_DIR", raw)
    assert sipri.find_user_register() is None
    raw.mkdir()
    older = write(raw, "b.csv", PER_YEAR.read_bytes())            # data generated 2024-04-13
    newer = write(raw, "a.csv", CLASSIC.read_bytes())             # data generated 2025-01-02
    write(raw, "c.csv", IMPORTS.read_bytes())                     # a TIV table, not a register
    write(raw, "d.csv", "not,a,sipri,file\n")
    os.utime(older, (2e9, 2e9))
    assert sipri.find_user_register() == newer
