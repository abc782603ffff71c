"""Chinese and English labels for the report's sheets, columns and metrics."""

from __future__ import annotations

import re

from ..config import LANGS
from ..metrics.labels import METRICS

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
    "customers_n": ("客户数", "Customers"),
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
    "became_customer": ("成为客户 (已下单)", "Became a customer (ordered)"),
    "leads": ("当前在此阶段", "Leads at stage"),
    "reached": ("到达此阶段", "Reached stage"),
    "next_rate": ("到下一阶段转化率", "Conversion to next stage"),
    "share_of_leads": ("占全部线索", "Share of all leads"),
    "campaign": ("活动", "Campaign"),
    "cost": ("费用", "Cost"),
    "contacted": ("触达人数", "Contacted"),
    "responders": ("响应人数", "Responders"),
    "response_rate": ("响应率", "Response rate"),
    "roi": ("ROI (收益率)", "ROI"),
    "roas": ("投入产出比 (ROAS)", "ROAS (投入产出比)"),
    "input": ("文件", "Input"),
    "in_orders": ("订单", "orders"),
    "in_customers": ("客户", "customers"),
    "in_leads": ("线索", "leads"),
    "in_campaigns": ("营销活动", "campaigns"),
    "field": ("字段", "Field"),
    "column": ("列", "Column"),
    "code": ("问题", "Code"),
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
    "chart_monthly_channels": ("月度销售额 (按渠道)", "Monthly revenue by channel"),
    "chart_monthly_orders": ("月度订单数与客户数", "Orders and customers by month"),
    "chart_segments": ("各分群客户占比与销售额占比", "Share of customers and of revenue by segment"),
    "chart_products": ("产品销售额 (前15)", "Revenue by product (top 15)"),
    "chart_funnel": ("转化漏斗：到达各阶段的线索 (占全部线索)", "Funnel: leads reaching each stage (share of all)"),
    "chart_roas": ("投入产出比 (ROAS)", "ROAS by campaign"),
    "chart_roi": ("ROI (收益率)", "ROI by campaign"),
    # the report's title, page header/footer, notes
    "report_title": ("销售报告", "Sales report"),
    "as_of_short": ("截至 {date}", "As of {date}"),
    "pages": ("第 &P 页，共 &N 页", "Page &P of &N"),
    "contact_problem": ("{field}：{problem} ({source}第 {row} 行)", "{field}: {problem} ({source} row {row})"),
    "contact_note": ("联系方式备注", "Contact note"),
    "problem": ("问题", "Problem"),
    "message": ("说明", "Message"),
    "suggestion": ("建议", "Suggestion"),
    "code_slug": ("代码", "Code"),
    "rows_more": ("显示前 {shown} 行，共 {total} 行；完整列表见工作簿。",
                  "The first {shown} of {total} rows; the workbook has them all."),
    "sections": ("目录", "Contents"),
    # CLV and forecast sheets
    "at_risk": ("流失预警", "At risk"),
    "forecast": ("销售预测", "Forecast"),
    "forecast_backtest": ("预测回测", "Forecast backtest"),
    "chart_forecast": ("销售额预测", "Revenue forecast"),
    "period": ("期间", "Period"),
    "actual_revenue": ("实际销售额", "Actual revenue"),
    "forecast_revenue": ("预测销售额", "Forecast revenue"),
    "revenue_lo": ("销售额下限", "Revenue, lower bound"),
    "revenue_hi": ("销售额上限", "Revenue, upper bound"),
    "actual_orders": ("实际订单数", "Actual orders"),
    "forecast_orders": ("预测订单数", "Forecast orders"),
    "orders_lo": ("订单数下限", "Orders, lower bound"),
    "orders_hi": ("订单数上限", "Orders, upper bound"),
    "series": ("指标", "Series"),
    "model": ("模型", "Model"),
    "origins": ("回测起点数", "Origins"),
    "forecasts": ("回测预测数", "Forecasts"),
    "mape": ("MAPE (%)", "MAPE (%)"),
    "mase": ("MASE", "MASE"),
    "coverage": ("落在区间内的比例", "Inside the interval"),
    "baseline_mape": ("季节朴素法 MAPE (%)", "Seasonal naive MAPE (%)"),
    "baseline_mase": ("季节朴素法 MASE", "Seasonal naive MASE"),
    "beats_baseline": ("优于季节朴素法", "Beats seasonal naive"),
    "method": ("所用模型", "Model used"),
    "no_at_risk": ("没有高流失风险的客户 (存活概率 < 0.5 的复购或高价值客户)。",
                   "No customer at high churn risk (a repeat or high-tier buyer with P(alive) < 0.5)."),
    "top_customers": ("仅列出价值最高的 {shown} 位客户 (共 {total} 位；工作表给人看，不是数据库)。完整客户表：crm rfm {source} -o 客户.csv",
                      "The {shown} most valuable of {total} customers (a report is read by people, not loaded as a "
                      "database). The full table: crm rfm {source} -o customers.csv"),
    "clv_unavailable": ("无法计算客户终身价值：", "CLV could not be computed: "),
    "forecast_unavailable": ("无法预测：", "No forecast: "),
}
LABELS.update({k: v for k, v in METRICS.items() if k not in LABELS})  # the metrics' names: one table

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
    # crm clv's columns (BG/NBD + Gamma-Gamma)
    "repeat_purchases": ("复购天数", "Repeat purchase days"),
    "p_alive": ("存活概率", "P(alive)"),
    "expected_orders": ("预计订单数", "Expected orders"),
    "expected_order_value": ("预计每单金额", "Expected order value"),
    "clv": ("客户终身价值 (CLV)", "CLV"),
    "value_at_stake": ("流失损失价值", "Value at stake"),
    "churn_risk": ("流失风险", "Churn risk"),
    "avg_days_between_orders": ("平均购买间隔（天）", "Avg days between orders"),
    "tags": ("客户标签", "Tags"),
}

#: Canonical fields (DESIGN.md) -> labels, for the Data quality sheet.
FIELDS: dict[str, tuple[str, str]] = {
    "company": ("公司", "company"), "address": ("地址", "address"), "province": ("省份", "province"),
    "country": ("国家", "country"), "postcode": ("邮编", "postcode"), "gender": ("性别", "gender"),
    "birth_date": ("出生日期", "birth_date"), "created_at": ("创建时间", "created_at"), "order_id": ("订单号", "order_id"),
    "order_date": ("下单日期", "order_date"), "product": ("产品", "product"), "category": ("品类", "category"),
    "quantity": ("数量", "quantity"), "unit_price": ("单价", "unit_price"), "amount": ("金额", "amount"),
    "channel": ("渠道", "channel"), "campaign": ("活动", "campaign"), "status": ("状态", "status"),
    "lead_id": ("线索ID", "lead_id"), "lead_date": ("线索日期", "lead_date"), "stage": ("阶段", "stage"),
    "owner": ("负责人", "owner"), "cost": ("费用", "cost"), "paid_at": ("付款时间", "paid_at"),
    "refund_amount": ("退款金额", "refund_amount"),
}

#: metric -> zh definition (the English ones come from ``crmcli.metrics``, with the same meaning).
DEFINITIONS_ZH: dict[str, str] = {
    "customers": "截至观察截止日有购买 (非贷项) 订单的客户数 (付款客户)",
    "orders": "计入的订单 (不含待付款、已取消/关闭、已退款) 的不同订单号个数，不含贷项单 (净额为负的退货单)；"
              "无订单号的行每行算一单",
    "revenue": "订单净额合计：退款与贷项单已冲减",
    "aov": "销售额 ÷ 订单数 (购买)",
    "revenue_per_customer": "销售额 ÷ 付款客户数",
    "orders_per_customer": "订单数 ÷ 客户数",
    "repurchase_rate": "购买 ≥ 2 次的客户 ÷ 购买 ≥ 1 次的客户",
    "new_customers": "首单在最近 {days} 天内 ({start} .. {end}) 的客户；本期/上期列：首单在该期间内的客户",
    "returning_customers": "最近 {days} 天内 ({start} .. {end}) 下过单且之前也下过单的客户；本期/上期列：该期间内的老客户",
    "churn_rate": "最近 {days} 天内 ({start} .. {end}) 无订单的客户 ÷ 全部客户；本期/上期列：该期末的流失率；变化为百分点",
    "refund_amount": "退款合计，记为正数：计入订单的退款金额、负金额行与贷项单；已从销售额中冲减",
    "leads": "线索表的行数",
    "converted_leads": "匹配到客户 (按客户ID，否则电话，否则邮箱) 且在线索日期当天或之后下单的线索",
    "lead_conversion_rate": "转化线索数 ÷ 线索数",
    "avg_sales_cycle_days": "从线索日期到首单的平均天数 (有线索日期的转化线索)",
}
DEFINITIONS_EN_EXTRA: dict[str, str] = {
    "new_customers": "; in the period columns: customers whose first order is in the period",
    "returning_customers": "; in the period columns: the period's other customers",
    "churn_rate": "; in the period columns: the churn rate at the period's end; change in percentage points",
    "repurchase_rate": "; change in percentage points",
    "leads": "rows of the leads table",
    "converted_leads": "leads matched to a customer (by customer id, else phone, else email) who ordered on or after "
                       "the lead date",
    "lead_conversion_rate": "converted leads ÷ leads",
    "avg_sales_cycle_days": "mean days from lead date to first order, over converted leads with a lead date",
}
LABELS.update({
    "as_of_def": ("含当天；默认为数据中最近的订单日期", "inclusive; default: the latest order date in the data"),
    "rows_left_out_def": ("重复导出行、日期或金额无效、无客户的行 (见数据质量)",
                          "rows exported twice, with an invalid date or amount, or no customer (see Data quality)"),
    "period_note": ("本期 / 上期", "This / previous period"),
    "period_note_def": ("本期 = 截止日所在月的1日至截止日；上期 = 上个月的同一段日期；变化 = 本期 ÷ 上期 − 1，"
                        "比率 (复购率、流失率) 的变化为百分点",
                        "this period = the as-of month up to the as-of day; previous = the month before over the "
                        "same days; change = this ÷ previous − 1, for rates (repurchase, churn) in percentage "
                        "points"),
})


# crm metrics --campaigns as marketers count them (the Campaigns sheet)
LABELS.update({
    "impressions": ("曝光量", "Impressions"),
    "clicks": ("点击量", "Clicks"),
    "ctr": ("点击率", "CTR (clicks ÷ impressions)"),
    "participants": ("参与人数", "Participants"),
    "buyers": ("成交人数", "Buyers"),
    "conversion_rate": ("转化率", "Conversion rate (buyers ÷ participants)"),
    "cost_ads": ("广告费用", "Ad cost"),
    "cost_staff": ("人力成本", "Staff cost"),
    "cost_material": ("物料费用", "Material cost"),
    "cost_other": ("其他费用", "Other cost"),
    "roas_text": ("投入产出比 (1:N)", "ROAS (1:N)"),
    "flag": ("提示", "Flag"),
})
# crm metrics --team (the Team sheet)
LABELS.update({
    "team": ("销售团队", "Sales team"),
    "owner": ("负责人", "Owner"),
    "unassigned": ("(未分配)", "(unassigned)"),
    "team_leads": ("线索数", "Leads"),
    "converted_leads": ("转化线索数", "Converted leads"),
    "lead_conversion": ("线索转化率", "Lead conversion"),
    "sales_cycle": ("平均销售周期（天）", "Sales cycle (days)"),
    "quota": ("业绩目标", "Quota"),
    "attainment": ("目标完成率", "Attainment"),
})
#: The campaigns' flags (``crmcli.metrics.campaigns.FLAG_RULES``) in Chinese.
FLAGS_ZH = {"high reach, low conversion": "高参与低转化", "low CTR": "点击率低", "ROAS < 1": "投入产出比低于1:1"}


def detect_lang(headers) -> str:
    """``zh`` when any header holds Chinese characters, else ``en``."""
    return "zh" if any(_CJK.search(str(h)) for h in headers) else "en"


def report_lang(lang: str | None, settings_lang: str | None, headers) -> str:
    """The report's language: the one asked for, else the settings', else the orders' headers'."""
    return lang or settings_lang or detect_lang(headers)


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

    def field(self, key: str) -> str:
        """A canonical field's label (``phone`` -> 电话); English: the field's name."""
        if self.lang == "en":
            return key
        pair = FIELDS.get(key) or RFM_COLUMNS.get(key)
        return pair[self._i] if pair else key

    def col(self, key: str) -> str:
        pair = RFM_COLUMNS.get(key) or LABELS.get(key)
        return pair[self._i] if pair else key

    def flags(self, text: str) -> str:
        """A campaign's ``flag`` text in the chosen language."""
        if self.lang != "zh" or not text:
            return text
        return "；".join(FLAGS_ZH.get(f, f) for f in str(text).split("; "))

    def metric(self, key: str) -> str:
        pair = METRICS.get(key)
        return pair[self._i] if pair else key

    def definition(self, key: str, default: str = "", **kw) -> str:
        """The metric's definition: zh from DEFINITIONS_ZH, en = ``default`` (the library's) + notes."""
        if self.lang == "zh" and key in DEFINITIONS_ZH:
            return DEFINITIONS_ZH[key].format(**kw)
        extra = DEFINITIONS_EN_EXTRA.get(key, "")
        if not default:
            return extra
        return default + extra
