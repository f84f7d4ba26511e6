"""Print a brief page to PDF with headless Chromium (through Playwright), one warm browser per process.

This is the default PDF engine (``BriefPDFExporter.engine = "chromium"``): the PDF is the brief's
HTML page printed by a browser, with the stylesheet's ``@media print`` and ``@page`` rules (A4,
running header, "Page X of Y"). A process starts its browser once, on first use or ahead of time
with :func:`prewarm` (the builder does that while the notebook executes), and keeps it: the next PDF
costs a page load and a print, not a browser start. Nbconvert's own ``webpdf`` exporter works the
same way; unlike it, this module never downloads a browser: it uses the system's Chromium
(``ARMSBRIEF_CHROMIUM``, else ``chromium``/``chromium-browser``/``google-chrome`` on ``PATH``),
which ``scripts/setup.sh`` installs.

Safety: the page runs with JavaScript disabled and every network request aborted (briefs are
self-contained: inline CSS, inline SVG, data-URI images). Reproducibility: Chromium stamps the
PDF with the current time and numbers its structure-tree nodes with a per-renderer counter;
:func:`normalise` sets both dates to the build time and renumbers the nodes in order, without
changing a byte's offset, so two prints of the same page with the same build time are
byte-identical.

Playwright's synchronous API is bound to the thread that starts it, so the browser lives in one
daemon thread that serves print jobs from a queue; any thread may call :func:`print_pdf`. A process
forked from one that had a browser starts its own, unless it is told to use another process's
browser: :func:`print_server` (used by ``armsbrief batch``) lends this process's browser to its worker
processes over a Unix socket named in ``$ARMSBRIEF_PRINT_SERVER``, so a batch runs one browser,
not one per worker.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import queue
import re
import shutil
import socket
import struct
import tempfile
import threading
from concurrent.futures import Future
from datetime import datetime

__all__ = ["ChromiumError", "chromium_path", "print_pdf", "prewarm", "normalise", "shutdown", "print_server"]

SERVER_ENV = "ARMSBRIEF_PRINT_SERVER"

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_VAR = "ARMSBRIEF_CHROMIUM"
#: Seconds a single print may take before it is abandoned (and the browser restarted).
TIMEOUT_S = 120


class ChromiumError(RuntimeError):
    """No usable Chromium, or the browser failed to print the page."""


def chromium_path() -> str:
    """The Chromium executable: ``$ARMSBRIEF_CHROMIUM`` if set, else the first of :data:`CANDIDATES` on PATH."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return configured
        raise ChromiumError(f"{ENV_VAR}={configured!r} is not an executable file")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumError(
        "the PDF engine 'chromium' needs a Chromium browser and none was found "
        f"(looked for {', '.join(CANDIDATES)} on PATH and ${ENV_VAR}). Run `make setup` (installs the "
        "Debian package 'chromium'), set ARMSBRIEF_CHROMIUM to a Chromium/Chrome executable, "
        "or use the other engine: ARMSBRIEF_PDF_ENGINE=weasyprint / --pdf-engine weasyprint")


# ------------------------------------------------------------------------------------------ the printer

class _Printer(threading.Thread):
    """Daemon thread owning Playwright, one browser and one page; prints the queued pages."""

    def __init__(self) -> None:
        super().__init__(name="armsbrief-chromium", daemon=True)
        self.jobs: queue.Queue = queue.Queue()
        self.ready: Future = Future()
        self.pid = os.getpid()
        self.broken = False

    def run(self) -> None:
        try:
            from playwright.sync_api import sync_playwright

            executable = chromium_path()
            manager = sync_playwright().start()
        except BaseException as err:  # noqa: BLE001 - reported to every caller
            self.broken = True
            self.ready.set_exception(err if isinstance(err, ChromiumError) else ChromiumError(
                f"cannot start Playwright: {type(err).__name__}: {err}"))
            return
        browser = None
        try:
            try:
                browser = manager.chromium.launch(executable_path=executable, headless=True)
                context = browser.new_context(java_script_enabled=False, offline=True)
                context.route("**/*", lambda route: route.abort())  # data: URIs are not requests
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_S * 1000)
            except BaseException as err:  # noqa: BLE001
                self.broken = True
                self.ready.set_exception(ChromiumError(
                    f"cannot start Chromium ({executable}): {type(err).__name__}: {err}"))
                return
            self.ready.set_result(True)
            while True:
                job = self.jobs.get()
                if job is None:
                    break
                html, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    page.set_content(html, wait_until="load")
                    pdf = page.pdf(prefer_css_page_size=True, print_background=True, tagged=True,
                                   outline=True)
                except BaseException as err:  # noqa: BLE001 - the caller gets it; start afresh next time
                    self.broken = True
                    future.set_exception(ChromiumError(f"Chromium could not print the page: "
                                                       f"{type(err).__name__}: {err}"))
                    break
                future.set_result(pdf)
        finally:
            self.broken = True
            self._fail_pending()
            with contextlib.suppress(Exception):  # shutting down anyway
                if browser is not None:
                    browser.close()
            with contextlib.suppress(Exception):
                manager.stop()

    def _fail_pending(self) -> None:
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None and job[1].set_running_or_notify_cancel():
                job[1].set_exception(ChromiumError("the Chromium printer stopped before this page"))


_lock = threading.Lock()
_printer: _Printer | None = None


def _get_printer() -> _Printer:
    global _printer
    with _lock:
        current = _printer
        if current is None or current.pid != os.getpid() or current.broken or not current.is_alive():
            if current is not None and current.pid == os.getpid() and current.is_alive():
                current.jobs.put(None)
            current = _printer = _Printer()
            current.start()
        return current


def _server_address() -> str | None:
    address = os.environ.get(SERVER_ENV, "").strip()
    return address if address and (_serving is None or _serving[0] != os.getpid()) else None


def prewarm() -> None:
    """Start this process's browser in the background (no wait; errors surface in :func:`print_pdf`).
    Nothing to do in a process that prints through another's browser (``$ARMSBRIEF_PRINT_SERVER``)."""
    if _server_address() is None:
        _get_printer()


def print_pdf(html: str, timeout: float = TIMEOUT_S) -> bytes:
    """Print a self-contained HTML page to PDF bytes (A4 and margins from its ``@page`` rules), with this
    process's browser or, when ``$ARMSBRIEF_PRINT_SERVER`` names one, the print server's."""
    address = _server_address()
    if address is not None:
        return _print_remote(address, html, timeout)
    return _print_local(html, timeout)


def _print_local(html: str, timeout: float) -> bytes:
    printer = _get_printer()
    printer.ready.result(timeout=timeout)  # raises ChromiumError when the browser cannot start
    future: Future = Future()
    printer.jobs.put((html, future))
    try:
        return future.result(timeout=timeout)
    except TimeoutError:
        printer.broken = True
        raise ChromiumError(f"Chromium did not print the page within {timeout:.0f} s") from None


def shutdown() -> None:
    """Close this process's browser (also done at exit)."""
    global _printer
    with _lock:
        current, _printer = _printer, None
    if current is not None and current.pid == os.getpid() and current.is_alive():
        current.jobs.put(None)
        current.join(timeout=10)


atexit.register(shutdown)


# ------------------------------------------------------------------------------------------ print server
# One request per connection: 8-byte length + UTF-8 page; answer: 1 status byte (0 = PDF, 1 = error
# message) + 8-byte length + payload.

_serving: tuple[int, str] | None = None  # (pid, address) of the print server this process runs


def _send(sock: socket.socket, status: int | None, payload: bytes) -> None:
    head = struct.pack("!Q", len(payload)) if status is None else struct.pack("!BQ", status, len(payload))
    sock.sendall(head + payload)


def _receive(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _print_remote(address: str, html: str, timeout: float) -> bytes:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
            _send(sock, None, html.encode("utf-8"))
            status, size = struct.unpack("!BQ", _receive(sock, 9))
            payload = _receive(sock, size)
    except OSError as err:
        raise ChromiumError(f"the print server at {address} ({SERVER_ENV}) failed: {type(err).__name__}: {err}") from None
    if status:
        raise ChromiumError(payload.decode("utf-8", "replace"))
    return payload


def _handle(conn: socket.socket) -> None:
    with conn:
        try:
            (size,) = struct.unpack("!Q", _receive(conn, 8))
            html = _receive(conn, size).decode("utf-8")
        except (OSError, ValueError, struct.error):
            return
        try:
            status, payload = 0, _print_local(html, TIMEOUT_S)
        except Exception as err:  # noqa: BLE001 - the client raises it
            status, payload = 1, str(err).encode("utf-8")
        with contextlib.suppress(OSError):
            _send(conn, status, payload)


@contextlib.contextmanager
def print_server():
    """Lend this process's browser to other processes for the duration: yields the socket address to
    put in their ``$ARMSBRIEF_PRINT_SERVER``. The browser starts at once, in the background."""
    global _serving
    folder = tempfile.mkdtemp(prefix="armsbrief-print-")
    address = os.path.join(folder, "socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(16)
    _serving = (os.getpid(), address)
    prewarm()

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the server is done
                return
            threading.Thread(target=_handle, args=(conn,), name="armsbrief-print", daemon=True).start()

    threading.Thread(target=accept, name="armsbrief-print-server", daemon=True).start()
    try:
        yield address
    finally:
        _serving = None
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------------------ reproducibility

_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}([+-]\d\d'\d\d'|Z)?")
_NODE = re.compile(rb"\(node(\d{8})\)")


def normalise(pdf: bytes, built_at: datetime) -> bytes:
    """The same PDF with its dates set to ``built_at`` (UTC) and structure nodes numbered in order.

    Every substitution keeps the length of what it replaces, so the cross-reference offsets stay valid.
    """
    stamp = built_at.strftime("%Y%m%d%H%M%S").encode("ascii")
    utc = {None: b"", b"Z": b"Z"}

    def date(match: re.Match) -> bytes:
        zone = utc.get(match.group(2), b"+00'00'")  # the offset keeps its length
        return b"/" + match.group(1) + b" (D:" + stamp + zone

    pdf = _DATE.sub(date, pdf)
    numbers: dict[bytes, int] = {}

    def renumber(match: re.Match) -> bytes:
        number = numbers.setdefault(match.group(1), len(numbers))
        return b"(node%08d)" % number

    return _NODE.sub(renumber, pdf)
