"""UCDP/PRIO Armed Conflict Dataset reader (analysis.sources.ucdp): formats, name mapping, facts, extract."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import paths
from analysis.sources import countries, sidecars, ucdp

REAL = paths.PROJECT_ROOT.parent / "shared" / "ucdp" / "25.1" / "UcdpPrioConflict_v25_1.csv"

HEADER = ucdp.UCDP_COLUMNS
# A few rows in UCDP's own format (comma, yyyy-mm-dd); quoted cells hold comma-separated lists.
ROWS = [
    ["218", "India, Pakistan", "Government of India", "141", "", "Government of Pakistan", "142", "", "1",
     "Kashmir", "1999", "1", "1", "2", "1948-10-22", "1", "1948-10-22", "1", "0", "", "", "750", "", "770", "",
     "750, 770", "3", "25.1"],
    ["388", "Azerbaijan", "Government of Azerbaijan", "64", "Government of Turkey", "Republic of Artsakh", "338",
     "Government of Armenia", "1", "Artsakh (Nagorno-Karabakh)", "2020", "2", "1", "4", "1991-12-29", "1",
     "2020-07-16", "1", "0", "", "", "373", "640", "", "371", "373", "1", "25.1"],
    # names alphabetical, numbers sorted as text (as UCDP writes them); 365 before 1992 = Soviet Union
    ["1", "X", "Government of Russia (Soviet Union)", "57", "Government of Yemen (North Yemen), Government of Cuba",
     "Rebels", "9", "", "2", "", "1985", "1", "0", "4", "1985-01-31", "3", "1985-01-31", "3", "1", "1985-12-31", "5",
     "365", "40, 678", "", "", "365", "1", "25.1"],
]


def _cell(text: str, delimiter: str) -> str:
    return f'"{text}"' if delimiter in text or '"' in text else text


def _dmy(iso: str) -> str:
    if iso.count("-") != 2:
        return iso
    y, m, d = iso.split("-")
    return f"{int(d)}-{int(m)}-{y}"


def write_ucdp(path, rows=ROWS, header=HEADER):
    lines = [",".join(header)] + [",".join(_cell(c, ",") for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
    return path


def write_resaved(path, rows=ROWS, header=HEADER):
    """The spreadsheet variant: ';', d-m-yyyy, CRLF and a BOM."""
    dates = {header.index(c) for c in ("start_date", "start_date2", "ep_end_date")}
    out = [";".join(header)]
    for row in rows:
        out.append(";".join(_cell(_dmy(c) if i in dates and c else c, ";") for i, c in enumerate(row)))
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(out) + "\r\n").encode("utf-8"))
    return path


def test_both_formats_read_to_identical_frames(tmp_path):
    a = ucdp.load_conflicts(write_ucdp(tmp_path / "ucdp.csv"))
    b = ucdp.load_conflicts(write_resaved(tmp_path / "resaved.csv"))
    assert (tmp_path / "resaved.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 3
    assert str(a["year"].dtype) == "Int64" and a["year"].tolist() == [1999, 2020, 1985]
    assert a.loc[0, "start_date"] == pd.Timestamp("1948-10-22")
    assert a.loc[2, "gwno_a_2nd"] == [40, 678]
    # paired by number, not position: 40 = Cuba, 678 = North Yemen in 1985
    assert a.loc[2, "states_a_2nd"] == ["Cuba", "North Yemen"]
    assert a.loc[2, "states_a"] == ["Soviet Union"]
    assert a.loc[1, "states_a_2nd"] == ["Türkiye"] and a.loc[1, "states_b_2nd"] == ["Armenia"]


def test_state_dyads_and_adversaries(tmp_path):
    dyads = ucdp.state_dyads(ucdp.load_conflicts(write_ucdp(tmp_path / "ucdp.csv")))
    rows = {(r.year, r.state_a, r.state_b): r for r in dyads.itertuples()}
    india = rows[(1999, "India", "Pakistan")]
    assert india.is_primary and india.role == "primary-primary" and india.type_of_conflict == 2
    assert india.conflict_name == "Government of India vs Government of Pakistan"
    aze = rows[(2020, "Azerbaijan", "Armenia")]
    assert not aze.is_primary and aze.role == "primary-secondary" and aze.intensity_level == 2
    assert aze.conflict_name == "Azerbaijan: territory (Artsakh (Nagorno-Karabakh))"
    assert rows[(2020, "Türkiye", "Armenia")].role == "secondary-secondary"
    # the intrastate row has a rebel side B and no side-B states: no pairs
    assert not (dyads["year"] == 1985).any()
    assert ucdp.adversaries(dyads, "Armenia", 2000, 2024) == {"Azerbaijan": [2020], "Türkiye": [2020]}
    assert ucdp.adversaries(dyads, "India", 2000, 2024) == {}


def _with(row_index, **changes):
    rows = [list(r) for r in ROWS]
    for column, value in changes.items():
        rows[row_index][HEADER.index(column)] = value
    return rows


def test_unknown_gw_number_fails_naming_it(tmp_path):
    path = write_ucdp(tmp_path / "bad.csv", _with(0, gwno_b="999"))
    with pytest.raises(ucdp.UcdpFormatError, match=r"bad\.csv, line 2, column side_b/gwno_b: unknown GW number") as e:
        ucdp.load_conflicts(path)
    assert "999" in str(e.value) and "Pakistan" in str(e.value)


def test_unmapped_state_name_fails_naming_it(tmp_path):
    path = write_ucdp(tmp_path / "bad.csv", _with(1, side_a_2nd="Government of Atlantis"))
    with pytest.raises(ucdp.UcdpFormatError, match=r"line 3, column side_a_2nd/gwno_a_2nd: unmapped state.*'Atlantis'.*640"):
        ucdp.load_conflicts(path)


@pytest.mark.parametrize("column, value, expected", [
    ("intensity_level", "3", r"column intensity_level: 3 is out of range \(expected 1-2\)"),
    ("type_of_conflict", "x", r"column type_of_conflict: 'x' is not an integer"),
    ("start_date", "1948/10/22", r"column start_date: '1948/10/22' is not a date"),
    ("year", "", r"column year: empty, an integer was expected"),
    ("gwno_a", "75O", r"column gwno_a: '75O' is not a comma-separated list"),
])
def test_bad_values_name_file_line_and_column(tmp_path, column, value, expected):
    path = write_resaved(tmp_path / "bad.csv", _with(0, **{column: value}))
    with pytest.raises(ucdp.UcdpFormatError, match=r"bad\.csv, line 2, " + expected):
        ucdp.load_conflicts(path)


def test_truncated_record_is_not_silently_repaired(tmp_path):
    stub = ROWS[0][:10] + [""] * 18  # the fields after territory_name lost, no continuation line
    with pytest.raises(ucdp.UcdpFormatError, match=r"line 3, column year: empty"):
        ucdp.load_conflicts(write_ucdp(tmp_path / "bad.csv", [ROWS[1], stub]))


def test_missing_column_is_named(tmp_path):
    header = [c for c in HEADER if c != "gwno_b"]
    rows = [[c for c, h in zip(r, HEADER) if h != "gwno_b"] for r in ROWS]
    with pytest.raises(ucdp.UcdpFormatError, match=r"line 1, column gwno_b: required column\(s\) missing"):
        ucdp.load_conflicts(write_ucdp(tmp_path / "bad.csv", rows, header))
    assert issubclass(ucdp.UcdpFormatError, ValueError)


def test_exceptions_table_reads_by_year():
    names = {gw: (name, rule) for gw, (name, rule, _) in ucdp.GW_EXCEPTIONS.items()}
    assert names[365][1](1991) == "Soviet Union" and names[365][1](1992) == "Russia"
    assert names[345][1](1999) == "Yugoslavia" and names[345][1](2006) == "Serbia"
    assert names[678][1](1989) == "North Yemen" and names[678][1](1990) == "Yemen"
    assert names[816][1](1965) == "Viet Nam" and names[817][1](1965) == "South Vietnam"
    assert names[260][1](1970) == "Germany"
    for gw, (name, rule) in names.items():  # every exception target is a project name, except Hyderabad
        if gw != 751:
            assert countries.normalise(rule(2000)) == rule(2000)


# --------------------------------------------------------------------------------------------
# the real file and the embedded extract


@pytest.fixture(scope="module")
def real():
    if not REAL.is_file():
        pytest.skip(f"real UCDP file absent: {REAL}")
    return ucdp.load_conflicts(REAL)


def test_real_file_reads_and_every_state_maps(real):
    # 2,752 data lines; lines 42-43 are one record (conflict 11349, 2008) split by the re-save
    assert sum(1 for _ in REAL.open(encoding="utf-8")) - 1 == 2752
    assert len(real) == 2751
    assert real.attrs["repairs"] == ["lines 42-43: one record (conflict_id 11349) split over two lines, rejoined"]
    china = real[real["conflict_id"] == 11349].iloc[0]
    assert (china["year"], china["gwno_a"], china["states_a"], china["gwno_loc"]) == (2008, [710], ["China"], [710])
    assert china["ep_end_date"] == pd.Timestamp("2008-08-29")
    assert real["year"].min() == 1946 and real["year"].max() == 2024
    assert set(real["type_of_conflict"]) == {1, 2, 3, 4} and set(real["intensity_level"]) == {1, 2}
    for gw_column, states_column in ucdp._SIDES.values():
        assert (real[gw_column].map(len) == real[states_column].map(len)).all()
    states = {s for c in ("states_a", "states_a_2nd", "states_b", "states_b_2nd") for lst in real[c] for s in lst}
    assert {"Soviet Union", "Russia", "Yugoslavia", "Serbia", "North Yemen", "Yemen", "Viet Nam", "South Vietnam",
            "Cambodia", "DR Congo", "Germany", "Czechia", "Türkiye", "United States"} <= states
    unknown = {s for s in states if s != "Hyderabad" and countries.kind(s) not in ("state", "former state")}
    assert not unknown


def test_real_file_facts(real):
    """Checked against the raw rows of UcdpPrioConflict_v25_1.csv."""
    dyads = ucdp.state_dyads(real)
    # conflict 388 (Azerbaijan vs Republic of Artsakh, territory Artsakh (Nagorno-Karabakh)) is coded
    # internationalized intrastate (4): Armenia is a secondary party on side B, Turkey on side A in 2020,
    # intensity 2 (war) in 1992, 1993 and 2020. UCDP 25.1 has no interstate (2) Armenia-Azerbaijan conflict.
    row = real[(real["conflict_id"] == 388) & (real["year"] == 2020)].iloc[0]
    assert (row["type_of_conflict"], row["intensity_level"], row["states_b_2nd"], row["states_a_2nd"]) == (
        4, 2, ["Armenia"], ["Türkiye"])
    aze = dyads[(dyads["state_a"] == "Azerbaijan") & (dyads["state_b"] == "Armenia")]
    assert set(aze["conflict_id"]) == {388} and set(aze["role"]) == {"primary-secondary"}
    assert aze[aze["intensity_level"] == 2]["year"].tolist() == [1992, 1993, 2020]
    assert ucdp.adversaries(dyads, "Armenia", 2020, 2020) == {"Azerbaijan": [2020], "Türkiye": [2020]}
    assert not ((real["type_of_conflict"] == 2) & real["location"].str.contains("Armenia")).any()
    # conflict 218, interstate India vs Pakistan (Kashmir): war in 1948, 1965, 1971; minor in 1999 (Kargil)
    india = dyads[(dyads["conflict_id"] == 218) & (dyads["state_a"] == "India") & (dyads["state_b"] == "Pakistan")]
    assert india["is_primary"].all() and (india["type_of_conflict"] == 2).all()
    assert set(india[india["intensity_level"] == 2]["year"]) == {1948, 1965, 1971}
    assert {1999, 2019, 2020} <= set(india["year"]) and 1999 in ucdp.adversaries(dyads, "Pakistan", 1999, 1999)["India"]
    assert india.iloc[0]["conflict_name"] == "Government of India vs Government of Pakistan"
    # Soviet Union before 1992, Russia after, for GW 365
    assert "Soviet Union" in ucdp.adversaries(dyads, "United States", 1950, 1953)  # Korean war, secondary parties
    assert "Russia" in ucdp.adversaries(dyads, "Ukraine", 2022, 2024)


def test_embedded_extract_sidecar_and_equality(real, tmp_path):
    meta = sidecars.validate_sidecar(ucdp.EXTRACT_PATH)
    assert meta["citation"] == ucdp.CITATION and meta["url"] == "https://ucdp.uu.se/downloads/"
    assert meta["rows"] == 2751 and str(meta["date_published"]) == "2025" and "CC BY 4.0" in meta["licence"]
    embedded = ucdp.load_conflicts()
    for column, value in ucdp.SOURCE_COLUMNS.items():
        assert (embedded[column] == value).all()
    pd.testing.assert_frame_equal(embedded.drop(columns=list(ucdp.SOURCE_COLUMNS)), real)
    # reproducible: regenerating from the shared file gives the same bytes
    again = ucdp.write_extract(REAL, tmp_path / "again.csv")
    assert again.read_bytes() == ucdp.EXTRACT_PATH.read_bytes()
    assert b"\r" not in again.read_bytes() and b";" not in again.read_bytes().split(b"\n", 1)[0]
