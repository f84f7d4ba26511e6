"""The fast paths keep the semantics: the validated case-table cache never serves a changed file,
and kernels forked from the kernel fork server are as fresh and isolated as kernels started anew."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import nbformat
import pandas as pd
import pytest

from analysis import paths
from analysis.sources import curated, sidecars
from analysis.pipeline.fast import kernels
from analysis.sources.curated import CaseDataError
from analysis.sources.sidecars import SidecarError


# ------------------------------------------------------------------------------------------ case-table cache

@pytest.fixture
def case_copy(tmp_path, monkeypatch):
    """A private copy of data/case and a private cache folder."""
    folder = tmp_path / "case"
    shutil.copytree(paths.CASE_DIR, folder)
    for table in ("events", "claims", "reported_transfers"):  # the founding case pack's tables, beside them
        for suffix in (".csv", ".meta.yml"):
            shutil.copy(paths.DATA_DIR / "cases" / "belarus-azerbaijan" / f"{table}{suffix}", folder)
    monkeypatch.setattr(paths, "CASE_DIR", folder)
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.delenv("ARMSBRIEF_CASE_CACHE", raising=False)
    return folder


def count_validations(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = curated._validate

    def counting(name, path, data):
        calls.append(name)
        return real(name, path, data)

    monkeypatch.setattr(curated, "_validate", counting)
    return calls


def test_an_unchanged_table_is_validated_once_and_then_read_from_the_cache(case_copy, monkeypatch):
    calls = count_validations(monkeypatch)
    first = curated.load_table("claims")
    second = curated.load_table("claims")
    assert calls == ["claims"]
    pd.testing.assert_frame_equal(first, second)
    assert list(first.dtypes) == list(second.dtypes)
    second.loc[0, "claim_text"] = "changed by the caller"  # each call gets its own frame
    assert curated.load_table("claims").loc[0, "claim_text"] == first.loc[0, "claim_text"]


def test_a_changed_file_is_validated_again_even_with_a_matching_sidecar(case_copy, monkeypatch):
    curated.load_table("tiv_totals")  # cached
    path = case_copy / "tiv_totals.csv"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1].replace(",imports,", ",imported,", 1)  # breaks the 'allowed values' rule
    path.write_text("".join(lines), encoding="utf-8")
    sidecars.refresh_checksum(path)  # the sidecar agrees: only the schema can catch it
    calls = count_validations(monkeypatch)
    with pytest.raises(CaseDataError, match="allowed values"):
        curated.load_table("tiv_totals")
    assert calls == ["tiv_totals"]
    with pytest.raises(CaseDataError):  # a failure is never cached
        curated.load_table("tiv_totals")


def test_a_changed_sidecar_is_checked_again(case_copy):
    curated.load_table("events")
    sidecar = case_copy / "events.meta.yml"
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("title:", "titel:", 1), encoding="utf-8")
    with pytest.raises(SidecarError, match="title: missing"):
        curated.load_table("events")


def test_a_changed_checksum_is_still_caught(case_copy):
    curated.load_table("conflicts")
    path = case_copy / "conflicts.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(SidecarError, match="has changed since its sidecar was written"):
        curated.load_table("conflicts")


def test_a_damaged_cache_entry_is_a_miss(case_copy, monkeypatch, capsys):
    expected = list(curated.load_table("alliances")["alliance"])
    entries = list((paths.CACHE_DIR / "case-tables").glob("table-alliances-*/value.pickle"))
    assert len(entries) == 1
    entries[0].write_bytes(b"not a pickle")
    calls = count_validations(monkeypatch)
    assert list(curated.load_table("alliances")["alliance"]) == expected
    assert calls == ["alliances"]
    assert "failed verification" in capsys.readouterr().err


def test_the_cache_can_be_switched_off(case_copy, monkeypatch):
    calls = count_validations(monkeypatch)
    curated.load_table("alliances", use_cache=False)
    curated.load_table("alliances", use_cache=False)
    monkeypatch.setenv("ARMSBRIEF_CASE_CACHE", "0")
    curated.load_table("alliances")
    assert calls == ["alliances"] * 3


def test_the_cached_embedded_register_equals_a_fresh_one(case_copy):
    fresh = curated.load_embedded_register(use_cache=False)
    curated.load_embedded_register()
    cached = curated.load_embedded_register()
    pd.testing.assert_frame_equal(fresh.deals, cached.deals)
    pd.testing.assert_frame_equal(fresh.deliveries, cached.deliveries)
    assert (fresh.vintage, fresh.format, fresh.source) == (cached.vintage, cached.format, cached.source)


def test_reading_cached_tables_does_not_import_pandera(tmp_path):
    code = ("import sys; from analysis import paths; from analysis.sources import curated; "
            "pack = paths.DATA_DIR / 'cases' / 'belarus-azerbaijan'; curated.load_table('claims', pack); "
            "curated.load_table('claims', pack); curated.load_embedded_register(); curated.load_embedded_register(); "
            "print('pandera' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "ARMSBRIEF_CASE_CACHE": "1"})
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------------------ kernel fork server

PROBE = """\
import os, sys
print(os.getpid(), os.getcwd(), 'analysis.report.brief' in sys.modules,
      sorted(k for k in globals() if not k.startswith('_') and k not in ('In', 'Out', 'exit', 'quit', 'get_ipython', 'open', 'os', 'sys')),
      os.environ.get('ARMSBRIEF_PROBE'), os.environ.get('MPLBACKEND'),
      __import__('ipykernel.kernelapp').kernelapp.IPKernelApp.instance().transport)
"""


def run_probe(tmp_path, name: str, extra: str = "") -> tuple[list[str], list]:
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE), nbformat.v4.new_code_cell(extra or "pass")]
    src, out = tmp_path / f"{name}.ipynb", tmp_path / f"{name}-out.ipynb"
    nbformat.write(nb, src)
    result = pm.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False,
                                 cwd=str(paths.NOTEBOOKS_DIR), **kernels.papermill_options())
    return result.cells[0].outputs[0]["text"].split(maxsplit=3), [c.execution_count for c in result.cells]


@pytest.mark.slow
def test_forked_kernels_are_fresh_isolated_processes_with_the_modules_preloaded(tmp_path, monkeypatch):
    assert set(kernels.papermill_options()) == {"kernel_manager_class"}  # the normal start, over Unix sockets
    monkeypatch.setenv("ARMSBRIEF_PROBE", "before")
    kernels.enable()
    try:
        server = kernels._server.process.pid
        assert set(kernels.papermill_options()) == {"kernel_manager_class", "shutdown_kernel"}
        monkeypatch.setenv("ARMSBRIEF_PROBE", "at-launch")  # each kernel gets the environment of its launch
        first, counts = run_probe(tmp_path, "one", extra="leak = 42")
        second, _ = run_probe(tmp_path, "two")
        for fields in (first, second):
            pid, cwd, preloaded, rest = fields
            assert int(pid) not in (os.getpid(), server)
            assert cwd == str(paths.NOTEBOOKS_DIR) and preloaded == "True"
            assert rest.startswith("[] at-launch module://matplotlib_inline.backend_inline")
        assert first[0] != second[0]  # a new process per notebook: 'leak' from the first is not in the second
        assert counts == [1, 2]
        assert {f[3].split()[-1] for f in (first, second)} == {"ipc"}  # kernels talk over Unix sockets
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and os.path.exists(f"/proc/{first[0]}"):
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{first[0]}")  # killed once its notebook ran, and reaped

        kernels._server.process.kill()  # a dead fork server: kernels start the normal way
        kernels._server.process.wait()
        assert set(kernels.papermill_options()) == {"kernel_manager_class"}
        (pid, _, preloaded, rest), _ = run_probe(tmp_path, "three")
        assert preloaded == "False" and rest.split()[-1] == "ipc"
    finally:
        kernels.disable()
    assert not kernels.is_enabled()


FORKED_SERVER_SCRIPT = """
import json, os, sys
sys.path.insert(0, {tests!r})
from analysis.pipeline.fast import kernels
from test_fast_paths import run_probe
from pathlib import Path
kernels.enable(fork=True)  # a fresh process, as a batch worker's initializer
forked = type(kernels._server.process).__name__ == "_Child"
first, counts = run_probe(Path({tmp!r}), "one", extra="leak = 42")
second, _ = run_probe(Path({tmp!r}), "two")
print(json.dumps({{"forked": forked, "first": first, "second": second, "counts": counts,
                  "server": kernels._server.process.pid, "me": os.getpid()}}))
kernels.disable()
"""


@pytest.mark.slow
def test_a_fork_server_forked_from_a_fresh_process_gives_the_same_fresh_kernels(tmp_path):
    import json

    script = FORKED_SERVER_SCRIPT.format(tests=str(paths.PROJECT_ROOT / "tests"), tmp=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "ARMSBRIEF_PROBE": "at-launch"})
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["forked"] is True
    for pid, cwd, preloaded, rest in (result["first"], result["second"]):
        assert int(pid) not in (result["server"], result["me"])
        assert cwd == str(paths.NOTEBOOKS_DIR) and preloaded == "True"
        assert rest.startswith("[] at-launch module://matplotlib_inline.backend_inline")
    assert result["first"][0] != result["second"][0] and result["counts"] == [1, 2]


def test_the_fork_server_is_not_forked_from_a_process_that_ran_a_kernel():
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        assert kernels._pristine() is False
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@pytest.mark.parametrize("which", [1, 2], ids=["fork-server kernels", "other kernels"])
def test_a_stopping_kernel_is_polled_every_few_milliseconds_not_every_tenth_of_a_second(which, monkeypatch):
    import asyncio

    manager = kernels._classes()[which]()
    answers = iter([True, True, False])
    sleeps = []

    async def is_alive():
        return next(answers)

    async def sleep(seconds):
        sleeps.append(seconds)

    monkeypatch.setattr(manager, "_async_is_alive", is_alive)
    monkeypatch.setattr(asyncio, "sleep", sleep)
    asyncio.run(manager._async_wait(pollinterval=0.1))  # as jupyter_client's graceful shutdown calls it
    assert sleeps == [kernels.POLL_S, kernels.POLL_S] and kernels.POLL_S <= 0.01


def test_kernel_readiness_accepts_the_late_idle_status_of_an_earlier_request():
    """On a busy machine the idle status of the first kernel_info request can come after the retry;
    it proves IOPub connected as well as the second one's would (waiting only for the newest one
    could miss every window)."""
    import asyncio
    from queue import Empty

    client_class = kernels._classes()[1]().client_factory

    class IOPub:
        def __init__(self):
            self.queue = []

        async def get_msg(self, timeout=None):
            if not self.queue:
                raise Empty
            return self.queue.pop(0)

    class Client(client_class):
        asked: list
        iopub = None

        @property
        def iopub_channel(self):
            return self.iopub

        def kernel_info(self):
            msg_id = f"request-{len(self.asked)}"
            self.asked.append(msg_id)
            if len(self.asked) == 2:  # the first request's idle arrives only now, late
                self.iopub.queue.append({"parent_header": {"msg_id": "request-0"}, "msg_type": "status",
                                         "content": {"execution_state": "idle"}})
            return msg_id

        async def _reply_to(self, msg_id, deadline):
            return {"msg_id": msg_id}

        def _handle_kernel_info_reply(self, reply):
            self.ready_with = reply

        async def _async_is_alive(self):
            return True

    client = Client()
    client.asked, client.iopub = [], IOPub()
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == ["request-0", "request-1"] and client.ready_with == {"msg_id": "request-1"}
