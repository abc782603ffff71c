"""Number formats of what we write: one table, for every command's workbook, the report and its web page.

``crm rfm``, ``crm metrics``, ``crm pivot``, ``crm clv``, ``crm forecast`` and the report format the same kind of
number the same way — money ``#,##0.00``, counts ``#,##0``, rates ``0.0%``, ratios ``0.00``, dates
``yyyy-mm-dd`` — by *kind*: a column's kind comes from its name (:data:`COLUMN_KINDS`), a KPI's from its
metric (:data:`METRIC_KINDS`, for the long ``metric, value`` tables where each row is another kind).
:func:`format_value` shows a number the way its Excel format does (the report's HTML page, stderr).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

MONEY = "#,##0.00"
COUNT = "#,##0"
RATE = "0.0%"
RATIO = "0.00"
NUMBER = "#,##0.00"
ESTIMATE = "#,##0.0"   # a predicted count (expected orders per period), days on average
PROBABILITY = "0.000"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm:ss"
#: A change of a rate, in percentage points (the cell holds points: 12.5 = 12.5 pp), per language.
POINTS = {"en": '+0.0" pp";-0.0" pp";0.0" pp"', "zh": '+0.0" 个百分点";-0.0" 个百分点";0.0" 个百分点"'}
#: A relative change (this ÷ previous − 1), signed.
CHANGE = "+0.0%;-0.0%;0.0%"

#: Kind -> Excel number format (``text`` has none; ``points`` depends on the language: :data:`POINTS`).
KIND_FORMATS: dict[str, str | None] = {
    "text": None, "money": MONEY, "int": COUNT, "number": NUMBER, "percent": RATE, "ratio": RATIO,
    "days": ESTIMATE, "estimate": ESTIMATE, "probability": PROBABILITY, "date": DATE, "datetime": DATETIME,
    "change": CHANGE, "points": POINTS["en"],
}
KINDS = tuple(KIND_FORMATS)
#: Kind -> the number format of a chart's value axis and data labels (whole amounts, whole percents).
AXIS_FORMATS: dict[str, str] = {"money": "#,##0", "int": "#,##0", "estimate": "#,##0", "percent": "0%",
                                "ratio": "0.0"}

#: Column name (the library's names) -> kind.
COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys(("revenue", "aov", "revenue_per_customer", "refund_amount", "attributed_revenue", "cost",
                     "monetary", "avg_order_value", "amount", "clv", "expected_order_value", "weighted_pipeline",
                     "value_at_stake", "revenue_lo", "revenue_hi", "predicted_revenue"), "money"),
    **dict.fromkeys(("retention", "churn", "repurchase_rate", "churn_rate", "reached_rate", "next_stage_rate",
                     "response_rate", "roi", "share", "revenue_share", "conversion_rate", "ctr", "coverage",
                     "lead_conversion_rate", "p_alive"), "percent"),
    **dict.fromkeys(("roas", "orders_per_customer", "mase", "baseline_mase"), "ratio"),
    **dict.fromkeys(("mape", "baseline_mape"), "number"),
    **dict.fromkeys(("customers", "orders", "frequency", "recency_days", "new_customers", "returning_customers",
                     "leads", "reached", "contacted", "responders", "attributed_orders", "converted_leads",
                     "r_score", "f_score", "m_score", "repeat_purchases", "units", "origins", "forecasts",
                     "calibration_purchases", "actual", "rank_revenue", "rank_units", "count", "rows_read",
                     "rows_left_out"), "int"),
    **dict.fromkeys(("expected_orders", "orders_lo", "orders_hi", "avg_sales_cycle_days", "predicted",
                     "predicted_total", "cumulative_predicted", "holdout_predicted", "predicted_mean",
                     "actual_mean", "avg_days_between_orders", "median_days_between_orders"), "estimate"),
    # crm pipeline, crm metrics --team, --campaigns
    **dict.fromkeys(("open_amount", "won_amount", "quota", "cost_ads", "cost_staff", "cost_material",
                     "cost_other"), "money"),
    **dict.fromkeys(("avg_probability", "attainment"), "percent"),
    **dict.fromkeys(("open_opportunities", "won_opportunities", "impressions", "clicks", "participants",
                     "buyers"), "int"),
    # crm basket
    **dict.fromkeys(("support", "confidence"), "percent"),
    "lift": "ratio",
    **dict.fromkeys(("antecedent_count", "consequent_count", "size"), "int"),
    **dict.fromkeys(("first_order", "last_order", "order_date", "lead_date"), "date"),
}
#: Column name -> Excel number format (:data:`COLUMN_KINDS` through :data:`KIND_FORMATS`).
COLUMN_FORMATS: dict[str, str] = {c: f for c, k in COLUMN_KINDS.items() if (f := KIND_FORMATS[k])}
#: KPI (``crmcli.metrics.compute_kpis`` / funnel figures) -> kind of its value.
METRIC_KINDS: dict[str, str] = {
    "revenue": "money", "aov": "money", "revenue_per_customer": "money", "refund_amount": "money",
    "orders": "int", "customers": "int", "new_customers": "int", "returning_customers": "int", "leads": "int",
    "converted_leads": "int", "repurchase_rate": "percent", "churn_rate": "percent",
    "lead_conversion_rate": "percent", "orders_per_customer": "ratio", "avg_sales_cycle_days": "days",
    "median_days_between_orders": "days",
}
#: The columns of a long KPI table (``crm metrics``' kpis sheet): the value's kind is its metric's.
METRIC_COLUMN, VALUE_COLUMN = "metric", "value"


def kind_format(kind: str, lang: str = "en") -> str | None:
    """The Excel number format of a kind (``points`` in ``lang``)."""
    if kind == "points":
        return POINTS.get(lang, POINTS["en"])
    if kind not in KIND_FORMATS:
        raise ValueError(f"unknown column kind {kind!r}")
    return KIND_FORMATS[kind]


def column_kind(column: object) -> str:
    """The kind of a column by its (library) name; ``text`` when the table does not know it."""
    return COLUMN_KINDS.get(str(column), "text")


def column_format(column: object) -> str | None:
    """The number format of a column by its name, or None."""
    return COLUMN_FORMATS.get(str(column))


def formats_for(table: Any) -> dict[str, str | list[str | None]]:
    """``{column: number format}`` for the columns this table knows (a table or its column names). In a long KPI
    table (``metric`` and ``value`` columns) the ``value`` column gets one format per row, by its metric."""
    columns = [str(c) for c in getattr(table, "columns", table)]
    out: dict[str, str | list[str | None]] = {c: f for c in columns if (f := column_format(c))}
    if METRIC_COLUMN in columns and VALUE_COLUMN in columns and hasattr(table, "columns"):
        out[VALUE_COLUMN] = [KIND_FORMATS.get(METRIC_KINDS.get(str(m), ""), None) or NUMBER
                             for m in table[METRIC_COLUMN].tolist()]
    return out


def sheet_formats(tables: Mapping[str, object]) -> dict[str, dict[str, str | list[str | None]]]:
    """:func:`formats_for` for each named table (``{sheet: {column: format}}``)."""
    return {name: formats_for(df) for name, df in tables.items()}


def all_formats(columns: Iterable[object], fmt: str) -> dict[str, str]:
    """``{column: fmt}`` for every one of ``columns`` (a matrix of one kind: cohort shares, pivot cells)."""
    return {str(c): fmt for c in columns}


# --------------------------------------------------------------------------- shown as text


def format_value(value: Any, kind: str, lang: str = "en") -> str:
    """``value`` as its kind's Excel format shows it: ``1,234.50``, ``12.5%``, ``+3.2 pp``, ``2024-12-28``.
    Missing values are ``""``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind in ("date", "datetime"):
        try:
            import pandas as pd

            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            return str(value)
        if pd.isna(ts):
            return ""
        return ts.strftime("%Y-%m-%d %H:%M:%S" if kind == "datetime" else "%Y-%m-%d")
    if kind == "text" or isinstance(value, str) or isinstance(value, bool):
        return str(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "inf" if v > 0 else "-inf"
    if kind == "money" or kind == "number":
        return f"{v:,.2f}"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "percent":
        return f"{v:.1%}"
    if kind == "change":
        return f"{v:+.1%}" if round(v, 3) else "0.0%"
    if kind == "points":
        unit = " 个百分点" if lang == "zh" else " pp"
        return (f"{v:+.1f}" if round(v, 1) else "0.0") + unit
    if kind == "ratio":
        return f"{v:,.2f}"
    if kind in ("days", "estimate"):
        return f"{v:,.1f}"
    if kind == "probability":
        return f"{v:.3f}"
    return f"{v:,.2f}"


def arrow_format(kind: str, lang: str = "en") -> str:
    """A KPI card's change: ``▲ 12.5%`` / ``▼ 3.2 pp`` (the arrow gives the sign; ``kind`` ``change`` or
    ``points``)."""
    if kind == "points":
        unit = ' "个百分点"' if lang == "zh" else ' "pp"'
        return f'"▲ "0.0{unit};"▼ "0.0{unit};"— "0.0{unit}'
    return '"▲ "0.0%;"▼ "0.0%;"— "0.0%'


def arrow_text(value: Any, kind: str, lang: str = "en") -> str:
    """:func:`arrow_format` as text (the HTML page)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    shown = abs(v) * (1 if kind == "points" else 100)
    arrow = "▲" if round(shown, 1) and v > 0 else "▼" if round(shown, 1) and v < 0 else "—"
    unit = (" 个百分点" if lang == "zh" else " pp") if kind == "points" else "%"
    return f"{arrow} {shown:.1f}{unit}"
