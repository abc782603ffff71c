"""``crm init``: a commented crm.toml."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from ...config import init_config
from ..common import Common, command, shown

HELP = """Write a commented crm.toml: the settings every command reads (inputs, column mappings, region,
RFM scheme and breaks, funnel stages, churn and attribution days, the report's output). Run from
the repository, it points at the bundled examples/.

\b
Example:
  crm init && crm report
  crm init config/ --force
"""


def register(app: typer.Typer) -> None:
    command(app, config=False, help=HELP)(init)


def init(
    c: Common,
    path: Annotated[Optional[str], typer.Argument(metavar="[PATH]", show_default=False,
                                                  help="File or folder for the new crm.toml (default: ./crm.toml).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    written = init_config(path, cwd=os.getcwd(), force=force)
    c.wrote(written, f"run: crm report --config {shown(written)}")
