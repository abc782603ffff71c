"""Metrics on typed order frames: KPIs, periods, cohorts (against an independent computation)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.errors import UsageError
from crmcli.metrics.kpis import compute_cohorts, compute_kpis, compute_periods, resolve_as_of, window


def make_orders(rows):
    """rows: (order_id, customer_id, 'YYYY-MM-DD', amount)."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["amount"] = df["amount"].astype("float64")
    return df


HAND = make_orders([
    ("o1", "A", "2024-01-05", 100.0),
    ("o2", "A", "2024-02-10", 50.0),
    ("o3", "B", "2024-01-20", 200.0),
    ("o4", "C", "2024-03-01", 80.0),
    ("o5", "C", "2024-03-15", -30.0),   # a refund with its own id: a credit note, not a purchase
    ("o6", "D", "2024-03-30", 60.0),
    ("o7", "E", "2024-04-02", 999.0),   # after as_of: out of the window
])


def kpi(table, name):
    return table.set_index("metric").loc[name, "value"]


def test_kpis_hand_checked():
    as_of = resolve_as_of(HAND, "2024-03-31")
    w = window(HAND, as_of)
    t = compute_kpis(w, as_of=as_of, churn_days=30)
    assert list(t.columns) == ["metric", "value", "label_zh", "definition"]
    assert list(t["metric"]) == ["customers", "orders", "revenue", "aov", "revenue_per_customer",
                                 "orders_per_customer", "repurchase_rate", "new_customers", "returning_customers",
                                 "churn_rate", "refund_amount", "median_days_between_orders"]
    assert kpi(t, "customers") == 4
    assert kpi(t, "orders") == 5                      # o5 (-30) nets into revenue but is no purchase
    assert kpi(t, "revenue") == pytest.approx(460.0)
    assert kpi(t, "aov") == pytest.approx(92.0)      # 460 / 5
    assert kpi(t, "revenue_per_customer") == pytest.approx(115.0)
    assert kpi(t, "orders_per_customer") == pytest.approx(1.25)
    assert kpi(t, "repurchase_rate") == pytest.approx(0.25)  # A only: C's second order is a credit note
    # window = 2024-03-02 .. 2024-03-31: C's last purchase is 03-01 (o5 on 03-15 is a credit note); D is new
    assert kpi(t, "new_customers") == 1
    assert kpi(t, "returning_customers") == 0
    assert kpi(t, "churn_rate") == pytest.approx(0.75)  # A, B, C: no purchase for 30 days
    assert kpi(t, "refund_amount") == pytest.approx(30.0)
    assert kpi(t, "median_days_between_orders") == 36  # A: 01-05 -> 02-10; C's second order is a credit note
    assert t.set_index("metric").loc["revenue_per_customer", "label_zh"] == "客单价"
    assert "30 days" in t.set_index("metric").loc["churn_rate", "definition"]


def test_as_of_defaults_to_last_order_and_rejects_garbage():
    assert resolve_as_of(HAND) == pd.Timestamp("2024-04-02")
    with pytest.raises(UsageError):
        resolve_as_of(HAND, "yesterday-ish")


def test_periods_hand_checked():
    as_of = pd.Timestamp("2024-03-31")
    p = compute_periods(window(HAND, as_of), by="month", as_of=as_of)
    assert list(p["period"]) == ["2024-01", "2024-02", "2024-03"]
    assert list(p["orders"]) == [2, 1, 2]          # March: o4, o6 (o5 is a credit note)
    assert list(p["customers"]) == [2, 1, 2]
    assert list(p["revenue"]) == [300.0, 50.0, 110.0]  # the credit note nets into March's revenue
    assert list(p["new_customers"]) == [2, 0, 2]
    assert list(p["returning_customers"]) == [0, 1, 0]
    assert math.isnan(p["retention"][0]) and math.isnan(p["churn"][0])
    assert p["retention"][1] == pytest.approx(0.5)   # A kept, B not
    assert p["retention"][2] == pytest.approx(0.0)   # A gone in March
    assert p["churn"][1] == pytest.approx(0.5)
    q = compute_periods(window(HAND, as_of), by="quarter", as_of=as_of)
    assert list(q["period"]) == ["2024Q1"] and q["orders"][0] == 5


def test_periods_include_empty_periods_and_reject_unknown_unit():
    o = make_orders([("1", "A", "2024-01-01", 1), ("2", "A", "2024-04-01", 1)])
    p = compute_periods(o, by="month", as_of=pd.Timestamp("2024-05-10"))
    assert list(p["period"]) == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert list(p["orders"]) == [1, 0, 0, 1, 0]
    assert p["retention"][1] == 0.0 and math.isnan(p["retention"][2])  # nobody active in Feb
    with pytest.raises(UsageError):
        compute_periods(o, by="week", as_of=pd.Timestamp("2024-05-10"))


def test_cohorts_hand_checked_with_unobservable_cells_empty():
    as_of = pd.Timestamp("2024-03-31")
    c = compute_cohorts(window(HAND, as_of), as_of=as_of)
    assert list(c.columns) == ["cohort", "0", "1", "2"]
    assert list(c["cohort"]) == ["2024-01", "2024-03"]
    jan = c.iloc[0]
    assert (jan["0"], jan["1"], jan["2"]) == (1.0, 0.5, 0.0)
    mar = c.iloc[1]
    assert mar["0"] == 1.0 and math.isnan(mar["1"]) and math.isnan(mar["2"])


# ----------------------------------------------------------------- against an independent computation


def random_orders(seed=7, n=600, customers=80):
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 420, n)
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D")
    return make_orders(list(zip([f"o{i}" for i in range(n)], [f"C{k}" for k in rng.integers(0, customers, n)],
                                dates.strftime("%Y-%m-%d"), rng.normal(100, 60, n).round(2))))


def independent_monthly(orders, as_of):
    """Plain loops: purchases are the orders with amount >= 0 (a negative order is a credit
    note: revenue only)."""
    months = pd.period_range(orders.order_date.min().to_period("M"), as_of.to_period("M"), freq="M")
    buys = orders[orders.amount >= 0]
    first = {c: d.to_period("M") for c, d in buys.groupby("customer_id").order_date.min().items()}
    out, prev = [], None
    for m in months:
        every = orders[orders.order_date.dt.to_period("M") == m]
        sub = buys[buys.order_date.dt.to_period("M") == m]
        active = set(sub.customer_id)
        new = sum(1 for c in active if first[c] == m)
        retention = (len(active & prev) / len(prev)) if prev else float("nan")
        out.append((str(m), len(sub), len(active), round(every.amount.sum(), 2), new, len(active) - new, retention))
        prev = active
    return pd.DataFrame(out, columns=["period", "orders", "customers", "revenue", "new_customers",
                                      "returning_customers", "retention"])


def independent_cohorts(orders, as_of):
    orders = orders[orders.amount >= 0]  # credit notes are no purchase
    o = orders.assign(m=orders.order_date.dt.to_period("M"))
    first = o.groupby("customer_id").m.min()
    last = as_of.to_period("M")
    rows = {}
    for cohort, members in first.groupby(first):
        members = set(members.index)
        span = (last - cohort).n
        cells = []
        for k in range(span + 1):
            active = set(o[(o.m == cohort + k) & o.customer_id.isin(members)].customer_id)
            cells.append(len(active) / len(members))
        rows[cohort.strftime("%Y-%m")] = cells
    return rows


def test_monthly_equals_independent_computation():
    orders = random_orders()
    as_of = pd.Timestamp("2024-03-15")
    w = window(orders, as_of)
    mine = compute_periods(w, by="month", as_of=as_of)
    ref = independent_monthly(w, as_of)
    pd.testing.assert_frame_equal(mine[ref.columns].reset_index(drop=True), ref, check_dtype=False)


def test_cohorts_equal_independent_computation():
    orders = random_orders(seed=11)
    as_of = pd.Timestamp("2024-02-10")
    w = window(orders, as_of)
    mine = compute_cohorts(w, as_of=as_of).set_index("cohort")
    ref = independent_cohorts(w, as_of)
    assert list(mine.index) == list(ref)
    for cohort, cells in ref.items():
        row = mine.loc[cohort].to_numpy(dtype=float)
        assert row[:len(cells)] == pytest.approx(cells)
        assert np.isnan(row[len(cells):]).all()


def test_metrics_do_not_mutate_input():
    orders = random_orders(seed=3)
    before = orders.copy()
    as_of = resolve_as_of(orders)
    compute_kpis(orders, as_of=as_of)
    compute_periods(orders, by="quarter", as_of=as_of)
    compute_cohorts(orders, as_of=as_of)
    pd.testing.assert_frame_equal(orders, before)


# ----------------------------------------------------------------- compute_metrics on raw tables

RAW = pd.DataFrame({
    "订单号": ["A1", "A1", "A2", "A3", "A4"],
    "客户ID": ["C1", "C1", "C1", "C2", "C3"],
    "下单日期": ["2024-01-05", "2024-01-05", "2024-02-10", "2024-01-20", "2024-02-01"],
    "产品": ["杯子", "围巾", "杯子", "围巾", "杯子"],
    "金额": ["100", "40", "50", "200", "-30"],
    "负责人备注": ["甲", "甲", "乙", "乙", "甲"],
}, index=pd.RangeIndex(2, 7, name="row"))


def test_group_by_product_splits_orders_by_their_lines():
    from crmcli.metrics import compute_metrics

    r = compute_metrics(RAW, group="product")
    g = r.groups.set_index("product")
    # A1 has a cup and a scarf: it counts as an order for both, with its lines' amounts;
    # A4 (-30) is a credit note: it nets into 杯子's revenue but is no order
    assert g.loc["杯子", "orders"] == 2 and g.loc["杯子", "revenue"] == pytest.approx(120)
    assert g.loc["围巾", "orders"] == 2 and g.loc["围巾", "revenue"] == pytest.approx(240)
    assert g.loc["杯子", "refund_amount"] == pytest.approx(30)
    assert r.kpis.set_index("metric").loc["orders", "value"] == 3


def test_group_by_an_unmapped_header_and_by_quarter():
    from crmcli.metrics import compute_metrics

    r = compute_metrics(RAW, group="负责人备注", by="quarter")
    p = r.periods.set_index("负责人备注")
    assert p.loc["甲", "orders"] == 1 and p.loc["乙", "orders"] == 2   # 甲's A4 is a credit note
    assert r.groups is None


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 500)), min_size=1, max_size=60))
@settings(max_examples=40, deadline=None)
def test_invariants(rows):
    orders = make_orders([(f"o{i}", f"C{c}", (pd.Timestamp("2023-01-01") + pd.Timedelta(days=d)).strftime("%Y-%m-%d"),
                           10.0) for i, (c, d) in enumerate(rows)])
    as_of = resolve_as_of(orders)
    p = compute_periods(orders, by="month", as_of=as_of)
    assert p["new_customers"].sum() == orders["customer_id"].nunique()
    assert p["orders"].sum() == len(orders)
    ret = p["retention"].dropna()
    assert ((ret >= 0) & (ret <= 1)).all()
    c = compute_cohorts(orders, as_of=as_of)
    cells = c.drop(columns="cohort").to_numpy(dtype=float)
    finite = cells[~np.isnan(cells)]
    assert ((finite >= 0) & (finite <= 1)).all() and (c["0"] == 1.0).all()
    k = compute_kpis(orders, as_of=as_of).set_index("metric")["value"]
    assert k["new_customers"] + k["returning_customers"] + round(k["churn_rate"] * k["customers"]) == k["customers"]
