"""Pipeline and the sales team: weighted pipeline, the funnel per owner/source, crm metrics --team, quotas."""

from __future__ import annotations

import io
import math

import openpyxl
import pandas as pd
import pytest

from crmcli.errors import UsageError
from crmcli.io import read_table
from crmcli.metrics import compute_metrics, compute_pipeline
from crmcli.metrics.pipeline import parse_probability

ORDERS = """订单号,客户ID,下单日期,金额,销售员
S1,C1,2024-01-05,100,张伟
S2,C1,2024-02-10,300,张伟
S3,C2,2024-02-20,200,李娜
S4,C3,2024-03-01,50,李娜
S5,C4,2024-03-15,400,
S6,C2,2024-03-20,-50,李娜
"""
LEADS = """线索编号,线索日期,客户ID,阶段,负责人,来源
L1,2024-01-01,C1,成交,张伟,展会
L2,2024-02-01,C2,报价,李娜,官网
L3,2024-02-15,,新线索,李娜,官网
L4,2024-03-10,C4,意向,王磊,展会
"""
OPPORTUNITIES = """Opportunity ID,Account,Owner,Stage,Amount,Probability (%),Close Date
O1,Acme,Zhang Wei,Qualification,"$10,000",,2024-07-10
O2,Globex,Li Na,Proposal/Price Quote,20000,80%,2024-07-20
O3,Initech,Zhang Wei,Closed Won,5000,,2024-06-01
O4,Umbrella,Li Na,Closed Lost,8000,,2024-06-05
O5,Hooli,Wang Lei,Negotiation/Review,,,2024-08-01
O6,Stark,Wang Lei,Prospecting,1.2万,,
"""


@pytest.fixture
def files(tmp_path):
    out = {}
    for name, text in (("orders", ORDERS), ("leads", LEADS), ("opps", OPPORTUNITIES)):
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text, encoding="utf-8")
    return out


def team(files, **kw):
    kw.setdefault("as_of", "2024-03-31")
    return compute_metrics(str(files["orders"]), team=True, **kw).team.table.set_index("owner")


# ----------------------------------------------------------------- the team


def test_team_per_owner_from_the_orders_owner_column(files):
    t = team(files)
    assert list(t.index) == ["张伟", "李娜", "(unassigned)", "Total"]  # by revenue, unassigned and Total last
    assert t.loc["张伟"][["revenue", "orders", "customers", "new_customers", "aov"]].tolist() == [400, 2, 1, 1, 200]
    # 李娜: 200 + 50 and the credit note S6 (−50) nets in; S6 is no order and C2's only purchase is S3
    assert t.loc["李娜"][["revenue", "orders", "customers", "aov"]].tolist() == [200, 2, 2, 100]
    assert t.loc["Total"][["revenue", "orders", "customers", "new_customers"]].tolist() == [1000, 5, 4, 4]


def test_team_conversion_sales_cycle_and_owners_with_leads_only(files):
    t = team(files, leads=str(files["leads"]))
    assert t.loc["张伟"][["leads", "converted_leads", "conversion_rate", "avg_sales_cycle_days"]].tolist() == [
        1, 1, 1.0, 4.0]  # L1 on 01-01, first order 01-05
    assert t.loc["李娜"][["leads", "converted_leads", "conversion_rate", "avg_sales_cycle_days"]].tolist() == [
        2, 1, 0.5, 19.0]  # L2 -> S3 on 02-20; L3 never bought
    assert t.loc["王磊", "revenue"] == 0 and t.loc["王磊", "converted_leads"] == 1  # S5 names no 销售员
    assert t.loc["Total", "leads"] == 4 and t.loc["Total", "conversion_rate"] == 0.75


def test_owners_from_the_leads_when_orders_have_none(files, tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(line.rsplit(",", 1)[0] for line in ORDERS.strip().splitlines()) + "\n",
                     encoding="utf-8")
    rep = compute_metrics(str(plain), team=True, leads=str(files["leads"]), as_of="2024-03-31").team
    t = rep.table.set_index("owner")
    assert rep.owners_from == "leads"
    assert t.loc["张伟", "revenue"] == 400 and t.loc["李娜", "revenue"] == 150 and t.loc["王磊", "revenue"] == 400
    assert t.loc["(unassigned)", "revenue"] == 50  # C3 came from no lead
    with pytest.raises(UsageError, match="no owner"):
        compute_metrics(str(plain), team=True)


def test_quotas_attainment_and_the_period(files, tmp_path):
    t = team(files, quota={"张伟": 800, "李娜": 1000})
    assert t.loc["张伟", "attainment"] == 0.5 and t.loc["李娜", "attainment"] == 0.2
    assert t.loc["Total", "quota"] == 1800 and t.loc["Total", "attainment"] == pytest.approx(1000 / 1800)
    assert math.isnan(t.loc["(unassigned)", "quota"])
    month = team(files, quota=500.0, team_period="month")  # March: S4, S5, S6
    assert month.loc["李娜"][["revenue", "orders", "customers"]].tolist() == [0, 1, 1]
    assert month.loc["张伟"][["revenue", "quota", "attainment"]].tolist() == [0, 500, 0]  # a quota, no order
    quotas = tmp_path / "quotas.csv"
    quotas.write_text("销售,销售目标\n张伟,¥1000\n李娜,400\n", encoding="utf-8")
    t = team(files, quota=str(quotas))
    assert t.loc["张伟", "attainment"] == 0.4 and t.loc["李娜", "attainment"] == 0.5


def test_cli_team_quota_from_crm_toml_and_formats(run, files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "crm.toml").write_text('[team]\nquota = { "张伟" = 800 }\nperiod = "quarter"\n', encoding="utf-8")
    res = run(["metrics", files["orders"], "--team", "--as-of", "2024-03-31", "-o", "-"])
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(io.StringIO(res.stdout)).set_index("owner")
    assert got.loc["张伟", "attainment"] == 0.5
    assert "team: 2 owners, 2024-01-01 .. 2024-03-31" in res.stderr
    out = tmp_path / "m.xlsx"
    res = run(["metrics", files["orders"], "--team", "--leads", files["leads"], "--quota", "1000", "-o", out, "-q"])
    assert res.exit_code == 0, res.stderr
    ws = openpyxl.load_workbook(out)["team"]
    head = [c.value for c in ws[1]]
    assert ws.cell(2, head.index("attainment") + 1).number_format == "0.0%"
    assert ws.cell(2, head.index("revenue") + 1).number_format == "#,##0.00"
    res = run(["metrics", files["orders"], "--team", "--team-period", "week"])
    assert res.exit_code == 2 and "--team-period 'week'" in res.stderr
    (tmp_path / "crm.toml").write_text('[team]\nquota = true\n', encoding="utf-8")
    res = run(["metrics", files["orders"], "--team"])
    assert res.exit_code == 2 and "team.quota" in res.stderr


# ----------------------------------------------------------------- the funnel per owner or source


def test_the_funnel_split_by_owner_or_source(files, run):
    f = compute_metrics(str(files["orders"]), leads=str(files["leads"]), group="source").funnel
    t = f.table
    assert list(t.columns[:2]) == ["source", "stage"]
    exhibition = t[t["source"] == "展会"].set_index("stage")
    assert exhibition.loc["customer", "reached"] == 2  # L1 and L4 both bought
    web = t[t["source"] == "官网"].set_index("stage")
    assert web.loc["新线索", "reached"] == 2 and web.loc["customer", "reached"] == 1
    assert f.leads == 4 and f.converted == 3  # the headline figures stay overall
    res = run(["metrics", files["orders"], "--leads", files["leads"], "--group", "source", "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr  # the orders have no source: only the funnel is split
    assert set(pd.read_csv(io.StringIO(res.stdout))["source"]) == {"展会", "官网"}
    # --group owner splits the orders' KPIs too (they have a 销售员 column): two tables, so xlsx
    res = run(["metrics", files["orders"], "--leads", files["leads"], "--group", "owner", "-o", "-", "-q"])
    assert res.exit_code == 2 and "groups and funnel are separate tables" in res.stderr
    out = files["orders"].with_name("m.xlsx")
    assert run(["metrics", files["orders"], "--leads", files["leads"], "--group", "owner", "-o", out]).exit_code == 0
    wb = openpyxl.load_workbook(out)
    assert {r[0] for r in wb["funnel"].iter_rows(min_row=2, values_only=True)} == {"张伟", "李娜", "王磊"}
    assert {r[0] for r in wb["groups"].iter_rows(min_row=2, values_only=True)} == {"张伟", "李娜", "(blank)"}
    res = run(["metrics", files["orders"], "--group", "nope", "--leads", files["leads"]])
    assert res.exit_code == 2


# ----------------------------------------------------------------- the pipeline


def test_weighted_pipeline_hand_checked(files):
    p = compute_pipeline(read_table(files["opps"]))
    t = p.table.set_index(["by", "value"])
    # O1 qualification 10,000 × 40 % (the default) + O2 20,000 × 80 % (its own) + O6 prospecting 12,000 × 10 %;
    # O5 has no amount; O3 is won, O4 lost
    assert p.weighted_pipeline == pytest.approx(4000 + 16000 + 1200) and p.open_amount == 42000
    assert p.won_amount == 5000 and p.opportunities == 6
    assert t.loc[("total", "all"), "open_opportunities"] == 4 and t.loc[("total", "all"), "won_opportunities"] == 1
    assert t.loc[("owner", "Li Na"), "weighted_pipeline"] == 16000
    assert t.loc[("close_month", "2024-07"), "weighted_pipeline"] == 20000
    assert t.loc[("close_month", "(blank)"), "open_amount"] == 12000
    stages = [v for b, v in t.index if b == "stage"]
    assert stages == ["Prospecting", "Qualification", "Negotiation/Review", "Proposal/Price Quote", "Closed Won",
                      "Closed Lost"]  # the natural order, lost last
    assert any("without an amount" in n for n in p.notes)


def test_stage_probabilities_from_settings(files):
    p = compute_pipeline(read_table(files["opps"]), probabilities={"qualified": 0.5, "Prospecting": 0.25})
    assert p.weighted_pipeline == pytest.approx(5000 + 16000 + 3000)


@pytest.mark.parametrize("text, value", [("60%", 0.6), ("0.6", 0.6), ("60", 0.6), ("１００％", 1.0), ("", None),
                                         ("high", None)])
def test_parse_probability(text, value):
    got = parse_probability(text)
    assert (math.isnan(got) if value is None else got == pytest.approx(value))


def test_cli_pipeline_and_crm_toml_probabilities(run, files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(["pipeline", files["opps"], "-o", "-"])
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(io.StringIO(res.stdout))
    assert got.loc[0, "weighted_pipeline"] == 21200
    assert "pipeline: 6 opportunities; open amount 42,000.00, weighted pipeline 21,200.00" in res.stderr
    (tmp_path / "crm.toml").write_text('[pipeline]\nprobabilities = { qualified = 0.5, "Prospecting" = 25 }\n',
                                       encoding="utf-8")
    res = run(["pipeline", files["opps"], "-o", "-", "-q"])
    assert pd.read_csv(io.StringIO(res.stdout)).loc[0, "weighted_pipeline"] == 24000
    (tmp_path / "crm.toml").write_text('[pipeline]\nprobabilities = { qualified = 150 }\n', encoding="utf-8")
    res = run(["pipeline", files["opps"], "-o", "-"])
    assert res.exit_code == 2 and "not a probability" in res.stderr
    (tmp_path / "crm.toml").unlink()
    bad = tmp_path / "no_amount.csv"
    bad.write_text("Stage,Owner\nProposal,A\n", encoding="utf-8")
    res = run(["pipeline", bad])
    assert res.exit_code == 2 and "no amount column" in res.stderr
