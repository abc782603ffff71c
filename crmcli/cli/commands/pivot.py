"""``crm pivot``: Excel-style pivots."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ...io import write_sheets
from ...pivot import pivot_table
from .. import render
from ..common import ByOpt, Common, FileArg, command

HELP = """An Excel-style pivot: one row per --rows combination, one column per --cols value, cells =
--agg of --values (default: count rows), with a totals row and column. Fields are canonical names
(channel, order_date, amount…) or headers as written; --by buckets a date field by month, quarter or year.

\b
Example:
  crm pivot examples/orders.xlsx --rows channel --cols order_date --by quarter --values amount
  crm pivot orders.csv --rows 产品 --values 客户 --agg nunique -o - --format json
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(pivot)


def pivot(
    c: Common,
    file: FileArg,
    rows: Annotated[str, typer.Option("--rows", metavar="F[,F]", show_default=False,
                                      help="Row fields (canonical name or header).")],
    cols: Annotated[Optional[str], typer.Option("--cols", metavar="F", show_default=False,
                                                help="Column field.")] = None,
    values: Annotated[Optional[str], typer.Option("--values", metavar="F", show_default=False,
                                                  help="The field to aggregate (default: count rows).")] = None,
    agg: Annotated[str, typer.Option("--agg", metavar="sum|count|mean|nunique|min|max",
                                     help="Aggregation.")] = "sum",
    by: ByOpt = None,
    no_totals: Annotated[bool, typer.Option("--no-totals", help="No totals row and column.")] = False,
) -> None:
    spec = c.destination(file, "pivot")
    c.check([spec.dest], [file])
    s = c.settings()
    result = pivot_table(file, read=c.read, rows=[r.strip() for r in rows.split(",")], cols=cols, values=values,
                         agg=agg, by=by, totals=not no_totals, overrides=c.overrides("orders"), region=s.region,
                         dayfirst=s.dayfirst, statuses=s.order_status)
    write_sheets({"pivot": result.table}, spec, inputs=[file],
                 number_formats={"pivot": {col: result.number_format for col in result.value_columns}})
    render.notes(c.console, {}, result.notes)
    c.wrote(spec.dest, f"{len(result.table):,} rows × {len(result.table.columns):,} columns")
