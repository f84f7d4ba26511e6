"""``armsbrief download``: fetch the SIPRI trade register from the backend of SIPRI's current site.

SIPRI's site (https://armstransfers.sipri.org) exports its trade register through an undocumented backend:
``POST <backend>/trades/trade-register-csv/`` with a JSON body of filters answers ``{"bytes": "<base64 CSV>"}``.
The body below is the one public clients send (the R package Rat.db and several Python ingestion scripts,
read in February-March 2026): a "Delivery year" range, an "Order year" range from 0, "opendeals" and
"exportOption". Rat.db's recorded answer (data generated 10 Feb 2025) is the 17-column per-year register
with an 11-line preamble ending in "Data generated: ..."; clients that leave out "exportOption" parse the
classic 16-column register instead. Either format is accepted, as the rest of armsbrief reads both.

The flow is one short :func:`download`: fetch (one request, at most one retry after a pause on a
transient failure), decode, write the CSV into a temporary folder inside ``--to``, parse it with
:func:`analysis.sources.sipri.load_register` (which must find a register and a "Data generated" vintage),
then rename the folder into place as ``<to>/<vintage>/`` holding ``trade-register.csv`` and
``download.json`` (url, request body, time fetched, vintage, sha256, size, armsbrief version). A folder
appears whole or not at all; an existing register is never overwritten: the same vintage with the same
checksum is "already downloaded", the same vintage with another checksum is kept apart in
``<vintage>-2/`` (then ``-3``, ...). Every failure raises :class:`DownloadError` naming what was found and
the manual route, and leaves nothing behind.

Only this module touches the network, and only when ``armsbrief download`` runs it.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from analysis import paths

BACKEND_ENV = "ARMSBRIEF_SIPRI_BACKEND"
DEFAULT_BACKEND = "https://atbackend.sipri.org/api/p"
REGISTER_ENDPOINT = "/trades/trade-register-csv/"
SITE_URL = "https://armstransfers.sipri.org"
FIRST_YEAR = 1950              # the first year of the SIPRI Arms Transfers Database
DEFAULT_TIMEOUT_S = 120.0      # the full register takes about 30 s to answer
RETRY_PAUSE_S = 15.0           # pause before the one retry (a Retry-After header may lengthen it)
MAX_RETRY_PAUSE_S = 120.0
# The base64 JSON of the whole register is about 1.4 times the CSV (about 4 MB): refuse answers past this.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
REGISTER_NAME = "trade-register.csv"
RECORD_NAME = "download.json"
MANUAL_ROUTE = (f"download the register by hand: open {SITE_URL}, choose Trade registers, export it as CSV, "
                "then pass it with --transfers PATH (make report TRANSFERS=PATH) or drop it in data/raw/sipri/")
_TRANSIENT_HTTP = {429, 500, 502, 503, 504}


class DownloadError(RuntimeError):
    """The register could not be fetched or is not what was expected; nothing was written."""


@dataclass(frozen=True)
class Download:
    """The outcome of :func:`download`: ``status`` is "downloaded", "already downloaded" or "kept apart"."""

    status: str
    path: Path            # the register (the existing one when already downloaded)
    record: Path          # its download.json
    vintage: str          # ISO date of SIPRI's "Data generated" line
    format: str           # "per-year" or "classic"
    sha256: str
    size: int
    rows: int             # rows of deliveries in the tidy register
    existing: Path | None = None  # kept apart: the register of the same vintage that differs


# --------------------------------------------------------------------------- the request

def armsbrief_version() -> str:
    """The installed armsbrief version, or "unknown" when the package metadata is missing."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("armsbrief")
    except PackageNotFoundError:
        return "unknown"


def _project_url() -> str:
    """The first project URL of the package metadata (pyproject's [project.urls]), or ""."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        meta = metadata("armsbrief")
    except PackageNotFoundError:
        return ""
    for entry in meta.get_all("Project-URL") or []:
        url = entry.split(",", 1)[-1].strip()
        if url.startswith(("http://", "https://")):
            return url
    home = meta.get("Home-page") or ""
    return home if home.startswith(("http://", "https://")) else ""


def user_agent() -> str:
    """``armsbrief/<version> (+<project url>; research tool)``, without the URL when the project has none."""
    url = _project_url()
    return f"armsbrief/{armsbrief_version()} ({f'+{url}; ' if url else ''}research tool)"


def backend_url(base: str | None = None) -> str:
    """The register endpoint under ``base``, else ``$ARMSBRIEF_SIPRI_BACKEND``, else SIPRI's backend."""
    base = (base or os.environ.get(BACKEND_ENV, "") or DEFAULT_BACKEND).strip()
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--backend / {BACKEND_ENV}: {base!r} is not an http(s) URL with a host; expected "
                         f"e.g. {DEFAULT_BACKEND}")
    return base.rstrip("/") + REGISTER_ENDPOINT


def request_body(from_year: int = FIRST_YEAR, to_year: int | None = None) -> dict:
    """The JSON filters of the whole register: deliveries in ``from_year``-``to_year`` (default this year)
    plus open deals (orders without deliveries yet), no country filter."""
    this_year = date.today().year
    to_year = this_year if to_year is None else to_year
    for name, year in (("--from-year", from_year), ("--to-year", to_year)):
        if isinstance(year, bool) or not isinstance(year, int):
            raise ValueError(f"{name}: expected a year (an integer), got {year!r}")
    if not FIRST_YEAR <= from_year <= this_year:
        raise ValueError(f"--from-year: {from_year} is outside {FIRST_YEAR}-{this_year} (SIPRI's database "
                         f"starts in {FIRST_YEAR})")
    if not from_year <= to_year <= this_year:
        raise ValueError(f"--to-year: {to_year} is outside {from_year} (--from-year)-{this_year}")

    def filter_(field: str, value1="", value2="", condition: str = "") -> dict:
        return {"field": field, "oldField": "", "condition": condition, "value1": value1, "value2": value2,
                "listData": []}

    return {"filters": [filter_("Delivery year", from_year, to_year, "contains"),
                        filter_("Order year", 0, to_year, "contains"),
                        filter_("opendeals"),
                        filter_("exportOption")],
            "logic": "AND"}


# --------------------------------------------------------------------------- fetching

def _shown(data: bytes | str, limit: int = 80) -> str:
    """A short printable excerpt of untrusted text, for error messages."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = re.sub(r"\s+", " ", re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "?", text)).strip()
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def _read(response, url: str) -> bytes:
    """The response body (gunzipped when the server compressed it), refusing answers over the size limit."""
    data = response.read(MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        raise DownloadError(f"{url} answered more than {MAX_ANSWER_BYTES // 2**20} MB; a whole register is "
                            f"about 6 MB of JSON; not read. {MANUAL_ROUTE}")
    if (response.headers.get("Content-Encoding") or "").strip().lower() == "gzip":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as err:
            raise DownloadError(f"{url} answered 'Content-Encoding: gzip' but the body is not gzip data "
                                f"({err}). {MANUAL_ROUTE}") from None
    return data


def _unreachable(url: str, err: BaseException, timeout: float) -> DownloadError:
    if isinstance(err, (TimeoutError, socket.timeout)):
        why = f"no answer within {timeout:g} s (--timeout)"
    elif isinstance(err, socket.gaierror):
        why = f"its host name does not resolve: offline? gaierror: {err.strerror or err}"
    else:
        why = f"{type(err).__name__}: {getattr(err, 'strerror', None) or err}"
    return DownloadError(f"cannot reach {url} ({why}); {MANUAL_ROUTE}")


def _retry_after(err: urllib.error.HTTPError, pause: float) -> float:
    value = (err.headers.get("Retry-After") or "").strip() if err.headers else ""
    return min(max(pause, float(value)), MAX_RETRY_PAUSE_S) if value.isdigit() else pause


def fetch(url: str, body: dict, *, timeout: float = DEFAULT_TIMEOUT_S,
          retry_pause: float | None = None) -> tuple[bytes, str]:
    """POST ``body`` as JSON to ``url``; the answer's bytes and content type.

    One request; a timeout, a dropped connection or HTTP 429/5xx is retried once after ``retry_pause``
    seconds (default :data:`RETRY_PAUSE_S`). Every failure raises :class:`DownloadError`.
    """
    if not timeout or timeout <= 0:
        raise ValueError(f"--timeout: expected a number of seconds above 0, got {timeout!r}")
    pause = RETRY_PAUSE_S if retry_pause is None else retry_pause
    payload = json.dumps(body).encode("utf-8")
    headers = {"User-Agent": user_agent(), "Content-Type": "application/json", "Accept": "application/json",
               "Accept-Encoding": "gzip"}
    for attempt in (1, 2):
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return _read(response, url), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            with err:
                excerpt = err.read(2000)
            if err.code in _TRANSIENT_HTTP and attempt == 1:
                time.sleep(_retry_after(err, pause))
                continue
            tried = " (twice)" if attempt == 2 else ""
            raise DownloadError(f"{url} answered HTTP {err.code} {err.reason}{tried}"
                                f"{f'; body starts {_shown(excerpt)}' if excerpt.strip() else ''}. "
                                f"{MANUAL_ROUTE}") from None
        except (TimeoutError, socket.timeout, ConnectionResetError, ConnectionAbortedError,
                http.client.RemoteDisconnected, http.client.IncompleteRead) as err:
            if attempt == 1:
                time.sleep(pause)
                continue
            raise _unreachable(url, err, timeout) from None
        except urllib.error.URLError as err:
            reason = err.reason if isinstance(err.reason, BaseException) else err
            if isinstance(reason, (TimeoutError, socket.timeout)) and attempt == 1:
                time.sleep(pause)
                continue
            raise _unreachable(url, reason, timeout) from None
        except (OSError, http.client.HTTPException) as err:
            raise _unreachable(url, err, timeout) from None
    raise AssertionError("unreachable")  # the loop returns or raises


def decode_answer(answer: bytes, url: str, content_type: str = "") -> bytes:
    """The CSV bytes inside SIPRI's JSON answer ``{"bytes": "<base64>"}``; DownloadError naming what was found."""
    kind = f", Content-Type {content_type!r}" if content_type else ""
    try:
        document = json.loads(answer.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise DownloadError(f"{url} did not answer JSON ({len(answer):,} bytes{kind}, starting "
                            f"{_shown(answer)}); expected {{\"bytes\": \"<base64 CSV>\"}}. {MANUAL_ROUTE}") from None
    if not isinstance(document, dict) or "bytes" not in document:
        found = (f"an object with the keys {', '.join(map(repr, sorted(document)[:10])) or 'none'}"
                 if isinstance(document, dict) else f"a JSON {type(document).__name__} {_shown(json.dumps(document))}")
        raise DownloadError(f"{url} answered JSON without a 'bytes' field: {found}; expected "
                            f"{{\"bytes\": \"<base64 CSV>\"}}. {MANUAL_ROUTE}")
    encoded = document["bytes"]
    if not isinstance(encoded, str) or not encoded.strip():
        found = "empty" if not encoded else f"a JSON {type(encoded).__name__} {_shown(json.dumps(encoded), 40)}"
        raise DownloadError(f"{url} answered a 'bytes' field that is {found}; expected the register as a "
                            f"base64 string. {MANUAL_ROUTE}")
    try:
        csv_bytes = base64.b64decode(re.sub(r"\s+", "", encoded), validate=True)
    except (binascii.Error, ValueError) as err:
        raise DownloadError(f"{url} answered a 'bytes' field that is not base64 ({err}; it starts "
                            f"{_shown(encoded, 40)}). {MANUAL_ROUTE}") from None
    if not csv_bytes.strip():
        raise DownloadError(f"{url} answered an empty register (the base64 decodes to "
                            f"{len(csv_bytes)} bytes). {MANUAL_ROUTE}")
    return csv_bytes


# --------------------------------------------------------------------------- writing

def _data_generated(csv_bytes: bytes) -> str:
    """The text of the "Data generated: ..." line of the preamble, or ""."""
    head = csv_bytes[:8192].decode("utf-8", "replace")
    found = re.search(r"Data generated:\s*([^\r\n,]*)", head)
    return found.group(1).strip() if found else ""


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folders(to: Path, vintage: str):
    """``<to>/<vintage>``, then ``<to>/<vintage>-2``, ``-3``, ... (existing ones first, then the next free)."""
    n = 1
    while True:
        yield to / (vintage if n == 1 else f"{vintage}-{n}")
        n += 1


def _missing_parents(folder: Path) -> list[Path]:
    """The folders ``mkdir(parents=True)`` would create, deepest first (removed again after a failure)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    return missing


def _check_register(tmp_csv: Path, url: str, csv_bytes: bytes):
    """The tidy register parsed from the temporary file; DownloadError naming what the CSV is instead."""
    from analysis.sources import sipri

    try:
        register = sipri.load_register(tmp_csv, use_cache=False)
    except sipri.SipriFormatError as err:
        first = next((line for line in csv_bytes[:4096].decode("utf-8", "replace").splitlines() if line.strip()), "")
        raise DownloadError(f"{url} answered a CSV that is not a SIPRI trade register (first line "
                            f"{_shown(first)}): {str(err).replace(str(tmp_csv), 'the decoded CSV')}. "
                            f"{MANUAL_ROUTE}") from None
    if not register.vintage:
        raise DownloadError(f"{url} answered a {register.format} register without a 'Data generated: ...' line "
                            f"in its preamble, so its vintage is unknown; not kept. {MANUAL_ROUTE}")
    return register


def download(to: str | os.PathLike | None = None, *, from_year: int = FIRST_YEAR, to_year: int | None = None,
             timeout: float = DEFAULT_TIMEOUT_S, backend: str | None = None,
             retry_pause: float | None = None, on_request=None) -> Download:
    """Fetch the whole SIPRI trade register into ``<to>/<vintage>/trade-register.csv`` (default
    ``paths.RAW_SIPRI_DIR``) with its ``download.json``; see the module docstring for the rules.

    ``on_request(url)``, if given, is called once the parameters are valid, just before the request."""
    # Load inputs: the request, then SIPRI's answer (nothing touches the disk before it is decoded).
    to = Path(to) if to is not None else paths.RAW_SIPRI_DIR
    url = backend_url(backend)
    body = request_body(from_year, to_year)
    if to.exists() and not to.is_dir():
        raise ValueError(f"--to: {to} exists and is not a folder")
    nearest = next(folder for folder in (to, *to.parents) if folder.exists())
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise ValueError(f"--to: cannot write into {to} ({nearest} is not writable)")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"--timeout: expected a number of seconds above 0, got {timeout!r}")
    if on_request is not None:
        on_request(url)
    fetched_at = datetime.now(timezone.utc).replace(microsecond=0)
    answer, content_type = fetch(url, body, timeout=timeout, retry_pause=retry_pause)
    csv_bytes = decode_answer(answer, url, content_type)

    # Process data: write it into a temporary folder inside ``to`` and parse it there.
    created = _missing_parents(to)
    tmp = None
    try:
        to.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=to))
        tmp_csv = tmp / REGISTER_NAME
        tmp_csv.write_bytes(csv_bytes)
        register = _check_register(tmp_csv, url, csv_bytes)
        sha256 = hashlib.sha256(csv_bytes).hexdigest()
        result = dict(vintage=register.vintage, format=register.format, sha256=sha256, size=len(csv_bytes),
                      rows=len(register.deliveries))

        # Save outputs: the same register is never written twice, a different one never over another.
        existing = None
        for folder in _folders(to, register.vintage):
            old = folder / REGISTER_NAME
            if not folder.exists():
                break
            if old.is_file() and _checksum(old) == sha256:
                shutil.rmtree(tmp)
                tmp = None
                return Download("already downloaded", old, folder / RECORD_NAME, existing=None, **result)
            existing = existing or (old if old.is_file() else None)
        record = {
            "url": url, "method": "POST", "request_body": body, "user_agent": user_agent(),
            "fetched_at": fetched_at.isoformat(), "vintage": register.vintage,
            "data_generated": _data_generated(csv_bytes), "format": register.format, "file": REGISTER_NAME,
            "sha256": sha256, "bytes": len(csv_bytes), "deals": len(register.deals),
            "delivery_rows": len(register.deliveries), "armsbrief_version": armsbrief_version(),
            "source": "SIPRI Arms Transfers Database (c) SIPRI", "source_url": SITE_URL,
        }
        (tmp / RECORD_NAME).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        os.rename(tmp, folder)  # atomic: the folder appears whole (it was checked absent just above)
        tmp = None
    except OSError as err:
        raise OSError(err.errno, f"cannot write the register into {to}: {err.strerror or err}") from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
            for made in created:  # deepest first; only the folders this call made, and only if empty
                with contextlib.suppress(OSError):
                    made.rmdir()
    return Download("kept apart" if existing else "downloaded", folder / REGISTER_NAME, folder / RECORD_NAME,
                    existing=existing, **result)


def describe(result: Download) -> str:
    """One line for the terminal about a :class:`Download`."""
    what = (f"SIPRI trade register, data generated {result.vintage} ({result.format} format, {result.rows:,} "
            f"rows, {result.size:,} bytes, sha256 {result.sha256[:12]})")
    if result.status == "already downloaded":
        return f"already downloaded: {what} is {result.path}; nothing written"
    if result.status == "kept apart":
        return (f"{what} differs from {result.existing} of the same vintage (another checksum): kept apart "
                f"in {result.path}")
    return f"downloaded: {what} -> {result.path}"
