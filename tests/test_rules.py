"""Rules as data (crm.toml [rules.*], --rules PATH) and the default checks: each rule kind and each default check
on a CSV and on an .xlsx with a title row above its header (so the Excel row numbers differ), library and CLI."""

from __future__ import annotations

import io
import textwrap

import openpyxl
import pandas as pd
import pytest

from crmcli.clean import clean_table, write_cleaned
from crmcli.errors import InputError, UsageError
from crmcli.io import read_table
from crmcli.rules import parse_rules, read_rules
from crmcli.validate import find_issues, validate_table

AS_OF = "2025-01-01"

ORDER_HEADER = ["订单号", "客户ID", "下单日期", "数量", "单价", "金额", "渠道", "付款时间", "备注"]
ORDER_ROWS = [
    ["SO20240001", "C1", "2024-03-05", "2", "50", "100", "天猫", "2024-03-05", "ok"],
    ["SO2024002", "C2", "2024-03-06", "1", "30", "35", "京东", "2024-03-04", "x"],              # pattern; 2 row rules
    ["SO20240003", "", "2024-03-07", "3", "10", "30", "拼多多", "2024-03-08", "longer than ten"],  # blank id; enum; length
    ["SO20240004", "C4", "2024-03-08", "1", "200000", "200000", "门店", "2024-03-09", ""],       # max; blank 备注
    ["SO20240001", "C5", "2024-12-08", "1", "20", "20", "门店", "2024-12-09", "y"],              # unique
]
RULES = textwrap.dedent("""\
    [order_id]
    pattern = 'SO\\d{8}'
    unique = true

    [channel]
    enum = ["天猫", "京东", "门店"]
    severity = "warning"

    [amount]
    min = 0
    max = 100000

    [order_date]
    min = 2020-01-01
    max = "today"

    ["备注"]
    length = [1, 10]
    required = true

    [[rows]]
    rule = "amount = quantity * unit_price"
    tolerance = 0.01

    [[rows]]
    rule = "paid_at >= order_date"
""")
#: (data row number 1.., column, code, severity) each rule kind must report on ORDER_ROWS.
EXPECTED = [
    (2, "订单号", "pattern-mismatch", "error"),
    (2, "金额", "row-rule", "error"),
    (2, "付款时间", "row-rule", "error"),
    (3, "客户ID", "missing-value", "error"),
    (3, "渠道", "not-in-enum", "warning"),
    (3, "备注", "wrong-length", "error"),
    (4, "金额", "out-of-range", "error"),
    (4, "备注", "missing-value", "error"),
    (5, "订单号", "duplicate-id", "error"),
]


def csv_bytes(header, rows) -> bytes:
    buf = io.StringIO()
    pd.DataFrame(rows, columns=header).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def write_inputs(tmp_path, header, rows, name="orders"):
    """The same table as a CSV (header on row 1) and an .xlsx with a title row (header on row 2)."""
    csv = tmp_path / f"{name}.csv"
    csv.write_bytes(csv_bytes(header, rows))
    xlsx = tmp_path / f"{name}.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年订单导出"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(xlsx)
    return {"csv": (csv, 1), "xlsx": (xlsx, 2)}


def found(issues: pd.DataFrame, codes=None) -> set[tuple[int, str, str, str]]:
    """(row, column, code, severity) of the issues of ``codes`` (default: all but the reader's skipped-row)."""
    part = issues[issues["code"] != "skipped-row"] if codes is None else issues[issues["code"].isin(codes)]
    return set(zip(part["row"], part["column"], part["code"], part["severity"]))


def expected(offset: int) -> set[tuple[int, str, str, str]]:
    return {(r + offset, col, code, sev) for r, col, code, sev in EXPECTED}


CODES = {"pattern-mismatch", "row-rule", "missing-value", "not-in-enum", "wrong-length", "out-of-range",
         "duplicate-id", "duplicate-value"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_rule_kind_reports_its_cells_with_the_excel_row(tmp_path, fmt):
    path, header_row = write_inputs(tmp_path, ORDER_HEADER, ORDER_ROWS)[fmt]
    result = validate_table(path, rules=parse_rules(RULES_DICT()), as_of=AS_OF)
    assert found(result.issues, CODES) == expected(header_row)


def RULES_DICT():
    import tomllib

    return tomllib.loads(RULES)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_rules_file_gives_the_same_issues(run, tmp_path, fmt):
    path, header_row = write_inputs(tmp_path, ORDER_HEADER, ORDER_ROWS)[fmt]
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    res = run(["validate", path, "--rules", rules, "--as-of", AS_OF, "-o", "-", "-q"])
    assert res.exit_code == 1, res.stderr
    issues = pd.read_csv(io.StringIO(res.stdout), dtype=str, keep_default_na=False)
    issues["row"] = issues["row"].astype(int)
    assert found(issues, CODES) == expected(header_row)
    lib = validate_table(path, rules=read_rules(rules), as_of=AS_OF).issues
    assert len(lib) == len(issues)


def test_rules_from_crm_toml(run, tmp_path, monkeypatch):
    path, _ = write_inputs(tmp_path, ORDER_HEADER, ORDER_ROWS)["csv"]
    (tmp_path / "crm.toml").write_text("[rules.orders.channel]\nenum = ['天猫', '京东']\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = run(["validate", path, "--as-of", AS_OF, "-o", "-", "-q", "--fail-on", "never"])
    assert res.exit_code == 0, res.stderr
    issues = pd.read_csv(io.StringIO(res.stdout), dtype=str, keep_default_na=False)
    enum = issues[issues["code"] == "not-in-enum"]
    assert enum["row"].astype(int).tolist() == [4, 5, 6] and set(enum["severity"]) == {"error"}
    # a customers table is not checked by the orders' rules
    (tmp_path / "c.csv").write_text("客户名称,渠道\n张三,门店\n", encoding="utf-8")
    res = run(["validate", tmp_path / "c.csv", "-o", "-", "-q"])
    assert "not-in-enum" not in res.stdout


def test_message_and_suggestion_name_the_rule():
    issues = find_issues(read_table(csv_bytes(ORDER_HEADER, ORDER_ROWS)), rules=RULES_DICT(), as_of=AS_OF)
    by = {(r, c): (m, s, v) for r, c, m, s, v in zip(issues["row"], issues["column"], issues["message"],
                                                   issues["suggestion"], issues["value"])}
    assert by[(4, "渠道")] == ("not one of the allowed values", "write one of: 天猫, 京东, 门店", "拼多多")
    assert by[(3, "金额")][0] == "amount = quantity * unit_price does not hold: 35 against 30"
    assert "SO\\d{8}" in by[(3, "订单号")][0]
    assert by[(5, "金额")][0] == "outside 0 … 100000"


def test_today_in_a_rule_is_the_as_of_day():
    rows = [["SO20240001", "C1", "2024-06-01", "1", "1", "1", "天猫", "2024-06-01", "a"]]
    data = read_table(csv_bytes(ORDER_HEADER, rows))
    rules = {"order_date": {"max": "today"}}
    assert found(find_issues(data, rules=rules, as_of="2024-05-31"), {"out-of-range"}) == {
        (2, "下单日期", "out-of-range", "error")}
    assert find_issues(data, rules=rules, as_of="2024-06-01").query("code == 'out-of-range'").empty


def test_unique_on_a_text_column_is_duplicate_value():
    data = read_table("客户名称,工号\n张三,A1\n李四,A1\n王五,A2\n".encode())
    issues = find_issues(data, rules={"工号": {"unique": True}})
    assert found(issues, {"duplicate-value"}) == {(3, "工号", "duplicate-value", "error")}


def test_a_rule_on_an_unmapped_column_reads_it_as_its_type():
    data = read_table("客户名称,积分\n张三,120\n李四,-5\n王五,abc\n".encode())
    issues = find_issues(data, rules={"积分": {"type": "number", "min": 0}})
    assert found(issues, {"out-of-range", "invalid-number"}) == {(3, "积分", "out-of-range", "error"),
                                                                  (4, "积分", "invalid-number", "error")}


def test_a_rule_whose_field_has_no_column_is_missing_column():
    data = read_table("客户名称,电话\n张三,13812345678\n".encode())
    issues = find_issues(data, rules={"email": {"required": True}})
    assert issues["code"].tolist() == ["missing-column"] and issues["row"].tolist() == [1]


@pytest.mark.parametrize("rules, words", [
    ({"channel": {"enmu": ["a"]}}, "enmu"),
    ({"order_id": {"pattern": "SO(\\d"}}, "pattern"),
    ({"no_such_column": {"required": True}}, "no_such_column"),
    ({"amount": {"min": "lots"}}, "lots"),
    ({"amount": {"severity": "fatal"}}, "fatal"),
    ({"rows": [{"rule": "amount = quantity *"}]}, "amount = quantity *"),
    ({"rows": [{"rule": "amount = nosuch * 2"}]}, "nosuch"),
    ({"rows": [{"rule": "order_date >= amount"}]}, "compares"),
    ({"channel": {"length": [5, 2]}}, "length"),
])
def test_a_wrong_rules_table_is_a_usage_error_naming_the_problem(rules, words):
    data = read_table(csv_bytes(ORDER_HEADER, ORDER_ROWS))
    with pytest.raises(UsageError) as err:
        find_issues(data, rules=rules)
    assert words in str(err.value)


def test_a_wrong_rules_file_is_exit_2(run, tmp_path):
    path, _ = write_inputs(tmp_path, ORDER_HEADER, ORDER_ROWS)["csv"]
    bad = tmp_path / "bad.toml"
    for text, words in [("[channel]\nenmu = ['a']\n", "enmu"), ("[order_id]\npattern = 'SO(\\\\d'\n", "pattern"),
                        ("[nosuch]\nrequired = true\n", "nosuch"), ("[channel\n", "bad.toml")]:
        bad.write_text(text, encoding="utf-8")
        res = run(["validate", path, "--rules", bad])
        assert res.exit_code == 2, (text, res.stderr)
        assert words in res.stderr and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) <= 2
    res = run(["validate", path, "--rules", tmp_path / "none.toml"])
    assert res.exit_code == 3 and "none.toml" in res.stderr


def test_read_rules_errors():
    with pytest.raises(InputError):
        read_rules("/nonexistent/rules.toml")


def test_required_option_adds_fields(run, tmp_path):
    path, _ = write_inputs(tmp_path, ORDER_HEADER, ORDER_ROWS)["csv"]
    res = run(["validate", path, "--required", "备注", "--as-of", AS_OF, "-o", "-", "-q"])
    issues = pd.read_csv(io.StringIO(res.stdout), dtype=str, keep_default_na=False)
    assert ("5", "备注") in set(zip(issues.query("code == 'missing-value'")["row"],
                                    issues.query("code == 'missing-value'")["column"]))
    res = run(["validate", path, "--required", "nosuch"])
    assert res.exit_code == 2 and "nosuch" in res.stderr


# ----------------------------------------------------------------------------- default checks

DEFAULT_HEADER = ["订单号", "客户ID", "下单日期", "数量", "金额", "订单状态"]
DEFAULT_ROWS = [[f"SO{20240001 + i}", f"C{i}", f"2024-0{1 + i % 9}-1{i % 10}", "1", str(100 + i * 7), "已完成"]
                for i in range(30)]
DEFAULT_ROWS[3][2] = "2035-06-18"           # future of the as-of day
DEFAULT_ROWS[5][2] = "1900-01-01"           # Excel's zero date
DEFAULT_ROWS[7][3] = "-2"                   # a negative quantity, not a refund
DEFAULT_ROWS[8][3], DEFAULT_ROWS[8][4] = "-1", "-107"     # a refund line: negative amount
DEFAULT_ROWS[9][3], DEFAULT_ROWS[9][5] = "-1", "已退款"    # a refund by status
DEFAULT_ROWS[11][4] = "9990000"             # far outside the amounts
DEFAULT_ROWS[13][1] = ""                    # no customer
DEFAULT_ROWS[15][4] = ""                    # no amount
DEFAULT_ROWS[17][2] = ""                    # no date
DEFAULT_EXPECTED = [(4, "下单日期", "implausible-date", "warning"), (6, "下单日期", "implausible-date", "warning"),
                    (8, "数量", "negative-quantity", "warning"), (12, "金额", "outlier-amount", "warning"),
                    (14, "客户ID", "missing-value", "error"), (16, "金额", "missing-value", "error"),
                    (18, "下单日期", "missing-value", "error")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_default_checks_without_rules(tmp_path, fmt):
    path, header_row = write_inputs(tmp_path, DEFAULT_HEADER, DEFAULT_ROWS)[fmt]
    issues = validate_table(path, as_of=AS_OF).issues
    assert found(issues) == {(r + header_row, c, code, s) for r, c, code, s in DEFAULT_EXPECTED}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_default_checks(run, tmp_path, fmt):
    path, header_row = write_inputs(tmp_path, DEFAULT_HEADER, DEFAULT_ROWS)[fmt]
    res = run(["validate", path, "--as-of", AS_OF, "-o", "-", "-q"])
    assert res.exit_code == 1
    issues = pd.read_csv(io.StringIO(res.stdout), dtype=str, keep_default_na=False)
    issues["row"] = issues["row"].astype(int)
    assert found(issues) == {(r + header_row, c, code, s) for r, c, code, s in DEFAULT_EXPECTED}


def test_without_as_of_the_library_checks_only_the_floor():
    issues = find_issues(read_table(csv_bytes(DEFAULT_HEADER, DEFAULT_ROWS)))
    assert found(issues, {"implausible-date"}) == {(7, "下单日期", "implausible-date", "warning")}


def test_defaults_off():
    issues = find_issues(read_table(csv_bytes(DEFAULT_HEADER, DEFAULT_ROWS)), as_of=AS_OF, defaults=False)
    assert issues.empty


def test_a_customer_table_needs_a_name_phone_or_email():
    data = read_table("客户名称,联系电话,邮箱,城市\n张三,,,北京\n,13812345678,,北京\n,,,上海\n".encode())
    issues = find_issues(data)
    assert found(issues) == {(4, "客户名称", "missing-value", "error")}
    assert "客户名称 / 联系电话 / 邮箱" in issues["suggestion"].iloc[0]


def test_a_rule_can_lift_a_default_requirement():
    data = read_table("客户名称,联系电话\n,\n".encode())
    assert find_issues(data, rules={"name": {"required": False}, "phone": {"required": False}}).empty


def test_unpaid_and_cancelled_orders_need_no_amount():
    text = "订单号,客户ID,下单日期,金额,订单状态\nSO1,C1,2024-01-02,,已取消\nSO2,C2,2024-01-03,,已完成\n"
    issues = find_issues(read_table(text.encode()))
    assert found(issues) == {(3, "金额", "missing-value", "error")}


def test_clean_xlsx_highlights_the_new_issues(tmp_path):
    path, _ = write_inputs(tmp_path, DEFAULT_HEADER, DEFAULT_ROWS)["csv"]
    out = tmp_path / "out.xlsx"
    result = clean_table(path, as_of=AS_OF, rules={"order_id": {"pattern": "SO\\d{9}"}})
    write_cleaned(result, out)
    ws = openpyxl.load_workbook(out)["cleaned"]
    header = [c.value for c in ws[1]]

    def marked(row: int, column: str) -> bool:
        return str(ws.cell(row, header.index(column) + 1).fill.fgColor.rgb).endswith("FFC7CE")

    assert marked(5, "下单日期") and marked(9, "数量") and marked(13, "金额") and marked(15, "客户ID")
    assert marked(2, "订单号")                     # pattern-mismatch on every id
    assert not marked(4, "下单日期") and not marked(10, "数量") and not marked(11, "数量")
    issues = openpyxl.load_workbook(out)["issues"]
    codes = {r[4] for r in issues.iter_rows(min_row=2, values_only=True)}
    assert {"implausible-date", "negative-quantity", "outlier-amount", "missing-value", "pattern-mismatch"} <= codes


@pytest.mark.parametrize("toml, words", [
    ('[rules.orders.channel]\nenmu = ["a"]\n', "enmu"),
    ('[rules.order.channel]\nenum = ["a"]\n', "rules.order"),
    ('[values]\nx = 3\n', "'x'"),
])
def test_wrong_rules_or_values_in_crm_toml_are_exit_2(run, tmp_path, monkeypatch, toml, words):
    path, _ = write_inputs(tmp_path, ORDER_HEADER, ORDER_ROWS)["csv"]
    (tmp_path / "crm.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = run(["validate", path])
    assert res.exit_code == 2 and words in res.stderr and "crm.toml" in res.stderr
