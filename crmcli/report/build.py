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

import pandas as pd

from ..clv.join import join_predictions
from ..config import DEFAULT_OUTPUT, Settings
from ..errors import CrmError, DataError
from ..normalize import normalize_table
from ..table import Table
from . import analytics
from .figures import OWNERS, InMemory
from .labels import Labeller, report_lang
from .sheets import (Limit, at_risk_rows, campaigns_sheet, cohorts_sheet, customer_sheet, forecast_sheets,
                     funnel_sheet, products_sheet, quality_sheet, sales_sheet, segments_sheet, top_customers)
from .summary import build_summary, periods
from .sheet import PageInfo, Sheet
from .workbook import write_report_workbook

__all__ = ["Report", "ReportResult", "build_report", "make_report", "periods"]
#: The report's output formats, by extension.
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
    lang = report_lang(lang, settings.lang, figures.columns)
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
    sheets = [summary, sales_sheet(t, sales)]
    try:
        sales_forecast = figures.forecast(as_of_ts)
        sheets += forecast_sheets(t, sales_forecast)
        tables["forecast"] = sales_forecast.table
        tables["forecast_backtest"] = sales_forecast.backtest
    except CrmError as exc:  # too short a history, or statsmodels missing: said on the sheet
        notes.append(f"forecast: {exc}")
        why = t("forecast_unavailable") + str(exc) + (f" ({exc.hint})" if exc.hint else "")
        sheets += [Sheet(t("forecast"), message=why), Sheet(t("forecast_backtest"), message=why)]
    products = figures.products()
    tables["products"] = products.table
    sheets.append(products_sheet(t, products))
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
    sheets.append(segments_sheet(t, seg))
    limit = Limit(settings.report_customer_rows, source or "ORDERS")
    at_risk: Any = t("no_orders")
    if figures.has_orders:
        try:
            clv_result = figures.clv(as_of=as_of_ts, horizon=settings.clv_horizon, discount=settings.clv_discount)
            tables["clv"] = clv_result.table
            at_risk = at_risk_rows(t, rfm, clv_result.table, limit) or t("no_at_risk")
            rfm = join_predictions(rfm, clv_result.table)
        except DataError as exc:  # too few customers, no repeat buying, no convergence: said on the sheet
            notes.append(f"clv: {exc}")
            at_risk = t("clv_unavailable") + str(exc)
    top = top_customers(t, rfm, limit)
    shown = pd.unique(pd.concat([top[0]["customer_id"], *([at_risk[0]["customer_id"]] if isinstance(
        at_risk, tuple) else [])]).astype("str"))
    contacts, problems = figures.contacts(rfm["customer_id"], shown, extras.get("customers"))
    tables["contacts"] = contacts
    sheets.append(customer_sheet(t, t("customers"), top, contacts, problems))
    sheets.append(customer_sheet(t, t("at_risk"), at_risk, contacts, problems) if isinstance(at_risk, tuple)
                  else Sheet(t("at_risk"), message=at_risk))
    cohorts = figures.cohorts(as_of_ts)
    tables["cohorts"] = cohorts
    sheets.append(cohorts_sheet(t, cohorts))
    sheets.append(funnel_sheet(t, funnel_result.table) if funnel_result is not None
                  else Sheet(t("funnel"), message=t("missing_leads")))
    if "campaigns" in extras:
        camp = analytics.campaigns(extras["campaigns"], figures.lines, figures.orders,
                                   attribution_days=settings.attribution_days)
        notes += [f"campaigns: {n}" for n in camp.notes]
        tables["campaigns"] = camp.table
        sheets.append(campaigns_sheet(t, camp.table))
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
    quality, counts = quality_sheet(t, issues)
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
