"""Chinese and English labels for the report's sheets, columns and metrics."""

from __future__ import annotations

import re

from ..config import LANGS

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

#: key -> (zh, en)
LABELS: dict[str, tuple[str, str]] = {
    # sheets
    "summary": ("概览", "Summary"),
    "sales": ("月度销售", "Sales by month"),
    "products": ("产品排行", "Products"),
    "segments": ("RFM分群", "RFM segments"),
    "customers": ("客户", "Customers"),
    "cohorts": ("同期群留存", "Cohorts"),
    "funnel": ("转化漏斗", "Funnel"),
    "campaigns": ("营销活动", "Campaigns"),
    "quality": ("数据质量", "Data quality"),
    # summary columns
    "metric": ("指标", "Metric"),
    "all": ("全部", "All"),
    "current": ("本期", "This period"),
    "previous": ("上期", "Previous period"),
    "change": ("变化", "Change"),
    "definition": ("定义", "Definition"),
    # metrics
    "revenue": ("销售额", "Revenue"),
    "orders": ("订单数", "Orders"),
    "customers_n": ("客户数", "Customers"),
    "aov": ("平均订单金额 (AOV)", "Average order value (AOV)"),
    "revenue_per_customer": ("客单价", "Revenue per customer (客单价)"),
    "repurchase_rate": ("复购率", "Repurchase rate"),
    "new_customers": ("新客户数", "New customers"),
    "churn_rate": ("流失率", "Churn rate"),
    "refund_amount": ("退款金额", "Refunds"),
    "as_of": ("观察截止日", "Observation end (as of)"),
    "rows_read": ("读取行数", "Rows read"),
    "rows_left_out": ("未计入行数", "Rows left out"),
    "source": ("订单文件", "Orders file"),
    # common columns
    "month": ("月份", "Month"),
    "total": ("合计", "Total"),
    "product": ("产品", "Product"),
    "units": ("销量", "Units"),
    "revenue_share": ("销售额占比", "Revenue share"),
    "rank_revenue": ("销售额排名", "Rank by revenue"),
    "rank_units": ("销量排名", "Rank by units"),
    "segment": ("分群", "Segment"),
    "share": ("客户占比", "Share of customers"),
    "cohort": ("首购月份", "Cohort (first order month)"),
    "cohort_size": ("客户数", "Customers"),
    "stage": ("阶段", "Stage"),
    "leads": ("当前在此阶段", "Leads at stage"),
    "reached": ("到达此阶段", "Reached stage"),
    "next_rate": ("到下一阶段转化率", "Conversion to next stage"),
    "share_of_leads": ("占全部线索", "Share of all leads"),
    "campaign": ("活动", "Campaign"),
    "cost": ("费用", "Cost"),
    "roi": ("ROI (收益率)", "ROI"),
    "roas": ("投入产出比 (ROAS)", "ROAS (投入产出比)"),
    "input": ("文件", "Input"),
    "field": ("字段", "Field"),
    "column": ("列", "Column"),
    "code": ("问题代码", "Code"),
    "severity": ("级别", "Severity"),
    "count": ("数量", "Count"),
    "rows": ("行号 (前10个)", "Rows (first 10)"),
    "example": ("示例值", "Example value"),
    "no_issues": ("未发现问题", "No issues found"),
    "missing_leads": ("未提供线索文件 (--leads 或 crm.toml [inputs] leads)，本表为空。",
                      "No leads file given (--leads or [inputs] leads in crm.toml): nothing to show."),
    "missing_campaigns": ("未提供营销活动文件 (--campaigns 或 crm.toml [inputs] campaigns)，本表为空。",
                          "No campaigns file given (--campaigns or [inputs] campaigns in crm.toml): nothing to show."),
    "no_orders": ("没有可计算的订单。", "No usable orders."),
    # chart titles
    "chart_monthly": ("月度销售额", "Monthly revenue"),
    "chart_segments": ("各分群客户数", "Customers per segment"),
    "chart_products": ("产品销售额", "Revenue by product"),
}

#: RFM table columns (the library's names) -> labels.
RFM_COLUMNS: dict[str, tuple[str, str]] = {
    "customer_id": ("客户ID", "Customer ID"),
    "name": ("客户名称", "Name"),
    "phone": ("电话", "Phone"),
    "email": ("邮箱", "Email"),
    "city": ("城市", "City"),
    "recency_days": ("最近购买距今天数", "Recency (days)"),
    "frequency": ("订单数", "Frequency (orders)"),
    "monetary": ("消费总额", "Monetary"),
    "first_order": ("首次购买", "First order"),
    "last_order": ("最近购买", "Last order"),
    "avg_order_value": ("平均订单金额", "Average order value"),
    "r_score": ("R分", "R score"),
    "f_score": ("F分", "F score"),
    "m_score": ("M分", "M score"),
    "rfm_score": ("RFM分", "RFM score"),
    "segment": ("分群", "Segment"),
    "tier": ("价值层级", "Tier"),
}

#: metric -> (zh definition, en definition)
DEFINITIONS: dict[str, tuple[str, str]] = {
    "revenue": ("订单金额合计 (退款冲减)", "sum of order amounts, refunds netted"),
    "orders": ("不同订单号的个数 (无订单号时每行一单)", "distinct order ids (each row when there is none)"),
    "customers_n": ("有订单的客户数", "customers with at least one order"),
    "aov": ("销售额 ÷ 订单数", "revenue ÷ orders"),
    "revenue_per_customer": ("销售额 ÷ 付款客户数", "revenue ÷ paying customers"),
    "repurchase_rate": ("订单数≥2的客户 ÷ 订单数≥1的客户", "customers with ≥ 2 orders ÷ customers with ≥ 1"),
    "new_customers": ("首单在该期间内的客户", "customers whose first order is in the period"),
    "churn_rate": ("期末前 {days} 天内无订单的客户 ÷ 期末前全部客户",
                   "customers with no order in the {days} days to the period end ÷ all customers so far"),
    "refund_amount": ("负金额订单合计", "sum of negative amounts"),
}


def detect_lang(headers) -> str:
    """``zh`` when any header holds Chinese characters, else ``en``."""
    return "zh" if any(_CJK.search(str(h)) for h in headers) else "en"


class Labeller:
    """``t(key)`` -> the label in the chosen language."""

    def __init__(self, lang: str):
        if lang not in LANGS:
            raise ValueError(lang)
        self.lang = lang
        self._i = LANGS.index(lang)

    def __call__(self, key: str) -> str:
        pair = LABELS.get(key) or RFM_COLUMNS.get(key)
        return pair[self._i] if pair else key

    def col(self, key: str) -> str:
        pair = RFM_COLUMNS.get(key) or LABELS.get(key)
        return pair[self._i] if pair else key

    def definition(self, key: str, **kw) -> str:
        return DEFINITIONS[key][self._i].format(**kw)
