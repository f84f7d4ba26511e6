"""Sidecar schema, sidecar-vs-CSV checks, checksum refresh, colophon; and every real sidecar."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis.sources import sidecars
from analysis.sources.sidecars import SidecarError

CSV_TEXT = "name,year,tiv_mn\nAland,2018,1.5\nBorduria,2019,\n"

SIDECAR_TEMPLATE = """\
# a test dataset
title: Test dataset
description: Two rows for the tests.
producer: armsbrief tests
citation: Test citation
url: https://example.org/data   # main source
date_published: 2024-04-13
date_accessed: 2026-11-26
licence: CC0
file: demo.csv
checksum_sha256: {checksum}  # sha256 of demo.csv
rows: {rows}
columns:
  name:
    description: Country name.
    type: string
    unit: null
  year:
    description: Calendar year.
    type: year
    unit: year
  tiv_mn:
    description: Volume.
    type: number
    unit: millions of SIPRI TIV
"""


def write_dataset(folder: Path, csv_text: str = CSV_TEXT, *, checksum: str | None = None,
                  rows: int | None = None, name: str = "demo") -> Path:
    csv_path = folder / f"{name}.csv"
    csv_path.write_bytes(csv_text.encode("utf-8"))
    checksum = checksum or hashlib.sha256(csv_text.encode("utf-8")).hexdigest()
    rows = csv_text.strip("\n").count("\n") if rows is None else rows
    text = SIDECAR_TEMPLATE.format(checksum=checksum, rows=rows).replace("file: demo.csv", f"file: {name}.csv")
    (folder / f"{name}.meta.yml").write_text(text, encoding="utf-8")
    return csv_path


def edit_sidecar(csv_path: Path, edit) -> None:
    """Load the sidecar, let ``edit(meta)`` change it, write it back (plain YAML dump)."""
    meta_path = sidecars.sidecar_path(csv_path)
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    edit(meta)
    meta_path.write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def dataset(tmp_path) -> Path:
    return write_dataset(tmp_path)


# ---------------------------------------------------------------------------------------- basics


def test_valid_sidecar_passes(dataset):
    meta = sidecars.validate_sidecar(dataset)
    assert meta["title"] == "Test dataset" and list(meta["columns"]) == ["name", "year", "tiv_mn"]


def test_sha256_file_is_streamed_and_matches_hashlib(tmp_path):
    big = tmp_path / "big.bin"
    payload = bytes(range(256)) * 9000  # > 2 MiB: several chunks
    big.write_bytes(payload)
    assert sidecars.sha256_file(big) == hashlib.sha256(payload).hexdigest()


def test_row_count_ignores_quoted_line_breaks():
    header, rows = sidecars.csv_header_and_rows(b'a,b\n1,"two\nlines"\n3,4\n')
    assert header == ["a", "b"] and rows == 2


# ------------------------------------------------------------------ sidecar vs CSV (mutated copies)


def test_wrong_checksum_names_file_expected_actual_and_fix(dataset):
    actual = sidecars.sha256_file(dataset)
    dataset.write_bytes(dataset.read_bytes() + b"Carpania,2020,3\n")
    edit_sidecar(dataset, lambda m: m.update(rows=3))
    with pytest.raises(SidecarError) as err:
        sidecars.validate_sidecar(dataset)
    text = str(err.value)
    assert "demo.meta.yml" in text and "checksum_sha256" in text and "demo.csv" in text
    assert f"expected {actual}" in text and f"actual {sidecars.sha256_file(dataset)}" in text
    assert "python -m analysis.sources.sidecars refresh" in text


def test_empty_column_description_fails(dataset):
    edit_sidecar(dataset, lambda m: m["columns"]["year"].update(description="  "))
    with pytest.raises(SidecarError, match=r"columns\.year\.description"):
        sidecars.validate_sidecar(dataset)


def test_column_name_mismatch_fails(dataset):
    def rename(meta):
        meta["columns"] = {("value_mn" if k == "tiv_mn" else k): v for k, v in meta["columns"].items()}
    edit_sidecar(dataset, rename)
    with pytest.raises(SidecarError) as err:
        sidecars.validate_sidecar(dataset)
    assert "described but not in the CSV: ['value_mn']" in str(err.value)
    assert "in the CSV but not described: ['tiv_mn']" in str(err.value)


def test_column_order_mismatch_fails(dataset):
    edit_sidecar(dataset, lambda m: m.update(columns=dict(reversed(list(m["columns"].items())))))
    with pytest.raises(SidecarError, match="different order"):
        sidecars.validate_sidecar(dataset)


def test_row_count_mismatch_fails(dataset):
    edit_sidecar(dataset, lambda m: m.update(rows=5))
    with pytest.raises(SidecarError, match=r"rows: is 5 but demo\.csv has 2 data rows"):
        sidecars.validate_sidecar(dataset)


def test_file_key_must_name_the_csv(dataset):
    edit_sidecar(dataset, lambda m: m.update(file="other.csv"))
    with pytest.raises(SidecarError, match=r"file: is 'other\.csv'"):
        sidecars.validate_sidecar(dataset)


def test_missing_sidecar_names_the_sidecar_path(dataset):
    sidecars.sidecar_path(dataset).unlink()
    with pytest.raises(SidecarError, match=r"(?s)demo\.meta\.yml.*sidecar missing"):
        sidecars.validate_sidecar(dataset)


def test_all_problems_reported_at_once(dataset):
    edit_sidecar(dataset, lambda m: m.update(rows=9, licence="", checksum_sha256="0" * 64))
    with pytest.raises(SidecarError) as err:
        sidecars.validate_sidecar(dataset)
    assert len(err.value.problems) == 3


# ------------------------------------------------------------------------------- sidecar schema


@pytest.mark.parametrize(("edit", "key"), [
    (lambda m: m.pop("citation"), "citation: missing"),
    (lambda m: m.update(title=""), "title: must be a non-empty string"),
    (lambda m: m.update(url="www.example.org"), "url: must be an http(s) URL"),
    (lambda m: m.update(date_published="13 April 2024"), "date_published: must be an ISO date"),
    (lambda m: m.update(date_accessed="2026-11"), "date_accessed: must be an ISO date"),
    (lambda m: m.update(date_accessed="2026-02-30"), "date_accessed: must be an ISO date"),
    (lambda m: m.update(date_published="2027-01-01"), "date_published: 2027-01-01 is after date_accessed"),
    (lambda m: m.update(checksum_sha256="abc123"), "checksum_sha256: must be 64 hexadecimal characters"),
    (lambda m: m.update(rows=True), "rows: must be an integer >= 0"),
    (lambda m: m.update(rows=-1), "rows: must be an integer >= 0"),
    (lambda m: m.update(licence_url="x"), "licence_url: unknown key"),
    (lambda m: m.update(columns={}), "columns: must be a non-empty mapping"),
    (lambda m: m["columns"]["year"].update(type="int"), "columns.year.type: must be one of"),
    (lambda m: m["columns"]["year"].pop("unit"), "columns.year.unit: missing"),
    (lambda m: m["columns"]["year"].update(unit=""), "columns.year.unit: must be a non-empty string or null"),
    (lambda m: m["columns"]["year"].update(descripton="typo"), "columns.year.descripton: unknown key"),
])
def test_schema_violation_names_the_key(dataset, edit, key):
    edit_sidecar(dataset, edit)
    with pytest.raises(SidecarError) as err:
        sidecars.validate_sidecar(dataset)
    assert str(sidecars.sidecar_path(dataset)) in str(err.value)
    assert any(p.startswith(key) for p in err.value.problems), err.value.problems


def test_reduced_precision_publication_date_is_allowed(dataset):
    edit_sidecar(dataset, lambda m: m.update(date_published="2024-04"))
    sidecars.validate_sidecar(dataset)


# ------------------------------------------------------------------------------------- refresh


def test_refresh_rewrites_only_checksum_and_rows(tmp_path):
    csv_path = write_dataset(tmp_path, checksum="f" * 64, rows=7)
    before = sidecars.sidecar_path(csv_path).read_text(encoding="utf-8").splitlines()
    result = sidecars.refresh_checksum(csv_path)
    after = sidecars.sidecar_path(csv_path).read_text(encoding="utf-8").splitlines()
    assert result == {"checksum_sha256": sidecars.sha256_file(csv_path), "rows": 2}
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 2
    assert after[before.index(f"checksum_sha256: {'f' * 64}  # sha256 of demo.csv")] == \
        f"checksum_sha256: {result['checksum_sha256']}  # sha256 of demo.csv"   # comment kept
    assert "rows: 2" in after and after[0] == "# a test dataset"
    sidecars.validate_sidecar(csv_path)


def test_refresh_inserts_missing_keys_after_file(tmp_path):
    csv_path = write_dataset(tmp_path)
    meta_path = sidecars.sidecar_path(csv_path)
    text = meta_path.read_text(encoding="utf-8")
    meta_path.write_text("\n".join(line for line in text.splitlines()
                                   if not line.startswith(("checksum_sha256", "rows"))) + "\n", encoding="utf-8")
    sidecars.refresh_checksum(csv_path)
    lines = meta_path.read_text(encoding="utf-8").splitlines()
    at = lines.index("file: demo.csv")
    assert lines[at + 1].startswith("rows: 2") or lines[at + 2].startswith("rows: 2")
    sidecars.validate_sidecar(csv_path)


def test_command_line_check_and_refresh(tmp_path, capsys):
    csv_path = write_dataset(tmp_path, checksum="0" * 64)
    assert sidecars.main(["check", str(csv_path)]) == 1
    assert "checksum_sha256" in capsys.readouterr().err
    assert sidecars.main(["refresh", str(csv_path)]) == 0
    assert sidecars.main(["check", str(csv_path)]) == 0


# ------------------------------------------------------------------------------------- colophon


def test_describe_datasets(tmp_path, monkeypatch):
    write_dataset(tmp_path, name="b_second")
    write_dataset(tmp_path, name="a_first", checksum="0" * 64)
    monkeypatch.setattr(paths, "CASE_DIR", tmp_path)
    out = sidecars.describe_datasets()
    assert [d["name"] for d in out] == ["a_first", "b_second"]
    first = out[0]
    assert first["title"] == "Test dataset" and first["date_published"] == "2024-04-13" == first["vintage"]
    assert first["sha256"] == sidecars.sha256_file(tmp_path / "a_first.csv")
    assert first["is_checksum_verified"] is False and out[1]["is_checksum_verified"] is True


# ------------------------------------------------------------------------ the real curated files


def _real_csvs() -> list[Path]:
    return sidecars.dataset_paths(paths.CASE_DIR)


@pytest.mark.parametrize("csv_path", _real_csvs(), ids=lambda p: p.name)
def test_real_sidecar_is_valid(csv_path):
    sidecars.validate_sidecar(csv_path)


def test_real_case_dir_has_no_orphan_sidecars():
    orphans = [p.name for p in paths.CASE_DIR.glob(f"*{sidecars.SIDECAR_SUFFIX}")
               if not p.with_name(p.name[: -len(sidecars.SIDECAR_SUFFIX)] + ".csv").is_file()]
    assert not orphans, f"sidecars without a dataset in {paths.CASE_DIR}: {orphans}"


def test_real_datasets_describe_for_the_colophon():
    described = sidecars.describe_datasets()
    assert [d["file"] for d in described] == [p.name for p in _real_csvs()]
    assert all(d["is_checksum_verified"] for d in described)


def test_column_difference_names_missing_extra_or_the_first_reordered_position():
    from analysis.sources.sidecars import column_difference

    assert column_difference(["a", "b"], ["a", "x"]) == "missing: ['b']; unexpected: ['x']"
    assert column_difference(["a", "b", "c"], ["a", "c", "b"], expected_name="sidecar", actual_name="CSV") == (
        "same names in a different order, first difference at position 2: sidecar 'b', CSV 'c'")
    assert column_difference(["a", "b"], ["a", "b", "b"]) == "a name repeated"
