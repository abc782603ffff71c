"""``crm metrics`` on an engine: the KPIs, periods and cohorts of prepared engine orders
(:func:`.run.prepare_on`) by the SQL of :mod:`.orders_sql`, finished in Python as on pandas
(``crmcli.metrics.compute_metrics``' tables), and the report's churn rate of a day alone."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import DataError, UsageError
from . import orders_sql
from .run import EngineOrders, Runner, date_literal, resolve_as_of_on


def metrics_on(p: EngineOrders, *, as_of: Any = None, churn_days: int = 90, by: str | None = None,
               cohorts: bool = False, since: pd.Timestamp | None = None) -> Any:
    """``crmcli.metrics.compute_metrics`` (KPIs, periods, cohorts) on prepared engine orders (``since``: only
    the orders from that day on, as the report's period comparison counts them)."""
    from ..metrics import MetricsReport
    from ..metrics.kpis import KPI_DEFINITIONS, check_period
    from ..metrics.labels import label_zh

    check_period(by)
    if churn_days < 1:
        raise UsageError("{opt:churn_days} must be at least 1", option="churn_days")
    if as_of is None or as_of == "":
        if not p.n_orders:
            raise DataError("no orders to compute metrics from: every row was left out or the table is empty",
                            hint="check the date, amount and customer columns (crm inspect FILE)")
    as_of_ts, n_window = _window_on(p, as_of, since)
    r = p.runner
    notes = list(p.notes)
    later = p.n_orders - n_window
    if later:
        notes.append(f"{later} order(s) dated after as_of {as_of_ts.date()} left out")
    start = as_of_ts - pd.Timedelta(days=churn_days - 1)
    k = r.fetch(orders_sql.kpis(date_literal(as_of_ts), _churn_start(start))).iloc[0]
    revenue, n_orders, customers = float(k["revenue"]) + 0.0, int(k["orders"]), int(k["customers"])

    values = {
        "customers": customers, "orders": n_orders, "revenue": revenue,
        "aov": _ratio(revenue, n_orders, cents=True), "revenue_per_customer": _ratio(revenue, customers, cents=True),
        "orders_per_customer": _ratio(n_orders, customers), "repurchase_rate": _ratio(int(k["repeat_customers"]),
                                                                                    customers),
        "new_customers": int(k["new_customers"]), "returning_customers": int(k["returning_customers"]),
        "churn_rate": _ratio(int(k["churned"]), customers), "refund_amount": round(float(k["refund"]), 2) + 0.0,
        "median_days_between_orders": float("nan") if pd.isna(k["median_gap"]) else float(k["median_gap"]),
    }
    fmt = {"days": churn_days, "start": start.date().isoformat(), "end": as_of_ts.date().isoformat()}
    kpis = pd.DataFrame([(m, float(values[m]), label_zh(m), d.format(**fmt)) for m, d in KPI_DEFINITIONS.items()],
                        columns=["metric", "value", "label_zh", "definition"])
    report = MetricsReport(as_of=as_of_ts, kpis=kpis, dropped=dict(p.dropped), notes=notes)
    if by:
        report.periods = _periods(r, by, as_of_ts)
    if cohorts:
        report.cohorts = cohort_table(r, as_of_ts)[0]
    return report


def _window_on(p: EngineOrders, as_of: Any, since: pd.Timestamp | None) -> tuple[pd.Timestamp, int]:
    """Point ``window_orders`` and ``window_lines`` at the orders up to ``as_of`` (from ``since`` on): the
    resolved as-of day and the window's orders (none is a usage error)."""
    as_of_ts = resolve_as_of_on(p, as_of)
    lit = date_literal(as_of_ts)
    r = p.runner
    first = f" AND {orders_sql.DAY} >= {date_literal(since)}" if since is not None else ""
    r.create("window_orders", orders_sql.window(lit) + first, view=True)   # a filter of the orders table, where it is read
    r.create("window_lines", f"SELECT * FROM lines_net WHERE NOT full_refund AND {orders_sql.DAY} <= {lit}{first}",
             view=True)
    n_window = int(r.fetch("SELECT COUNT(*) AS n FROM window_orders")["n"].iloc[0])
    if not n_window:
        raise UsageError(f"no orders on or before {as_of_ts.date()}", hint="check {opt:as_of} and the date column")
    return as_of_ts, n_window


def _churn_start(start: pd.Timestamp) -> str:
    return f"TIMESTAMP '{start.isoformat(sep=' ')}'"


def _ratio(a: float, b: float, cents: bool = False) -> float:
    if not b:
        return float("nan")
    return round(a / b, 2) if cents else a / b


def churn_on(p: EngineOrders, *, as_of: Any, churn_days: int = 90) -> float:
    """The KPIs' ``churn_rate`` at ``as_of`` alone (as :func:`metrics_on` gives it, without the other KPIs'
    queries)."""
    as_of_ts, _ = _window_on(p, as_of, None)
    k = p.runner.fetch(orders_sql.churn(_churn_start(as_of_ts - pd.Timedelta(days=churn_days - 1)))).iloc[0]
    return _ratio(int(k["churned"]), int(k["customers"]))


def _ordinal(ts: pd.Timestamp, by: str) -> int:
    if by == "month":
        return ts.year * 12 + ts.month - 1
    if by == "quarter":
        return ts.year * 4 + (ts.month - 1) // 3
    return ts.year


def _label(p: int, by: str) -> str:
    if by == "month":
        return f"{p // 12:04d}-{p % 12 + 1:02d}"
    if by == "quarter":
        return f"{p // 4}Q{p % 4 + 1}"
    return str(p)


def _periods(r: Runner, by: str, as_of: pd.Timestamp) -> pd.DataFrame:
    got = r.fetch(orders_sql.periods(by)).set_index("p")
    first = int(got.index.min())
    index = range(first, max(_ordinal(as_of, by), first) + 1)
    out = pd.DataFrame(index=pd.Index(list(index)))
    out["orders"] = got["orders"].reindex(out.index, fill_value=0).astype("int64")
    out["customers"] = got["customers"].reindex(out.index, fill_value=0).astype("int64")
    out["revenue"] = got["revenue"].reindex(out.index, fill_value=0.0).astype("float64").round(2)
    out["aov"] = (out["revenue"] / out["orders"].where(out["orders"] > 0)).round(2)
    out["new_customers"] = got["new_customers"].reindex(out.index, fill_value=0).astype("int64")
    out["returning_customers"] = out["customers"] - out["new_customers"]
    retained = got["retained"].reindex(out.index, fill_value=0).astype("float64")
    active_prev = out["customers"].shift(1)
    out["retention"] = retained / active_prev.where(active_prev > 0)
    out["churn"] = 1.0 - out["retention"]
    out.insert(0, "period", [_label(p, by) for p in out.index])
    return out.reset_index(drop=True)[["period", "orders", "customers", "revenue", "aov", "new_customers",
                                       "returning_customers", "retention", "churn"]]


def cohort_table(r: Runner, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cohort matrix of ``window_orders`` (as ``compute_metrics``' cohorts) and each cohort's size
    (``cohort`` ordinal, ``size``): the customers of a cohort are its cell k = 0, the month of their first
    purchase, so one query gives both."""
    cells = r.fetch(orders_sql.cohorts())
    first = cells[cells["k"] == 0]
    sizes = pd.DataFrame({"cohort": first["cohort"].to_numpy(dtype="int64"),
                          "size": first["n"].to_numpy(dtype="int64")}).sort_values("cohort", ignore_index=True)
    if sizes.empty:
        return pd.DataFrame({"cohort": pd.Series(dtype="str")}), sizes
    size = sizes.set_index("cohort")["size"]
    last = _ordinal(as_of, "month")
    cohorts = list(range(int(size.index.min()), last + 1))
    n_cols = len(cohorts)
    counts = cells.pivot(index="cohort", columns="k", values="n")
    matrix = counts.reindex(index=cohorts, columns=range(n_cols)).fillna(0.0).astype("float64")
    matrix = matrix.div(size.reindex(cohorts).astype("float64"), axis=0)
    for i, c in enumerate(cohorts):
        matrix.iloc[i, last - c + 1:] = float("nan")
    matrix = matrix[matrix.index.isin(size.index)]
    matrix.columns = [str(k) for k in matrix.columns]
    matrix.insert(0, "cohort", [_label(int(c), "month") for c in matrix.index])
    return matrix.reset_index(drop=True), sizes
