"""Bad input, end to end: each fails with a clear message naming the parameter or the file (and line),
exits non-zero from the CLI, and leaves the reports folder exactly as it was.

The loaders' own errors are unit-tested in test_sipri_loaders.py; here the same faults go through
``armsbrief brief --transfers <file>`` / ``build_brief(...)``.
"""
from __future__ import annotations

import codecs
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis import paths
from analysis.pipeline.build import BuildError, build_brief, run_build
from analysis.pipeline.cli import main
from analysis.case.params import ParameterError

FIXTURES = Path(__file__).parent / "fixtures" / "sipri"
PER_YEAR = FIXTURES / "per_year_register.csv"
CLASSIC = FIXTURES / "classic_register.csv"
IMPORTS = FIXTURES / "import_values.csv"
CASE = ["--supplier", "Belarus", "--recipient", "Azerbaijan", "--ally", "Armenia", "--alliance", "CSTO"]
PARAMS = dict(supplier="Belarus", recipient="Azerbaijan", ally="Armenia", alliance="CSTO",
              start_year=2018, end_year=2022, transfers="embedded")


@pytest.fixture
def reports(tmp_path, monkeypatch):
    """An isolated reports folder holding one earlier brief; the parsed-register cache in tmp too."""
    folder = tmp_path / "reports"
    (folder / "earlier-brief").mkdir(parents=True)
    (folder / "earlier-brief" / "earlier-brief.html").write_text("<p>earlier</p>", encoding="utf-8")
    monkeypatch.setattr(paths, "REPORTS_DIR", folder)
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    return folder


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


def assert_untouched(folder: Path, before: dict) -> None:
    after = snapshot(folder)
    assert after == before, f"the reports folder changed: {sorted(set(after) ^ set(before))}"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], "temporary folders or files left behind"


def brief_fails(reports: Path, *args: str, contains: list[str], start="2018", end="2022") -> str:
    """Run ``armsbrief brief`` in this process; it must exit non-zero with every text in ``contains``."""
    before = snapshot(reports)
    result = CliRunner().invoke(main, ["brief", *CASE, "--start", start, "--end", end, *args])
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    message = " ".join(result.output.split())
    for part in contains:
        assert " ".join(part.split()) in message, message
    assert "Traceback" not in result.output
    assert_untouched(reports, before)
    return message


def edited(source: Path, old: str, new: str) -> bytes:
    text = source.read_bytes().decode("latin-1")
    assert old in text
    return text.replace(old, new, 1).encode("latin-1")


def bad_file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# ------------------------------------------------------------------ parameters

def test_misspelt_country_suggests_close_matches(reports):
    result = CliRunner().invoke(main, ["brief", "--supplier", "Belarus", "--recipient", "Azerbajan",
                                       "--start", "2018", "--end", "2022", "--transfers", "embedded"])
    assert result.exit_code != 0
    assert "parameter 'recipient': unknown country or actor 'Azerbajan'; did you mean 'Azerbaijan'" in result.output


def test_unknown_ally_and_alliance(reports):
    brief_fails(reports, "--transfers", "embedded", "--ally", "Narnia",
                contains=["parameter 'ally': unknown country or actor 'Narnia'"])
    brief_fails(reports, "--transfers", "embedded", "--alliance", "Warsaw Pact",
                contains=["parameter 'alliance': unknown alliance 'Warsaw Pact'; known: ", "CSTO"])


def test_start_year_after_end_year(reports):
    brief_fails(reports, "--transfers", "embedded", start="2022", end="2018",
                contains=["start_year (2022) is after end_year (2018)"])


@pytest.mark.parametrize("start, end, name", [("1900", "1910", "start_year"), ("2018", "2999", "end_year")])
def test_years_no_arms_data_can_cover(reports, start, end, name):
    brief_fails(reports, "--transfers", "embedded", start=start, end=end,
                contains=[f"parameter '{name}'", "outside the years arms-transfer data can cover (1950-"])


def test_year_that_is_not_a_number(reports):
    brief_fails(reports, "--transfers", "embedded", start="twenty", contains=["'--start'", "'twenty' is not a valid integer"])


def test_period_outside_the_embedded_data_names_its_years(reports):
    brief_fails(reports, "--transfers", "embedded", start="1960", end="1965",
                contains=["the period 1960–1965 has no data in the embedded case data",
                          "deliveries from 1993 to 2023"])


def test_period_outside_a_sipri_register_names_its_years(reports):
    brief_fails(reports, "--transfers", str(PER_YEAR), start="1970", end="1980",
                contains=["the period 1970–1980 has no data in the SIPRI per-year register", str(PER_YEAR),
                          "data generated 2024-04-13", "deliveries from 1990 to 2023"])


def test_period_partly_outside_the_data_is_accepted():
    from analysis.sources.curated import load_embedded_register
    from analysis.case.params import check_period_in_data

    register = load_embedded_register()
    check_period_in_data(2020, 2030, register)  # overlaps 1993-2023: no error
    check_period_in_data(1980, 1993, register)
    with pytest.raises(ParameterError, match="1993 to 2023"):
        check_period_in_data(2024, 2030, register)


def test_unknown_output_format(reports):
    brief_fails(reports, "--transfers", "embedded", "--formats", "html,docx",
                contains=["formats: expected one or more of html, pdf, got 'docx'"])


# ------------------------------------------------------------------ the transfers file

def test_missing_data_file(reports, tmp_path):
    missing = tmp_path / "no-such-register.csv"
    brief_fails(reports, "--transfers", str(missing),
                contains=[f"parameter 'transfers': no file at '{missing}'", "SIPRI trade-register export"])
    brief_fails(reports, "--transfers", str(tmp_path), contains=["parameter 'transfers': no file at"])


def test_missing_columns(reports, tmp_path):
    path = bad_file(tmp_path, "missing.csv", edited(PER_YEAR, ",Status,SIPRI estimate,", ",SIPRI estimate,"))
    brief_fails(reports, "--transfers", path, contains=[f"{path}, line 6", "missing ['Status']", "expected columns"])


def test_wrong_delimiter(reports, tmp_path):
    # ';' (a spreadsheet re-save) is read now (tests/test_sipri_reading.py); a tab-separated file is not
    path = bad_file(tmp_path, "tabs.csv", PER_YEAR.read_bytes().replace(b",", b"\t"))
    brief_fails(reports, "--transfers", path, contains=[f"{path}, line 6", "tab-separated", "comma-separated"])


def test_truncated_last_line(reports, tmp_path):
    data = PER_YEAR.read_bytes()
    path = bad_file(tmp_path, "cut.csv", data[: data.rindex(b",2023,")])
    brief_fails(reports, "--transfers", path, contains=[f"{path}, line 14", "truncated last line", "expected 17"])


def test_truncated_last_record_classic(reports, tmp_path):
    data = CLASSIC.read_bytes()
    path = bad_file(tmp_path, "cut-classic.csv", data[: data.rindex(b",1,?,2020")])
    brief_fails(reports, "--transfers", path, contains=[f"{path}, line 20", "truncated last record", "expected 16"])


def test_wrong_encoding_latin1_in_a_utf8_format(reports, tmp_path):
    path = bad_file(tmp_path, "latin1.csv", edited(PER_YEAR, "90006,Poland,Czechia", "90006,Poland,Czechia\xe9"))
    brief_fails(reports, "--transfers", path, contains=[f"{path}, line 14", "byte 0xe9 is not UTF-8"])


def test_wrong_encoding_utf16(reports, tmp_path):
    data = codecs.BOM_UTF16_LE + PER_YEAR.read_text(encoding="utf-8").encode("utf-16-le")
    path = bad_file(tmp_path, "utf16.csv", data)
    brief_fails(reports, "--transfers", path, contains=[path, "file is UTF-16 encoded", "UTF-8 or Latin-1"])


def test_excel_workbook_instead_of_csv(reports, tmp_path):
    path = bad_file(tmp_path, "register.xlsx", b"PK\x03\x04\x14\x00\x06\x00" + bytes(200))
    brief_fails(reports, "--transfers", path, contains=[path, "ZIP archive", "as CSV"])


def test_duplicate_deal_rows(reports, tmp_path):
    text = PER_YEAR.read_bytes()
    line = text.splitlines(keepends=True)[8]
    path = bad_file(tmp_path, "dup.csv", text + line)
    brief_fails(reports, "--transfers", path,
                contains=[f"{path}, line 15", "duplicate rows for deal 90002", "identical",
                          "expected one row per deal and delivery year"])


def test_negative_tiv(reports, tmp_path):
    path = bad_file(tmp_path, "negative.csv", edited(PER_YEAR, "1.5,1.5,6,No", "1.5,1.5,-6,No"))
    brief_fails(reports, "--transfers", path,
                contains=[f"{path}, line 9", "column 'TIV delivery values' has '-6'", "a number >= 0 or blank"])


def test_non_numeric_tiv(reports, tmp_path):
    path = bad_file(tmp_path, "text.csv", edited(CLASSIC, "1.5,6,6\n", "1.5,6,six\n"))
    brief_fails(reports, "--transfers", path,
                contains=[f"{path}, line 10", "'SIPRI TIV of delivered weapons' has 'six'", "a number >= 0"])


def test_unknown_country_in_the_file(reports, tmp_path):
    path = bad_file(tmp_path, "typo.csv", edited(PER_YEAR, "90006,Poland,Czechia", "90006,Polland,Czechia"))
    brief_fails(reports, "--transfers", path,
                contains=[f"{path}, line 14, column 'Supplier'", "'Polland'", "did you mean 'Poland'"])


@pytest.mark.parametrize("data", [b"", b"\n\r\n  \n"], ids=["zero-bytes", "blank-lines"])
def test_empty_file(reports, tmp_path, data):
    path = bad_file(tmp_path, "empty.csv", data)
    brief_fails(reports, "--transfers", path, contains=[path, "file is empty; expected a SIPRI export"])


def test_a_tiv_table_is_not_a_register(reports):
    brief_fails(reports, "--transfers", str(IMPORTS), contains=[str(IMPORTS), "tiv-imports", "expected classic or per-year"])


def test_100_mb_file_is_refused_unread(reports, tmp_path):
    """A (sparse, so cheap) 100 MB file with a valid header: refused by size, without reading it."""
    path = tmp_path / "huge.csv"
    with open(path, "wb") as fh:
        fh.write(PER_YEAR.read_bytes())
        fh.truncate(100 * 2**20)
    assert path.stat().st_size == 100 * 2**20
    # warm up: imports and the name tables the parameter checks load (a missing file fails after them)
    brief_fails(reports, "--transfers", str(tmp_path / "missing.csv"), contains=["no file at"])
    tracemalloc.start()
    try:
        message = brief_fails(reports, "--transfers", str(path),
                              contains=[str(path), "file is 100.0 MB, over the 32.0 MB limit; not read"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB allocated while refusing a 100 MB file: {message}"


def test_cli_in_a_subprocess_exits_non_zero_and_writes_nothing(tmp_path):
    """The installed command itself, with ARMSBRIEF_REPORTS_DIR (read by analysis.paths at import)."""
    reports = tmp_path / "reports"
    path = bad_file(tmp_path, "negative.csv", edited(PER_YEAR, "1.5,1.5,6,No", "1.5,1.5,-6,No"))
    env = dict(os.environ, ARMSBRIEF_REPORTS_DIR=str(reports))
    done = subprocess.run([sys.executable, "-m", "analysis.pipeline.cli", "brief", *CASE, "--start", "2018", "--end", "2022",
                           "--transfers", path], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert f"Error: {path}, line 9: column 'TIV delivery values' has '-6'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not reports.exists() or not any(reports.iterdir())


# ------------------------------------------------------------------ through the notebook

@pytest.mark.slow
def test_wrong_parameter_type_through_papermill_names_the_parameter(tmp_path):
    """run_build passes parameters to papermill unchecked: the notebook's own check must stop it."""
    reports = tmp_path / "reports"
    with pytest.raises(BuildError) as err:
        run_build(paths.BRIEF_NOTEBOOK, "belarus-azerbaijan-2018-2022", dict(PARAMS, start_year="2018"),
                  formats=("html",), reports_dir=reports)
    message = str(err.value)
    assert "brief.ipynb: cell 3 (line 4: `case = brief.build(" in message
    assert "failed: ParameterError: parameter 'start_year' must be an integer year, got '2018' (str)" in message
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert "ParameterError" in err.value.traceback  # kept for whoever wants it
    assert list(reports.iterdir()) == []  # no brief, no temporary folder


def test_parameter_the_notebook_does_not_declare(tmp_path):
    """papermill would inject it and run the notebook with its defaults under the wrong name."""
    with pytest.raises(BuildError, match="brief.ipynb has no parameter 'start'; its parameters are alliance, ally, "
                                         "case, compare_with, conflicts, end_year, recipient, start_year, supplier, "
                                         "transfers"):
        run_build(paths.BRIEF_NOTEBOOK, "x", dict(PARAMS, start=2018), reports_dir=tmp_path / "reports")
    assert not (tmp_path / "reports").exists()  # refused before anything was created


@pytest.mark.slow
def test_pair_without_transfers_in_a_covered_period_is_stated_plainly(tmp_path, monkeypatch):
    """The register covers 1990-2023 but has no Belarus -> Azerbaijan deal: a brief, not an error."""
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    result = build_brief("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, str(PER_YEAR),
                         formats=("html",), reports_dir=tmp_path / "reports")
    html = result.html.read_text(encoding="utf-8")
    assert "The SIPRI register records no deliveries from Belarus to Azerbaijan in 2018–2022." in html
