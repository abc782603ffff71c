"""Sales KPIs, per-period figures and the cohort retention matrix, on typed order frames.

Every function takes ``orders``: one row per order with ``order_id``, ``customer_id``,
``order_date`` (datetime64), ``amount`` (float, net of refunds) and ``is_purchase``, as
``crmcli.orders.prepare_orders(...).orders`` gives it (without ``is_purchase``, an order with a
negative amount is a credit note). Credit notes net into revenue but are not purchases: they
count in no order count, customer count, repurchase, AOV denominator, first order or period
activity. Money is rounded to cents. Nothing here reads files or the clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, UsageError
from .labels import label_zh
from ..options import parse_as_of
from ..orders import purchase_mask

PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}

#: metric -> definition; the KPI table's rows, in order (their labels: :data:`crmcli.metrics.labels.METRICS`).
KPI_DEFINITIONS: dict[str, str] = {
    "customers": "distinct customers with at least one purchase up to as_of (paying customers)",
    "orders": "purchases up to as_of: distinct order_id of the counted orders (not unpaid, cancelled or refunded), "
              "credit notes (a negative net amount) not counted; rows without an order id count one order each",
    "revenue": "sum of net order amounts up to as_of: refunds and credit notes netted",
    "aov": "average order value = revenue ÷ orders (purchases)",
    "revenue_per_customer": "revenue ÷ paying customers (customers)",
    "orders_per_customer": "orders ÷ customers",
    "repurchase_rate": "customers with ≥ 2 purchases ÷ customers with ≥ 1 purchase, up to as_of",
    "new_customers": "customers whose first order falls in the last {days} days ({start} .. {end}, the churn window)",
    "returning_customers": "customers who ordered in the last {days} days ({start} .. {end}) and had ordered before "
                           "that window",
    "churn_rate": "customers with no order in the last {days} days ({start} .. {end}) ÷ customers",
    "refund_amount": "refunds up to as_of, as a positive number: refund amounts of counted orders, negative lines "
                     "and credit notes; already netted out of revenue",
    "median_days_between_orders": "median, over every two consecutive purchases of the same customer, of the days "
                                  "between them (repeat customers only)",
}

PERIOD_DEFINITIONS: dict[str, str] = {
    "period": "calendar {unit} of the order date",
    "orders": "purchases in the period (credit notes not counted)",
    "customers": "distinct customers with a purchase in the period (active customers)",
    "revenue": "sum of net order amounts in the period, refunds and credit notes netted",
    "aov": "revenue ÷ orders in the period",
    "new_customers": "active customers whose first order ever is in the period",
    "returning_customers": "active customers whose first order is in an earlier period",
    "retention": "customers active in the previous period and this one ÷ active in the previous (empty first)",
    "churn": "1 − retention",
}


def resolve_as_of(orders: pd.DataFrame, as_of: object = None) -> pd.Timestamp:
    """The observation end: ``as_of`` (a date, inclusive) or the latest order date."""
    if as_of is None or as_of == "":
        if orders.empty:
            raise DataError("no orders to compute metrics from: every row was left out or the table is empty",
                            hint="check the date, amount and customer columns (crm inspect FILE)")
        return pd.Timestamp(orders["order_date"].max()).normalize()
    return parse_as_of(as_of)


def window(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Orders dated on or before ``as_of`` (the whole day, inclusive)."""
    return orders[orders["order_date"] < as_of + pd.Timedelta(days=1)]


def check_period(by: str | None) -> str | None:
    """``by`` checked: None, or one of :data:`PERIODS` (the one check of ``--by`` for metrics and pivot)."""
    if by is not None and by not in PERIODS:
        raise UsageError(f"{{opt:by}} {by!r} is not month, quarter or year", option="by")
    return by


def _period_freq(by: str) -> str:
    return PERIODS[check_period(by)]


def period_label(period: pd.Period) -> str:
    """``2024-03`` for months, ``2024Q1`` for quarters, ``2024`` for years."""
    return str(period)


def compute_kpis(orders: pd.DataFrame, *, as_of: pd.Timestamp, churn_days: int = 90,
                 lines: pd.DataFrame | None = None) -> pd.DataFrame:
    """The KPI table: ``metric, value, label_zh, definition`` (see ``KPI_DEFINITIONS``).

    ``orders`` must already be cut to the window (``window(orders, as_of)``). ``lines``
    (the order lines, same window) gives refunds line by line; else order amounts are used.
    """
    if churn_days < 1:
        raise UsageError("{opt:churn_days} must be at least 1")
    revenue = round(float(orders["amount"].sum()), 2) + 0.0
    buys = _purchases(orders)
    n_orders = len(buys)
    per_customer = buys.groupby("customer_id", sort=False).agg(
        n=("order_id", "size"), first=("order_date", "min"), last=("order_date", "max"))
    customers = len(per_customer)
    start = as_of - pd.Timedelta(days=churn_days - 1)  # the last N days, as_of included
    recent = per_customer["last"] >= start
    new = int((recent & (per_customer["first"] >= start)).sum())
    returning = int((recent & (per_customer["first"] < start)).sum())
    refunds_src = lines if lines is not None and "amount" in lines else orders
    refund = float(-refunds_src.loc[refunds_src["amount"] < 0, "amount"].sum())
    if "refund_amount" in refunds_src.columns:
        refund += float(refunds_src["refund_amount"].fillna(0.0).sum())

    def ratio(a: float, b: float, cents: bool = False) -> float:
        if not b:
            return float("nan")
        return round(a / b, 2) if cents else a / b

    values = {
        "customers": customers,
        "orders": n_orders,
        "revenue": revenue,
        "aov": ratio(revenue, n_orders, cents=True),
        "revenue_per_customer": ratio(revenue, customers, cents=True),
        "orders_per_customer": ratio(n_orders, customers),
        "repurchase_rate": ratio(int((per_customer["n"] >= 2).sum()), customers),
        "new_customers": new,
        "returning_customers": returning,
        "churn_rate": ratio(int((~recent).sum()), customers),
        "refund_amount": round(refund, 2) + 0.0,
        "median_days_between_orders": median_gap_days(buys),
    }
    fmt = {"days": churn_days, "start": start.date().isoformat(), "end": as_of.date().isoformat()}
    rows = [(m, float(values[m]), label_zh(m), d.format(**fmt)) for m, d in KPI_DEFINITIONS.items()]
    return pd.DataFrame(rows, columns=["metric", "value", "label_zh", "definition"])


def median_gap_days(purchases: pd.DataFrame) -> float:
    """The median of the days between consecutive purchases of the same customer (NaN: nobody bought twice)."""
    if purchases.empty:
        return float("nan")
    days = purchases["order_date"].dt.normalize()
    frame = pd.DataFrame({"c": purchases["customer_id"].to_numpy(), "d": days.to_numpy()}).sort_values(
        ["c", "d"], kind="stable")
    same = frame["c"].to_numpy()[1:] == frame["c"].to_numpy()[:-1]
    gaps = np.diff(frame["d"].to_numpy().astype("datetime64[D]").astype(np.int64))[same]
    return float(np.median(gaps)) if len(gaps) else float("nan")


def _purchases(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders that are purchases (all of them when there is no credit note)."""
    mask = purchase_mask(orders)
    return orders if mask.all() else orders[mask]


def _active_pairs(orders: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Distinct (customer_id, period) pairs with at least one order (pass purchases)."""
    pairs = pd.DataFrame({"customer_id": orders["customer_id"].to_numpy(),
                          "period": orders["order_date"].dt.to_period(freq).to_numpy()})
    return pairs.drop_duplicates()


def compute_periods(orders: pd.DataFrame, *, by: str, as_of: pd.Timestamp,
                    history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per calendar period from the first order to ``as_of`` (empty periods included).

    Columns ``period, orders, customers, revenue, aov, new_customers, returning_customers,
    retention, churn`` (see ``PERIOD_DEFINITIONS``). ``history`` (default ``orders``) decides
    who is new: a customer is new in the period of their first order in ``history``.
    """
    freq = _period_freq(by)
    cols = ["period", "orders", "customers", "revenue", "aov", "new_customers", "returning_customers",
            "retention", "churn"]
    if orders.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c == "period" else "float64") for c in cols})
    history = _purchases(orders if history is None else history)
    per = orders["order_date"].dt.to_period(freq)
    index = pd.period_range(per.min(), as_of.to_period(freq), freq=freq)
    buys = _purchases(orders)
    g = buys.groupby(buys["order_date"].dt.to_period(freq))
    out = pd.DataFrame(index=index)
    out["orders"] = g.size().reindex(index, fill_value=0).astype("int64")
    out["customers"] = g["customer_id"].nunique().reindex(index, fill_value=0).astype("int64")
    out["revenue"] = orders.groupby(per)["amount"].sum().reindex(index, fill_value=0.0).astype("float64").round(2)
    out["aov"] = (out["revenue"] / out["orders"].where(out["orders"] > 0)).round(2)

    first = history.groupby("customer_id")["order_date"].min().dt.to_period(freq)
    pairs = _active_pairs(buys, freq)
    pairs["new"] = pairs["period"].to_numpy() == first.reindex(pairs["customer_id"]).to_numpy()
    out["new_customers"] = pairs[pairs["new"]].groupby("period").size().reindex(index, fill_value=0).astype("int64")
    out["returning_customers"] = out["customers"] - out["new_customers"]

    prev = pairs[["customer_id", "period"]].copy()
    prev["period"] = prev["period"] + 1
    kept = pairs.merge(prev, on=["customer_id", "period"]).groupby("period").size()
    active_prev = out["customers"].shift(1)
    retained = kept.reindex(index, fill_value=0).astype("float64")
    out["retention"] = retained / active_prev.where(active_prev > 0)
    out["churn"] = 1.0 - out["retention"]
    out.insert(0, "period", [period_label(p) for p in index])
    return out.reset_index(drop=True)[cols]


def compute_cohorts(orders: pd.DataFrame, *, as_of: pd.Timestamp) -> pd.DataFrame:
    """The monthly cohort retention matrix.

    ``cohort`` = month of the customer's first order (``YYYY-MM``); column ``k`` = share
    (0..1) of the cohort's customers with an order in the k-th month after that (``0`` =
    the first month, always 1). Months after ``as_of``'s month are not observable: empty.
    """
    orders = _purchases(orders)
    if orders.empty:
        return pd.DataFrame({"cohort": pd.Series(dtype="str")})
    pairs = _active_pairs(orders, "M")
    first = pairs.groupby("customer_id")["period"].min()
    pairs["cohort"] = first.reindex(pairs["customer_id"]).to_numpy()
    cohort_ord = pairs["cohort"].map(lambda p: p.ordinal)
    pairs["k"] = pairs["period"].map(lambda p: p.ordinal) - cohort_ord
    size = first.value_counts()
    last = as_of.to_period("M")
    cohorts = pd.period_range(first.min(), last, freq="M")
    counts = pairs.groupby(["cohort", "k"]).size().unstack("k")
    n_cols = len(cohorts)
    matrix = counts.reindex(index=cohorts, columns=range(n_cols)).fillna(0.0)
    matrix = matrix.div(size.reindex(cohorts).astype("float64"), axis=0)
    for i, c in enumerate(cohorts):
        observable = last.ordinal - c.ordinal  # the last observable offset
        matrix.iloc[i, observable + 1:] = float("nan")
    matrix = matrix[matrix.index.isin(size.index)]
    matrix.columns = [str(k) for k in matrix.columns]
    matrix.insert(0, "cohort", [p.strftime("%Y-%m") for p in matrix.index])
    return matrix.reset_index(drop=True)
