"""analysis.sources.download and `armsbrief download`, against a local HTTP server on 127.0.0.1 that replays
answers of the recorded shape ({"bytes": "<base64 CSV>"}, as in the R package Rat.db's recorded response)
built from the hand-made registers in tests/fixtures/download/. No test reaches the internet: the backend
is always 127.0.0.1 and the `no_internet` fixture makes connections and name lookups for any other host fail.
"""
import base64
import gzip
import hashlib
import json
import socket
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis import paths
from analysis.pipeline.cli import main
from analysis.sources import download as dl
from analysis.sources import sipri

FIXTURES = Path(__file__).parent / "fixtures" / "download"
REGISTER = (FIXTURES / "per_year_register.csv").read_bytes()
VINTAGE = "2026-03-12"  # the fixture's "Data generated: 12 Mar 2026 9:41:07 AM"
ENDPOINT = "/api/p/trades/trade-register-csv/"
THIS_YEAR = date.today().year
LOCAL = ("127.0.0.1", "localhost")


def expected_body(first=1950, last=THIS_YEAR):
    """The filters public clients send for the whole register, written out by hand."""
    return {"filters": [
        {"field": "Delivery year", "oldField": "", "condition": "contains", "value1": first, "value2": last,
         "listData": []},
        {"field": "Order year", "oldField": "", "condition": "contains", "value1": 0, "value2": last, "listData": []},
        {"field": "opendeals", "oldField": "", "condition": "", "value1": "", "value2": "", "listData": []},
        {"field": "exportOption", "oldField": "", "condition": "", "value1": "", "value2": "", "listData": []},
    ], "logic": "AND"}


# --------------------------------------------------------------------------- guard and local server

@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Connections and name lookups for any host but 127.0.0.1 fail; the default backend is a closed port."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self, address):
        if isinstance(address, tuple) and address[0] not in LOCAL:
            raise OSError(f"test guard: no connection to {address[0]} (tests stay on 127.0.0.1)")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL:
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no name lookup for {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    for proxy in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)  # urllib would send 127.0.0.1 requests through a proxy
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setenv(dl.BACKEND_ENV, f"http://127.0.0.1:{closed_port()}/api/p")
    monkeypatch.setattr(dl, "RETRY_PAUSE_S", 0.0)


def closed_port():
    """A port on 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answer(csv_bytes, status=200, content_type="application/json", delay=0.0):
    """A reply of the recorded shape: JSON {"bytes": base64 of the CSV}."""
    return reply(json.dumps({"bytes": base64.b64encode(csv_bytes).decode("ascii")}).encode(), status,
                 content_type, delay)


def reply(body, status=200, content_type="application/json", delay=0.0):
    return {"status": status, "body": body, "content_type": content_type, "delay": delay}


class Replay:
    """Replies served in order (the last one repeats) and every request received."""

    def __init__(self):
        self.replies, self.requests, self.base = [], [], ""

    def next(self):
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@pytest.fixture
def server():
    replay = Replay()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            replay.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                    "body": body})
            r = replay.next()
            time.sleep(r["delay"])
            payload = r["body"]
            gzipped = "gzip" in self.headers.get("Accept-Encoding", "") and r["status"] == 200
            if gzipped:
                payload = gzip.compress(payload)
            try:
                self.send_response(r["status"])
                self.send_header("Content-Type", r["content_type"])
                if gzipped:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (timeout test)
                pass

        do_GET = do_POST

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    replay.base = f"http://127.0.0.1:{httpd.server_port}/api/p"
    replay.replies.append(answer(REGISTER))
    yield replay
    httpd.shutdown()
    httpd.server_close()


def tree(folder):
    """Every file under ``folder`` (relative paths), for 'nothing else written' checks."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def with_vintage(text):
    """The fixture register with another "Data generated" line."""
    return REGISTER.replace(b"Data generated: 12 Mar 2026 9:41:07 AM", text.encode())


# --------------------------------------------------------------------------- success

def test_download_writes_the_register_and_its_record(server, tmp_path):
    to = tmp_path / "raw" / "sipri"
    result = dl.download(to, backend=server.base)
    folder = to / VINTAGE
    assert result.status == "downloaded"
    assert result.path == folder / "trade-register.csv"
    assert result.path.read_bytes() == REGISTER
    assert tree(to) == [VINTAGE, f"{VINTAGE}/download.json", f"{VINTAGE}/trade-register.csv"]  # no temp left
    record = json.loads((folder / "download.json").read_text(encoding="utf-8"))
    assert record["url"] == server.base + "/trades/trade-register-csv/"
    assert record["request_body"] == expected_body()
    assert record["vintage"] == VINTAGE
    assert record["data_generated"] == "12 Mar 2026 9:41:07 AM"
    assert record["format"] == "per-year"
    assert record["sha256"] == hashlib.sha256(REGISTER).hexdigest()
    assert record["bytes"] == len(REGISTER)
    assert record["deals"] == 4 and record["delivery_rows"] == 5  # deals 91001-91004; 91001 has two rows
    assert record["armsbrief_version"] == version("armsbrief")
    assert record["fetched_at"].startswith(str(date.today().year))
    loaded = sipri.load_register(result.path, use_cache=False)
    assert loaded.vintage == VINTAGE
    assert loaded.format == "per-year"
    # 10 + 20 + 6 + 1.5 + 0.2 = 37.7 delivered TIV (mn) in the five fixture rows
    assert loaded.deliveries["tiv_delivered_mn"].sum() == pytest.approx(37.7)


def test_the_request_has_the_method_path_body_and_user_agent(server, tmp_path):
    dl.download(tmp_path, backend=server.base, from_year=2000, to_year=2001)
    assert len(server.requests) == 1  # one request
    request = server.requests[0]
    assert request["method"] == "POST"
    assert request["path"] == ENDPOINT
    assert request["headers"]["Content-Type"] == "application/json"
    assert "gzip" in request["headers"]["Accept-Encoding"]  # the server answered gzip: it was decompressed
    assert json.loads(request["body"]) == expected_body(2000, 2001)
    ua = request["headers"]["User-Agent"]
    assert ua.startswith(f"armsbrief/{version('armsbrief')} (") and ua.endswith("research tool)")


def test_cli_download_uses_the_backend_from_the_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv(dl.BACKEND_ENV, server.base)
    result = CliRunner().invoke(main, ["download", "--to", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / VINTAGE / "trade-register.csv")
    assert f"asking {server.base}/trades/trade-register-csv/" in result.stderr
    assert "downloaded: SIPRI trade register, data generated 2026-03-12" in result.stderr
    assert [r["path"] for r in server.requests] == [ENDPOINT]
    assert json.loads(server.requests[0]["body"]) == expected_body()


def test_a_rerun_is_already_downloaded_and_rewrites_nothing(server, tmp_path):
    first = dl.download(tmp_path, backend=server.base)
    before = {p: (p.stat().st_mtime_ns, p.stat().st_ino, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    result = CliRunner().invoke(main, ["download", "--to", str(tmp_path), "--backend", server.base])
    assert result.exit_code == 0, result.output
    assert "already downloaded" in result.stderr and "nothing written" in result.stderr
    assert result.stdout.strip() == str(first.path)
    after = {p: (p.stat().st_mtime_ns, p.stat().st_ino, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_a_different_vintage_goes_beside(server, tmp_path):
    first = dl.download(tmp_path, backend=server.base)
    server.replies[:] = [answer(with_vintage("Data generated: 11 Mar 2027 8:05:00 AM"))]
    second = dl.download(tmp_path, backend=server.base)
    assert second.status == "downloaded"
    assert second.vintage == "2027-03-11"
    assert second.path == tmp_path / "2027-03-11" / "trade-register.csv"
    assert first.path.read_bytes() == REGISTER  # the older vintage is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-03-12", "2027-03-11"]


def test_the_same_vintage_with_another_checksum_is_kept_apart(server, tmp_path):
    first = dl.download(tmp_path, backend=server.base)
    revised = REGISTER.replace(b"armed UAV", b"armed UAV (revised)")
    server.replies[:] = [answer(revised)]
    second = dl.download(tmp_path, backend=server.base)
    assert second.status == "kept apart"
    assert second.path == tmp_path / f"{VINTAGE}-2" / "trade-register.csv"
    assert second.existing == first.path
    assert "kept apart" in dl.describe(second) and str(first.path) in dl.describe(second)
    assert first.path.read_bytes() == REGISTER and second.path.read_bytes() == revised
    again = dl.download(tmp_path, backend=server.base)  # the revised one again: found in the -2 folder
    assert again.status == "already downloaded" and again.path == second.path
    assert sorted(p.name for p in tmp_path.iterdir()) == [VINTAGE, f"{VINTAGE}-2"]


def test_a_transient_503_is_retried_once(server, tmp_path):
    server.replies[:] = [reply(b"busy", status=503, content_type="text/plain"), answer(REGISTER)]
    result = dl.download(tmp_path, backend=server.base)
    assert result.status == "downloaded"
    assert len(server.requests) == 2


# --------------------------------------------------------------------------- failures leave nothing

SHAPES = {
    "html page": (reply((FIXTURES / "maintenance.html").read_bytes(), content_type="text/html"),
                  ["did not answer JSON", "text/html", "<!DOCTYPE html>"]),
    "json without bytes": (reply(b'{"message": "Internal error", "status": 500}'),
                           ["without a 'bytes' field", "'message', 'status'"]),
    "json list": (reply(b'[1, 2]'), ["without a 'bytes' field", "a JSON list"]),
    "bytes not a string": (reply(b'{"bytes": 12}'), ["'bytes' field that is a JSON int"]),
    "bad base64": (reply(b'{"bytes": "bm90IGJhc2U2NCE*?"}'), ["not base64", "bm90IGJhc2U2NCE*?"]),
    "csv not a register": (answer((FIXTURES / "not_a_register.csv").read_bytes()),
                           ["not a SIPRI trade register", "Test fixture for", "no SIPRI header line"]),
    "no data generated line": (answer(with_vintage("")), ["without a 'Data generated: ...' line"]),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_an_answer_of_another_shape_fails_naming_what_was_found(server, tmp_path, shape):
    server.replies[:] = [SHAPES[shape][0]]
    to = tmp_path / "raw" / "sipri"
    with pytest.raises(dl.DownloadError) as err:
        dl.download(to, backend=server.base)
    for part in SHAPES[shape][1]:
        assert part in str(err.value)
    assert "download the register by hand" in str(err.value)
    assert not (tmp_path / "raw").exists()  # nothing written, not even the folders
    assert len(server.requests) == 1  # a wrong shape is not retried


def test_a_failure_leaves_an_existing_folder_as_it_was(server, tmp_path):
    dl.download(tmp_path, backend=server.base)
    before = tree(tmp_path)
    server.replies[:] = [answer((FIXTURES / "not_a_register.csv").read_bytes())]
    result = CliRunner().invoke(main, ["download", "--to", str(tmp_path), "--backend", server.base])
    assert result.exit_code == 1
    assert "not a SIPRI trade register" in result.output
    assert tree(tmp_path) == before  # no temporary folder left


def test_an_http_error_fails_with_its_code(server, tmp_path):
    server.replies[:] = [reply(b"<h1>Not Found</h1>", status=404, content_type="text/html")]
    with pytest.raises(dl.DownloadError, match=r"answered HTTP 404 Not Found; body starts '<h1>Not Found</h1>'"):
        dl.download(tmp_path, backend=server.base)
    assert len(server.requests) == 1  # a 404 is not retried
    assert tree(tmp_path) == []


def test_a_persistent_503_is_tried_twice_only(server, tmp_path):
    server.replies[:] = [reply(b"busy", status=503, content_type="text/plain")]
    with pytest.raises(dl.DownloadError, match=r"HTTP 503 Service Unavailable \(twice\)"):
        dl.download(tmp_path, backend=server.base)
    assert len(server.requests) == 2


def test_a_timeout_is_retried_once_then_fails(server, tmp_path):
    server.replies[:] = [answer(REGISTER, delay=1.5)]
    with pytest.raises(dl.DownloadError, match=r"cannot reach .*no answer within 0.3 s \(--timeout\)"):
        dl.download(tmp_path, backend=server.base, timeout=0.3)
    assert len(server.requests) == 2
    assert tree(tmp_path) == []


def test_an_unreachable_server_names_the_manual_route(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/api/p"
    to = tmp_path / "raw" / "sipri"
    result = CliRunner().invoke(main, ["download", "--to", str(to), "--backend", url])
    assert result.exit_code == 1
    message = " ".join(result.output.split())  # click wraps nothing, but be safe about line breaks
    assert f"cannot reach {url}/trades/trade-register-csv/" in message
    assert "ConnectionRefusedError" in message
    assert "download the register by hand: open https://armstransfers.sipri.org, choose Trade registers" in message
    assert "--transfers PATH" in message and "data/raw/sipri/" in message
    assert not (tmp_path / "raw").exists()


def test_the_guard_keeps_sipri_itself_out_of_reach(tmp_path):
    # The real backend is refused by the no_internet fixture: a DNS-style failure, reported as offline.
    with pytest.raises(dl.DownloadError, match=r"cannot reach https://atbackend\.sipri\.org/api/p/trades/"
                                               r"trade-register-csv/ \(its host name does not resolve: "
                                               r"offline\? gaierror: .*test guard"):
        dl.download(tmp_path, backend=dl.DEFAULT_BACKEND)


@pytest.mark.parametrize("args, named", [
    (["--from-year", "1949"], "--from-year"),
    (["--from-year", "2010", "--to-year", "2009"], "--to-year"),
    (["--to-year", str(THIS_YEAR + 1)], "--to-year"),
    (["--timeout", "0"], "--timeout"),
    (["--backend", "ftp://example.org/api"], "--backend"),
])
def test_bad_parameters_stop_before_any_request(server, tmp_path, args, named):
    result = CliRunner().invoke(main, ["download", "--to", str(tmp_path / "out"), "--backend", server.base, *args])
    assert result.exit_code == 1, result.output
    assert named in result.output
    assert "asking" not in result.output  # stopped before announcing the request
    assert server.requests == []
    assert not (tmp_path / "out").exists()


def test_to_must_be_a_folder(server, tmp_path):
    target = tmp_path / "file.csv"
    target.write_text("x")
    with pytest.raises(ValueError, match="--to: .* is not a folder"):
        dl.download(target, backend=server.base)
    assert server.requests == []


def test_the_user_agent_names_armsbrief_and_its_version():
    # pyproject.toml has no project URL today: "armsbrief/0.1.0 (research tool)"
    assert dl.user_agent() == f"armsbrief/{version('armsbrief')} (research tool)"


def test_auto_picks_up_a_downloaded_register(server, tmp_path, monkeypatch):
    from analysis.sources import transfers

    result = dl.download(tmp_path, backend=server.base)
    monkeypatch.setattr(paths, "RAW_SIPRI_DIR", tmp_path)
    _, register = transfers.choose_register()
    assert register is not None and Path(register.source) == result.path
