"""``crm inspect``: what the tool sees in a file."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ...describe import inspect_table
from .. import render
from ..common import Common, FileArg, command

HELP = """What the tool sees: format, encoding, delimiter, sheets, header row, rows, the column mapping
(header → field) and a profile of each column (filled %, distinct values, examples). --redact shows
the shape of the examples instead (1**********, u***@***.com), --mask masks them.

\b
Example:
  crm inspect examples/orders.xlsx
  crm inspect export.csv --json > description.json
  crm inspect export.csv --redact 2>> cron.log
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, help=HELP)(inspect)


def inspect(
    c: Common,
    file: FileArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the description as JSON on stdout.")] = False,
) -> None:
    c.check([], [file])
    desc, problems = inspect_table(file, read=c.read, overrides=c.overrides(c.kind_of(file)), with_problems=True)
    if c.privacy.mask or c.redacting:  # examples masked (--mask) or as shapes (--redact)
        for col in desc["columns"]:
            col["examples"] = [c.cell(v, col["field"]) for v in col["examples"]]
    if as_json:
        sys.stdout.write(json.dumps(desc, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
    else:
        render.description(c.console, desc)
    render.problems(c.console, problems, redact=c.redacting)
