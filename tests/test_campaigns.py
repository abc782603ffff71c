"""Campaigns as marketers count them: impressions, clicks, participants, buyers, cost types, 1:N, flags."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from crmcli.metrics import compute_metrics
from crmcli.metrics.campaigns import roas_text

#: The seeds' worked example: 5,000 participants -> 500 buyers = 10 %; 5万 cost -> 20万 revenue = ROAS 4 = 1:4.
CAMPAIGNS = """活动,开始日期,曝光量,点击量,参与人数,成交人数,广告费用,人力成本,物料费用
春季新品,2024-03-01,12万,"3,600",5000,500,3万,1.5万,5000
会员日,2024-03-10,"200,000",400,8000,80,¥20000,5000,
老客短信,2024-03-15,"10,000",900,600,120,800,,200
""".encode()


def orders_csv() -> bytes:
    """500 orders of 400 tagged 春季新品 (20万), 80 of 250 tagged 会员日, 120 of 50 tagged 老客短信."""
    rows = ["订单号,客户ID,下单日期,金额,活动"]
    k = 0
    for campaign, n, amount in (("春季新品", 500, 400), ("会员日", 80, 250), ("老客短信", 120, 50)):
        for i in range(n):
            k += 1
            rows.append(f"SO{k},C{k},2024-03-{1 + i % 28:02d},{amount},{campaign}")
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def files(tmp_path):
    o, c = tmp_path / "orders.csv", tmp_path / "campaigns.csv"
    o.write_bytes(orders_csv())
    c.write_bytes(CAMPAIGNS)
    return o, c


def test_the_seeds_worked_example(files):
    o, c = files
    t = compute_metrics(str(o), campaigns=str(c)).campaigns.table.set_index("campaign")
    spring = t.loc["春季新品"]
    assert spring["participants"] == 5000 and spring["buyers"] == 500
    assert spring["conversion_rate"] == pytest.approx(0.10)
    assert spring["cost_ads"] == 30000 and spring["cost_staff"] == 15000 and spring["cost_material"] == 5000
    assert spring["cost"] == 50000 and spring["attributed_revenue"] == 200000
    assert spring["roas"] == pytest.approx(4.0) and spring["roas_text"] == "1:4" and spring["roi"] == pytest.approx(3)
    assert spring["impressions"] == 120000 and spring["clicks"] == 3600 and spring["ctr"] == pytest.approx(0.03)
    assert spring["flag"] == ""


def test_flags_follow_the_stated_rules(files):
    o, c = files
    t = compute_metrics(str(o), campaigns=str(c)).campaigns.table.set_index("campaign")
    # overall conversion = (500 + 80 + 120) ÷ (5000 + 8000 + 600) = 5.1 %; median participants 5,000
    # 会员日: 8,000 participants (≥ median), 1 % < 2.6 % -> high reach, low conversion; ctr 0.2 % < 1.3 % / 2;
    # revenue 20,000 ÷ cost 25,000 -> ROAS 0.8 < 1
    assert t.loc["会员日", "flag"] == "high reach, low conversion; low CTR; ROAS < 1"
    assert t.loc["会员日", "roas_text"] == "1:0.8" and t.loc["会员日", "cost"] == 25000
    # 老客短信: few participants, 20 % conversion; ctr 9 %; revenue 6,000 ÷ 1,000 = 1:6
    assert t.loc["老客短信", "flag"] == "" and t.loc["老客短信", "roas_text"] == "1:6"


def test_response_rate_and_conversion_rate_are_kept_apart(tmp_path):
    """Contact rows: responded (是否响应) is a response; participated (是否参与) makes a participant; buyers are
    participants with an attributed purchase."""
    o = tmp_path / "o.csv"
    o.write_text("订单号,客户ID,下单日期,金额\nA1,C1,2024-03-05,100\nA2,C2,2024-03-06,80\nA3,C4,2024-03-07,60\n",
                 encoding="utf-8")
    c = tmp_path / "c.csv"
    c.write_text("活动,客户ID,触达日期,是否响应,是否参与,费用\n"
                 "试用活动,C1,2024-03-01,是,是,\n试用活动,C2,2024-03-01,否,是,\n试用活动,C3,2024-03-01,是,否,\n"
                 "试用活动,C4,2024-03-01,否,否,\n试用活动,,2024-03-01,,,300\n", encoding="utf-8")
    t = compute_metrics(str(o), campaigns=str(c)).campaigns.table.set_index("campaign").loc["试用活动"]
    assert t["contacted"] == 4 and t["responders"] == 2 and t["response_rate"] == 0.5
    assert t["participants"] == 2 and t["buyers"] == 2 and t["conversion_rate"] == 1.0  # C4 bought, not a participant
    assert t["attributed_orders"] == 3 and t["roas_text"] == "1:0.8"


def test_a_cost_total_beside_its_types_is_used_and_a_mismatch_noted(tmp_path):
    o = tmp_path / "o.csv"
    o.write_text("订单号,客户ID,下单日期,金额,活动\nA1,C1,2024-03-05,100,X\n", encoding="utf-8")
    c = tmp_path / "c.csv"
    c.write_text("Campaign,Ad spend,Staff cost,Total cost\nX,100,50,150\nX,30,,\nX,10,10,25\n", encoding="utf-8")
    rep = compute_metrics(str(o), campaigns=str(c)).campaigns
    t = rep.table.set_index("campaign").loc["X"]
    assert t["cost_ads"] == 140 and t["cost_staff"] == 60 and t["cost"] == 150 + 30 + 25
    assert any("differs from the sum of their cost types" in n and "rows 4" in n for n in rep.notes)


@pytest.mark.parametrize("roas, text", [(4.0, "1:4"), (0.97825, "1:0.98"), (3.456, "1:3.46"), (12.5, "1:12.5"),
                                        (float("nan"), "")])
def test_roas_text(roas, text):
    assert roas_text(roas) == text


def test_cli_csv_and_xlsx_and_the_report_sheet(run, files, tmp_path):
    o, c = files
    res = run(["metrics", o, "--campaigns", c, "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(io.StringIO(res.stdout)).set_index("campaign")
    assert got.loc["春季新品", "roas_text"] == "1:4" and got.loc["春季新品", "conversion_rate"] == 0.1
    out = tmp_path / "m.xlsx"
    assert run(["metrics", o, "--campaigns", c, "-o", out, "-q"]).exit_code == 0
    ws = openpyxl.load_workbook(out)["campaigns"]
    head = [x.value for x in ws[1]]
    assert ws.cell(2, head.index("ctr") + 1).number_format == "0.0%"
    assert ws.cell(2, head.index("roas_text") + 1).value == "1:4"
    rep = tmp_path / "r.xlsx"
    assert run(["report", o, "--campaigns", c, "-o", rep, "--lang", "zh", "-q"]).exit_code == 0
    sheet = openpyxl.load_workbook(rep)["营销活动"]
    rows = list(sheet.iter_rows(values_only=True))
    table = pd.DataFrame(rows[1:], columns=rows[0]).set_index("活动")
    assert table.loc["春季新品", "投入产出比 (1:N)"] == "1:4" and table.loc["春季新品", "转化率"] == 0.1
    assert table.loc["会员日", "提示"] == "高参与低转化；点击率低；投入产出比低于1:1"


def test_the_example_campaign_results_file(examples):
    """examples/campaign_results.csv reports each campaign's own revenue (成交金额): 双11大促 is the seeds' example."""
    rep = compute_metrics(str(examples / "orders.xlsx"), campaigns=str(examples / "campaign_results.csv")).campaigns
    t = rep.table.set_index("campaign")
    assert t.loc["双11大促"][["participants", "buyers", "conversion_rate", "attributed_revenue", "cost", "roas"]].tolist() \
        == [5000, 500, 0.1, 200000, 50000, 4.0]
    assert t.loc["双11大促", "roas_text"] == "1:4" and t.loc["双11大促", "impressions"] == 850000
    assert t.loc["618年中", "flag"] == "high reach, low conversion; ROAS < 1"
    assert t.loc["会员日", "cost"] == 3800 and t.loc["会员日", "cost_ads"] == 0
