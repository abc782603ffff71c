"""``crm validate``: every problem, listed; exit 1 on errors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from ...errors import ExitCode
from ...io import write_table
from ...issue_text import localize_issues
from ...options import WriteSpec
from ...validate import validate_table
from .. import render
from ..common import AsOfOpt, Common, EngineOpt, FailOnOpt, FileArg, LangOpt, RequiredOpt, RulesOpt, command

HELP = """Check every field (phones, emails, dates, amounts, ids, duplicates), the fields the table's kind
needs, plausible dates and amounts, addresses against their city and province, spellings of one value
(天猫 / Tmall), and the rules of --rules or [rules.*] in crm.toml: a summary on stderr, the issue list
(row, column, field, value, code, severity, message, suggestion) to --issues or -o. Exits 1 when there
are errors (--fail-on warning: also on warnings; never: always 0). --infer-rules prints a commented
rules file drawn from the data instead. --lang zh: messages, suggestions and severities in Chinese,
with each code's Chinese name (the codes stay the same slugs).

\b
Example:
  crm validate examples/orders.xlsx --issues issues.csv
  crm validate export.csv -o - | head
  crm validate 订单.xlsx --lang zh --issues 问题.xlsx
  crm validate export.csv --infer-rules > rules.toml && crm validate export.csv --rules rules.toml
"""

IssuesOpt = Annotated[Optional[str], typer.Option("--issues", metavar="PATH", show_default=False,
                                                  help="Write the issue list here (csv/tsv/xlsx/json/jsonl).")]


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(validate)


def exit_for(issues, fail_on: str) -> int:
    """The exit code ``--fail-on`` asks for, given the issues found."""
    errors = 0 if issues.empty else int((issues["severity"] == "error").sum())
    return exit_for_counts(errors, len(issues) - errors, fail_on)


def exit_for_counts(errors: int, warnings: int, fail_on: str) -> int:
    """:func:`exit_for` from counts (a streamed run keeps no whole issue list)."""
    if fail_on == "never" or not (errors or warnings):
        return 0
    if fail_on == "warning":
        return int(ExitCode.INVALID_DATA)
    return int(ExitCode.INVALID_DATA) if errors else 0


def stream_engine(c: Common, file: str, *, xlsx: bool = False, whole: str | None = None) -> bool:
    """Whether this clean/validate runs in batches: the engine is not pandas (auto: a file over
    ``[engine] big``) and the input streams (CSV/TSV/Parquet on disk), with no xlsx output and no option
    that needs the whole table in memory (``whole``: the reason, e.g. "--dedupe merges rows in memory")."""
    from ...engines import resolve_engine
    from ...stream import streamable

    settings = c.settings()
    engine = resolve_engine(settings.engine, [file], big=settings.engine_big)
    if engine == "pandas":
        return False
    why = None
    if streamable(file) is None:
        why = f"{'stdin' if file == '-' else file} is not a CSV, TSV or Parquet file on disk"
    elif xlsx:
        why = "the output is an xlsx workbook"
    elif whole:
        why = whole
    if why is None:
        return True
    if settings.engine != "auto":
        c.say(f"note: {why}: read whole, in memory (not in batches)")
    return False


def check_options(c: Common, file: str, *, rules: str | None, required: str | None, as_of: str | None,
                  **flags: object) -> dict:
    """The checking keywords validate and clean pass on: the rules for this file's kind, the required fields,
    the as-of day (``--as-of``, else today: dates after it are implausible, and it is ``today`` in rules).
    Settings are resolved once per run, so ``flags`` carries the command's other setting flags (engine, lang)."""
    settings = c.settings(rules=rules, required=required, as_of=as_of, **flags)
    kind = c.kind_of(file)
    return {"rules": settings.rules_for(kind), "kind": kind, "required": settings.required,
            "as_of": settings.as_of or dt.date.today(), "values": settings.values}


def validate(c: Common, file: FileArg, issues_path: IssuesOpt = None, fail_on: FailOnOpt = "error",
             rules: RulesOpt = None, required: RequiredOpt = None, as_of: AsOfOpt = None,
             infer_rules: Annotated[bool, typer.Option("--infer-rules", help="Print a commented rules file "
                                                       "inferred from the data (to stdout, or -o PATH) instead of "
                                                       "validating.")] = False,
             engine: EngineOpt = None, lang: LangOpt = None) -> None:
    specs = [WriteSpec.decide(issues_path, option="issues")] if issues_path else []
    if c.output and not infer_rules:
        specs.append(WriteSpec.decide(c.output, c.format))
    c.check([s.dest for s in specs] + ([c.output] if infer_rules and c.output else []), [file])
    checks = check_options(c, file, rules=rules, required=required, as_of=as_of, engine=engine, lang=lang)
    settings = c.settings()
    language = settings.lang or "en"
    whole = "--infer-rules reads the whole table" if infer_rules else None
    if stream_engine(c, file, whole=whole) and len(specs) <= 1:
        from ...stream import stream_table

        spec = specs[0] if specs else None
        streamed = stream_table(file, read=c.read, overrides=c.overrides(c.kind_of(file)), region=settings.region,
                                dayfirst=settings.dayfirst, issues=spec.dest if spec else None,
                                issues_format=spec.format if spec else None, inputs=[file], lang=language,
                                **checks)
        render.issues(c.console, streamed.issues, streamed.rows, streamed.issue_summary,
                      counts=(streamed.errors, streamed.warnings, streamed.issue_count), lang=language,
                      cell=c.cell, redact=c.redacting)
        for line in streamed.notes:
            c.say(f"note: {line}")
        if spec:
            c.wrote(spec.dest, render.counted(streamed.issue_count, "issue"))
        raise typer.Exit(exit_for_counts(streamed.errors, streamed.warnings, fail_on))
    result = validate_table(file, read=c.read, overrides=c.overrides(c.kind_of(file)), region=settings.region,
                            dayfirst=settings.dayfirst, lang=language, **checks)
    if infer_rules:
        from ...io import atomic_write
        from ...rules import infer_rules as infer

        text = infer(result.table, source=file if file != "-" else "stdin", clusters=result.clusters,
                     issues=result.issues)
        atomic_write(c.output or "-", lambda fh: fh.write(text.encode("utf-8")), inputs=[file])
        c.wrote(c.output or "-", "rules")
        raise typer.Exit(0)
    shown = localize_issues(result.issues, language)
    for spec in specs:
        write_table(shown, spec.dest, format=spec.format, inputs=[file])
    render.issues(c.console, result.issues, result.rows, result.summary, lang=language, cell=c.cell, redact=c.redacting)
    render.clusters(c.console, result.clusters)
    for spec in specs:
        c.wrote(spec.dest, render.counted(len(result.issues), "issue"))
    raise typer.Exit(exit_for(result.issues, fail_on))
