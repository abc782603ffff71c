"""``crm pivot``: Excel-style pivots."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ...io import write_sheets
from ...pivot import pivot_table
from .. import render
from ..common import ByOpt, Common, EngineOpt, FileArg, command

HELP = """An Excel-style pivot and crosstab (交叉分析): one row per --rows combination, one column per --cols
value, cells = --agg of --values (default: count rows; several --values FIELD:AGG), with a totals row
and column computed from the rows. --show gives Excel's "Show Values As" (row%, col%, total%, rank,
running, index, diff-prev, pct-diff-prev); --where keeps rows meeting conditions (SUMIF/COUNTIF);
--top N keeps the largest rows and sums the rest as Other. Fields are canonical names (channel,
order_date, amount…) or headers as written; --by buckets a date field by month, quarter or year.

\b
Example:
  crm pivot examples/orders.xlsx --rows channel --cols order_date --by quarter --values amount
  crm pivot orders.csv --rows 产品 --values 客户 --agg nunique -o - --format json
  crm pivot orders.csv --rows channel --values amount:sum --values order_id:nunique --show col%
  crm pivot orders.csv --rows product --values amount --where 'channel=天猫' --top 5
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
    values: Annotated[Optional[list[str]], typer.Option(
        "--values", metavar="F[:AGG[:SHOW]]", show_default=False,
        help="A field to aggregate, repeatable, each with its own aggregation and --show (amount:sum, "
             "order_id:nunique, amount:sum:col%); default: count rows.")] = None,
    agg: Annotated[str, typer.Option("--agg", metavar="sum|count|mean|nunique|min|max",
                                     help="Aggregation of the --values without their own.")] = "sum",
    by: ByOpt = None,
    show: Annotated[Optional[str], typer.Option(
        "--show", metavar="row%|col%|total%|rank|running|index|diff-prev|pct-diff-prev", show_default=False,
        help="Show the values as Excel does: share of the row/column/grand total, rank, running total, index, "
             "difference (or % difference) from the previous item.")] = None,
    where: Annotated[Optional[list[str]], typer.Option(
        "--where", metavar="COND", show_default=False,
        help="Keep the rows meeting FIELD OP VALUE (= != > >= < <= in [a, b]), repeatable or joined by AND: "
             "'channel=天猫', 'order_date>=2024-01-01 AND amount>100'.")] = None,
    top: Annotated[Optional[int], typer.Option("--top", metavar="N", show_default=False,
                                               help="Keep the N rows with the largest first value; the rest "
                                                    "become one Other row.")] = None,
    no_totals: Annotated[bool, typer.Option("--no-totals", help="No totals row and column.")] = False,
    engine: EngineOpt = None,
) -> None:
    spec = c.destination(file, "pivot")
    c.check([spec.dest], [file])
    s = c.settings(engine=engine)
    result = pivot_table(file, read=c.read, rows=[r.strip() for r in rows.split(",")], cols=cols, values=values,
                         agg=agg, by=by, totals=not no_totals, show=show, where=where, top=top,
                         overrides=c.overrides("orders"), region=s.region, dayfirst=s.dayfirst, statuses=s.order_status,
                         engine=s.engine, engine_options=c.engine_options())
    write_sheets({"pivot": result.table}, spec, inputs=[file], number_formats={"pivot": result.number_formats})
    render.notes(c.console, {}, result.notes)
    shape = f"{render.counted(len(result.table), 'row')} × {render.counted(len(result.table.columns), 'column')}"
    c.wrote(spec.dest, shape)
