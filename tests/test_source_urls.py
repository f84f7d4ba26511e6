"""The FORMAT of every source URL in the curated data (nothing is fetched): each ``source_url`` in every
data/case/*.csv, and each sidecar's ``url``, is an absolute http(s) URL whose host contains a dot."""
from __future__ import annotations

import csv
import ipaddress
from urllib.parse import urlsplit

import pytest
import yaml

from analysis import paths

CSV_FILES = sorted(paths.CASE_DIR.glob("*.csv"))


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute http(s) URL with a dotted host name; None when it is."""
    if not value:
        return "empty"
    if value != value.strip() or any(ch.isspace() for ch in value):
        return "contains whitespace"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "contains control characters"
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a malformed port
    except ValueError as err:
        return f"does not parse: {err}"
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme!r} is not http or https"
    host = parts.hostname or ""
    if not host:
        return "no host"
    if parts.username is not None or parts.password is not None:
        return "has user information before the host"
    if "." not in host.strip("."):
        return f"host {host!r} has no dot"
    try:
        ipaddress.ip_address(host)
        return f"host {host!r} is an IP address, not a name"
    except ValueError:
        pass
    if port is not None and not 0 < port < 65536:
        return f"bad port {port}"
    return None


def source_urls() -> list[tuple[str, int, str]]:
    """(file, line, url) for every source_url cell of every dataset."""
    found = []
    for path in CSV_FILES:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if "source_url" not in (reader.fieldnames or []):
                continue
            for row in reader:
                found.append((path.name, reader.line_num, row["source_url"]))
    return found


def test_every_dataset_has_a_source_url_column():
    assert CSV_FILES
    for path in CSV_FILES:
        with path.open(encoding="utf-8", newline="") as fh:
            assert "source_url" in next(csv.reader(fh)), path.name


def test_every_source_url_is_an_absolute_http_url_with_a_dotted_host():
    urls = source_urls()
    assert len(urls) > 100
    problems = [f"{name}, line {line}: {url!r}: {why}" for name, line, url in urls if (why := url_problem(url))]
    assert problems == []


def test_every_sidecar_url_is_an_absolute_http_url_with_a_dotted_host():
    problems = []
    for path in CSV_FILES:
        meta = yaml.safe_load(path.with_suffix(".meta.yml").read_text(encoding="utf-8"))
        if why := url_problem(str(meta.get("url") or "")):
            problems.append(f"{path.with_suffix('.meta.yml').name}: {meta.get('url')!r}: {why}")
    assert problems == []


@pytest.mark.parametrize("url", [
    "https://www.sipri.org/databases/armstransfers",
    "http://tass.com/archive/678014",
    "https://en.wikipedia.org/?oldid=713695666&title=2016_Nagorno-Karabakh_conflict",
    "https://example.org:8443/a%20b",
])
def test_good_urls_pass(url):
    assert url_problem(url) is None


@pytest.mark.parametrize("url, why", [
    ("", "empty"),
    ("www.sipri.org/databases", "scheme ''"),
    ("//www.sipri.org/databases", "scheme ''"),
    ("ftp://ftp.example.org/x", "scheme 'ftp'"),
    ("javascript:alert(1)", "scheme 'javascript'"),
    ("https://localhost/x", "has no dot"),
    ("https:///path-only", "no host"),
    ("https://exa mple.org/x", "whitespace"),
    ("https://example.org/x ", "whitespace"),
    ("https://example.org/a\tb", "whitespace"),
    ("https://user:pw@example.org/", "user information"),
    ("https://192.168.0.1/x", "IP address"),
    ("https://example.org:99999/", "does not parse"),
    ("SIPRI Arms Transfers Database", "whitespace"),
])
def test_bad_urls_are_caught(url, why):
    assert why in (url_problem(url) or "")
