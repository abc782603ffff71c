"""``crm dedupe``: the same customer written five ways, found and merged."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ...dedupe import dedupe_table, explain_pair
from ...io import read_input, write_table
from ...options import WriteSpec
from ...privacy import protect_table
from ..common import Common, FileArg, command

HELP = """Find records of the same customer (probabilistic record linkage on names, phones, emails,
addresses…, trained on the file itself) and merge each cluster into one golden record.
--clusters writes every input row with its cluster id; --pairs the compared pairs with per-field
scores; --review the pairs near the threshold; --explain ID1 ID2 says field by field why two
records match or not.

\b
Example:
  crm dedupe examples/customers_zh.csv --clusters clusters.csv
  crm dedupe customers.xlsx --on 姓名:name --on 电话:phone --threshold 0.8
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(dedupe)


def dedupe(
    c: Common,
    file: FileArg,
    on: Annotated[Optional[list[str]], typer.Option(
        "--on", metavar="COLUMN[:KIND]", show_default=False,
        help="Compare on this column (repeatable or comma-separated); KIND: name phone email address date "
             "text exact number. Default: the mapped name/phone/email/address/... columns.")] = None,
    threshold: Annotated[float, typer.Option("--threshold", metavar="P", help="Match probability at which two "
                                             "records are the same (0..1).")] = 0.9,
    keep: Annotated[Optional[list[str]], typer.Option(
        "--keep", metavar="RULE|COLUMN=RULE", show_default=False,
        help="Survivorship: complete (default), frequent or recent; per column as COLUMN=RULE.")] = None,
    clusters: Annotated[Optional[str], typer.Option("--clusters", metavar="PATH", show_default=False,
                                                    help="Write every input row + cluster_id, cluster_size, "
                                                         "match_score.")] = None,
    pairs: Annotated[Optional[str], typer.Option("--pairs", metavar="PATH", show_default=False,
                                                 help="Write the compared pairs with per-field scores.")] = None,
    review: Annotated[Optional[str], typer.Option("--review", metavar="PATH", show_default=False,
                                                  help="Write the pairs near the threshold for a person to check.")] = None,
    previous: Annotated[Optional[str], typer.Option("--previous", metavar="CLUSTERS", show_default=False,
                                                    help="A --clusters file of an earlier run: keep its cluster ids.")] = None,
    explain: Annotated[Optional[tuple[str, str]], typer.Option(
        "--explain", metavar="ID1 ID2", show_default=False,
        help="Explain, field by field, why two records match or not.")] = None,
    id_column: Annotated[Optional[str], typer.Option("--id", metavar="COLUMN", show_default=False,
                                                     help="Column identifying records for --explain and "
                                                          "--previous (default: Excel row numbers / content).")] = None,
) -> None:
    keep_rules: dict[str, str] = {}
    for item in keep or ():
        col, sep, rule = item.rpartition("=")
        keep_rules[col.strip() if sep else "*"] = rule.strip()
    spec = c.destination(file, "deduped")
    extra = {name: WriteSpec.decide(path, option=name) for name, path in
             (("clusters", clusters), ("pairs", pairs), ("review", review)) if path}
    inputs = [file] + ([previous] if previous else [])
    if not explain:
        c.check([spec.dest, *(s.dest for s in extra.values())], inputs)
    settings = c.settings()
    result = dedupe_table(file, read=c.read, on=on, overrides=c.overrides("customers"), threshold=threshold,
                          region=settings.region, dayfirst=settings.dayfirst, keep=keep_rules or "complete",
                          previous=read_input(previous) if previous else None, id_column=id_column,
                          keep_pairs=pairs is not None)
    if explain:
        frame = protect_table(explain_pair(result, explain[0], explain[1], id_column))
        sys.stdout.write(frame.to_string(index=False) + "\n")
        sys.stdout.flush()
        return
    tables = {"clusters": lambda: result.clusters.reset_index(drop=True), "pairs": lambda: result.pairs,
              "review": lambda: result.review}
    for name, s in extra.items():
        write_table(tables[name](), s.dest, format=s.format, inputs=inputs)
    write_table(result.sheet() if spec.format == "xlsx" else result.merged, spec.dest, format=spec.format,
                inputs=inputs)
    st = result.stats
    k = st["duplicate_clusters"]
    c.say(f"dedupe: {st['records']:,} records, {st['comparisons']:,} pairs compared, {st['matched_pairs']:,} matched; "
          f"{k:,} cluster{'' if k == 1 else 's'} of duplicates ({st['records_in_duplicate_clusters']:,} records) "
          f"-> {st['merged_rows']:,} rows")
    c.say("compared on: " + ", ".join(st["compared_on"]))
    c.say(st["estimation"])
    if st["totals_rows"]:
        c.say(f"left out {len(st['totals_rows']):,} totals row(s): " + ", ".join(map(str, st["totals_rows"])))
    for s in [spec, *extra.values()]:
        c.wrote(s.dest)
