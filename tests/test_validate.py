from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crmcli.io import read_table
from crmcli.schema import map_columns
from crmcli.validate import CODES, ISSUE_COLUMNS, find_issues, summarize_issues

ORDERS = ("订单号,客户名称,联系电话,下单日期,金额\n"
          "SO1,张三,13812345678,2024-03-05,¥1,234.50\n"
          "SO2,李四,1.38123E+10,待定,abc\n"
          "SO1,王五,13812345678,2024/3/5,12\n"
          "SO3,赵六,12345,2024-02-30,5\n"
          "SO2,李四,1.38123E+10,待定,abc\n").replace("¥1,234.50", '"¥1,234.50"')


def issues_of(text: str, **kw) -> pd.DataFrame:
    df = read_table(text.encode("utf-8"))
    return find_issues(df, map_columns(df.columns), **kw)


def test_issue_columns_and_rows():
    issues = issues_of(ORDERS)
    assert tuple(issues.columns) == ISSUE_COLUMNS
    got = set(zip(issues["row"], issues["column"], issues["code"]))
    assert got == {
        (3, "联系电话", "lossy-phone"), (3, "下单日期", "invalid-date"), (3, "金额", "invalid-amount"),
        (4, "订单号", "duplicate-id"), (5, "联系电话", "invalid-phone"), (5, "下单日期", "invalid-date"),
        (6, "", "duplicate-row"), (6, "联系电话", "lossy-phone"), (6, "下单日期", "invalid-date"),
        (6, "金额", "invalid-amount"),
    }
    assert list(issues["row"]) == sorted(issues["row"])
    dup = issues[issues["code"] == "duplicate-row"].iloc[0]
    assert dup["message"] == "same values as row 3" and dup["severity"] == "error"
    did = issues[issues["code"] == "duplicate-id"].iloc[0]
    assert did["value"] == "SO1" and "row 2" in did["message"] and did["field"] == "order_id"
    lossy = issues[issues["code"] == "lossy-phone"].iloc[0]
    assert lossy["value"] == "1.38123E+10" and lossy["field"] == "phone" and lossy["suggestion"]


def test_every_code_has_a_catalogue_entry():
    issues = issues_of(ORDERS)
    assert set(issues["code"]) <= set(CODES)
    assert set(issues["severity"]) <= {"error", "warning"}


def test_customer_table_checks_customer_id():
    text = "客户ID,姓名,手机\nC1,张三,13812345678\nC1,李四,13912345678\nC2,王五,13712345678\n"
    issues = issues_of(text)
    assert list(zip(issues["row"], issues["code"], issues["severity"])) == [(3, "duplicate-id", "error")]


def test_order_table_does_not_check_customer_id():
    text = "订单号,客户ID,金额\nSO1,C1,5\nSO2,C1,6\n"
    assert issues_of(text).empty


def test_ambiguous_dates_are_warnings_and_dayfirst_settles():
    text = "订单号,下单日期\nSO1,03/05/2024\nSO2,04/06/2024\n"
    issues = issues_of(text)
    assert set(issues["code"]) == {"ambiguous-date"} and set(issues["severity"]) == {"warning"}
    assert issues_of(text, dayfirst=True).empty


def test_reader_problems_are_listed():
    text = "订单号,金额\nSO1,5\nSO2,6,extra\nSO3\n"
    issues = issues_of(text)
    ragged = issues[issues["code"] == "ragged-row"]
    assert list(ragged["row"]) == [3, 4] and set(ragged["severity"]) == {"warning"}


def test_required_fields():
    text = "订单号,金额\nSO1,\n,6\n"
    issues = issues_of(text, required=("order_id", "amount"))
    assert set(zip(issues["row"], issues["code"])) == {(2, "missing-value"), (3, "missing-value")}


def test_summary_counts():
    summary = summarize_issues(issues_of(ORDERS))
    counts = {(f, c): n for f, c, n in zip(summary["field"], summary["code"], summary["count"])}
    assert counts[("order_date", "invalid-date")] == 3 and counts[("", "duplicate-row")] == 1


def test_english_example_has_only_its_planted_issues(examples):
    df = read_table(examples / "customers_en.csv")
    issues = find_issues(df, as_of="2025-01-01")
    assert set(issues["code"]) <= {"invalid-phone", "invalid-email", "invalid-date", "lossy-phone",
                                   "implausible-date", "address-mismatch", "fillable-from-address"}
    planted = issues[issues["code"].isin(["implausible-date", "address-mismatch"])]
    assert list(zip(planted["row"], planted["column"], planted["code"])) == [
        (6, "Created", "implausible-date"), (10, "Created", "implausible-date"), (21, "Province", "address-mismatch")]


@given(st.lists(st.tuples(st.sampled_from(["", "SO1", "SO2", "SO3", None, " "]), st.booleans()), max_size=40))
def test_filled_in_order_groups_only_the_orders_with_a_blank(cells):
    """A blank cell on a line whose order has another, filled line is not missing: grouping only the orders
    holding a blank gives what grouping every row gives."""
    from crmcli.fields import normalize_field
    from crmcli.normalize import first_rows
    from crmcli.validate.check import filled_in_order

    ids = pd.Series([c for c, _ in cells], dtype="str" if not cells else "string[pyarrow]", name="订单号")
    blank = np.array([b for _, b in cells], dtype=bool)
    df = pd.DataFrame({"订单号": ids})
    res = normalize_field(df["订单号"], "id")
    got = filled_in_order(df, {"订单号": "order_id"}, {"订单号": res}, blank)
    first = first_rows(res.values)   # the whole table grouped
    has = np.bincount(first, weights=~blank, minlength=len(first))[first] > 0
    want = blank & has & (res.values != "").to_numpy(dtype=bool, na_value=False)
    assert got.tolist() == want.tolist()
    res._first = first   # a table normalized with its order ids grouped already
    assert filled_in_order(df, {"订单号": "order_id"}, {"订单号": res}, blank).tolist() == want.tolist()
