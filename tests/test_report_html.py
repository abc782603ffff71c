"""crm report -o report.html: one self-contained page built from the same sheets (parsed here; rendered in
Chromium in test_report_render.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.config import load_settings
from crmcli.report import build_report, make_report
from crmcli.report.html import HTML_ROWS, render_report_html

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Page(HTMLParser):
    """What a test needs of the page: sections, cards, figures and their series, every URL-ish attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.cards = 0
        self.figures: list[dict] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.rows = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for k in ("src", "href", "xlink:href", "action", "data"):
            if k in a:
                self.urls.append(a[k])
        if tag == "section":
            self.sections.append(a.get("data-sheet", ""))
        cls = a.get("class", "") or ""
        if tag == "div" and cls == "card":
            self.cards += 1
        if tag == "figure":
            self.figures.append({"series": int(a["data-series"]), "found": set(), "label": a.get("aria-label")})
        if tag == "g" and self.figures and re.search(r"\bserie-(\d+)\b", cls):
            self.figures[-1]["found"].add(re.search(r"\bserie-(\d+)\b", cls).group(1))
        if tag == "tr":
            self.rows += 1


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = make_report(load_settings(EXAMPLES / "crm.toml"), output=str(out))
    text = out.read_text(encoding="utf-8")
    parsed = Page()
    parsed.feed(text)
    return result, text, parsed


def test_one_section_per_sheet_with_cards_charts_and_series(page):
    result, text, parsed = page
    assert result.format == "html"
    report = result.report
    assert parsed.sections == report.sheet_names
    assert parsed.cards == len(report.sheets[0].cards) >= 9
    charted = [c for s in report.sheets for c in s.charts if s.message is None]
    assert len(parsed.figures) == len(charted) >= 8
    for fig in parsed.figures:
        assert len(fig["found"]) == fig["series"] >= 1, fig["label"]
    assert "个百分点" in text and "▼" in text or "▲" in text      # the cards' arrows and points
    assert 'lang="zh-CN"' in text and 'name="viewport"' in text


def test_nothing_is_fetched_no_script_same_bytes_every_time(page):
    result, text, parsed = page
    assert all(u.startswith("#") for u in parsed.urls), [u for u in parsed.urls if not u.startswith("#")][:5]
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert "@import" not in text and "url(" not in text
    assert render_report_html(result.report) == text        # deterministic: numbered chart ids, no timestamps


def test_text_is_escaped_and_long_tables_are_cut_with_a_note(tmp_path):
    n = HTML_ROWS + 30
    rows = [{"订单号": f"S{i}", "客户ID": f"C{i:03d}", "客户名称": "<script>alert(1)</script>" if i == n - 1 else f"客户{i}",
             "下单日期": f"2024-0{1 + i % 6}-1{i % 9}", "产品": "<b>茶</b>", "金额": str(100 + i)} for i in range(n)]
    df = pd.DataFrame(rows).astype("str")
    df.index = pd.RangeIndex(2, n + 2, name="row")
    report = build_report(df, lang="en")
    text = render_report_html(report)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>茶</b>" not in text and "&lt;b&gt;茶&lt;/b&gt;" in text
    assert f"The first {HTML_ROWS} of {n} rows" in text        # Customers: cut, said so


def test_cli_html_by_extension_or_format(tmp_path):
    runner = CliRunner()
    orders = str(EXAMPLES / "orders.xlsx")
    res = runner.invoke(app, ["report", orders, "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert "web page" in res.output and (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    res = runner.invoke(app, ["report", orders, "--format", "html", "-o", "-", "-q"])
    assert res.exit_code == 0 and res.stdout.startswith("<!DOCTYPE html>")
    res = runner.invoke(app, ["report", orders, "--format", "html", "-o", str(tmp_path / "r.xlsx")])
    assert res.exit_code == 2 and "--format" in res.output
    assert not (tmp_path / "r.xlsx").exists()
    res = runner.invoke(app, ["report", orders, "-o", str(tmp_path / "r.pdf")])
    assert res.exit_code == 2 and ".pdf" in res.output
    res = runner.invoke(app, ["report", orders, "--format", "pdf"])
    assert res.exit_code == 2


def test_cron_setting_report_format_html(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "crm.toml").write_text(f'[inputs]\norders = "{EXAMPLES / "orders.xlsx"}"\n[report]\nformat = "html"\n',
                                       encoding="utf-8")
    res = CliRunner().invoke(app, ["report", "-q"])
    assert res.exit_code == 0, res.output
    (page,) = tmp_path.glob("report-*.html")
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_the_morning_mail_example_sends_the_page_as_the_body(tmp_path):
    """examples/morning_report.sh, run the way cron runs it (no terminal, a bare environment): the workbook where
    crm.toml says, then the web page as the body of an HTML mail (``mail`` replaced by a stub that keeps it)."""
    import os
    import shutil
    import subprocess
    import sys

    work = tmp_path / "sales"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("platforms", "reports", "*.py"))
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "mail").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$MAIL_OUT.args"\ncat > "$MAIL_OUT"\n')
    (stub / "mail").chmod(0o755)
    (stub / "crm").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m crmcli "$@"\n')
    (stub / "crm").chmod(0o755)
    env = {"PATH": f"{stub}:/usr/bin:/bin", "HOME": str(tmp_path), "MAIL_OUT": str(tmp_path / "mail.txt"),
           "PYTHONPATH": str(EXAMPLES.parent)}
    proc = subprocess.run(["bash", str(EXAMPLES / "morning_report.sh"), str(work / "crm.toml"), "boss@example.com"],
                          cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"" and proc.stderr == b""                      # quiet: cron mails nothing extra
    assert list((work / "reports").glob("report-*.xlsx"))                # the workbook, as crm.toml says
    body = (tmp_path / "mail.txt").read_text(encoding="utf-8")
    assert body == (work / "reports" / "latest.html").read_text(encoding="utf-8")
    assert body.startswith("<!DOCTYPE html>") and "<svg" in body
    args = (tmp_path / "mail.txt.args").read_text(encoding="utf-8").splitlines()
    assert "Content-Type: text/html; charset=utf-8" in args and args[-1] == "boss@example.com"
    # a broken config: crm's exit code and its one-line error, no mail
    (work / "crm.toml").write_text("[report]\nnope = 1\n", encoding="utf-8")
    os.remove(tmp_path / "mail.txt")
    proc = subprocess.run(["bash", str(EXAMPLES / "morning_report.sh"), str(work / "crm.toml"), "boss@example.com"],
                          cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1 and not (tmp_path / "mail.txt").exists()
