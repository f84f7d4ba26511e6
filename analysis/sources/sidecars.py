"""Metadata sidecars of the embedded datasets: schema, checksums, colophon.

Every curated dataset ``data/case/<name>.csv`` has a sidecar ``data/case/<name>.meta.yml``
(format in docs/design.md, "Embedded datasets and their sidecars"). This module

* checks a sidecar against its schema (:func:`check_sidecar_schema`, a small explicit validator:
  every error names the sidecar file and the key, e.g. ``columns.tiv_mn.type``);
* checks the sidecar against its CSV (:func:`validate_sidecar`): ``file`` names the CSV, the CSV
  header equals the sidecar's ``columns`` in order, ``rows`` equals the number of data rows and
  ``checksum_sha256`` equals the SHA-256 of the CSV bytes;
* rewrites the checksum and row count after an intended edit (:func:`refresh_checksum`), touching
  only those two lines so the key order and comments of the sidecar survive;
* lists the datasets for a brief's colophon (:func:`describe_datasets`).

Maintainers' command line::

    python -m analysis.sources.sidecars check [data/case/<name>.csv ...]    # default: every dataset
    python -m analysis.sources.sidecars refresh data/case/<name>.csv [...]
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from analysis import paths

# libyaml's safe loader when PyYAML was built with it (several times faster), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = [
    "ALLOWED_COLUMN_TYPES",
    "REQUIRED_KEYS",
    "SidecarError",
    "check_sidecar_schema",
    "csv_header_and_rows",
    "describe_datasets",
    "load_sidecar",
    "refresh_checksum",
    "sha256_bytes",
    "sha256_file",
    "sidecar_path",
    "validate_sidecar",
]

SIDECAR_SUFFIX = ".meta.yml"
ALLOWED_COLUMN_TYPES = ("string", "integer", "number", "boolean", "date", "year")

# key -> what the value must be (used in error messages and to drive the checks below)
REQUIRED_KEYS: dict[str, str] = {
    "title": "non-empty string",
    "description": "non-empty string",
    "producer": "non-empty string",
    "citation": "non-empty string",
    "url": "http(s) URL",
    "date_published": "ISO date (YYYY-MM-DD; YYYY-MM or YYYY where only that is known)",
    "date_accessed": "ISO date (YYYY-MM-DD)",
    "licence": "non-empty string",
    "file": "the CSV's file name",
    "checksum_sha256": "64 hexadecimal characters",
    "rows": "integer >= 0",
    "columns": "mapping of column name -> {description, type, unit}",
}
COLUMN_KEYS = ("description", "type", "unit")

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_ISO_YEAR = re.compile(r"(\d{4})")
_CHUNK = 1 << 20


class SidecarError(ValueError):
    """A sidecar is missing, malformed or does not match its CSV.

    ``problems`` holds one message per problem; ``str(error)`` lists them all under the sidecar path.
    """

    def __init__(self, path: Path | str, problems: list[str] | str):
        self.path = Path(path)
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s)\n{lines}")


# --------------------------------------------------------------------------------------------
# checksums and CSV facts


def sha256_bytes(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """Lower-case hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def csv_header_and_rows(data: bytes, path: Path | str = "<csv>") -> tuple[list[str], int]:
    """Header and number of data rows of a UTF-8 CSV given as bytes.

    Records are counted with the ``csv`` module, so quoted fields with line breaks count once;
    completely blank lines are not records. A UTF-8 byte-order mark is tolerated.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SidecarError(path, f"the CSV is not valid UTF-8 ({exc})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows = 0
    try:
        for record in reader:
            if not record:
                continue
            if header is None:
                header = record
            else:
                rows += 1
    except csv.Error as exc:
        raise SidecarError(path, f"the CSV cannot be parsed at line {reader.line_num}: {exc}") from None
    if header is None:
        raise SidecarError(path, "the CSV is empty (no header row)")
    return header, rows


def sidecar_path(csv_path: Path | str) -> Path:
    """``data/case/<name>.csv`` -> ``data/case/<name>.meta.yml``."""
    csv_path = Path(csv_path)
    return csv_path.with_name(csv_path.stem + SIDECAR_SUFFIX)


# --------------------------------------------------------------------------------------------
# the sidecar schema


def _iso_date_ok(value: Any, *, allow_reduced: bool) -> bool:
    if isinstance(value, dt.datetime):  # YAML timestamps: a date is expected, not a time
        return False
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str):
        return False
    return _parse_iso(value, allow_reduced=allow_reduced) is not None


def _parse_iso(value: str, *, allow_reduced: bool) -> dt.date | None:
    """Start of the period an ISO date string denotes, or None when it is not one."""
    try:
        if m := _ISO_DAY.fullmatch(value):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if allow_reduced and (m := _ISO_MONTH.fullmatch(value)):
            return dt.date(int(m[1]), int(m[2]), 1)
        if allow_reduced and (m := _ISO_YEAR.fullmatch(value)):
            return dt.date(int(m[1]), 1, 1)
    except ValueError:  # e.g. 2024-02-30
        return None
    return None


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return _parse_iso(value, allow_reduced=True)
    return None


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def check_sidecar_schema(meta: Any, path: Path | str = "<sidecar>") -> list[str]:
    """Problems with a parsed sidecar (empty list when it follows the schema).

    Each message starts with the key it concerns (``columns.<name>.<key>`` for column entries).
    Unknown keys are problems too: they are usually typos of a required key.
    """
    problems: list[str] = []
    if not isinstance(meta, dict):
        return [f"the sidecar must be a YAML mapping of keys, found {type(meta).__name__}"]

    for key, what in REQUIRED_KEYS.items():
        if key not in meta:
            problems.append(f"{key}: missing (required: {what})")
    for key in meta:
        if key not in REQUIRED_KEYS:
            problems.append(f"{key}: unknown key (allowed: {', '.join(REQUIRED_KEYS)})")

    for key in ("title", "description", "producer", "citation", "licence", "file"):
        if key in meta and not _non_empty_str(meta[key]):
            problems.append(f"{key}: must be a non-empty string, found {meta[key]!r}")
    if "url" in meta and not (isinstance(meta["url"], str) and _URL.fullmatch(meta["url"])):
        problems.append(f"url: must be an http(s) URL, found {meta['url']!r}")
    if "date_published" in meta and not _iso_date_ok(meta["date_published"], allow_reduced=True):
        problems.append(f"date_published: must be an ISO date YYYY-MM-DD (or a quoted 'YYYY-MM' / 'YYYY' "
                        f"where only that is known), found {meta['date_published']!r}")
    if "date_accessed" in meta and not _iso_date_ok(meta["date_accessed"], allow_reduced=False):
        problems.append(f"date_accessed: must be an ISO date YYYY-MM-DD, found {meta['date_accessed']!r}")
    published, accessed = _as_date(meta.get("date_published")), _as_date(meta.get("date_accessed"))
    if published and accessed and published > accessed:
        problems.append(f"date_published: {published.isoformat()} is after date_accessed "
                        f"{accessed.isoformat()} (a source cannot be read before it is published)")
    if "checksum_sha256" in meta:
        value = meta["checksum_sha256"]
        if not (isinstance(value, str) and _HEX64.fullmatch(value)):
            problems.append(f"checksum_sha256: must be 64 hexadecimal characters, found {value!r}")
    if "rows" in meta:
        value = meta["rows"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"rows: must be an integer >= 0, found {value!r}")

    if "columns" in meta:
        columns = meta["columns"]
        if not isinstance(columns, dict) or not columns:
            problems.append("columns: must be a non-empty mapping of column name -> "
                            f"{{description, type, unit}}, found {columns!r}")
        else:
            for name, entry in columns.items():
                where = f"columns.{name}"
                if not isinstance(name, str) or not name.strip():
                    problems.append(f"{where}: a column name must be a non-empty string")
                if not isinstance(entry, dict):
                    problems.append(f"{where}: must be a mapping with keys {', '.join(COLUMN_KEYS)}, "
                                    f"found {entry!r}")
                    continue
                for key in COLUMN_KEYS:
                    if key not in entry:
                        problems.append(f"{where}.{key}: missing")
                for key in entry:
                    if key not in COLUMN_KEYS:
                        problems.append(f"{where}.{key}: unknown key (allowed: {', '.join(COLUMN_KEYS)})")
                if "description" in entry and not _non_empty_str(entry["description"]):
                    problems.append(f"{where}.description: must be a non-empty string, "
                                    f"found {entry['description']!r}")
                if "type" in entry and entry["type"] not in ALLOWED_COLUMN_TYPES:
                    problems.append(f"{where}.type: must be one of {', '.join(ALLOWED_COLUMN_TYPES)}, "
                                    f"found {entry['type']!r}")
                if "unit" in entry and not (entry["unit"] is None or _non_empty_str(entry["unit"])):
                    problems.append(f"{where}.unit: must be a non-empty string or null, found {entry['unit']!r}")
    return problems


# --------------------------------------------------------------------------------------------
# loading and validating


def load_sidecar(csv_path: Path | str) -> dict:
    """The parsed sidecar of ``csv_path`` (no validation beyond being a YAML mapping).

    Raises :class:`SidecarError` when the sidecar is missing or is not valid YAML.
    """
    meta_path = sidecar_path(csv_path)
    if not meta_path.is_file():
        raise SidecarError(meta_path, f"sidecar missing: every dataset {Path(csv_path).name} needs a "
                                      f"metadata file {meta_path.name} beside it (format: docs/design.md)")
    try:
        meta = yaml.load(meta_path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SidecarError(meta_path, f"not valid UTF-8 YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise SidecarError(meta_path, f"the sidecar must be a YAML mapping of keys, found {type(meta).__name__}")
    return meta


def validate_sidecar(csv_path: Path | str, *, data: bytes | None = None) -> dict:
    """Check the sidecar of ``csv_path`` against the schema and against the CSV; return it.

    ``data``: the CSV bytes when the caller has already read them (so the bytes checked are the
    bytes parsed); otherwise the file is read. Every problem found is reported at once in one
    :class:`SidecarError` naming the sidecar.
    """
    csv_path = Path(csv_path)
    meta_path = sidecar_path(csv_path)
    if data is None:
        if not csv_path.is_file():
            raise SidecarError(csv_path, "dataset file missing")
        data = csv_path.read_bytes()
    meta = load_sidecar(csv_path)
    problems = check_sidecar_schema(meta, meta_path)

    if _non_empty_str(meta.get("file")) and meta["file"] != csv_path.name:
        problems.append(f"file: is {meta['file']!r} but the sidecar belongs to {csv_path.name!r}")

    header, rows = csv_header_and_rows(data, csv_path)
    columns = meta.get("columns")
    if isinstance(columns, dict) and columns:
        described = [str(c) for c in columns]
        if header != described:
            difference = column_difference(described, header, missing="described but not in the CSV",
                                           extra="in the CSV but not described", expected_name="sidecar",
                                           actual_name="CSV")
            problems.append(f"columns: do not match the CSV header ({difference}); the header is {header}")
    if isinstance(meta.get("rows"), int) and not isinstance(meta["rows"], bool) and meta["rows"] != rows:
        problems.append(f"rows: is {meta['rows']} but {csv_path.name} has {rows} data rows")

    expected = meta.get("checksum_sha256")
    actual = sha256_bytes(data)
    if isinstance(expected, str) and _HEX64.fullmatch(expected) and expected.lower() != actual:
        problems.append(
            f"checksum_sha256: {csv_path.name} has changed since its sidecar was written: "
            f"expected {expected.lower()}, actual {actual}. If the edit is intended, update the sidecar "
            f"(check its columns and description too), then refresh with "
            f"`python -m analysis.sources.sidecars refresh {_display(csv_path)}`")
    if problems:
        raise SidecarError(meta_path, problems)
    return meta


def column_difference(expected: list[str], actual: list[str], *, missing: str = "missing",
                      extra: str = "unexpected", expected_name: str = "expected", actual_name: str = "found") -> str:
    """How the column list ``actual`` differs from ``expected``: the names missing from it, the extra ones,
    or, with the same names, the first position where the order differs (labels as given)."""
    absent = [c for c in expected if c not in actual]
    added = [c for c in actual if c not in expected]
    parts = []
    if absent:
        parts.append(f"{missing}: {absent}")
    if added:
        parts.append(f"{extra}: {added}")
    if not parts:
        first = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b), None)
        parts.append("a name repeated" if first is None else
                     f"same names in a different order, first difference at position {first + 1}: "
                     f"{expected_name} {expected[first]!r}, {actual_name} {actual[first]!r}")
    return "; ".join(parts)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.PROJECT_ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------
# refreshing


def _replace_top_level_value(text: str, key: str, value: str) -> tuple[str, bool]:
    """Replace the value of an unindented ``key:`` line, keeping any trailing comment."""
    pattern = re.compile(rf"^({re.escape(key)}[ \t]*:[ \t]*)([^#\n]*?)([ \t]+#[^\n]*)?[ \t]*$", re.MULTILINE)
    new, count = pattern.subn(lambda m: f"{m[1]}{value}{m[3] or ''}", text, count=1)
    return new, count == 1


def refresh_checksum(csv_path: Path | str) -> dict:
    """Rewrite ``checksum_sha256`` and ``rows`` in the sidecar of ``csv_path`` from the CSV itself.

    For maintainers after an intended edit of the CSV. Only those two lines are rewritten (any
    trailing comment kept); a missing key is inserted after ``file:`` (or appended). The file is
    replaced atomically. Returns ``{"checksum_sha256": ..., "rows": ...}``. Does not check the rest
    of the sidecar: run :func:`validate_sidecar` afterwards.
    """
    csv_path = Path(csv_path)
    meta_path = sidecar_path(csv_path)
    data = csv_path.read_bytes()
    checksum = sha256_bytes(data)
    _, rows = csv_header_and_rows(data, csv_path)
    if not meta_path.is_file():
        raise SidecarError(meta_path, "sidecar missing: write it first (format: docs/design.md), then refresh")
    text = meta_path.read_text(encoding="utf-8")
    for key, value in (("checksum_sha256", checksum), ("rows", str(rows))):
        text, found = _replace_top_level_value(text, key, value)
        if not found:
            line = f"{key}: {value}\n"
            anchor = re.search(r"^file[ \t]*:.*\n", text, re.MULTILINE)
            if anchor:
                text = text[:anchor.end()] + line + text[anchor.end():]
            else:
                text = text + ("" if text.endswith("\n") or not text else "\n") + line
    reparsed = yaml.safe_load(text)
    if not (isinstance(reparsed, dict) and str(reparsed.get("checksum_sha256")) == checksum
            and reparsed.get("rows") == rows):
        raise SidecarError(meta_path, "could not rewrite checksum_sha256/rows in place (unusual layout?); "
                                      "edit them by hand")
    fd, tmp = tempfile.mkstemp(dir=meta_path.parent, prefix=f".{meta_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, meta_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"checksum_sha256": checksum, "rows": rows}


# --------------------------------------------------------------------------------------------
# colophon


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def dataset_paths(case_dir: Path | str | None = None) -> list[Path]:
    """Every dataset CSV in ``case_dir`` (default ``analysis.paths.CASE_DIR``), sorted by name."""
    return sorted(Path(case_dir or paths.CASE_DIR).glob("*.csv"))


def describe_datasets(case_dir: Path | str | None = None) -> list[dict]:
    """One entry per embedded dataset, for a brief's colophon, sorted by name.

    Keys: ``name`` (file stem), ``file``, ``title``, ``citation``, ``url``, ``date_published``
    and ``vintage`` (the same ISO string: for SIPRI data the publication date is the data
    vintage), ``date_accessed``, ``rows``, ``sha256`` (of the file as it is now) and
    ``is_checksum_verified`` (whether that equals the sidecar's ``checksum_sha256``; the
    loaders refuse a file where it does not). Raises :class:`SidecarError` for a dataset
    without a readable sidecar.
    """
    out = []
    for csv_path in dataset_paths(case_dir):
        meta = load_sidecar(csv_path)
        actual = sha256_file(csv_path)
        published = _iso(meta.get("date_published", ""))
        out.append({
            "name": csv_path.stem,
            "file": csv_path.name,
            "title": meta.get("title"),
            "citation": meta.get("citation"),
            "url": meta.get("url"),
            "date_published": published,
            "vintage": published,
            "date_accessed": _iso(meta.get("date_accessed", "")),
            "rows": meta.get("rows"),
            "sha256": actual,
            "is_checksum_verified": str(meta.get("checksum_sha256", "")).lower() == actual,
        })
    return out


# --------------------------------------------------------------------------------------------
# command line


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("check", "refresh"):
        print(__doc__.split("Maintainers' command line::", 1)[1].strip("\n"), file=sys.stderr)
        return 2
    command, files = argv[0], [Path(f) for f in argv[1:]]
    if command == "refresh" and not files:
        print("refresh: name the CSV file(s) whose sidecar to refresh", file=sys.stderr)
        return 2
    status = 0
    for csv_path in files or dataset_paths():
        try:
            if command == "refresh":
                result = refresh_checksum(csv_path)
                print(f"{sidecar_path(csv_path)}: checksum_sha256 {result['checksum_sha256']}, "
                      f"rows {result['rows']}")
            validate_sidecar(csv_path)
            print(f"{csv_path}: ok")
        except (SidecarError, OSError) as exc:
            print(exc, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
