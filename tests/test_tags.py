"""Customer tags in crm rfm (高价值客户, 流失客户, 新客户, 潜在客户), avg_days_between_orders, custom rules."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from crmcli.errors import UsageError
from crmcli.io import read_table
from crmcli.rfm import score_rfm
from crmcli.tags import load_tag_rules

ORDERS = """订单号,客户ID,下单日期,金额
o1,A,2024-01-05,100
o2,A,2024-02-10,50
o3,B,2024-01-20,200
o4,C,2024-03-01,80
o6,D,2024-03-30,60
"""
LEADS = """线索编号,线索日期,客户ID,联系电话,阶段
L1,2023-12-20,A,,成交
L2,2024-02-01,,13800000000,新线索
L3,2024-02-03,Z9,,意向
L4,2024-03-01,Z9,,报价
"""


@pytest.fixture
def files(tmp_path):
    o, leads = tmp_path / "o.csv", tmp_path / "leads.csv"
    o.write_text(ORDERS, encoding="utf-8")
    leads.write_text(LEADS, encoding="utf-8")
    return o, leads


def tags_of(result) -> dict[str, str]:
    return dict(zip(result.table["customer_id"], result.table["tags"]))


def test_default_tags_hand_checked(files):
    """as of 03-31, churn window 30 days: B is the top 20 % by monetary; A (50 days), B (71), C (30) bought
    nothing in the last 30 days; D's first purchase is a day old."""
    res = score_rfm(read_table(files[0]), as_of="2024-03-31", churn_days=30)
    assert tags_of(res) == {"A": "Churned", "B": "High value; Churned", "C": "Churned", "D": "New"}
    zh = score_rfm(read_table(files[0]), as_of="2024-03-31", churn_days=30, lang="zh")
    assert tags_of(zh)["B"] == "高价值客户; 流失客户" and tags_of(zh)["D"] == "新客户"
    gaps = dict(zip(res.table["customer_id"], res.table["avg_days_between_orders"]))
    assert gaps["A"] == 36.0 and math.isnan(gaps["B"])


def test_leads_without_orders_are_prospects(files):
    res = score_rfm(read_table(files[0]), as_of="2024-03-31", churn_days=30, leads=str(files[1]), lang="zh")
    t = res.table.set_index("customer_id")
    assert res.prospects == 2 and len(t) == 6  # L2 (by its lead id) and Z9 (two leads, one prospect)
    assert t.loc["L2", "tags"] == "潜在客户" and t.loc["Z9", "tags"] == "潜在客户" and t.loc["Z9", "frequency"] == 0
    assert t.loc["Z9", "segment"] == "" and math.isnan(t.loc["Z9", "recency_days"])
    assert int(res.segments["customers"].sum()) == 4  # prospects are not in the segments


def test_custom_rules():
    rules = [{"name": "VIP", "label_zh": "重要客户", "when": "monetary >= 150 AND frequency >= 2"},
             {"name": "Big ticket", "when": "avg_order_value > 100"},
             {"name": "Early", "when": "first_order < 2024-01-10"}]
    res = score_rfm(pd.read_csv(io.StringIO(ORDERS), dtype=str),
                    as_of="2024-03-31", tag_rules=rules)
    assert tags_of(res) == {"A": "VIP; Early", "B": "Big ticket", "C": "", "D": ""}


@pytest.mark.parametrize("rules, match", [
    ([{"name": "X", "when": "colour = red"}], "not a column of the RFM table"),
    ([{"name": "X", "when": "monetary >= lots"}], "compares with numbers"),
    ([{"name": "X"}], "needs a name and a when"),
    ([{"name": "X", "when": "tier = high", "colour": "red"}], "unknown key 'colour'"),
])
def test_bad_rules(rules, match):
    with pytest.raises(UsageError, match=match):
        load_tag_rules(rules)


def test_cli_leads_churn_days_and_rules_from_crm_toml(run, files, tmp_path, monkeypatch):
    o, leads = files
    res = run(["rfm", o, "--as-of", "2024-03-31", "--churn-days", "30", "--leads", leads, "-o", "-"])
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(io.StringIO(res.stdout), dtype={"customer_id": str}).set_index("customer_id")
    assert got.loc["Z9", "tags"] == "Prospect" and got.loc["B", "tags"] == "High value; Churned"
    assert "rfm: 4 customers (+2 prospects: leads with no order)" in res.stderr
    monkeypatch.chdir(tmp_path)
    (tmp_path / "crm.toml").write_text('[[tags.rules]]\nname = "Big"\nlabel_zh = "大客户"\nwhen = "monetary >= 150"\n',
                                       encoding="utf-8")
    res = run(["rfm", o, "--lang", "zh", "-o", "-", "-q"])
    got = pd.read_csv(io.StringIO(res.stdout), dtype={"customer_id": str}).set_index("customer_id")
    assert got.loc["A", "tags"] == "大客户" and pd.isna(got.loc["D", "tags"])
    (tmp_path / "crm.toml").write_text('[[tags.rules]]\nname = "Big"\nwhen = "size >= 150"\n', encoding="utf-8")
    res = run(["rfm", o, "-o", "-"])
    assert res.exit_code == 2 and "tags.rules" in res.stderr and "not a column" in res.stderr


@pytest.mark.parametrize("n_rules", [3, 70])   # a pattern as one integer, and as rows past 62 rules
def test_each_customer_gets_the_labels_of_exactly_the_rules_it_meets(n_rules):
    import numpy as np

    from crmcli.tags import assign_tags

    rng = np.random.default_rng(n_rules)
    table = pd.DataFrame({"monetary": rng.integers(0, 100, 500).astype(float)})
    cuts = rng.integers(0, 100, n_rules)
    rules = load_tag_rules([{"name": f"R{j}", "when": f"monetary >= {c}"} for j, c in enumerate(cuts)])
    got = assign_tags(table, rules, as_of=pd.Timestamp("2024-03-31"), churn_days=90, lang="en")
    want = ["; ".join(f"R{j}" for j, c in enumerate(cuts) if m >= c) for m in table["monetary"]]
    assert got.tolist() == want
