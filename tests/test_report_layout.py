"""The report as a manager opens and prints it: page setup, KPI cards, charts and their series, the cohort colour
scale, contacts from the orders, Chinese codes and messages, one format table (read back with openpyxl)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from crmcli.config import load_settings
from crmcli.formats import KIND_FORMATS, METRIC_KINDS, POINTS, arrow_format, format_value
from crmcli.io import read_table
from crmcli.io.xlsx import display_width
from crmcli.report import Chart, Sheet, build_report, make_report, write_report_workbook
from crmcli.report.summary import CARD_METRICS, RATE_METRICS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The example report with every input (crm.toml: customers, leads, campaigns)."""
    out = tmp_path_factory.mktemp("layout") / "report.xlsx"
    result = make_report(load_settings(EXAMPLES / "crm.toml"), output=str(out))
    return result.report, out, openpyxl.load_workbook(out)


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout_en") / "report.xlsx"
    settings = load_settings(EXAMPLES / "crm.toml")
    from dataclasses import replace

    result = make_report(replace(settings, lang="en"), output=str(out))
    return result.report, out, openpyxl.load_workbook(out)


def charts_of(path: Path) -> dict[str, list[str]]:
    """Sheet title -> the XML of each chart on it."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        sheets = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', book)
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
        out: dict[str, list[str]] = {}
        for title, rid in sheets:
            sheet = "xl/" + targets[rid]
            srels = sheet.replace("worksheets/", "worksheets/_rels/") + ".rels"
            if srels not in names:
                out[title] = []
                continue
            drawing = re.findall(r'Target="\.\./drawings/(drawing\d+\.xml)"', z.read(srels).decode())
            xml = []
            for d in drawing:
                drels = z.read(f"xl/drawings/_rels/{d}.rels").decode()
                for chart in re.findall(r'Target="\.\./charts/(chart\d+\.xml)"', drels):
                    xml.append(z.read(f"xl/charts/{chart}").decode())
            out[title] = xml
        return out


SERIES_HEADERS: dict[str, list[str]] = {}


def series_names(xml: str) -> list[str]:
    """The series' names: the header cells their ``<c:tx>`` points at."""
    refs = re.findall(r"<c:ser>.*?<c:tx><c:strRef><c:f>'?([^'!<]+)'?!\$([A-Z]+)\$1</c:f>", xml, re.S)
    return [SERIES_HEADERS[sheet][openpyxl.utils.column_index_from_string(col) - 1] for sheet, col in refs]


def table_at(ws, header_row: int) -> pd.DataFrame:
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


# --------------------------------------------------------------------------- print and screen layout


def test_every_sheet_prints_landscape_one_page_wide_with_header_rows_area_and_page_numbers(full):
    report, path, wb = full
    charts = charts_of(path)
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert ps.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ps.fitToWidth or 1) == 1, ws.title          # one page wide (1 is Excel's default, left out)
        assert ws.print_area, ws.title
        assert "销售报告" in ws.oddHeader.left.text and ws.oddHeader.center.text == "&A"
        assert ws.oddHeader.right.text == f"截至 {report.as_of:%Y-%m-%d}"
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        if ws.title == "概览":
            assert (ps.fitToHeight if ps.fitToHeight is not None else 1) == 1      # a card page, on one page
            assert ws.sheet_view.showGridLines is False
            continue
        assert ps.fitToHeight == 0, ws.title     # as many pages tall as it takes
        if ws.max_column > 1:
            assert ws.print_title_rows == "$1:$1", ws.title   # the header row on every page
        # the print area holds the table and every chart beside it
        area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
        last_col = openpyxl.utils.column_index_from_string(re.findall(r"\$([A-Z]+)\$\d+$", area)[0])
        assert last_col >= ws.max_column
        for chart in ws._charts:
            anchor = chart.anchor._from
            assert anchor.col < last_col, ws.title
        assert len(ws._charts) == len(charts[ws.title])


def test_cjk_columns_are_two_wide_and_text_is_indented_off_numbers(full):
    _, _, wb = full
    assert display_width("客户名称") == 8 and display_width("ＡＢ") == 4 and display_width("abc") == 3
    ws = wb["数据质量"]
    headers = [c.value for c in ws[1]]
    col = headers.index("说明") + 1
    letter = openpyxl.utils.get_column_letter(col)
    assert ws.column_dimensions[letter].width >= 40
    rows_col = headers.index("行号 (前10个)") + 1
    cell = ws.cell(2, rows_col)
    assert cell.alignment.indent >= 1           # "3 16, 28, 41" no more: the row list stands off the count
    assert ws.cell(2, headers.index("数量") + 1).number_format == "#,##0"
    # a wrapped message's row is as tall as its lines
    wrapped = [r for r in range(2, ws.max_row + 1) if ws.cell(r, col).alignment.wrap_text]
    assert wrapped
    long = max(wrapped, key=lambda r: len(str(ws.cell(r, col).value or "")))
    if display_width(str(ws.cell(long, col).value)) > ws.column_dimensions[letter].width:
        assert ws.row_dimensions[long].height and ws.row_dimensions[long].height > 15


# --------------------------------------------------------------------------- Summary cards


def test_summary_cards_are_merged_with_large_values_and_arrows(full):
    report, _, wb = full
    ws = wb["概览"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:F1", "B4:C4", "D4:E4", "B5:C5"} <= merged        # title; cards over two columns
    header = next(r for r in range(1, 40) if ws.cell(r, 1).value == "指标")
    labels = {ws.cell(r, c).value: (r, c) for r in range(4, header) for c in (1, 2, 4)
              if isinstance(ws.cell(r, c).value, str)}
    for key in CARD_METRICS:
        from crmcli.report.labels import Labeller

        label = Labeller("zh").metric(key)
        assert label in labels, label
        r, c = labels[label]
        value, detail, change = ws.cell(r + 1, c), ws.cell(r + 2, c), ws.cell(r + 3, c)
        assert value.font.sz >= 16 and value.font.b
        assert value.number_format == KIND_FORMATS[METRIC_KINDS[key]]
        assert detail.value.startswith("上期")
        fmt = change.number_format
        assert "▲" in fmt and "▼" in fmt
        if key in RATE_METRICS:
            assert "个百分点" in fmt and "%" not in fmt      # percentage points, never a relative change
        if change.value not in (None, 0):
            colour = change.font.color.rgb[-6:]
            good = (change.value > 0) == (key not in ("churn_rate", "refund_amount"))
            assert colour == ("1E7B34" if good else "C0392B"), key


def test_summary_rate_changes_are_percentage_points(full):
    report, _, wb = full
    ws = wb["概览"]
    header = next(r for r in range(1, 40) if ws.cell(r, 1).value == "指标")
    df = table_at(ws, header)
    rows = {r[0]: (header + 1 + i, r) for i, r in enumerate(df.itertuples(index=False, name=None))}
    for label in ("复购率", "流失率"):
        r, (_, _, cur, prev, change, _) = rows[label]
        assert change == pytest.approx((cur - prev) * 100)
        assert ws.cell(r, 5).number_format == POINTS["zh"]
    r, (_, _, cur, prev, change, _) = rows["销售额"]
    assert change == pytest.approx(cur / prev - 1) and "%" in ws.cell(r, 5).number_format
    assert ws.cell(r, 6).alignment.wrap_text                  # definitions wrap, their rows sized
    assert format_value(-20.8, "points", "zh") == "-20.8 个百分点" and format_value(3, "points") == "+3.0 pp"


def test_english_summary_says_pp(english):
    _, _, wb = english
    ws = wb["Summary"]
    formats = {c.number_format for row in ws.iter_rows() for c in row}
    assert POINTS["en"] in formats and arrow_format("points", "en") in formats
    assert ws.oddHeader.right.text.startswith("As of ") and "Page &P of &N" == ws.oddFooter.center.text


# --------------------------------------------------------------------------- charts


def test_charts_answer_the_questions(full):
    report, path, wb = full
    charts = charts_of(path)
    SERIES_HEADERS.update({ws.title: [c.value for c in ws[1]] for ws in wb.worksheets})
    sales = table_at(wb["月度销售"], 1)
    channels = [c for c in sales.columns if c not in ("月份", "合计", "订单数", "客户数")]
    by_channel, orders = charts["月度销售"]
    assert '<c:grouping val="stacked"/>' in by_channel and series_names(by_channel) == channels
    assert "<c:lineChart>" in orders and series_names(orders) == ["订单数", "客户数"]
    # the totals row is not plotted
    assert f"$A$2:$A${len(sales)}" in by_channel
    (forecast,) = charts["销售预测"]
    assert series_names(forecast) == ["实际销售额", "预测销售额", "销售额下限", "销售额上限"]
    assert forecast.count('<a:prstDash val="dash"/>') == 2          # the interval: dashed bounds
    (segments,) = charts["RFM分群"]
    assert series_names(segments) == ["客户占比", "销售额占比"] and '<c:barDir val="bar"/>' in segments
    (funnel,) = charts["转化漏斗"]
    assert series_names(funnel) == ["到达此阶段"]
    stages = table_at(wb["转化漏斗"], 1)
    first = f"{int(stages['到达此阶段'].iloc[0]):,} ({stages['占全部线索'].iloc[0]:.1%})"
    assert first in funnel                                            # reached counts labelled with their rate
    roas, roi = charts["营销活动"]
    assert series_names(roas) == ["投入产出比 (ROAS)"] and series_names(roi) == ["ROI (收益率)"]
    (products,) = charts["产品排行"]
    assert series_names(products) == ["销售额"]
    assert all(not charts[s] for s in ("客户", "数据质量", "同期群留存"))


# --------------------------------------------------------------------------- cohorts


def test_cohorts_one_colour_scale_blank_unobservable_cells_frozen_first_column(full):
    report, _, wb = full
    ws = wb["同期群留存"]
    assert ws.freeze_panes == "B2"
    rules = [(str(rng.sqref), r) for rng in ws.conditional_formatting for r in rng.rules]
    assert len(rules) == 1                                  # one scale for the whole matrix
    sqref, rule = rules[0]
    header = [c.value for c in ws[1]]
    first, last = header.index("+0") + 1, len(header)
    assert sqref == (f"{openpyxl.utils.get_column_letter(first)}2:"
                     f"{openpyxl.utils.get_column_letter(last)}{ws.max_row}")
    cs = rule.colorScale
    assert rule.type == "colorScale" and len(cs.cfvo) == 2
    assert cs.cfvo[0].type == "num" and float(cs.cfvo[0].val) == 0 and cs.color[0].rgb.endswith("FFFFFF")
    later = report.tables["cohorts"].drop(columns=["cohort", "customers", "0"]).stack().max()
    assert float(cs.cfvo[1].val) == pytest.approx(later)   # top colour: the best retention after +0
    matrix = report.tables["cohorts"]
    for i, row in enumerate(matrix.itertuples(index=False)):
        for j, age in enumerate(matrix.columns[2:]):
            v = ws.cell(i + 2, first + j).value
            assert (v is None) == pd.isna(getattr(row, "_" + str(2 + j), row[2 + j])), (i, age)


# --------------------------------------------------------------------------- Customers from the orders


def _messy_orders(tmp_path: Path) -> Path:
    rows = [
        # the top spender: name and phone only in the orders; the latest order has the latest name
        ["S1", "C1", "王小明", "13812345678", "2024-01-05", "茶叶", "5000"],
        ["S2", "C1", "王小明（VIP）", "", "2024-03-05", "茶具", "3000"],
        # a phone Excel turned into a float: never shown, a note says why
        ["S3", "C2", "李雷", "1.58573E+10", "2024-02-01", "茶叶", "900"],
        ["S4", "C2", "李雷", "1.58573E+10", "2024-02-11", "茶叶", "100"],
        # a valid phone earlier, a broken one later: the valid one
        ["S5", "C3", "韩梅梅", "13900001111", "2024-01-01", "茶叶", "300"],
        ["S6", "C3", "韩梅梅", "139", "2024-03-01", "茶叶", "300"],
    ]
    df = pd.DataFrame(rows, columns=["订单号", "客户ID", "客户名称", "手机", "下单日期", "产品", "金额"])
    path = tmp_path / "orders.csv"
    df.to_csv(path, index=False)
    return path


def test_customers_get_names_and_phones_from_the_orders(tmp_path):
    path = _messy_orders(tmp_path)
    report = build_report(read_table(path), source="orders.csv")
    out = tmp_path / "r.xlsx"
    report.write(out)
    cust = table_at(openpyxl.load_workbook(out)["客户"], 1).set_index("客户ID")
    assert cust.index[0] == "C1"                                        # largest spender first
    assert cust.at["C1", "客户名称"] == "王小明(VIP)"                      # the most recent value, normalized
    assert cust.at["C1", "电话"] == "+8613812345678"                    # normalized, from an earlier order
    assert cust.at["C3", "电话"] == "+8613900001111"                    # the broken later one is not used
    assert cust.at["C2", "电话"] in (None, "")                          # never 1.58573E+10
    assert "电话位数丢失" in cust.at["C2", "联系方式备注"] and "第 5 行" in cust.at["C2", "联系方式备注"]
    assert pd.isna(cust.at["C1", "联系方式备注"]) or cust.at["C1", "联系方式备注"] in ("", None)
    assert "1.58573E+10" not in cust.to_string()


def test_customers_file_wins_and_its_bad_values_are_blank_too(tmp_path):
    path = _messy_orders(tmp_path)
    customers = pd.DataFrame({"客户ID": ["C1", "C2"], "姓名": ["王明", ""], "电话": ["1.38123E+10", "13700002222"],
                              "城市": ["上海", "北京"]})
    cpath = tmp_path / "customers.csv"
    customers.to_csv(cpath, index=False)
    report = build_report(read_table(path), customers=read_table(cpath), lang="en")
    out = tmp_path / "r.xlsx"
    report.write(out)
    cust = table_at(openpyxl.load_workbook(out)["Customers"], 1).set_index("Customer ID")
    assert cust.at["C1", "Name"] == "王明" and cust.at["C1", "City"] == "上海"   # the file first
    assert cust.at["C1", "Phone"] == "+8613812345678"         # its phone is lossy: the orders' valid one instead
    assert cust.at["C2", "Name"] == "李雷"                     # blank in the file: from the orders
    assert cust.at["C2", "Phone"] == "+8613700002222"
    assert pd.isna(cust.at["C3", "City"]) or cust.at["C3", "City"] == ""


# --------------------------------------------------------------------------- one table of formats


def test_the_report_and_the_commands_format_numbers_alike(full, tmp_path):
    from typer.testing import CliRunner

    from crmcli.cli import app

    report, _, wb = full
    runner = CliRunner()
    orders = str(EXAMPLES / "orders.xlsx")
    for args in (["metrics", orders, "-o", str(tmp_path / "m.xlsx")], ["rfm", orders, "-o", str(tmp_path / "r.xlsx")],
                 ["pivot", orders, "--rows", "channel", "--values", "amount", "-o", str(tmp_path / "p.xlsx")],
                 ["metrics", orders, "--by", "month", "-o", str(tmp_path / "mm.xlsx")]):
        res = runner.invoke(app, [*args, "-q"])
        assert res.exit_code == 0, res.output
    kpis = openpyxl.load_workbook(tmp_path / "m.xlsx")["kpis"]
    fmts = {r[0].value: r[1].number_format for r in kpis.iter_rows(min_row=2)}
    assert fmts["revenue"] == "#,##0.00" and fmts["orders"] == "#,##0" and fmts["repurchase_rate"] == "0.0%"
    assert fmts["orders_per_customer"] == "0.00" and "General" not in fmts.values()
    rfm = table_formats(openpyxl.load_workbook(tmp_path / "r.xlsx")["rfm"])
    assert rfm["monetary"] == "#,##0.00" and rfm["frequency"] == "#,##0" and rfm["r_score"] == "#,##0"
    periods = table_formats(openpyxl.load_workbook(tmp_path / "mm.xlsx")["periods"])
    assert periods["new_customers"] == "#,##0" and periods["revenue"] == "#,##0.00"
    pivot = openpyxl.load_workbook(tmp_path / "p.xlsx")["pivot"]
    assert pivot.cell(2, 2).number_format == "#,##0.00"
    customers = table_formats(wb["客户"])
    assert customers["消费总额"] == rfm["monetary"] and customers["订单数"] == rfm["frequency"]
    assert customers["存活概率"] == "0.0%"


def table_formats(ws) -> dict[str, str]:
    return {ws.cell(1, c).value: ws.cell(2, c).number_format for c in range(1, ws.max_column + 1)}


def test_any_sheet_gets_the_layout(tmp_path):
    """A sheet another stage adds (e.g. a sales-team sheet) prints the same way, charts placed beside it."""
    df = pd.DataFrame({"team": ["北区", "南区"], "revenue": [1200.5, 800.0], "share": [0.6, 0.4]})
    sheets = [Sheet("销售团队", df, kinds={"revenue": "money", "share": "percent"},
                    charts=[Chart("column", "by team", "销售团队", "team", ["revenue"])])]
    out = tmp_path / "t.xlsx"
    write_report_workbook(sheets, out)
    ws = openpyxl.load_workbook(out)["销售团队"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert ws.cell(2, 2).number_format == "#,##0.00" and ws.cell(2, 3).number_format == "0.0%"
    anchor = ws._charts[0].anchor._from
    assert anchor.col == 4 and anchor.row == 1          # after one empty column, beside the header row


def test_campaigns_as_marketers_count_them_and_the_team_sheet_take_the_one_format_table(tmp_path):
    """The Campaigns sheet's new columns (CTR, cost by type, ROAS as 1:N, flags) and the Team sheet: formats from
    crmcli.formats by the library's column names, Chinese flags, the ROAS/ROI bars, the print layout."""
    orders = read_table(EXAMPLES / "order_lines.csv")
    campaigns = read_table(EXAMPLES / "campaign_results.csv")
    report = build_report(orders, campaigns=campaigns, lang="zh")
    out = tmp_path / "r.xlsx"
    report.write(out)
    wb = openpyxl.load_workbook(out)
    camp = table_formats(wb["营销活动"])
    assert camp["点击率"] == camp["转化率"] == "0.0%" and camp["曝光量"] == camp["成交人数"] == "#,##0"
    assert camp["广告费用"] == camp["人力成本"] == camp["费用"] == "#,##0.00" and camp["投入产出比 (ROAS)"] == "0.00"
    assert camp["投入产出比 (1:N)"] == "General"          # text: 1:6.7
    ws = wb["营销活动"]
    headers = [c.value for c in ws[1]]
    flags = {ws.cell(r, headers.index("提示") + 1).value for r in range(2, ws.max_row + 1)} - {None, ""}
    assert flags and all(not any(ch.isascii() and ch.isalpha() for ch in f) for f in flags)   # 点击率低, …
    charts = charts_of(out)
    assert len(charts["营销活动"]) == 2
    team = table_formats(wb["销售团队"])
    assert team["销售额"] == team["平均订单金额 (AOV)"] == "#,##0.00" and team["订单数"] == "#,##0"
    assert wb["销售团队"].page_setup.orientation == "landscape" and wb["销售团队"].print_title_rows == "$1:$1"


def test_the_sales_commands_format_numbers_from_the_same_table(tmp_path):
    from typer.testing import CliRunner

    from crmcli.cli import app

    runner = CliRunner()
    for args in (["basket", str(EXAMPLES / "order_lines.csv"), "-o", str(tmp_path / "b.xlsx")],
                 ["pipeline", str(EXAMPLES / "opportunities.csv"), "-o", str(tmp_path / "p.xlsx")],
                 ["metrics", str(EXAMPLES / "order_lines.csv"), "--team", "-o", str(tmp_path / "t.xlsx")]):
        res = runner.invoke(app, [*args, "-q"])
        assert res.exit_code == 0, res.output
    basket = openpyxl.load_workbook(tmp_path / "b.xlsx").worksheets[0]
    b = table_formats(basket)
    assert b["support"] == b["confidence"] == KIND_FORMATS["percent"] and b["lift"] == KIND_FORMATS["ratio"]
    assert b["count"] == KIND_FORMATS["int"]
    p = table_formats(openpyxl.load_workbook(tmp_path / "p.xlsx").worksheets[0])
    assert p["weighted_pipeline"] == p["open_amount"] == KIND_FORMATS["money"]
    assert p["avg_probability"] == KIND_FORMATS["percent"] and p["open_opportunities"] == KIND_FORMATS["int"]
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    t = table_formats(wb["team"] if "team" in wb.sheetnames else wb.worksheets[0])
    assert t["revenue"] == KIND_FORMATS["money"] and t["orders"] == KIND_FORMATS["int"]


def test_the_readme_shows_a_picture_of_every_sheet_and_the_page(full):
    """tools/report_pictures.py writes one picture per sheet of the example report and two of the web page; the
    README shows each, and none is stale (a sheet added to the report needs its picture made again)."""
    report, _, _ = full
    root = EXAMPLES.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"\]\((docs/report/[\w.-]+\.png)\)", readme)
    want = [f"docs/report/sheet-{k:02d}.png" for k in range(1, len(report.sheets) + 1)]
    want += ["docs/report/html-phone.png", "docs/report/html-desktop.png"]
    assert sorted(shown) == sorted(want)
    on_disk = sorted(f"docs/report/{p.name}" for p in (root / "docs" / "report").glob("*.png"))
    assert on_disk == sorted(want)
    for path in want:
        assert (root / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
