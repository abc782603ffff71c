"""The ``crm`` command: parse arguments, make one library call, render, map errors to exit codes.

Only this module imports typer and rich. Data goes to stdout; everything else to stderr.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .clean import clean_table, write_cleaned
from .describe import inspect_table
from .errors import CrmError, ExitCode, InputError, UsageError
from .io import default_output, read_table, write_table
from .schema import map_columns, parse_map_options
from .validate import find_issues, summarize_issues

app = typer.Typer(
    name="crm",
    help="Clean, validate, dedupe and analyse customer and order spreadsheets (CSV, Excel, stdin).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# ----------------------------------------------------------------- shared options (defined once)

FileArg = Annotated[str, typer.Argument(metavar="FILE", help="Input file (CSV, TSV, XLSX, XLS, JSON), or - for stdin.")]
OutputOpt = Annotated[Optional[str], typer.Option("-o", "--output", metavar="PATH",
                                                  help="Where the data goes; - = stdout; format from the extension.")]
FormatOpt = Annotated[Optional[str], typer.Option("--format", metavar="csv|tsv|xlsx|json|jsonl",
                                                  help="Output format (for stdout, or to override the extension).")]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", metavar="NAME|N",
                                                 help="Which sheet of a workbook (default: first visible sheet with data).")]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", metavar="NAME",
                                                    help="Override the detected text encoding (e.g. gb18030).")]
HeaderRowOpt = Annotated[Optional[int], typer.Option("--header-row", metavar="N",
                                                     help="Override the detected header row (1 = first row).")]
DelimiterOpt = Annotated[Optional[str], typer.Option("--delimiter", metavar="CHAR",
                                                     help="Override the sniffed CSV delimiter.")]
MapOpt = Annotated[Optional[list[str]], typer.Option("--map", metavar="FIELD=COLUMN",
                                                     help="Map a column to a canonical field (repeatable).")]
QuietOpt = Annotated[bool, typer.Option("-q", "--quiet", help="Nothing on stderr but errors.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")]


def _console(quiet: bool = False) -> Console:
    return Console(stderr=True, quiet=quiet, highlight=False, soft_wrap=False,
                   no_color=bool(os.environ.get("NO_COLOR")) or None)


def _error_line(message: str, hint: str | None = None) -> str:
    line = f"crm: error: {' '.join(message.split())}"
    if hint:
        line += f" (hint: {' '.join(hint.split())})"
    return line


@contextmanager
def handle_errors(debug: bool = False) -> Iterator[None]:
    """Turn library errors into one stderr line and the documented exit code."""
    try:
        yield
    except typer.Exit:
        raise
    except CrmError as exc:
        if debug:
            traceback.print_exc()
        print(_error_line(str(exc), exc.hint), file=sys.stderr)
        raise typer.Exit(int(exc.code)) from None
    except KeyboardInterrupt:
        print("crm: interrupted", file=sys.stderr)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except BrokenPipeError:
        # The reader of our stdout went away (`crm … | head`): end quietly.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        raise typer.Exit(0) from None
    except MemoryError:
        print(_error_line("out of memory reading the input"), file=sys.stderr)
        raise typer.Exit(int(ExitCode.INPUT)) from None
    except Exception as exc:  # a bug: one line unless --debug
        if debug:
            traceback.print_exc()
        print(_error_line(f"unexpected {type(exc).__name__}: {exc}",
                          "run again with --debug for the traceback and report it"), file=sys.stderr)
        raise typer.Exit(int(ExitCode.INPUT)) from None


def _version_callback(value: bool) -> None:
    if value:
        print(f"crm {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """crm: customer and order spreadsheets, cleaned and analysed."""


# ----------------------------------------------------------------- inspect


@app.command()
def inspect(
    file: FileArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the description as JSON on stdout.")] = False,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """What the tool sees: format, encoding, delimiter, sheets, header row, rows, column mapping, profile."""
    with handle_errors(debug):
        overrides = parse_map_options(map_)
        desc, problems = inspect_table(file, sheet=sheet, encoding=encoding, header_row=header_row,
                                       delimiter=delimiter, overrides=overrides, with_problems=True)
        console = _console(quiet)
        if as_json:
            sys.stdout.write(json.dumps(desc, ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
            _render_problems(console, problems)
            return
        _render_description(console, desc)
        _render_problems(console, problems)


MAX_SHOWN_COLUMNS = 200  # a 16,384-column table would take rich a minute to lay out


def _render_description(console: Console, desc: dict[str, Any]) -> None:
    delim = {"\t": "TAB", None: "-"}.get(desc["delimiter"], desc["delimiter"])
    console.print(f"format: {desc['format']}   encoding: {desc['encoding'] or '-'}   delimiter: {delim}")
    if desc["sheets"]:
        names = ", ".join(s["name"] + (" (hidden)" if s["hidden"] else "") for s in desc["sheets"])
        console.print(f"sheet: {desc['sheet']}   sheets: {names}")
    console.print(f"header row: {desc['header_row']}   rows: {desc['rows']}   columns: {len(desc['columns'])}")
    table = Table(show_edge=False, header_style="bold")
    for head in ("column", "field", "filled", "distinct", "examples"):
        table.add_column(head, overflow="fold")
    shown = desc["columns"][:MAX_SHOWN_COLUMNS]
    for col in shown:
        table.add_row(col["name"], col["field"] or "-", f"{col['filled']:.0%}", str(col["distinct"]),
                      " | ".join(col["examples"]))
    console.print(table)
    if len(desc["columns"]) > len(shown):
        console.print(f"… {len(desc['columns']) - len(shown)} more columns (--json lists them all)")


def _render_problems(console: Console, problems: list[dict[str, Any]], limit: int = 10) -> None:
    for p in problems[:limit]:
        where = f"row {p['row']}: " if p.get("row") else ""
        console.print(f"warning: {where}{p['message']}")
    if len(problems) > limit:
        console.print(f"warning: +{len(problems) - limit} more")

# ----------------------------------------------------------------- validate and clean

RegionOpt = Annotated[str, typer.Option("--region", metavar="CC", help="Default phone region, ISO 3166 (e.g. CN, US).")]
DayfirstOpt = Annotated[Optional[bool], typer.Option(
    "--dayfirst/--monthfirst", show_default=False,
    help="Force dd/mm/yyyy or mm/dd/yyyy (default: decided per column by its values).")]
IssuesOpt = Annotated[Optional[str], typer.Option("--issues", metavar="PATH",
                                                  help="Write the issue list here (csv/tsv/xlsx/json/jsonl).")]
FAIL_ON = ("error", "warning", "never")


def _fail_on(value: str) -> str:
    if value not in FAIL_ON:
        raise typer.BadParameter(f"must be one of {', '.join(FAIL_ON)}", param_hint="--fail-on")
    return value


def _exit_for(issues: Any, fail_on: str) -> int:
    if fail_on == "never" or issues.empty:
        return 0
    if fail_on == "warning":
        return int(ExitCode.INVALID_DATA)
    return int(ExitCode.INVALID_DATA) if (issues["severity"] == "error").any() else 0


def _render_issues(console: Console, issues: Any, rows: int, limit: int = 20) -> None:
    errors = int((issues["severity"] == "error").sum())
    warnings = int((issues["severity"] == "warning").sum())
    console.print(f"{rows} rows checked: {errors} errors, {warnings} warnings")
    if issues.empty:
        return
    counts = Table(show_edge=False, header_style="bold")
    for head in ("field", "code", "severity", "count"):
        counts.add_column(head, justify="right" if head == "count" else "left")
    for rec in summarize_issues(issues).itertuples(index=False):
        counts.add_row(rec.field or "-", rec.code, rec.severity, str(rec.count))
    console.print(counts)
    first = Table(show_edge=False, header_style="bold")
    for head in ("row", "column", "value", "code", "message"):
        first.add_column(head, overflow="fold")
    for rec in issues.head(limit).itertuples(index=False):
        first.add_row(str(rec.row), rec.column or "-", rec.value, rec.code, rec.message)
    console.print(first)
    if len(issues) > limit:
        console.print(f"+{len(issues) - limit} more")


@app.command()
def validate(
    file: FileArg,
    issues_path: IssuesOpt = None,
    output: Annotated[Optional[str], typer.Option("-o", "--output", metavar="PATH",
                                                  help="Write the issue list here; - = stdout.")] = None,
    format: FormatOpt = None,
    fail_on: Annotated[str, typer.Option("--fail-on", metavar="error|warning|never", callback=_fail_on,
                                         help="Exit 1 when there are issues this severe.")] = "error",
    region: RegionOpt = "CN",
    dayfirst: DayfirstOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check every field; a summary on stderr, the issue list to --issues or -o; exit 1 on errors."""
    with handle_errors(debug):
        overrides = parse_map_options(map_)
        df = read_table(file, sheet=sheet, encoding=encoding, header_row=header_row,
                        delimiter=delimiter)
        issues = find_issues(df, map_columns(df.columns, overrides), region=region, dayfirst=dayfirst)
        for dest in dict.fromkeys(d for d in (issues_path, output) if d):
            write_table(issues, dest, format=format if dest == output else None, inputs=[file])
        _render_issues(_console(quiet), issues, len(df))
        raise typer.Exit(_exit_for(issues, fail_on))


@app.command()
def clean(
    file: FileArg,
    output: OutputOpt = None,
    format: FormatOpt = None,
    issues_path: IssuesOpt = None,
    drop_invalid: Annotated[bool, typer.Option("--drop-invalid",
                                               help="Move rows with errors to a 'rejected' sheet/file.")] = False,
    rejected: Annotated[Optional[str], typer.Option("--rejected", metavar="PATH",
                                                    help="Where --drop-invalid puts rejected rows for CSV output "
                                                         "(default: <input stem>.rejected.csv).")] = None,
    fail_on: Annotated[str, typer.Option("--fail-on", metavar="error|warning|never", callback=_fail_on,
                                         help="Exit 1 when there are issues this severe.")] = "never",
    dedupe_: Annotated[bool, typer.Option("--dedupe", help="Then merge duplicate customers (as crm dedupe, "
                                          "zero-config): the output is one row per customer; xlsx gets a "
                                          "'clusters' sheet.")] = False,
    region: RegionOpt = "CN",
    dayfirst: DayfirstOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Normalize every field, keep every row; xlsx gets cleaned/issues/summary sheets."""
    with handle_errors(debug):
        overrides = parse_map_options(map_)
        dest = output or default_output(file, "cleaned")
        console = _console(quiet)
        df = read_table(file, sheet=sheet, encoding=encoding, header_row=header_row,
                        delimiter=delimiter)
        with _progress(console, enabled=not quiet and len(df) >= 50_000) as progress:
            result = clean_table(df, overrides=overrides, region=region, dayfirst=dayfirst,
                                 drop_invalid=drop_invalid, progress=progress, dedupe=dedupe_)
        written = write_cleaned(result, dest, format=format, issues_path=issues_path, rejected_path=rejected,
                                source=file, inputs=[file])
        kept = f"{len(result.cleaned)} rows" + (f" kept, {len(result.rejected)} rejected" if drop_invalid else "")
        console.print(f"cleaned {kept}: {result.errors} errors, {result.warnings} warnings")
        if result.deduped is not None:
            st = result.deduped.stats
            console.print(f"dedupe: {st['comparisons']} pairs compared; {st['duplicate_clusters']} clusters of "
                          f"duplicates ({st['records_in_duplicate_clusters']} records) -> {st['merged_rows']} rows")
        for path in written:
            if path != "-":
                console.print(f"wrote {path}")
        raise typer.Exit(_exit_for(result.issues, fail_on))


@contextmanager
def _progress(console: Console, enabled: bool) -> Iterator[Any]:
    """A progress bar over the columns, on stderr, only when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("cleaning", total=None)

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"cleaning {label}")

        yield update


# ----------------------------------------------------------------- rfm

RFM_DEFINITIONS = (
    "recency_days = as-of − last order date, in days (as-of: --as-of, else the latest order date; inclusive); "
    "frequency = number of orders (distinct order ids; without an order id column each row is one); "
    "monetary = total amount, refunds netted; avg_order_value = monetary ÷ frequency"
)


@app.command(help=(
    "RFM: one row per customer with recency_days, frequency, monetary, scores, segment and value tier.\n\n"
    "Definitions: " + RFM_DEFINITIONS + ". Scores 1..N (--bins) by quantiles where equal values always get "
    "the same score (recency reversed: recent = high); the cut points used are printed. Rows with an invalid "
    "date or amount, and exact repeated rows of an order, are left out and counted. "
    "Schemes: rfm = the ordered 10-rule score table (first match wins, else Others); cn8 = 8 classes by R/F/M "
    "high/low against the mean (重要价值客户 …). Tier: high/mid/low = top 20% / next 30% / bottom 50% of customers "
    "by monetary."))
def rfm(
    file: Annotated[Optional[str], typer.Argument(metavar="FILE", help="Orders file (CSV, TSV, XLSX, JSON), or - for stdin.")] = None,
    output: OutputOpt = None,
    format_: FormatOpt = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="DATE",
                                                 help="Observation end, inclusive (default: the latest order date).")] = None,
    bins: Annotated[int, typer.Option("--bins", metavar="N", help="Number of scores per dimension (2..20).")] = 5,
    breaks: Annotated[Optional[list[str]], typer.Option(
        "--breaks", metavar="DIM=CUTS",
        help="Explicit cut points instead of quantiles, N-1 per dimension, repeatable: --breaks r=30,90,180,365 "
             "--breaks f=1,2,5,10 --breaks m=100,500,1000,5000 (value ≤ cut = lower bin).")] = None,
    scheme: Annotated[str, typer.Option("--scheme", metavar="rfm|cn8", help="Segment rule table.")] = "rfm",
    lang: Annotated[Optional[str], typer.Option("--lang", metavar="zh|en",
                                                help="Segment label language (default: the scheme's: rfm en, cn8 zh).")] = None,
    customer: Annotated[Optional[str], typer.Option("--customer", metavar="COLUMN",
                                                    help="Column holding the customer id (default: the mapped customer_id; "
                                                         "else normalized phone/email/name).")] = None,
    tiers: Annotated[Optional[str], typer.Option("--tiers", metavar="HIGH,MID[,LOW]",
                                                 help="Tier shares in percent of customers by monetary (default 20,30,50).")] = None,
    show_rules: Annotated[bool, typer.Option("--rules", help="Print the active rule table on stdout: cells each rule owns, "
                                                             "overlapping and never-matching rules, unmatched share "
                                                             "(with FILE: customers per rule).")] = False,
    with_clv: Annotated[bool, typer.Option("--clv", help="Add p_alive, expected_orders, clv, churn_risk (as crm clv: "
                                                         "365 days, 10% a year; crm clv for the details).")] = False,
    region: RegionOpt = "CN",
    dayfirst: DayfirstOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    from .errors import UsageError
    from .io import default_output, output_format, read_table, write_table, write_workbook
    from .rfm import parse_tiers, score_rfm
    from .segments import describe_rules, get_scheme

    with handle_errors(debug):
        overrides = parse_map_options(map_)
        tier_shares = parse_tiers(tiers)
        console = _console(quiet)
        if file is None:
            if not show_rules:
                raise UsageError("missing FILE", hint="crm rfm orders.csv (or - for stdin); crm rfm --rules")
            _render_rules(describe_rules(get_scheme(scheme), lang=lang))
            return
        dest = output or default_output(file, "rfm")
        fmt = output_format(dest, format_)
        df = read_table(file, sheet=sheet, encoding=encoding, header_row=header_row, delimiter=delimiter)
        result = score_rfm(df, as_of=as_of, bins=bins, breaks=breaks, scheme=scheme, customer=customer, lang=lang,
                           tiers=tier_shares, overrides=overrides, region=region, dayfirst=dayfirst)
        clv_result = None
        if with_clv:
            from .clv import add_clv

            result, clv_result = add_clv(result, df, customer=customer, overrides=overrides, region=region,
                                         dayfirst=dayfirst)
        if show_rules:
            _render_rules(describe_rules(result.rules, result.table["segment"], lang=result.lang))
            return
        inputs = [file] if file != "-" else []
        if fmt == "xlsx":
            money = {"monetary": "0.00", "avg_order_value": "0.00", "p_alive": "0.000", "expected_orders": "0.00",
                     "clv": "0.00"}
            write_workbook({"rfm": result.table, "segments": result.segments}, dest, inputs=inputs,
                           number_formats={"rfm": money, "segments": {"share": "0.0%", "revenue": "0.00",
                                                                      "revenue_share": "0.0%", "aov": "0.00"}})
        else:
            write_table(result.table, dest, format=fmt, inputs=inputs)
        if clv_result is not None:
            from .clv import describe_clv

            console.print(describe_clv(clv_result)[1], soft_wrap=True)
        _render_rfm(console, result, None if dest == "-" else dest)


def _render_rfm(console: Console, result: Any, dest: str | None) -> None:
    from .rfm import describe_edges

    console.print(f"rfm: {len(result.table)} customers, {result.orders} orders, as of {result.as_of.date()}, "
                  f"scheme {result.rules.name}", soft_wrap=True)
    console.print(f"definitions: {RFM_DEFINITIONS}", soft_wrap=True)
    if result.dropped:
        left = ", ".join(f"{n} {reason}" for reason, n in result.dropped.items())
        console.print(f"left out: {sum(result.dropped.values())} rows ({left})", soft_wrap=True)
    for note in result.notes:
        console.print(f"note: {note}", soft_wrap=True)
    for line in describe_edges(result):
        console.print(f"edges {line}", soft_wrap=True)
    if result.rules.basis == "mean":
        m = result.means
        console.print(f"means: recency_days {m['recency_days']:.1f}, frequency {m['frequency']:.2f}, "
                      f"monetary {m['monetary']:.2f} (R high = recency below the mean)", soft_wrap=True)
    table = Table(show_edge=False, header_style="bold")
    for head in ("segment", "customers", "share", "revenue share", "AOV"):
        table.add_column(head, justify="left" if head == "segment" else "right")
    for row in result.segments.itertuples(index=False):
        if row.customers == 0:
            continue
        aov = "-" if row.aov != row.aov else f"{row.aov:,.2f}"
        rshare = "-" if row.revenue_share != row.revenue_share else f"{row.revenue_share:.1%}"
        table.add_row(str(row.segment), f"{row.customers:,}", f"{row.share:.1%}", rshare, aov)
    console.print(table)
    if dest:
        console.print(f"wrote {dest}")


def _render_rules(report: Any) -> None:
    out = Console(file=sys.stdout, highlight=False, width=160,
                  no_color=bool(os.environ.get("NO_COLOR")) or None)
    t = report.table
    out.print(f"scheme {t.name}: {t.description}", soft_wrap=True)
    table = Table(show_edge=False, header_style="bold")
    cols = ["#", "segment", "R", "F", "M", "cells", "owned", "overlaps (earlier rules)"]
    has_customers = "customers" in report.rules.columns
    if has_customers:
        cols += ["customers", "share"]
    for c in cols:
        table.add_column(c, overflow="fold")
    for row in report.rules.to_dict("records"):
        flag = " (never matches)" if row["never_matches"] else ""
        cells = [str(row["rule"]), row["label"] + flag, row["r"], row["f"], row["m"], str(row["cells"]),
                 str(row["owned"]), row["overlaps"] or "-"]
        if has_customers:
            cells += [f"{row['customers']:,}", f"{row['share']:.1%}"]
        table.add_row(*cells)
    out.print(table)
    for w in report.warnings:
        out.print(f"warning: {w}")
    line = f"unmatched: {report.unmatched_cells} of {report.cells} cells"
    if report.unmatched_share is not None:
        line += f", {report.unmatched_share:.1%} of customers -> {t.default_label(report.lang)}"
    out.print(line)


# ----------------------------------------------------------------- metrics and pivot

ByOpt = Annotated[Optional[str], typer.Option("--by", metavar="month|quarter|year", help="One row per period.")]

_RATE_COLUMNS = {"retention", "churn", "repurchase_rate", "churn_rate", "reached_rate", "next_stage_rate",
                 "response_rate", "roi"}
_MONEY_COLUMNS = {"revenue", "aov", "revenue_per_customer", "refund_amount", "attributed_revenue", "cost"}


def _metric_formats(tables: dict[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, df in tables.items():
        fmts = {}
        for c in map(str, df.columns):
            if c in _RATE_COLUMNS:
                fmts[c] = "0.0%"
            elif c in _MONEY_COLUMNS:
                fmts[c] = "#,##0.00"
            elif c == "roas" or c == "orders_per_customer":
                fmts[c] = "0.00"
        out[name] = fmts
    return out


def _write_tables(tables: dict[str, Any], dest: str, fmt: str | None, inputs: list[str],
                  number_formats: dict[str, dict[str, str]], primary: str) -> str:
    """xlsx: every table a sheet; other formats: the one table ``primary``."""
    from .io import output_format, write_table, write_workbook

    kind = output_format(dest, fmt)
    if kind == "xlsx":
        write_workbook(tables, dest, number_formats=number_formats, inputs=inputs)
    else:
        write_table(tables[primary], dest, format=kind, inputs=inputs)
    return kind


def _fmt_value(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".") if abs(v) < 10 else f"{v:,.2f}"
    return str(v)


def _render_notes(console: Console, dropped: dict[str, int], notes: list[str]) -> None:
    for reason, n in dropped.items():
        console.print(f"note: {n} row(s) left out: {reason}")
    for note in notes:
        console.print(f"note: {note}")


@app.command()
def metrics(
    file: FileArg,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="DATE",
                                                 help="Observation end, inclusive (default: latest order).")] = None,
    churn_days: Annotated[int, typer.Option("--churn-days", metavar="N",
                                            help="Churned = no order in the last N days; also the window for "
                                                 "new/returning customers.")] = 90,
    by: ByOpt = None,
    group: Annotated[Optional[str], typer.Option("--group", metavar="COLUMN",
                                                 help="Break down by a field or column (channel, product…).")] = None,
    cohorts: Annotated[Optional[str], typer.Option("--cohorts", metavar="PATH",
                                                   help="Write the monthly cohort retention matrix to PATH.")] = None,
    leads: Annotated[Optional[str], typer.Option("--leads", metavar="FILE",
                                                 help="A leads table with a stage/status column: the funnel.")] = None,
    stages: Annotated[Optional[str], typer.Option("--stages", metavar="A,B,C",
                                                  help="The lead stages in order (default: recognized names).")] = None,
    campaigns: Annotated[Optional[str], typer.Option("--campaigns", metavar="FILE",
                                                     help="A campaigns table: response, ROI, ROAS.")] = None,
    attribution_days: Annotated[int, typer.Option("--attribution-days", metavar="N",
                                                  help="Attribute a contacted customer's orders within N days.")] = 30,
    customer: Annotated[Optional[str], typer.Option("--customer", metavar="COLUMN",
                                                    help="The column that identifies a customer.")] = None,
    output: OutputOpt = None,
    format: FormatOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    region: RegionOpt = "CN",
    dayfirst: DayfirstOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """KPIs (AOV, 客单价, 复购率, churn…), per-period figures, cohorts, lead funnel, campaign ROI/ROAS."""
    from .io import default_output, write_table
    from .metrics import compute_metrics

    with handle_errors(debug):
        if [file, leads, campaigns].count("-") > 1:
            raise CrmError("only one input can come from stdin", code=ExitCode.USAGE)
        if cohorts == "-" and (output or default_output(file, "metrics")) == "-":
            raise CrmError("--cohorts - and the main table cannot both go to stdout",
                           hint="give --cohorts a file name or -o a file", code=ExitCode.USAGE)
        report = compute_metrics(
            file, as_of=as_of, churn_days=churn_days, by=by, group=group, cohorts=cohorts is not None,
            leads=leads, stages=[s.strip() for s in stages.split(",") if s.strip()] if stages else None,
            campaigns=campaigns, attribution_days=attribution_days, overrides=parse_map_options(map_),
            customer=customer, region=region, dayfirst=dayfirst,
            read_options={"sheet": sheet, "encoding": encoding, "header_row": header_row,
                          "delimiter": delimiter})
        tables = report.tables()
        inputs = [f for f in (file, leads, campaigns) if f]
        dest = output or default_output(file, "metrics", f".{format.lower()}" if format else None)
        extra = [k for k in tables if k != "kpis"]
        from .io import output_format

        if output_format(dest, format) != "xlsx" and len(extra) > 1:
            raise CrmError(f"{' and '.join(extra)} are separate tables: a {output_format(dest, format)} file holds one",
                           hint="write them all with -o metrics.xlsx, or ask for one at a time",
                           code=ExitCode.USAGE)
        primary = extra[0] if extra else "kpis"
        _write_tables(tables, dest, format, inputs, _metric_formats(tables), primary)
        if report.cohorts is not None:
            if cohorts.lower().endswith(".xlsx"):
                from .io import write_workbook

                fmts = {c: "0.0%" for c in report.cohorts.columns if c != "cohort"}
                write_workbook({"cohorts": report.cohorts}, cohorts, number_formats={"cohorts": fmts}, inputs=inputs)
            else:
                write_table(report.cohorts, cohorts, inputs=inputs)
        console = _console(quiet)
        table = Table(show_edge=False, header_style="bold", title=f"as of {report.as_of.date()}")
        for head in ("metric", "value", "指标"):
            table.add_column(head, justify="right" if head == "value" else "left")
        for row in report.kpis.itertuples(index=False):
            table.add_row(row.metric, _fmt_value(row.value), row.label_zh)
        console.print(table)
        _render_notes(console, report.dropped, report.notes)
        if dest != "-":
            console.print(f"wrote {dest}" + (f" and {cohorts}" if cohorts and cohorts != "-" else ""))


@app.command()
def pivot(
    file: FileArg,
    rows: Annotated[str, typer.Option("--rows", metavar="F[,F]", help="Row fields (canonical name or header).")],
    cols: Annotated[Optional[str], typer.Option("--cols", metavar="F", help="Column field.")] = None,
    values: Annotated[Optional[str], typer.Option("--values", metavar="F",
                                                  help="The field to aggregate (default: count rows).")] = None,
    agg: Annotated[str, typer.Option("--agg", metavar="sum|count|mean|nunique|min|max",
                                     help="Aggregation.")] = "sum",
    by: ByOpt = None,
    no_totals: Annotated[bool, typer.Option("--no-totals", help="No totals row and column.")] = False,
    output: OutputOpt = None,
    format: FormatOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    region: RegionOpt = "CN",
    dayfirst: DayfirstOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """An Excel-style pivot: --rows × --cols of --agg(--values), with a totals row and column."""
    from .io import default_output
    from .pivot import pivot_table

    with handle_errors(debug):
        result = pivot_table(file, rows=[r.strip() for r in rows.split(",")], cols=cols, values=values,
                             agg=agg, by=by,
                             totals=not no_totals, overrides=parse_map_options(map_), region=region,
                             dayfirst=dayfirst, read_options={"sheet": sheet, "encoding": encoding,
                                                              "header_row": header_row, "delimiter": delimiter})
        dest = output or default_output(file, "pivot", f".{format.lower()}" if format else None)
        fmts = {"pivot": {c: result.number_format for c in result.value_columns}}
        _write_tables({"pivot": result.table}, dest, format, [file], fmts, "pivot")
        console = _console(quiet)
        _render_notes(console, {}, result.notes)
        if dest != "-":
            console.print(f"wrote {dest}: {len(result.table)} rows × {len(result.table.columns)} columns")


# ----------------------------------------------------------------- report, init

ConfigOpt = Annotated[Optional[str], typer.Option("--config", metavar="PATH",
                                                  help="A crm.toml (default: $CRM_CONFIG, else ./crm.toml when present).")]


def _shown(path: str) -> str:
    """A path as the user would type it: relative to the working directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@app.command()
def report(
    orders: Annotated[Optional[str], typer.Argument(metavar="[ORDERS]",
                                                    help="Orders file (default: \\[inputs] orders in crm.toml).")] = None,
    customers: Annotated[Optional[str], typer.Option("--customers", metavar="FILE",
                                                     help="Customers file: names, phones, cities for the Customers sheet.")] = None,
    leads: Annotated[Optional[str], typer.Option("--leads", metavar="FILE", help="Leads file: the Funnel sheet.")] = None,
    campaigns: Annotated[Optional[str], typer.Option("--campaigns", metavar="FILE",
                                                     help="Campaigns file: the Campaigns sheet.")] = None,
    config: ConfigOpt = None,
    output: Annotated[Optional[str], typer.Option("-o", "--output", metavar="PATH",
                                                  help="The workbook to write; {date} = the as-of date "
                                                       "(default: \\[report] output, else report-{date}.xlsx).")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="DATE",
                                                 help="Observation end, YYYY-MM-DD (default: the latest order date).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", metavar="zh|en",
                                                help="Labels (default: the language of the orders' headers).")] = None,
    region: Annotated[Optional[str], typer.Option("--region", metavar="CC", help="Default phone region (CN).")] = None,
    dayfirst: DayfirstOpt = None,
    map_: MapOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """The whole report workbook (KPIs, monthly sales, products, RFM, cohorts, funnel, campaigns, data quality)."""
    from .config import load_settings
    from .report import make_report

    with handle_errors(debug):
        flags = {"orders": orders, "customers": customers, "leads": leads, "campaigns": campaigns,
                 "output": output, "as_of": as_of, "lang": lang, "region": region, "dayfirst": dayfirst}
        settings = load_settings(config, flags=flags, env=os.environ, cwd=os.getcwd())
        if map_:  # --map applies to the orders, over [columns.orders]
            orders_map = {**settings.columns.get("orders", {}), **parse_map_options(map_)}
            settings = dataclasses.replace(settings, columns={**settings.columns, "orders": orders_map})
        if "-" in (settings.orders, settings.customers, settings.leads, settings.campaigns) and sys.stdin is None:
            raise InputError("an input is - but stdin is closed", hint="name the file, or pipe it in")
        if settings.output == "-" and sys.stdout is not None and sys.stdout.isatty():
            raise UsageError("refusing to write a workbook to the terminal", hint="redirect stdout or use -o FILE")
        result = make_report(settings)
        if not quiet:
            r = result.report
            k = r.kpis
            extra = f"; {r.rows_left_out} rows left out" if r.rows_left_out else ""
            where = "stdout" if result.path == "-" else _shown(result.path)
            print(f"crm: wrote {where}: {len(r.sheets)} sheets, as of {r.as_of}, "
                  f"{k['orders']:,.0f} orders, {k['customers']:,.0f} customers, revenue {k['revenue']:,.2f}"
                  f"{extra}, {len(r.issues)} data issues", file=sys.stderr)


@app.command()
def init(
    path: Annotated[Optional[str], typer.Argument(metavar="[PATH]",
                                                  help="File or folder for the new crm.toml (default: ./crm.toml).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented crm.toml (pointing at examples/ when run from the repository)."""
    from .config import init_config

    with handle_errors(debug):
        written = init_config(path, cwd=os.getcwd(), force=force)
        if not quiet:
            print(f"crm: wrote {_shown(written)}; run: crm report --config {_shown(written)}", file=sys.stderr)


# ----------------------------------------------------------------- dedupe


@app.command()
def dedupe(
    file: FileArg,
    output: OutputOpt = None,
    format_: FormatOpt = None,
    on: Annotated[Optional[list[str]], typer.Option(
        "--on", metavar="COLUMN[:KIND]",
        help="Compare on this column (repeatable or comma-separated); KIND: name phone email address date "
             "text exact number. Default: the mapped name/phone/email/address/... columns.")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="Match probability at which two records are "
                                             "the same (0..1).")] = 0.9,
    keep: Annotated[Optional[list[str]], typer.Option(
        "--keep", metavar="RULE|COLUMN=RULE",
        help="Survivorship: complete (default), frequent or recent; per column as COLUMN=RULE.")] = None,
    clusters: Annotated[Optional[str], typer.Option("--clusters", metavar="PATH",
                                                    help="Write every input row + cluster_id, cluster_size, "
                                                         "match_score.")] = None,
    pairs: Annotated[Optional[str], typer.Option("--pairs", metavar="PATH",
                                                 help="Write the compared pairs with per-field scores.")] = None,
    review: Annotated[Optional[str], typer.Option("--review", metavar="PATH",
                                                  help="Write the pairs near the threshold for a person to check.")] = None,
    previous: Annotated[Optional[str], typer.Option("--previous", metavar="CLUSTERS",
                                                    help="A --clusters file of an earlier run: keep its cluster ids.")] = None,
    explain: Annotated[Optional[tuple[str, str]], typer.Option(
        "--explain", metavar="ID1 ID2", help="Explain, field by field, why two records match or not.")] = None,
    id_column: Annotated[Optional[str], typer.Option("--id", metavar="COLUMN",
                                                     help="Column identifying records for --explain and "
                                                          "--previous (default: Excel row numbers / content).")] = None,
    region: Annotated[str, typer.Option("--region", metavar="CC", help="Default phone region.")] = "CN",
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Find records of the same customer and merge them into one row each."""
    from .dedupe import dedupe_table, explain_pair
    from .io import default_output, read_table, write_table
    from .schema import map_columns

    with handle_errors(debug):
        keep_rules: dict[str, str] = {}
        for item in keep or ():
            col, sep, rule = item.rpartition("=")
            keep_rules[col.strip() if sep else "*"] = rule.strip()
        table = read_table(file, sheet=sheet, encoding=encoding, header_row=header_row,
                           delimiter=delimiter)
        mapping = map_columns(table.columns, parse_map_options(map_))
        prev = read_table(previous) if previous else None
        result = dedupe_table(table, on=on, mapping=mapping, threshold=threshold, region=region,
                              keep=keep_rules or "complete", previous=prev, id_column=id_column)
        console = _console(quiet)
        if explain:
            frame = explain_pair(result, explain[0], explain[1], id_column)
            sys.stdout.write(frame.to_string(index=False) + "\n")
            sys.stdout.flush()
            return
        inputs = [file] + ([previous] if previous else [])
        for path, frame in ((clusters, lambda: result.clusters.reset_index(drop=True)), (pairs, lambda: result.pairs),
                            (review, lambda: result.review)):
            if path:
                write_table(frame(), path, inputs=inputs)
        dest = output or default_output(file, "deduped")
        write_table(result.merged, dest, format=format_, inputs=inputs)
        st = result.stats
        console.print(f"dedupe: {st['records']} records, {st['comparisons']} pairs compared, "
                      f"{st['matched_pairs']} matched; {st['duplicate_clusters']} clusters of duplicates "
                      f"({st['records_in_duplicate_clusters']} records) -> {st['merged_rows']} rows")
        console.print("compared on: " + ", ".join(st["compared_on"]))


def main() -> None:
    """Console-script entry point."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        app()
    except KeyboardInterrupt:
        print("crm: interrupted", file=sys.stderr)
        sys.exit(int(ExitCode.INTERRUPTED))


# ----------------------------------------------------------------- clv (issue 16: self-contained, to move to cli/)

AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", metavar="DATE",
                                                help="Observation end, inclusive (default: the latest order date).")]
CustomerOpt = Annotated[Optional[str], typer.Option("--customer", metavar="COLUMN",
                                                    help="The column that identifies a customer.")]


@app.command(help=(
    "Customer lifetime value: per customer P(alive), expected orders, expected order value, discounted CLV and "
    "churn risk, from BG/NBD (repeat purchases) and Gamma-Gamma (spend) fitted by maximum likelihood. Days "
    "everywhere: purchases are counted per day; repeat_purchases = purchase days − 1, t_x = days from the first to "
    "the last purchase, T = days from the first purchase to as-of. --holdout DATE fits on the orders up to DATE and "
    "compares the predictions with what customers bought after it (printed; --holdout-report PATH)."))
def clv(
    file: FileArg,
    output: OutputOpt = None,
    format_: FormatOpt = None,
    as_of: AsOfOpt = None,
    horizon: Annotated[Optional[int], typer.Option("--horizon", metavar="DAYS",
                                                   help="Expected orders and CLV over this many days "
                                                        "(default: [clv] horizon, else 365).")] = None,
    discount: Annotated[Optional[float], typer.Option("--discount", metavar="RATE",
                                                      help="Yearly discount rate for CLV, applied monthly "
                                                           "(default: [clv] discount, else 0.10).")] = None,
    holdout: Annotated[Optional[str], typer.Option("--holdout", metavar="DATE",
                                                   help="Backtest: fit on orders up to DATE, compare with the "
                                                        "orders after it up to as-of.")] = None,
    holdout_days: Annotated[Optional[int], typer.Option("--holdout-days", metavar="N",
                                                        help="Backtest on the last N days (instead of --holdout).")] = None,
    holdout_report: Annotated[Optional[str], typer.Option(
        "--holdout-report", metavar="PATH", help="Write the backtest: .json (all), .xlsx (sheets), .csv (the "
                                                 "table by number of calibration purchases).")] = None,
    params: Annotated[Optional[str], typer.Option("--params", metavar="PATH",
                                                  help="Write the fitted parameters as JSON.")] = None,
    customer: CustomerOpt = None,
    config: Annotated[Optional[str], typer.Option("--config", metavar="PATH",
                                                  help="A crm.toml (default: $CRM_CONFIG, else ./crm.toml).")] = None,
    region: RegionOpt = "CN",
    dayfirst: DayfirstOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    from .clv import TABLE_FORMATS, describe_clv, fit_clv, write_holdout_report, write_params
    from .config import load_settings
    from .io import default_output, output_format, read_table, write_workbook

    with handle_errors(debug):
        dest = output or default_output(file, "clv")
        if [dest, params, holdout_report].count("-") > 1:
            raise UsageError("only one output can go to stdout", hint="give --params / --holdout-report a file name")
        if holdout_report and holdout is None and holdout_days is None:
            raise UsageError("--holdout-report needs --holdout DATE or --holdout-days N")
        fmt = output_format(dest, format_)
        settings = load_settings(config, flags={"clv_horizon": horizon, "clv_discount": discount},
                                 env=os.environ, cwd=os.getcwd())
        df = read_table(file, sheet=sheet, encoding=encoding, header_row=header_row, delimiter=delimiter)
        result = fit_clv(df, as_of=as_of, horizon=settings.clv_horizon, discount=settings.clv_discount,
                         holdout=holdout, holdout_days=holdout_days, customer=customer,
                         overrides=parse_map_options(map_), region=region, dayfirst=dayfirst)
        inputs = [file] if file != "-" else []
        if fmt == "xlsx":
            write_workbook({"clv": result.table}, dest, number_formats={"clv": TABLE_FORMATS}, inputs=inputs)
        else:
            write_table(result.table, dest, format=fmt, inputs=inputs)
        if params:
            write_params(result, params, inputs=inputs)
        if holdout_report and result.holdout is not None:
            write_holdout_report(result.holdout, holdout_report, inputs=inputs)
        console = _console(quiet)
        for line in describe_clv(result):
            console.print(line, soft_wrap=True)
        _render_notes(console, result.dropped, result.notes)
        if result.holdout is not None:
            by = Table(show_edge=False, header_style="bold", title="holdout by calibration repeat purchases")
            for head in ("repeat purchases", "customers", "predicted (mean)", "actual (mean)"):
                by.add_column(head, justify="right")
            for r in result.holdout.by_purchases.itertuples(index=False):
                by.add_row(r.calibration_purchases, f"{r.customers:,}", f"{r.predicted_mean:.3f}",
                           f"{r.actual_mean:.3f}")
            console.print(by)
        for path in (dest, params, holdout_report):
            if path and path != "-":
                console.print(f"wrote {path}")


# ----------------------------------------------------------------- forecast (issue 16: self-contained, to move to cli/)


@app.command(help=(
    "Revenue and orders for the next periods with an interval (statsmodels ETS chosen by AICc; --model theta|auto), "
    "backtested from rolling origins against seasonal naive (MAPE, MASE). Complete periods only: the period "
    "holding as-of counts when as-of is its last day. Less than two seasons of history: non-seasonal exponential "
    "smoothing; fewer than 6 periods: naive (the last value)."))
def forecast(
    file: FileArg,
    output: OutputOpt = None,
    format_: FormatOpt = None,
    by: Annotated[str, typer.Option("--by", metavar="week|month|quarter", help="Period.")] = "month",
    periods: Annotated[Optional[int], typer.Option("--periods", metavar="N",
                                                   help="Periods ahead (default: 13 weeks, 6 months, 4 quarters).")] = None,
    level: Annotated[int, typer.Option("--level", metavar="PCT", help="Prediction interval, percent.")] = 80,
    model: Annotated[str, typer.Option("--model", metavar="ets|theta|auto",
                                       help="ETS, Theta, or the one with the lower backtest MASE.")] = "ets",
    as_of: AsOfOpt = None,
    customer: CustomerOpt = None,
    region: RegionOpt = "CN",
    dayfirst: DayfirstOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    map_: MapOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    from .forecast import describe_forecast, forecast_sales
    from .io import default_output, output_format, read_table, write_workbook

    with handle_errors(debug):
        dest = output or default_output(file, "forecast")
        fmt = output_format(dest, format_)
        df = read_table(file, sheet=sheet, encoding=encoding, header_row=header_row, delimiter=delimiter)
        result = forecast_sales(df, by=by, periods=periods, level=level, model=model, as_of=as_of, customer=customer,
                                overrides=parse_map_options(map_), region=region, dayfirst=dayfirst)
        inputs = [file] if file != "-" else []
        if fmt == "xlsx":
            money = {c: "#,##0.00" for c in ("revenue", "revenue_lo", "revenue_hi")}
            counts = {c: "#,##0.0" for c in ("orders", "orders_lo", "orders_hi")}
            write_workbook({"forecast": result.table, "backtest": result.backtest}, dest, inputs=inputs,
                           number_formats={"forecast": {**money, **counts},
                                           "backtest": {"mape": "0.0", "mase": "0.000", "coverage": "0%",
                                                        "baseline_mape": "0.0", "baseline_mase": "0.000"}})
        else:
            write_table(result.table, dest, format=fmt, inputs=inputs)
        console = _console(quiet)
        for line in describe_forecast(result):
            console.print(line, soft_wrap=True)
        _render_notes(console, result.dropped, result.notes)
        ahead = Table(show_edge=False, header_style="bold")
        for head in (result.by, "revenue", f"{result.level}% interval", "orders", f"{result.level}% interval "):
            ahead.add_column(head, justify="left" if head == result.by else "right")
        for r in result.table[result.table["kind"] == "forecast"].itertuples(index=False):
            ahead.add_row(r.period, f"{r.revenue:,.2f}", f"{r.revenue_lo:,.2f} – {r.revenue_hi:,.2f}",
                          f"{r.orders:,.1f}", f"{r.orders_lo:,.1f} – {r.orders_hi:,.1f}")
        console.print(ahead)
        if dest != "-":
            console.print(f"wrote {dest}")
