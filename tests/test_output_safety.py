"""No silent wrong label, no lost brief (issue 15, items 3, 4 and 8): figures from the curated subset say
so; transfers 'auto' names the register it chose and every file it skipped and why; output names hold
every parameter; a build never deletes an output it did not make; folders of killed builds are cleaned
up, never a live build's; Ctrl-C exits 130 with one line; a full disk names the file."""
from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis import paths
from analysis.case.params import check_brief_parameters, check_screen_parameters
from analysis.pipeline import build
from analysis.pipeline.build import BuildError, run_build
from analysis.pipeline.cli import main
from analysis.sources import transfers

FIXTURES = Path(__file__).parent / "fixtures" / "sipri"
CLASSIC = FIXTURES / "classic_register.csv"      # "Data generated: 2 Jan 2025"
PER_YEAR = FIXTURES / "per_year_register.csv"    # data generated 2024-04-13
IMPORTS = FIXTURES / "import_values.csv"         # a TIV table, not a register


@pytest.fixture
def raw(tmp_path, monkeypatch):
    """An empty data/raw/sipri/ (and a private cache)."""
    folder = tmp_path / "raw" / "sipri"
    folder.mkdir(parents=True)
    monkeypatch.setattr(paths, "RAW_SIPRI_DIR", folder)
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    return folder


# ------------------------------------------------------------------ labels (item 3)

def test_tiv_from_the_embedded_data_says_it_is_a_curated_subset(raw):
    result = CliRunner().invoke(main, ["tiv", "--supplier", "Türkiye", "--start", "2018", "--end", "2022"])
    assert result.exit_code == 0, result.output
    # the table itself and stderr both carry the label (the old label only named SIPRI and the vintage)
    assert "curated subset" in result.stdout.splitlines()[0]
    assert "curated subset" in result.stderr and "not SIPRI's totals" in result.stderr
    assert "transfers 'auto' found no readable SIPRI register in" in result.stderr


def test_tiv_csv_stays_plain_csv_and_is_labelled_on_stderr(raw):
    result = CliRunner().invoke(main, ["tiv", "--supplier", "Türkiye", "--start", "2018", "--end", "2022", "--csv",
                                       "--transfers", "embedded"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "recipient,2018,2019,2020,2021,2022,Total"
    assert "curated subset" in result.stderr


def test_a_full_register_is_labelled_as_one(raw):
    label = transfers.source_label(transfers.load_transfers(str(CLASSIC)))
    assert label == "SIPRI Arms Transfers Database, data generated 2025-01-02 (full classic register export)"
    assert "curated subset" in transfers.source_label(transfers.load_transfers("embedded"))


def _fill(raw: Path) -> None:
    (raw / "a.csv").write_bytes(CLASSIC.read_bytes())                    # the newest readable register
    (raw / "b.csv").write_bytes(PER_YEAR.read_bytes())                   # an older vintage
    (raw / "broken.csv").write_bytes(CLASSIC.read_bytes() + b'x,"open quote\n')  # a register that fails to load
    (raw / "c.csv").write_bytes(IMPORTS.read_bytes())                    # a TIV table
    (raw / "d.csv").write_text("not,a,sipri,file\n")                     # not SIPRI's at all
    (raw / "e.xlsx").write_bytes(b"PK\x03\x04")                          # not CSV
    (raw / ".gitkeep").write_text("")                                    # ignored


def test_auto_names_the_register_it_chose_and_every_file_it_skipped(raw):
    _fill(raw)
    register = transfers.load_transfers("auto")
    assert register.format == "classic" and register.vintage == "2025-01-02"
    notes = register.selection
    assert notes[0].startswith("transfers 'auto' chose ") and "a.csv (SIPRI classic register, data generated " \
                                                               "2025-01-02)" in notes[0]
    skipped = {n.split("skipped ", 1)[1].split(":", 1)[0].rsplit("/", 1)[-1]: n for n in notes[1:]}
    assert set(skipped) == {"b.csv", "broken.csv", "c.csv", "d.csv", "e.xlsx"}
    assert "older vintage (data generated 2024-04-13" in skipped["b.csv"]
    assert "unreadable as a classic register" in skipped["broken.csv"]
    assert "not a register but a SIPRI tiv-imports table" in skipped["c.csv"]
    assert "not a SIPRI register" in skipped["d.csv"]
    assert "not a .csv file" in skipped["e.xlsx"]


def test_auto_says_so_on_stderr_for_the_cli(raw):
    _fill(raw)
    result = CliRunner().invoke(main, ["tiv", "--supplier", "Belarus", "--start", "2018", "--end", "2022"])
    assert result.exit_code == 0, result.output
    assert "armsbrief: transfers 'auto' chose " in result.stderr
    assert result.stderr.count("armsbrief: transfers 'auto' skipped ") == 5
    assert "full classic register export" in result.stderr


def test_auto_with_only_an_unreadable_register_says_it_uses_the_embedded_data(raw):
    (raw / "broken.csv").write_bytes(CLASSIC.read_bytes() + b'x,"open quote\n')
    register = transfers.load_transfers("auto")
    assert register.format == "embedded"
    assert "found no readable SIPRI register" in register.selection[0]
    # (a folder outside the project is named by its last part only: notes never print a user's folders)
    assert register.selection[1].startswith("transfers 'auto' skipped broken.csv: unreadable as a classic register")


def test_the_brief_methodology_prints_the_choice(raw):
    from analysis.report import brief

    _fill(raw)
    case = brief.build("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, "auto")
    text = brief.methodology(case).data
    assert "auto&#39; chose a.csv (SIPRI classic register, data generated 2025-01-02)" in text
    assert text.count("skipped") >= 5


# ------------------------------------------------------------------ output names (item 4)

def test_the_output_name_holds_every_parameter_that_changes_the_brief(raw):
    default = check_brief_parameters("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, "embedded")
    no_ally = check_brief_parameters("Belarus", "Azerbaijan", None, None, 2018, 2022, "embedded")
    ally_only = check_brief_parameters("Belarus", "Azerbaijan", "Armenia", None, 2018, 2022, "embedded")
    register = check_brief_parameters("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, str(CLASSIC))
    assert default.slug == "belarus-azerbaijan-2018-2022-ally-armenia-csto"  # the `make report` brief
    assert no_ally.slug == "belarus-azerbaijan-2018-2022"                   # a CLI build without ally
    assert ally_only.slug == "belarus-azerbaijan-2018-2022-ally-armenia"
    sha = hashlib.sha256(CLASSIC.read_bytes()).hexdigest()[:6]
    assert register.slug == f"belarus-azerbaijan-2018-2022-ally-armenia-csto-sipri-20250102-{sha}"
    assert check_screen_parameters("CSTO", 2018, 2022, str(CLASSIC)).slug == f"csto-screen-2018-2022-sipri-20250102-{sha}"
    # auto: the embedded data while data/raw/sipri/ has no register, the register's name once it has one
    assert check_brief_parameters("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, "auto").slug == default.slug
    (raw / "a.csv").write_bytes(CLASSIC.read_bytes())
    assert check_brief_parameters("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, "auto").slug == register.slug


def test_a_very_long_output_name_is_cut_and_stays_unique():
    a = check_brief_parameters("Kurdistan Regional Government (Iraq)", "Houthi rebels (Yemen)",
                               "Democratic Republic of the Congo", "US-PHILIPPINES", 2018, 2022, "embedded")
    b = check_brief_parameters("Kurdistan Regional Government (Iraq)", "Houthi rebels (Yemen)",
                               "Democratic Republic of the Congo", "US-PHILIPPINES", 2018, 2021, "embedded")
    assert len(a.slug) <= 120 and a.slug != b.slug


# ------------------------------------------------------------------ earlier outputs (item 4)

def _folder(path: Path, files: dict[str, bytes]) -> Path:
    path.mkdir(parents=True)
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path


def test_an_html_only_build_keeps_the_earlier_pdf_renamed_and_the_analysts_files(tmp_path):
    reports = tmp_path / "reports"
    final = _folder(reports / "case", {"case.html": b"old html", "case.pdf": b"old pdf", "case.ipynb": b"old nb",
                                        "notes.txt": b"analyst's notes"})
    os.utime(final / "case.pdf", (1767225600, 1767225600))  # 2026-01-01T00:00:00Z
    new = _folder(reports / ".build-case-1", {"case.html": b"new html", "case.ipynb": b"new nb"})
    kept = build._publish(new, final, reports, "case")
    files = {p.name: p.read_bytes() for p in final.iterdir()}
    assert files == {"case.html": b"new html", "case.ipynb": b"new nb", "notes.txt": b"analyst's notes",
                     "case.earlier-20260101T000000Z.pdf": b"old pdf"}
    assert ("case.pdf", "case.earlier-20260101T000000Z.pdf") in kept
    assert sorted(p.name for p in reports.iterdir()) == ["case"]

    # a later build that makes a PDF again supersedes the earlier copy
    newer = _folder(reports / ".build-case-2", {"case.html": b"h3", "case.pdf": b"p3", "case.ipynb": b"n3"})
    build._publish(newer, final, reports, "case")
    assert {p.name: p.read_bytes() for p in final.iterdir()} == {"case.html": b"h3", "case.pdf": b"p3",
                                                                "case.ipynb": b"n3", "notes.txt": b"analyst's notes"}


def test_a_failed_publish_leaves_the_previous_folder_as_it_was(tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    final = _folder(reports / "case", {"case.html": b"old html", "case.pdf": b"old pdf"})
    new = _folder(reports / ".build-case-1", {"case.html": b"new html"})
    real_rename = os.rename

    def failing(src, dst):
        if Path(src) == new:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_rename(src, dst)

    monkeypatch.setattr(build.os, "rename", failing)
    with pytest.raises(OSError):
        build._publish(new, final, reports, "case")
    monkeypatch.undo()
    # the swap failed after moving the old folder aside: it was put back, nothing else is left
    assert {p.name: p.read_bytes() for p in final.iterdir()} == {"case.html": b"old html", "case.pdf": b"old pdf"}
    assert sorted(p.name for p in reports.iterdir()) == [".build-case-1", "case"]  # run_build removes its own


# ------------------------------------------------------------------ folders of killed builds (item 4)

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_folders_of_killed_builds_are_removed_and_live_ones_kept(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    host, me = build._host_id(), os.getpid()
    dead = _dead_pid()
    names = {
        "dead": f".build-case.{host}.{dead}.12345.abcd1234",
        "live": f".build-case.{host}.{me}.{build._start_time(me)}.abcd1234",
        "reused pid": f".build-case.{host}.{me}.1.abcd1234",            # our pid, another start time: gone
        "other host, fresh": ".build-case.00000000.1.1.abcd1234",
        "unowned, old": ".build-case-abcd1234",
        "unowned, fresh": ".build-case-efgh5678",
    }
    for name in names.values():
        (reports / name).mkdir()
        (reports / name / "case.html").write_text("half")
    old = time.time() - build.STALE_AFTER_S - 60
    os.utime(reports / names["unowned, old"], (old, old))
    (reports / "index.html").write_text("index")
    (reports / ".batch-logs").mkdir()
    # a build killed in the middle of its swap: the old brief moved aside, the new one not in place
    aside = reports / f".old-brief.{host}.{dead}.12345.abcd1234"
    (aside / "brief").mkdir(parents=True)
    (aside / "brief" / "brief.pdf").write_text("previous")

    removed = build.remove_stale_builds(reports)
    assert sorted(removed) == sorted([names["dead"], names["reused pid"], names["unowned, old"], aside.name])
    left = sorted(p.name for p in reports.iterdir())
    assert left == sorted([names["live"], names["other host, fresh"], names["unowned, fresh"], "index.html",
                           ".batch-logs", "brief"])
    assert (reports / "brief" / "brief.pdf").read_text() == "previous"


def test_a_build_names_its_temporary_folder_after_itself(tmp_path):
    folder = build._private_folder("build", "case", tmp_path)
    match = build._OWNED.match(folder.name)
    assert match and int(match["pid"]) == os.getpid() and match["host"] == build._host_id()


# ------------------------------------------------------------------ full disk (item 8)

class _StubExporter:
    print_mode = False

    def from_notebook_node(self, nb):
        return "<html></html>", {}


def test_a_full_disk_names_the_file_that_could_not_be_written(tmp_path, monkeypatch):
    import nbformat

    monkeypatch.setattr(build, "_exporter", lambda cls, built_at: _StubExporter())
    monkeypatch.setattr(build, "_execute", lambda notebook, out, parameters: nbformat.v4.new_notebook())

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as write() reports it: no file name

    monkeypatch.setattr(Path, "write_text", full)
    reports = tmp_path / "reports"
    params = dict(supplier="Belarus", recipient="Azerbaijan", ally="", alliance="", start_year=2018,
                  end_year=2022, transfers="embedded")
    with pytest.raises(BuildError) as err:
        run_build(paths.BRIEF_NOTEBOOK, "case", params, formats=("html",), reports_dir=reports)
    message = str(err.value)
    assert "No space left on device" in message
    assert "/.build-case." in message and message.rstrip().split(": ")[1].endswith("/case.html")
    assert sorted(p.name for p in reports.iterdir()) == []  # nothing half-written is left


# ------------------------------------------------------------------ Ctrl-C (item 8)

def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_bytes()
                if int(stat.rsplit(b")", 1)[1].split()[1]) == pid:
                    out.append((int(name), Path(f"/proc/{name}/cmdline").read_bytes().decode(errors="replace")))
            except (OSError, ValueError):
                pass
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("moment", ["kernel", "browser"])
def test_ctrl_c_exits_130_with_one_line_and_leaves_nothing(tmp_path, moment):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) while the kernel runs or once the
    browser is up: status 130, the one line "armsbrief: interrupted", no traceback or Playwright noise,
    no temporary folder, no child process left."""
    reports = tmp_path / "reports"
    env = {**os.environ, "ARMSBRIEF_REPORTS_DIR": str(reports)}
    run = subprocess.Popen([sys.executable, "-m", "analysis.pipeline.cli", "brief", "--supplier", "Belarus",
                            "--recipient", "Azerbaijan", "--start", "2018", "--end", "2022", "--transfers",
                            "embedded"], cwd=paths.PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    wanted = "ipykernel" if moment == "kernel" else "chromium"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        found = [c for c in _children(run.pid) if wanted in c[1]]
        found += [g for c, _ in _children(run.pid) for g in _children(c) if wanted in g[1]]
        if found:
            break
        time.sleep(0.05)
    assert run.poll() is None, run.stderr.read()[-2000:]
    children = [c for c, _ in _children(run.pid)]
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err[-3000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert "armsbrief: interrupted" in lines and lines.count("armsbrief: interrupted") == 1
    assert "Traceback" not in err and "Future exception" not in err and "Aborted!" not in err, err[-3000:]
    assert not reports.exists() or sorted(p.name for p in reports.iterdir()) == []
    time.sleep(1.5)
    assert [c for c in children if Path(f"/proc/{c}").exists() and b") Z" not in Path(f"/proc/{c}/stat").read_bytes()] == []
