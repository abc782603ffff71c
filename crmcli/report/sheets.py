"""The report's sheets, each shaped from its figures (:mod:`.figures`: the same for every engine): sales
by month, products, segments, the per-customer sheets (with contacts, cut to ``[report] customer_rows``),
forecast, cohorts, funnel, campaigns, data quality."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import formats
from ..clv.join import join_predictions
from ..metrics.funnel import CUSTOMER_ROW
from .charts import Chart
from .contacts import CONTACT_FIELDS
from .figures import ProductFigures, SalesFigures
from .labels import Labeller
from .sheet import ColorScale, Sheet

AXIS = formats.AXIS_FORMATS  # chart axes, by kind


def sales_sheet(t: Labeller, sales: SalesFigures | None) -> Sheet:
    """Revenue by calendar month (rows, every month from the first to the last) × channel, with totals, and the
    month's orders and customers; charts: revenue by channel (stacked columns), orders and customers (lines)."""
    if sales is None:
        return Sheet(t("sales"), pd.DataFrame({t("month"): [], t("total"): []}), kinds={t("month"): "text"})
    months = sales.months
    cells = sales.cells
    if (cells["channel"] == "").all():
        df = (cells.groupby("month")["amount"].sum().reindex(months, fill_value=0.0).rename(t("total"))
              .rename_axis(t("month")).reset_index())
        df.loc[len(df)] = [t("total"), df[t("total")].sum()]
        channels: list[str] = []
    else:
        cells = cells.assign(channel=cells["channel"].where(cells["channel"] != "", "—"))
        pv = cells.pivot_table(index="month", columns="channel", values="amount", aggfunc="sum", fill_value=0.0)
        order = cells.groupby("channel")["amount"].sum().sort_values(ascending=False).index
        pv = pv[list(order)].reindex(months, fill_value=0.0)
        pv["__total__"] = pv.sum(axis=1)
        pv.loc["__total__"] = pv.sum(axis=0)
        pv = pv.rename(columns={"__total__": t("total")}, index={"__total__": t("total")})
        pv.columns.name = None
        df = pv.rename_axis(t("month")).reset_index()
        channels = [str(c) for c in order]
    counts = sales.counts
    df[t("orders")] = [*counts["orders"].reindex(months, fill_value=0).astype("int64").tolist(), sales.orders]
    df[t("customers_n")] = [*counts["customers"].reindex(months, fill_value=0).astype("int64").tolist(),
                            sales.customers]
    kinds = {c: "money" for c in df.columns[1:]} | {t("month"): "text", t("orders"): "int", t("customers_n"): "int"}
    charts = [Chart("column", t("chart_monthly_channels") if channels else t("chart_monthly"), t("sales"), t("month"),
                    channels or [t("total")], exclude_last=True, number_format=AXIS["money"], size=(720, 340),
                    stacked=bool(channels)),
              Chart("line", t("chart_monthly_orders"), t("sales"), t("month"), [t("orders"), t("customers_n")],
                    exclude_last=True, number_format=AXIS["money"], size=(720, 300))]
    return Sheet(t("sales"), df, kinds=kinds, total_row=True, charts=charts)


#: The products chart shows the best sellers (the table lists all).
PRODUCTS_CHARTED = 15


def products_sheet(t: Labeller, products: ProductFigures) -> Sheet:
    """Per product: revenue, units (quantity; 1 a line without one), orders, customers, share, ranks."""
    per = products.table.set_index("product").sort_index()
    df = pd.DataFrame({t("revenue"): per["revenue"].astype("float64").round(2),
                       t("units"): per["units"].astype("float64"),
                       t("orders"): per["orders"].astype("int64"), t("customers_n"): per["customers"].astype("int64")})
    total = df[t("revenue")].sum()
    df[t("revenue_share")] = df[t("revenue")] / total if total else np.nan
    df[t("rank_revenue")] = df[t("revenue")].rank(method="min", ascending=False)
    df[t("rank_units")] = df[t("units")].rank(method="min", ascending=False)
    df = df.sort_values([t("revenue"), t("units")], ascending=False).rename_axis(t("product")).reset_index()
    kinds = {t("product"): "text", t("revenue"): "money", t("units"): "number", t("orders"): "int",
             t("customers_n"): "int", t("revenue_share"): "percent", t("rank_revenue"): "int",
             t("rank_units"): "int"}
    if products.whole:
        kinds[t("units")] = "int"
    chart = Chart("bar", t("chart_products"), t("products"), t("product"), [t("revenue")], number_format=AXIS["money"],
                  limit=PRODUCTS_CHARTED, size=(640, max(260, 24 * min(len(df), PRODUCTS_CHARTED) + 90)))
    return Sheet(t("products"), df, kinds=kinds, charts=[chart])


def segments_sheet(t: Labeller, summary: pd.DataFrame) -> Sheet:
    df = summary.rename(columns={"segment": t("segment"), "customers": t("customers_n"), "share": t("share"),
                                 "revenue": t("revenue"), "revenue_share": t("revenue_share"),
                                 "orders": t("orders"), "aov": t("aov")})
    kinds = {t("segment"): "text", t("customers_n"): "int", t("share"): "percent", t("revenue"): "money",
             t("revenue_share"): "percent", t("orders"): "int", t("aov"): "money"}
    chart = Chart("bar", t("chart_segments"), t("segments"), t("segment"), [t("share"), t("revenue_share")],
                  number_format=AXIS["percent"], size=(640, max(280, 40 * len(df) + 100)))
    return Sheet(t("segments"), df, kinds=kinds, charts=[chart])


def with_contacts(t: Labeller, table: pd.DataFrame, contacts: pd.DataFrame,
                   problems: dict[str, list]) -> pd.DataFrame:
    """``table`` with the contact columns (:func:`~crmcli.report.contacts.customer_contacts`) inserted after
    ``customer_id``, and a ``contact_note`` naming the values left blank because they failed validation."""
    table = table.copy()
    info = contacts.set_index("customer_id").reindex(table["customer_id"].astype("str"))
    for i, f in enumerate(c for c in CONTACT_FIELDS if c in info.columns):
        table.insert(1 + i, f, info[f].fillna("").to_numpy())
    if problems:
        notes = [contacts_note(t, problems.get(str(cid), ())) for cid in table["customer_id"]]
        if any(notes):
            table["contact_note"] = notes
    return table


def contacts_note(t: Labeller, problems) -> str:
    """``电话：电话位数丢失 (订单第 12 行)`` / ``Phone: lossy-phone (orders row 12)``."""
    from ..issue_text import code_name

    return "; ".join(t("contact_problem").format(field=t.col(p.field), problem=code_name(p.code, t.lang),
                                                  source=t(f"in_{p.source}"), row=p.row) for p in problems)


LEVELS_ZH = {"high": "高", "mid": "中", "medium": "中", "low": "低"}


def top_customers(t: Labeller, rfm: pd.DataFrame, limit: Limit) -> tuple[pd.DataFrame, str | None]:
    """The Customers sheet's rows (the most valuable first, cut to ``limit``) and the note."""
    return limit.top(t, rfm, "monetary")


@dataclass(frozen=True)
class Limit:
    """How many customers a per-customer sheet shows (``[report] customer_rows``), the most valuable first;
    ``source`` names the orders in the note saying where the full table is."""

    rows: int = 10_000
    source: str = "ORDERS"

    def cut(self, t: Labeller, table: pd.DataFrame, total: int | None = None) -> tuple[pd.DataFrame, str | None]:
        """The first ``rows`` of ``table`` (sorted by the caller; ``total``: the customers it was taken from,
        else its length) and the note, None when all fit."""
        total = len(table) if total is None else total
        if total <= self.rows:
            return table, None
        return table.iloc[: self.rows], t("top_customers").format(shown=f"{self.rows:,}", total=f"{total:,}",
                                                                  source=self.source)

    def top(self, t: Labeller, table: pd.DataFrame, value: str) -> tuple[pd.DataFrame, str | None]:
        """:meth:`cut` of ``table`` sorted by ``value`` (highest first, then customer id). Past ``rows``
        customers only those at or above the ``rows``-th highest value (every row of a tie) are sorted: the
        same first rows, without sorting 1.25M rows by a text key (1.9 s) for 10,000 of them."""
        order = {"by": [value, "customer_id"], "ascending": [False, True]}
        v = table[value].to_numpy(dtype=np.float64)
        if not 0 < self.rows < len(v) or np.isnan(v).any():   # (NaN sorts last: the whole table is sorted)
            return self.cut(t, table.sort_values(**order))
        kth = np.partition(v, len(v) - self.rows)[len(v) - self.rows]
        return self.cut(t, table[v >= kth].sort_values(**order), total=len(table))


def labelled_sheet(t: Labeller, name: str, table: pd.DataFrame, note: str | None = None) -> Sheet:
    """A customer table with labelled columns, their kinds, and zh tier / risk levels."""
    table = table.copy()
    if t.lang == "zh":
        for col in ("tier", "churn_risk"):
            if col in table.columns:
                table[col] = table[col].replace(LEVELS_ZH)
    labelled = {c: t.col(c) for c in table.columns}
    return Sheet(name, table.rename(columns=labelled),
                 kinds={labelled[c]: formats.column_kind(c) for c in table.columns}, subtitle=note)


#: The At risk sheet's columns (after customer_id and the contact columns).
AT_RISK_COLUMNS = ["segment", "tier", "monetary", "frequency", "last_order", "recency_days", "repeat_purchases",
                   "p_alive", "expected_order_value", "value_at_stake", "clv"]


def at_risk_rows(t: Labeller, rfm: pd.DataFrame, clv_table: pd.DataFrame,
                  limit: Limit) -> tuple[pd.DataFrame, str | None] | None:
    """流失预警 / At risk: customers with churn_risk high, by value at stake (CLV if alive − CLV); None: nobody."""
    cols = ["repeat_purchases", "p_alive", "expected_order_value", "value_at_stake", "clv", "churn_risk"]
    table = join_predictions(rfm, clv_table, columns=cols)
    table = table[table["churn_risk"] == "high"]
    if table.empty:
        return None
    return limit.top(t, table[["customer_id", *AT_RISK_COLUMNS]], "value_at_stake")


def customer_sheet(t: Labeller, name: str, rows: tuple[pd.DataFrame, str | None], contacts: pd.DataFrame,
                    problems: dict[str, list]) -> Sheet:
    table, note = rows
    return labelled_sheet(t, name, with_contacts(t, table, contacts, problems), note)


def forecast_sheets(t: Labeller, result) -> list[Sheet]:
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
    kinds = {c: "money" for c in df.columns[1:5]} | {c: "estimate" for c in df.columns[5:]} | {t("period"): "text"}
    dashed = {"line": {"dash_type": "dash", "width": 1.25, "color": "#7F7F7F"}, "marker": {"type": "none"}}
    chart = Chart("line", t("chart_forecast"), t("forecast"), t("period"),
                  [t("actual_revenue"), t("forecast_revenue"), t("revenue_lo"), t("revenue_hi")],
                  number_format=AXIS["money"], size=(760, 360),
                  series_options={t("revenue_lo"): dashed, t("revenue_hi"): dashed})
    bt = result.backtest.drop(columns=["chosen"]).copy()
    bt.insert(2, "method", bt["series"].map(result.methods))
    bt["series"] = bt["series"].map(t)
    bt = bt.rename(columns={c: t(c) for c in bt.columns})
    bt_kinds = {t("mape"): "number", t("mase"): "ratio", t("baseline_mape"): "number", t("baseline_mase"): "ratio",
                t("coverage"): "percent", t("origins"): "int", t("forecasts"): "int"}
    return [Sheet(t("forecast"), df, kinds=kinds, charts=[chart]), Sheet(t("forecast_backtest"), bt, kinds=bt_kinds)]


def cohorts_sheet(t: Labeller, matrix: pd.DataFrame) -> Sheet:
    """The cohort matrix; ages as ``+0 +1 …`` months after the first order. One colour scale over the whole
    matrix, white at 0 % to green at the highest share after +0 (+0, always 100 %, takes the top colour); cells not
    yet observable stay blank; the cohort column stays in view."""
    df = matrix.rename(columns={"cohort": t("cohort"), "customers": t("cohort_size")})
    df = df.rename(columns={c: f"+{c}" for c in df.columns if str(c).isdigit()})
    ages = [c for c in df.columns if c not in (t("cohort"), t("cohort_size"))]
    kinds = {t("cohort"): "text", t("cohort_size"): "int", **{c: "percent" for c in ages}}
    later = pd.to_numeric(df[ages[1:]].stack(), errors="coerce") if len(ages) > 1 else pd.Series(dtype=float)
    top = float(later.max()) if len(later) and pd.notna(later.max()) and later.max() > 0 else None
    return Sheet(t("cohorts"), df, kinds=kinds, color_scale=ColorScale(ages, maximum=top), freeze_columns=1)


def funnel_sheet(t: Labeller, table: pd.DataFrame) -> Sheet:
    """Leads per stage; a bar chart of the leads reaching each stage, labelled with their share of all leads."""
    names = {"stage": t("stage"), "leads": t("leads"), "reached": t("reached"), "reached_rate": t("share_of_leads"),
             "next_stage_rate": t("next_rate")}
    df = table.rename(columns=names)
    df[t("stage")] = df[t("stage")].replace({CUSTOMER_ROW: t("became_customer")})
    kinds = {t("stage"): "text", t("leads"): "int", t("reached"): "int", t("next_rate"): "percent",
             t("share_of_leads"): "percent"}
    labels = [f"{formats.format_value(n, 'int')} ({formats.format_value(r, 'percent')})"
              for n, r in zip(df[t("reached")], df[t("share_of_leads")])]
    chart = Chart("bar", t("chart_funnel"), t("funnel"), t("stage"), [t("reached")], labels=labels,
                  number_format=AXIS["money"], size=(640, max(260, 44 * len(df) + 90)))
    return Sheet(t("funnel"), df, kinds=kinds, charts=[chart])


#: The Campaigns sheet's columns (``crmcli.metrics.compute_campaigns``' names), in order -> label key.
CAMPAIGN_SHEET = {
    "campaign": "campaign", "impressions": "impressions", "clicks": "clicks", "ctr": "ctr", "contacted": "contacted",
    "responders": "responders", "response_rate": "response_rate", "participants": "participants", "buyers": "buyers",
    "conversion_rate": "conversion_rate", "attributed_orders": "orders", "attributed_revenue": "revenue",
    "cost_ads": "cost_ads", "cost_staff": "cost_staff", "cost_material": "cost_material", "cost_other": "cost_other",
    "cost": "cost", "roi": "roi", "roas": "roas", "roas_text": "roas_text", "flag": "flag",
}


def campaigns_sheet(t: Labeller, table: pd.DataFrame) -> Sheet:
    """Per campaign: reach, clicks, response, conversion, attributed orders and revenue, cost (by type), ROI and
    ROAS (also as 1:N), flags; bar charts of ROAS and ROI. Kinds from the one format table (:mod:`crmcli.formats`)."""
    df = table.rename(columns={c: t(CAMPAIGN_SHEET[c]) for c in table.columns if c in CAMPAIGN_SHEET})
    if t.lang == "zh" and "flag" in table.columns:
        df[t("flag")] = table["flag"].map(t.flags)
    kinds = {t(key): formats.column_kind(c) for c, key in CAMPAIGN_SHEET.items() if c in table.columns}
    height = max(240, 36 * len(df) + 90)
    charts = [Chart("bar", t(f"chart_{c}"), t("campaigns"), t("campaign"), [t(c)], number_format=fmt,
                    size=(560, height)) for c, fmt in (("roas", AXIS["ratio"]), ("roi", AXIS["percent"]))
              if c in table.columns]
    return Sheet(t("campaigns"), df, kinds=kinds, charts=charts)


#: The columns of an input's issues counted by group (what the Data quality sheet lists).
QUALITY_GROUP_COLUMNS = ["field", "column", "code", "severity", "count", "rows", "example", "message", "suggestion"]


def quality_sheet(t: Labeller, issues: dict[str, pd.DataFrame]) -> tuple[Sheet, pd.DataFrame]:
    """Issue counts by input, field, column and code (each input's issues, or their groups already counted:
    :data:`QUALITY_GROUP_COLUMNS`), with the first rows, an example value, and the code's name,
    message and suggestion in the report's language (:mod:`crmcli.issue_text`; the slug stays in the last column)."""
    from ..issue_text import code_name, severity_name

    parts = []
    for name, iss in issues.items():
        if iss is None or iss.empty:
            continue
        if "count" in iss.columns:  # counted already (a streamed validate's groups)
            parts += [{"input": t(f"in_{name}"), **row} for row in iss.to_dict("records")]
            continue
        g = iss.assign(field=iss["field"].fillna("").astype(str), column=iss["column"].fillna("").astype(str))
        for (fld, col, code, sev), grp in g.groupby(["field", "column", "code", "severity"], sort=False):
            parts.append({"input": t(f"in_{name}"), "field": fld, "column": col, "code": code, "severity": sev,
                          "count": len(grp), "rows": ", ".join(str(int(r)) for r in grp["row"].head(10)),
                          "example": str(grp["value"].iloc[0]) if "value" in grp else "",
                          "message": str(grp["message"].iloc[0]) if "message" in grp else "",
                          "suggestion": str(grp["suggestion"].iloc[0]) if "suggestion" in grp else ""})
    cols = ["input", "field", "column", "code", "severity", "count", "rows", "example", "message", "suggestion"]
    df = pd.DataFrame(parts, columns=cols)
    if df.empty:
        df = pd.DataFrame([{c: "" for c in cols} | {"input": t("no_issues"), "count": 0}], columns=cols)
    else:
        df = df.sort_values(["input", "count"], ascending=[True, False], kind="stable")
    shown = df.copy()
    shown["field"] = shown["field"].map(lambda f: t.field(f) if f else "")
    shown["severity"] = shown["severity"].map(lambda v: severity_name(v, t.lang))
    if t.lang == "zh":  # the name in Chinese; the slug (what scripts and --fail-on match) at the end
        shown.insert(len(cols), "code_slug", shown["code"])
        shown["code"] = shown["code"].map(lambda c: code_name(c, t.lang) if c else "")
    labelled = shown.rename(columns={c: t(c) for c in shown.columns})
    kinds = {t(c): "text" for c in shown.columns} | {t("count"): "int"}
    return Sheet(t("quality"), labelled, kinds=kinds, wrap=(t("message"), t("suggestion"))), df


# --------------------------------------------------------------------------- the report
