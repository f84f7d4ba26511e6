"""Nothing outlives a build (issue 15, item 5): SIGKILL of `armsbrief batch` or of `armsbrief brief` leaves
no worker, fork server, resource tracker, kernel or browser running. Processes are followed by pid (and
start time, so a reused pid is not mistaken for a survivor), walking /proc."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from analysis import paths

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and prctl (Linux)")

#: Seconds the processes get to go after the parent is killed (kernels poll their parent every second).
GRACE_S = 8


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), fields[0].decode(), int(fields[19])


def _tree(root: int) -> dict[int, int]:
    """Every descendant of ``root``: pid -> start time."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := _stat(int(name))) is not None:
            children.setdefault(st[0], []).append(int(name))
    found, todo = {}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if (st := _stat(child)) is not None:
                found[child] = st[2]
                todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _survivors(seen: dict[int, int]) -> dict[int, str]:
    out = {}
    for pid, start in seen.items():
        st = _stat(pid)
        if st is not None and st[2] == start and st[1] != "Z":
            out[pid] = _cmdline(pid)
    return out


def _kill_and_check(run: subprocess.Popen, seen: dict[int, int]) -> None:
    seen.update(_tree(run.pid))
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline:
        for pid in list(seen):  # anything the survivors started meanwhile counts too
            seen.update(_tree(pid))
        if not _survivors(seen):
            return
        time.sleep(0.2)
    left = _survivors(seen)
    for pid in left:  # do not leave them running after the test
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert left == {}, f"{len(left)} of {len(seen)} processes survived their parent by {GRACE_S} s: {left}"


def _wait_for(run: subprocess.Popen, condition, seen: dict[int, int], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.poll() is None, f"the command ended early: {run.stderr.read()[-3000:] if run.stderr else ''}"
        seen.update(_tree(run.pid))
        if condition(seen):
            return
        time.sleep(0.05)
    raise AssertionError("the processes to kill never appeared")


@pytest.mark.slow
def test_sigkill_of_a_batch_leaves_no_process(tmp_path):
    spec = tmp_path / "spec.yml"
    spec.write_text(textwrap.dedent("""
        defaults: {start: 2018, end: 2022, transfers: embedded}
        briefs:
          - {supplier: Belarus, recipient: Azerbaijan, ally: Armenia, alliance: CSTO}
          - {supplier: Russia, recipient: Armenia, start: 2010, end: 2020}
    """))
    reports = tmp_path / "reports"
    run = subprocess.Popen([sys.executable, "-m", "analysis.pipeline.cli", "batch", str(spec), "--jobs", "2"],
                           cwd=paths.PROJECT_ROOT, env={**os.environ, "ARMSBRIEF_REPORTS_DIR": str(reports)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: dict[int, int] = {}

    def workers_busy(seen) -> bool:  # both workers started (they name their log files) and a kernel runs
        logs = list((reports / ".batch-logs").glob("worker-*.log"))
        return len(logs) >= 2 and any("ipykernel" in _cmdline(p) or "forkserver" in _cmdline(p) for p in seen) \
            and len(seen) >= 6
    _wait_for(run, workers_busy, seen)
    time.sleep(1.0)  # into the builds
    assert any("forkserver" in _cmdline(p) for p in seen) and any("resource_tracker" in _cmdline(p) for p in seen)
    _kill_and_check(run, seen)


@pytest.mark.slow
def test_sigkill_of_one_build_leaves_no_process_and_the_next_build_cleans_its_folder(tmp_path):
    reports = tmp_path / "reports"
    args = [sys.executable, "-m", "analysis.pipeline.cli", "brief", "--supplier", "Belarus", "--recipient",
            "Azerbaijan", "--start", "2018", "--end", "2022", "--transfers", "embedded", "--formats", "html,pdf"]
    env = {**os.environ, "ARMSBRIEF_REPORTS_DIR": str(reports)}
    run = subprocess.Popen(args, cwd=paths.PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    seen: dict[int, int] = {}
    _wait_for(run, lambda seen: any("ipykernel" in _cmdline(p) for p in seen)
              and any("chromium" in _cmdline(p) for p in seen), seen)
    _kill_and_check(run, seen)
    left = [p.name for p in reports.iterdir() if p.name.startswith(".build-")]
    assert len(left) == 1  # the killed build's folder ...
    done = subprocess.run([sys.executable, "-m", "analysis.pipeline.cli", "brief", "--supplier", "Belarus",
                           "--recipient", "Armenia", "--start", "2018", "--end", "2022", "--transfers", "embedded",
                           "--formats", "html"], cwd=paths.PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"removed {reports / left[0]}, left by a build that was killed" in done.stderr
    assert not [p.name for p in reports.iterdir() if p.name.startswith(".")]  # ... is gone after the next build


def test_die_with_parent_kills_a_child_when_its_parent_is_killed():
    """A grandchild that called die_with_parent() dies when its parent (the child) is SIGKILLed."""
    script = textwrap.dedent("""
        import os, sys, time
        from analysis.pipeline.batch import die_with_parent
        pid = os.fork()
        if pid == 0:
            assert die_with_parent(os.getppid())
            time.sleep(60)
            os._exit(0)
        print(pid, flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=paths.PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    grandchild = int(child.stdout.readline())
    time.sleep(0.5)  # the grandchild has made its call
    start = _stat(grandchild)[2]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _survivors({grandchild: start}):
        time.sleep(0.05)
    assert not _survivors({grandchild: start})
