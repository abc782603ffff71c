"""``build_report``: the whole report workbook from an orders table (and optional extras).

Sheets, in order: Summary (KPI cards, this period vs the previous one), Sales by month
(month × channel with totals), Products (ranking by revenue and units), RFM segments,
Customers (the RFM table), Cohorts (retention matrix, colour scale), Funnel, Campaigns
(a one-line sheet when the input was not given) and Data quality (issue counts by field and
code). Native charts: monthly revenue (line), customers per segment (column), revenue by
product (column).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell

from ..clv.join import join_predictions
from ..config import DEFAULT_OUTPUT, Settings
from ..errors import CrmError, DataError
from ..metrics.funnel import CUSTOMER_ROW
from ..normalize import normalize_table
from ..table import Table
from . import analytics
from .charts import Chart
from .labels import Labeller, detect_lang
from .workbook import Sheet, write_report_workbook

#: Summary metrics in display order (the metric names of ``crmcli.metrics.compute_kpis``), with their kind.
SUMMARY_METRICS = (
    ("revenue", "money"), ("orders", "int"), ("customers", "int"), ("aov", "money"),
    ("revenue_per_customer", "money"), ("repurchase_rate", "percent"), ("churn_rate", "percent"),
    ("new_customers", "int"), ("returning_customers", "int"), ("orders_per_customer", "number"),
    ("refund_amount", "money"),
)
RATE_METRICS = {"repurchase_rate", "churn_rate"}


@dataclass
class Report:
    """A built report: the sheets to write plus the numbers behind them."""

    sheets: list[Sheet]
    as_of: dt.date
    lang: str
    kpis: dict[str, float]
    rows_read: int
    rows_left_out: int
    issues: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def write(self, dest: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = ()) -> str:
        """Write the workbook atomically; a failure leaves any previous file untouched."""
        return write_report_workbook(self.sheets, dest, inputs=inputs)


def _anchor(ncols: int) -> str:
    return xl_rowcol_to_cell(1, ncols + 1)


def periods(as_of: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """This period = the as-of month up to as-of; previous = the month before, up to the same day."""
    cur = (as_of.replace(day=1), as_of)
    prev_end_month = cur[0] - dt.timedelta(days=1)
    prev_start = prev_end_month.replace(day=1)
    prev_end = min(prev_start + dt.timedelta(days=as_of.day - 1), prev_end_month)
    return cur, (prev_start, prev_end)


def _ts(d: dt.date, end: bool = False) -> pd.Timestamp:
    t = pd.Timestamp(d)
    return t + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1) if end else t


# --------------------------------------------------------------------------- sheets


def _summary(t: Labeller, orders: pd.DataFrame, lines: pd.DataFrame, as_of: dt.date, settings: Settings,
             rows_read: int, left_out: int, source: str | None,
             funnel_figures: dict[str, float] | None) -> tuple[Sheet, dict[str, float]]:
    (c0, c1), (p0, p1) = periods(as_of)
    table = analytics.kpi_table(orders, lines, as_of=pd.Timestamp(as_of), churn_days=settings.churn_days)
    everything = dict(zip(table["metric"], table["value"]))
    defs = dict(zip(table["metric"], table["definition"]))
    kw = {"start": pd.Timestamp(as_of) - pd.Timedelta(days=settings.churn_days - 1), "end": pd.Timestamp(as_of),
          "churn_days": settings.churn_days}
    cur = analytics.period_kpis(orders, lines, start=_ts(c0), end=_ts(c1), churn_days=settings.churn_days)
    prev = analytics.period_kpis(orders, lines, start=_ts(p0), end=_ts(p1), churn_days=settings.churn_days)
    cols = [t("metric"), t("all"), f"{t('current')} {c0:%Y-%m-%d}~{c1:%m-%d}",
            f"{t('previous')} {p0:%Y-%m-%d}~{p1:%m-%d}", t("change"), t("definition")]
    rows, kinds = [], []
    for key, kind in SUMMARY_METRICS:
        a, b = cur.get(key, np.nan), prev.get(key, np.nan)
        if key in RATE_METRICS:
            change = a - b  # percentage points
        else:
            change = (a / b - 1) if (b and not pd.isna(b) and not pd.isna(a) and b > 0) else np.nan
        definition = t.definition(key, default=defs.get(key, ""), days=settings.churn_days,
                                  start=f"{kw['start']:%Y-%m-%d}", end=f"{kw['end']:%Y-%m-%d}")
        rows.append([t.metric(key), everything.get(key, np.nan), a, b, change, definition])
        kinds.append(kind)
    for key, kind in (("leads", "int"), ("converted_leads", "int"), ("lead_conversion_rate", "percent"),
                      ("avg_sales_cycle_days", "days")):
        if funnel_figures is not None:
            rows.append([t.metric(key), funnel_figures.get(key, np.nan), None, None, None,
                         t.definition(key, default="")])
            kinds.append(kind)
    rows.append([t("as_of"), as_of, None, None, None, t("as_of_def")])
    kinds.append("date")
    rows.append([t("rows_read"), rows_read, None, None, None, source or ""])
    kinds.append("int")
    rows.append([t("rows_left_out"), left_out, None, None, None, t("rows_left_out_def")])
    kinds.append("int")
    rows.append([t("period_note"), None, None, None, None, t("period_note_def")])
    kinds.append("text")
    df = pd.DataFrame(rows, columns=cols)
    sheet = Sheet(t("summary"), df, kinds={cols[4]: "percent", cols[5]: "text", cols[0]: "text"},
                  row_kinds=kinds, row_kind_columns=cols[1:4])
    return sheet, everything


def _text_col(lines: pd.DataFrame, name: str) -> pd.Series:
    if name not in lines.columns:
        return pd.Series("", index=lines.index, dtype="str")
    return lines[name].astype("str").str.strip()


def _sales_by_month(t: Labeller, lines: pd.DataFrame) -> Sheet:
    """Revenue by calendar month (rows, every month from the first to the last) × channel, with totals."""
    month = lines["order_date"].dt.strftime("%Y-%m")
    raw_channel = _text_col(lines, "channel")
    channel = raw_channel.where(raw_channel != "", "—")
    if lines.empty:
        df = pd.DataFrame({t("month"): [], t("total"): []})
    elif (raw_channel == "").all():
        months = pd.period_range(lines["order_date"].min(), lines["order_date"].max(), freq="M").strftime("%Y-%m")
        df = (lines.groupby(month)["amount"].sum().reindex(months, fill_value=0.0).rename(t("total"))
              .rename_axis(t("month")).reset_index())
        df.loc[len(df)] = [t("total"), df[t("total")].sum()]
    else:
        pv = pd.pivot_table(lines.assign(month=month, channel=channel), index="month", columns="channel",
                            values="amount", aggfunc="sum", fill_value=0.0, margins=True, margins_name="__total__")
        order = lines.assign(channel=channel).groupby("channel")["amount"].sum().sort_values(ascending=False).index
        pv = pv[[*order, "__total__"]]
        months = pd.period_range(lines["order_date"].min(), lines["order_date"].max(), freq="M").strftime("%Y-%m")
        pv = pv.reindex([*months, "__total__"], fill_value=0.0)
        pv = pv.rename(columns={"__total__": t("total")}, index={"__total__": t("total")})
        pv.columns.name = None
        df = pv.rename_axis(t("month")).reset_index()
    kinds = {c: "money" for c in df.columns[1:]}
    kinds[t("month")] = "text"
    chart = Chart("line", t("chart_monthly"), t("sales"), t("month"), [t("total")], anchor=_anchor(len(df.columns)),
                  exclude_last=True, number_format="#,##0", size=(720, 340))
    return Sheet(t("sales"), df, kinds=kinds, total_row=not lines.empty, charts=[chart])


def _products(t: Labeller, lines: pd.DataFrame) -> Sheet:
    """Per product: revenue, units (quantity; 1 a line without one), orders, customers, share, ranks."""
    product = _text_col(lines, "product")
    key = product.where(product != "", "—")
    qty = lines["quantity"].fillna(1.0) if "quantity" in lines.columns else pd.Series(1.0, index=lines.index)
    buy = lines["is_purchase"] if "is_purchase" in lines.columns else pd.Series(True, index=lines.index)
    # a credit note's lines net into revenue but count no order and no customer
    lines = lines.assign(quantity=qty, _order=lines["order_id"].where(buy), _buyer=lines["customer_id"].where(buy))
    g = lines.groupby(key)
    df = pd.DataFrame({t("revenue"): g["amount"].sum().round(2), t("units"): g["quantity"].sum(),
                       t("orders"): g["_order"].nunique(), t("customers_n"): g["_buyer"].nunique()})
    total = df[t("revenue")].sum()
    df[t("revenue_share")] = df[t("revenue")] / total if total else np.nan
    df[t("rank_revenue")] = df[t("revenue")].rank(method="min", ascending=False)
    df[t("rank_units")] = df[t("units")].rank(method="min", ascending=False)
    df = df.sort_values([t("revenue"), t("units")], ascending=False).rename_axis(t("product")).reset_index()
    kinds = {t("product"): "text", t("revenue"): "money", t("units"): "number", t("orders"): "int",
             t("customers_n"): "int", t("revenue_share"): "percent", t("rank_revenue"): "int",
             t("rank_units"): "int"}
    if (lines["quantity"] == lines["quantity"].round()).all():
        kinds[t("units")] = "int"
    chart = Chart("column", t("chart_products"), t("products"), t("product"), [t("revenue")],
                  anchor=_anchor(len(df.columns)), number_format="#,##0")
    return Sheet(t("products"), df, kinds=kinds, charts=[chart])


def _segments(t: Labeller, summary: pd.DataFrame) -> Sheet:
    df = summary.rename(columns={"segment": t("segment"), "customers": t("customers_n"), "share": t("share"),
                                 "revenue": t("revenue"), "revenue_share": t("revenue_share"),
                                 "orders": t("orders"), "aov": t("aov")})
    kinds = {t("segment"): "text", t("customers_n"): "int", t("share"): "percent", t("revenue"): "money",
             t("revenue_share"): "percent", t("orders"): "int", t("aov"): "money"}
    chart = Chart("column", t("chart_segments"), t("segments"), t("segment"), [t("customers_n")],
                  anchor=_anchor(len(df.columns)))
    return Sheet(t("segments"), df, kinds=kinds, charts=[chart])


def _with_contacts(table: pd.DataFrame, customers: Table | None) -> pd.DataFrame:
    """``table`` with name, phone, email, city from the customers file inserted after ``customer_id``."""
    table = table.copy()
    if customers is not None and len(customers):
        idc = customers.column("customer_id")
        if idc:
            extra = {}
            for f in ("name", "phone", "email", "city"):
                res = customers.normalized_field(f)
                if res is not None:
                    extra[f] = res.values
            if extra:
                ids = customers.normalized[idc].values
                info = pd.DataFrame(extra).set_axis(ids.to_numpy())
                info = info[~info.index.duplicated()]
                joined = info.reindex(table["customer_id"]).reset_index(drop=True)
                for i, f in enumerate(joined.columns):
                    table.insert(1 + i, f, joined[f].fillna("").to_numpy())
    return table


#: Column kinds of the customer tables (RFM + contacts + the CLV predictions).
CUSTOMER_KINDS = {"customer_id": "text", "name": "text", "phone": "text", "email": "text", "city": "text",
                  "recency_days": "int", "frequency": "int", "monetary": "money", "first_order": "date",
                  "last_order": "date", "avg_order_value": "money", "r_score": "int", "f_score": "int",
                  "m_score": "int", "rfm_score": "text", "segment": "text", "tier": "text",
                  "repeat_purchases": "int", "p_alive": "percent", "expected_orders": "number",
                  "expected_order_value": "money", "clv": "money", "value_at_stake": "money", "churn_risk": "text"}
LEVELS_ZH = {"high": "高", "mid": "中", "medium": "中", "low": "低"}


def _customers(t: Labeller, rfm: pd.DataFrame, customers: Table | None) -> Sheet:
    table = _with_contacts(rfm, customers)
    table = table.sort_values(["monetary", "customer_id"], ascending=[False, True])
    return _labelled_sheet(t, t("customers"), table)


def _labelled_sheet(t: Labeller, name: str, table: pd.DataFrame) -> Sheet:
    """A customer table with labelled columns, their kinds, and zh tier / risk levels."""
    table = table.copy()
    if t.lang == "zh":
        for col in ("tier", "churn_risk"):
            if col in table.columns:
                table[col] = table[col].replace(LEVELS_ZH)
    labelled = {c: t.col(c) for c in table.columns}
    return Sheet(name, table.rename(columns=labelled),
                 kinds={labelled[c]: k for c, k in CUSTOMER_KINDS.items() if c in labelled})


#: The At risk sheet's columns (after customer_id and the contact columns).
AT_RISK_COLUMNS = ["segment", "tier", "monetary", "frequency", "last_order", "recency_days", "repeat_purchases",
                   "p_alive", "expected_order_value", "value_at_stake", "clv"]


def _at_risk(t: Labeller, rfm: pd.DataFrame, clv_table: pd.DataFrame, customers: Table | None) -> Sheet:
    """流失预警 / At risk: customers with churn_risk high, by value at stake (CLV if alive − CLV)."""
    cols = ["repeat_purchases", "p_alive", "expected_order_value", "value_at_stake", "clv", "churn_risk"]
    table = join_predictions(rfm, clv_table, columns=cols)
    table = table[table["churn_risk"] == "high"].sort_values(["value_at_stake", "customer_id"],
                                                             ascending=[False, True])
    if table.empty:
        return Sheet(t("at_risk"), message=t("no_at_risk"))
    table = _with_contacts(table[["customer_id", *AT_RISK_COLUMNS]], customers)
    return _labelled_sheet(t, t("at_risk"), table)


def _forecast(t: Labeller, result) -> list[Sheet]:
    """销售预测 / Forecast (actuals, forecast, interval; a line chart) and the backtest beside seasonal naive."""
    tab = result.table
    fut = (tab["kind"] == "forecast").to_numpy()
    actual_rev = tab["revenue"].where(~fut)
    fc_rev = tab["revenue"].where(fut)
    last = int((~fut).sum()) - 1
    if last >= 0:  # the forecast line starts at the last actual, so the two lines join
        fc_rev.iloc[last] = tab["revenue"].iloc[last]
    df = pd.DataFrame({t("period"): tab["period"], t("actual_revenue"): actual_rev, t("forecast_revenue"): fc_rev,
                       t("revenue_lo"): tab["revenue_lo"], t("revenue_hi"): tab["revenue_hi"],
                       t("actual_orders"): tab["orders"].where(~fut), t("forecast_orders"): tab["orders"].where(fut),
                       t("orders_lo"): tab["orders_lo"], t("orders_hi"): tab["orders_hi"]})
    kinds = {c: "money" for c in df.columns[1:5]} | {c: "number" for c in df.columns[5:]} | {t("period"): "text"}
    dashed = {"line": {"dash_type": "dash", "width": 1.25, "color": "#7F7F7F"}, "marker": {"type": "none"}}
    chart = Chart("line", t("chart_forecast"), t("forecast"), t("period"),
                  [t("actual_revenue"), t("forecast_revenue"), t("revenue_lo"), t("revenue_hi")],
                  anchor=_anchor(len(df.columns)), number_format="#,##0", size=(760, 360),
                  series_options={t("revenue_lo"): dashed, t("revenue_hi"): dashed})
    bt = result.backtest.drop(columns=["chosen"]).copy()
    bt.insert(2, "method", bt["series"].map(result.methods))
    bt["series"] = bt["series"].map(t)
    bt = bt.rename(columns={c: t(c) for c in bt.columns})
    bt_kinds = {t("mape"): "number", t("mase"): "number", t("baseline_mape"): "number", t("baseline_mase"): "number",
                t("coverage"): "percent", t("origins"): "int", t("forecasts"): "int"}
    return [Sheet(t("forecast"), df, kinds=kinds, charts=[chart]), Sheet(t("forecast_backtest"), bt, kinds=bt_kinds)]


def _cohorts(t: Labeller, matrix: pd.DataFrame) -> Sheet:
    """The cohort matrix; ages as ``+0 +1 …`` months after the first order."""
    df = matrix.rename(columns={"cohort": t("cohort"), "customers": t("cohort_size")})
    df = df.rename(columns={c: f"+{c}" for c in df.columns if str(c).isdigit()})
    ages = [c for c in df.columns if c not in (t("cohort"), t("cohort_size"))]
    kinds = {t("cohort"): "text", t("cohort_size"): "int", **{c: "percent" for c in ages}}
    return Sheet(t("cohorts"), df, kinds=kinds, color_scale=ages[1:] if len(ages) > 1 else ages)


def _funnel(t: Labeller, table: pd.DataFrame) -> Sheet:
    names = {"stage": t("stage"), "leads": t("leads"), "reached": t("reached"), "reached_rate": t("share_of_leads"),
             "next_stage_rate": t("next_rate")}
    df = table.rename(columns=names)
    df[t("stage")] = df[t("stage")].replace({CUSTOMER_ROW: t("became_customer")})
    kinds = {t("stage"): "text", t("leads"): "int", t("reached"): "int", t("next_rate"): "percent",
             t("share_of_leads"): "percent"}
    return Sheet(t("funnel"), df, kinds=kinds)


#: The Campaigns sheet's columns (``crmcli.metrics.compute_campaigns``' names) -> (label key, kind).
CAMPAIGN_SHEET = {
    "campaign": ("campaign", "text"), "impressions": ("impressions", "int"), "clicks": ("clicks", "int"),
    "ctr": ("ctr", "percent"), "contacted": ("contacted", "int"), "responders": ("responders", "int"),
    "response_rate": ("response_rate", "percent"), "participants": ("participants", "int"),
    "buyers": ("buyers", "int"), "conversion_rate": ("conversion_rate", "percent"), "attributed_orders": ("orders", "int"),
    "attributed_revenue": ("revenue", "money"), "cost_ads": ("cost_ads", "money"), "cost_staff": ("cost_staff", "money"),
    "cost_material": ("cost_material", "money"), "cost_other": ("cost_other", "money"), "cost": ("cost", "money"),
    "roi": ("roi", "percent"), "roas": ("roas", "number"), "roas_text": ("roas_text", "text"), "flag": ("flag", "text"),
}


def _campaigns(t: Labeller, table: pd.DataFrame) -> Sheet:
    df = table.rename(columns={c: t(CAMPAIGN_SHEET[c][0]) for c in table.columns if c in CAMPAIGN_SHEET})
    if t.lang == "zh" and "flag" in table.columns:
        df[t("flag")] = table["flag"].map(t.flags)
    kinds = {t(key): kind for c, (key, kind) in CAMPAIGN_SHEET.items() if c in table.columns}
    return Sheet(t("campaigns"), df, kinds=kinds)


def _quality(t: Labeller, issues: dict[str, pd.DataFrame]) -> tuple[Sheet, pd.DataFrame]:
    parts = []
    for name, iss in issues.items():
        if iss is None or iss.empty:
            continue
        g = iss.assign(field=iss["field"].fillna("").astype(str), column=iss["column"].fillna("").astype(str))
        for (fld, col, code, sev), grp in g.groupby(["field", "column", "code", "severity"], sort=False):
            parts.append({"input": t(f"in_{name}"), "field": fld, "column": col, "code": code, "severity": sev,
                          "count": len(grp), "rows": ", ".join(str(int(r)) for r in grp["row"].head(10)),
                          "example": str(grp["value"].iloc[0]) if "value" in grp else ""})
    cols = ["input", "field", "column", "code", "severity", "count", "rows", "example"]
    df = pd.DataFrame(parts, columns=cols)
    if df.empty:
        df = pd.DataFrame([{c: "" for c in cols} | {"input": t("no_issues"), "count": 0}], columns=cols)
    else:
        df = df.sort_values(["input", "count"], ascending=[True, False], kind="stable")
    labelled = df.rename(columns={c: t(c) for c in cols})
    kinds = {t(c): "text" for c in cols}
    kinds[t("count")] = "int"
    return Sheet(t("quality"), labelled, kinds=kinds), df


# --------------------------------------------------------------------------- the report


def build_report(orders: Any, *, customers: Any = None, leads: Any = None, campaigns: Any = None,
                 settings: Settings | None = None, as_of: dt.date | None = None, lang: str | None = None,
                 source: str | None = None) -> Report:
    """Build every sheet of the report from the inputs: :class:`~crmcli.table.Table` objects, or tables as
    ``read_table`` gives them (text) / sources, each normalized here once (``[columns.<input>]`` of
    ``settings`` mapping it) and handed to every sheet that uses it.

    ``as_of`` (else ``settings.as_of``, else the latest order date) ends the observation
    window, inclusive; later orders are left out. ``lang`` (else ``settings.lang``, else the
    language of the orders' headers) picks the labels.
    """
    settings = settings or Settings()
    inputs = {name: normalize_table(df, overrides=settings.columns.get(name), region=settings.region,
                                    dayfirst=settings.dayfirst)
              for name, df in (("orders", orders), ("customers", customers), ("leads", leads),
                               ("campaigns", campaigns)) if df is not None}
    orders = inputs["orders"]
    lang = lang or settings.lang or detect_lang(orders.frame.columns)
    t = Labeller(lang)
    prepared = analytics.prepare(orders, statuses=settings.order_status)
    notes = list(prepared.notes)
    as_of = as_of or settings.as_of
    if as_of is None:
        if prepared.orders.empty:
            raise DataError("the orders table has no order with a valid date, amount and customer",
                             hint="check the columns with: crm inspect FILE (map them with [columns.orders])")
        as_of = prepared.orders["order_date"].max().date()
    as_of_ts = pd.Timestamp(as_of)
    lines = analytics.window(prepared.lines, as_of_ts)
    order_table = analytics.window(prepared.orders, as_of_ts)
    later = len(prepared.lines) - len(lines)
    if later:
        notes.append(f"{later} rows dated after {as_of} left out")
    left_out = prepared.rows_left_out + later

    tables: dict[str, pd.DataFrame] = {"lines": lines, "orders": order_table}
    funnel_result = None
    if leads is not None:
        funnel_result = analytics.funnel(inputs["leads"], lines, order_table, stages=settings.funnel_stages)
        notes += [f"leads: {n}" for n in funnel_result.notes]
        tables["funnel"] = funnel_result.table
    figures = None if funnel_result is None else {
        "leads": funnel_result.leads, "converted_leads": funnel_result.converted,
        "lead_conversion_rate": funnel_result.conversion_rate,
        "avg_sales_cycle_days": funnel_result.avg_sales_cycle_days}

    summary, kpis = _summary(t, order_table, lines, as_of, settings, len(orders), left_out, source, figures)
    sheets = [summary, _sales_by_month(t, lines)]
    try:
        sales_forecast = analytics.forecast(prepared, as_of=as_of_ts)
        sheets += _forecast(t, sales_forecast)
        tables["forecast"] = sales_forecast.table
        tables["forecast_backtest"] = sales_forecast.backtest
    except CrmError as exc:  # too short a history, or statsmodels missing: said on the sheet
        notes.append(f"forecast: {exc}")
        why = t("forecast_unavailable") + str(exc) + (f" ({exc.hint})" if exc.hint else "")
        sheets += [Sheet(t("forecast"), message=why), Sheet(t("forecast_backtest"), message=why)]
    sheets.append(_products(t, lines))
    if order_table.empty:
        rfm = pd.DataFrame(columns=["customer_id", "recency_days", "frequency", "monetary", "first_order",
                                    "last_order", "avg_order_value", "r_score", "f_score", "m_score", "rfm_score",
                                    "segment", "tier"])
        seg = pd.DataFrame(columns=["segment", "customers", "share", "revenue", "revenue_share", "orders", "aov"])
    else:
        result = analytics.rfm(prepared, as_of=as_of_ts, bins=settings.rfm_bins, breaks=settings.rfm_breaks,
                               scheme=settings.rfm_scheme, rules=settings.rfm_rules, lang=lang)
        rfm, seg = result.table, result.segments
    tables.update(rfm=rfm, segments=seg)
    sheets.append(_segments(t, seg))
    clv_sheet = Sheet(t("at_risk"), message=t("no_orders"))
    if not order_table.empty:
        try:
            clv_result = analytics.clv(prepared, as_of=as_of_ts, horizon=settings.clv_horizon,
                                       discount=settings.clv_discount)
            tables["clv"] = clv_result.table
            clv_sheet = _at_risk(t, rfm, clv_result.table, inputs.get("customers"))
            rfm = join_predictions(rfm, clv_result.table)
        except DataError as exc:  # too few customers, no repeat buying, no convergence: said on the sheet
            notes.append(f"clv: {exc}")
            clv_sheet = Sheet(t("at_risk"), message=t("clv_unavailable") + str(exc))
    sheets.append(_customers(t, rfm, inputs.get("customers")))
    sheets.append(clv_sheet)
    cohorts = analytics.cohort_matrix(order_table, as_of_ts)
    tables["cohorts"] = cohorts
    sheets.append(_cohorts(t, cohorts))
    sheets.append(_funnel(t, funnel_result.table) if funnel_result is not None
                  else Sheet(t("funnel"), message=t("missing_leads")))
    if campaigns is not None:
        camp = analytics.campaigns(inputs["campaigns"], lines, order_table,
                                   attribution_days=settings.attribution_days)
        notes += [f"campaigns: {n}" for n in camp.notes]
        tables["campaigns"] = camp.table
        sheets.append(_campaigns(t, camp.table))
    else:
        sheets.append(Sheet(t("campaigns"), message=t("missing_campaigns")))
    from .team import team_sheet  # the Team sheet, when the orders or the leads name owners

    team = team_sheet(t, lines, order_table, inputs.get("leads"), settings, as_of_ts)
    if team is not None:
        sheets.append(team[0])
        tables["team"] = team[1]

    issues = {name: analytics.find_issues(table, role=name,
                                          required=("order_date", "amount", "customer_id") if name == "orders" else ())
              for name, table in inputs.items()}
    quality, counts = _quality(t, issues)
    sheets.append(quality)
    tables["quality"] = counts
    frames = [i.assign(input=n) for n, i in issues.items() if i is not None and not i.empty]
    all_issues = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["row", "column", "field", "value", "code", "severity", "message", "suggestion", "input"])
    return Report(sheets=sheets, as_of=as_of, lang=lang, kpis=kpis, rows_read=len(orders), rows_left_out=left_out,
                  issues=all_issues, notes=notes, tables=tables)


# --------------------------------------------------------------------------- from settings, in one call


@dataclass
class ReportResult:
    report: Report
    path: str
    #: Older dated reports removed by ``keep`` (:func:`crmcli.privacy.prune_reports`).
    removed: list[str] = field(default_factory=list)


def make_report(settings: Settings, *, output: str | None = None) -> ReportResult:
    """Read the inputs named in ``settings``, build the report and write it atomically.

    The output is ``output``, else ``settings.output`` (``{date}`` = the as-of date), else
    ``report-{date}.xlsx``. A missing output folder is created (by the writer, as for every command).
    With ``settings.keep`` = N and ``{date}`` in the output, the N newest reports of that name are kept and
    older ones removed (only files that name matches, :func:`crmcli.privacy.prune_reports`).
    """
    from ..errors import UsageError

    if not settings.orders:
        raise UsageError("no orders file given",
                         hint="crm report ORDERS, or set [inputs] orders in crm.toml (crm init writes one)")
    extras = {name: getattr(settings, name) for name in ("customers", "leads", "campaigns") if getattr(settings, name)}
    report = build_report(settings.orders, **extras, settings=settings, source=os.path.basename(settings.orders))
    dest = output or settings.output_path(report.as_of)
    inputs = [p for p in (settings.orders, *(getattr(settings, n) for n in ("customers", "leads", "campaigns")))
              if p and p != "-"]
    report.write(dest, inputs=inputs)
    removed: list[str] = []
    template = settings.output or DEFAULT_OUTPUT
    if settings.keep and output is None and os.fspath(dest) != "-":
        if "{date}" in template:
            from ..privacy import prune_reports

            removed = prune_reports(template, settings.keep, os.fspath(dest))
        else:
            import warnings

            warnings.warn(f"keep = {settings.keep} applies to an output named with {{date}}; {dest} has none",
                          stacklevel=2)
    return ReportResult(report, os.fspath(dest), removed)
