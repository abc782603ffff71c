"""Funnel, sales cycle and campaign attribution on small hand-checked typed tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from crmcli.errors import UsageError
from crmcli.metrics.campaigns import compute_campaigns
from crmcli.metrics.funnel import compute_funnel

LINES = pd.DataFrame({
    "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
    "customer_id": ["C1", "C1", "C2", "C3", "C4", "C4"],
    "order_date": pd.to_datetime(["2024-01-11", "2024-02-01", "2024-01-31", "2023-12-01", "2024-03-05",
                                  "2024-03-20"]),
    "amount": [100.0, 50.0, 300.0, 80.0, 200.0, -200.0],
    "phone": ["+8613800000001", "+8613800000001", "+8613800000002", "", "+8613800000004", ""],
    "email": ["", "", "b@example.com", "c@example.com", "", ""],
    "campaign": ["", "", "", "", "春节", ""],
})
ORDERS = LINES[["order_id", "customer_id", "order_date", "amount", "campaign"]]


def leads_frame():
    return pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "stage": ["成交", "报价", "已联系", "新线索", "丢单", "成交"],
        "lead_date": pd.to_datetime(["2024-01-01", "2024-01-21", "2024-01-05", "2024-01-10", "2024-01-02",
                                     "2024-01-01"]),
        "customer_id": ["C1", "", "", "", "", "C3"],
        "phone": ["", "+8613800000002", "", "", "+8613899999999", ""],
        "email": ["", "", "nobody@example.com", "", "", ""],
    })


def test_funnel_counts_rates_and_sales_cycle():
    f = compute_funnel(leads_frame(), LINES, ORDERS)
    t = f.table.set_index("stage")
    assert list(f.table["stage"]) == ["新线索", "已联系", "报价", "成交", "customer", "丢单"]
    assert list(t["leads"][:4]) == [1, 1, 1, 2] and t.loc["丢单", "leads"] == 1
    assert math.isnan(t.loc["customer", "leads"])
    # L2 (stage 报价) bought: it counts as reaching every stage
    assert list(t["reached"][:5]) == [6, 4, 3, 3, 2]
    assert t.loc["新线索", "next_stage_rate"] == pytest.approx(4 / 6)
    assert t.loc["已联系", "next_stage_rate"] == pytest.approx(3 / 4)
    assert t.loc["报价", "next_stage_rate"] == pytest.approx(1.0)
    assert t.loc["成交", "next_stage_rate"] == pytest.approx(2 / 3)
    # L1 (C1 by id, first order 01-11: 10 days) and L2 (C2 by phone, 01-31: 10 days) converted;
    # L6 is C3, whose only order precedes the lead: not converted; L3, L4, L5 never bought.
    assert f.leads == 6 and f.converted == 2
    assert f.conversion_rate == pytest.approx(2 / 6)
    assert t.loc["customer", "reached_rate"] == pytest.approx(2 / 6)
    assert f.avg_sales_cycle_days == pytest.approx(10.0)
    assert math.isnan(t.loc["丢单", "reached"])
    assert any("precede the lead date" in n for n in f.notes)
    assert any("1 converted lead(s) show an earlier stage" in n for n in f.notes)


def test_funnel_matches_by_email_and_configured_stages():
    leads = pd.DataFrame({"stage": ["a", "b", "c", "b"], "email": ["B@Example.com", "", "", ""],
                          "lead_date": pd.to_datetime(["2024-01-30", None, None, None])})
    f = compute_funnel(leads, LINES, ORDERS, stages=["a", "b", "c"])
    assert list(f.table["stage"]) == ["a", "b", "c", "customer"]
    assert list(f.table["reached"]) == [4, 4, 2, 1]  # the converted "a" lead reached every stage
    assert f.converted == 1 and f.avg_sales_cycle_days == pytest.approx(1.0)


def test_funnel_unknown_stage_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown lead stage"):
        compute_funnel(pd.DataFrame({"stage": ["mystery"]}), LINES, ORDERS)


def campaigns_frame():
    return pd.DataFrame({
        "campaign": ["春节", "春节", "春节", "短信", "短信", "免费推送"],
        "customer_id": ["C1", "C2", "", "C4", "", "C2"],
        "phone": ["", "", "", "", "", ""],
        "date": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-01-01", "2024-03-01", None, "2024-01-20"]),
        "responded": [True, False, pd.NA, pd.NA, pd.NA, pd.NA],
        "cost": [None, None, 500.0, 10.0, 90.0, 0.0],
        "contacted": [None, None, 100.0, None, None, None],
    })


def test_campaigns_attribution_roi_roas_and_zero_cost():
    rep = compute_campaigns(campaigns_frame(), LINES, ORDERS, attribution_days=30)
    t = rep.table.set_index("campaign")
    assert list(rep.table.columns) == ["campaign", "contacted", "responders", "response_rate", "participants",
                                       "buyers", "conversion_rate", "attributed_orders", "attributed_revenue", "cost",
                                       "roi", "roas", "roas_text", "flag"]
    # 春节: contacts C1, C2 + 100 counted on the campaign row; C1 responded
    assert t.loc["春节", "contacted"] == 102 and t.loc["春节", "responders"] == 1
    # window 01-05 .. 02-04: o1 (C1, 100), o2 (C1, 50) and o3 (C2 01-31, 300); but C2 was contacted
    # again by 免费推送 on 01-20 -> last touch takes o3; o5 carries the tag 春节 (200)
    assert t.loc["春节", "attributed_orders"] == 3
    assert t.loc["春节", "attributed_revenue"] == pytest.approx(350.0)
    assert t.loc["春节", "cost"] == 500.0
    assert t.loc["春节", "roi"] == pytest.approx((350 - 500) / 500)
    assert t.loc["春节", "roas"] == pytest.approx(0.7)
    # 短信: C4 contacted 03-01, o6 refund (-200) on 03-20 within the window; o5 belongs to its tag.
    # o6 is a credit note (negative net amount): it nets into the revenue but is not an order
    assert t.loc["短信", "attributed_orders"] == 0
    assert t.loc["短信", "attributed_revenue"] == pytest.approx(-200.0)
    assert t.loc["短信", "cost"] == 100.0 and t.loc["短信", "roas"] == pytest.approx(-2.0)
    # zero cost: ROI/ROAS empty + a note, not a crash
    assert t.loc["免费推送", "attributed_revenue"] == pytest.approx(300.0)
    assert math.isnan(t.loc["免费推送", "roi"]) and math.isnan(t.loc["免费推送", "roas"])
    assert any("免费推送" in n and "cost is 0" in n for n in rep.notes)
    # attributed revenue never exceeds revenue: each order once (o6 is a credit note, no order)
    assert rep.table["attributed_orders"].sum() == 4


def test_campaigns_without_responded_column_count_buyers_not_responders():
    """Buyers ÷ participants is the conversion rate; without a responded column there is no response rate
    (the two are never mixed)."""
    camp = campaigns_frame().drop(columns=["responded"])
    rep = compute_campaigns(camp, LINES, ORDERS, attribution_days=30)
    t = rep.table.set_index("campaign")
    assert t.loc["春节", "buyers"] == 1  # C1 bought in the window; C2's order went to 免费推送
    assert t.loc["春节", "participants"] == 2 and t.loc["春节", "conversion_rate"] == 0.5
    assert t.loc["免费推送", "buyers"] == 1 and t.loc["免费推送", "conversion_rate"] == 1.0
    assert t["responders"].isna().all() and t["response_rate"].isna().all()
    assert any("no responded column" in n for n in rep.notes)


def test_short_window_attributes_less():
    t = compute_campaigns(campaigns_frame(), LINES, ORDERS, attribution_days=5).table.set_index("campaign")
    assert t.loc["春节", "attributed_orders"] == 1  # only the tagged o5: o1 is 6 days after the contact
