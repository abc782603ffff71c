"""The Chinese issue text: one table over the catalogue, used by crm validate --lang zh and the report."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from crmcli.cli import app
from crmcli.fields import CODES as FIELD_CODES
from crmcli.issue_text import ZH, code_name, localize_issues, severity_name
from crmcli.validate import CODES, code_spec, validate_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_code_has_chinese_text_with_the_same_placeholders():
    reader_codes = set()
    for path in [*(ROOT / "crmcli" / "io").glob("*.py"), ROOT / "crmcli" / "describe.py"]:
        reader_codes |= set(re.findall(r'"code": "([a-z-]+)"', path.read_text(encoding="utf-8")))
    for code in {*CODES, *(c for c in FIELD_CODES if c), *reader_codes}:
        assert code in ZH, code
        assert CJK.search(ZH[code].name) and CJK.search(ZH[code].message), code
        if code in CODES:
            placeholders = set(re.findall(r"\{(\w+)\}", CODES[code].message))
            assert set(re.findall(r"\{(\w+)\}", ZH[code].message)) == placeholders, code
            assert code_spec(code, "zh").severity == CODES[code].severity
    assert code_name("lossy-phone", "en") == "lossy-phone" and severity_name("error", "zh") == "错误"


def test_validate_in_chinese_keeps_the_codes_and_the_exit_code(tmp_path):
    en = validate_table(EXAMPLES / "orders.xlsx")
    zh = validate_table(EXAMPLES / "orders.xlsx", lang="zh")
    assert list(zh.issues["code"]) == list(en.issues["code"]) and list(zh.issues["row"]) == list(en.issues["row"])
    assert all(CJK.search(m) for m in zh.issues["message"])
    dup = zh.issues[zh.issues["code"] == "duplicate-row"]
    assert dup["message"].str.fullmatch(r"与第 \d+ 行的值完全相同").all()   # placeholders filled in
    shown = localize_issues(zh.issues, "zh")
    assert list(shown.columns)[:6] == ["row", "column", "field", "value", "code", "problem"]
    assert set(shown["severity"]) <= {"错误", "警告"}
    out = tmp_path / "issues.csv"
    res = CliRunner().invoke(app, ["validate", str(EXAMPLES / "orders.xlsx"), "--lang", "zh", "--issues", str(out)])
    assert res.exit_code == 1                       # errors are errors in any language
    text = out.read_text(encoding="utf-8")
    assert "电话位数丢失" in text and "lossy-phone" in text and "科学计数法" in text
    assert "电话位数丢失" in res.output
    res = CliRunner().invoke(app, ["validate", str(EXAMPLES / "orders.xlsx"), "--lang", "fr"])
    assert res.exit_code == 2
