from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.clean import clean_table, write_cleaned
from crmcli.io import read_table

MESSY = ("订单号,客户名称,联系电话,下单日期,金额,备注\n"
         "10023.0, 张　三 ,138 1234 5678,2024/3/5,\"¥1,234.50\",=SUM(A1)\n"
         "SO2,ＡＢＣ,1.38123E+10,待定,abc,x\n"
         "SO3,李四,+86 139-1234-5678,2024-03-06 14:23:05,1234.5元,\n"
         "SO2,ＡＢＣ,1.38123E+10,待定,abc,x\n")


def messy() -> pd.DataFrame:
    return read_table(MESSY.encode("utf-8"))


def test_every_row_kept_in_order_with_original_headers():
    df = messy()
    before = df.copy()
    result = clean_table(df)
    pd.testing.assert_frame_equal(df, before)  # input untouched
    c = result.cleaned
    assert list(c.columns) == list(df.columns) and list(c.index) == [2, 3, 4, 5]
    assert list(c["订单号"]) == ["10023", "SO2", "SO3", "SO2"]
    assert list(c["客户名称"]) == ["张三", "ABC", "李四", "ABC"]
    assert list(c["联系电话"]) == ["+8613812345678", "1.38123E+10", "+8613912345678", "1.38123E+10"]
    assert list(c["下单日期"]) == ["2024-03-05 00:00:00", "待定", "2024-03-06 14:23:05", "待定"]
    assert list(c["金额"]) == ["1234.5", "abc", "1234.5", "abc"]
    assert list(c["备注"]) == ["=SUM(A1)", "x", "", "x"]  # unmapped: untouched
    assert result.rejected.empty
    assert result.errors == len(result.issues[result.issues["severity"] == "error"])


def test_drop_invalid_moves_rows_with_errors():
    result = clean_table(messy(), drop_invalid=True)
    assert list(result.cleaned.index) == [2, 4]
    assert list(result.rejected.index) == [3, 5]
    assert set(result.issues["row"]) == {3, 5}  # issues still list every problem


def test_summary_per_column():
    s = clean_table(messy()).summary.set_index("column")
    assert s.loc["联系电话", "errors"] == 2 and s.loc["联系电话", "kind"] == "phone"
    assert s.loc["(duplicate-row)", "errors"] == 1
    assert s.loc["备注", "field"] == ""


def test_idempotent_csv(tmp_path):
    first = tmp_path / "a.csv"
    write_cleaned(clean_table(messy()), first)
    again = clean_table(read_table(first))
    second = tmp_path / "b.csv"
    write_cleaned(again, second)
    assert first.read_bytes() == second.read_bytes()


def test_idempotent_xlsx(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_cleaned(clean_table(messy()), first)
    write_cleaned(clean_table(read_table(first)), second)

    def cells(path):
        return [[c.value for c in row] for row in openpyxl.load_workbook(path)["cleaned"].iter_rows()]

    assert cells(first) == cells(second)


def test_xlsx_sheets_types_and_highlights(tmp_path):
    path = tmp_path / "out.xlsx"
    write_cleaned(clean_table(messy(), drop_invalid=True), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["cleaned", "issues", "summary", "rejected"]
    ws = wb["cleaned"]
    assert [c.value for c in ws[1]] == ["订单号", "客户名称", "联系电话", "下单日期", "金额", "备注"]
    row = [c for c in ws[2]]
    assert row[0].value == "10023" and row[0].data_type == "s"  # id text
    assert row[2].value == "+8613812345678" and row[2].data_type == "s"
    assert row[3].is_date and row[3].value.year == 2024
    assert row[4].value == 1234.5 and row[4].number_format == "#,##0.00"
    assert row[5].value == "=SUM(A1)" and row[5].data_type == "s"  # never a formula
    rej = wb["rejected"]
    assert rej.cell(2, 3).value == "1.38123E+10" and rej.cell(2, 3).fill.fgColor.rgb.endswith("FFC7CE")
    assert rej.cell(2, 4).value == "待定"
    assert ws.freeze_panes == "A2"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["13812345678", "1.38123E+10", "(021)62345678", "", "x", "１３９１２３４５６７８"]),
                          st.sampled_from(["2024/3/5", "05/03/2024", "13/03/2024", "待定", "45356", "Mar 5, 2024", ""]),
                          st.sampled_from(["¥1,234.50", "-3", "abc", "", "１２．５", "1.2万"])),
                min_size=1, max_size=8))
@pytest.mark.slow
def test_cleaning_twice_changes_nothing(rows):
    text = "phone,order_date,amount\n" + "".join(f'"{a}","{b}","{c}"\n' for a, b, c in rows)
    once = clean_table(read_table(text.encode("utf-8"))).cleaned
    twice = clean_table(once).cleaned
    pd.testing.assert_frame_equal(once, twice)
