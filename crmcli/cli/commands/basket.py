"""``crm basket``: products bought together (support, confidence, lift), or bought one after the other."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ...basket import BASKET_DEFINITIONS, find_associations, parse_share
from ...formats import sheet_formats
from ...io import write_sheets
from .. import render
from ..common import AsOfOpt, Common, CustomerOpt, FileArg, command

HELP = """Products bought together (联合分析): every pair of products (with --max-size 3, triples) in the
same order, or with --window DAYS bought by the same customer one after the other, with count,
support, confidence and lift, sorted by lift. Orders follow the order rules (unpaid, cancelled and
refunded orders, repeated rows and credit notes are left out).

\b
Example:
  crm basket examples/order_lines.csv -o basket.xlsx
  crm basket orders.csv --by category --max-size 3 --min-support 2%
  crm basket orders.csv --window 30 -o - --top 20     # bought A, then B within 30 days
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(basket)


def basket(
    c: Common,
    file: FileArg,
    by: Annotated[str, typer.Option("--by", metavar="product|category|COLUMN",
                                    help="What an item is: the product, its category, or any column.")] = "product",
    max_size: Annotated[int, typer.Option("--max-size", metavar="2|3",
                                          help="Largest item set: 2 = pairs, 3 = triples too.")] = 2,
    window: Annotated[Optional[int], typer.Option(
        "--window", metavar="DAYS", show_default=False,
        help="Then bought: the same customer's later orders within DAYS days (default: the same order).")] = None,
    min_support: Annotated[str, typer.Option("--min-support", metavar="SHARE",
                                             help="Least share of baskets an item set is in (0.01 or 1%).")] = "1%",
    min_count: Annotated[int, typer.Option("--min-count", metavar="N",
                                           help="Least number of baskets an item set is in.")] = 2,
    min_confidence: Annotated[str, typer.Option("--min-confidence", metavar="SHARE",
                                                help="Drop rules with a lower confidence (0.2 or 20%).")] = "0",
    top: Annotated[Optional[int], typer.Option("--top", metavar="N", show_default=False,
                                               help="Keep the first N rules.")] = None,
    as_of: AsOfOpt = None,
    customer: CustomerOpt = None,
) -> None:
    s = c.settings(as_of=as_of)
    spec = c.destination(file, "basket")
    c.check([spec.dest], [file])
    result = find_associations(file, read=c.read, by=by, max_size=max_size, window=window,
                               min_support=parse_share(min_support), min_count=min_count,
                               min_confidence=parse_share(min_confidence, "min_confidence"), top=top, as_of=s.as_of,
                               overrides=c.overrides("orders"), customer=customer, region=s.region,
                               dayfirst=s.dayfirst, statuses=s.order_status)
    tables = {"rules": result.rules, "itemsets": result.itemsets}
    write_sheets(tables, spec, number_formats=sheet_formats(tables), inputs=[file])
    render.basket(c.console, result, BASKET_DEFINITIONS)
    c.wrote(spec.dest, f"{len(result.rules):,} rules")
