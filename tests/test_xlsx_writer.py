"""One xlsx writer: every command's workbook and the report write cells under the same rules.

Before, the report had a writer of its own that silently cut a cell over 32,767 characters
(``crm clean -o x.xlsx`` refused the same value) and let xlsxwriter drop the rows past an
Excel sheet's end.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

import crmcli.io.xlsx as xlsx
from crmcli.errors import OutputError
from crmcli.io import write_workbook
from crmcli.report import Sheet, write_report_workbook

LONG = "长" * 40_000

MIXED = pd.DataFrame({
    "text": ["=1+1", "@SUM(A1)", "-12.5", "张三", "+8613812345678"],
    "number": [1.5, -2.0, math.nan, 1e15, 0.0],
    "int": np.array([1, 2, 3, 4, 5], dtype=np.int64),
    "when": pd.to_datetime(["2024-01-02", "2024-01-02 13:45:00", None, "1999-12-31", "2024-02-29"], format="ISO8601"),
    "object": pd.Series([3.25, "n/a", dt.datetime(2024, 3, 1, 8, 30), None, True], dtype=object),
    "flag": [True, False, True, False, True],
})


def _cells(path, sheet):
    ws = openpyxl.load_workbook(path)[sheet]
    return [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]


def test_the_report_and_the_commands_write_the_same_cells(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook({"s": MIXED.drop(columns=["flag"])}, a)
    write_report_workbook([Sheet("s", MIXED.drop(columns=["flag"]), kinds={"object": "number"})], b)
    assert _cells(a, "s") == _cells(b, "s")
    rows = _cells(a, "s")
    assert rows[1][0] == ("=1+1", "s") and rows[2][0] == ("@SUM(A1)", "s")    # text, never a formula
    assert rows[2][3] == (dt.datetime(2024, 1, 2, 13, 45), "d")
    assert [r[4] for r in rows[1:]] == [(3.25, "n"), ("n/a", "s"), (dt.datetime(2024, 3, 1, 8, 30), "d"),
                                       (None, "n"), (True, "b")]


@pytest.mark.parametrize("where", ["commands", "report"])
def test_a_cell_too_long_for_excel_is_refused_naming_sheet_row_column(tmp_path, where):
    dest = tmp_path / "o.xlsx"
    dest.write_bytes(b"previous")
    df = pd.DataFrame({"客户": ["a", "b", LONG], "备注": ["x", "y", "z"]})
    with pytest.raises(OutputError) as err:
        if where == "commands":
            write_workbook({"客户表": df}, dest)
        else:
            write_report_workbook([Sheet("客户表", df)], dest)
    assert str(err.value) == ("sheet '客户表', row 4, column '客户' holds 40,000 characters; "
                              "an Excel cell holds at most 32,767")
    assert dest.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["o.xlsx"]


def test_crm_report_with_a_value_too_long_is_exit_4(run, tmp_path, examples):
    src = tmp_path / "orders.csv"
    src.write_text("订单号,客户名称,下单日期,产品,金额\n"
                   "SO1,张三,2024-01-02,保温杯,120\n"
                   f"SO2,李四,2024-01-03,{'保温杯' * 12_000},88\n", encoding="utf-8")
    dest = tmp_path / "report.xlsx"
    res = run(["report", src, "-o", dest])
    assert res.exit_code == 4, res.stderr
    assert "characters; an Excel cell holds at most 32,767" in res.stderr and "Traceback" not in res.stderr
    assert not dest.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]


def test_report_sheet_past_excel_rows_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(OutputError, match="rows"):
        write_report_workbook([Sheet("big", pd.DataFrame({"a": [1, 2, 3]}))], tmp_path / "r.xlsx")
    write_report_workbook([Sheet("big", pd.DataFrame({"a": [1, 2]}))], tmp_path / "r.xlsx")


def test_sheet_names_are_valid_and_distinct_for_every_writer(tmp_path):
    dest = tmp_path / "o.xlsx"
    write_workbook({"a/b": MIXED.head(1), "A?B": MIXED.head(1), "'q'": MIXED.head(1), "x" * 40: MIXED.head(1)}, dest)
    assert openpyxl.load_workbook(dest).sheetnames == ["a_b", "A_B~2", "q", "x" * 31]


def test_integers_a_number_cell_would_round_are_written_as_their_digits(tmp_path):
    dest = tmp_path / "o.xlsx"
    df = pd.DataFrame({"i64": np.array([2**53, 2**53 + 1, -(2**62)], dtype=np.int64),
                       "big": pd.Series([10**400, 7, 2**70], dtype=object)})
    write_workbook({"s": df}, dest)
    assert _cells(dest, "s")[1:] == [[(2**53, "n"), (str(10**400), "s")], [(str(2**53 + 1), "s"), (7, "n")],
                                     [(str(-(2**62)), "s"), (str(2**70), "s")]]
