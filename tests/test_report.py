"""The report workbook: sheets, native charts, formats, frozen headers, no formulas, numbers = the library's."""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcli.config import Settings
from crmcli.errors import OutputError
from crmcli.io import read_table
from crmcli.metrics import compute_cohorts, compute_kpis
from crmcli.orders import prepare_orders
from crmcli.report import Sheet, build_report, periods, write_report_workbook
from crmcli.report.charts import Chart
from crmcli.rfm import score_rfm

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ZH_SHEETS = ["概览", "月度销售", "销售预测", "预测回测", "产品排行", "RFM分群", "客户", "流失预警", "同期群留存", "转化漏斗",
             "营销活动", "数据质量"]
EN_SHEETS = ["Summary", "Sales by month", "Forecast", "Forecast backtest", "Products", "RFM segments", "Customers",
             "At risk", "Cohorts", "Funnel", "Campaigns", "Data quality"]


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return read_table(EXAMPLES / "orders.xlsx")


@pytest.fixture(scope="module")
def built(orders, tmp_path_factory):
    report = build_report(orders, customers=read_table(EXAMPLES / "customers_en.csv"), source="orders.xlsx")
    path = tmp_path_factory.mktemp("report") / "report.xlsx"
    report.write(path)
    return report, path


def chart_parts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))


def formula_cells(wb) -> list[str]:
    return [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def table(ws) -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_sheets_charts_frozen_headers_filters_and_no_formulas(built):
    report, path = built
    assert report.lang == "zh"  # the orders' headers are Chinese
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ZH_SHEETS
    assert len(chart_parts(path)) >= 2
    assert sum(len(ws._charts) for ws in wb.worksheets) == len(chart_parts(path))
    with zipfile.ZipFile(path) as z:
        kinds = "".join(z.read(n).decode() for n in chart_parts(path))
    assert "<c:lineChart>" in kinds and "<c:barChart>" in kinds  # monthly line + segment/product columns
    for ws in wb.worksheets:
        assert ws.column_dimensions["A"].width and ws.column_dimensions["A"].width > 6
        if ws.title == "概览":  # the card page: no frozen header, no filter (see test_report_layout.py)
            continue
        assert ws.freeze_panes in ("A2", "B2"), ws.title
        assert all(c.font.b for c in ws[1] if c.value is not None), ws.title
        if ws.max_row > 1:
            assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
    assert formula_cells(wb) == []


def test_missing_inputs_get_one_line_sheets(built):
    wb = openpyxl.load_workbook(built[1])
    for name in ("转化漏斗", "营销活动"):
        ws = wb[name]
        assert ws.max_row == 1 and ws.max_column == 1
        assert "--leads" in ws["A1"].value or "--campaigns" in ws["A1"].value


def test_summary_numbers_equal_compute_kpis(built, orders):
    report, path = built
    p = prepare_orders(orders)
    as_of = pd.Timestamp(p.orders["order_date"].max()).normalize()
    assert report.as_of == as_of.date()
    kpis = compute_kpis(p.orders, as_of=as_of, lines=p.lines).set_index("metric")["value"]
    ws = openpyxl.load_workbook(path)["概览"]
    cells = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    assert cells["销售额"][1].value == pytest.approx(kpis["revenue"])
    assert cells["订单数"][1].value == kpis["orders"]
    assert cells["客户数"][1].value == kpis["customers"]
    assert cells["平均订单金额 (AOV)"][1].value == pytest.approx(kpis["aov"])
    assert cells["客单价"][1].value == pytest.approx(kpis["revenue_per_customer"])
    assert cells["复购率"][1].value == pytest.approx(kpis["repurchase_rate"])
    assert cells["流失率"][1].value == pytest.approx(kpis["churn_rate"])
    # formats: money, count, percent, date
    assert cells["销售额"][1].number_format == "#,##0.00"
    assert cells["订单数"][1].number_format == "#,##0"
    assert cells["复购率"][1].number_format == "0.0%"
    assert cells["观察截止日"][1].is_date and cells["观察截止日"][1].value.date() == report.as_of
    # this period vs the previous one, by hand
    (c0, c1), (p0, p1) = periods(report.as_of)
    cur = p.orders[(p.orders["order_date"] >= pd.Timestamp(c0)) & (p.orders["order_date"] < pd.Timestamp(c1)
                                                                   + pd.Timedelta(days=1))]
    prev = p.orders[(p.orders["order_date"] >= pd.Timestamp(p0)) & (p.orders["order_date"] < pd.Timestamp(p1)
                                                                    + pd.Timedelta(days=1))]
    assert cells["销售额"][2].value == pytest.approx(cur["amount"].sum())
    assert cells["销售额"][3].value == pytest.approx(prev["amount"].sum())
    assert cells["销售额"][4].value == pytest.approx(cur["amount"].sum() / prev["amount"].sum() - 1)
    assert cells["订单数"][2].value == len(cur)


def test_periods_are_month_to_date_against_the_same_days_before():
    assert periods(dt.date(2024, 12, 28)) == ((dt.date(2024, 12, 1), dt.date(2024, 12, 28)),
                                              (dt.date(2024, 11, 1), dt.date(2024, 11, 28)))
    assert periods(dt.date(2024, 3, 31)) == ((dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
                                             (dt.date(2024, 2, 1), dt.date(2024, 2, 29)))


def test_sales_by_month_pivot_has_totals_and_matches_the_lines(built, orders):
    report, path = built
    df = table(openpyxl.load_workbook(path)["月度销售"])
    lines = prepare_orders(orders).lines
    assert df.iloc[-1, 0] == "合计"
    assert df["合计"].iloc[-1] == pytest.approx(lines["amount"].sum())
    body = df.iloc[:-1]
    assert list(body["月份"]) == sorted(body["月份"])
    by_month = lines.groupby(lines["order_date"].dt.strftime("%Y-%m"))["amount"].sum()
    assert body.set_index("月份")["合计"].to_dict() == pytest.approx(by_month.to_dict())
    channels = [c for c in df.columns if c not in ("月份", "合计", "订单数", "客户数")]
    assert set(channels) == set(lines["channel"])
    buys = lines[lines["is_purchase"]]
    orders = buys.groupby(buys["order_date"].dt.strftime("%Y-%m"))["order_id"].nunique()
    assert body.set_index("月份")["订单数"].to_dict() == orders.reindex(body["月份"], fill_value=0).to_dict()
    assert df["订单数"].iloc[-1] == buys["order_id"].nunique()
    assert df["客户数"].iloc[-1] == buys["customer_id"].nunique()
    assert body[channels].sum(axis=1).to_numpy() == pytest.approx(body["合计"].to_numpy())


def test_products_ranked_by_revenue_and_units(built, orders):
    df = table(openpyxl.load_workbook(built[1])["产品排行"])
    lines = prepare_orders(orders).lines
    rev = lines.groupby("product")["amount"].sum().sort_values(ascending=False)
    assert list(df["产品"]) == list(rev.index)
    assert list(df["销售额"]) == pytest.approx(list(rev))
    assert list(df["销售额排名"]) == list(range(1, len(rev) + 1))
    units = lines.groupby("product")["quantity"].sum()
    assert df.set_index("产品")["销量"].to_dict() == pytest.approx(units.to_dict())


def test_customers_and_segments_equal_score_rfm(built, orders):
    report, path = built
    wb = openpyxl.load_workbook(path)
    rfm = score_rfm(orders, lang="zh")
    cust = table(wb["客户"])
    assert len(cust) == len(rfm.table)
    got = cust.set_index("客户ID")
    want = rfm.table.set_index("customer_id")
    assert got["消费总额"].to_dict() == pytest.approx(want["monetary"].to_dict())
    assert got["分群"].to_dict() == want["segment"].to_dict()
    assert got["最近购买距今天数"].to_dict() == want["recency_days"].to_dict()
    assert list(cust["消费总额"]) == sorted(cust["消费总额"], reverse=True)
    assert isinstance(wb["客户"]["A2"].value, str)  # ids are text
    assert wb["客户"].cell(2, list(cust.columns).index("最近购买") + 1).is_date
    # phones from the customers file come normalized
    phones = [p for p in cust["电话"] if p]
    assert sum(p.startswith("+86") for p in phones) >= 0.8 * len(phones)
    assert not any(re.fullmatch(r"\(\d{3}\) \d+|\d{3}-\d{4}-\d{4}", p) for p in phones)
    seg = table(wb["RFM分群"])
    assert seg["客户数"].sum() == len(rfm.table)
    assert seg.set_index("分群")["销售额"].to_dict() == pytest.approx(rfm.segments.set_index("segment")["revenue"].to_dict())
    assert seg["客户占比"].sum() == pytest.approx(1.0)


def test_cohorts_equal_compute_cohorts_with_a_colour_scale(built, orders):
    report, path = built
    p = prepare_orders(orders)
    want = compute_cohorts(p.orders, as_of=pd.Timestamp(report.as_of))
    ws = openpyxl.load_workbook(path)["同期群留存"]
    got = table(ws)
    assert list(got["首购月份"]) == list(want["cohort"])
    for k in ("0", "1", "5"):
        g, w = got[f"+{k}"].to_numpy(dtype=float), want[k].to_numpy(dtype=float)
        assert [math.isnan(x) for x in g] == [math.isnan(x) for x in w]  # unobservable cells stay empty
        assert g[~pd.isna(g)] == pytest.approx(w[~pd.isna(w)])
    assert ws["C2"].number_format == "0.0%"
    rules = [r for rng in ws.conditional_formatting for r in rng.rules]
    assert any(r.type == "colorScale" for r in rules)


def test_data_quality_counts_the_validation_issues(built):
    report, path = built
    df = table(openpyxl.load_workbook(path)["数据质量"])
    counts = df.groupby(["字段", "代码"])["数量"].sum()
    assert counts[("下单日期", "invalid-date")] == 5
    assert counts[("下单日期", "missing-value")] == 4      # the 'unknown' dates the examples leave blank
    assert counts[("金额", "invalid-amount")] == 3
    assert counts[("金额", "missing-value")] == 3          # and the 'N/A' amounts
    issues = report.issues
    assert df["数量"].sum() == len(issues)
    assert set(df["代码"]) == set(issues["code"])
    # codes, severities and messages in Chinese on the Chinese report (the slug kept in 代码)
    assert set(df.loc[df["代码"] == "invalid-date", "问题"]) == {"日期无效"}
    assert set(df["级别"]) <= {"错误", "警告"}
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in df["说明"])


def test_english_labels_and_as_of(orders, tmp_path):
    report = build_report(orders, lang="en", as_of=dt.date(2024, 6, 30))
    path = tmp_path / "en.xlsx"
    report.write(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == EN_SHEETS
    assert report.as_of == dt.date(2024, 6, 30)
    sales = table(wb["Sales by month"])
    assert sales["Month"].iloc[-2] == "2024-06" and sales["Month"].iloc[-1] == "Total"
    assert "Revenue" in [c.value for c in wb["Summary"]["A"]]


def test_funnel_and_campaigns_sheets_when_given(orders, tmp_path):
    leads = pd.DataFrame({"线索ID": ["L1", "L2", "L3", "L4"], "客户ID": ["C10042", "C10011", "", "X"],
                          "阶段": ["成交", "报价", "线索", "线索"], "线索日期": ["2023-01-01"] * 4})
    camps = pd.DataFrame({"活动": ["双11大促", "会员日"], "费用": ["1000", "0"]})
    for df in (leads, camps):
        df.index = pd.RangeIndex(2, len(df) + 2, name="row")
    report = build_report(orders, leads=leads.astype("str"), campaigns=camps.astype("str"), lang="en")
    path = tmp_path / "f.xlsx"
    report.write(path)
    wb = openpyxl.load_workbook(path)
    funnel = table(wb["Funnel"])
    assert funnel["Stage"].iloc[0] and funnel["Reached stage"].iloc[0] == 4
    camp = table(wb["Campaigns"])
    assert list(camp["Campaign"]) == ["双11大促", "会员日"]
    assert camp["Cost"].tolist() == [1000, 0]
    roi = list(camp.columns).index("ROI") + 1
    assert pd.isna(camp["ROI"].iloc[1]) and wb["Campaigns"].cell(3, roi).value is None  # zero cost: left empty
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows(min_row=2)}
    assert summary["Leads"] == 4


def test_messy_workbook_without_config_same_structure(tmp_path):
    path = tmp_path / "messy.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年订单导出 (内部)"])
    ws.append([])
    ws.append(["订单编号", "会员编号", "手机", "成交日期", "商品名称", "销量", "实付金额", "来源"])
    ws.append(["A1", "M1", "13812345678", "2024-01-05", "=HYPERLINK(\"http://x\")", 1, "¥1,200.50", "天猫"])
    ws["E4"].data_type = "s"  # text that looks like a formula, as exported
    ws.append(["A2", "M2", "1.38123E+10", "2024/2/30", "茶叶", 2, "300", "京东"])
    ws.append(["A3", "M1", "13812345678", "2024年3月7日", "茶叶", 1, "面议", "京东"])
    ws.append(["A4", "M3", "+86 139 0000 1111", "20240310", "茶具", 1, "￥88", "@抖音"])
    ws.append(["A4", "M3", "+86 139 0000 1111", "20240310", "茶具", 1, "￥88", "@抖音"])
    wb.save(path)
    report = build_report(read_table(path))
    out = tmp_path / "out.xlsx"
    report.write(out)
    got = openpyxl.load_workbook(out)
    assert got.sheetnames == ZH_SHEETS
    assert len(chart_parts(out)) >= 2
    assert formula_cells(got) == []
    products = [c.value for c in got["产品排行"]["A"]]
    assert '=HYPERLINK("http://x")' in products  # formula-looking text written as text
    channels = [c.value for c in got["月度销售"][1]]
    assert "@抖音" in channels
    dq = table(got["数据质量"])
    codes = set(dq["代码"])
    assert {"invalid-date", "invalid-amount", "lossy-phone"} <= codes
    assert report.kpis["orders"] == 2 and report.kpis["revenue"] == pytest.approx(1288.5)


def test_no_valid_orders_is_a_clear_error():
    df = pd.DataFrame({"日期": ["x", "y"], "金额": ["1", "2"], "客户": ["a", "b"]},
                      index=pd.RangeIndex(2, 4, name="row"))
    with pytest.raises(Exception) as err:
        build_report(df.astype("str"))
    assert getattr(err.value, "code", None) is not None


def test_failed_write_leaves_previous_report_untouched(built, tmp_path):
    report, _ = built
    dest = tmp_path / "report.xlsx"
    dest.write_bytes(b"previous report")
    bad = Sheet("bad", pd.DataFrame({"a": [1]}), kinds={"a": "no-such-kind"})
    with pytest.raises(ValueError):
        write_report_workbook([*report.sheets, bad], dest)
    assert dest.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]  # no temp file left behind
    with pytest.raises(OutputError):
        report.write(dest / "r.xlsx")  # below a file, not a folder


@pytest.mark.slow
def test_large_detail_sheet_is_streamed(tmp_path):
    n = 30_000
    df = pd.DataFrame({"id": [f"C{i:06d}" for i in range(n)], "amount": [i * 1.5 for i in range(n)],
                       "when": pd.date_range("2024-01-01", periods=n, freq="h")})
    sheets = [Sheet("big", df, kinds={"amount": "money"}),
              Sheet("chart", pd.DataFrame({"k": ["a", "b"], "v": [1, 2]}),
                    charts=[Chart("pie", "t", "chart", "k", ["v"])])]
    path = tmp_path / "big.xlsx"
    write_report_workbook(sheets, path)
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb["big"]
    last = list(ws.iter_rows(min_row=n + 1, max_row=n + 1, values_only=True))[0]
    assert last[0] == f"C{n - 1:06d}" and last[1] == pytest.approx((n - 1) * 1.5)
    assert len(chart_parts(path)) == 1


@given(st.lists(st.sampled_from([0.0, 5.0, 12.5, 99.0, 100.0, float("nan")]), max_size=30), st.integers(0, 8))
def test_top_customers_are_the_whole_sort_cut(values, rows):
    """The customer sheets' first rows (highest value first, then id) sorting only the rows that can be among
    them are those of sorting every row; ties at the cut and NaN included, and the note counts every row."""
    from crmcli.report.labels import Labeller
    from crmcli.report.sheets import Limit

    table = pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(len(values))][::-1], "monetary": values})
    limit, t = Limit(rows=rows), Labeller("en")
    got, note = limit.top(t, table, "monetary")
    want, want_note = limit.cut(t, table.sort_values(["monetary", "customer_id"], ascending=[False, True]))
    pd.testing.assert_frame_equal(got, want)
    assert note == want_note
