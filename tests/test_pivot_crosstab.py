"""Crosstabs: --show (Excel's Show Values As), several --values, --where, --top with Other; hand-checked."""

from __future__ import annotations

import io
import math

import openpyxl
import pandas as pd
import pytest

from crmcli.conditions import parse_conditions
from crmcli.errors import UsageError
from crmcli.pivot import pivot_table

from .test_pivot import CSV, TABLE

# TABLE (tests/test_pivot.py): 天猫 100 (Q1), 200 (Q1), 10 (bad date); 京东 50 (Q1), 80 (Q2); a blank channel
# with 面议 (no number) in Q2. Sums: 天猫 Q1 300, (blank date) 10 = 310; 京东 Q1 50, Q2 80 = 130; all 440.


def grid(p) -> dict:
    return {r[0]: r[1:] for r in p.table.itertuples(index=False, name=None)}


def approx(values):
    return pytest.approx([float("nan") if v is None else v for v in values], nan_ok=True)


def q(show):
    return grid(pivot_table(TABLE, rows=["channel"], cols="order_date", values="amount", by="quarter", show=show))


def test_row_col_and_total_shares():
    col = q("col%")
    assert col["天猫"] == approx([300 / 350, None, 10 / 10, 310 / 440])
    assert col["Total"] == approx([1, 1, 1, 1])
    row = q("row%")
    assert row["天猫"] == approx([300 / 310, None, 10 / 310, 1])
    assert row["Total"] == approx([350 / 440, 80 / 440, 10 / 440, 1])
    total = q("total%")
    assert total["京东"] == approx([50 / 440, 80 / 440, None, 130 / 440])
    assert total["Total"] == approx([350 / 440, 80 / 440, 10 / 440, 1])


def test_index_rank_running_and_differences():
    index = q("index")
    assert index["天猫"][0] == pytest.approx(300 * 440 / (310 * 350))
    assert index["Total"] == approx([1, 1, 1, 1]) and index["京东"][-1] == 1
    rank = q("rank")
    assert rank["天猫"][:2] == approx([1, None]) and rank["京东"][:2] == approx([2, 1])
    assert rank["(blank)"][:2] == approx([None, 2])  # its Q2 sum of no number is 0, below 京东's 80
    assert rank["Total"] == approx([None] * 4)
    # along the quarters (the date field is --cols); an empty cell of a sum is 0
    running = q("running")
    assert running["天猫"] == approx([300, 300, 310, None]) and running["Total"] == approx([350, 430, 440, None])
    diff = q("diff-prev")
    assert diff["天猫"] == approx([None, -300, 10, None]) and diff["Total"] == approx([None, -270, -70, None])
    pct = q("pct-diff-prev")
    assert pct["京东"] == approx([None, (80 - 50) / 50, -1, None])
    p = pivot_table(TABLE, rows=["channel"], cols="order_date", values="amount", by="quarter", show="col%")
    assert p.number_format == "0.0%"


def test_differences_down_the_rows_stay_within_the_other_row_fields():
    p = pivot_table(TABLE, rows=["channel", "order_date"], values="amount", by="quarter", show="diff-prev")
    got = {(r[0], r[1]): r[2] for r in p.table.itertuples(index=False, name=None)}
    assert math.isnan(got[("京东", "2024Q1")]) and got[("京东", "2024Q2")] == 30
    assert math.isnan(got[("天猫", "2024Q1")]) and got[("天猫", "(blank)")] == -290  # 10 − 300, same channel


def test_several_values_each_with_its_own_aggregation():
    p = pivot_table(TABLE, rows=["channel"], values=["金额:sum", "客户:nunique", "金额:sum:total%"])
    assert list(p.table.columns) == ["渠道", "sum of 金额", "nunique of 客户", "sum of 金额 (total%)"]
    g = grid(p)
    assert g["天猫"] == approx([310, 2, 310 / 440]) and g["Total"] == approx([440, 4, 1])  # 4 = A B C D overall
    assert p.number_formats == {"sum of 金额": "#,##0.00", "nunique of 客户": "0", "sum of 金额 (total%)": "0.0%"}
    p = pivot_table(TABLE, rows=["channel"], cols="order_date", by="quarter", values=["金额:sum", "客户:nunique"])
    assert "sum of 金额 | 2024Q1" in p.table.columns and "nunique of 客户 | Total" in p.table.columns
    assert grid(p)["Total"][-1] == 4


@pytest.mark.parametrize("where, total", [
    ("channel=天猫", 310), ("金额>=80", 380), ("日期>=2024-02-01", 130), ("渠道 in [天猫, 京东] AND 金额<100", 140),
    ("渠道!=天猫", 130), (["channel in [京东]", "order_date<2024-03-01"], 50), ("amount>1.2万", 0),
])
def test_where_types_fields_by_the_field_layer(where, total):
    p = pivot_table(TABLE, rows=["channel"], values="amount", where=where)
    assert grid(p)["Total"][0] == total
    assert any(n.startswith("where ") for n in p.notes)


def test_where_errors():
    with pytest.raises(UsageError, match="is not a date"):
        pivot_table(TABLE, rows=["channel"], where="order_date>soon")
    with pytest.raises(UsageError, match="not FIELD OP VALUE"):
        pivot_table(TABLE, rows=["channel"], where="天猫")
    with pytest.raises(UsageError, match="no field or column named 'nope'"):
        pivot_table(TABLE, rows=["channel"], where="nope=1")


def test_conditions_parse():
    c = parse_conditions("city in [上海, 杭州] AND amount ≥ 100 && name='A B'")
    assert [(x.field, x.op, x.values) for x in c] == [("city", "in", ("上海", "杭州")), ("amount", ">=", ("100",)),
                                                     ("name", "=", ("A B",))]


def test_top_n_with_the_rest_as_other_computed_from_its_rows():
    p = pivot_table(TABLE, rows=["channel"], values=["金额:sum", "客户:nunique"], top=1)
    assert list(p.table["渠道"]) == ["天猫", "Other", "Total"]
    assert grid(p)["Other"] == approx([130, 3])  # 京东 and the blank channel: customers A, C, D
    assert grid(p)["Total"] == approx([440, 4])
    p = pivot_table(TABLE, rows=["channel"], values="amount", top=2)
    assert list(p.table["渠道"]) == ["天猫", "京东", "Other", "Total"]
    assert pivot_table(TABLE, rows=["channel"], values="amount", top=5).table["渠道"].tolist() == [
        "天猫", "京东", "(blank)", "Total"]


def test_usage_errors():
    with pytest.raises(UsageError, match="is not one of"):
        pivot_table(TABLE, rows=["channel"], values="amount", show="share")
    with pytest.raises(UsageError, match="running needs a sum or a count"):
        pivot_table(TABLE, rows=["channel"], values="amount:mean", show="running")
    with pytest.raises(UsageError, match="at least 1"):
        pivot_table(TABLE, rows=["channel"], top=0)


def test_cli_show_where_top_and_formats(run, tmp_path):
    res = run(["pivot", "-", "--rows", "channel", "--values", "amount:sum", "--values", "客户:nunique",
               "--where", "金额>=50", "--top", "1", "-o", "-", "-q"], input=CSV)
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(io.StringIO(res.stdout))
    assert got["渠道"].tolist() == ["天猫", "Other", "Total"]
    assert got["sum of 金额"].tolist() == [300, 130, 430]
    out = tmp_path / "p.xlsx"
    res = run(["pivot", "-", "--rows", "channel", "--cols", "order_date", "--by", "quarter", "--values", "amount",
               "--show", "row%", "-o", out, "-q"], input=CSV)
    assert res.exit_code == 0, res.stderr
    ws = openpyxl.load_workbook(out).active
    assert ws.cell(2, 2).number_format == "0.0%"
    res = run(["pivot", "-", "--rows", "channel", "--where", "渠道"], input=CSV)
    assert res.exit_code == 2 and res.stderr.startswith("crm: error: --where '渠道' is not FIELD OP VALUE")
