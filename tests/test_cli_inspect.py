import json
import os

import pytest

from crmcli import inspect_table
from crmcli.errors import ExitCode

from .conftest import EXAMPLES, PUBLIC, run_crm

ORDER_MAPPING = {"订单号": "order_id", "客户ID": "customer_id", "客户名称": "name", "联系电话": "phone",
                 "下单日期": "order_date", "产品": "product", "数量": "quantity", "金额": "amount", "渠道": "channel"}


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_orders_workbook_title_row_notes_sheet(run):
    d = _json(run(["inspect", EXAMPLES / "orders.xlsx", "--json"]))
    assert list(d) == ["format", "encoding", "delimiter", "sheet", "sheets", "header_row", "rows", "columns"]
    assert d["format"] == "xlsx" and d["sheet"] == "订单" and d["header_row"] == 3
    assert [s["name"] for s in d["sheets"]] == ["订单", "说明"] and not any(s["hidden"] for s in d["sheets"])
    assert d["rows"] == 326
    assert {c["name"]: c["field"] for c in d["columns"]} == ORDER_MAPPING
    for c in d["columns"]:
        assert set(c) >= {"name", "field", "filled", "distinct", "examples"}
        assert 0 <= c["filled"] <= 1 and len(c["examples"]) <= 3


def test_same_orders_as_gb18030_csv(run):
    x = _json(run(["inspect", EXAMPLES / "orders.xlsx", "--json"]))
    c = _json(run(["inspect", EXAMPLES / "orders_gb18030.csv", "--json"]))
    assert (c["format"], c["encoding"], c["delimiter"], c["header_row"]) == ("csv", "gb18030", ",", 1)
    assert c["rows"] == x["rows"]
    assert {col["name"]: col["field"] for col in c["columns"]} == ORDER_MAPPING


def test_utf8_bom_customers(run):
    d = _json(run(["inspect", EXAMPLES / "customers_zh.csv", "--json"]))
    assert d["encoding"] == "utf-8-sig"
    assert {c["name"]: c["field"] for c in d["columns"]} == {
        "记录号": None, "客户名称": "name", "联系电话": "phone", "邮箱": "email", "城市": "city", "地址": "address"}


def test_english_customers(run):
    d = _json(run(["inspect", EXAMPLES / "customers_en.csv", "--json"]))
    assert {c["name"]: c["field"] for c in d["columns"]}["Mobile"] == "phone"


@pytest.mark.parametrize("name", ["orders.xlsx", "orders_gb18030.csv", "customers_zh.csv"])
def test_stdin_equals_file(run, name):
    path = EXAMPLES / name
    from_file = _json(run(["inspect", path, "--json"]))
    from_stdin = _json(run(["inspect", "-", "--json"], input=path.read_bytes()))
    assert from_stdin == from_file


def test_cli_equals_library(run):
    path = EXAMPLES / "orders.xlsx"
    assert _json(run(["inspect", path, "--json"])) == json.loads(json.dumps(inspect_table(path), ensure_ascii=False))


def test_map_override(run):
    d = _json(run(["inspect", EXAMPLES / "customers_zh.csv", "--json", "--map", "customer_id=记录号"]))
    assert {c["name"]: c["field"] for c in d["columns"]}["记录号"] == "customer_id"


def test_human_output_on_stderr(run):
    r = run(["inspect", EXAMPLES / "orders.xlsx"])
    assert r.exit_code == 0 and r.stdout == ""
    assert "header row: 3" in r.stderr and "order_id" in r.stderr and "\x1b[" not in r.stderr


def _one_line_error(result, code):
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm: error: "), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content,name", [
    (None, "missing.csv"), (b"", "empty.csv"), (b"\x00\x01\x02\xff\xfe\x89PNG", "junk.csv"),
    (b"PK\x03\x04\x14\x00corrupt", "corrupt.xlsx"), (b"\x89PNG\r\n\x1a\n\x00\x00", "image.xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls"), (b"\xff\xfe\xfe\xff\x81", "u.csv"),
])
def test_unreadable_files_exit_3(run, tmp_path, content, name):
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    _one_line_error(run(["inspect", p]), ExitCode.INPUT)


def test_directory_and_unknown_sheet_and_bad_encoding(run, tmp_path):
    _one_line_error(run(["inspect", tmp_path]), ExitCode.INPUT)
    _one_line_error(run(["inspect", EXAMPLES / "orders.xlsx", "--sheet", "nope"]), ExitCode.INPUT)
    _one_line_error(run(["inspect", EXAMPLES / "orders_gb18030.csv", "--encoding", "utf-8"]), ExitCode.INPUT)
    _one_line_error(run(["inspect", EXAMPLES / "orders.xlsx", "--map", "bogus=x"]), ExitCode.USAGE)


def test_debug_shows_traceback(run, tmp_path):
    r = run(["inspect", tmp_path / "missing.csv", "--debug"])
    assert r.exit_code == ExitCode.INPUT and "Traceback" in r.stderr


def _public_files():
    return sorted(p for p in (PUBLIC / "files").iterdir() if p.is_file())


@pytest.mark.parametrize("path", _public_files(), ids=lambda p: p.name)
def test_public_suites_read_or_fail_cleanly(run, path, tmp_path):
    before = path.read_bytes()
    r = run(["inspect", path, "--json"])
    assert r.exit_code in (0, ExitCode.INPUT), r.stderr
    assert "Traceback" not in r.stderr
    if r.exit_code == 0:
        d = json.loads(r.stdout)
        assert d["rows"] >= 0
    else:
        _one_line_error(r, ExitCode.INPUT)
    assert path.read_bytes() == before


def test_public_sentinels_survive():
    """Files whose MANIFEST names a sentinel value must show it after reading."""
    from crmcli import read_table
    manifest = PUBLIC / "MANIFEST.tsv"
    if not manifest.exists():
        pytest.skip("public suites not present beside the repo")
    lines = manifest.read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    checked = 0
    for line in lines[1:]:
        row = dict(zip(head, line.split("\t")))
        if not row.get("sentinels"):
            continue
        df = read_table(PUBLIC / "files" / row["file"])
        values = set(df.columns) | {v for c in df.columns for v in df[c]}
        for s in row["sentinels"].split("|"):
            assert any(s in v for v in values), (row["file"], s)
        checked += 1
    assert checked > 0


@pytest.mark.slow
def test_subprocess_exit_codes_and_sigpipe(tmp_path):
    r = run_crm(["inspect", tmp_path / "nope.csv"])
    assert r.returncode == 3 and r.stderr.decode().startswith("crm: error:")
    r = run_crm(["inspect", "-", "--json"], input=(EXAMPLES / "orders_gb18030.csv").read_bytes())
    assert r.returncode == 0 and json.loads(r.stdout)["rows"] == 326
    r = run_crm(["--version"])
    assert r.returncode == 0 and r.stdout.startswith(b"crm ")
    r = run_crm(["inspect", "--no-such-flag", "x"])
    assert r.returncode == 2
    # `crm … | head` ends quietly: close the pipe early
    import subprocess
    import sys
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent)}
    p = subprocess.Popen(f"{sys.executable} -m crmcli inspect {EXAMPLES / 'orders.xlsx'} --json | head -c 10",
                         shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate(timeout=60)
    assert len(out) == 10 and b"Traceback" not in err
