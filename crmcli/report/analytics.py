"""The analytics the report uses, behind one small interface over the library.

Orders are prepared once by :func:`crmcli.orders.prepare_orders`; RFM comes from
:func:`crmcli.rfm.score_rfm`, KPIs, cohorts, funnel and campaigns from :mod:`crmcli.metrics`,
data-quality issues from :func:`crmcli.validate.find_issues`. The report therefore shows
the same numbers as ``crm rfm``, ``crm metrics`` and ``crm validate`` on the same input.
The only computations of its own are the month × channel and product tables (group-bys
over the prepared order lines) and the period comparison of the Summary sheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import compute_campaigns, compute_cohorts, compute_funnel, compute_kpis, prepare_campaigns, prepare_leads
from ..metrics.kpis import window
from ..orders import PreparedOrders, prepare_orders, purchase_mask
from ..rfm import score_rfm
from ..table import Table
from ..validate import find_issues as _find_issues

__all__ = ["PreparedOrders", "campaigns", "clv", "cohort_matrix", "empty_period", "find_issues", "forecast", "funnel",
           "kpi_table", "period_kpis", "prepare", "rfm", "window"]


def prepare(orders: Table, *, statuses: Mapping[str, str] | None = None) -> PreparedOrders:
    return prepare_orders(orders, statuses=statuses)


def rfm(prepared: PreparedOrders, *, as_of: pd.Timestamp, bins: int, breaks: Any, scheme: str, rules: Any,
        lang: str):
    """``crmcli.rfm.score_rfm`` on the prepared orders: ``.table`` (one row per customer), ``.segments``."""
    return score_rfm(prepared, as_of=as_of, bins=bins, breaks=breaks, scheme=scheme, rules=rules, lang=lang)


def clv(prepared: PreparedOrders, *, as_of: pd.Timestamp, horizon: int, discount: float):
    """``crmcli.clv.fit_clv`` on the prepared orders: ``.table`` (one row per customer), ``.params``."""
    from ..clv import fit_clv

    return fit_clv(prepared, as_of=as_of, horizon=horizon, discount=discount)


def forecast(prepared: PreparedOrders, *, as_of: pd.Timestamp):
    """``crmcli.forecast.forecast_sales`` by month on the prepared orders: ``.table``, ``.backtest``."""
    from ..forecast import forecast_sales

    return forecast_sales(prepared, by="month", as_of=as_of)


def kpi_table(orders: pd.DataFrame, lines: pd.DataFrame, *, as_of: pd.Timestamp, churn_days: int) -> pd.DataFrame:
    """``crmcli.metrics.compute_kpis``: ``metric, value, label_zh, definition`` over the window."""
    return compute_kpis(orders, as_of=as_of, churn_days=churn_days, lines=lines)


def period_kpis(orders: pd.DataFrame, lines: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp,
                churn_days: int) -> dict[str, float]:
    """KPIs of one calendar period ``[start, end]`` (days, inclusive) for the Summary comparison.

    Sales figures (revenue, orders, customers, AOV, 客单价, orders per customer, repurchase
    rate, refunds) count the period's orders only. ``new_customers`` = customers whose first
    order ever is in the period, ``returning_customers`` = the period's other customers;
    ``churn_rate`` = the churn rate (as ``compute_kpis`` defines it) at the period's end.
    """
    upto = window(orders, end)
    inside = upto[upto["order_date"] >= start]
    buys = upto[purchase_mask(upto)]  # credit notes are no purchase: no first order, no activity
    lines_in = window(lines, end)
    lines_in = lines_in[lines_in["order_date"] >= start]
    if inside.empty:
        values = empty_period()
    else:
        k = compute_kpis(inside, as_of=end, churn_days=churn_days, lines=lines_in)
        values = dict(zip(k["metric"], k["value"]))
        first = buys.groupby("customer_id")["order_date"].min()
        active = buys.loc[buys["order_date"] >= start, "customer_id"].unique()
        new = int((first.reindex(active) >= start).sum())
        values["new_customers"] = float(new)
        values["returning_customers"] = float(len(active) - new)
    if upto.empty:
        values["churn_rate"] = np.nan
    else:
        hist = compute_kpis(upto, as_of=end, churn_days=churn_days)
        values["churn_rate"] = float(hist.set_index("metric").at["churn_rate", "value"])
    return values


def empty_period() -> dict[str, float]:
    """The period KPIs of a period without orders."""
    values = {m: np.nan for m in ("aov", "revenue_per_customer", "orders_per_customer", "repurchase_rate")}
    values.update(customers=0.0, orders=0.0, revenue=0.0, refund_amount=0.0, new_customers=0.0,
                  returning_customers=0.0)
    return values


def cohort_matrix(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """``crmcli.metrics.compute_cohorts`` plus each cohort's size (``customers``) after ``cohort``."""
    matrix = compute_cohorts(orders, as_of=as_of)
    if orders.empty or matrix.empty:
        return pd.DataFrame({"cohort": pd.Series(dtype="str"), "customers": pd.Series(dtype="int64")})
    buys = orders[purchase_mask(orders)]
    first = buys.groupby("customer_id")["order_date"].min().dt.strftime("%Y-%m")
    size = first.value_counts()
    matrix.insert(1, "customers", matrix["cohort"].map(size).fillna(0).astype("int64"))
    return matrix


def funnel(leads: Table, lines: pd.DataFrame, orders: pd.DataFrame, *, stages: Sequence[str] | None):
    """``crmcli.metrics.compute_funnel`` on the typed leads: ``.table`` and the headline figures."""
    typed = prepare_leads(leads)
    return compute_funnel(typed, lines, orders, stages=list(stages) if stages else None)


def campaigns(table: Table, lines: pd.DataFrame, orders: pd.DataFrame, *, attribution_days: int):
    """``crmcli.metrics.compute_campaigns`` on the typed campaigns table."""
    typed = prepare_campaigns(table)
    return compute_campaigns(typed, lines, orders, attribution_days=attribution_days)


#: Fields that must not repeat, per input (None = validate's default for the table).
UNIQUE: dict[str, tuple[str, ...] | None] = {"orders": None, "customers": None, "leads": ("lead_id",),
                                             "campaigns": ()}  # a contact list repeats customers


#: The fields the report's figures need: their blank cells are data issues (``missing-value``).
REPORT_REQUIRED = ("order_date", "amount", "customer_id")


def find_issues(table: Table, *, role: str, required: Sequence[str] = (), lang: str = "en") -> pd.DataFrame:
    """``crmcli.validate.find_issues``: ``row, column, field, value, code, severity, message, suggestion``
    (messages and suggestions in ``lang``)."""
    present = set(table.mapping.values())
    return _find_issues(table, unique=UNIQUE.get(role), required=[f for f in required if f in present], lang=lang)
