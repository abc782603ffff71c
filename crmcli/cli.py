"""The ``crm`` command: parse arguments, make one library call, render, map errors to exit codes.

Only this module imports typer and rich. Data goes to stdout; everything else to stderr.
"""

from __future__ import annotations

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
from .describe import inspect_table
from .errors import CrmError, ExitCode
from .io import source_info  # noqa: F401  (re-exported for commands added later)
from .schema import parse_map_options

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


def _sheet_arg(sheet: str | None) -> str | int | None:
    return sheet


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
        desc, problems = inspect_table(file, sheet=_sheet_arg(sheet), encoding=encoding, header_row=header_row,
                                       delimiter=delimiter, overrides=overrides, with_problems=True)
        console = _console(quiet)
        if as_json:
            sys.stdout.write(json.dumps(desc, ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
            _render_problems(console, problems)
            return
        _render_description(console, desc)
        _render_problems(console, problems)


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
    for col in desc["columns"]:
        table.add_row(col["name"], col["field"] or "-", f"{col['filled']:.0%}", str(col["distinct"]),
                      " | ".join(col["examples"]))
    console.print(table)


def _render_problems(console: Console, problems: list[dict[str, Any]], limit: int = 10) -> None:
    for p in problems[:limit]:
        where = f"row {p['row']}: " if p.get("row") else ""
        console.print(f"warning: {where}{p['message']}")
    if len(problems) > limit:
        console.print(f"warning: +{len(problems) - limit} more")


# ----------------------------------------------------------------- metrics and pivot

RegionOpt = Annotated[str, typer.Option("--region", metavar="CC", help="Default phone region (ISO 3166).")]
DayfirstOpt = Annotated[Optional[bool], typer.Option("--dayfirst/--monthfirst",
                                                     help="Force dd/mm vs mm/dd dates (default: decided per column).")]
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
            read_options={"sheet": _sheet_arg(sheet), "encoding": encoding, "header_row": header_row,
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
                             dayfirst=dayfirst, read_options={"sheet": _sheet_arg(sheet), "encoding": encoding,
                                                              "header_row": header_row, "delimiter": delimiter})
        dest = output or default_output(file, "pivot", f".{format.lower()}" if format else None)
        fmts = {"pivot": {c: result.number_format for c in result.value_columns}}
        _write_tables({"pivot": result.table}, dest, format, [file], fmts, "pivot")
        console = _console(quiet)
        _render_notes(console, {}, result.notes)
        if dest != "-":
            console.print(f"wrote {dest}: {len(result.table)} rows × {len(result.table.columns)} columns")


def main() -> None:
    """Console-script entry point."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        app()
    except KeyboardInterrupt:
        print("crm: interrupted", file=sys.stderr)
        sys.exit(int(ExitCode.INTERRUPTED))
