"""Number formats of the spreadsheets we write: one table, by column name, for every command.

``crm rfm``, ``crm metrics``, ``crm pivot`` and the report format the same kind of number the same way:
money ``#,##0.00``, counts ``#,##0``, rates ``0.0%``, ratios ``0.00``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MONEY = "#,##0.00"
COUNT = "#,##0"
RATE = "0.0%"
RATIO = "0.00"
ESTIMATE = "#,##0.0"   # a predicted count (expected orders per period)

#: Column name -> Excel number format.
COLUMN_FORMATS: dict[str, str] = {
    **dict.fromkeys(("revenue", "aov", "revenue_per_customer", "refund_amount", "attributed_revenue", "cost",
                     "monetary", "avg_order_value", "amount", "clv", "expected_order_value",
                     "weighted_pipeline"), MONEY),
    **dict.fromkeys(("retention", "churn", "repurchase_rate", "churn_rate", "reached_rate", "next_stage_rate",
                     "response_rate", "roi", "share", "revenue_share", "conversion_rate", "ctr"), RATE),
    **dict.fromkeys(("roas", "orders_per_customer"), RATIO),
    **dict.fromkeys(("customers", "orders", "frequency", "recency_days"), COUNT),
    # crm pipeline, crm metrics --team, --campaigns
    **dict.fromkeys(("open_amount", "won_amount", "quota", "cost_ads", "cost_staff", "cost_material", "cost_other"),
                    MONEY),
    **dict.fromkeys(("avg_probability", "attainment"), RATE),
    **dict.fromkeys(("open_opportunities", "won_opportunities", "new_customers", "leads", "converted_leads",
                     "impressions", "clicks", "participants", "buyers", "contacted", "responders",
                     "attributed_orders"), COUNT),
    **dict.fromkeys(("avg_sales_cycle_days", "avg_days_between_orders", "median_days_between_orders"), "#,##0.0"),
    # crm basket
    **dict.fromkeys(("support", "confidence"), RATE),
    "lift": RATIO,
    **dict.fromkeys(("count", "antecedent_count", "consequent_count", "size"), COUNT),
}


def formats_for(columns: Iterable[object]) -> dict[str, str]:
    """``{column: number format}`` for the columns this table knows."""
    return {str(c): COLUMN_FORMATS[str(c)] for c in columns if str(c) in COLUMN_FORMATS}


def sheet_formats(tables: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """:func:`formats_for` for each named table (``{sheet: {column: format}}``)."""
    return {name: formats_for(getattr(df, "columns", ())) for name, df in tables.items()}
