"""The fence around the speed-ups (analysis.pipeline.fast): private names checked against the installed
libraries, the plain path when one is missing, and the same brief with every speed-up off."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from analysis import paths
from analysis.pipeline import fast, kernel

PACKAGE = paths.PACKAGE_DIR
FENCE = PACKAGE / "pipeline" / "fast"
PRIVATE_OF = re.compile(r"\b(jupyter_client|ipykernel|nbconvert|asyncio|playwright)\b")


def test_every_private_name_the_fence_needs_exists_in_the_installed_libraries():
    # fails (loudly, here) when a release renames one: the fence then falls back to the plain path
    assert fast.missing() == ()


def test_a_missing_private_name_turns_the_kernel_speedups_off_with_one_message(monkeypatch, capsys):
    monkeypatch.setattr(fast, "REQUIRED", (*fast.REQUIRED, ("jupyter_client.manager", "AsyncKernelManager._gone")))
    fast.missing.cache_clear()
    fast._say_off.cache_clear()
    try:
        assert fast.kernels_available() is False
        assert fast.kernels_available() is False
        assert fast.papermill_options() == kernel.papermill_options()
        assert fast.start_kernel_server() is False
        err = capsys.readouterr().err
        assert err.count("fast kernels off") == 1 and "AsyncKernelManager._gone" in err
    finally:
        fast.missing.cache_clear()
        fast._say_off.cache_clear()


def test_fast_env_zero_turns_every_speedup_off(monkeypatch):
    from analysis.render.exporters import BriefHTMLExporter

    monkeypatch.setenv(fast.FAST_ENV, "0")
    assert fast.kernels_available() is False
    assert fast.exporter_class(BriefHTMLExporter) is BriefHTMLExporter
    assert fast.preload_modules() == []
    monkeypatch.setenv(fast.FAST_ENV, "1")
    assert fast.exporter_class(BriefHTMLExporter) is not BriefHTMLExporter


def _private_uses(path: Path) -> list[str]:
    """Attribute accesses ``x._name`` (not dunder) in lines that mention one of the guarded libraries,
    plus any ``from <lib> import _name``."""
    found = []
    tree = ast.parse(path.read_text())
    lines = path.read_text().splitlines()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if PRIVATE_OF.search(ast.unparse(node.value)):
                found.append(f"{path.name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
        if isinstance(node, ast.ImportFrom) and node.module and PRIVATE_OF.match(node.module):
            found += [f"{path.name}:{node.lineno}: {a.name}" for a in node.names if a.name.startswith("_")]
    return found


def test_no_private_attribute_of_the_guarded_libraries_outside_the_fence():
    outside = [p for p in PACKAGE.rglob("*.py") if FENCE not in p.parents]
    assert outside
    assert [use for p in outside for use in _private_uses(p)] == []


def test_the_fence_check_can_see_a_private_use():
    sample = FENCE / "kernels.py"
    assert any("_event_loop_policy" in use for use in _private_uses(sample))


def test_nothing_outside_the_fence_imports_its_modules():
    submodules = {p.stem for p in FENCE.glob("*.py") if p.stem != "__init__"}
    offenders = []
    for path in list(PACKAGE.rglob("*.py")) + list((paths.PROJECT_ROOT / "bench").glob("*.py")):
        if FENCE in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if re.fullmatch(r"analysis(\.\w+)+", node.value) else []
            if any(n.startswith("analysis.pipeline.fast.") and n.split(".")[3] in submodules for n in names):
                offenders.append(f"{path.relative_to(paths.PROJECT_ROOT)}:{node.lineno}")
    assert offenders == []


def _build_html(tmp: Path, fast_on: bool) -> str:
    env = {**os.environ, "ARMSBRIEF_REPORTS_DIR": str(tmp), fast.FAST_ENV: "1" if fast_on else "0",
           "SOURCE_DATE_EPOCH": "1767225600"}
    out = subprocess.run([sys.executable, "-m", "analysis.pipeline.cli", "brief", "--supplier", "Belarus",
                          "--recipient", "Azerbaijan", "--ally", "Armenia", "--alliance", "CSTO", "--start", "2018",
                          "--end", "2022", "--transfers", "embedded", "--formats", "html"],
                         capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return Path(out.stdout.strip().splitlines()[-1]).read_text()


def _normalised(page: str) -> str:
    soup = BeautifulSoup(page, "html.parser")  # both pages through one serialiser: same document, same text
    for stamp in soup.select(".build-stamp"):
        stamp.decompose()
    return str(soup)


@pytest.mark.slow
def test_the_founding_brief_is_the_same_with_every_fast_path_off(tmp_path):
    fast_page = _build_html(tmp_path / "fast", True)
    plain_page = _build_html(tmp_path / "plain", False)
    assert _normalised(fast_page) == _normalised(plain_page)
