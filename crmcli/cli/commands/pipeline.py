"""``crm pipeline``: open opportunities, their probability and the weighted pipeline."""

from __future__ import annotations

import typer

from ...formats import sheet_formats
from ...io import write_sheets
from ...metrics.pipeline import PIPELINE_DEFINITIONS, compute_pipeline
from .. import render
from ..common import Common, FileArg, command

HELP = """The sales pipeline (销售机会管理) of an opportunities table (stage, amount, and optionally
probability, owner, expected close date): open opportunities, their amount and weighted_pipeline =
Σ amount × probability (the row's probability, else its stage's from [pipeline] probabilities in
crm.toml, else the default per stage), in total, by stage, by owner and by month of expected close;
won deals counted apart.

\b
Example:
  crm pipeline examples/opportunities.csv -o pipeline.xlsx
  crm pipeline deals.xlsx -o - --format json
"""


def register(app: typer.Typer) -> None:
    command(app, reads=True, maps=True, fields=True, output=True, help=HELP)(pipeline)


def pipeline(c: Common, file: FileArg) -> None:
    s = c.settings()
    spec = c.destination(file, "pipeline")
    c.check([spec.dest], [file])
    result = compute_pipeline(file, read=c.read, probabilities=s.pipeline_probabilities,
                              overrides=c.overrides("leads"), region=s.region, dayfirst=s.dayfirst)
    tables = {"pipeline": result.table}
    write_sheets(tables, spec, number_formats=sheet_formats(tables), inputs=[file])
    render.pipeline(c.console, result, PIPELINE_DEFINITIONS)
    c.wrote(spec.dest, render.counted(len(result.table), "row"))
