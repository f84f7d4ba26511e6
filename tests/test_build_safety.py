"""Atomic, isolated builds: a failed build leaves the previous brief untouched and says which cell or
render step failed; concurrent builds do not interfere; output paths cannot leave the reports folder;
published briefs are readable by everyone."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell

from analysis import paths
from analysis.pipeline import build
from analysis.pipeline.build import BuildError, run_build
from analysis.pipeline.cli import main
from analysis.case.params import is_slug, slugify

PARAMS = dict(supplier="Belarus", recipient="Azerbaijan", ally="Armenia", alliance="CSTO",
              start_year=2018, end_year=2022, transfers="embedded")
SLUG = "belarus-azerbaijan-2018-2022-ally-armenia-csto"  # ally and alliance are part of the output name
CLI_ARGS = ["brief", "--supplier", "Belarus", "--recipient", "Azerbaijan", "--ally", "Armenia", "--alliance", "CSTO",
            "--start", "2018", "--end", "2022", "--transfers", "embedded"]


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(reports: Path) -> list[str]:
    return sorted(p.name for p in reports.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The default brief (HTML and PDF), built once under the usual umask."""
    reports = tmp_path_factory.mktemp("safety") / "reports"
    old = os.umask(0o022)
    try:
        result = build.build_brief(**PARAMS, reports_dir=reports)
    finally:
        os.umask(old)
    return result


@pytest.fixture
def previous(published):
    """The published brief's files, checked unchanged (and no temporary leftovers) after the test."""
    before = contents(published.folder)
    assert set(before) == {f"{SLUG}.html", f"{SLUG}.pdf", f"{SLUG}.ipynb"}
    yield published
    assert contents(published.folder) == before, "the previous brief was modified"
    assert leftovers(published.folder.parent) == []


def failing_notebook(folder: Path) -> Path:
    """A copy of the brief notebook with a failing cell right after the title block."""
    nb = nbformat.read(paths.BRIEF_NOTEBOOK, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "title-block" in c.metadata.get("tags", [])) + 1
    nb.cells.insert(index, new_code_cell("x = 1\nraise RuntimeError('injected failure')"))
    path = folder / "brief.ipynb"
    nbformat.write(nb, path)
    return path


# ------------------------------------------------------------------ failures keep the previous brief

@pytest.mark.slow
def test_failing_cell_keeps_the_previous_brief_and_names_the_cell(previous, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "BRIEF_NOTEBOOK", failing_notebook(tmp_path))
    monkeypatch.setattr(paths, "REPORTS_DIR", previous.folder.parent)
    result = CliRunner().invoke(main, CLI_ARGS)
    assert result.exit_code == 1
    assert ("Error: brief.ipynb: cell 5 (line 2: `raise RuntimeError('injected failure')`) failed: "
            "RuntimeError: injected failure") in result.output


@pytest.mark.slow
@pytest.mark.parametrize("fmt, exporter, method", [("PDF", "BriefPDFExporter", "pdf_from_html"),
                                                    ("HTML", "BriefHTMLExporter", "from_notebook_node")])
def test_render_failure_keeps_the_previous_brief(previous, monkeypatch, fmt, exporter, method):
    from analysis.render import exporters

    executed = previous.notebook.read_bytes()
    # Execution is not under test here: reuse the published executed notebook instead of a kernel run.
    monkeypatch.setattr(build, "_execute", lambda notebook, out, parameters: Path(out).write_bytes(executed))

    def broken(self, *args, **kw):
        raise RuntimeError(f"injected {fmt} failure")

    monkeypatch.setattr(getattr(exporters, exporter), method, broken)
    with pytest.raises(BuildError, match=f"rendering {fmt} failed: RuntimeError: injected {fmt} failure"):
        run_build(paths.BRIEF_NOTEBOOK, SLUG, PARAMS, reports_dir=previous.folder.parent)


@pytest.mark.slow
def test_interrupted_build_keeps_the_previous_brief(previous, monkeypatch):
    def interrupted(notebook, out, parameters):
        Path(out).write_text("half-written")
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "_execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_build(paths.BRIEF_NOTEBOOK, SLUG, PARAMS, reports_dir=previous.folder.parent)


# ------------------------------------------------------------------ published folders

@pytest.mark.slow
def test_published_brief_is_world_readable(published):
    assert stat.S_IMODE(published.folder.stat().st_mode) == 0o755
    for path in published.folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
    assert leftovers(published.folder.parent) == []  # no temporary folders, no lock files


# ------------------------------------------------------------------ output paths

MALICIOUS_SLUGS = ["../x", "../../escaped", "/tmp/escaped", "..", ".", "", "a/b", "a/../../escaped", ".hidden",
                   "-x", "x-", "a--b", "Belarus", "a b", "a\x00b", "x" * 121, "x\n"]


@pytest.mark.parametrize("slug", MALICIOUS_SLUGS)
def test_run_build_refuses_unsafe_slugs(tmp_path, slug):
    reports = tmp_path / "inner" / "reports"
    with pytest.raises(BuildError, match="refusing output name"):
        run_build(paths.BRIEF_NOTEBOOK, slug, PARAMS, reports_dir=reports)
    assert not reports.exists()
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "inner" / "x").exists()


@pytest.mark.parametrize("text", ["../../x", "/etc/passwd", "a/../../b", "..\\..\\x", "x\x00y", "ä/ö/ü", "$(rm -rf ~)"])
def test_slugify_output_is_always_a_safe_slug(text):
    slug = slugify(text)
    assert is_slug(slug) and "/" not in slug and "." not in slug


def test_country_name_like_a_path_fails_at_the_country_check(tmp_path, monkeypatch):
    reports = tmp_path / "inner" / "reports"
    monkeypatch.setattr(paths, "REPORTS_DIR", reports)
    result = CliRunner().invoke(main, ["brief", "--supplier", "../../x", "--recipient", "Azerbaijan",
                                       "--start", "2018", "--end", "2022", "--transfers", "embedded"])
    assert result.exit_code == 1
    assert "Error: parameter 'supplier': unknown country or actor '../../x'" in result.output
    assert not reports.exists() and not (tmp_path / "x").exists() and not (tmp_path / "inner" / "x").exists()


def test_a_symlink_in_place_of_a_brief_is_replaced_not_followed(tmp_path):
    reports, outside = tmp_path / "reports", tmp_path / "outside"
    reports.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (reports / "case").symlink_to(outside, target_is_directory=True)
    new = reports / ".build-case-1"
    new.mkdir()
    (new / "case.html").write_text("new")
    build._publish(new, reports / "case", reports, "case")
    assert not (reports / "case").is_symlink() and (reports / "case" / "case.html").read_text() == "new"
    assert [p.name for p in outside.iterdir()] == ["keep.txt"]


# ------------------------------------------------------------------ concurrency

def test_concurrent_publishes_of_one_slug_never_fail_or_mix(tmp_path):
    """Many threads publishing the same slug: every publish succeeds and the final folder is one build."""
    reports = tmp_path / "reports"
    reports.mkdir()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(25):
                tmp = Path(tempfile.mkdtemp(prefix=".build-case-", dir=reports))
                for name in ("case.html", "case.pdf", "case.ipynb"):
                    (tmp / name).write_text(f"{n}-{i}")
                build._publish(tmp, reports / "case", reports, "case")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = contents(reports / "case")
    assert set(final) == {"case.html", "case.pdf", "case.ipynb"} and len(set(final.values())) == 1
    assert leftovers(reports) == []


BUILD_SCRIPT = textwrap.dedent("""
    import sys
    from analysis import paths
    from analysis.pipeline.build import build_brief, run_build
    reports, which = sys.argv[1], sys.argv[2]
    if which == "other-case":
        build_brief("Russia", "Armenia", "", "CSTO", 2010, 2020, "embedded", formats=("html",), reports_dir=reports)
    else:  # two builds into one slug, told apart by their period and build time
        end = int(which)
        params = dict(supplier="Belarus", recipient="Azerbaijan", ally="Armenia", alliance="CSTO",
                      start_year=2018, end_year=end, transfers="embedded")
        run_build(paths.BRIEF_NOTEBOOK, "same-case", params, formats=("html",), reports_dir=reports,
                  built_at=f"{end}-01-01T00:00:00Z")
""")


@pytest.mark.slow
def test_concurrent_builds_in_separate_processes(tmp_path):
    """Three builds at once: two into the same slug and one of another case. All succeed; the shared
    slug holds one build's complete, consistent files; nothing temporary is left."""
    from analysis.pipeline import fast
    from analysis.render.exporters import BriefHTMLExporter

    reports = tmp_path / "reports"
    runs = [subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, str(reports), which], cwd=paths.PROJECT_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for which in ("2022", "2021", "other-case")]
    outcomes = [(run.wait(timeout=600), run.stderr.read()) for run in runs]
    for code, stderr in outcomes:
        assert code == 0, stderr[-3000:]
    assert sorted(p.name for p in reports.iterdir()) == ["russia-armenia-2010-2020-csto", "same-case"]
    assert sorted(p.name for p in (reports / "russia-armenia-2010-2020-csto").iterdir()) == [
        "russia-armenia-2010-2020-csto.html", "russia-armenia-2010-2020-csto.ipynb"]

    same = reports / "same-case"
    assert sorted(p.name for p in same.iterdir()) == ["same-case.html", "same-case.ipynb"]
    html = (same / "same-case.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    executed = nbformat.read(same / "same-case.ipynb", as_version=4)
    end = executed.metadata["papermill"]["parameters"]["end_year"]
    assert end in (2021, 2022) and f"2018–{end}" in html
    # the HTML is exactly the rendering of the notebook beside it: both come from the same build
    exporter = fast.exporter_class(BriefHTMLExporter)(built_at=f"{end}-01-01T00:00:00Z")  # as the build renders
    rendered, _ = exporter.from_notebook_node(executed)
    assert rendered == html


PREWARM_PROBE = """
import json, sys
from analysis.pipeline import build

def probe():  # what the main thread has imported when the prewarm thread would start
    print(json.dumps({{m: m in sys.modules for m in ("papermill", "nbclient", "jupyter_client")}}))
    raise SystemExit(0)

build._prewarm_renderers = probe
build.build_brief("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, "embedded", reports_dir={tmp!r})
"""


def test_papermill_is_imported_before_the_prewarm_thread_starts_importing_nbconvert(tmp_path):
    # Both import jupyter_client; importing one package from two threads at once can fail with
    # "partially initialized module" (an intermittent failure of cold builds, found by the benchmark).
    import json

    out = subprocess.run([sys.executable, "-c", PREWARM_PROBE.format(tmp=str(tmp_path))], capture_output=True,
                         text=True, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"papermill": True, "nbclient": True,
                                                                "jupyter_client": True}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]  # the half build was removed
