"""``crm rfm``: recency, frequency, monetary per customer; scores, segments, value tiers."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ...errors import UsageError
from ...formats import sheet_formats
from ...io import write_sheets
from ...rfm import RFM_DEFINITIONS, parse_tiers, score_rfm
from ...segments import describe_rules, get_scheme, load_rules
from .. import render
from ..common import AsOfOpt, ChurnDaysOpt, Common, CustomerOpt, EngineOpt, LangOpt, LeadsOpt, command

HELP = """One row per customer: recency_days, frequency, monetary, first/last order, scores 1..N by
quantiles (equal values always get the same score; recency reversed), segment and value tier.

Definitions: """ + RFM_DEFINITIONS + """.

\b
Schemes: rfm = the ordered 10-rule score table (first match wins, else Others);
         cn8 = 8 classes by R/F/M high/low against the mean (重要价值客户 …).
Tier: high/mid/low = top 20% / next 30% / bottom 50% of customers by monetary.
Tags: 高价值客户 (tier high), 流失客户 (no order in --churn-days), 新客户 (first order within it),
      潜在客户 (a lead with no order: --leads); your own [[tags.rules]] in crm.toml.
Settings: [rfm] scheme, bins, breaks, tiers and your own [[rfm.rules]] in crm.toml.

\b
Example:
  crm rfm examples/orders.xlsx --as-of 2024-12-31 -o rfm.xlsx
  crm clean - < orders.csv | crm rfm - --scheme cn8 > rfm.csv
  crm rfm --rules                      # the active rule table, without data
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(rfm)


def rfm(
    c: Common,
    file: Annotated[Optional[str], typer.Argument(metavar="FILE", show_default=False,
                                                  help="Orders file (CSV, TSV, XLSX, JSON), or - for stdin.")] = None,
    as_of: AsOfOpt = None,
    bins: Annotated[Optional[int], typer.Option("--bins", metavar="N", show_default=False,
                                                help="Number of scores per dimension, 2..20 (default 5).")] = None,
    breaks: Annotated[Optional[list[str]], typer.Option(
        "--breaks", metavar="DIM=CUTS", show_default=False,
        help="Explicit cut points instead of quantiles, N-1 per dimension, repeatable: --breaks r=30,90,180,365 "
             "--breaks f=1,2,5,10 --breaks m=100,500,1000,5000 (value ≤ cut = lower bin).")] = None,
    scheme: Annotated[Optional[str], typer.Option("--scheme", metavar="rfm|cn8", show_default=False,
                                                  help="Segment rule table (default rfm).")] = None,
    lang: LangOpt = None,
    customer: CustomerOpt = None,
    tiers: Annotated[Optional[str], typer.Option("--tiers", metavar="HIGH,MID[,LOW]", show_default=False,
                                                 help="Tier shares in percent of customers by monetary "
                                                      "(default 20,30,50).")] = None,
    churn_days: ChurnDaysOpt = None,
    leads: LeadsOpt = None,
    show_rules: Annotated[bool, typer.Option("--rules", help="Print the active rule table on stdout: cells each "
                                                             "rule owns, overlapping and never-matching rules, "
                                                             "unmatched share (with FILE: customers per rule).")] = False,
    with_clv: Annotated[bool, typer.Option("--clv", help="Add p_alive, expected_orders, clv, churn_risk (as crm clv: "
                                                         "[clv] horizon and discount; crm clv for the details).")] = False,
    engine: EngineOpt = None,
) -> None:
    s = c.settings(as_of=as_of, rfm_bins=bins, rfm_scheme=scheme, lang=lang, rfm_tiers=tiers,
                   rfm_breaks=breaks or None, churn_days=churn_days, engine=engine)
    rules = load_rules(s.rfm_rules) if s.rfm_rules and not scheme else get_scheme(s.rfm_scheme)
    if file is None:
        if not show_rules:
            raise UsageError("missing FILE", hint="crm rfm orders.csv (or - for stdin); crm rfm --rules")
        render.rules(describe_rules(rules, lang=s.lang))
        return
    spec = c.destination(file, "rfm")
    if file == "-" and leads == "-":
        raise UsageError("only one input can come from stdin")
    if not show_rules:
        c.check([spec.dest], [file, leads])
    result = score_rfm(file, read=c.read, as_of=s.as_of, bins=s.rfm_bins, breaks=s.rfm_breaks, scheme=rules,
                       customer=customer, lang=s.lang, tiers=parse_tiers(s.rfm_tiers),
                       overrides=c.overrides("orders"), region=s.region, dayfirst=s.dayfirst,
                       statuses=s.order_status, churn_days=s.churn_days, tag_rules=s.tag_rules, leads=leads,
                       lead_overrides=s.columns_for("leads"), clv=with_clv,
                       clv_options={"horizon": s.clv_horizon, "discount": s.clv_discount},
                       engine=s.engine, engine_options=c.engine_options())
    if show_rules:
        render.rules(describe_rules(result.rules, result.table["segment"], lang=result.lang))
        return
    tables = {"rfm": result.table, "segments": result.segments}
    write_sheets(tables, spec, number_formats=sheet_formats(tables), inputs=[f for f in (file, leads) if f])
    if result.clv is not None:
        from ...clv import describe_clv  # scipy: imported only when asked for

        c.say(describe_clv(result.clv)[1])
    render.rfm(c.console, result, RFM_DEFINITIONS)
    extra = f" + {result.prospects:,} prospects" if result.prospects else ""
    c.wrote(spec.dest, render.counted(len(result.table) - result.prospects, "customer") + extra)
