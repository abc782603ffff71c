"""``crm forecast``: revenue and orders for the next periods, backtested."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table as RichTable

from ...io import write_sheets
from .. import render
from ..common import AsOfOpt, Common, CustomerOpt, FileArg, command

HELP = """Revenue and orders for the next periods with an interval (statsmodels ETS chosen by AICc; --model
theta|auto), backtested from rolling origins against seasonal naive (MAPE, MASE). Complete
periods only: the period holding as-of counts when as-of is its last day. Less than two seasons
of history: non-seasonal exponential smoothing; fewer than 6 periods: naive (the last value).

\b
Example:
  crm forecast examples/shop_orders.csv --periods 6 -o forecast.xlsx
  crm forecast orders.csv --by week --model auto
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(forecast)


def forecast(
    c: Common,
    file: FileArg,
    by: Annotated[str, typer.Option("--by", metavar="week|month|quarter", help="Period.")] = "month",
    periods: Annotated[Optional[int], typer.Option("--periods", metavar="N", show_default=False,
                                                   help="Periods ahead (default: 13 weeks, 6 months, 4 quarters).")] = None,
    level: Annotated[int, typer.Option("--level", metavar="PCT", help="Prediction interval, percent.")] = 80,
    model: Annotated[str, typer.Option("--model", metavar="ets|theta|auto",
                                       help="ETS, Theta, or the one with the lower backtest MASE.")] = "ets",
    as_of: AsOfOpt = None,
    customer: CustomerOpt = None,
) -> None:
    from ...forecast import FORECAST_FORMATS, describe_forecast, forecast_sales

    s = c.settings(as_of=as_of)
    spec = c.destination(file, "forecast")
    c.check([spec.dest], [file])
    result = forecast_sales(file, read=c.read, by=by, periods=periods, level=level, model=model, as_of=s.as_of,
                            customer=customer, overrides=c.overrides("orders"), region=s.region, dayfirst=s.dayfirst,
                            statuses=s.order_status)
    write_sheets({"forecast": result.table, "backtest": result.backtest}, spec, number_formats=FORECAST_FORMATS,
                 inputs=[file])
    for line in describe_forecast(result):
        c.say(line)
    render.notes(c.console, result.dropped, result.notes)
    ahead = RichTable(show_edge=False, header_style="bold")
    for head in (result.by, "revenue", f"{result.level}% interval", "orders", f"{result.level}% interval "):
        ahead.add_column(head, justify="left" if head == result.by else "right")
    for r in result.table[result.table["kind"] == "forecast"].itertuples(index=False):
        ahead.add_row(r.period, f"{r.revenue:,.2f}", f"{r.revenue_lo:,.2f} – {r.revenue_hi:,.2f}",
                      f"{r.orders:,.1f}", f"{r.orders_lo:,.1f} – {r.orders_hi:,.1f}")
    c.console.print(ahead)
    c.wrote(spec.dest)
