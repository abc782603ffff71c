"""The report rendered the way a person sees it (slow): the workbook through LibreOffice to PDF, the web page in
headless Chromium. Each skips, saying why, when its program is not installed — except in CI (``CI`` set), where a
missing program fails the test (.ci/run installs both)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from crmcli.config import load_settings
from crmcli.report import make_report

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
pytestmark = pytest.mark.slow


def missing(why: str) -> None:
    """Skip, saying why; in CI, fail: the render checks must run there."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"CI: {why}", pytrace=False)
    pytest.skip(why)


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        missing("LibreOffice is not installed (apt-get install libreoffice-calc-nogui fonts-noto-cjk): "
                "the PDF render check needs soffice")
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True) \
        if shutil.which("fc-list") else None
    if fonts is None or not fonts.stdout.strip():
        missing("no CJK font (apt-get install fonts-noto-cjk): the Chinese sheets would print as boxes")
    return exe


def chromium() -> str:
    exe = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        missing("Chromium is not installed (apt-get install chromium): the web page render check needs it")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("playwright (pip install '.[test]') drives the browser")
    return exe


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    settings = load_settings(EXAMPLES / "crm.toml")
    xlsx = make_report(settings, output=str(folder / "report.xlsx"))
    html = make_report(settings, output=str(folder / "report.html"))
    return folder, xlsx.report, html.report


def test_libreoffice_prints_every_sheet_one_page_wide_and_the_summary_on_one_page(outputs):
    exe = soffice()
    from pypdf import PdfReader

    folder, report, _ = outputs
    # its own profile, so a LibreOffice already running (or a stale lock) cannot get in the way
    profile = (folder / "lo-profile").as_uri()
    proc = subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(folder), str(folder / "report.xlsx")], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    pages = [p.extract_text() or "" for p in PdfReader(folder / "report.pdf").pages]
    wb = openpyxl.load_workbook(folder / "report.xlsx")
    by_sheet: dict[str, list[str]] = {}
    for text in pages:
        head = text.splitlines()[0] if text else ""
        sheet = next((s for s in report.sheet_names if f" {s} " in f" {head} "), None)
        assert sheet is not None, head   # every page's header names its sheet (and the title and as-of)
        assert "销售报告" in head and f"截至 {report.as_of:%Y-%m-%d}" in head
        assert "页，共" in text
        by_sheet.setdefault(sheet, []).append(text)
    assert list(by_sheet) == report.sheet_names            # every sheet printed, in order
    assert len(by_sheet["概览"]) == 1                        # the Summary on one page
    assert len(pages) <= len(report.sheet_names) + 4, len(pages)  # was 31+ before: nothing split across widths
    for sheet in report.sheets:
        ws = wb[sheet.name]
        if sheet.message is not None:
            continue
        first_row = 1 if not sheet.cards else next(r for r in range(1, 60) if ws.cell(r, 1).value == "指标")
        headers = [str(c.value) for c in ws[first_row] if c.value is not None]
        for text in by_sheet[sheet.name]:   # one page wide, header repeated: every page has first and last header
            flat = text.replace("\n", " ")
            assert headers[0] in flat and headers[-1] in flat, (sheet.name, headers[-1])
        for chart in sheet.charts:          # the charts are drawn, titles and legends as text
            drawn = "".join(by_sheet[sheet.name]).replace(" ", "").replace("\n", "")
            assert chart.title.replace(" ", "") in drawn, chart.title
            assert all(v.replace(" ", "") in drawn for v in chart.series(headers)), chart.title


def test_chromium_shows_every_section_with_its_charts_and_no_console_error(outputs):
    exe = chromium()
    from playwright.sync_api import sync_playwright

    folder, _, report = outputs
    url = (folder / "report.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            for width in (1280, 390):          # a desktop and a phone
                page = browser.new_page(viewport={"width": width, "height": 900})
                problems: list[str] = []
                requests: list[str] = []
                page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("request", lambda r: requests.append(r.url))
                page.goto(url, wait_until="load")
                assert problems == [], problems
                assert requests == [url]       # nothing else is fetched
                sections = page.eval_on_selector_all(
                    "section.sheet", "els => els.map(e => [e.dataset.sheet, e.getBoundingClientRect().height])")
                assert [s for s, _ in sections] == report.sheet_names
                assert all(h > 40 for _, h in sections)
                figures = page.eval_on_selector_all("figure.chart", """els => els.map(f => {
                    const series = [...new Set([...f.querySelectorAll('g.series')].map(g =>
                        [...g.classList].find(c => /^serie-\\d+$/.test(c))))];
                    const drawn = [...f.querySelectorAll('g.series')].filter(g => {
                        const b = g.getBBox(); return b.width > 0 || b.height > 0; }).length;
                    const box = f.getBoundingClientRect();
                    return {want: +f.dataset.series, series: series.length, drawn, width: box.width,
                            title: f.getAttribute('aria-label')}; })""")
                charted = [c for s in report.sheets for c in s.charts if s.message is None]
                assert len(figures) == len(charted)
                for fig in figures:
                    assert fig["series"] == fig["want"] and fig["drawn"] >= 1, fig
                    assert fig["width"] <= width, fig           # charts fit the screen
                cards = page.eval_on_selector_all(".card .value", "els => els.map(e => e.textContent)")
                assert len(cards) == len(report.sheets[0].cards) and all(cards)
                # readable on a phone: the page itself never scrolls sideways (wide tables scroll in their box)
                assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
                shot = folder / f"page-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 20_000
                page.close()
        finally:
            browser.close()
