"""`crm metrics`: files and stdin, csv/xlsx/json, cohorts, leads, campaigns, exit codes."""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
import pytest

from crmcli.metrics import compute_metrics

from .conftest import run_crm

ORDERS_CSV = """订单号,客户ID,下单日期,金额,渠道
A1,C1,2024-01-05,100,天猫
A2,C1,2024-02-10,50,京东
A3,C2,2024-01-20,200,天猫
A4,C3,2024-03-01,80,天猫
A5,C3,2024-03-15,-30,天猫
A6,C4,2024-03-30,60,京东
A7,C5,not a date,10,京东
""".encode()


def read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype={"metric": str})


def test_kpis_to_stdout_equal_the_library_call(run, examples):
    res = run(["metrics", examples / "orders.xlsx", "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr
    got = read_csv(res.stdout)
    lib = compute_metrics(str(examples / "orders.xlsx")).kpis
    assert list(got.columns) == ["metric", "value", "label_zh", "definition"]
    assert list(got["metric"]) == list(lib["metric"])
    assert got["value"].tolist() == pytest.approx(lib["value"].tolist())


def test_stdin_hand_checked_and_notes(run):
    res = run(["metrics", "-", "--as-of", "2024-03-31", "--churn-days", "30"], input=ORDERS_CSV)
    assert res.exit_code == 0, res.stderr
    kpi = read_csv(res.stdout).set_index("metric")["value"]
    # A5 (-30, its own order id) is a credit note: it nets into revenue but is not an order
    assert kpi["customers"] == 4 and kpi["orders"] == 5
    assert kpi["revenue"] == pytest.approx(460) and kpi["refund_amount"] == pytest.approx(30)
    assert kpi["aov"] == pytest.approx(92) and kpi["revenue_per_customer"] == pytest.approx(115)
    assert kpi["repurchase_rate"] == pytest.approx(0.25)
    said = " ".join(res.stderr.split())
    assert "1 credit note" in said and "not purchases" in said
    assert "1 row(s) left out: invalid-date" in res.stderr
    assert "客单价" in res.stderr


def test_by_month_json_and_group(run):
    res = run(["metrics", "-", "--by", "month", "--format", "json", "-q"], input=ORDERS_CSV)
    assert res.exit_code == 0, res.stderr
    rows = json.loads(res.stdout)
    assert [r["period"] for r in rows] == ["2024-01", "2024-02", "2024-03"]
    assert rows[0]["retention"] is None and rows[1]["retention"] == pytest.approx(0.5)
    assert list(rows[0]) == ["period", "orders", "customers", "revenue", "aov", "new_customers",
                             "returning_customers", "retention", "churn"]
    res = run(["metrics", "-", "--group", "channel", "-o", "-", "-q"], input=ORDERS_CSV)
    g = read_csv(res.stdout).set_index("渠道" if "渠道" in res.stdout.splitlines()[0] else "channel")
    assert g.loc["天猫", "orders"] == 3 and g.loc["京东", "revenue"] == pytest.approx(110)   # A5: a credit note
    res = run(["metrics", "-", "--group", "渠道", "--by", "quarter", "-o", "-", "-q"], input=ORDERS_CSV)
    q = read_csv(res.stdout)
    assert list(q.columns[:2]) == ["渠道", "period"] and set(q["渠道"]) == {"天猫", "京东"}


def test_xlsx_workbook_with_every_table_and_cohorts(run, examples, tmp_path):
    out, coh = tmp_path / "m.xlsx", tmp_path / "cohorts.csv"
    res = run(["metrics", examples / "orders.xlsx", "--by", "month", "--leads", examples / "leads.csv",
               "--campaigns", examples / "campaigns.csv", "--cohorts", coh, "-o", out])
    assert res.exit_code == 0, res.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["kpis", "periods", "funnel", "campaigns"]
    head = [c.value for c in wb["periods"][1]]
    col = head.index("retention") + 1
    assert wb["periods"].cell(3, col).number_format == "0.0%"
    assert wb["periods"].cell(2, col).value is None  # first period: no retention
    camp = wb["campaigns"]
    heads = [c.value for c in camp[1]]
    names = [camp.cell(r, 1).value for r in range(2, camp.max_row + 1)]
    zero = names.index("会员日") + 2
    assert camp.cell(zero, heads.index("roi") + 1).value is None
    assert "cost is 0" in res.stderr
    metrics = [wb["kpis"].cell(r, 1).value for r in range(2, wb["kpis"].max_row + 1)]
    assert {"avg_sales_cycle_days", "lead_conversion_rate"} <= set(metrics)
    cohorts = pd.read_csv(coh, dtype={"cohort": str})
    assert list(cohorts.columns[:3]) == ["cohort", "0", "1"]
    assert (cohorts["0"] == 1.0).all()
    assert pd.isna(cohorts.iloc[-1, 2])  # the last cohort's month 1 is not observable yet


def test_funnel_and_campaigns_alone_to_csv(run, examples):
    res = run(["metrics", examples / "orders.xlsx", "--leads", examples / "leads.csv", "-o", "-", "-q"])
    assert res.exit_code == 0, res.stderr
    f = read_csv(res.stdout)
    assert list(f.columns) == ["stage", "leads", "reached", "reached_rate", "next_stage_rate"]
    assert f["stage"].tolist()[:5] == ["新线索", "已联系", "意向", "报价", "成交"]
    res = run(["metrics", examples / "orders.xlsx", "--campaigns", examples / "campaigns.csv", "-o", "-",
               "--format", "json", "-q"])
    rows = json.loads(res.stdout)
    by = {r["campaign"]: r for r in rows}
    assert by["线下传单"]["contacted"] == 500 and by["线下传单"]["roi"] == pytest.approx(-1.0)
    assert by["会员日"]["roas"] is None


@pytest.mark.parametrize("args, code", [
    (["--by", "week"], 2),
    (["--group", "nope"], 2),
    (["--as-of", "someday"], 2),
    (["--leads", "examples/leads.csv", "--campaigns", "examples/campaigns.csv"], 2),  # two tables, one csv
])
def test_usage_errors(run, examples, args, code):
    args = [a.replace("examples/", str(examples) + "/") for a in args]
    res = run(["metrics", examples / "orders.xlsx", "-o", "-", *args])
    assert res.exit_code == code
    assert res.stderr.startswith("crm: error:") and "Traceback" not in res.stderr


def test_missing_input_is_exit_3(run, tmp_path):
    res = run(["metrics", tmp_path / "nope.csv"])
    assert res.exit_code == 3


def test_default_output_beside_the_input(run, tmp_path):
    src = tmp_path / "orders.csv"
    src.write_bytes(ORDERS_CSV)
    res = run(["metrics", src, "-q"])
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "orders.metrics.csv").exists()
    assert src.read_bytes() == ORDERS_CSV


@pytest.mark.slow
def test_pipe_from_stdin_real_process():
    res = run_crm(["metrics", "-", "--by", "year", "-q"], input=ORDERS_CSV)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines()[1].startswith('"2024",5,4,460,92')   # A5 is a credit note


def test_default_output_follows_format(run, tmp_path):
    src = tmp_path / "orders.csv"
    src.write_bytes(ORDERS_CSV)
    res = run(["metrics", src, "--format", "json", "-q"])
    assert res.exit_code == 0, res.stderr
    assert json.loads((tmp_path / "orders.metrics.json").read_text())[0]["metric"] == "customers"


@pytest.mark.parametrize("command", ["metrics", "pivot", "basket", "pipeline", "rfm"])
def test_every_option_is_in_the_readme(run, command):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"### `crm {command}`" in readme
    help_text = run([command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}).stdout
    for opt in set(re.findall(r"--[a-z][a-z-]+", help_text)) - {"--help"}:
        assert opt in readme, opt


def test_output_to_a_pipe_is_written_into_not_replaced(run, tmp_path):
    import os
    import stat
    import threading

    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    res = run(["metrics", "-", "-o", fifo, "-q"], input=ORDERS_CSV)
    reader.join(timeout=10)
    assert res.exit_code == 0, res.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a pipe, not a renamed regular file
    assert got and got[0].startswith(b"metric,value")


def test_stages_option_and_unknown_stage(run, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_bytes(ORDERS_CSV)
    leads = "线索编号,线索日期,客户ID,联系电话,阶段\nL1,2024-01-01,C1,,demo\nL2,2024-01-02,,13800000000,call\n" \
            "L3,2024-03-20,C4,,deal\n".encode()
    res = run(["metrics", orders, "--leads", "-", "--stages", "call,demo,deal", "-o", "-", "-q"], input=leads)
    assert res.exit_code == 0, res.stderr
    f = read_csv(res.stdout).set_index("stage")
    assert list(f.index) == ["call", "demo", "deal", "customer"]
    assert f.loc["customer", "reached"] == 2  # L1 (C1, ordered 01-05) and L3 (C4, ordered 03-30)
    assert f["reached"].tolist() == [3, 2, 2, 2]  # L1 bought: it reached "deal" too
    res = run(["metrics", orders, "--leads", "-", "-o", "-", "-q"], input=leads)
    assert res.exit_code == 2 and "unknown lead stage" in res.stderr and "--stages" in res.stderr
