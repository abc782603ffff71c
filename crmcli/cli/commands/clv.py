"""``crm clv``: who is still a customer and what each is worth (BG/NBD + Gamma-Gamma)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from ...errors import UsageError
from ...io import write_sheets
from ...options import WriteSpec
from .. import render
from ..common import AsOfOpt, Common, CustomerOpt, EngineOpt, FileArg, command

HELP = """Customer lifetime value: per customer P(alive), expected orders, expected order value, discounted
CLV and churn risk, from BG/NBD (repeat purchases) and Gamma-Gamma (spend) fitted by maximum
likelihood. Days everywhere: purchases are counted per day; repeat_purchases = purchase days − 1,
t_x = days from the first to the last purchase, T = days from the first purchase to as-of.
--holdout DATE fits on the orders up to DATE and compares the predictions with what customers
bought after it (printed; --holdout-report PATH).

\b
Example:
  crm clv examples/shop_orders.csv -o clv.xlsx --params params.json
  crm clv orders.csv --holdout-days 180 --holdout-report backtest.json
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(clv)


def clv(
    c: Common,
    file: FileArg,
    as_of: AsOfOpt = None,
    horizon: Annotated[Optional[int], typer.Option("--horizon", metavar="DAYS", show_default=False,
                                                   help="Expected orders and CLV over this many days "
                                                        "(default: [clv] horizon, else 365).")] = None,
    discount: Annotated[Optional[float], typer.Option("--discount", metavar="RATE", show_default=False,
                                                      help="Yearly discount rate for CLV, applied monthly "
                                                           "(default: [clv] discount, else 0.10).")] = None,
    holdout: Annotated[Optional[str], typer.Option("--holdout", metavar="DATE", show_default=False,
                                                   help="Backtest: fit on orders up to DATE, compare with the "
                                                        "orders after it up to as-of.")] = None,
    holdout_days: Annotated[Optional[int], typer.Option("--holdout-days", metavar="N", show_default=False,
                                                        help="Backtest on the last N days (instead of --holdout).")] = None,
    holdout_report: Annotated[Optional[str], typer.Option(
        "--holdout-report", metavar="PATH", show_default=False,
        help="Write the backtest: .json (all), .xlsx (sheets), .csv (the table by number of calibration "
             "purchases).")] = None,
    params: Annotated[Optional[str], typer.Option("--params", metavar="PATH", show_default=False,
                                                  help="Write the fitted parameters as JSON.")] = None,
    customer: CustomerOpt = None,
    engine: EngineOpt = None,
) -> None:
    from ...clv import TABLE_FORMATS, describe_clv, fit_clv, write_holdout_report, write_params

    if holdout_report and holdout is None and holdout_days is None:
        raise UsageError("{opt:holdout_report} needs {opt:holdout} DATE or {opt:holdout_days} N")
    s = c.settings(as_of=as_of, clv_horizon=horizon, clv_discount=discount, engine=engine)
    spec = c.destination(file, "clv")
    extra = [WriteSpec.decide(p, option=name, allowed=allowed).dest for p, name, allowed in
             ((params, "params", ("json",)), (holdout_report, "holdout_report", ("json", "xlsx", "csv"))) if p]
    c.check([spec.dest, *extra], [file])
    result = fit_clv(file, read=c.read, as_of=s.as_of, horizon=s.clv_horizon, discount=s.clv_discount,
                     holdout=holdout, holdout_days=holdout_days, customer=customer, overrides=c.overrides("orders"),
                     region=s.region, dayfirst=s.dayfirst, statuses=s.order_status, engine=s.engine,
                     engine_options=c.engine_options())
    write_sheets({"clv": result.table}, spec, number_formats={"clv": TABLE_FORMATS}, inputs=[file])
    if params:
        write_params(result, params, inputs=[file])
    if holdout_report and result.holdout is not None:
        write_holdout_report(result.holdout, holdout_report, inputs=[file])
    for line in describe_clv(result):
        c.say(line)
    render.notes(c.console, result.dropped, result.notes)
    if result.holdout is not None:
        by = RichTable(show_edge=False, header_style="bold", title="holdout by calibration repeat purchases")
        for head in ("repeat purchases", "customers", "predicted (mean)", "actual (mean)"):
            by.add_column(head, justify="right")
        for r in result.holdout.by_purchases.itertuples(index=False):
            by.add_row(str(r.calibration_purchases), f"{r.customers:,}", f"{r.predicted_mean:.3f}",
                       f"{r.actual_mean:.3f}")
        c.console.print(by)
    for path in (spec.dest, params, holdout_report):
        if path:
            c.wrote(path)
