"""The analytics the report uses, behind one small interface.

Every function here returns plain DataFrames/dicts with the column names ``report.build``
expects. Where the library's own module exists it is used; the rest comes from
``report.standin`` (the simplest correct computation, to be replaced).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from . import standin

PreparedOrders = standin.PreparedOrders


def prepare_orders(df: pd.DataFrame, *, overrides: Mapping[str, str] | None, region: str,
                   dayfirst: bool | None) -> standin.PreparedOrders:
    return standin.prepare_orders(df, overrides=overrides, region=region, dayfirst=dayfirst)


def score_rfm(orders: pd.DataFrame, *, as_of: pd.Timestamp, bins: int, breaks, scheme: str,
              rules) -> pd.DataFrame:
    return standin.score_rfm(orders, as_of=as_of, bins=bins, breaks=breaks, scheme=scheme, rules=rules)


def segment_summary(rfm: pd.DataFrame) -> pd.DataFrame:
    return standin.segment_summary(rfm)


def kpis(orders: pd.DataFrame, *, start: pd.Timestamp | None, end: pd.Timestamp, churn_days: int) -> dict[str, float]:
    return standin.kpis(orders, orders, start=start, end=end, churn_days=churn_days)


def cohort_matrix(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    return standin.cohort_matrix(orders, as_of)


def funnel(leads: pd.DataFrame, orders: pd.DataFrame, *, stages: Sequence[str] | None,
           overrides: Mapping[str, str] | None) -> pd.DataFrame:
    return standin.funnel(leads, orders, stages=stages, overrides=overrides)


def campaigns(table: pd.DataFrame, lines: pd.DataFrame, *, overrides: Mapping[str, str] | None,
              attribution_days: int) -> pd.DataFrame:
    return standin.campaigns(table, lines, overrides=overrides)


def find_issues(df: pd.DataFrame, *, overrides: Mapping[str, str] | None, region: str, dayfirst: bool | None,
                prepared: standin.PreparedOrders | None = None) -> pd.DataFrame:
    """Issues (row, column, field, value, code, severity, message, suggestion)."""
    cols = ["row", "column", "field", "value", "code", "severity", "message", "suggestion"]
    if prepared is None:
        return pd.DataFrame(columns=cols)
    from ..schema import column_for
    rows = []
    mapping = prepared.mapping
    field_of = {"invalid-date": "order_date", "invalid-amount": "amount", "missing-value": "customer_id"}
    for r, reason in zip(prepared.dropped["row"], prepared.dropped["reason"]):
        fld = field_of[reason]
        col = column_for(mapping, fld) or ""
        rows.append((int(r), col, fld, str(df.at[r, col]) if col else "", reason, "error",
                     f"{fld} is not usable", ""))
    dup = df.duplicated(keep="first")
    for r in df.index[dup]:
        rows.append((int(r), "", "", "", "duplicate-row", "warning", "row repeats an earlier row", "counted once"))
    return pd.DataFrame(rows, columns=cols)
