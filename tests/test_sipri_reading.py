"""Reading re-saved SIPRI exports, identical records, a missing vintage and the size limit
(analysis.sources.sipri; issue 14 item 4, issue 15 items 1 and 8).

Hand-made fixtures run everywhere; the real exports in ``paths.SHARED_SIPRI_DIR`` are read from there
(never copied into the project; variants are written to tmp_path) and the tests using them skip visibly
when the folder is absent. Expected counts come from the csv module or from arithmetic shown here.
"""
import codecs
import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.sources import sipri
from conftest import expect_error
from analysis.sources.sipri import SipriFormatError

FIXTURES = Path(__file__).parent / "fixtures" / "sipri"
CLASSIC = FIXTURES / "classic_register.csv"      # 11 records, one split over lines 12-13, no repeat
REPEATS = FIXTURES / "classic_repeats.csv"       # 11 records on lines 7-17; line 12 repeats line 11
PER_YEAR = FIXTURES / "per_year_register.csv"    # header line 6, 8 rows on lines 7-14
IMPORTS = FIXTURES / "import_values.csv"

SHARED = paths.SHARED_SIPRI_DIR
CLASSIC_2025 = SHARED / "2025-03-13" / "trade-register.csv"
CLASSIC_2024 = SHARED / "2024-03-18" / "trade-register.csv"
PER_YEAR_2024 = SHARED / "2024-04-13" / "trade-register.csv"
REAL_REGISTERS = {  # path: (encoding, vintage)
    CLASSIC_2025: ("latin-1", "2025-03-13"), CLASSIC_2024: ("latin-1", "2024-03-18"),
    PER_YEAR_2024: ("utf-8", "2024-04-13"),
}
REAL_TIV_TABLES = (SHARED / "2024-04-13" / "import-values_1990-2023.csv",
                   SHARED / "2024-04-13" / "export-values_1990-2023.csv")

CRLF_NOTE = ("Lines end in CRLF (Windows line ends, as spreadsheet programs write them); they were read as "
             "plain line ends.")
BOM_NOTE = "The file starts with a UTF-8 byte-order mark (as spreadsheet programs write one); it was ignored."
UTF8_NOTE = "The file is UTF-8 encoded (SIPRI's classic exports are Latin-1); it was read as UTF-8."
SEMICOLON_NOTE = ("The file is ';'-separated (as spreadsheet programs save CSV in many locales); it was read "
                  "with ';' as the separator.")
NO_VINTAGE_NOTE = "The file has no 'Data generated' line: its SIPRI release is unknown."


def trailing_note(mark):
    return f"The file had been re-saved: every line ended in a trailing {mark!r}, which was ignored."


@pytest.fixture(autouse=True)
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.delenv("ARMSBRIEF_MAX_BYTES", raising=False)
    return tmp_path / "cache"


def need(path):
    if not path.exists():
        pytest.skip(f"real SIPRI export not found at {path}")
    return path


def physical_lines(data: bytes, encoding: str) -> list[str]:
    """The file's lines without their line ends (a final newline does not open a line)."""
    text = data.decode(encoding)
    return [line.rstrip("\r") for line in text.removesuffix("\n").split("\n")]


def resave(data: bytes, encoding: str, variant: str) -> bytes:
    """What a spreadsheet program makes of an export (each physical line stays one line)."""
    lines = physical_lines(data, encoding)
    if variant == "crlf+trailing-semicolon":       # comma-separated, every line ending in ';' and CRLF
        return "".join(f"{line};\r\n" for line in lines).encode(encoding)
    if variant == "trailing-comma":                # an empty last field on every line
        return "".join(f"{line},\n" for line in lines).encode(encoding)
    if variant == "semicolon+bom+utf8":            # ';'-separated (quoting fields with ';'), BOM, UTF-8, CRLF
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        for line in lines:
            writer.writerow(next(csv.reader([line])) if line else [])
        return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
    raise AssertionError(variant)


def expected_notes(variant, *, classic_non_ascii=False):
    return {"crlf+trailing-semicolon": [CRLF_NOTE, trailing_note(";")],
            "trailing-comma": [trailing_note(",")],
            "semicolon+bom+utf8": [BOM_NOTE] + ([UTF8_NOTE] if classic_non_ascii else []) + [CRLF_NOTE, SEMICOLON_NOTE],
            }[variant]


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("latin-1"))
    return path


def same_register(resaved, original):
    pd.testing.assert_frame_equal(resaved.deals, original.deals)
    pd.testing.assert_frame_equal(resaved.deliveries, original.deliveries)
    assert (resaved.format, resaved.vintage, resaved.identical_records) == \
        (original.format, original.vintage, original.identical_records)


VARIANTS = ["crlf+trailing-semicolon", "trailing-comma", "semicolon+bom+utf8"]


# ------------------------------------------------------------------ re-saved copies: hand-made fixtures

@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("fixture", [CLASSIC, REPEATS, PER_YEAR], ids=lambda p: p.stem)
def test_resaved_fixture_reads_the_same(tmp_path, fixture, variant):
    encoding = "latin-1"  # the fixtures' one non-ASCII name (Curaçao) is Latin-1
    original = sipri.load_register(fixture, use_cache=False)
    resaved = sipri.load_register(write(tmp_path, "resaved.csv", resave(fixture.read_bytes(), encoding, variant)),
                                  use_cache=False)
    same_register(resaved, original)
    non_ascii = fixture == CLASSIC  # "Curaçao" (Latin-1 0xe7) becomes two UTF-8 bytes
    # the split record of CLASSIC ends its first half in CR: already a CRLF in the fixture, no note on its own
    assert list(resaved.reading_notes) == expected_notes(variant, classic_non_ascii=non_ascii) + \
        list(original.reading_notes)


def test_an_export_as_sipri_writes_it_has_no_reading_note():
    assert sipri.load_register(CLASSIC, use_cache=False).reading_notes == ()
    assert sipri.load_register(PER_YEAR, use_cache=False).reading_notes == ()


@pytest.mark.parametrize("variant", VARIANTS)
def test_resaved_tiv_table_reads_the_same(tmp_path, variant):
    path = write(tmp_path, "tiv.csv", resave(IMPORTS.read_bytes(), "latin-1", variant))
    pd.testing.assert_frame_equal(sipri.load_tiv_table(path), sipri.load_tiv_table(IMPORTS))
    pd.testing.assert_frame_equal(sipri.load_tiv_world_total(path), sipri.load_tiv_world_total(IMPORTS))


def test_detect_format_and_find_user_register_see_resaved_files(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setattr(paths, "RAW_SIPRI_DIR", raw)
    path = write(raw, "resaved.csv", resave(PER_YEAR.read_bytes(), "latin-1", "semicolon+bom+utf8"))
    assert sipri.detect_format(path) == "per-year"
    assert sipri.find_user_register() == path


# ------------------------------------------------------------------ re-saved copies: the real registers

@pytest.fixture(scope="module")
def real_original():
    loaded = {}

    def load(path):
        if path not in loaded:
            loaded[path] = sipri.load_register(need(path), use_cache=False)
        return loaded[path]
    return load


@pytest.mark.sipri
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", list(REAL_REGISTERS), ids=lambda p: p.parent.name)
def test_resaved_real_register_reads_the_same(tmp_path, real_original, path, variant):
    original = real_original(path)
    encoding, vintage = REAL_REGISTERS[path]
    data = path.read_bytes()
    resaved = sipri.load_register(write(tmp_path, "resaved.csv", resave(data, encoding, variant)), use_cache=False)
    same_register(resaved, original)
    assert resaved.vintage == vintage
    non_ascii = encoding == "latin-1" and not data.isascii()
    assert list(resaved.reading_notes) == expected_notes(variant, classic_non_ascii=non_ascii) + \
        list(original.reading_notes)


@pytest.mark.sipri
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", REAL_TIV_TABLES, ids=lambda p: p.stem)
def test_resaved_real_tiv_table_reads_the_same(tmp_path, path, variant):
    resaved = write(tmp_path, "resaved.csv", resave(need(path).read_bytes(), "utf-8", variant))
    pd.testing.assert_frame_equal(sipri.load_tiv_table(resaved), sipri.load_tiv_table(path))


# ------------------------------------------------------------------ ambiguous re-saves stay errors

def per_year_lines():
    return PER_YEAR.read_text().splitlines()   # header = index 5 (line 6), rows = lines 7-14


def test_a_mix_of_separators_is_refused(tmp_path):
    lines = [line.replace(",", ";") for line in per_year_lines()]
    lines[9] = per_year_lines()[9]                     # line 10 keeps its commas
    expect_error(write(tmp_path, "mix.csv", "\n".join(lines) + "\n"),
                 contains=["line 10", "has 1 fields, expected 17", ("line 10 is ','-separated but the header "
                                                                    "(line 6) is ';'-separated: the file mixes "
                                                                    "separators")])
    lines = [f"{line};" for line in per_year_lines()]
    lines[12] = lines[12][:-1].replace(",", ";")       # line 13 in ';', and without the trailing ';'
    expect_error(write(tmp_path, "mix2.csv", "\n".join(lines) + "\n"), contains=["line 13", "does not end in ';'"])


def test_a_mix_of_separators_in_a_classic_register_is_refused(tmp_path):
    lines = CLASSIC.read_bytes().decode("latin-1").split("\n")
    text = "\n".join(lines[:9] + [lines[9].replace(",", ";")] + lines[10:])   # line 10 in ';'
    expect_error(write(tmp_path, "mix.csv", text),
                 contains=["line 10", "line 10 is ';'-separated but the header (line 8) is ','-separated"])


def test_a_trailing_delimiter_on_only_some_lines_is_refused(tmp_path):
    lines = [f"{line};" for line in per_year_lines()]
    lines[10] = lines[10][:-1]                         # line 11 lacks it
    expect_error(write(tmp_path, "some.csv", "\n".join(lines) + "\n"),
                 contains=["line 11", "does not end in ';' although the header (line 6) does", "ambiguous"])
    # the other way round: no trailing delimiter on the header, one on line 9 (an empty 18th field)
    lines = per_year_lines()
    lines[8] += ","
    expect_error(write(tmp_path, "some2.csv", "\n".join(lines) + "\n"),
                 contains=["line 9", "has 18 fields, expected 17", "ends in a trailing ','",
                           "does not have: only some lines carry a trailing delimiter"])


def test_a_trailing_field_that_is_not_empty_is_refused(tmp_path):
    lines = per_year_lines()
    lines[7] += ",x"
    expect_error(write(tmp_path, "extra.csv", "\n".join(lines) + "\n"),
                 contains=["line 8", "has 18 fields", "its field 18 ('x') is not empty"])
    text = CLASSIC.read_bytes().decode("latin-1").replace("Invented deal,10,20,20\n", "Invented deal,10,20,20,y\n")
    expect_error(write(tmp_path, "extra-classic.csv", text),
                 contains=["line 9", "it has 17", "its field 17 ('y') is not empty"])


def test_a_byte_order_mark_on_a_latin1_file_is_refused_with_its_line(tmp_path):
    # "Curaçao" is Latin-1 0xe7 on line 14 of the fixture
    path = write(tmp_path, "bom-latin1.csv", codecs.BOM_UTF8 + CLASSIC.read_bytes())
    expect_error(path, contains=["line 14", "byte-order mark but byte 0xe7 is not UTF-8", "mixes encodings"])


def test_a_decimal_comma_is_named(tmp_path):
    lines = [line.replace(",", ";") for line in per_year_lines()]
    lines[8] = lines[8].replace(";1.5;1.5;6;", ";1.5;1,5;6;")     # line 9, TIV deal unit
    expect_error(write(tmp_path, "comma.csv", "\n".join(lines) + "\n"),
                 contains=["line 9", "'TIV deal unit'", "'1,5'", "decimal comma"])


def test_a_misnamed_header_column_says_which(tmp_path):
    # the message was "header has 17 columns, expected the 17 of the per-year register"
    lines = per_year_lines()
    lines[5] = lines[5].replace("Local production", "Local productoin")
    message = expect_error(write(tmp_path, "misnamed.csv", "\n".join(lines) + "\n"),
                           contains=["line 6", "header has the 17 columns of the per-year register but 1 differ",
                                     "column 17 is 'Local productoin' where 'Local production' was expected"])
    assert "expected the 17" not in message


# ------------------------------------------------------------------ identical records: hand-made

def repeats_lines():
    return REPEATS.read_text(encoding="latin-1").removesuffix("\n").split("\n")   # 17 lines, header = line 6


BELARUS = [8, 9, 10, 13, 15, 17]                      # lines of REPEATS with Belarus as supplier


def test_identical_records_like_sipris_are_kept_counted_and_noted():
    reg = sipri.load_register(REPEATS, use_cache=False)
    assert reg.identical_records == 1 and len(reg.deals) == 11
    assert reg.reading_notes == (
        ("1 record repeats an earlier record in every field (the first: line 12 repeats line 11); SIPRI lists such "
         "identical deals separately (its per-year register gives them distinct deal ids), so they are kept and "
         "counted."),)
    # both records count: Israel -> Azerbaijan delivered 20 + 20 = 40
    israel = reg.deals[(reg.deals["supplier"] == "Israel") & (reg.deals["recipient"] == "Azerbaijan")]
    assert israel["tiv_delivered_mn"].sum() == 40


def test_a_file_concatenated_with_itself_is_refused(tmp_path):
    data = REPEATS.read_bytes()
    # 17 lines, so the second copy starts on line 18 with the file's first line
    expect_error(write(tmp_path, "twice.csv", data + data),
                 contains=["twice.csv, line 18: this line repeats the file's first line (line 1)",
                           "second SIPRI export"])
    # a per-year register too: its first line comes again on line 15 (14 lines)
    expect_error(write(tmp_path, "twice-py.csv", PER_YEAR.read_bytes() * 2),
                 contains=["line 15: this line repeats the file's first line (line 1)"])
    # the header alone pasted again after the records
    lines = repeats_lines()
    expect_error(write(tmp_path, "header-again.csv", "\n".join(lines + [lines[5]]) + "\n"),
                 contains=["line 18: this line repeats the header (line 6)"])


def test_records_pasted_again_after_the_records_are_refused(tmp_path):
    lines = CLASSIC.read_bytes().decode("latin-1").removesuffix("\n").split("\n")   # 20 lines, header line 8
    # records on lines 9-20 appended as lines 21-32: 11 records (12-13 is one split record), 11 repeats
    message = expect_error(write(tmp_path, "records-twice.csv", "\n".join(lines + lines[8:]) + "\n"),
                           contains=["records-twice.csv, line 21: line 21 repeats line 9 and line 22 repeats line 10",
                                     "and 9 more repeats follow as closely, up to line 32",
                                     "a file concatenated with itself"])
    assert "no two repeats are fewer than 3 records apart" in message
    # REPEATS already holds one repeat (12 of 11); its records pasted again as lines 18-28 form the block
    lines = repeats_lines()
    expect_error(write(tmp_path, "repeats-twice.csv", "\n".join(lines + lines[6:]) + "\n"),
                 contains=["line 18: line 18 repeats line 7 and line 19 repeats line 8",
                           "and 9 more repeats follow as closely, up to line 28"])
    # per-year: deal 90001 of 2018 on line 7 comes again on line 15
    lines = per_year_lines()
    expect_error(write(tmp_path, "per-year-twice.csv", "\n".join(lines + lines[6:]) + "\n"),
                 contains=["deal 90001, delivery year '2018' on lines 7, 15 (identical)",
                           "one row per deal and delivery year"])


def test_a_record_three_times_is_refused(tmp_path):
    lines = repeats_lines()
    # line 7 copied after line 9 (new line 10) and at the end (new line 19): repeats 3 and 6 records apart
    three = lines[:9] + [lines[6]] + lines[9:] + [lines[6]]
    expect_error(write(tmp_path, "three.csv", "\n".join(three) + "\n"),
                 contains=["three.csv, line 19: lines 7, 10 and 19 hold the same record 3 times", "at most twice"])


def test_belarus_rows_doubled_are_refused(tmp_path):
    lines = repeats_lines()
    # in place (each Belarus line followed by its copy): 8, 8', 9, 9', ... -> the copies are lines 9 and 11
    doubled = [copy for number, line in enumerate(lines, start=1)
               for copy in ([line, line] if number in BELARUS else [line])]
    expect_error(write(tmp_path, "in-place.csv", "\n".join(doubled) + "\n"),
                 contains=["in-place.csv, line 9: line 9 repeats line 8 and line 11 repeats line 10",
                           "two records apart"])
    # appended: the 6 Belarus lines again as lines 18-23
    appended = lines + [lines[n - 1] for n in BELARUS]
    expect_error(write(tmp_path, "appended.csv", "\n".join(appended) + "\n"),
                 contains=["line 18: line 18 repeats line 8 and line 19 repeats line 9",
                           "and 4 more repeats follow as closely, up to line 23", "next to each other"])
    # without the check these files gave Belarus -> Azerbaijan 2 x (6 + 10 + 1.2) = 34.4 instead of 17.2


def synthetic_register(repeats: int) -> str:
    """200 distinct records; after every 5th, a copy of the record 2 before it (repeats 6 records apart)."""
    lines = repeats_lines()[:6]
    records = [f"Azerbaijan,Belarus,{1950 + i % 70},,1,,X-{i},radar,1,,{1951 + i % 70},New,,1,1,1" for i in range(200)]
    for i, record in enumerate(records):
        lines.append(record)
        if i % 5 == 4 and repeats:
            lines.append(records[i - 2])
            repeats -= 1
    return "\n".join(lines) + "\n"


def test_too_many_scattered_repeats_are_refused(tmp_path):
    reg = sipri.load_register(write(tmp_path, "twenty.csv", synthetic_register(20)), use_cache=False)
    assert reg.identical_records == 20 and len(reg.deals) == 220          # the floor: 20 are accepted
    # 21 repeats in 221 records: over max(20, 0.2% x 221 = 0.4); 21 / 221 = 9.5%.
    # The first repeat is the copy of record 2 (line 6 + 3 = 9), written after record 4 (line 11): line 12.
    expect_error(write(tmp_path, "twenty-one.csv", synthetic_register(21)),
                 contains=["twenty-one.csv, line 12: 21 of 221 records (9.5%) repeat an earlier record",
                           "(the first: line 12 repeats line 9)", "more than 20 here cannot be SIPRI's"])


# ------------------------------------------------------------------ identical records: the real registers

def real_records(path, encoding):
    """csv-module rows of the complete one-line records after the header, fields stripped (records split by
    a raw line break are left out: none of them is a repeat)."""
    lines = physical_lines(path.read_bytes(), encoding)
    header = next(i for i, line in enumerate(lines) if line.startswith(("Recipient,", "SIPRI AT Database ID,")))
    rows = [tuple(f.strip() for f in next(csv.reader([line]))) for line in lines[header + 1:] if line.strip()]
    return [row for row in rows if len(row) == (16 if lines[header].startswith("Recipient,") else 17)]


@pytest.mark.sipri
@pytest.mark.parametrize("path, measured", [(CLASSIC_2025, 10), (CLASSIC_2024, 9)], ids=["2025-03-13", "2024-03-18"])
def test_real_classic_registers_keep_and_count_their_identical_records(real_original, path, measured):
    reg = real_original(need(path))
    independent = int(pd.DataFrame(real_records(path, "latin-1")).duplicated().sum())
    assert reg.identical_records == independent == measured
    assert reg.reading_notes[-1].startswith(f"{measured} records repeat an earlier record in every field")


@pytest.mark.sipri
def test_the_per_year_register_gives_the_2025_repeats_distinct_deal_ids():
    """The docstring's evidence: each 2025 repeat that the per-year register covers has two deal ids there."""
    classic = pd.DataFrame(real_records(need(CLASSIC_2025), "latin-1"))
    per_year = pd.DataFrame(real_records(need(PER_YEAR_2024), "utf-8")).set_index(0)
    cases = {  # (recipient, supplier, classic designation, order year): the per-year deal ids
        ("Saudi Arabia", "unknown supplier(s)", "MIM-104 PAC-2", "2021"): ["65968", "65987"],
        ("unknown recipient(s)", "Israel", "Aerostar", "2003"): ["35462", "35463"],
        ("Mexico", "United States", "aircraft engine", "2008"): ["38243", "50758"],
        ("Netherlands", "United States", "vehicle engine", "2009"): ["55857", "55859"],
        ("Ukraine", "Norway", "NASAMS-2", "2023"): ["66366", "66825"],
        ("unknown recipient(s)", "United States", "AAQ-33 Sniper ATP", "2018"): ["63421", "63422"],
    }
    for (recipient, supplier, designation, year), ids in cases.items():
        rows = classic[(classic[0] == recipient) & (classic[1] == supplier) & (classic[6] == designation)
                       & (classic[2] == year)]
        rows = rows[rows.duplicated(keep=False)]
        assert len(rows) == 2, (recipient, designation)
        deals = per_year.loc[ids]
        assert (deals[1] == supplier).all() and (deals[2] == recipient).all() and (deals[6] == year).all()
        assert len(deals.drop_duplicates()) == 1, ids          # equal in every field but the deal id


@pytest.mark.sipri
def test_real_register_concatenated_or_with_belarus_doubled_is_refused(tmp_path):
    data = need(CLASSIC_2025).read_bytes()
    lines = physical_lines(data, "latin-1")
    n = len(lines)                                  # the second copy starts on line n + 1
    expect_error(write(tmp_path, "twice.csv", data + data),
                 contains=[f"line {n + 1}: this line repeats the file's first line (line 1)"])
    # records only (lines 13.. after the 12-line preamble and header) appended: line n + 1 repeats 13
    records_twice = "\n".join(lines + lines[12:]) + "\n"
    expect_error(write(tmp_path, "records-twice.csv", records_twice.encode("latin-1")),
                 contains=[f"line {n + 1}: line {n + 1} repeats line 13 and line {n + 2} repeats line 14"])
    # the Belarus -> Azerbaijan lines appended (the probe: 74.4 instead of 37.2)
    belarus = [i for i, line in enumerate(lines, start=1) if line.startswith("Azerbaijan,Belarus,")]
    assert len(belarus) == 10
    appended = "\n".join(lines + [lines[i - 1] for i in belarus]) + "\n"
    expect_error(write(tmp_path, "belarus-appended.csv", appended.encode("latin-1")),
                 contains=[(f"line {n + 1}: line {n + 1} repeats line {belarus[0]} and line {n + 2} repeats line "
                            f"{belarus[1]} in every field, and 8 more repeats follow as closely, up to line {n + 10}")])
    # ... or doubled in place: the message names a copy and the line it repeats, both Belarus -> Azerbaijan
    doubled = [copy for i, line in enumerate(lines, start=1) for copy in ([line, line] if i in belarus else [line])]
    message = expect_error(write(tmp_path, "belarus-doubled.csv", ("\n".join(doubled) + "\n").encode("latin-1")),
                           contains=["two records apart"])
    copy, original = map(int, re.search(r"line (\d+) repeats line (\d+)", message).groups())
    assert copy == original + 1 and doubled[copy - 1] == doubled[original - 1]
    assert doubled[copy - 1].startswith("Azerbaijan,Belarus,")
    # every Belarus record (153, supplier or recipient) doubled, each copy at least 5 lines after its original
    # and after the previous copy (never inside a record split over two lines): too many repeats
    every = [i for i, row in enumerate(lines, start=1) if i > 12 and "Belarus" in row.split(",")[:2]]
    assert len(every) == 153
    after, at = {}, 0
    for i in every:
        at = max(i + 5, at + 5)
        while len(lines[at - 1].split(",")) != 16:    # the real files hold no quotes
            at += 1
        after[at] = lines[i - 1]
    spread = [copy for i, line in enumerate(lines, start=1) for copy in [line] + ([after[i]] if i in after else [])]
    starts = [r for r in (line.split(",") for line in lines[12:])        # record starts, as in test_sipri_real
              if len(r) > 3 and re.fullmatch(r"\d{4}", r[2]) and r[3] in ("", "?")]
    records = len(starts) + 153                      # 29,515 + 153 = 29,668 records
    # repeats: 153 copies + the register's own 10 = 163; 163 / 29,668 = 0.55%; limit int(0.002 x 29,668) = 59
    expect_error(write(tmp_path, "belarus-spread.csv", ("\n".join(spread) + "\n").encode("latin-1")),
                 contains=[f"163 of {records:,} records (0.5%) repeat an earlier record",
                           "more than 59 here cannot be SIPRI's"])


@pytest.mark.sipri
def test_real_per_year_register_with_belarus_doubled_names_both_lines(tmp_path):
    lines = physical_lines(need(PER_YEAR_2024).read_bytes(), "utf-8")
    belarus = [i for i, line in enumerate(lines, start=1) if line.split(",")[1:2] == ["Belarus"]]
    doubled = [copy for i, line in enumerate(lines, start=1) for copy in ([line, line] if i in belarus else [line])]
    first = belarus[0]                               # nothing before it is doubled: it stays on its line
    deal, year = lines[first - 1].split(",")[0], lines[first - 1].split(",")[10]
    expect_error(write(tmp_path, "doubled.csv", "\n".join(doubled) + "\n"),
                 contains=[f"line {first + 1}:",
                           f"deal {deal}, delivery year {year!r} on lines {first}, {first + 1} (identical)"])


# ------------------------------------------------------------------ vintage

def test_a_file_without_data_generated_loads_with_an_unknown_vintage(tmp_path):
    lines = [line for line in repeats_lines() if not line.startswith("Data generated")]
    reg = sipri.load_register(write(tmp_path, "no-vintage.csv", "\n".join(lines) + "\n"), use_cache=False)
    assert reg.vintage == ""
    assert reg.reading_notes[0] == NO_VINTAGE_NOTE
    assert (reg.deals["source_date"] == "").all() and len(reg.deals) == 11
    lines = [line.replace("02 Jan 2025 09:30:00 AM", "yesterday") for line in repeats_lines()]
    reg = sipri.load_register(write(tmp_path, "odd-vintage.csv", "\n".join(lines) + "\n"), use_cache=False)
    assert reg.vintage == "" and reg.reading_notes[0] == (
        "The file's 'Data generated' line ('Data generated: yesterday') has no date in SIPRI's form ('13 Mar 2025'): "
        "its SIPRI release is unknown.")


# ------------------------------------------------------------------ size limit

def test_the_size_limit_comes_from_the_environment(monkeypatch):
    size = CLASSIC.stat().st_size
    monkeypatch.setenv("ARMSBRIEF_MAX_BYTES", "100")
    with pytest.raises(SipriFormatError, match="over the 100 bytes limit") as err:
        sipri.load_register(CLASSIC, use_cache=False)
    assert "ARMSBRIEF_MAX_BYTES" in str(err.value) and "max_bytes" not in str(err.value)
    with pytest.raises(SipriFormatError, match="over the 100 bytes limit"):
        sipri.load_tiv_table(IMPORTS)
    assert sipri.load_register(CLASSIC, use_cache=False, max_bytes=size).format == "classic"   # the argument wins
    monkeypatch.setenv("ARMSBRIEF_MAX_BYTES", "1K")          # 1,024 bytes
    assert size > 1024
    with pytest.raises(SipriFormatError, match="over the 1,024 bytes limit"):
        sipri.load_register(CLASSIC, use_cache=False)
    monkeypatch.setenv("ARMSBRIEF_MAX_BYTES", "64M")
    assert sipri.max_bytes_limit() == 64 * 2**20
    assert sipri.load_register(CLASSIC, use_cache=False).format == "classic"
    for bad in ("lots", "0", "-5", "1.5M"):
        monkeypatch.setenv("ARMSBRIEF_MAX_BYTES", bad)
        with pytest.raises(ValueError, match=rf"ARMSBRIEF_MAX_BYTES='{re.escape(bad)}': expected a size in bytes"):
            sipri.load_register(CLASSIC, use_cache=False)


def test_the_default_size_limit_message_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setattr(sipri, "DEFAULT_MAX_BYTES", 100)
    with pytest.raises(SipriFormatError) as err:
        sipri.load_register(CLASSIC, use_cache=False)
    assert "over the 100 bytes limit" in str(err.value) and "ARMSBRIEF_MAX_BYTES=64M" in str(err.value)


# ------------------------------------------------------------------ cache

def test_reading_notes_and_identical_records_survive_the_cache(tmp_path, tmp_cache, monkeypatch):
    monkeypatch.delenv("ARMSBRIEF_CACHE", raising=False)   # the cache on, whatever the caller's environment
    path = write(tmp_path, "resaved.csv", resave(REPEATS.read_bytes(), "latin-1", "crlf+trailing-semicolon"))
    first = sipri.load_register(path)
    assert first.identical_records == 1 and len(first.reading_notes) == 3      # CRLF, trailing ';', repeats
    meta = json.loads((tmp_cache / "registers" / sipri._cache_key(first.sha256) / "meta.json").read_bytes())
    assert meta["reading_notes"] == list(first.reading_notes) and meta["identical_records"] == 1

    def no_parse(*args):
        raise AssertionError("parsed again")

    monkeypatch.setitem(sipri._PARSERS, "classic", no_parse)
    second = sipri.load_register(path)
    assert (second.reading_notes, second.identical_records) == (first.reading_notes, first.identical_records)
    pd.testing.assert_frame_equal(second.deals, first.deals)
