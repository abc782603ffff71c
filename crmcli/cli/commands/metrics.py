"""``crm metrics``: the numbers a sales manager asks for."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ...errors import CrmError, ExitCode
from ...formats import RATE, all_formats, sheet_formats
from ...io import write_sheets, write_table
from ...metrics import compute_metrics
from ...options import WriteSpec
from .. import render
from ..common import AsOfOpt, ByOpt, Common, CustomerOpt, FileArg, command

HELP = """KPIs — orders, customers, revenue, AOV (revenue ÷ orders), 客单价 (revenue ÷ paying customers),
复购率 (customers with 2+ orders ÷ customers), churn — and with --by per month/quarter/year, with
--group per channel/product/…, with --cohorts the monthly retention matrix, with --leads the
funnel and conversion, with --campaigns response, ROI and ROAS.

\b
Example:
  crm metrics examples/orders.xlsx --by month -o metrics.xlsx
  crm metrics orders.csv --leads leads.csv --campaigns campaigns.csv -o - --format json
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(metrics)


def metrics(
    c: Common,
    file: FileArg,
    as_of: AsOfOpt = None,
    churn_days: Annotated[Optional[int], typer.Option(
        "--churn-days", metavar="N", show_default=False,
        help="Churned = no order in the last N days (default 90); also the window for new/returning "
             "customers.")] = None,
    by: ByOpt = None,
    group: Annotated[Optional[str], typer.Option("--group", metavar="COLUMN", show_default=False,
                                                 help="Break down by a field or column (channel, product…).")] = None,
    cohorts: Annotated[Optional[str], typer.Option("--cohorts", metavar="PATH", show_default=False,
                                                   help="Write the monthly cohort retention matrix to PATH.")] = None,
    leads: Annotated[Optional[str], typer.Option("--leads", metavar="FILE", show_default=False,
                                                 help="A leads table with a stage/status column: the funnel.")] = None,
    stages: Annotated[Optional[str], typer.Option("--stages", metavar="A,B,C", show_default=False,
                                                  help="The lead stages in order (default: [funnel] stages, else "
                                                       "recognized names).")] = None,
    campaigns: Annotated[Optional[str], typer.Option("--campaigns", metavar="FILE", show_default=False,
                                                     help="A campaigns table: response, ROI, ROAS.")] = None,
    attribution_days: Annotated[Optional[int], typer.Option(
        "--attribution-days", metavar="N", show_default=False,
        help="Attribute a contacted customer's orders within N days (default 30).")] = None,
    customer: CustomerOpt = None,
) -> None:
    if [file, leads, campaigns].count("-") > 1:
        raise CrmError("only one input can come from stdin", code=ExitCode.USAGE)
    s = c.settings(as_of=as_of, churn_days=churn_days, attribution_days=attribution_days, funnel_stages=stages)
    spec = c.destination(file, "metrics")
    cohort_spec = WriteSpec.decide(cohorts, option="cohorts") if cohorts else None
    inputs = [f for f in (file, leads, campaigns) if f]
    c.check([spec.dest, cohort_spec and cohort_spec.dest], inputs)
    report = compute_metrics(
        file, read=c.read, as_of=s.as_of, churn_days=s.churn_days, by=by, group=group, cohorts=cohorts is not None,
        leads=leads, stages=s.funnel_stages, campaigns=campaigns, attribution_days=s.attribution_days,
        overrides=c.overrides("orders"), lead_overrides=s.columns_for("leads"),
        campaign_overrides=s.columns_for("campaigns"), customer=customer, region=s.region, dayfirst=s.dayfirst,
        statuses=s.order_status)
    tables = report.tables()
    extra = [k for k in tables if k != "kpis"]
    if spec.format != "xlsx" and len(extra) > 1:
        raise CrmError(f"{' and '.join(extra)} are separate tables: a {spec.format} file holds one",
                       hint="write them all with -o metrics.xlsx, or ask for one at a time", code=ExitCode.USAGE)
    write_sheets(tables, spec, primary=extra[0] if extra else "kpis", number_formats=sheet_formats(tables),
                 inputs=inputs)
    if cohort_spec is not None:
        if cohort_spec.format == "xlsx":
            write_sheets({"cohorts": report.cohorts}, cohort_spec, inputs=inputs,
                         number_formats={"cohorts": all_formats((c for c in report.cohorts.columns if c != "cohort"),
                                                                RATE)})
        else:
            write_table(report.cohorts, cohort_spec.dest, format=cohort_spec.format, inputs=inputs)
    render.kpis(c.console, report)
    render.notes(c.console, report.dropped, report.notes)
    c.wrote(spec.dest, ", ".join(tables) if spec.format == "xlsx" else "")
    if cohort_spec is not None:
        c.wrote(cohort_spec.dest, "cohorts")
