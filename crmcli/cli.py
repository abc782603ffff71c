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
        table = read_table(file, sheet=_sheet_arg(sheet), encoding=encoding, header_row=header_row,
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
