"""The names of the metrics, in Chinese and English: the one table the KPI table, ``crm metrics`` and the report use."""

from __future__ import annotations

#: metric -> (zh label, en label)
METRICS: dict[str, tuple[str, str]] = {
    "customers": ("客户数", "Customers"),
    "orders": ("订单数", "Orders"),
    "revenue": ("销售额", "Revenue"),
    "aov": ("平均订单金额 (AOV)", "Average order value (AOV)"),
    "revenue_per_customer": ("客单价", "Revenue per customer (客单价)"),
    "orders_per_customer": ("人均订单数", "Orders per customer"),
    "repurchase_rate": ("复购率", "Repurchase rate"),
    "new_customers": ("新客户数", "New customers"),
    "returning_customers": ("回头客数", "Returning customers"),
    "churn_rate": ("流失率", "Churn rate"),
    "refund_amount": ("退款金额", "Refunds"),
    "median_days_between_orders": ("购买间隔中位数（天）", "Median days between orders"),
    "leads": ("线索数", "Leads"),
    "converted_leads": ("转化线索数", "Converted leads"),
    "lead_conversion_rate": ("线索转化率", "Lead conversion rate"),
    "avg_sales_cycle_days": ("平均销售周期（天）", "Average sales cycle (days)"),
}


def label_zh(metric: str) -> str:
    return METRICS[metric][0]
