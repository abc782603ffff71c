"""``crm report``: the whole workbook, for people and for cron."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ...errors import UsageError
from ...report import make_report
from ...report.build import check_report_destination
from .. import render
from ..common import AsOfOpt, Common, EngineOpt, LangOpt, command, shown

HELP = """The whole report workbook: KPI cards, monthly sales, forecast, product ranking, RFM segments,
customers, churn risk, cohort retention, lead funnel, campaign ROI and data quality, with native
Excel charts, laid out to print (landscape, one page wide). -o report.html (or --format html) writes
the same report as one self-contained web page for the morning mail. Inputs and settings come from
flags, CRM_* variables and crm.toml ([inputs], [report] output = "...{date}.xlsx"), so cron needs no
arguments. --engine duckdb|spark computes the tables there, the same tables as on pandas (auto, the
default: DuckDB for orders over [engine] big); --leads, --campaigns and owners run on pandas.

\b
Example:
  crm report --config examples/crm.toml -o report.xlsx
  crm report examples/orders.xlsx -o report.html
  CRM_ORDERS=orders.xlsx crm report -q          # -> report-<as-of>.xlsx
  crm report --mask --password-file ~/.crm-pw -o 'reports/report-{date}.xlsx' --keep 7
  crm report cleaned.parquet --engine duckdb -o report.xlsx     # the tables computed on DuckDB
"""


def register(app: typer.Typer) -> None:
    command(app, maps=True, fields=True, privacy=True, help=HELP)(report)


def report(
    c: Common,
    orders: Annotated[Optional[str], typer.Argument(metavar="[ORDERS]", show_default=False,
                                                    help="Orders file (default: [inputs] orders in crm.toml).")] = None,
    customers: Annotated[Optional[str], typer.Option("--customers", metavar="FILE", show_default=False,
                                                     help="Customers file: names, phones, cities for the Customers "
                                                          "sheet.")] = None,
    leads: Annotated[Optional[str], typer.Option("--leads", metavar="FILE", show_default=False,
                                                 help="Leads file: the Funnel sheet.")] = None,
    campaigns: Annotated[Optional[str], typer.Option("--campaigns", metavar="FILE", show_default=False,
                                                     help="Campaigns file: the Campaigns sheet.")] = None,
    output: Annotated[Optional[str], typer.Option("-o", "--output", metavar="PATH", show_default=False,
                                                  help="The workbook to write; {date} = the as-of date "
                                                       "(default: [report] output, else report-{date}.xlsx).")] = None,
    report_format: Annotated[Optional[str], typer.Option("--format", metavar="xlsx|html", show_default=False,
                                                         help="xlsx (the workbook) or html (one self-contained "
                                                              "page; inline CSS and SVG charts). Default: by the "
                                                              "output's extension, else [report] format, else "
                                                              "xlsx.")] = None,
    as_of: AsOfOpt = None,
    lang: LangOpt = None,
    keep: Annotated[Optional[int], typer.Option("--keep", metavar="N", show_default=False,
                                                help="With {date} in the output name: keep the newest N reports of "
                                                     "that name, remove older ones ([privacy] keep).")] = None,
    engine: EngineOpt = None,
) -> None:
    s = c.settings(orders=orders, customers=customers, leads=leads, campaigns=campaigns, output=output,
                   as_of=as_of, lang=lang, report_format=report_format, keep=keep, engine=engine)
    if c.map_:  # --map applies to the orders, over [columns.orders]
        from dataclasses import replace

        s = replace(s, columns={**s.columns, "orders": c.overrides("orders")})
    inputs = [s.orders, s.customers, s.leads, s.campaigns]
    fmt = check_report_destination(s.output, s.report_format)
    if s.output == "-" and fmt == "xlsx" and sys.stdout is not None and sys.stdout.isatty():
        raise UsageError("refusing to write a workbook to the terminal", hint="redirect stdout or use -o FILE")
    c.check([s.output if s.output and "{date}" not in s.output else None], [i for i in inputs if i])
    result = make_report(s)
    r = result.report
    k = r.kpis
    extra = f"; {render.counted(r.rows_left_out, 'row')} left out" if r.rows_left_out else ""
    where = "stdout" if result.path == "-" else shown(result.path)
    what = f"{len(r.sheets)} sheets" if result.format == "xlsx" else f"a web page of {len(r.sheets)} sections"
    for note in r.notes:
        if note.startswith("engine:"):
            c.say(note)
    c.say(f"wrote {where}: {what}, as of {r.as_of}, {k['orders']:,.0f} orders, "
          f"{k['customers']:,.0f} customers, revenue {k['revenue']:,.2f}{extra}, {r.issue_count:,} data issues")
    if result.removed:
        c.say(f"removed {len(result.removed):,} older report(s): " + ", ".join(shown(p) for p in result.removed))
