"""The report's CLV and forecast parts: Customers' CLV columns, At risk / 流失预警, Forecast / 销售预测, the chart."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from crmcli import fit_clv, forecast_sales
from crmcli.config import Settings
from crmcli.io import read_table
from crmcli.report import build_report

from .test_report import table

pytestmark = pytest.mark.slow   # every test here builds a whole report with the CLV and forecast sheets

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def shop_report(tmp_path_factory):
    orders = read_table(EXAMPLES / "shop_orders.csv")
    report = build_report(orders, settings=Settings(clv_horizon=180, clv_discount=0.12))
    path = tmp_path_factory.mktemp("shop") / "report.xlsx"
    report.write(path)
    return orders, report, path


def test_customers_sheet_has_the_clv_columns(shop_report):
    orders, report, path = shop_report
    assert report.lang == "en"
    wb = openpyxl.load_workbook(path)
    cust = table(wb["Customers"])
    assert list(cust.columns)[-4:] == ["P(alive)", "Expected orders", "CLV", "Churn risk"]
    want = fit_clv(orders, horizon=180, discount=0.12).table.set_index("customer_id")
    got = cust.set_index("Customer ID")
    assert np.allclose(got["P(alive)"], want.loc[got.index, "p_alive"])
    assert np.allclose(got["CLV"], want.loc[got.index, "clv"], rtol=0, atol=0.005)  # money in cents
    assert (got["Churn risk"] == want.loc[got.index, "churn_risk"]).all()
    ws = wb["Customers"]
    col = list(cust.columns).index("P(alive)") + 1
    assert ws.cell(2, col).number_format == "0.0%"


def test_at_risk_sheet_lists_high_risk_by_value_at_stake(shop_report):
    orders, _, path = shop_report
    wb = openpyxl.load_workbook(path)
    risk = table(wb["At risk"])
    want = fit_clv(orders, horizon=180, discount=0.12).table
    high = want[want["churn_risk"] == "high"].sort_values(["value_at_stake", "customer_id"], ascending=[False, True])
    assert list(risk["Customer ID"]) == list(high["customer_id"])
    assert list(risk["Value at stake"]) == sorted(risk["Value at stake"], reverse=True)
    assert (risk["P(alive)"] < 0.5).all()
    assert {"Monetary", "Last order", "Segment", "Tier"} <= set(risk.columns)


def test_forecast_sheet_and_its_line_chart(shop_report):
    orders, report, path = shop_report
    wb = openpyxl.load_workbook(path)
    fc = table(wb["Forecast"])
    want = forecast_sales(orders, as_of=report.as_of)
    assert len(fc) == len(want.table)
    actual = fc["Actual revenue"].dropna()
    assert len(actual) == 36 and fc["Forecast revenue"].notna().sum() == 7  # 6 ahead + the joining point
    fut = want.table[want.table["kind"] == "forecast"]
    assert np.allclose(fc["Forecast revenue"].dropna().iloc[1:], fut["revenue"])
    assert np.allclose(fc["Revenue, upper bound"].dropna(), fut["revenue_hi"])
    with zipfile.ZipFile(path) as z:
        sheets = {n: z.read(n).decode() for n in z.namelist()}
    # the chart on the Forecast sheet: a line chart with actual, forecast and both bounds
    charts = [x for n, x in sheets.items()
              if re.fullmatch(r"xl/charts/chart\d+\.xml", n) and "<c:f>Forecast!$A$2:" in x]
    assert len(charts) == 1 and "<c:lineChart>" in charts[0]
    assert charts[0].count("<c:ser>") == 4 and charts[0].count('prstDash val="dash"') == 2
    bt = table(wb["Forecast backtest"])
    assert set(bt["Series"]) == {"Revenue", "Orders"} and (bt["Beats seasonal naive"] == "yes").all()


def test_small_or_short_data_get_a_sentence_not_an_error(tmp_path):
    orders = pd.DataFrame({"客户ID": ["A", "B", "A"], "下单日期": ["2024-01-05", "2024-01-09", "2024-02-01"],
                           "金额": ["100", "50", "80"]})
    report = build_report(orders)
    names = report.sheet_names
    assert "流失预警" in names and "销售预测" in names and "预测回测" in names
    path = tmp_path / "r.xlsx"
    report.write(path)
    wb = openpyxl.load_workbook(path)
    assert "2 customers are too few" in wb["流失预警"]["A1"].value
    assert "too short to forecast" in wb["销售预测"]["A1"].value
    assert any(n.startswith("clv:") for n in report.notes) and any(n.startswith("forecast:") for n in report.notes)
    cust = table(wb["客户"])
    assert "存活概率" not in cust.columns  # no CLV columns when the fit was not possible
