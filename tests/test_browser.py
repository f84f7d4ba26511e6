"""Real-browser check: the HTML brief opened from a file:// URL in headless Chromium (driven over the
DevTools protocol by Playwright, with the system's /usr/bin/chromium; Playwright never downloads a browser).

The brief is built from the hostile register of tests/test_escaping.py, so this also proves that
nothing from the data runs in a browser. A screenshot is saved for humans; its path is printed
(``pytest -s -m browser`` shows it).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline.build import build_brief

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "sipri" / "hostile_per_year_register.csv"
FILE_NAME = "register <img src=x onerror=window.__xss=2>.csv"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    explicit = os.environ.get("ARMSBRIEF_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def chromium():
    path = chromium_path()
    if path is None:
        where = os.environ.get("ARMSBRIEF_CHROMIUM") or "/usr/bin/chromium or 'chromium' on PATH"
        pytest.skip(f"Chromium not found ({where}): install the Debian package 'chromium' "
                    "(scripts/setup.sh --test does)")
    pytest.importorskip("playwright.sync_api", reason="the 'playwright' Python package is not installed "
                                                      "(pip install playwright; no browser download needed)")
    return path


@pytest.fixture(scope="module")
def brief_html(chromium, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    (tmp / "data").mkdir()
    register = tmp / "data" / FILE_NAME
    shutil.copyfile(FIXTURE, register)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "CACHE_DIR", tmp / "cache")
        result = build_brief("Belarus", "Azerbaijan", "Armenia", "CSTO", 2018, 2022, str(register),
                             formats=("html",), reports_dir=tmp / "reports")
    return result.html


@pytest.fixture(scope="module")
def page_report(chromium, brief_html, tmp_path_factory):
    """Open the brief once and collect everything the checks need."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    screenshot = tmp_path_factory.mktemp("screenshot") / "browser-check.png"
    report = {"console": [], "page_errors": [], "requests": [], "failed": [], "blocked": [], "dialogs": []}
    url = brief_html.resolve().as_uri()
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
            offline=True, java_script_enabled=True, viewport={"width": 1100, "height": 1400})
        try:
            def route(route):
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    report["blocked"].append(route.request.url)
                    route.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: report["console"].append((m.type, m.text)))
            page.on("pageerror", lambda e: report["page_errors"].append(str(e)))
            page.on("request", lambda r: report["requests"].append(r.url))
            page.on("requestfailed", lambda r: report["failed"].append((r.url, r.failure)))

            def dialog(d):
                report["dialogs"].append((d.type, d.message))
                d.dismiss()

            page.on("dialog", dialog)
            response = page.goto(url, wait_until="load")
            report["status_ok"] = response is not None and response.ok
            page.wait_for_timeout(300)  # give any deferred handler (onerror, onload) the chance to run
            report["xss"] = page.evaluate("typeof window.__xss")
            report["scripts"] = page.evaluate("document.scripts.length")
            report["handlers"] = page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(
                el => [...el.attributes].filter(a => a.name.toLowerCase().startsWith('on'))
                                        .map(a => el.tagName + '[' + a.name + ']'))""")
            report["figures"] = page.evaluate("""() => [...document.querySelectorAll('figure svg, figure img')]
                .filter(el => !el.parentElement.closest('svg'))
                .map(el => { const r = el.getBoundingClientRect();
                             return {tag: el.tagName, width: r.width, height: r.height}; })""")
            report["text"] = page.evaluate("document.body.innerText")
            report["title"] = page.title()
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    report["url"], report["screenshot"] = url, screenshot
    print(f"\nbrowser check screenshot: {screenshot}")
    return report


def test_page_loads_offline_from_a_file_url(page_report):
    assert page_report["status_ok"]
    assert page_report["title"].startswith("Belarus → Azerbaijan")
    assert set(page_report["requests"]) == {page_report["url"]}  # the page itself and nothing else
    assert page_report["blocked"] == [] and page_report["failed"] == []


def test_no_console_errors(page_report):
    assert [m for m in page_report["console"] if m[0] in ("error", "warning")] == []
    assert page_report["page_errors"] == []


def test_every_figure_is_rendered_with_a_size(page_report):
    figures = page_report["figures"]
    assert len(figures) >= 3
    for figure in figures:
        assert figure["width"] > 50 and figure["height"] > 50, figure


def test_nothing_from_the_data_executed(page_report):
    assert page_report["xss"] == "undefined"
    assert page_report["dialogs"] == []
    assert page_report["scripts"] == 0
    assert page_report["handlers"] == []
    for text in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=window.__xss=1>",
                 "[click](javascript:alert(1))", FILE_NAME):
        assert text in page_report["text"]


def test_screenshot_was_saved(page_report):
    shot = page_report["screenshot"]
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
