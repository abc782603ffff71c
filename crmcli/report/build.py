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

from .. import formats
from ..clv.join import join_predictions
from ..config import DEFAULT_OUTPUT, Settings
from ..errors import CrmError, DataError
from ..metrics.funnel import CUSTOMER_ROW
from ..normalize import normalize_table
from ..table import Table
from . import analytics
from .charts import Chart
from .contacts import CONTACT_FIELDS
from .figures import OWNERS, InMemory, ProductFigures, SalesFigures
from .labels import Labeller, detect_lang
from .summary import build_summary, periods
from .workbook import ColorScale, PageInfo, Sheet, write_report_workbook

__all__ = ["Report", "ReportResult", "build_report", "make_report", "periods"]
#: The report's output formats, by extension.
AXIS = formats.AXIS_FORMATS  # chart axes, by kind
REPORT_FORMATS = {".xlsx": "xlsx", ".html": "html", ".htm": "html"}


def report_format(dest: str | os.PathLike | None, format: str | None = None) -> str:
    """``xlsx`` or ``html``: ``format`` when given, else by ``dest``'s extension (default ``xlsx``)."""
    from ..errors import UsageError

    if format:
        fmt = str(format).lower().lstrip(".")
        if fmt not in ("xlsx", "html"):
            raise UsageError(f"the report is written as xlsx or html, not {format!r}", option="report_format")
        return fmt
    ext = os.path.splitext(os.fspath(dest or ""))[1].lower()
    if ext and ext not in REPORT_FORMATS:
        raise UsageError(f"cannot write the report as {ext}", hint="use .xlsx (the workbook) or .html (one page)",
                         option="output")
    return REPORT_FORMATS.get(ext, "xlsx")


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
    #: What every printed page (and the web page's head) says: title, as-of, page x of y.
    page: PageInfo = field(default_factory=PageInfo)
    #: How many data issues the inputs have (``issues`` may hold only the first of a streamed validate's).
    issue_count: int = 0
    #: Where the tables were computed: pandas, duckdb or spark.
    engine: str = "pandas"

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def write(self, dest: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = (),
              format: str | None = None) -> str:
        """Write the workbook — or, for ``.html`` / ``format="html"``, the web page — atomically; a failure leaves
        any previous file untouched. Returns the format written."""
        fmt = report_format(dest, format)
        if fmt == "html":
            from dataclasses import replace

            from .html import write_report_html
            from .workbook import protect_sheets

            # the page shows the sheets as the privacy policy lets them be written (masked, pseudonymized)
            write_report_html(replace(self, sheets=protect_sheets(self.sheets)), dest, inputs=inputs)
        else:
            write_report_workbook(self.sheets, dest, inputs=inputs, page=self.page)
        return fmt


def _sales_by_month(t: Labeller, sales: SalesFigures | None) -> Sheet:
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


def _products(t: Labeller, products: ProductFigures) -> Sheet:
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


def _segments(t: Labeller, summary: pd.DataFrame) -> Sheet:
    df = summary.rename(columns={"segment": t("segment"), "customers": t("customers_n"), "share": t("share"),
                                 "revenue": t("revenue"), "revenue_share": t("revenue_share"),
                                 "orders": t("orders"), "aov": t("aov")})
    kinds = {t("segment"): "text", t("customers_n"): "int", t("share"): "percent", t("revenue"): "money",
             t("revenue_share"): "percent", t("orders"): "int", t("aov"): "money"}
    chart = Chart("bar", t("chart_segments"), t("segments"), t("segment"), [t("share"), t("revenue_share")],
                  number_format=AXIS["percent"], size=(640, max(280, 40 * len(df) + 100)))
    return Sheet(t("segments"), df, kinds=kinds, charts=[chart])


def _with_contacts(t: Labeller, table: pd.DataFrame, contacts: pd.DataFrame,
                   problems: dict[str, list]) -> pd.DataFrame:
    """``table`` with the contact columns (:func:`~crmcli.report.contacts.customer_contacts`) inserted after
    ``customer_id``, and a ``contact_note`` naming the values left blank because they failed validation."""
    table = table.copy()
    info = contacts.set_index("customer_id").reindex(table["customer_id"].astype("str"))
    for i, f in enumerate(c for c in CONTACT_FIELDS if c in info.columns):
        table.insert(1 + i, f, info[f].fillna("").to_numpy())
    if problems:
        notes = [_contact_note(t, problems.get(str(cid), ())) for cid in table["customer_id"]]
        if any(notes):
            table["contact_note"] = notes
    return table


def _contact_note(t: Labeller, problems) -> str:
    """``电话：电话位数丢失 (订单第 12 行)`` / ``Phone: lossy-phone (orders row 12)``."""
    from ..issue_text import code_name

    return "; ".join(t("contact_problem").format(field=t.col(p.field), problem=code_name(p.code, t.lang),
                                                  source=t(f"in_{p.source}"), row=p.row) for p in problems)


LEVELS_ZH = {"high": "高", "mid": "中", "medium": "中", "low": "低"}


def _top_customers(t: Labeller, rfm: pd.DataFrame, limit: Limit) -> tuple[pd.DataFrame, str | None]:
    """The Customers sheet's rows (the most valuable first, cut to ``limit``) and the note."""
    return limit.cut(t, rfm.sort_values(["monetary", "customer_id"], ascending=[False, True]))


@dataclass(frozen=True)
class Limit:
    """How many customers a per-customer sheet shows (``[report] customer_rows``), the most valuable first;
    ``source`` names the orders in the note saying where the full table is."""

    rows: int = 10_000
    source: str = "ORDERS"

    def cut(self, t: Labeller, table: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
        """The first ``rows`` of ``table`` (sorted by the caller) and the note, None when all fit."""
        if len(table) <= self.rows:
            return table, None
        return table.iloc[: self.rows], t("top_customers").format(shown=f"{self.rows:,}", total=f"{len(table):,}",
                                                                  source=self.source)


def _labelled_sheet(t: Labeller, name: str, table: pd.DataFrame, note: str | None = None) -> Sheet:
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


def _at_risk_rows(t: Labeller, rfm: pd.DataFrame, clv_table: pd.DataFrame,
                  limit: Limit) -> tuple[pd.DataFrame, str | None] | None:
    """流失预警 / At risk: customers with churn_risk high, by value at stake (CLV if alive − CLV); None: nobody."""
    cols = ["repeat_purchases", "p_alive", "expected_order_value", "value_at_stake", "clv", "churn_risk"]
    table = join_predictions(rfm, clv_table, columns=cols)
    table = table[table["churn_risk"] == "high"].sort_values(["value_at_stake", "customer_id"],
                                                             ascending=[False, True])
    if table.empty:
        return None
    return limit.cut(t, table[["customer_id", *AT_RISK_COLUMNS]])


def _customer_sheet(t: Labeller, name: str, rows: tuple[pd.DataFrame, str | None], contacts: pd.DataFrame,
                    problems: dict[str, list]) -> Sheet:
    table, note = rows
    return _labelled_sheet(t, name, _with_contacts(t, table, contacts, problems), note)


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


def _cohorts(t: Labeller, matrix: pd.DataFrame) -> Sheet:
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


def _funnel(t: Labeller, table: pd.DataFrame) -> Sheet:
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


def _campaigns(t: Labeller, table: pd.DataFrame) -> Sheet:
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


def _quality(t: Labeller, issues: dict[str, pd.DataFrame]) -> tuple[Sheet, pd.DataFrame]:
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


def build_report(orders: Any, *, customers: Any = None, leads: Any = None, campaigns: Any = None,
                 settings: Settings | None = None, as_of: dt.date | None = None, lang: str | None = None,
                 source: str | None = None, engine: str | None = None, read: Any = None) -> Report:
    """Build every sheet of the report from the inputs: :class:`~crmcli.table.Table` objects, or tables as
    ``read_table`` gives them (text) / sources, each normalized here once (``[columns.<input>]`` of
    ``settings`` mapping it) and handed to every sheet that uses it.

    ``as_of`` (else ``settings.as_of``, else the latest order date) ends the observation
    window, inclusive; later orders are left out. ``lang`` (else ``settings.lang``, else the
    language of the orders' headers) picks the labels.

    ``engine`` (None/``pandas``, ``auto``, ``duckdb``, ``spark``; ``settings.engine_big`` and
    ``spark_master`` apply): where the report's tables are computed (:mod:`crmcli.report.on_engine`: the same
    tables, the sheets shaped here the same way). Leads, campaigns and orders naming owners (the Funnel,
    Campaigns and Team sheets) run on pandas: ``auto`` falls back with a note, an explicit engine is a
    UsageError. On an engine ``Report.tables`` has no ``lines``/``orders`` (they stay on the engine) and
    ``contacts`` holds the customers the sheets show.
    """
    settings = settings or Settings()
    auto = (engine or "pandas") == "auto"
    where, why = report_engine(engine, orders, settings, leads=leads, campaigns=campaigns)
    extras = {name: normalize_table(df, overrides=settings.columns.get(name), region=settings.region,
                                    dayfirst=settings.dayfirst)
              for name, df in (("customers", customers), ("leads", leads), ("campaigns", campaigns))
              if df is not None}
    if where != "pandas":
        from .on_engine import engine_figures

        with engine_figures(orders, engine=where, settings=settings, read=read, auto=auto, lang=lang) as figures:
            if figures is not None:
                return _assemble(figures, extras, settings=settings, as_of=as_of, lang=lang, source=source)
        why = OWNERS  # the orders name owners: ``auto`` runs the report on pandas
    table = normalize_table(orders, read=read, overrides=settings.columns.get("orders"), region=settings.region,
                            dayfirst=settings.dayfirst)
    figures = InMemory(table, analytics.prepare(table, statuses=settings.order_status))
    report = _assemble(figures, extras, settings=settings, as_of=as_of, lang=lang, source=source)
    if why:
        report.notes.insert(0, f"engine: {why} runs on pandas only: the report ran on pandas")
    return report


def report_engine(engine: str | None, orders: Any, settings: Settings, *, leads: Any = None,
                  campaigns: Any = None) -> tuple[str, str | None]:
    """Where the report runs (:func:`crmcli.engines.analytics_engine`), and what made ``auto`` fall back to
    pandas (None: nothing did)."""
    from ..engines import analytics_engine

    what = ("a report with leads (the Funnel sheet)" if leads is not None else
            "a report with campaigns (the Campaigns sheet)" if campaigns is not None else None)
    where = analytics_engine(engine, orders, big=settings.engine_big, supported=what is None, what=what or "")
    fell = (what is not None and where == "pandas" and engine == "auto"
            and analytics_engine(engine, orders, big=settings.engine_big) != "pandas")
    return where, what if fell else None


def _assemble(figures: Any, extras: dict[str, Table], *, settings: Settings, as_of: dt.date | None,
              lang: str | None, source: str | None) -> Report:
    """The report's sheets from its figures (:mod:`crmcli.report.figures`), the same for every engine."""
    lang = lang or settings.lang or detect_lang(figures.columns)
    t = Labeller(lang)
    notes = figures.notes
    as_of = as_of or settings.as_of
    if as_of is None:
        as_of = figures.last_day()
        if as_of is None:
            raise DataError("the orders table has no order with a valid date, amount and customer",
                             hint="check the columns with: crm inspect FILE (map them with [columns.orders])")
    as_of_ts = pd.Timestamp(as_of)
    later = figures.cut(as_of_ts)
    if later:
        notes.append(f"{later} rows dated after {as_of} left out")
    left_out = figures.rows_left_out + later

    tables: dict[str, pd.DataFrame] = {"lines": figures.lines, "orders": figures.orders} if isinstance(
        figures, InMemory) else {}
    funnel_result = None
    if "leads" in extras:
        funnel_result = analytics.funnel(extras["leads"], figures.lines, figures.orders,
                                         stages=settings.funnel_stages)
        notes += [f"leads: {n}" for n in funnel_result.notes]
        tables["funnel"] = funnel_result.table
    funnel_figures = None if funnel_result is None else {
        "leads": funnel_result.leads, "converted_leads": funnel_result.converted,
        "lead_conversion_rate": funnel_result.conversion_rate,
        "avg_sales_cycle_days": funnel_result.avg_sales_cycle_days}

    title = t("report_title") + (f" · {source}" if source else "")
    page = PageInfo(title=title, as_of=t("as_of_short").format(date=f"{as_of:%Y-%m-%d}"), pages=t("pages"),
                    lang=lang)
    summary, kpis = build_summary(t, figures, as_of, settings, figures.rows_read, left_out, source, funnel_figures,
                                  title=t("report_title"))
    sales = figures.sales()
    if sales is not None:
        tables["sales_cells"] = sales.cells
    sheets = [summary, _sales_by_month(t, sales)]
    try:
        sales_forecast = figures.forecast(as_of_ts)
        sheets += _forecast(t, sales_forecast)
        tables["forecast"] = sales_forecast.table
        tables["forecast_backtest"] = sales_forecast.backtest
    except CrmError as exc:  # too short a history, or statsmodels missing: said on the sheet
        notes.append(f"forecast: {exc}")
        why = t("forecast_unavailable") + str(exc) + (f" ({exc.hint})" if exc.hint else "")
        sheets += [Sheet(t("forecast"), message=why), Sheet(t("forecast_backtest"), message=why)]
    products = figures.products()
    tables["products"] = products.table
    sheets.append(_products(t, products))
    if not figures.has_orders:
        rfm = pd.DataFrame(columns=["customer_id", "recency_days", "frequency", "monetary", "first_order",
                                    "last_order", "avg_order_value", "r_score", "f_score", "m_score", "rfm_score",
                                    "segment", "tier"])
        seg = pd.DataFrame(columns=["segment", "customers", "share", "revenue", "revenue_share", "orders", "aov"])
    else:
        result = figures.rfm(as_of=as_of_ts, bins=settings.rfm_bins, breaks=settings.rfm_breaks,
                             scheme=settings.rfm_scheme, rules=settings.rfm_rules, lang=lang)
        rfm, seg = result.table, result.segments
    tables.update(rfm=rfm, segments=seg)
    sheets.append(_segments(t, seg))
    limit = Limit(settings.report_customer_rows, source or "ORDERS")
    at_risk: Any = t("no_orders")
    if figures.has_orders:
        try:
            clv_result = figures.clv(as_of=as_of_ts, horizon=settings.clv_horizon, discount=settings.clv_discount)
            tables["clv"] = clv_result.table
            at_risk = _at_risk_rows(t, rfm, clv_result.table, limit) or t("no_at_risk")
            rfm = join_predictions(rfm, clv_result.table)
        except DataError as exc:  # too few customers, no repeat buying, no convergence: said on the sheet
            notes.append(f"clv: {exc}")
            at_risk = t("clv_unavailable") + str(exc)
    top = _top_customers(t, rfm, limit)
    shown = pd.unique(pd.concat([top[0]["customer_id"], *([at_risk[0]["customer_id"]] if isinstance(
        at_risk, tuple) else [])]).astype("str"))
    contacts, problems = figures.contacts(rfm["customer_id"], shown, extras.get("customers"))
    tables["contacts"] = contacts
    sheets.append(_customer_sheet(t, t("customers"), top, contacts, problems))
    sheets.append(_customer_sheet(t, t("at_risk"), at_risk, contacts, problems) if isinstance(at_risk, tuple)
                  else Sheet(t("at_risk"), message=at_risk))
    cohorts = figures.cohorts(as_of_ts)
    tables["cohorts"] = cohorts
    sheets.append(_cohorts(t, cohorts))
    sheets.append(_funnel(t, funnel_result.table) if funnel_result is not None
                  else Sheet(t("funnel"), message=t("missing_leads")))
    if "campaigns" in extras:
        camp = analytics.campaigns(extras["campaigns"], figures.lines, figures.orders,
                                   attribution_days=settings.attribution_days)
        notes += [f"campaigns: {n}" for n in camp.notes]
        tables["campaigns"] = camp.table
        sheets.append(_campaigns(t, camp.table))
    else:
        sheets.append(Sheet(t("campaigns"), message=t("missing_campaigns")))
    if isinstance(figures, InMemory):
        from .team import team_sheet  # the Team sheet, when the orders or the leads name owners

        team = team_sheet(t, figures.lines, figures.orders, extras.get("leads"), settings, as_of_ts)
        if team is not None:
            sheets.append(team[0])
            tables["team"] = team[1]

    order_issues = figures.issues(lang)
    issues = {"orders": order_issues.groups if order_issues.groups is not None else order_issues.issues}
    issues |= {name: analytics.find_issues(table, role=name, lang=lang) for name, table in extras.items()}
    quality, counts = _quality(t, issues)
    sheets.append(quality)
    tables["quality"] = counts
    found = {"orders": order_issues.issues} | {n: issues[n] for n in extras}
    frames = [i.assign(input=n) for n, i in found.items() if i is not None and not i.empty]
    all_issues = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["row", "column", "field", "value", "code", "severity", "message", "suggestion", "input"])
    count = order_issues.count + sum(len(issues[n]) for n in extras)
    return Report(sheets=sheets, as_of=as_of, lang=lang, kpis=kpis, rows_read=figures.rows_read,
                  rows_left_out=left_out, issues=all_issues, notes=notes, tables=tables, page=page,
                  issue_count=count, engine=figures.engine)


# --------------------------------------------------------------------------- from settings, in one call


@dataclass
class ReportResult:
    report: Report
    path: str
    format: str = "xlsx"
    #: Older dated reports removed by ``keep`` (:func:`crmcli.privacy.prune_reports`).
    removed: list[str] = field(default_factory=list)


def make_report(settings: Settings, *, output: str | None = None) -> ReportResult:
    """Read the inputs named in ``settings``, build the report and write it atomically.

    The output is ``output``, else ``settings.output`` (``{date}`` = the as-of date), else
    ``report-{date}.xlsx`` (``.html`` with ``settings.report_format = "html"``); the format is
    ``settings.report_format``, else the extension's. A missing output folder is created (by the writer, as for
    every command). With ``settings.keep`` = N and ``{date}`` in the output, the N newest reports of that name
    are kept and older ones removed (only files that name matches, :func:`crmcli.privacy.prune_reports`).
    """
    from ..errors import UsageError

    if not settings.orders:
        raise UsageError("no orders file given",
                         hint="crm report ORDERS, or set [inputs] orders in crm.toml (crm init writes one)")
    check_report_destination(output or settings.output, settings.report_format)
    extras = {name: getattr(settings, name) for name in ("customers", "leads", "campaigns") if getattr(settings, name)}
    report = build_report(settings.orders, **extras, settings=settings, source=os.path.basename(settings.orders),
                          engine=settings.engine)
    dest = output or settings.output_path(report.as_of)
    inputs = [p for p in (settings.orders, *(getattr(settings, n) for n in ("customers", "leads", "campaigns")))
              if p and p != "-"]
    fmt = report.write(dest, inputs=inputs, format=settings.report_format)
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
    return ReportResult(report, os.fspath(dest), fmt, removed)

def check_report_destination(dest: str | None, format: str | None) -> str:
    """The report's format for ``dest`` and ``format`` (checked before any work): a ``.xlsx`` path with
    ``format="html"`` (or the other way round) is a usage error."""
    from ..errors import UsageError

    by_ext = report_format(dest) if dest and dest != "-" and os.path.splitext(dest)[1] else None
    fmt = report_format(dest if by_ext else None, format)
    if by_ext and format and by_ext != fmt:
        raise UsageError(f"the output {os.path.basename(dest)!r} is {by_ext} but {{opt:report_format}} is {fmt}",
                         hint=f"name the output .{fmt}, or leave out the format", option="report_format")
    return fmt
