"""``crm clean``: normalized values, every row kept."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

import typer

from ...clean import clean_table, rejected_destination, write_cleaned
from ...options import WriteSpec
from .. import render
from ..common import AsOfOpt, Common, EngineOpt, FailOnOpt, FileArg, RequiredOpt, RulesOpt, command
from .validate import IssuesOpt, check_options, exit_for, exit_for_counts, stream_engine

HELP = """Normalize every field (phones to E.164, dates to ISO, amounts to numbers, text trimmed) and keep
every row in order. An .xlsx output has sheets cleaned, issues and summary with invalid cells
highlighted; a CSV output has the data only (issues go to --issues). --drop-invalid moves rows with
errors to a rejected sheet or file; --dedupe also merges duplicate customers.

\b
Example:
  crm clean examples/orders.xlsx                  # -> examples/orders.cleaned.xlsx
  cat export.csv | crm clean - --issues issues.csv > cleaned.csv
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(clean)


def clean(
    c: Common,
    file: FileArg,
    issues_path: IssuesOpt = None,
    drop_invalid: Annotated[bool, typer.Option("--drop-invalid",
                                               help="Move rows with errors to a 'rejected' sheet/file.")] = False,
    rejected: Annotated[Optional[str], typer.Option("--rejected", metavar="PATH", show_default=False,
                                                    help="Where --drop-invalid puts rejected rows for CSV output "
                                                         "(default: <input stem>.rejected.csv).")] = None,
    fail_on: FailOnOpt = "never",
    dedupe_: Annotated[bool, typer.Option("--dedupe", help="Then merge duplicate customers (as crm dedupe, "
                                          "zero-config): the output is one row per customer; xlsx gets a "
                                          "'clusters' sheet.")] = False,
    merge_values: Annotated[bool, typer.Option("--merge-values", help="Write each spelling of a value cluster "
                                               "(天猫旗舰店, Tmall, tmall) as its canonical value (the most common; "
                                               "[values] in crm.toml names it and is always applied).")] = False,
    fill_address: Annotated[bool, typer.Option("--fill-address", help="Fill empty city and province cells from "
                                               "the address (adding the columns when there are none).")] = False,
    rules: RulesOpt = None,
    required: RequiredOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
) -> None:
    spec = c.destination(file, "cleaned")
    issues_spec = WriteSpec.decide(issues_path, option="issues") if issues_path else None
    reject_to = rejected_destination(file, spec.dest, rejected=rejected, drop_invalid=drop_invalid)
    c.check([spec.dest, issues_spec and issues_spec.dest, reject_to], [file])
    checks = check_options(c, file, rules=rules, required=required, as_of=as_of, engine=engine)
    settings = c.settings()
    needs_table = " and ".join(f for f, on in (("--merge-values", merge_values), ("--fill-address", fill_address)) if on)
    whole = ("--dedupe merges rows in memory" if dedupe_ else
             f"{needs_table} need{'s' if ' and ' not in needs_table else ''} the whole table" if needs_table else None)
    if stream_engine(c, file, xlsx=spec.format == "xlsx", whole=whole):
        from ...stream import stream_table

        streamed = stream_table(file, read=c.read, overrides=c.overrides(c.kind_of(file)), region=settings.region,
                                dayfirst=settings.dayfirst, output=spec.dest, format=spec.format,
                                issues=issues_spec.dest if issues_spec else None,
                                issues_format=issues_spec.format if issues_spec else None,
                                rejected=reject_to, drop_invalid=drop_invalid, inputs=[file], **checks)
        kept = render.counted(streamed.rows - streamed.rejected, "row") + (
            f" kept, {streamed.rejected:,} rejected" if drop_invalid else "")
        c.say(f"cleaned {kept} in {render.counted(streamed.batches, 'batch', 'batches')}: "
              f"{render.counted(streamed.errors, 'error')}, {render.counted(streamed.warnings, 'warning')}")
        for line in streamed.notes:
            c.say(f"note: {line}")
        for path in streamed.written:
            c.wrote(path)
        raise typer.Exit(exit_for_counts(streamed.errors, streamed.warnings, fail_on))
    with progress_bar(c, enabled=not c.quiet) as progress:
        result = clean_table(file, read=c.read, overrides=c.overrides(c.kind_of(file)), region=settings.region,
                             dayfirst=settings.dayfirst, drop_invalid=drop_invalid, progress=progress,
                             dedupe=dedupe_, merge_values=merge_values, fill_address=fill_address, **checks)
    written = write_cleaned(result, spec.dest, format=spec.format,
                            issues_path=issues_spec.dest if issues_spec else None, rejected_path=reject_to,
                            source=file, inputs=[file])
    kept = render.counted(len(result.cleaned), "row") + (
        f" kept, {len(result.rejected):,} rejected" if drop_invalid else "")
    c.say(f"cleaned {kept}: {render.counted(result.errors, 'error')}, {render.counted(result.warnings, 'warning')}")
    for what, counts in (("merged values", result.merged), ("filled from addresses", result.filled)):
        if counts:
            per = ", ".join(f"{col} {n:,}" for col, n in counts.items())
            c.say(f"{what}: {sum(counts.values()):,} cells changed ({per})")
    if merge_values is False and result.clusters is not None and not result.clusters.empty:
        found = result.clusters[result.clusters["merge"] == "yes"]
        if len(found):
            c.say(f"value clusters: {len(found):,} spellings of other values in {int(found['count'].sum()):,} "
                  f"cells; --merge-values rewrites them")
    if result.deduped is not None:
        st = result.deduped.stats
        k = st["duplicate_clusters"]
        c.say(f"dedupe: {st['comparisons']:,} pairs compared; {k:,} cluster{'' if k == 1 else 's'} of duplicates "
              f"({st['records_in_duplicate_clusters']:,} records) -> {st['merged_rows']:,} rows")
        c.say(st["estimation"])
    for path in written:
        c.wrote(path)
    raise typer.Exit(exit_for(result.issues, fail_on))


@contextmanager
def progress_bar(c: Common, enabled: bool) -> Iterator[Any]:
    """A progress bar over the columns, on stderr, only when stderr is a terminal."""
    if not enabled or sys.stderr is None or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=c.console, transient=True) as bar:
        task = bar.add_task("cleaning", total=None)

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"cleaning {label}")

        yield update
