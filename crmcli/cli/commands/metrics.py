"""``crm metrics``: the numbers a sales manager asks for."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ...errors import CrmError, ExitCode
from ...formats import sheet_formats
from ...io import write_sheets, write_table
from ...metrics import compute_metrics
from ...options import WriteSpec
from .. import render
from ..common import AsOfOpt, ByOpt, ChurnDaysOpt, Common, CustomerOpt, FileArg, command

HELP = """KPIs — orders, customers, revenue, AOV (revenue ÷ orders), 客单价 (revenue ÷ paying customers),
复购率 (customers with 2+ orders ÷ customers), churn, median days between orders — and with --by per
month/quarter/year, with --group per channel/product/owner/… (with --leads also the funnel per owner or
source), with --cohorts the monthly retention matrix, with --leads the funnel and conversion, with
--campaigns CTR, response, conversion, ROI and ROAS (1:N), with --team the sales team per owner
(revenue, orders, customers, conversion, sales cycle, quota attainment).

\b
Example:
  crm metrics examples/orders.xlsx --by month -o metrics.xlsx
  crm metrics orders.csv --leads leads.csv --campaigns campaigns.csv -o - --format json
  crm metrics orders.csv --leads leads.csv --group owner -o - # the funnel per owner
  crm metrics orders.csv --leads leads.csv --team --quota 50000 --team-period month -o team.csv
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(metrics)


def metrics(
    c: Common,
    file: FileArg,
    as_of: AsOfOpt = None,
    churn_days: ChurnDaysOpt = None,
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
    team: Annotated[bool, typer.Option("--team", help="The sales-team table: per owner revenue, orders, customers, "
                                                      "new customers, AOV, lead conversion, sales cycle, quota and "
                                                      "attainment.")] = False,
    quota: Annotated[Optional[str], typer.Option(
        "--quota", metavar="N|FILE", show_default=False,
        help="Each owner's quota for --team: one number, or a file with owner and quota columns (default: "
             "[team] quota).")] = None,
    team_period: Annotated[Optional[str], typer.Option(
        "--team-period", metavar="all|month|quarter|year", show_default=False,
        help="The --team window: everything up to as-of, or the month/quarter/year holding it (default all, "
             "or [team] period).")] = None,
) -> None:
    if [file, leads, campaigns, quota].count("-") > 1:
        raise CrmError("only one input can come from stdin", code=ExitCode.USAGE)
    s = c.settings(as_of=as_of, churn_days=churn_days, attribution_days=attribution_days, funnel_stages=stages,
                   team_quota=quota, team_period=team_period)
    spec = c.destination(file, "metrics")
    cohort_spec = WriteSpec.decide(cohorts, option="cohorts") if cohorts else None
    inputs = [f for f in (file, leads, campaigns) if f]
    c.check([spec.dest, cohort_spec and cohort_spec.dest], inputs)
    report = compute_metrics(
        file, read=c.read, as_of=s.as_of, churn_days=s.churn_days, by=by, group=group, cohorts=cohorts is not None,
        leads=leads, stages=s.funnel_stages, campaigns=campaigns, attribution_days=s.attribution_days,
        overrides=c.overrides("orders"), lead_overrides=s.columns_for("leads"),
        campaign_overrides=s.columns_for("campaigns"), customer=customer, region=s.region, dayfirst=s.dayfirst,
        statuses=s.order_status, team=team, quota=s.team_quota, team_period=s.team_period)
    tables = report.tables()
    # with --team the leads serve the team table: the funnel is not one more table asked for
    extra = [k for k in tables if k != "kpis" and not (team and k == "funnel")]
    if spec.format != "xlsx" and len(extra) > 1:
        raise CrmError(f"{' and '.join(extra)} are separate tables: a {spec.format} file holds one",
                       hint="write them all with -o metrics.xlsx, or ask for one at a time", code=ExitCode.USAGE)
    primary = "team" if team else extra[0] if extra else "kpis"
    write_sheets(tables, spec, primary=primary, number_formats=sheet_formats(tables), inputs=inputs)
    if cohort_spec is not None:
        if cohort_spec.format == "xlsx":
            write_sheets({"cohorts": report.cohorts}, cohort_spec, inputs=inputs,
                         number_formats={"cohorts": {col: "0.0%" for col in report.cohorts.columns if col != "cohort"}})
        else:
            write_table(report.cohorts, cohort_spec.dest, format=cohort_spec.format, inputs=inputs)
    render.kpis(c.console, report)
    if report.team is not None:
        render.team(c.console, report.team)
    render.notes(c.console, report.dropped, report.notes)
    c.wrote(spec.dest, ", ".join(tables) if spec.format == "xlsx" else "")
    if cohort_spec is not None:
        c.wrote(cohort_spec.dest, "cohorts")
