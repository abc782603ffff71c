"""pivot_table on small hand-checked tables, and `crm pivot` end to end."""

from __future__ import annotations

import io
import json
import math

import openpyxl
import pandas as pd
import pytest

from crmcli.errors import UsageError
from crmcli.pivot import pivot_table

TABLE = pd.DataFrame({
    "日期": ["2024-01-05", "2024/1/20", "2024-02-03", "2024-04-01", "bad", "2024-04-09"],
    "渠道": ["天猫", " 天猫 ", "京东", "京东", "天猫", ""],
    "客户": ["A", "B", "A", "C", "A", "D"],
    "金额": ["¥100", "200", "50", "80", "10", "面议"],
}, index=pd.RangeIndex(2, 8, name="row"))


def as_dict(p):
    return {r[0]: r[1:] for r in p.table.itertuples(index=False, name=None)}


def test_sum_by_channel_and_quarter_with_totals():
    p = pivot_table(TABLE, rows=["channel"], cols="order_date", values="amount", agg="sum", by="quarter")
    assert list(p.table.columns) == ["渠道", "2024Q1", "2024Q2", "(blank)", "Total"]
    d = as_dict(p)
    assert math.isnan(d["天猫"][1])  # no 天猫 sales in Q2: an empty cell, as in Excel
    assert d["天猫"][0] == 300.0 and d["天猫"][2] == 10.0 and d["天猫"][3] == 310.0
    assert d["京东"][0] == 50.0 and d["京东"][1] == 80.0 and d["京东"][3] == 130.0
    assert list(p.table["渠道"]) == ["京东", "天猫", "(blank)", "Total"]  # blanks last, totals at the bottom
    assert d["Total"] == (350.0, 80.0, 10.0, 440.0)
    assert p.number_format == "#,##0.00"
    assert any("non-numeric 金额" in n for n in p.notes) and any("invalid 日期" in n for n in p.notes)


def test_mean_totals_come_from_the_rows_not_the_cells():
    p = pivot_table(TABLE, rows=["渠道"], values="金额", agg="mean")
    d = as_dict(p)
    assert d["天猫"][0] == round(310 / 3, 2)           # money in cents
    assert d["Total"][0] == pytest.approx(440 / 5)


def test_nunique_and_count_and_no_totals():
    p = pivot_table(TABLE, rows=["channel"], values="客户", agg="nunique", totals=False)
    assert as_dict(p) == {"京东": (2.0,), "天猫": (2.0,), "(blank)": (1.0,)}
    assert p.number_format == "0"
    p = pivot_table(TABLE, rows=["channel"])  # no --values: count rows
    assert as_dict(p)["Total"] == (6.0,)
    total = pivot_table(TABLE, rows=["channel"], values="客户", agg="nunique")
    assert as_dict(total)["Total"] == (4.0,)  # A, B, C, D overall, not 2 + 2 + 1


def test_min_max_and_by_without_cols_uses_the_order_date():
    p = pivot_table(TABLE, rows=["channel"], values="amount", agg="max", by="month")
    assert "2024-01" in p.table.columns and "2024-04" in p.table.columns
    assert as_dict(p)["Total"][-1] == 200.0


@pytest.mark.parametrize("kw", [dict(rows=["nope"]), dict(rows=["channel"], agg="median"),
                                dict(rows=["channel"], values="amount", by="week"),
                                dict(rows=["channel"], agg="mean"), dict(rows=[])])
def test_usage_errors(kw):
    with pytest.raises(UsageError):
        pivot_table(TABLE, **kw)


def test_input_not_mutated():
    before = TABLE.copy()
    pivot_table(TABLE, rows=["channel"], cols="order_date", values="amount", by="month")
    pd.testing.assert_frame_equal(TABLE, before)


# ----------------------------------------------------------------- CLI

CSV = TABLE.reset_index(drop=True).to_csv(index=False).encode()


def test_cli_stdin_csv_equals_library(run):
    res = run(["pivot", "-", "--rows", "channel", "--cols", "order_date", "--by", "quarter", "--values", "amount"],
              input=CSV)
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(io.StringIO(res.stdout), dtype={"渠道": str})
    lib = pivot_table(TABLE, rows=["channel"], cols="order_date", values="amount", by="quarter").table
    assert list(got.columns) == list(lib.columns)
    assert got["Total"].tolist() == lib["Total"].tolist()


def test_cli_json_and_xlsx_number_formats(run, examples, tmp_path):
    res = run(["pivot", examples / "orders.xlsx", "--rows", "渠道", "--cols", "下单日期", "--by", "year",
               "--values", "金额", "-o", "-", "--format", "json", "-q"])
    rows = json.loads(res.stdout)
    assert rows[-1]["渠道"] == "Total" and rows[-1]["Total"] > 0
    out = tmp_path / "p.xlsx"
    res = run(["pivot", examples / "orders.xlsx", "--rows", "channel,product", "--cols", "order_date", "--by", "year",
               "--values", "amount", "--agg", "sum", "-o", out, "-q"])
    assert res.exit_code == 0, res.stderr
    ws = openpyxl.load_workbook(out).active
    head = [c.value for c in ws[1]]
    assert head[:2] == ["渠道", "产品"] and head[-1] == "Total"
    cell = ws.cell(2, len(head))
    assert isinstance(cell.value, (int, float)) and cell.number_format == "#,##0.00"


def test_cli_no_totals_and_errors(run):
    res = run(["pivot", "-", "--rows", "channel", "--no-totals", "-q"], input=CSV)
    assert "Total" not in res.stdout
    res = run(["pivot", "-", "--rows", "nope"], input=CSV)
    assert res.exit_code == 2 and res.stderr.startswith("crm: error: no field or column named 'nope'")


def test_a_grid_too_big_is_refused_before_it_is_built():
    """Bounded work: two id-like columns as rows × cols would be n² cells; refused with a usage error."""
    n = 3_200  # 3,201 × 3,201 > 10,000,000 cells
    ids = pd.DataFrame({"a": [f"a{i}" for i in range(n)], "b": [f"b{i}" for i in range(n)]},
                       index=pd.RangeIndex(2, n + 2, name="row"))
    with pytest.raises(UsageError, match="too many distinct values for cols="):
        pivot_table(ids, rows=["a"], cols="b")
    wide = pd.DataFrame({"a": ["x"] * 17_000, "b": [str(i) for i in range(17_000)]},
                        index=pd.RangeIndex(2, 17_002, name="row"))
    with pytest.raises(UsageError, match="1 rows × 17,000 columns"):
        pivot_table(wide, rows=["a"], cols="b")
    assert len(pivot_table(ids.head(100), rows=["a"], cols="b").table.columns) == 102


def test_a_totals_row_is_left_out_and_noted(tmp_path):
    """A 合计 row exported under the data would be counted twice in the Total."""
    from crmcli.io import read_table

    src = tmp_path / "o.csv"
    src.write_text("渠道,金额\n天猫,100\n京东,50\n天猫,20\n合计,170\n", encoding="utf-8")
    p = pivot_table(read_table(src), rows=["渠道"], values="金额")
    assert as_dict(p) == {"京东": (50.0,), "天猫": (120.0,), "Total": (170.0,)}
    assert any("totals row" in n and "row 5" in n for n in p.notes)
