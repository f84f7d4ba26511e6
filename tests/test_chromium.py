"""The Chromium PDF engine: offline and script-free, reproducible, clear errors, one browser per process."""
from __future__ import annotations

import http.server
import io
import multiprocessing
import threading
from datetime import datetime, timezone

import pytest

from analysis.render import chromium

pypdf = pytest.importorskip("pypdf")

try:
    chromium.chromium_path()
except chromium.ChromiumError as err:  # visible in the test report, like the SIPRI-data skips
    pytest.skip(f"no Chromium on this machine ({err}); `make setup` installs it", allow_module_level=True)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


# ------------------------------------------------------------------------------------------ reproducibility

def test_normalise_sets_the_build_time_and_renumbers_nodes_in_place():
    raw = (b"%PDF-1.4\n<</CreationDate (D:20261127000542+01'00')\n/ModDate (D:20261127000543Z)>>\n"
           b"<</ID (node00000047)>> <</ID (node00000090)>> <</K [(node00000047)]>>\n%%EOF")
    out = chromium.normalise(raw, datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc))
    assert len(out) == len(raw)  # xref offsets stay valid
    assert b"/CreationDate (D:20240501120000+00'00')" in out and b"/ModDate (D:20240501120000Z)" in out
    assert out.count(b"(node00000000)") == 2 and b"(node00000001)" in out and b"node00000047" not in out


def test_two_prints_of_a_page_are_byte_identical_after_normalising():
    page = "<!DOCTYPE html><title>T</title><h1>Heading</h1><table><tr><td>cell</td></tr></table>"
    built = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    first = chromium.normalise(chromium.print_pdf(page), built)
    second = chromium.normalise(chromium.print_pdf(page), built)
    assert first == second
    assert chromium.print_pdf(page) != first  # raw prints carry the print time and fresh node numbers


# ------------------------------------------------------------------------------------------ safety

@pytest.fixture
def counting_server():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_the_page_makes_no_requests_and_runs_no_script(counting_server):
    base, hits = counting_server
    page = f"""<!DOCTYPE html><html><head><title>t</title>
    <link rel="stylesheet" href="{base}/style.css"><style>@import url({base}/import.css);
    @font-face {{ font-family: X; src: url({base}/font.woff2); }} p {{ font-family: X; }}</style></head>
    <body><p>static text</p><img src="{base}/pixel.png" alt="pixel"><iframe src="{base}/frame"></iframe>
    <script>document.body.insertAdjacentText('beforeend', 'SCRIPT RAN');</script></body></html>"""
    text = text_of(chromium.print_pdf(page))
    assert "static text" in text and "SCRIPT RAN" not in text
    assert hits == []


# ------------------------------------------------------------------------------------------ errors

def test_missing_browser_is_named_with_the_fix(monkeypatch):
    monkeypatch.setenv(chromium.ENV_VAR, "/nonexistent/chromium")
    with pytest.raises(chromium.ChromiumError, match="ARMSBRIEF_CHROMIUM='/nonexistent/chromium' is not an executable"):
        chromium.chromium_path()
    monkeypatch.delenv(chromium.ENV_VAR)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(chromium.ChromiumError, match=r"make setup.*--pdf-engine weasyprint"):
        chromium.chromium_path()


def test_a_browser_that_cannot_start_fails_clearly_and_the_next_one_recovers(monkeypatch):
    chromium.shutdown()
    monkeypatch.setenv(chromium.ENV_VAR, "/bin/false")
    try:
        with pytest.raises(chromium.ChromiumError, match=r"cannot start Chromium \(/bin/false\)"):
            chromium.print_pdf("<p>x</p>", timeout=60)
    finally:
        monkeypatch.delenv(chromium.ENV_VAR)
    assert "recovered" in text_of(chromium.print_pdf("<p>recovered</p>"))


# ------------------------------------------------------------------------------------------ processes

def _child_prints(conn) -> None:
    try:
        conn.send(text_of(chromium.print_pdf("<p>from the child</p>", timeout=120)))
    except BaseException as err:  # noqa: BLE001
        conn.send(f"{type(err).__name__}: {err}")


def test_a_forked_process_starts_its_own_browser():
    chromium.print_pdf("<p>parent</p>")  # the parent's browser thread exists
    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe()
    child = ctx.Process(target=_child_prints, args=(child_end,))
    child.start()
    assert parent_end.poll(180), "the forked process did not answer"
    assert "from the child" in parent_end.recv()
    child.join(30)
    assert child.exitcode == 0
    assert "parent" in text_of(chromium.print_pdf("<p>parent again</p>"))


# ------------------------------------------------------------------------------------------ print server

CLIENT = """
import json, sys, io, psutil, pypdf
from analysis.render import chromium
pdf = chromium.print_pdf("<p>printed by the server</p>")
text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
own = [p.name() for p in psutil.Process().children(recursive=True)]
print(json.dumps({"text": text, "children": own}))
"""


def test_worker_processes_print_with_the_servers_browser(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from analysis.paths import PROJECT_ROOT

    with chromium.print_server() as address:
        env = dict(os.environ, **{chromium.SERVER_ENV: address},
                   PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
        done = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "printed by the server" in result["text"]
    assert result["children"] == []  # no browser, no Playwright driver of its own
    assert not os.path.exists(address)  # the socket is removed afterwards


def test_a_missing_print_server_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv(chromium.SERVER_ENV, str(tmp_path / "gone"))
    with pytest.raises(chromium.ChromiumError, match=r"print server at .*gone \(ARMSBRIEF_PRINT_SERVER\) failed"):
        chromium.print_pdf("<p>x</p>", timeout=10)
