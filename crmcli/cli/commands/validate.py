"""``crm validate``: every problem, listed; exit 1 on errors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from ...errors import ExitCode
from ...io import write_table
from ...options import WriteSpec
from ...validate import validate_table
from .. import render
from ..common import AsOfOpt, Common, FailOnOpt, FileArg, RequiredOpt, RulesOpt, command

HELP = """Check every field (phones, emails, dates, amounts, ids, duplicates), the fields the table's kind
needs, plausible dates and amounts, addresses against their city and province, spellings of one value
(天猫 / Tmall), and the rules of --rules or [rules.*] in crm.toml: a summary on stderr, the issue list
(row, column, field, value, code, severity, message, suggestion) to --issues or -o. Exits 1 when there
are errors (--fail-on warning: also on warnings; never: always 0). --infer-rules prints a commented
rules file drawn from the data instead.

\b
Example:
  crm validate examples/orders.xlsx --issues issues.csv
  crm validate export.csv -o - | head
  crm validate export.csv --infer-rules > rules.toml && crm validate export.csv --rules rules.toml
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


def check_options(c: Common, file: str, *, rules: str | None, required: str | None, as_of: str | None) -> dict:
    """The checking keywords validate and clean pass on: the rules for this file's kind, the required fields,
    the as-of day (``--as-of``, else today: dates after it are implausible, and it is ``today`` in rules)."""
    settings = c.settings(rules=rules, required=required, as_of=as_of)
    kind = c.kind_of(file)
    return {"rules": settings.rules_for(kind), "kind": kind, "required": settings.required,
            "as_of": settings.as_of or dt.date.today(), "values": settings.values}


def validate(c: Common, file: FileArg, issues_path: IssuesOpt = None, fail_on: FailOnOpt = "error",
             rules: RulesOpt = None, required: RequiredOpt = None, as_of: AsOfOpt = None,
             infer_rules: Annotated[bool, typer.Option("--infer-rules", help="Print a commented rules file "
                                                       "inferred from the data (to stdout, or -o PATH) instead of "
                                                       "validating.")] = False) -> None:
    specs = [WriteSpec.decide(issues_path, option="issues")] if issues_path else []
    if c.output and not infer_rules:
        specs.append(WriteSpec.decide(c.output, c.format))
    c.check([s.dest for s in specs] + ([c.output] if infer_rules and c.output else []), [file])
    checks = check_options(c, file, rules=rules, required=required, as_of=as_of)
    settings = c.settings()
    result = validate_table(file, read=c.read, overrides=c.overrides(c.kind_of(file)), region=settings.region,
                            dayfirst=settings.dayfirst, **checks)
    if infer_rules:
        from ...io import atomic_write
        from ...rules import infer_rules as infer

        text = infer(result.table, source=file if file != "-" else "stdin", clusters=result.clusters,
                     issues=result.issues)
        atomic_write(c.output or "-", lambda fh: fh.write(text.encode("utf-8")), inputs=[file])
        c.wrote(c.output or "-", "rules")
        raise typer.Exit(0)
    for spec in specs:
        write_table(result.issues, spec.dest, format=spec.format, inputs=[file])
    render.issues(c.console, result.issues, result.rows, result.summary)
    render.clusters(c.console, result.clusters)
    for spec in specs:
        c.wrote(spec.dest, f"{len(result.issues):,} issues")
    raise typer.Exit(exit_for(result.issues, fail_on))
