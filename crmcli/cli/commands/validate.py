"""``crm validate``: every problem, listed; exit 1 on errors."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ...errors import ExitCode
from ...io import write_table
from ...options import WriteSpec
from ...validate import validate_table
from .. import render
from ..common import Common, FailOnOpt, FileArg, command

HELP = """Check every field (phones, emails, dates, amounts, ids, duplicates): a summary on stderr, the
issue list (row, column, field, value, code, severity, message, suggestion) to --issues or -o.
Exits 1 when there are errors (--fail-on warning: also on warnings; never: always 0).

\b
Example:
  crm validate examples/orders.xlsx --issues issues.csv
  crm validate export.csv -o - | head
"""

IssuesOpt = Annotated[Optional[str], typer.Option("--issues", metavar="PATH", show_default=False,
                                                  help="Write the issue list here (csv/tsv/xlsx/json/jsonl).")]


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(validate)


def exit_for(issues, fail_on: str) -> int:
    """The exit code ``--fail-on`` asks for, given the issues found."""
    if fail_on == "never" or issues.empty:
        return 0
    if fail_on == "warning":
        return int(ExitCode.INVALID_DATA)
    return int(ExitCode.INVALID_DATA) if (issues["severity"] == "error").any() else 0


def validate(c: Common, file: FileArg, issues_path: IssuesOpt = None, fail_on: FailOnOpt = "error") -> None:
    specs = [WriteSpec.decide(issues_path, option="issues")] if issues_path else []
    if c.output:
        specs.append(WriteSpec.decide(c.output, c.format))
    c.check([s.dest for s in specs], [file])
    settings = c.settings()
    result = validate_table(file, read=c.read, overrides=c.overrides(c.kind_of(file)), region=settings.region,
                            dayfirst=settings.dayfirst)
    for spec in specs:
        write_table(result.issues, spec.dest, format=spec.format, inputs=[file])
    render.issues(c.console, result.issues, result.rows, result.summary, cell=c.cell, redact=c.redacting)
    for spec in specs:
        c.wrote(spec.dest, f"{len(result.issues):,} issues")
    raise typer.Exit(exit_for(result.issues, fail_on))
