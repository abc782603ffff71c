"""One module per command: its own options → one library call → render."""

from __future__ import annotations

import typer

from . import basket, clean, clv, dedupe, forecast, init, inspect, metrics, pipeline, pivot, report, rfm, validate

#: In the order ``crm --help`` lists them.
MODULES = (inspect, validate, clean, dedupe, rfm, clv, metrics, forecast, pivot, basket, pipeline, report, init)


def register_all(app: typer.Typer) -> None:
    for module in MODULES:
        module.register(app)
